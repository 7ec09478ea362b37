package locallambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// AWS error codes the control API answers with (X-Amzn-ErrorType).
const (
	ErrCodeResourceNotFound      = "ResourceNotFoundException"
	ErrCodeInvalidParameterValue = "InvalidParameterValueException"
	ErrCodeTooManyRequests       = "TooManyRequestsException"
	ErrCodeRequestTooLarge       = "RequestTooLargeException"
	ErrCodeResourceConflict      = "ResourceConflictException"
	ErrCodeMissingAuthToken      = "MissingAuthenticationTokenException"
	ErrCodeIncompleteSignature   = "IncompleteSignatureException"
	ErrCodeUnknownOperation      = "UnknownOperationException"
	ErrCodeServiceException      = "ServiceException"
	ErrCodeInvalidRequestContent = "InvalidRequestContentException"
)

// invalidJSONReason says where a payload stops being JSON, as AWS's
// "Could not parse request body into json" message does.
func invalidJSONReason(payload []byte) string {
	var v any
	err := json.Unmarshal(payload, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v at byte %d", se, se.Offset)
	}
	if err != nil {
		return err.Error()
	}
	return "not a single JSON value"
}

// ThrottleReasonReserved is the Reason of a 429 caused by reserved concurrency.
const ThrottleReasonReserved = "ReservedFunctionConcurrentInvocationLimitExceeded"

// apiError is an AWS REST-JSON error: status, X-Amzn-ErrorType and body
// {"Type":"User","message":..., "Reason":...}.
type apiError struct {
	status int
	code   string
	msg    string
	reason string
}

// Error returns "Code: message".
func (e *apiError) Error() string { return e.code + ": " + e.msg }

// apiHandler serves the Lambda control/invoke API subset.
func (p *Platform) apiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", p.handleInvoke)
	mux.HandleFunc("GET /2015-03-31/functions/{name}/configuration", p.handleGetConfiguration)
	mux.HandleFunc("PUT /2015-03-31/functions/{name}/configuration", p.handleUpdateConfiguration)
	mux.HandleFunc("GET /2015-03-31/functions/{name}", p.handleGetFunction)
	mux.HandleFunc("GET /2015-03-31/functions", p.handleListFunctions)
	mux.HandleFunc("GET /2015-03-31/functions/{$}", p.handleListFunctions)
	mux.HandleFunc("PUT /2017-10-31/functions/{name}/concurrency", p.handlePutConcurrency)
	mux.HandleFunc("DELETE /2017-10-31/functions/{name}/concurrency", p.handleDeleteConcurrency)
	mux.HandleFunc("GET /2019-09-30/functions/{name}/concurrency", p.handleGetConcurrency)
	mux.HandleFunc("POST /2015-03-31/functions", p.handleCreateFunction)
	mux.HandleFunc("POST /2015-03-31/functions/{$}", p.handleCreateFunction)
	mux.HandleFunc("PUT /2015-03-31/functions/{name}/code", p.handleUpdateFunctionCode)
	mux.HandleFunc("DELETE /2015-03-31/functions/{name}", p.handleDeleteFunction)
	mux.HandleFunc("PUT /2019-09-25/functions/{name}/event-invoke-config", p.handlePutEventInvokeConfig(false))
	mux.HandleFunc("POST /2019-09-25/functions/{name}/event-invoke-config", p.handlePutEventInvokeConfig(true))
	mux.HandleFunc("GET /2019-09-25/functions/{name}/event-invoke-config", p.handleGetEventInvokeConfig)
	mux.HandleFunc("DELETE /2019-09-25/functions/{name}/event-invoke-config", p.handleDeleteEventInvokeConfig)
	mux.HandleFunc("GET /benchctl-local/code/{name}", p.handleCodeDownload)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeAPIError(w, &apiError{status: http.StatusNotFound, code: ErrCodeUnknownOperation, msg: "Unknown operation " + r.Method + " " + r.URL.Path})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.cfg.invokeOnly && !(r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/invocations")) {
			http.NotFound(w, r) // "404 page not found", text/plain, like the emulator
			return
		}
		if err := checkSigV4(r); err != nil {
			writeAPIError(w, err)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// checkSigV4 refuses requests without a well-formed SigV4 Authorization
// header, as AWS does. Any credentials are accepted; the signature itself
// is not verified (there is no secret to verify it against).
func checkSigV4(r *http.Request) *apiError {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		if r.URL.Query().Get("X-Amz-Signature") != "" {
			return nil // presigned URL
		}
		return &apiError{status: http.StatusForbidden, code: ErrCodeMissingAuthToken, msg: "Missing Authentication Token"}
	}
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return &apiError{status: http.StatusForbidden, code: ErrCodeIncompleteSignature,
			msg: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header, and a AWS4-HMAC-SHA256 signature. Authorization=" + auth}
	}
	for _, part := range []string{"Credential=", "SignedHeaders=", "Signature="} {
		if !strings.Contains(rest, part) {
			return &apiError{status: http.StatusForbidden, code: ErrCodeIncompleteSignature,
				msg: "Authorization header requires '" + strings.TrimSuffix(part, "=") + "' parameter. Authorization=" + auth}
		}
	}
	if r.Header.Get("X-Amz-Date") == "" && r.Header.Get("Date") == "" {
		return &apiError{status: http.StatusForbidden, code: ErrCodeIncompleteSignature,
			msg: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + auth}
	}
	return nil
}

// writeAPIError writes e in AWS's REST-JSON error shape.
func writeAPIError(w http.ResponseWriter, e *apiError) {
	body := map[string]string{"Type": "User", "message": e.msg}
	if e.status >= 500 {
		body["Type"] = "Service"
	}
	if e.reason != "" {
		body["Reason"] = e.reason
	}
	h := w.Header()
	h["x-amzn-RequestId"] = []string{uuid.NewString()}
	h["x-amzn-ErrorType"] = []string{e.code}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(body)
}

// writeJSON writes a 2xx JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h["x-amzn-RequestId"] = []string{uuid.NewString()}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// resolve maps a FunctionName path value (name, name:qualifier, or a full
// or partial ARN) and the Qualifier query parameter to a function.
func (p *Platform) resolve(r *http.Request) (*function, *apiError) {
	raw := r.PathValue("name")
	name, qual := raw, r.URL.Query().Get("Qualifier")
	if i := strings.Index(name, ":function:"); i >= 0 {
		name = name[i+len(":function:"):]
	}
	if n, q, ok := strings.Cut(name, ":"); ok {
		name = n
		if qual == "" {
			qual = q
		}
	}
	f := p.lookup(name)
	if f == nil || (qual != "" && qual != Version) {
		arn := p.ARN(name)
		if qual != "" {
			arn += ":" + qual
		}
		return nil, &apiError{status: http.StatusNotFound, code: ErrCodeResourceNotFound, msg: "Function not found: " + arn}
	}
	return f, nil
}

// handleInvoke serves Invoke (RequestResponse, Event and DryRun).
func (p *Platform) handleInvoke(w http.ResponseWriter, r *http.Request) {
	fn, aerr := p.resolve(r)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	tooLarge := &apiError{status: http.StatusRequestEntityTooLarge, code: ErrCodeRequestTooLarge,
		msg: fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", MaxPayloadBytes)}
	if r.ContentLength > MaxPayloadBytes {
		writeAPIError(w, tooLarge)
		return
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, MaxPayloadBytes+1))
	if err != nil {
		writeAPIError(w, &apiError{status: http.StatusBadRequest, code: ErrCodeInvalidParameterValue, msg: "reading the request body: " + err.Error()})
		return
	}
	if len(payload) > MaxPayloadBytes {
		writeAPIError(w, tooLarge)
		return
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	if !json.Valid(payload) {
		// As AWS: the payload must be JSON; nothing runs, nothing is billed.
		writeAPIError(w, &apiError{status: http.StatusBadRequest, code: ErrCodeInvalidRequestContent,
			msg: "Could not parse request body into json: " + invalidJSONReason(payload)})
		return
	}
	var clientCtx string
	if cc := r.Header.Get("X-Amz-Client-Context"); cc != "" {
		b, err := base64.StdEncoding.DecodeString(cc)
		if err != nil {
			writeAPIError(w, &apiError{status: http.StatusBadRequest, code: ErrCodeInvalidParameterValue, msg: "Client context must be a valid Base64-encoded JSON object."})
			return
		}
		clientCtx = string(b)
	}
	logType := r.Header.Get("X-Amz-Log-Type")
	if logType != "" && logType != "None" && logType != "Tail" {
		writeAPIError(w, &apiError{status: http.StatusBadRequest, code: ErrCodeInvalidParameterValue,
			msg: "1 validation error detected: Value '" + logType + "' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [None, Tail]"})
		return
	}
	switch typ := r.Header.Get("X-Amz-Invocation-Type"); typ {
	case "", "RequestResponse":
	case "DryRun":
		w.Header()["x-amzn-RequestId"] = []string{uuid.NewString()}
		w.WriteHeader(http.StatusNoContent)
		return
	case "Event":
		p.background(func() {
			if _, err := p.invoke(context.Background(), fn, payload, clientCtx); errors.Is(err, errThrottled) {
				p.logLines(fn.name, "asynchronous invocation dropped: throttled (the platform keeps no event queue)\n")
			}
		})
		w.Header()["x-amzn-RequestId"] = []string{uuid.NewString()}
		w.WriteHeader(http.StatusAccepted)
		return
	default:
		writeAPIError(w, &apiError{status: http.StatusBadRequest, code: ErrCodeInvalidParameterValue,
			msg: "1 validation error detected: Value '" + typ + "' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"})
		return
	}
	out, err := p.invoke(r.Context(), fn, payload, clientCtx)
	switch {
	case errors.Is(err, errThrottled):
		writeAPIError(w, &apiError{status: http.StatusTooManyRequests, code: ErrCodeTooManyRequests, msg: "Rate Exceeded.", reason: ThrottleReasonReserved})
		return
	case err != nil:
		writeAPIError(w, &apiError{status: http.StatusServiceUnavailable, code: ErrCodeServiceException, msg: err.Error()})
		return
	}
	h := w.Header()
	h["x-amzn-RequestId"] = []string{out.requestID}
	h["X-Amz-Executed-Version"] = []string{Version}
	if out.fnError != "" {
		h["X-Amz-Function-Error"] = []string{out.fnError}
	}
	if logType == "Tail" && !p.cfg.noLogTail {
		tail := out.log
		if len(tail) > LogTailBytes {
			tail = tail[len(tail)-LogTailBytes:]
		}
		h["X-Amz-Log-Result"] = []string{base64.StdEncoding.EncodeToString([]byte(tail))}
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", fmt.Sprint(len(out.payload)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out.payload)
}

// functionConfiguration is the FunctionConfiguration shape of the API.
type functionConfiguration struct {
	FunctionName     string            `json:"FunctionName"`
	FunctionArn      string            `json:"FunctionArn"`
	Runtime          string            `json:"Runtime"`
	Role             string            `json:"Role"`
	Handler          string            `json:"Handler"`
	CodeSize         int64             `json:"CodeSize"`
	Description      string            `json:"Description"`
	Timeout          int               `json:"Timeout"`
	MemorySize       int               `json:"MemorySize"`
	LastModified     string            `json:"LastModified"`
	CodeSha256       string            `json:"CodeSha256"`
	Version          string            `json:"Version"`
	Environment      *environment      `json:"Environment,omitempty"`
	RevisionID       string            `json:"RevisionId"`
	State            string            `json:"State"`
	LastUpdateStatus string            `json:"LastUpdateStatus"`
	PackageType      string            `json:"PackageType"`
	Architectures    []string          `json:"Architectures"`
	EphemeralStorage map[string]int    `json:"EphemeralStorage"`
	LoggingConfig    map[string]string `json:"LoggingConfig"`
}

type environment struct {
	Variables map[string]string `json:"Variables"`
}

// configuration renders fn's configuration (caller holds fn.mu).
func (p *Platform) configuration(fn *function) functionConfiguration {
	c := fn.cfg
	fc := functionConfiguration{
		FunctionName: c.Name, FunctionArn: p.ARN(c.Name), Runtime: "provided.al2023",
		Role: "arn:aws:iam::" + AccountID + ":role/benchctl-local", Handler: "bootstrap",
		Description: "benchctl local function: " + strings.Join(c.Command, " "),
		Timeout:     timeoutSeconds(c.Timeout), MemorySize: c.MemorySize,
		LastModified: fn.lastModified.Format("2006-01-02T15:04:05.000-0700"),
		CodeSha256:   "", Version: Version, RevisionID: fn.revision, State: "Active",
		LastUpdateStatus: fn.lastUpdateStatus, PackageType: "Zip", Architectures: []string{c.Architecture},
		EphemeralStorage: map[string]int{"Size": c.EphemeralStorageMB},
		LoggingConfig:    map[string]string{"LogFormat": "Text", "LogGroup": "/aws/lambda/" + c.Name},
	}
	if fn.state != "" {
		fc.State = fn.state
	}
	if k := fn.pkg; k != nil {
		fc.Runtime, fc.Handler, fc.Role, fc.Description = k.runtime, k.handler, k.role, k.desc
		fc.CodeSha256, fc.CodeSize = k.sha256, int64(len(k.zip))
	}
	if len(c.Environment) > 0 {
		fc.Environment = &environment{Variables: c.Environment}
	}
	return fc
}

func (p *Platform) handleGetConfiguration(w http.ResponseWriter, r *http.Request) {
	fn, aerr := p.resolve(r)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	fn.mu.Lock()
	fc := p.configuration(fn)
	fn.mu.Unlock()
	writeJSON(w, http.StatusOK, fc)
}

func (p *Platform) handleGetFunction(w http.ResponseWriter, r *http.Request) {
	fn, aerr := p.resolve(r)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	fn.mu.Lock()
	out := map[string]any{
		"Configuration": p.configuration(fn),
		"Code":          map[string]string{"RepositoryType": "Local", "Location": "file://" + strings.Join(fn.cfg.Command, " ")},
		"Tags":          map[string]string{},
	}
	if fn.pkg != nil {
		out["Code"] = map[string]string{"RepositoryType": "S3", "Location": codeLocation(r, fn.name, fn.pkg.sha256)}
	}
	if fn.reserved != nil {
		out["Concurrency"] = map[string]int{"ReservedConcurrentExecutions": *fn.reserved}
	}
	fn.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (p *Platform) handleListFunctions(w http.ResponseWriter, r *http.Request) {
	var list []functionConfiguration
	for _, name := range p.Functions() {
		fn := p.lookup(name)
		fn.mu.Lock()
		list = append(list, p.configuration(fn))
		fn.mu.Unlock()
	}
	sort.Slice(list, func(i, j int) bool { return list[i].FunctionName < list[j].FunctionName })
	if list == nil {
		list = []functionConfiguration{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"Functions": list})
}

// handleUpdateConfiguration applies MemorySize, Timeout and Environment.
// As on AWS, LastUpdateStatus is InProgress in the response and becomes
// Successful once the existing instances are retired (idle ones at once,
// busy ones when their invocation ends); the next invocation is cold.
func (p *Platform) handleUpdateConfiguration(w http.ResponseWriter, r *http.Request) {
	fn, aerr := p.resolve(r)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	var in struct {
		MemorySize  *int         `json:"MemorySize"`
		Timeout     *int         `json:"Timeout"`
		Environment *environment `json:"Environment"`
		RevisionID  *string      `json:"RevisionId"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil && !errors.Is(err, io.EOF) {
		writeAPIError(w, &apiError{status: http.StatusBadRequest, code: ErrCodeInvalidParameterValue, msg: "could not parse request body: " + err.Error()})
		return
	}
	if in.MemorySize != nil && (*in.MemorySize < MinMemorySize || *in.MemorySize > MaxMemorySize) {
		writeAPIError(w, &apiError{status: http.StatusBadRequest, code: ErrCodeInvalidParameterValue,
			msg: fmt.Sprintf("'MemorySize' value failed to satisfy constraint: Member must have value between %d and %d (got %d)", MinMemorySize, MaxMemorySize, *in.MemorySize)})
		return
	}
	if in.Timeout != nil && (*in.Timeout < 1 || *in.Timeout > int(MaxTimeout/time.Second)) {
		writeAPIError(w, &apiError{status: http.StatusBadRequest, code: ErrCodeInvalidParameterValue,
			msg: fmt.Sprintf("'Timeout' value failed to satisfy constraint: Member must have value between 1 and 900 (got %d)", *in.Timeout)})
		return
	}
	fn.mu.Lock()
	if aerr := p.updateBlockedLocked(fn, in.RevisionID); aerr != nil {
		fn.mu.Unlock()
		writeAPIError(w, aerr)
		return
	}
	if in.MemorySize != nil {
		fn.cfg.MemorySize = *in.MemorySize
	}
	if in.Timeout != nil {
		fn.cfg.Timeout = time.Duration(*in.Timeout) * time.Second
	}
	if in.Environment != nil {
		env := make(map[string]string, len(in.Environment.Variables))
		for k, v := range in.Environment.Variables {
			env[k] = v
		}
		fn.cfg.Environment = env
	}
	retired := p.retireLocked(fn)
	fc := p.configuration(fn)
	fn.mu.Unlock()
	p.background(func() {
		for _, inst := range retired {
			inst.kill()
		}
		fn.mu.Lock()
		fn.lastUpdateStatus = "Successful"
		fn.mu.Unlock()
	})
	writeJSON(w, http.StatusOK, fc)
}

func (p *Platform) handlePutConcurrency(w http.ResponseWriter, r *http.Request) {
	fn, aerr := p.resolve(r)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	var in struct {
		ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil || in.ReservedConcurrentExecutions == nil {
		writeAPIError(w, &apiError{status: http.StatusBadRequest, code: ErrCodeInvalidParameterValue, msg: "ReservedConcurrentExecutions is required"})
		return
	}
	n := *in.ReservedConcurrentExecutions
	if n < 0 || n > p.cfg.accountConcurrency {
		writeAPIError(w, &apiError{status: http.StatusBadRequest, code: ErrCodeInvalidParameterValue,
			msg: fmt.Sprintf("ReservedConcurrentExecutions %d is outside 0–%d", n, p.cfg.accountConcurrency)})
		return
	}
	fn.mu.Lock()
	fn.reserved = &n
	fn.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]int{"ReservedConcurrentExecutions": n})
}

func (p *Platform) handleGetConcurrency(w http.ResponseWriter, r *http.Request) {
	fn, aerr := p.resolve(r)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	fn.mu.Lock()
	out := map[string]int{}
	if fn.reserved != nil {
		out["ReservedConcurrentExecutions"] = *fn.reserved
	}
	fn.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (p *Platform) handleDeleteConcurrency(w http.ResponseWriter, r *http.Request) {
	fn, aerr := p.resolve(r)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	fn.mu.Lock()
	fn.reserved = nil
	fn.mu.Unlock()
	w.Header()["x-amzn-RequestId"] = []string{uuid.NewString()}
	w.WriteHeader(http.StatusNoContent)
}

// updateBlockedLocked refuses an update while another is in progress or
// when the caller's RevisionId is not the function's (caller holds fn.mu).
func (p *Platform) updateBlockedLocked(fn *function, revision *string) *apiError {
	if fn.lastUpdateStatus == "InProgress" {
		return &apiError{status: http.StatusConflict, code: ErrCodeResourceConflict,
			msg: "The operation cannot be performed at this time. An update is in progress for resource: " + p.ARN(fn.name)}
	}
	if revision != nil && *revision != fn.revision {
		return &apiError{status: http.StatusPreconditionFailed, code: "PreconditionFailedException",
			msg: "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"}
	}
	return nil
}
