package loadgen

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/benchctl/benchctl/lambdareport"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

func TestInvokeURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, fn, q, want string
	}{
		{"plain", "my-fn", "", "https://x/2015-03-31/functions/my-fn/invocations"},
		{"qualifier", "my-fn", "live", "https://x/2015-03-31/functions/my-fn/invocations?Qualifier=live"},
		{"arn", "arn:aws:lambda:us-east-1:123456789012:function:my-fn", "live",
			"https://x/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-fn/invocations?Qualifier=live"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := InvokeURL("https://x/", tt.fn, tt.q); got != tt.want {
				t.Errorf("InvokeURL = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestLambdaTargetSigV4(t *testing.T) {
	t.Parallel()
	f := newFakeLambda(t, &fakeFn{name: "ok", mode: "ok"})
	tests := []struct {
		name     string
		function string
		secret   string
		wantCode uint16
		wantOK   bool
	}{
		{"right secret", "ok", fakeSecret, 200, true},
		{"right secret arn", "arn:aws:lambda:us-east-1:123456789012:function:ok", fakeSecret, 200, true},
		{"wrong secret", "ok", "not-the-secret", 403, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := f.options(tt.function)
			o.Credentials = credentials.NewStaticCredentialsProvider(fakeAKID, tt.secret, "")
			tgt, err := NewLambdaTarget(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			_, badBefore, _ := f.counts()
			rec := InvokeOnce(context.Background(), tgt, []byte(`{"text":"hi"}`), 5*time.Second)
			_, badAfter, _ := f.counts()
			if rec.Code != tt.wantCode {
				t.Fatalf("code = %d (%s), want %d", rec.Code, rec.Error, tt.wantCode)
			}
			if got := badAfter > badBefore; got == tt.wantOK {
				t.Errorf("server signature mismatch = %v, want %v", got, !tt.wantOK)
			}
			if tt.wantOK && (rec.BilledDurationMs == nil || rec.RequestID == "" || rec.ErrorClass != "") {
				t.Errorf("record = %+v, want billed duration, request id and no error", rec)
			}
			if !tt.wantOK && rec.ErrorClass != results.ErrorClassHTTP4xx {
				t.Errorf("error class = %q, want %q", rec.ErrorClass, results.ErrorClassHTTP4xx)
			}
		})
	}
}

func TestLambdaTargetAnnotate(t *testing.T) {
	t.Parallel()
	f := newFakeLambda(t,
		&fakeFn{name: "ok", mode: "ok"}, &fakeFn{name: "json", mode: "json"},
		&fakeFn{name: "unhandled", mode: "unhandled"}, &fakeFn{name: "handled", mode: "handled"},
		&fakeFn{name: "throttle", mode: "throttle"}, &fakeFn{name: "timeout", mode: "timeout"},
		&fakeFn{name: "garbage", mode: "garbage"}, &fakeFn{name: "nolog", mode: "nolog"})
	tests := []struct {
		fn            string
		wantClass     string
		wantFnErr     string
		wantBilled    bool
		wantReportErr bool
		wantStatus    string
	}{
		{fn: "ok", wantBilled: true},
		{fn: "json", wantBilled: true},
		{fn: "unhandled", wantClass: results.ErrorClassFunctionError, wantFnErr: "Unhandled", wantBilled: true, wantStatus: "error"},
		{fn: "handled", wantClass: results.ErrorClassFunctionError, wantFnErr: "Handled", wantBilled: true, wantStatus: "error"},
		{fn: "throttle", wantClass: results.ErrorClassThrottle},
		{fn: "timeout", wantClass: results.ErrorClassTimeout, wantFnErr: "Unhandled", wantBilled: true, wantStatus: "timeout"},
		{fn: "garbage", wantReportErr: true},
		{fn: "nolog", wantReportErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.fn, func(t *testing.T) {
			t.Parallel()
			tgt, err := NewLambdaTarget(context.Background(), f.options(tt.fn))
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				rec := InvokeOnce(context.Background(), tgt, []byte(`{}`), 5*time.Second)
				if rec.ErrorClass != tt.wantClass || rec.FunctionError != tt.wantFnErr {
					t.Errorf("#%d class, function error = %q, %q; want %q, %q (error %q)", i, rec.ErrorClass, rec.FunctionError, tt.wantClass, tt.wantFnErr, rec.Error)
				}
				if (rec.BilledDurationMs != nil) != tt.wantBilled || (rec.ReportError != "") != tt.wantReportErr {
					t.Errorf("#%d billed %v report error %q; want billed %v, report error %v", i, rec.BilledDurationMs, rec.ReportError, tt.wantBilled, tt.wantReportErr)
				}
				if rec.ReportStatus != tt.wantStatus {
					t.Errorf("#%d report status %q, want %q", i, rec.ReportStatus, tt.wantStatus)
				}
				if tt.wantBilled {
					wantCold := i == 0
					if rec.Cold != wantCold || (rec.InitDurationMs != nil) != wantCold || rec.MemorySizeMB == nil || *rec.MemorySizeMB != 1024 {
						t.Errorf("#%d cold %v init %v memory %v; want cold %v, memory 1024", i, rec.Cold, rec.InitDurationMs, rec.MemorySizeMB, wantCold)
					}
				}
				if tt.wantFnErr != "" && tt.wantClass == results.ErrorClassFunctionError && !strings.Contains(rec.Error, "ValueError: bad input") {
					t.Errorf("error %q lacks the payload's error type and message", rec.Error)
				}
			}
		})
	}
}

// collect is a concurrency-safe record sink.
type collect struct {
	mu   sync.Mutex
	recs []results.Record
}

func (c *collect) enc(r *results.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs = append(c.recs, *r)
	return nil
}

func (c *collect) all() []results.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(c.recs)
	slices.SortFunc(out, func(a, b results.Record) int { return int(a.Seq) - int(b.Seq) })
	return out
}

func shortPhase(name string, rate float64, d time.Duration) scenarios.Phase {
	return scenarios.Phase{Name: name, Duration: d, Traffic: scenarios.Traffic{Model: "constant", Rate: rate}}
}

// TestLambdaTargetRunner drives lambda targets through the Runner: billed
// durations on every successful request, the first request cold, function
// errors and throttles failures of their class, garbage tails recorded
// without breaking the run.
func TestLambdaTargetRunner(t *testing.T) {
	t.Parallel()
	f := newFakeLambda(t, &fakeFn{name: "ok", mode: "ok"}, &fakeFn{name: "unhandled", mode: "unhandled"},
		&fakeFn{name: "throttle", mode: "throttle"}, &fakeFn{name: "garbage", mode: "garbage"})
	var targets []Target
	for _, fn := range []string{"ok", "unhandled", "throttle", "garbage"} {
		o := f.options(fn)
		o.Name = fn
		tgt, err := NewLambdaTarget(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, tgt)
	}
	var c collect
	r := &Runner{Encoder: c.enc, Seed: 1}
	out, err := r.RunPhase(context.Background(), PhaseRun{Phase: shortPhase("steady", 20, 400*time.Millisecond), Targets: targets})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string][]results.Record{}
	for _, rec := range c.all() {
		by[rec.Target] = append(by[rec.Target], rec)
	}
	for _, name := range []string{"ok", "unhandled", "throttle", "garbage"} {
		recs := by[name]
		if len(recs) < 4 {
			t.Fatalf("%s: %d records, want ≥ 4", name, len(recs))
		}
		to, _ := out.Target(name)
		for i, rec := range recs {
			switch name {
			case "ok":
				if rec.ErrorClass != "" || rec.BilledDurationMs == nil || rec.DurationMs == nil || rec.RequestID == "" {
					t.Errorf("ok #%d: %+v", i, rec)
				}
				if i == 0 && !rec.Cold {
					t.Errorf("ok: first request not cold")
				}
			case "unhandled":
				if rec.ErrorClass != results.ErrorClassFunctionError || rec.FunctionError != "Unhandled" {
					t.Errorf("unhandled #%d: class %q function error %q", i, rec.ErrorClass, rec.FunctionError)
				}
			case "throttle":
				if rec.ErrorClass != results.ErrorClassThrottle || rec.Code != 429 {
					t.Errorf("throttle #%d: class %q code %d", i, rec.ErrorClass, rec.Code)
				}
			case "garbage":
				if rec.ErrorClass != "" || rec.ReportError == "" || rec.Code != 200 {
					t.Errorf("garbage #%d: class %q report error %q code %d", i, rec.ErrorClass, rec.ReportError, rec.Code)
				}
			}
		}
		if name != "ok" && name != "garbage" && to.Summary.OK != 0 {
			t.Errorf("%s: outcome OK = %d, want 0 (failures must not count as successes)", name, to.Summary.OK)
		}
	}
}

func TestLambdaOptionsResolve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		o       LambdaOptions
		wantErr string
	}{
		{"no function", LambdaOptions{Name: "x", Kind: scenarios.KindLocalLambda, Endpoint: "http://127.0.0.1:1"}, "function is required"},
		{"local without endpoint", LambdaOptions{Name: "x", Kind: scenarios.KindLocalLambda, Function: "f"}, "no endpoint"},
		{"bad kind", LambdaOptions{Name: "x", Kind: "gcf", Function: "f"}, "isn't one of"},
		{"local ok", LambdaOptions{Name: "x", Kind: scenarios.KindLocalLambda, Function: "f", Endpoint: "http://127.0.0.1:1/"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewLambdaTarget(context.Background(), tt.o)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestLambdaTargetAccessDenied(t *testing.T) {
	t.Parallel()
	f := newFakeLambda(t, &fakeFn{name: "denied", mode: "denied"}, &fakeFn{name: "ok", mode: "ok"})
	tgt, err := NewLambdaTarget(context.Background(), f.options("denied"))
	if err != nil {
		t.Fatal(err)
	}
	rec := InvokeOnce(context.Background(), tgt, nil, time.Second)
	if rec.ErrorClass != results.ErrorClassHTTP4xx || !strings.Contains(rec.Error, "AccessDeniedException") ||
		!strings.Contains(rec.Error, PermInvokeFunction) || !strings.Contains(rec.Error, `"denied"`) {
		t.Errorf("record class %q error %q", rec.ErrorClass, rec.Error)
	}
	missing, err := NewLambdaTarget(context.Background(), f.options("absent"))
	if err != nil {
		t.Fatal(err)
	}
	if rec := InvokeOnce(context.Background(), missing, nil, time.Second); !strings.Contains(rec.Error, "ResourceNotFoundException") {
		t.Errorf("missing function error %q", rec.Error)
	}
}

func TestControlAccessDenied(t *testing.T) {
	t.Parallel()
	f := newFakeLambda(t, &fakeFn{name: "ok", mode: "ok"})
	f.denyUpdate = true
	ctl, err := NewLambdaControl(context.Background(), f.options("ok"), WithUpdatePoll(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	err = ctl.SetMemory(context.Background(), 512)
	var pe *PermissionError
	if !errors.As(err, &pe) || !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("err = %v, want a PermissionError", err)
	}
	if !strings.Contains(err.Error(), PermUpdateFunctionConfiguration) || !strings.Contains(err.Error(), `"ok"`) {
		t.Errorf("err = %q, want it to name the function and %s", err, PermUpdateFunctionConfiguration)
	}
}

func BenchmarkAnnotateLambda(b *testing.B) {
	init := 120.5
	rep := lambdareport.Report{RequestID: "00000000-0000-4000-8000-000000000001", DurationMs: 2.5, BilledDurationMs: 123,
		MemorySizeMB: 1024, MaxMemoryUsedMB: 40, InitDurationMs: &init}
	tail := "START RequestId: x Version: $LATEST\nEND RequestId: x\n" + rep.String() + "\n"
	res := &vegeta.Result{Code: 200, Headers: http.Header{
		HeaderLogResult: {base64.StdEncoding.EncodeToString([]byte(tail))}, HeaderRequestID: {rep.RequestID}}}
	b.ReportAllocs()
	for b.Loop() {
		var r results.Record
		AnnotateLambda(res, &r)
	}
}

// BenchmarkSigV4Overhead sends the same request through the signing
// transport and (as the baseline, same run) through the bare transport to
// a loopback server; compare ns/op of the two sub-benchmarks.
func BenchmarkSigV4Overhead(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
	defer srv.Close()
	body := bytes.Repeat([]byte("x"), 512)
	tr := NewLambdaTransport()
	defer tr.CloseIdleConnections()
	signed := &SigV4Transport{Next: tr, Credentials: credentials.NewStaticCredentialsProvider(fakeAKID, fakeSecret, ""), Region: "us-east-1"}
	for _, bc := range []struct {
		name string
		rt   http.RoundTripper
	}{{"baseline", tr}, {"sigv4", signed}} {
		b.Run(bc.name, func(b *testing.B) {
			c := &http.Client{Transport: bc.rt}
			b.ReportAllocs()
			for b.Loop() {
				resp, err := c.Post(srv.URL+"/2015-03-31/functions/f/invocations", "application/json", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
		})
	}
}
