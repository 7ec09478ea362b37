package lambdaengine

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// Lambda's package limits and the worker's runtime.
const (
	// MaxDirectZipBytes is the largest .zip CreateFunction and
	// UpdateFunctionCode take in the request (50 MB).
	MaxDirectZipBytes = 50 * 1024 * 1024
	// Runtime is the worker function's runtime: OS-only, the package's
	// bootstrap is the runtime (aws-lambda-go inside benchctl).
	Runtime = types.RuntimeProvidedal2023
	// BinaryName is benchctl's name inside the package.
	BinaryName = "benchctl"
	// bootstrapScript starts the worker from the package.
	bootstrapScript = "#!/bin/sh\nexec \"$LAMBDA_TASK_ROOT/" + BinaryName + "\" worker\n"
)

// Architecture is the Lambda architecture that runs binaries built for
// goarch (amd64 → x86_64, arm64 → arm64); false for the others.
func Architecture(goarch string) (string, bool) {
	switch goarch {
	case "amd64":
		return string(types.ArchitectureX8664), true
	case "arm64":
		return string(types.ArchitectureArm64), true
	}
	return "", false
}

// PackageBinary builds the worker package from a Linux benchctl binary:
// a .zip with the binary and a bootstrap that runs `benchctl worker`,
// both executable.
func PackageBinary(exe string) ([]byte, error) {
	bin, err := os.ReadFile(exe)
	if err != nil {
		return nil, fmt.Errorf("worker package: %w", err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	for _, f := range []struct {
		name string
		body []byte
	}{{"bootstrap", []byte(bootstrapScript)}, {BinaryName, bin}} {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate}
		h.SetMode(0o755)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, fmt.Errorf("worker package: %w", err)
		}
		if _, err := w.Write(f.body); err != nil {
			return nil, fmt.Errorf("worker package: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("worker package: %w", err)
	}
	return b.Bytes(), CheckPackage(b.Bytes())
}

// CheckPackage checks a worker package before it is uploaded: a .zip of
// at most MaxDirectZipBytes with an executable bootstrap at its root.
func CheckPackage(pkg []byte) error {
	if len(pkg) > MaxDirectZipBytes {
		return fmt.Errorf("worker package: %.1f MB zipped, Lambda takes at most 50 MB in the request: build benchctl with -ldflags='-s -w' (see docs/distributed.md)", float64(len(pkg))/(1<<20))
	}
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		return fmt.Errorf("worker package: not a .zip: %w", err)
	}
	for _, f := range zr.File {
		if f.Name == "bootstrap" {
			if f.Mode().Perm()&0o111 == 0 {
				return errors.New("worker package: bootstrap is not executable (zip it with its mode: chmod +x bootstrap)")
			}
			return nil
		}
	}
	return errors.New("worker package: no bootstrap at the .zip's root (the custom runtime starts it; see docs/distributed.md)")
}

// DeployOptions says what worker function Deploy makes.
type DeployOptions struct {
	// Package is the .zip (PackageBinary, or the user's), Architecture
	// its architecture (x86_64, arm64).
	Package      []byte
	Architecture string
	// Role is the execution role of a function Deploy creates (needed only
	// when a region has none).
	Role string
	// MemoryMB is the function's memory; Environment, when not nil, its
	// environment (else a created function has none and an existing one
	// keeps its own).
	MemoryMB    int
	Environment map[string]string
	// RunID is written into a created function's description.
	RunID string
	// Log receives one line per region saying what was done.
	Log io.Writer
}

// deployment is what Deploy did in one region, and how to undo it.
type deployment struct {
	region string
	// created: Deploy made the function (Close deletes it); else, when
	// restore is set, Deploy changed an existing one (Close puts back its
	// code and configuration); neither: left as found.
	created bool
	restore *original
}

// original is a pre-existing function's code and configuration.
type original struct {
	zip         []byte
	arch        []types.Architecture
	memory      int32
	timeout     int32
	env         map[string]string
	codeChanged bool
}

// waiter delays: the local platform answers within milliseconds, AWS in
// seconds.
func waitOpts[T any](set func(*T, time.Duration, time.Duration)) func(*T) {
	return func(o *T) { set(o, 200*time.Millisecond, 5*time.Second) }
}

const waitBound = 5 * time.Minute

// Deploy makes sure every region of the engine has the worker function at
// this package, memory and timeout, before any invocation:
//
//   - a region without the function gets it (CreateFunction, provided.al2023,
//     handler bootstrap, the package's architecture), waited for until
//     Active, with an event invoke configuration of MaximumRetryAttempts 0
//     and the shortest event age (no retry should anyone invoke it
//     asynchronously; benchctl invokes synchronously). Close deletes it;
//   - an existing function with the same code (CodeSha256), architecture,
//     memory and timeout is left as found and used as it is;
//   - an existing benchctl-style function (a provided.* zip function) with
//     other code or settings is updated for the run (UpdateFunctionCode,
//     UpdateFunctionConfiguration) after its package is downloaded from
//     GetFunction's code location, and Close updates it back to that
//     package and its own memory, timeout and environment. One whose
//     package cannot be read back, or that is not a custom-runtime zip
//     function, is refused, never overwritten.
//
// What was done in each region is recorded as it happens, so Close undoes
// a Deploy that failed half-way too.
func (e *Engine) Deploy(ctx context.Context, o DeployOptions) error {
	if err := CheckPackage(o.Package); err != nil {
		return err
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	sum := sha256.Sum256(o.Package)
	sha := base64.StdEncoding.EncodeToString(sum[:])
	regions := slices.Sorted(maps.Keys(e.clients))
	for _, r := range regions {
		if err := e.deployRegion(ctx, r, o, sha); err != nil {
			return fmt.Errorf("lambda engine: deploy %s in %s: %w", e.o.Function, r, err)
		}
	}
	return nil
}

func (e *Engine) deployRegion(ctx context.Context, region string, o DeployOptions, sha string) error {
	c := e.clients[region]
	name := aws.String(e.o.Function)
	mem, timeout := int32(o.MemoryMB), int32((e.o.Timeout+time.Second-1)/time.Second)
	arch := []types.Architecture{types.Architecture(o.Architecture)}
	cur, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: name})
	var nf *types.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		if o.Role == "" {
			return errors.New("the function does not exist and no execution role was given to create it (distributed.role: an IAM role ARN; see docs/distributed.md for its permissions)")
		}
		in := &lambda.CreateFunctionInput{FunctionName: name, Runtime: Runtime, Handler: aws.String("bootstrap"),
			Role: aws.String(o.Role), Code: &types.FunctionCode{ZipFile: o.Package}, Architectures: arch,
			MemorySize: aws.Int32(mem), Timeout: aws.Int32(timeout), PackageType: types.PackageTypeZip,
			Description: aws.String(fmt.Sprintf("benchctl worker for run %s (created by benchctl run, deleted after it)", o.RunID)),
			Tags:        map[string]string{"benchctl:run": o.RunID}}
		if o.Environment != nil {
			in.Environment = &types.Environment{Variables: o.Environment}
		}
		if _, err := c.CreateFunction(ctx, in); err != nil {
			return fmt.Errorf("create: %w", err)
		}
		e.deployed = append(e.deployed, deployment{region: region, created: true})
		if err := lambda.NewFunctionActiveV2Waiter(c, waitOpts(func(w *lambda.FunctionActiveV2WaiterOptions, lo, hi time.Duration) { w.MinDelay, w.MaxDelay = lo, hi })).
			Wait(ctx, &lambda.GetFunctionInput{FunctionName: name}, waitBound); err != nil {
			return fmt.Errorf("wait for the new function: %w", err)
		}
		if _, err := c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: name,
			MaximumRetryAttempts: aws.Int32(0), MaximumEventAgeInSeconds: aws.Int32(60)}); err != nil {
			return fmt.Errorf("turn asynchronous retries off: %w", err)
		}
		fmt.Fprintf(o.Log, "benchctl: %s: created worker function %s (%s, %d MB, %d s timeout); deleted after the run\n", region, e.o.Function, o.Architecture, mem, timeout)
		return nil
	case err != nil:
		return fmt.Errorf("get: %w", err)
	}
	cfg := cur.Configuration
	if why := foreign(cfg); why != "" {
		return fmt.Errorf("a function of that name exists and is not a benchctl worker (%s): it is left alone; name another distributed.function", why)
	}
	sameCode := aws.ToString(cfg.CodeSha256) == sha && slices.Equal(cfg.Architectures, arch)
	var env map[string]string
	if cfg.Environment != nil {
		env = cfg.Environment.Variables
	}
	sameCfg := aws.ToInt32(cfg.MemorySize) == mem && aws.ToInt32(cfg.Timeout) == timeout && (o.Environment == nil || maps.Equal(env, o.Environment))
	if sameCode && sameCfg {
		fmt.Fprintf(o.Log, "benchctl: %s: worker function %s already has this package and settings: used as found, left as found\n", region, e.o.Function)
		return nil
	}
	orig := &original{arch: cfg.Architectures, memory: aws.ToInt32(cfg.MemorySize), timeout: aws.ToInt32(cfg.Timeout), env: env, codeChanged: !sameCode}
	if !sameCode {
		if cur.Code == nil || aws.ToString(cur.Code.Location) == "" {
			return errors.New("it exists with other code, and GetFunction gave no code location to restore it from afterwards: delete it or name another distributed.function")
		}
		if orig.zip, err = download(ctx, aws.ToString(cur.Code.Location)); err != nil {
			return fmt.Errorf("it exists with other code, which could not be saved to restore it afterwards (%w): delete it or name another distributed.function", err)
		}
	}
	e.deployed = append(e.deployed, deployment{region: region, restore: orig})
	if !sameCode {
		if _, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: name, ZipFile: o.Package, Architectures: arch}); err != nil {
			return fmt.Errorf("update code: %w", err)
		}
		if err := waitUpdated(ctx, c, name); err != nil {
			return err
		}
	}
	if !sameCfg {
		in := &lambda.UpdateFunctionConfigurationInput{FunctionName: name, MemorySize: aws.Int32(mem), Timeout: aws.Int32(timeout)}
		if o.Environment != nil {
			in.Environment = &types.Environment{Variables: o.Environment}
		}
		if _, err := c.UpdateFunctionConfiguration(ctx, in); err != nil {
			return fmt.Errorf("update configuration: %w", err)
		}
		if err := waitUpdated(ctx, c, name); err != nil {
			return err
		}
	}
	fmt.Fprintf(o.Log, "benchctl: %s: updated the existing worker function %s for the run (code %v, memory %d→%d MB, timeout %d→%d s); updated back to its own code and settings after the run\n",
		region, e.o.Function, map[bool]string{true: "replaced", false: "unchanged"}[!sameCode], orig.memory, mem, orig.timeout, timeout)
	return nil
}

// foreign says why an existing function is not one Deploy may update
// ("" when it may): benchctl workers are .zip functions of a custom
// runtime with handler bootstrap.
func foreign(cfg *types.FunctionConfiguration) string {
	if cfg == nil {
		return "no configuration"
	}
	if cfg.PackageType == types.PackageTypeImage {
		return "a container image function"
	}
	if rt := string(cfg.Runtime); !strings.HasPrefix(rt, "provided") {
		return "runtime " + rt
	}
	return ""
}

func waitUpdated(ctx context.Context, c *lambda.Client, name *string) error {
	err := lambda.NewFunctionUpdatedV2Waiter(c, waitOpts(func(w *lambda.FunctionUpdatedV2WaiterOptions, lo, hi time.Duration) { w.MinDelay, w.MaxDelay = lo, hi })).
		Wait(ctx, &lambda.GetFunctionInput{FunctionName: name}, waitBound)
	if err != nil {
		return fmt.Errorf("wait for the update: %w", err)
	}
	return nil
}

// download reads a function's package from its code location (a
// presigned URL, valid for 10 minutes).
func download(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("code location answered %s", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxDirectZipBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxDirectZipBytes {
		return nil, errors.New("its package is over 50 MB: it could not be uploaded back in a request")
	}
	return b, nil
}

// undeploy undoes Deploy, newest first: created functions are deleted,
// updated ones get their own package and settings back.
func (e *Engine) undeploy(ctx context.Context) error {
	var errs []error
	for i := len(e.deployed) - 1; i >= 0; i-- {
		d := e.deployed[i]
		c, name := e.clients[d.region], aws.String(e.o.Function)
		switch {
		case d.created:
			if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: name}); err != nil {
				var nf *types.ResourceNotFoundException
				if !errors.As(err, &nf) {
					errs = append(errs, fmt.Errorf("%s: delete the worker function %s: %w", d.region, e.o.Function, err))
				}
			}
		case d.restore != nil:
			if err := e.restore(ctx, c, name, d.restore); err != nil {
				errs = append(errs, fmt.Errorf("%s: update %s back: %w", d.region, e.o.Function, err))
			}
		}
	}
	e.deployed = nil
	return errors.Join(errs...)
}

func (e *Engine) restore(ctx context.Context, c *lambda.Client, name *string, o *original) error {
	if err := waitUpdated(ctx, c, name); err != nil {
		return err
	}
	if o.codeChanged {
		if _, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: name, ZipFile: o.zip, Architectures: o.arch}); err != nil {
			return err
		}
		if err := waitUpdated(ctx, c, name); err != nil {
			return err
		}
	}
	env := o.env
	if env == nil {
		env = map[string]string{}
	}
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: name,
		MemorySize: aws.Int32(o.memory), Timeout: aws.Int32(o.timeout), Environment: &types.Environment{Variables: env}}); err != nil {
		return err
	}
	return waitUpdated(ctx, c, name)
}
