package locallambda

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/benchctl/benchctl/scenarios"
)

// Deployment API limits (AWS's).
const (
	// MaxZipBytes is the largest .zip a CreateFunction or
	// UpdateFunctionCode request may carry directly (50 MB).
	MaxZipBytes = 50 * 1024 * 1024
	// MaxUnzippedBytes is the largest unzipped package (250 MB).
	MaxUnzippedBytes = 250 * 1024 * 1024
)

// Runtimes the platform can run: custom runtimes only (a bootstrap
// executable in the package, as on AWS's OS-only runtimes).
var customRuntimes = []string{"provided.al2023", "provided.al2"}

var (
	functionNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	roleARNRe      = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$`)
)

// pkg is a function deployed from a .zip package (CreateFunction): its
// code unpacked into its own task root, which is LAMBDA_TASK_ROOT and the
// working directory of its instances.
type pkg struct {
	zip      []byte
	sha256   string // base64, as CodeSha256
	taskRoot string
	runtime  string
	handler  string
	role     string
	desc     string
}

// eventInvokeConfig is a function's asynchronous invocation configuration
// (PutFunctionEventInvokeConfig).
type eventInvokeConfig struct {
	MaximumRetryAttempts     *int           `json:"MaximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds *int           `json:"MaximumEventAgeInSeconds,omitempty"`
	DestinationConfig        map[string]any `json:"DestinationConfig,omitempty"`
	lastModified             time.Time
}

type codeInput struct {
	ZipFile         []byte  `json:"ZipFile"`
	S3Bucket        *string `json:"S3Bucket"`
	ImageURI        *string `json:"ImageUri"`
	Architectures   []string
	Publish         bool
	DryRun          bool
	RevisionID      *string `json:"RevisionId"`
	SourceKMSKeyArn *string `json:"SourceKMSKeyArn"`
}

func badParam(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: ErrCodeInvalidParameterValue, msg: fmt.Sprintf(format, args...)}
}

// unpack checks a .zip package and unpacks it into a new task root under
// the platform's code folder.
func (p *Platform) unpack(name string, zipped []byte) (string, *apiError) {
	if len(zipped) == 0 {
		return "", badParam("Code: ZipFile is required (this platform takes .zip packages only: no S3 location, no image)")
	}
	if len(zipped) > MaxZipBytes {
		return "", &apiError{status: http.StatusRequestEntityTooLarge, code: ErrCodeRequestTooLarge,
			msg: fmt.Sprintf("Request must be smaller than %d bytes for the CreateFunction operation", MaxZipBytes)}
	}
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil {
		return "", badParam("Could not unzip uploaded file. Please check your file, then try to upload again.")
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
	}
	if total > MaxUnzippedBytes {
		return "", badParam("Unzipped size must be smaller than %d bytes", MaxUnzippedBytes)
	}
	root, err := os.MkdirTemp(p.codeDir(), name+"-")
	if err != nil {
		return "", &apiError{status: http.StatusInternalServerError, code: ErrCodeServiceException, msg: err.Error()}
	}
	for _, f := range zr.File {
		if err := extract(root, f); err != nil {
			_ = os.RemoveAll(root)
			return "", badParam("Could not unzip uploaded file: %v", err)
		}
	}
	return root, nil
}

func extract(root string, f *zip.File) error {
	rel := filepath.Clean(filepath.FromSlash(f.Name))
	if filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("%s: path outside the package", f.Name)
	}
	dst := filepath.Join(root, rel)
	if f.FileInfo().IsDir() {
		return os.MkdirAll(dst, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	mode := f.Mode().Perm()
	if mode == 0 {
		mode = 0o644
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, io.LimitReader(rc, MaxUnzippedBytes)); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// codeDir is the folder holding the task roots of packaged functions.
func (p *Platform) codeDir() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.code == "" {
		if dir, err := os.MkdirTemp("", "benchctl-locallambda-code-"); err == nil {
			p.code = dir
		}
	}
	return p.code
}

func codeSHA(zipped []byte) string {
	sum := sha256.Sum256(zipped)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// handleCreateFunction serves CreateFunction for .zip packages of custom
// runtimes: the package is unpacked and its bootstrap is each instance's
// command. As on AWS the new function is Pending until it is ready (the
// SDK's FunctionActiveV2 waiter polls for Active).
func (p *Platform) handleCreateFunction(w http.ResponseWriter, r *http.Request) {
	var in struct {
		FunctionName     string
		Runtime          string
		Role             string
		Handler          string
		Description      string
		Timeout          *int
		MemorySize       *int
		Code             codeInput
		Environment      *environment
		Architectures    []string
		PackageType      string
		EphemeralStorage *struct{ Size int }
		Publish          bool
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 2*MaxZipBytes)).Decode(&in); err != nil {
		writeAPIError(w, badParam("could not parse request body: %v", err))
		return
	}
	switch {
	case !functionNameRe.MatchString(in.FunctionName):
		writeAPIError(w, badParam("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+", in.FunctionName))
		return
	case in.PackageType != "" && in.PackageType != "Zip":
		writeAPIError(w, badParam("PackageType %s: this platform runs .zip packages only", in.PackageType))
		return
	case !slices.Contains(customRuntimes, in.Runtime):
		writeAPIError(w, badParam("Runtime %q: this platform runs custom runtimes only (%s): a package with a bootstrap executable", in.Runtime, strings.Join(customRuntimes, ", ")))
		return
	case !roleARNRe.MatchString(in.Role):
		writeAPIError(w, badParam("1 validation error detected: Value '%s' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+", in.Role))
		return
	case in.Code.S3Bucket != nil || in.Code.ImageURI != nil:
		writeAPIError(w, badParam("Code: this platform takes ZipFile only (no S3Bucket, no ImageUri)"))
		return
	}
	arch, aerr := architectureOf(in.Architectures)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	if p.lookup(in.FunctionName) != nil {
		writeAPIError(w, &apiError{status: http.StatusConflict, code: ErrCodeResourceConflict, msg: "Function already exist: " + in.FunctionName})
		return
	}
	root, aerr := p.unpack(in.FunctionName, in.Code.ZipFile)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	cfg := scenarios.Function{Name: in.FunctionName, Command: []string{filepath.Join(root, "bootstrap")}, Architecture: arch}
	if in.MemorySize != nil {
		cfg.MemorySize = *in.MemorySize
	}
	if in.Timeout != nil {
		cfg.Timeout = time.Duration(*in.Timeout) * time.Second
	}
	if in.Environment != nil {
		cfg.Environment = in.Environment.Variables
	}
	if in.EphemeralStorage != nil {
		cfg.EphemeralStorageMB = in.EphemeralStorage.Size
	}
	cfg, err := normalize(cfg)
	if err != nil {
		_ = os.RemoveAll(root)
		writeAPIError(w, badParam("%v", err))
		return
	}
	handler := in.Handler
	if handler == "" {
		handler = "bootstrap"
	}
	fn := &function{name: cfg.Name, cfg: cfg, instances: map[*instance]struct{}{}, lastUpdateStatus: "Successful",
		lastModified: time.Now().UTC(), revision: uuid.NewString(), state: "Pending",
		pkg: &pkg{zip: in.Code.ZipFile, sha256: codeSHA(in.Code.ZipFile), taskRoot: root, runtime: in.Runtime, handler: handler,
			role: in.Role, desc: in.Description}}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		_ = os.RemoveAll(root)
		writeAPIError(w, &apiError{status: http.StatusServiceUnavailable, code: ErrCodeServiceException, msg: ErrClosed.Error()})
		return
	}
	if _, dup := p.fns[cfg.Name]; dup {
		p.mu.Unlock()
		_ = os.RemoveAll(root)
		writeAPIError(w, &apiError{status: http.StatusConflict, code: ErrCodeResourceConflict, msg: "Function already exist: " + cfg.Name})
		return
	}
	p.fns[cfg.Name] = fn
	p.mu.Unlock()
	fn.mu.Lock()
	fc := p.configuration(fn)
	fn.mu.Unlock()
	p.background(func() {
		fn.mu.Lock()
		fn.state = "Active"
		fn.mu.Unlock()
	})
	writeJSON(w, http.StatusCreated, fc)
}

func architectureOf(archs []string) (string, *apiError) {
	switch {
	case len(archs) == 0:
		return "x86_64", nil
	case len(archs) == 1 && (archs[0] == "x86_64" || archs[0] == "arm64"):
		return archs[0], nil
	default:
		return "", badParam("Architectures %v: want exactly one of [x86_64 arm64]", archs)
	}
}

// handleUpdateFunctionCode replaces a packaged function's code (and its
// architecture when given). As with UpdateFunctionConfiguration the
// update is InProgress until the existing instances are retired.
func (p *Platform) handleUpdateFunctionCode(w http.ResponseWriter, r *http.Request) {
	fn, aerr := p.resolve(r)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	var in codeInput
	if err := json.NewDecoder(io.LimitReader(r.Body, 2*MaxZipBytes)).Decode(&in); err != nil {
		writeAPIError(w, badParam("could not parse request body: %v", err))
		return
	}
	if in.S3Bucket != nil || in.ImageURI != nil {
		writeAPIError(w, badParam("this platform takes ZipFile only (no S3Bucket, no ImageUri)"))
		return
	}
	var arch string
	if in.Architectures != nil {
		if arch, aerr = architectureOf(in.Architectures); aerr != nil {
			writeAPIError(w, aerr)
			return
		}
	}
	fn.mu.Lock()
	isPkg := fn.pkg != nil
	blocked := p.updateBlockedLocked(fn, in.RevisionID)
	fn.mu.Unlock()
	switch {
	case !isPkg:
		writeAPIError(w, badParam("function %s runs a command of this machine (a scenario's functions block), not a package: its code cannot be replaced", fn.name))
		return
	case blocked != nil:
		writeAPIError(w, blocked)
		return
	}
	if in.DryRun {
		fn.mu.Lock()
		fc := p.configuration(fn)
		fn.mu.Unlock()
		writeJSON(w, http.StatusOK, fc)
		return
	}
	root, aerr := p.unpack(fn.name, in.ZipFile)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	fn.mu.Lock()
	old := fn.pkg.taskRoot
	np := *fn.pkg
	np.zip, np.sha256, np.taskRoot = in.ZipFile, codeSHA(in.ZipFile), root
	fn.pkg = &np
	fn.cfg.Command = []string{filepath.Join(root, "bootstrap")}
	if arch != "" {
		fn.cfg.Architecture = arch
	}
	retired := p.retireLocked(fn)
	fc := p.configuration(fn)
	fn.mu.Unlock()
	p.background(func() {
		for _, inst := range retired {
			inst.kill()
		}
		// Busy instances of the old code finish their invocation first.
		for !fn.oldGenerationGone() {
			time.Sleep(20 * time.Millisecond)
		}
		_ = os.RemoveAll(old)
		fn.mu.Lock()
		fn.lastUpdateStatus = "Successful"
		fn.mu.Unlock()
	})
	writeJSON(w, http.StatusOK, fc)
}

// retireLocked starts a new generation of fn: idle instances are
// returned for killing, busy ones end after their invocation (caller
// holds fn.mu).
func (p *Platform) retireLocked(fn *function) []*instance {
	fn.gen++
	fn.lastUpdateStatus = "InProgress"
	fn.lastModified = time.Now().UTC()
	fn.revision = uuid.NewString()
	retired := fn.idle
	fn.idle = nil
	for _, inst := range retired {
		delete(fn.instances, inst)
	}
	return retired
}

// oldGenerationGone reports whether every instance of fn runs the current
// generation.
func (fn *function) oldGenerationGone() bool {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	for inst := range fn.instances {
		if inst.gen != fn.gen {
			return false
		}
	}
	return true
}

// handleDeleteFunction removes a function: its instances are killed (an
// invocation in flight fails) and a package's task root is removed.
func (p *Platform) handleDeleteFunction(w http.ResponseWriter, r *http.Request) {
	fn, aerr := p.resolve(r)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	if q := r.URL.Query().Get("Qualifier"); q != "" && q != Version {
		writeAPIError(w, &apiError{status: http.StatusNotFound, code: ErrCodeResourceNotFound, msg: "Function not found: " + p.ARN(fn.name) + ":" + q})
		return
	}
	p.mu.Lock()
	delete(p.fns, fn.name)
	p.mu.Unlock()
	fn.mu.Lock()
	var all []*instance
	for inst := range fn.instances {
		all = append(all, inst)
	}
	fn.instances = map[*instance]struct{}{}
	fn.idle = nil
	var root string
	if fn.pkg != nil {
		root = fn.pkg.taskRoot
	}
	fn.mu.Unlock()
	p.background(func() {
		for _, inst := range all {
			inst.kill()
		}
		if root != "" {
			_ = os.RemoveAll(root)
		}
	})
	w.Header()["x-amzn-RequestId"] = []string{uuid.NewString()}
	w.WriteHeader(http.StatusNoContent)
}

// handleCodeDownload serves a packaged function's .zip at the Location
// GetFunction gives (a presigned URL on AWS).
func (p *Platform) handleCodeDownload(w http.ResponseWriter, r *http.Request) {
	fn := p.lookup(r.PathValue("name"))
	if fn == nil {
		http.Error(w, "NoSuchKey", http.StatusNotFound)
		return
	}
	fn.mu.Lock()
	var body []byte
	if fn.pkg != nil && fn.pkg.sha256 == r.URL.Query().Get("sha256") {
		body = fn.pkg.zip
	}
	fn.mu.Unlock()
	if body == nil {
		http.Error(w, "NoSuchKey", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	_, _ = w.Write(body)
}

// codeLocation is the URL GetFunction gives for a packaged function's code.
func codeLocation(r *http.Request, name, sha string) string {
	q := "sha256=" + strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(sha) + "&X-Amz-Signature=local"
	return "http://" + r.Host + "/benchctl-local/code/" + name + "?" + q
}

// handlePutEventInvokeConfig serves PutFunctionEventInvokeConfig (and
// Update…, which changes only the fields given). The platform keeps no
// event queue and never retries an asynchronous invocation (as
// MaximumRetryAttempts 0 does on AWS); the configuration is validated,
// kept and returned.
func (p *Platform) handlePutEventInvokeConfig(update bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		fn, aerr := p.resolve(r)
		if aerr != nil {
			writeAPIError(w, aerr)
			return
		}
		var in eventInvokeConfig
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil && !errors.Is(err, io.EOF) {
			writeAPIError(w, badParam("could not parse request body: %v", err))
			return
		}
		if n := in.MaximumRetryAttempts; n != nil && (*n < 0 || *n > 2) {
			writeAPIError(w, badParam("1 validation error detected: Value '%d' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2", *n))
			return
		}
		if n := in.MaximumEventAgeInSeconds; n != nil && (*n < 60 || *n > 21600) {
			writeAPIError(w, badParam("1 validation error detected: Value '%d' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 21600", *n))
			return
		}
		fn.mu.Lock()
		if update && fn.eventConfig != nil {
			merged := *fn.eventConfig
			if in.MaximumRetryAttempts != nil {
				merged.MaximumRetryAttempts = in.MaximumRetryAttempts
			}
			if in.MaximumEventAgeInSeconds != nil {
				merged.MaximumEventAgeInSeconds = in.MaximumEventAgeInSeconds
			}
			if in.DestinationConfig != nil {
				merged.DestinationConfig = in.DestinationConfig
			}
			in = merged
		}
		in.lastModified = time.Now()
		fn.eventConfig = &in
		out := p.eventConfigJSON(fn)
		fn.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
	}
}

func (p *Platform) eventConfigJSON(fn *function) map[string]any {
	c := fn.eventConfig
	out := map[string]any{"FunctionArn": p.ARN(fn.name) + ":" + Version,
		"LastModified": float64(c.lastModified.UnixMilli()) / 1000}
	if c.MaximumRetryAttempts != nil {
		out["MaximumRetryAttempts"] = *c.MaximumRetryAttempts
	}
	if c.MaximumEventAgeInSeconds != nil {
		out["MaximumEventAgeInSeconds"] = *c.MaximumEventAgeInSeconds
	}
	if c.DestinationConfig != nil {
		out["DestinationConfig"] = c.DestinationConfig
	}
	return out
}

func (p *Platform) handleGetEventInvokeConfig(w http.ResponseWriter, r *http.Request) {
	fn, aerr := p.resolve(r)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	fn.mu.Lock()
	defer fn.mu.Unlock()
	if fn.eventConfig == nil {
		writeAPIError(w, &apiError{status: http.StatusNotFound, code: ErrCodeResourceNotFound,
			msg: "The function " + p.ARN(fn.name) + " doesn't have an EventInvokeConfig"})
		return
	}
	writeJSON(w, http.StatusOK, p.eventConfigJSON(fn))
}

func (p *Platform) handleDeleteEventInvokeConfig(w http.ResponseWriter, r *http.Request) {
	fn, aerr := p.resolve(r)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	fn.mu.Lock()
	had := fn.eventConfig != nil
	fn.eventConfig = nil
	fn.mu.Unlock()
	if !had {
		writeAPIError(w, &apiError{status: http.StatusNotFound, code: ErrCodeResourceNotFound,
			msg: "The function " + p.ARN(fn.name) + " doesn't have an EventInvokeConfig"})
		return
	}
	w.Header()["x-amzn-RequestId"] = []string{uuid.NewString()}
	w.WriteHeader(http.StatusNoContent)
}
