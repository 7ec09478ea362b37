package loadgen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/benchctl/benchctl/lambdareport"
	"github.com/benchctl/benchctl/scenarios"
)

const (
	fakeAKID   = "AKIDFAKE"
	fakeSecret = "fake-secret-key"
)

// fakeFn is one function of fakeLambda. Instances are modelled as a pool
// of idle instances of the current configuration generation: an invoke
// takes an idle one (warm) or starts one (cold); a configuration update
// retires them all.
type fakeFn struct {
	name    string
	mode    string // ok, unhandled, handled, throttle, garbage, nolog, timeout, json
	memory  int
	env     map[string]string
	pending int // GetFunctionConfiguration calls still answering InProgress
	idle    int
	started int
}

// fakeLambda is an httptest server speaking the subset of the Lambda API
// benchctl uses (Invoke with Tail, Get/UpdateFunctionConfiguration), which
// verifies every request's SigV4 signature by recomputing it with the SDK
// signer from the same static credentials.
type fakeLambda struct {
	srv         *httptest.Server
	mu          sync.Mutex
	fns         map[string]*fakeFn
	sigOK       int
	sigBad      int
	invokes     int
	updates     []map[string]any
	denyUpdate  bool
	failUpdate  int // the n-th update (1-based) answers 500 to every attempt
	pendingPoll int
	sleep       time.Duration
}

func newFakeLambda(t testing.TB, fns ...*fakeFn) *fakeLambda {
	t.Helper()
	f := &fakeLambda{fns: map[string]*fakeFn{}, pendingPoll: 1}
	for _, fn := range fns {
		if fn.memory == 0 {
			fn.memory = 1024
		}
		if fn.env == nil {
			fn.env = map[string]string{"KEEP": "1"}
		}
		f.fns[fn.name] = fn
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeLambda) fn(name string) *fakeFn {
	f.mu.Lock()
	defer f.mu.Unlock()
	cp := *f.fns[name]
	cp.env = maps.Clone(cp.env)
	return &cp
}

func (f *fakeLambda) counts() (ok, bad, invokes int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sigOK, f.sigBad, f.invokes
}

// verifySigV4 rebuilds r with only its signed headers, signs it again at
// its X-Amz-Date with the SDK signer and compares the Authorization.
func verifySigV4(r *http.Request, body []byte) error {
	auth := r.Header.Get("Authorization")
	_, after, ok := strings.Cut(auth, "SignedHeaders=")
	if !ok {
		return fmt.Errorf("no SignedHeaders in %q", auth)
	}
	signed, _, _ := strings.Cut(after, ",")
	ts, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return fmt.Errorf("x-amz-date: %w", err)
	}
	u := &url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	req2, err := http.NewRequest(r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req2.Header = http.Header{}
	for _, h := range strings.Split(signed, ";") {
		switch h {
		case "host":
			req2.Host = r.Host
		case "content-length":
			req2.ContentLength = r.ContentLength
		default:
			req2.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: fakeAKID, SecretAccessKey: fakeSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req2, hex.EncodeToString(sum[:]), "lambda", "us-east-1", ts); err != nil {
		return err
	}
	if got := req2.Header.Get("Authorization"); got != auth {
		return fmt.Errorf("signature mismatch:\n got %s\nwant %s", auth, got)
	}
	return nil
}

func writeAWSError(w http.ResponseWriter, code int, typ, msg string) {
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": msg})
}

func (f *fakeLambda) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := verifySigV4(r, body); err != nil {
		f.mu.Lock()
		f.sigBad++
		f.mu.Unlock()
		writeAWSError(w, http.StatusForbidden, "InvalidSignatureException", err.Error())
		return
	}
	f.mu.Lock()
	f.sigOK++
	f.mu.Unlock()
	rest, ok := strings.CutPrefix(r.URL.Path, "/2015-03-31/functions/")
	if !ok {
		writeAWSError(w, http.StatusNotFound, "UnknownOperationException", r.URL.Path)
		return
	}
	name, op, _ := strings.Cut(rest, "/")
	if i := strings.LastIndex(name, ":function:"); i >= 0 {
		name = name[i+len(":function:"):]
	}
	f.mu.Lock()
	fn := f.fns[name]
	f.mu.Unlock()
	if fn == nil {
		writeAWSError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
		return
	}
	switch {
	case op == "invocations" && r.Method == http.MethodPost:
		f.invoke(w, fn)
	case op == "configuration" && r.Method == http.MethodGet:
		f.mu.Lock()
		status := "Successful"
		if fn.pending > 0 {
			fn.pending--
			status = "InProgress"
		}
		cfg := f.configJSON(fn, status)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(cfg)
	case op == "configuration" && r.Method == http.MethodPut:
		var in struct {
			MemorySize  *int
			Environment *struct{ Variables map[string]string }
		}
		_ = json.Unmarshal(body, &in)
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.denyUpdate {
			writeAWSError(w, http.StatusForbidden, "AccessDeniedException", "User is not authorized to perform: lambda:UpdateFunctionConfiguration")
			return
		}
		var rec map[string]any
		_ = json.Unmarshal(body, &rec)
		f.updates = append(f.updates, rec)
		if f.failUpdate > 0 && len(f.updates) >= f.failUpdate && len(f.updates) < f.failUpdate+DefaultControlMaxAttempts {
			writeAWSError(w, http.StatusInternalServerError, "ServiceException", "injected failure")
			return
		}
		if in.MemorySize != nil {
			fn.memory = *in.MemorySize
		}
		if in.Environment != nil {
			fn.env = maps.Clone(in.Environment.Variables)
		}
		fn.idle = 0 // retire instances
		fn.pending = f.pendingPoll
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(f.configJSON(fn, "InProgress"))
	default:
		writeAWSError(w, http.StatusBadRequest, "InvalidParameterValueException", r.Method+" "+op)
	}
}

func (f *fakeLambda) configJSON(fn *fakeFn, status string) []byte {
	b, _ := json.Marshal(map[string]any{
		"FunctionName": fn.name, "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:" + fn.name,
		"MemorySize": fn.memory, "Timeout": 3, "Version": "$LATEST", "LastUpdateStatus": status,
		"Environment": map[string]any{"Variables": fn.env},
	})
	return b
}

func (f *fakeLambda) invoke(w http.ResponseWriter, fn *fakeFn) {
	f.mu.Lock()
	f.invokes++
	n := f.invokes
	if fn.mode == "denied" {
		f.mu.Unlock()
		writeAWSError(w, http.StatusForbidden, "AccessDeniedException", "User is not authorized to perform: lambda:InvokeFunction")
		return
	}
	if fn.mode == "throttle" {
		f.mu.Unlock()
		writeAWSError(w, http.StatusTooManyRequests, "TooManyRequestsException", "Rate Exceeded.")
		return
	}
	cold := fn.idle == 0
	if cold {
		fn.started++
	} else {
		fn.idle--
	}
	mem, mode, sleep := fn.memory, fn.mode, f.sleep
	f.mu.Unlock()
	time.Sleep(sleep)
	defer func() {
		f.mu.Lock()
		fn.idle++
		f.mu.Unlock()
	}()
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	dur := 2.0 + float64(n%7)/10
	rep := lambdareport.Report{RequestID: id, DurationMs: dur, BilledDurationMs: lambdareport.BilledMs(dur), MemorySizeMB: mem, MaxMemoryUsedMB: 40}
	if cold {
		rep.InitDurationMs = fptr(120.5)
		rep.BilledDurationMs = lambdareport.BilledMs(dur + 120.5)
	}
	payload := `{"label":"POSITIVE"}`
	switch mode {
	case "unhandled", "handled":
		w.Header().Set("X-Amz-Function-Error", strings.ToUpper(mode[:1])+mode[1:])
		payload = `{"errorType":"ValueError","errorMessage":"bad input"}`
		rep.Status, rep.ErrorType = "error", "Runtime.Unknown"
	case "timeout":
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		payload = `{"errorMessage":"Task timed out after 3.00 seconds"}`
		rep.Status = "timeout"
	}
	tail := "START RequestId: " + id + " Version: $LATEST\nEND RequestId: " + id + "\n" + rep.String() + "\n"
	switch mode {
	case "json":
		tail = rep.JSON() + "\n"
	case "garbage":
		if n%2 == 0 {
			tail = "\x00\xffnot a report at all"
		} else {
			w.Header().Set("X-Amz-Log-Result", "%%%not-base64%%%")
			tail = ""
		}
	}
	if tail != "" && mode != "nolog" {
		w.Header().Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString([]byte(tail)))
	}
	w.Header().Set("X-Amzn-RequestId", id)
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, payload)
}

// fakeOptions are LambdaOptions pointing at f with the fake's credentials.
func (f *fakeLambda) options(fn string) LambdaOptions {
	return LambdaOptions{Name: "fn", Kind: scenarios.KindAWSLambda, Function: fn, Region: "us-east-1", Endpoint: f.srv.URL,
		Credentials: credentials.NewStaticCredentialsProvider(fakeAKID, fakeSecret, "")}
}
