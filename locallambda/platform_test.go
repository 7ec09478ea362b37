package locallambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/benchctl/benchctl/lambdareport"
	"github.com/benchctl/benchctl/scenarios"
)

// testFn builds testdata/testfn (a real aws-lambda-go function) once per
// test binary run and returns its path.
type testFnBuild struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func (b *testFnBuild) get(tb testing.TB) string {
	tb.Helper()
	b.once.Do(func() {
		b.dir, b.err = os.MkdirTemp("", "locallambda-testfn-")
		if b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "bootstrap")
		cmd := exec.Command("go", "build", "-o", b.path, "./testdata/testfn")
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("building testfn: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		tb.Fatal(b.err)
	}
	return b.path
}

var testFn = &testFnBuild{}

// helperEnv makes the test binary run parentHelper instead of the tests.
const helperEnv = "LOCALLAMBDA_PARENT_HELPER"

func TestMain(m *testing.M) {
	if fn := os.Getenv(helperEnv); fn != "" {
		parentHelper(fn)
		return
	}
	if spec := os.Getenv(cgroup2ChildEnv); spec != "" {
		cgroup2Child(spec)
		return
	}
	code := m.Run()
	if testFn.dir != "" {
		_ = os.RemoveAll(testFn.dir)
	}
	os.Exit(code)
}

// fnSpec returns a function running testfn in mode.
func fnSpec(tb testing.TB, name, mode string, memMB int, timeout time.Duration) scenarios.Function {
	return scenarios.Function{
		Name:        name,
		Command:     []string{testFn.get(tb)},
		MemorySize:  memMB,
		Timeout:     timeout,
		Environment: map[string]string{"TESTFN_MODE": mode},
	}
}

// startPlatform starts a platform on 127.0.0.1:0 and returns it with a real
// SDK client pointed at it.
func startPlatform(tb testing.TB, fns []scenarios.Function, opts ...Option) (*Platform, *lambda.Client, string) {
	tb.Helper()
	opts = append([]Option{WithLogger(io.Discard)}, opts...)
	p, err := New(fns, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	endpoint, err := p.Start(ctx, "127.0.0.1:0")
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer ccancel()
		if err := p.Close(cctx); err != nil {
			tb.Error(err)
		}
		cancel()
	})
	client := lambda.New(lambda.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDLOCAL", "SECRETLOCAL", ""),
		RetryMaxAttempts: 1,
	})
	return p, client, endpoint
}

// invoke calls Invoke with LogType Tail and parses the REPORT line.
func invoke(tb testing.TB, c *lambda.Client, fn string, payload string) (*lambda.InvokeOutput, lambdareport.Report, string) {
	tb.Helper()
	out, err := c.Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName: aws.String(fn), LogType: types.LogTypeTail, Payload: []byte(payload),
	})
	if err != nil {
		tb.Fatalf("invoke %s: %v", fn, err)
	}
	tail, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if err != nil {
		tb.Fatalf("decoding log tail: %v", err)
	}
	rep, err := lambdareport.Parse(string(tail))
	if err != nil {
		tb.Fatalf("parsing REPORT from tail %q: %v", tail, err)
	}
	return out, rep, string(tail)
}

func TestInvokeTailColdThenWarm(t *testing.T) {
	t.Parallel()
	_, c, _ := startPlatform(t, []scenarios.Function{fnSpec(t, "echo", "echo", 256, 5*time.Second)})

	out, rep, tail := invoke(t, c, "echo", `{"text":"hello"}`)
	if got, want := string(out.Payload), `{"text":"hello"}`; got != want {
		t.Errorf("payload = %q, want %q", got, want)
	}
	if out.FunctionError != nil {
		t.Errorf("FunctionError = %q, want none", *out.FunctionError)
	}
	if got := aws.ToString(out.ExecutedVersion); got != "$LATEST" {
		t.Errorf("ExecutedVersion = %q, want $LATEST", got)
	}
	if !rep.Has(lambdareport.FieldsMandatory) || !rep.Cold() {
		t.Errorf("first REPORT %+v: want all mandatory fields and Init Duration", rep)
	}
	if rep.MemorySizeMB != 256 {
		t.Errorf("Memory Size = %d, want 256", rep.MemorySizeMB)
	}
	if rep.MaxMemoryUsedMB <= 0 || rep.MaxMemoryUsedMB > 256 {
		t.Errorf("Max Memory Used = %d MB, want in (0, 256]", rep.MaxMemoryUsedMB)
	}
	if want := lambdareport.BilledMs(rep.DurationMs + *rep.InitDurationMs); rep.BilledDurationMs != want {
		t.Errorf("cold Billed Duration = %v, want ceil(Duration+Init) = %v", rep.BilledDurationMs, want)
	}
	for _, s := range []string{"INIT_START", "testfn init, mode echo", "START RequestId: " + rep.RequestID + " Version: $LATEST",
		"echo handler got 16 bytes", "END RequestId: " + rep.RequestID, "REPORT RequestId: " + rep.RequestID + "\tDuration: "} {
		if !strings.Contains(tail, s) {
			t.Errorf("tail lacks %q:\n%s", s, tail)
		}
	}
	if !strings.HasSuffix(tail, "\t\n") {
		t.Errorf("tail should end with the REPORT line's trailing tab and a newline: %q", tail)
	}

	_, rep2, _ := invoke(t, c, "echo", `{}`)
	if rep2.Cold() {
		t.Errorf("second call REPORT has Init Duration; want warm: %+v", rep2)
	}
	if rep2.RequestID == rep.RequestID {
		t.Errorf("request ids repeat: %s", rep.RequestID)
	}
	if want := lambdareport.BilledMs(rep2.DurationMs); rep2.BilledDurationMs != want {
		t.Errorf("warm Billed Duration = %v, want %v", rep2.BilledDurationMs, want)
	}
}

func TestOldInitBillingRule(t *testing.T) {
	t.Parallel()
	_, c, _ := startPlatform(t, []scenarios.Function{fnSpec(t, "echo", "echo", 128, 5*time.Second)}, WithInitBilling(false))
	_, rep, _ := invoke(t, c, "echo", `{}`)
	if !rep.Cold() {
		t.Fatalf("want a cold start: %+v", rep)
	}
	if got, want := rep.BilledDurationMs, lambdareport.BilledMs(rep.DurationMs); got != want {
		t.Errorf("Billed Duration = %v, want ceil(Duration) = %v without INIT billing", got, want)
	}
}

func TestEnvironmentAndRuntimeHeaders(t *testing.T) {
	t.Parallel()
	f := fnSpec(t, "envfn", "env", 512, 7*time.Second)
	f.Environment["CUSTOM"] = "yes"
	p, c, _ := startPlatform(t, []scenarios.Function{f}, WithRegion("eu-west-1"))
	out, rep, _ := invoke(t, c, "envfn", `{}`)
	var got map[string]string
	if err := json.Unmarshal(out.Payload, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"name": "envfn", "memory": "512", "version": "$LATEST", "region": "eu-west-1",
		"handler": "bootstrap", "custom": "yes", "arn": p.ARN("envfn"), "request": rep.RequestID,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	dl, err := time.Parse(time.RFC3339, got["deadline"])
	if err != nil || time.Until(dl) > 8*time.Second || time.Until(dl) < -5*time.Second {
		t.Errorf("deadline %q is not about now+7s (%v)", got["deadline"], err)
	}
}

func TestConcurrentInvokesCreateInstances(t *testing.T) {
	t.Parallel()
	const n = 4
	p, c, _ := startPlatform(t, []scenarios.Function{fnSpec(t, "sleepy", "sleep", 128, 10*time.Second)})
	var wg sync.WaitGroup
	reports := make([]lambdareport.Report, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, reports[i], _ = invoke(t, c, "sleepy", `{"ms":700}`)
		}()
	}
	wg.Wait()
	cold := 0
	for _, r := range reports {
		if r.Cold() {
			cold++
		}
	}
	if cold != n {
		t.Errorf("%d of %d concurrent invocations were cold, want all", cold, n)
	}
	st, _ := p.Stats("sleepy")
	if st.Live != n || st.Idle != n || st.ColdStarts != n {
		t.Errorf("stats = %+v, want %d live, idle and cold starts", st, n)
	}
}

func TestReservedConcurrencyThrottles(t *testing.T) {
	t.Parallel()
	p, c, _ := startPlatform(t, []scenarios.Function{fnSpec(t, "sleepy", "sleep", 128, 10*time.Second)})
	ctx := context.Background()
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String("sleepy"), ReservedConcurrentExecutions: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	gf, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("sleepy")})
	if err != nil {
		t.Fatal(err)
	}
	if gf.Concurrency == nil || aws.ToInt32(gf.Concurrency.ReservedConcurrentExecutions) != 1 {
		t.Errorf("GetFunction Concurrency = %+v, want 1", gf.Concurrency)
	}
	first := make(chan error, 1)
	go func() {
		_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sleepy"), Payload: []byte(`{"ms":1500}`)})
		first <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if st, _ := p.Stats("sleepy"); st.InFlight == 1 {
			break
		}
	}
	_, throttled := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sleepy"), Payload: []byte(`{"ms":1}`)})
	var tm *types.TooManyRequestsException
	if !errors.As(throttled, &tm) {
		t.Fatalf("second concurrent call: err = %v, want *types.TooManyRequestsException", throttled)
	}
	if tm.Reason != types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded {
		t.Errorf("Reason = %q", tm.Reason)
	}
	if err := <-first; err != nil {
		t.Errorf("first call: %v", err)
	}
	if _, err := c.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("sleepy")}); err != nil {
		t.Fatal(err)
	}
}

func TestUpdateConfigurationRetiresInstances(t *testing.T) {
	t.Parallel()
	_, c, _ := startPlatform(t, []scenarios.Function{fnSpec(t, "envfn", "env", 256, 3*time.Second)})
	ctx := context.Background()
	invoke(t, c, "envfn", `{}`)
	_, warm, _ := invoke(t, c, "envfn", `{}`)
	if warm.Cold() {
		t.Fatal("second call should be warm")
	}
	up, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("envfn"), MemorySize: aws.Int32(1024), Timeout: aws.Int32(9),
		Environment: &types.Environment{Variables: map[string]string{"TESTFN_MODE": "env", "CUSTOM": "v2"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if up.LastUpdateStatus != types.LastUpdateStatusInProgress {
		t.Errorf("update LastUpdateStatus = %q, want InProgress", up.LastUpdateStatus)
	}
	var cfg *lambda.GetFunctionConfigurationOutput
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		cfg, err = c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("envfn")})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.LastUpdateStatus == types.LastUpdateStatusSuccessful {
			break
		}
	}
	if cfg.LastUpdateStatus != types.LastUpdateStatusSuccessful {
		t.Errorf("LastUpdateStatus = %q, want Successful", cfg.LastUpdateStatus)
	}
	if got := aws.ToInt32(cfg.MemorySize); got != 1024 {
		t.Errorf("MemorySize = %d, want 1024", got)
	}
	if got := aws.ToInt32(cfg.Timeout); got != 9 {
		t.Errorf("Timeout = %d, want 9", got)
	}
	out, rep, _ := invoke(t, c, "envfn", `{}`)
	if !rep.Cold() || rep.MemorySizeMB != 1024 {
		t.Errorf("call after update: REPORT %+v, want cold at 1024 MB", rep)
	}
	if !strings.Contains(string(out.Payload), `"custom":"v2"`) || !strings.Contains(string(out.Payload), `"memory":"1024"`) {
		t.Errorf("new instance did not get the new environment: %s", out.Payload)
	}

	_, err = c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("envfn"), MemorySize: aws.Int32(64)})
	var ipv *types.InvalidParameterValueException
	if !errors.As(err, &ipv) {
		t.Errorf("memory 64: err = %v, want *types.InvalidParameterValueException", err)
	}
}

func TestFunctionFailures(t *testing.T) {
	t.Parallel()
	fns := []scenarios.Function{
		fnSpec(t, "panicky", "panic", 128, 3*time.Second),
		fnSpec(t, "slow", "sleep", 128, time.Second),
	}
	p, c, _ := startPlatform(t, fns)

	t.Run("panic is Unhandled", func(t *testing.T) {
		out, rep, _ := invoke(t, c, "panicky", `{}`)
		if aws.ToString(out.FunctionError) != "Unhandled" {
			t.Errorf("FunctionError = %v, want Unhandled", out.FunctionError)
		}
		if !strings.Contains(string(out.Payload), "deliberate panic") || !strings.Contains(string(out.Payload), `"errorType"`) {
			t.Errorf("payload = %s, want the panic as errorMessage/errorType", out.Payload)
		}
		if !rep.Has(lambdareport.FieldsMandatory) {
			t.Errorf("REPORT incomplete: %+v", rep)
		}
		// aws-lambda-go exits after reporting a panic; the next call must
		// get a fresh instance, not the dying one.
		for i := range 3 {
			out, rep, _ := invoke(t, c, "panicky", `{}`)
			if !strings.Contains(string(out.Payload), "deliberate panic") || !rep.Cold() {
				t.Errorf("call %d after a panic: payload %s cold %v, want the handler's panic on a new instance", i, out.Payload, rep.Cold())
			}
		}
	})

	t.Run("timeout kills the instance", func(t *testing.T) {
		_, first, _ := invoke(t, c, "slow", `{"ms":1}`)
		if !first.Cold() {
			t.Fatalf("first call should be cold")
		}
		out, rep, tail := invoke(t, c, "slow", `{"ms":3000}`)
		if aws.ToString(out.FunctionError) != "Unhandled" {
			t.Errorf("FunctionError = %v, want Unhandled", out.FunctionError)
		}
		if !strings.Contains(string(out.Payload), "Task timed out after 1.00 seconds") {
			t.Errorf("payload = %s, want the AWS timeout message", out.Payload)
		}
		if rep.Status != lambdareport.StatusTimeout || rep.DurationMs != 1000 {
			t.Errorf("REPORT status %q duration %v, want timeout 1000", rep.Status, rep.DurationMs)
		}
		if !strings.Contains(tail, "Task timed out after 1.00 seconds") {
			t.Errorf("tail lacks the timeout line: %s", tail)
		}
		_, next, _ := invoke(t, c, "slow", `{"ms":1}`)
		if !next.Cold() {
			t.Errorf("call after a timeout should get a fresh instance (cold)")
		}
		st, _ := p.Stats("slow")
		if st.ColdStarts != 2 {
			t.Errorf("cold starts = %d, want 2", st.ColdStarts)
		}
	})
}

func TestOutOfMemoryIsExitError(t *testing.T) {
	t.Parallel()
	p, c, _ := startPlatform(t, []scenarios.Function{fnSpec(t, "hog", "alloc", 128, 10*time.Second)})
	if p.CPUIsolation() == IsolationNone {
		t.Skip("cgroups are not writable here, so there is no memory limit to exceed: " + strings.Join(p.Warnings(), "; "))
	}
	out, rep, _ := invoke(t, c, "hog", `{"mb":400}`)
	if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), "Runtime.ExitError") {
		t.Fatalf("FunctionError %v payload %s, want Unhandled Runtime.ExitError", out.FunctionError, out.Payload)
	}
	if rep.Status != lambdareport.StatusError || rep.ErrorType != "Runtime.OutOfMemory" {
		t.Errorf("REPORT status %q error type %q, want error Runtime.OutOfMemory", rep.Status, rep.ErrorType)
	}
	if rep.MaxMemoryUsedMB != 128 {
		t.Errorf("Max Memory Used = %d, want 128 (the limit)", rep.MaxMemoryUsedMB)
	}
	out, rep, _ = invoke(t, c, "hog", `{"mb":10}`)
	if out.FunctionError != nil || !rep.Cold() {
		t.Errorf("after OOM: FunctionError %v cold %v, want success on a replacement instance", out.FunctionError, rep.Cold())
	}
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	p, c, endpoint := startPlatform(t, []scenarios.Function{fnSpec(t, "echo", "echo", 128, 3*time.Second)})
	ctx := context.Background()

	_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("unknown function: err = %v, want *types.ResourceNotFoundException", err)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"), Qualifier: aws.String("live")})
	if !errors.As(err, &nf) {
		t.Errorf("unknown alias: err = %v, want *types.ResourceNotFoundException", err)
	}
	big := make([]byte, MaxPayloadBytes+10)
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"), Payload: big})
	var tl *types.RequestTooLargeException
	if !errors.As(err, &tl) {
		t.Errorf("7 MB payload: err = %v, want *types.RequestTooLargeException", err)
	}
	// The ARN form (percent-escaped by the SDK) resolves too.
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(p.ARN("echo")), Payload: []byte(`{"a":1}`)})
	if err != nil || string(out.Payload) != `{"a":1}` {
		t.Errorf("invoke by ARN: %v %s", err, out.Payload)
	}

	list, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil || len(list.Functions) != 1 || aws.ToString(list.Functions[0].FunctionName) != "echo" {
		t.Errorf("ListFunctions = %+v, %v", list, err)
	}

	tests := []struct {
		name     string
		auth     string
		wantCode string
	}{
		{"missing authorization", "", ErrCodeMissingAuthToken},
		{"not sigv4", "Basic Zm9vOmJhcg==", ErrCodeIncompleteSignature},
		{"no signature", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host", ErrCodeIncompleteSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, endpoint+"/2015-03-31/functions/echo/invocations", strings.NewReader(`{}`))
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			req.Header.Set("X-Amz-Date", "20260101T000000Z")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]string
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") != tc.wantCode || body["message"] == "" {
				t.Errorf("got %d %q %v, want 403 %s with a message", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body, tc.wantCode)
			}
		})
	}
}

func TestNoCgroupsFallsBackLoudly(t *testing.T) {
	t.Parallel()
	var log strings.Builder
	var mu sync.Mutex
	w := writerFunc(func(b []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return log.Write(b) })
	p, c, _ := startPlatform(t, []scenarios.Function{fnSpec(t, "echo", "echo", 128, 3*time.Second)},
		WithCgroupRoot(t.TempDir()), WithLogger(w))
	if got := p.CPUIsolation(); got != IsolationNone {
		t.Errorf("CPUIsolation = %q, want none", got)
	}
	if len(p.Warnings()) != 1 {
		t.Errorf("warnings = %q, want exactly one", p.Warnings())
	}
	_, rep, _ := invoke(t, c, "echo", `{}`)
	if rep.MaxMemoryUsedMB <= 0 {
		t.Errorf("Max Memory Used = %d, want the peak RSS", rep.MaxMemoryUsedMB)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(log.String(), "isolation is OFF") || !strings.Contains(log.String(), "[echo] REPORT RequestId: ") {
		t.Errorf("log lacks the warning or the REPORT line:\n%s", log.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

func TestIdleInstancesAreReaped(t *testing.T) {
	t.Parallel()
	f := fnSpec(t, "echo", "echo", 128, 3*time.Second)
	f.IdleTimeout = 100 * time.Millisecond
	p, c, _ := startPlatform(t, []scenarios.Function{f})
	invoke(t, c, "echo", `{}`)
	var st InstanceStats
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if st, _ = p.Stats("echo"); st.Live == 0 {
			break
		}
	}
	if st.Live != 0 {
		t.Fatalf("instance not reaped: %+v", st)
	}
	if _, rep, _ := invoke(t, c, "echo", `{}`); !rep.Cold() {
		t.Errorf("call after reaping should be cold")
	}
}

func TestNewRejectsBadFunctions(t *testing.T) {
	t.Parallel()
	neg := -1
	tests := []struct {
		name string
		fn   scenarios.Function
		want string
	}{
		{"no name", scenarios.Function{Command: []string{"x"}}, "name: required"},
		{"no command", scenarios.Function{Name: "a"}, "command: required"},
		{"memory too small", scenarios.Function{Name: "a", Command: []string{"x"}, MemorySize: 64}, "memory_size"},
		{"memory too large", scenarios.Function{Name: "a", Command: []string{"x"}, MemorySize: 20000}, "memory_size"},
		{"ephemeral storage too small", scenarios.Function{Name: "a", Command: []string{"x"}, EphemeralStorageMB: 256}, "ephemeral_storage_mb"},
		{"ephemeral storage too large", scenarios.Function{Name: "a", Command: []string{"x"}, EphemeralStorageMB: 20000}, "ephemeral_storage_mb"},
		{"timeout too long", scenarios.Function{Name: "a", Command: []string{"x"}, Timeout: time.Hour}, "timeout"},
		{"negative reserved", scenarios.Function{Name: "a", Command: []string{"x"}, ReservedConcurrency: &neg}, "reserved_concurrency"},
		{"bad architecture", scenarios.Function{Name: "a", Command: []string{"x"}, Architecture: "mips"}, "architecture"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New([]scenarios.Function{tc.fn}, WithCgroupRoot(""), WithLogger(io.Discard))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want mention of %q", err, tc.want)
			}
		})
	}
	p, err := New(nil, WithLogger(io.Discard), WithCgroupRoot(""))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Start(context.Background(), "0.0.0.0:0"); err == nil {
		t.Error("Start on 0.0.0.0 should be refused (loopback only)")
	}
	_ = p.Close(context.Background())
}

func TestCPUShareFollowsMemory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mem, host int
		want      float64
	}{
		{1769, 2, 1},
		{512, 2, 512.0 / 1769},
		{3538, 2, 2},
		{3538, 8, 2},
		{10240, 8, 10240.0 / 1769},
		{20000, 8, 6},
		{10240, 2, 2},
	}
	for _, tc := range tests {
		if got := vcpuFor(tc.mem, tc.host); fmt.Sprintf("%.4f", got) != fmt.Sprintf("%.4f", tc.want) {
			t.Errorf("vcpuFor(%d, %d) = %v, want %v", tc.mem, tc.host, got, tc.want)
		}
	}
	if got := cpuQuotaUs(128, 2); got != 1447 {
		t.Errorf("cpuQuotaUs(128) = %d, want 1447", got)
	}
}

// TestCPUBoundDurationScalesWithMemory checks Lambda's CPU rule end to end:
// a single-threaded CPU-bound handler at 512 MB runs 1769/512 = 3.46× as
// long as at 1,769 MB (±15%), and 3,538 MB is no faster than 1,769 MB.
func TestCPUBoundDurationScalesWithMemory(t *testing.T) {
	t.Parallel()
	fns := []scenarios.Function{
		fnSpec(t, "cpu512", "cpu", 512, 30*time.Second),
		fnSpec(t, "cpu1769", "cpu", 1769, 30*time.Second),
		fnSpec(t, "cpu3538", "cpu", 3538, 30*time.Second),
	}
	p, c, _ := startPlatform(t, fns)
	if p.CPUIsolation() == IsolationNone {
		t.Skip("cgroups are not writable here, so CPU cannot be throttled by memory: " + strings.Join(p.Warnings(), "; "))
	}
	// Calibrate ~100 ms of CPU work by the CPU time the handler reports
	// (independent of host load, unlike wall time).
	iters := 2_000_000
	for range 4 {
		out, _, _ := invoke(t, c, "cpu1769", fmt.Sprintf(`{"iters":%d}`, iters))
		var res struct {
			CPUMs float64 `json:"cpu_ms"`
		}
		if err := json.Unmarshal(out.Payload, &res); err != nil {
			t.Fatal(err)
		}
		if res.CPUMs >= 20 {
			iters = int(float64(iters) * 100 / res.CPUMs)
			break
		}
		iters *= 8
	}
	payload := fmt.Sprintf(`{"iters":%d}`, iters)
	// Contention-independent: the instances' cgroups carry Lambda's limits.
	for _, tc := range []struct {
		fn         string
		quota, mem string
	}{{"cpu512", "5789", "536870912"}, {"cpu1769", "20000", "1854930944"}, {"cpu3538", "40000", "3709861888"}} {
		invoke(t, c, tc.fn, `{"iters":1}`)
		f := p.lookup(tc.fn)
		f.mu.Lock()
		var cg *instanceCgroup
		for inst := range f.instances {
			cg = inst.cg
		}
		f.mu.Unlock()
		if cg == nil {
			t.Fatalf("%s: no instance cgroup", tc.fn)
		}
		q, _ := os.ReadFile(filepath.Join(cg.cpu, "cpu.cfs_quota_us"))
		m, _ := os.ReadFile(filepath.Join(cg.mem, "memory.limit_in_bytes"))
		if strings.TrimSpace(string(q)) != tc.quota || strings.TrimSpace(string(m)) != tc.mem {
			t.Errorf("%s: cfs_quota_us %q memory.limit_in_bytes %q, want %s and %s", tc.fn, q, m, tc.quota, tc.mem)
		}
	}
	// Interleave the sizes so that drifting host load hits all alike. The
	// 1,769 MB instance's CPU time ÷ Duration tells whether the host gave
	// it the full core it is entitled to: when it got less (other test
	// packages share the 2 cores), wall-clock ratios are meaningless, so the
	// round is measured again, up to 3 times, and then skipped with the
	// numbers.
	vcpu := map[string]float64{"cpu512": 512.0 / 1769, "cpu1769": 1, "cpu3538": 2}
	median := func(v []float64) float64 {
		v = slices.Clone(v)
		sort.Float64s(v)
		return v[len(v)/2]
	}
	var msg string
	for round := 1; round <= 3; round++ {
		ds := map[string][]float64{}
		var util1769 []float64
		for range 5 {
			for _, fn := range []string{"cpu512", "cpu1769", "cpu3538"} {
				out, rep, _ := invoke(t, c, fn, payload)
				ds[fn] = append(ds[fn], rep.DurationMs)
				// Whatever the host load, the quota caps CPU use: an instance
				// never burns more than its vCPU share of the wall time.
				var res struct {
					CPUMs float64 `json:"cpu_ms"`
				}
				if err := json.Unmarshal(out.Payload, &res); err != nil {
					t.Fatal(err)
				}
				util := res.CPUMs / rep.DurationMs
				if fn != "cpu3538" && util > vcpu[fn]*1.15+0.02 {
					t.Errorf("%s used %.1f ms CPU in %.1f ms (%.2f vCPU), above its %.2f vCPU quota", fn, res.CPUMs, rep.DurationMs, util, vcpu[fn])
				}
				if fn == "cpu1769" {
					util1769 = append(util1769, util)
				}
			}
		}
		d512, d1769, d3538 := median(ds["cpu512"]), median(ds["cpu1769"]), median(ds["cpu3538"])
		ratio := d512 / d1769
		u := median(util1769)
		msg = fmt.Sprintf("round %d: median Duration: 512 MB %.1f ms, 1769 MB %.1f ms, 3538 MB %.1f ms; 512/1769 = %.2f (want 3.46±15%%); the 1769 MB instance got %.2f of a core", round, d512, d1769, d3538, ratio, u)
		t.Log(msg)
		// ratio/u is the ratio had the 1,769 MB instance had its full core
		// (its Duration scales with 1/u); a wrong quota for 512 MB still
		// moves it out of the band. Run beside another package's tests, the
		// instance got 0.85–0.88 of a core and the raw ratio was 2.86–2.92.
		inBand := func(r float64) bool { return r >= 3.46*0.85 && r <= 3.46*1.15 }
		if (inBand(ratio) || inBand(ratio/u)) && d3538 <= d1769*1.15 {
			return
		}
		load, cores := loadAverage(), runtime.NumCPU()
		if u >= 0.95 && load <= float64(cores) {
			t.Fatal(msg) // the instance had its core: the ratio is wrong
		}
	}
	t.Skipf("host CPU is contended: the 1-vCPU instance did not get a full core in 3 rounds, so wall-clock ratios are meaningless now; %s", msg)
}

// loadAverage is the host's 1-minute load average (0 if unknown).
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	_, _ = fmt.Sscan(string(b), &l)
	return l
}

// TestCustomRuntimeBootstrap runs a provided.al2023-style shell bootstrap
// (curl against the Runtime API), not aws-lambda-go, and one that reports
// an init error through /runtime/init/error.
func TestCustomRuntimeBootstrap(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed; the shell bootstrap needs it")
	}
	dir := t.TempDir()
	ok := filepath.Join(dir, "bootstrap")
	script := `#!/bin/sh
set -eu
API="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
H="$(mktemp)"
while true; do
  EVENT=$(curl -sS -D "$H" "$API/invocation/next")
  ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$H" | tr -d '\r' | cut -d' ' -f2)
  echo "shell bootstrap got $EVENT"
  curl -sS -X POST -d "{\"shell\":$EVENT}" "$API/invocation/$ID/response" >/dev/null
done
`
	bad := filepath.Join(dir, "bootstrap-bad")
	badScript := `#!/bin/sh
curl -sS -X POST -H 'Lambda-Runtime-Function-Error-Type: Runtime.ConfigError' \
  -d '{"errorMessage":"missing MODEL_PATH","errorType":"Runtime.ConfigError"}' \
  "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/init/error" >/dev/null
exit 1
`
	if err := os.WriteFile(ok, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(badScript), 0o755); err != nil {
		t.Fatal(err)
	}
	_, c, _ := startPlatform(t, []scenarios.Function{
		{Name: "shell", Command: []string{ok}, MemorySize: 128, Timeout: 5 * time.Second},
		{Name: "broken", Command: []string{bad}, MemorySize: 128, Timeout: 5 * time.Second},
	})
	for i := range 2 {
		out, rep, tail := invoke(t, c, "shell", `{"n":1}`)
		if got, want := string(out.Payload), `{"shell":{"n":1}}`; got != want {
			t.Errorf("call %d: payload = %q, want %q", i, got, want)
		}
		if rep.Cold() != (i == 0) {
			t.Errorf("call %d: cold = %v", i, rep.Cold())
		}
		if !strings.Contains(tail, `shell bootstrap got {"n":1}`) {
			t.Errorf("call %d: tail lacks the bootstrap's output:\n%s", i, tail)
		}
	}
	out, rep, _ := invoke(t, c, "broken", `{}`)
	if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), "Runtime.ConfigError") {
		t.Errorf("init error: FunctionError %v payload %s, want Unhandled Runtime.ConfigError", out.FunctionError, out.Payload)
	}
	if rep.Status != lambdareport.StatusError || rep.ErrorType != "Runtime.ConfigError" {
		t.Errorf("init error REPORT status %q type %q", rep.Status, rep.ErrorType)
	}
}

func TestCleanStaleRemovesDeadPlatformsOnly(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	self := fmt.Sprintf("benchctl-%d-aaaa", os.Getpid())
	dead := "benchctl-2147483000-bbbb" // beyond pid_max: no such process
	other := "unrelated"
	for _, d := range []string{self + "/i1", dead + "/i1", dead + "/i2", other} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cleanStale(base)
	for name, want := range map[string]bool{self: true, dead: false, other: true} {
		_, err := os.Stat(filepath.Join(base, name))
		if got := err == nil; got != want {
			t.Errorf("%s exists = %v, want %v", name, got, want)
		}
	}
}

func TestInvocationTypes(t *testing.T) {
	t.Parallel()
	p, c, _ := startPlatform(t, []scenarios.Function{fnSpec(t, "echo", "echo", 128, 3*time.Second)})
	ctx := context.Background()
	tests := []struct {
		typ        types.InvocationType
		wantStatus int32
		wantRuns   int
	}{
		{types.InvocationTypeDryRun, 204, 0},
		{types.InvocationTypeEvent, 202, 1},
	}
	for _, tc := range tests {
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"), InvocationType: tc.typ, Payload: []byte(`{}`)})
		if err != nil {
			t.Fatalf("%s: %v", tc.typ, err)
		}
		if out.StatusCode != tc.wantStatus {
			t.Errorf("%s: status %d, want %d", tc.typ, out.StatusCode, tc.wantStatus)
		}
		var st InstanceStats
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if st, _ = p.Stats("echo"); st.ColdStarts >= tc.wantRuns && st.InFlight == 0 {
				break
			}
		}
		if st.ColdStarts != tc.wantRuns {
			t.Errorf("%s: %d instances started, want %d", tc.typ, st.ColdStarts, tc.wantRuns)
		}
	}
}

func TestCloseStopsInstancesEvenDuringInit(t *testing.T) {
	t.Parallel()
	slow := fnSpec(t, "slow-init", "echo", 128, 3*time.Second)
	slow.Environment["TESTFN_INIT_MS"] = "8000"
	p, err := New([]scenarios.Function{slow, fnSpec(t, "echo", "echo", 128, 3*time.Second)}, WithLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := p.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.invoke(ctx, p.lookup("echo"), []byte(`{}`), ""); err != nil {
		t.Fatal(err)
	}
	done := make(chan *outcome, 1)
	go func() {
		out, _ := p.invoke(ctx, p.lookup("slow-init"), []byte(`{}`), "")
		done <- out
	}()
	var pids []int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && len(pids) < 2; time.Sleep(10 * time.Millisecond) {
		pids = pids[:0]
		for _, name := range []string{"echo", "slow-init"} {
			f := p.lookup(name)
			f.mu.Lock()
			for inst := range f.instances {
				inst.mu.Lock()
				if inst.cmd != nil {
					pids = append(pids, inst.cmd.Process.Pid)
				}
				inst.mu.Unlock()
			}
			f.mu.Unlock()
		}
	}
	if len(pids) != 2 {
		t.Fatalf("found %d instance processes, want 2 (one warm, one in INIT)", len(pids))
	}
	start := time.Now()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case out := <-done:
		if out == nil || out.fnError != "Unhandled" {
			t.Errorf("invocation interrupted by Close = %+v, want a function error", out)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the invocation waiting on INIT did not end after Close")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Close took %v with an instance in INIT", d)
	}
	for _, pid := range pids {
		if processAlive(pid) {
			t.Errorf("instance process %d still alive after Close", pid)
		}
	}
	if _, err := p.invoke(ctx, p.lookup("echo"), []byte(`{}`), ""); !errors.Is(err, ErrClosed) {
		t.Errorf("invoke after Close: err = %v, want ErrClosed", err)
	}
}

// parentHelper plays `benchctl run` for TestInstancesDieWithTheirParent: it
// starts a platform, warms one instance of the function binary fnPath,
// prints "<instance pid> <cpu cgroup dir>" and waits to be killed.
func parentHelper(fnPath string) {
	p, err := New([]scenarios.Function{{Name: "echo", Command: []string{fnPath}, MemorySize: 128, Timeout: 5 * time.Second,
		Environment: map[string]string{"TESTFN_MODE": "echo"}}}, WithLogger(io.Discard))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	ctx := context.Background()
	if _, err := p.Start(ctx, "127.0.0.1:0"); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	f := p.lookup("echo")
	if _, err := p.invoke(ctx, f, []byte(`{}`), ""); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	f.mu.Lock()
	for inst := range f.instances {
		dir := "-"
		if inst.cg != nil {
			dir = filepath.Dir(inst.cg.cpu)
		}
		fmt.Println(inst.cmd.Process.Pid, dir)
	}
	f.mu.Unlock()
	time.Sleep(30 * time.Second) // bounded: the test kills us long before
	os.Exit(0)
}

// TestInstancesDieWithTheirParent kills a platform's process with SIGKILL
// (no chance to clean up) and checks that its instances die with it
// (Pdeathsig) and that the next platform removes its stale cgroups.
func TestInstancesDieWithTheirParent(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+testFn.get(t))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var pid int
	var cgDir string
	if _, err := fmt.Fscan(stdout, &pid, &cgDir); err != nil || pid <= 0 {
		t.Fatalf("helper did not report its instance: %v", err)
	}
	if !processAlive(pid) {
		t.Fatalf("instance %d not running while its parent lives", pid)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	dead := false
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if !processAlive(pid) {
			dead = true
			break
		}
	}
	if !dead {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("instance %d survived its parent's SIGKILL", pid)
	}
	if cgDir == "-" {
		t.Log("no cgroups here; stale-cgroup cleanup not exercised")
		return
	}
	// (A parallel test's New may already have removed it: both are fine.)
	p, err := New(nil, WithLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Close(context.Background()) }()
	if _, err := os.Stat(cgDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale cgroup %s not removed by the next platform (err %v)", cgDir, err)
	}
}

// TestCgroupV2Files checks what the platform writes under cgroup v2, on a
// fake hierarchy (a plain folder with a cgroup.controllers file): this host
// runs cgroup v1, so v2 is otherwise untested here.
func TestCgroupV2Files(t *testing.T) {
	t.Parallel()
	own, err := ownCgroups()
	if err != nil {
		t.Skip("no /proc/self/cgroup: ", err)
	}
	root := t.TempDir()
	base := filepath.Join(root, own[""])
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "cgroup.controllers"), []byte("cpuset cpu io memory pids\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, warn := newCgroupManager(root)
	if m.mode != IsolationCgroupV2 {
		t.Fatalf("mode = %q (%s), want cgroup-v2", m.mode, warn)
	}
	if b, _ := os.ReadFile(filepath.Join(base, "cgroup.subtree_control")); string(b) != "+cpu +memory" {
		t.Errorf("subtree_control = %q", b)
	}
	if err := m.setCPUShares(128); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(m.cpuBase, "cpu.weight")); string(b) != "12" {
		t.Errorf("platform cpu.weight = %q, want 12 (128 shares)", b)
	}
	cg, err := m.create(512)
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{"cpu.max": "5789 20000", "memory.max": "536870912"} {
		if b, _ := os.ReadFile(filepath.Join(cg.cpu, file)); string(b) != want {
			t.Errorf("%s = %q, want %q", file, b, want)
		}
	}
	if got := cg.procsFiles(); len(got) != 1 || got[0] != filepath.Join(cg.cpu, "cgroup.procs") {
		t.Errorf("procsFiles = %v", got)
	}
	if err := os.WriteFile(filepath.Join(cg.cpu, "memory.events"), []byte("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := cg.oomKills(); got != 1 {
		t.Errorf("oomKills = %d, want 1", got)
	}
}

// TestWithCPUShares lowers the platform folder's weight on a real
// cgroup-v1 hierarchy (root only) and refuses values the kernel would.
func TestWithCPUShares(t *testing.T) {
	t.Parallel()
	for _, bad := range []int{1, 262145} {
		if _, err := New(nil, WithCPUShares(bad), WithLogger(nil)); err == nil {
			t.Errorf("WithCPUShares(%d) accepted", bad)
		}
	}
	p, err := New(nil, WithCPUShares(128), WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	if p.CPUIsolation() != IsolationCgroupV1 {
		if p.CPUShares() != 0 {
			t.Errorf("CPUShares() = %d without cgroups, want 0", p.CPUShares())
		}
		t.Skipf("cpu isolation %q: the weight is only set on cgroup v1 here", p.CPUIsolation())
	}
	b, err := os.ReadFile(filepath.Join(p.cg.cpuBase, "cpu.shares"))
	if err != nil || strings.TrimSpace(string(b)) != "128" || p.CPUShares() != 128 {
		t.Errorf("platform cpu.shares = %q (%v), CPUShares() = %d; want 128", b, err, p.CPUShares())
	}
}

// TestWithInstanceNice starts an instance without cgroups under nice(1)
// and reads the nice value it runs at from its own /proc/self/stat.
func TestWithInstanceNice(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("nice"); err != nil {
		t.Skip("nice(1) is not installed")
	}
	for _, bad := range []int{0, 20} {
		if _, err := New(nil, WithInstanceNice(bad), WithLogger(nil)); err == nil {
			t.Errorf("WithInstanceNice(%d) accepted", bad)
		}
	}
	p, c, _ := startPlatform(t, []scenarios.Function{fnSpec(t, "env", "env", 512, 5*time.Second)}, WithCgroupRoot(""), WithInstanceNice(7))
	if p.InstanceNice() != 7 {
		t.Errorf("InstanceNice() = %d, want 7", p.InstanceNice())
	}
	out, _, _ := invoke(t, c, "env", `{}`)
	var env map[string]string
	if err := json.Unmarshal(out.Payload, &env); err != nil {
		t.Fatalf("payload %s: %v", out.Payload, err)
	}
	stat := env["stat"]
	fields := strings.Fields(stat[strings.LastIndexByte(stat, ')')+1:])
	if len(fields) < 17 || fields[16] != "7" { // fields[0] is field 3, nice is field 19
		t.Errorf("instance runs at nice %v, want 7 (stat %q)", fields[min(16, len(fields)-1)], stat)
	}
}
