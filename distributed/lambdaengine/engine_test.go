package lambdaengine

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/benchctl/benchctl/distributed"
	"github.com/benchctl/benchctl/distributed/s3local"
	"github.com/benchctl/benchctl/locallambda"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// workerEnv makes the test binary the worker function (the package made
// from it by PackageBinary runs `<binary> worker` under the platform's
// Runtime API).
const workerEnv = "LAMBDAENGINE_TEST_WORKER"

func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) == "1" {
		awslambda.Start(func(ctx context.Context, ev distributed.Event) (json.RawMessage, error) {
			if dl, ok := ctx.Deadline(); ok {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, dl.Add(-time.Second))
				defer cancel()
			}
			m, err := distributed.RunWorker(ctx, distributed.WorkerOptions{Store: ev.Store, Index: ev.Index, Window: ev.Window, Log: os.Stderr})
			if err != nil {
				return nil, err
			}
			return json.Marshal(map[string]any{"status": m.Status, "requests": m.Requests})
		})
		return
	}
	os.Exit(m.Run())
}

const role = "arn:aws:iam::123456789012:role/benchctl-worker"

// platform starts an empty local Lambda platform and returns its endpoint
// and an SDK client for the test's own checks.
func platform(t *testing.T) (string, *lambda.Client) {
	t.Helper()
	p, err := locallambda.New(nil, locallambda.WithLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	endpoint, err := p.Start(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = p.Close(ctx)
	})
	return endpoint, client(endpoint)
}

func client(endpoint string) *lambda.Client {
	return lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
}

func engine(t *testing.T, endpoint, fn string, workers int, store distributed.StoreRef) *Engine {
	t.Helper()
	regions := make([]string, workers)
	for i := range regions {
		regions[i] = "us-east-1"
	}
	e, err := New(context.Background(), Options{Function: fn, Regions: regions, Endpoint: endpoint, Store: store,
		Timeout: 30 * time.Second, LeadTime: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// smallPackage is a package whose bootstrap only exits (for deploy tests
// that invoke nothing).
func smallPackage(t *testing.T, marker string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, _ := zw.CreateHeader(h)
	_, _ = w.Write([]byte("#!/bin/sh\n# " + marker + "\nexit 1\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func getFunction(t *testing.T, c *lambda.Client, fn string) (*lambda.GetFunctionOutput, error) {
	t.Helper()
	return c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
}

// TestDeployInvokeMergeDelete is the engine end to end on the local
// platform through the real SDK: Deploy creates the worker function from
// this binary's package (retries of asynchronous invocations off), the
// coordinator invokes 3 workers, the merge has every scheduled request
// once, each invocation reports its REPORT billing, and Close deletes the
// function it created.
func TestDeployInvokeMergeDelete(t *testing.T) {
	t.Parallel()
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer target.Close()
	s3, err := s3local.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close(context.Background())
	root, err := distributed.OpenStore(context.Background(), distributed.StoreRef{URL: "s3://bench/runs", Endpoint: s3.Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	if err := root.EnsureBucket(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := root.Sub("run-1")
	endpoint, c := platform(t)
	e := engine(t, endpoint, "benchctl-worker", 3, st.Ref())
	exe, _ := os.Executable()
	pkg, err := PackageBinary(exe)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	ctx := context.Background()
	if err := e.Deploy(ctx, DeployOptions{Package: pkg, Architecture: "x86_64", Role: role, MemoryMB: 512, RunID: "run-1",
		Environment: map[string]string{workerEnv: "1"}, Log: &log}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "created worker function") {
		t.Errorf("log: %s", log.String())
	}
	eic, err := c.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("benchctl-worker")})
	if err != nil || eic.MaximumRetryAttempts == nil || *eic.MaximumRetryAttempts != 0 {
		t.Errorf("event invoke config %+v, %v: want MaximumRetryAttempts 0", eic, err)
	}
	raw := []byte(`version: 1
name: engine-e2e
seed: 3
targets: [{name: noop, kind: http, url: '` + target.URL + `', method: GET, timeout: 5s}]
phases: [{name: main, targets: [noop], duration: 1500ms, traffic: {model: poisson, rate: 120}}]
`)
	s, err := scenarios.Parse("s.yaml", raw, scenarios.WithoutFileChecks())
	if err != nil {
		t.Fatal(err)
	}
	plan, err := distributed.NewPlan(s, distributed.PlanOptions{RunID: "run-1", Engine: "lambda", Workers: 3, Store: st.Ref(),
		LeadTime: 300 * time.Millisecond, ReadyTimeout: 60 * time.Second, Seed: s.Seed})
	if err != nil {
		t.Fatal(err)
	}
	out, err := distributed.Coordinate(ctx, distributed.CoordinatorOptions{Store: st, Plan: plan, Engine: e, Drain: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for inv, ex := range out.Exits {
		if ex.Err != nil || ex.BilledMs <= 0 || ex.MemoryMB != 512 {
			t.Errorf("%s: %+v, want a clean exit billed at 512 MB", inv, ex)
		}
	}
	merged, err := distributed.Merge(ctx, distributed.MergeOptions{Store: st, Plan: plan, Go: out.Go, Dir: t.TempDir(), Exits: out.Exits})
	if err != nil {
		t.Fatal(err)
	}
	if merged.Records != int64(plan.Phases[0].Hits) || merged.Missing != 0 {
		t.Errorf("merged %d records, %d missing; the schedule has %d", merged.Records, merged.Missing, plan.Phases[0].Hits)
	}
	for _, w := range merged.Workers {
		if w.Status != results.WorkerOK && w.Status != results.WorkerLate {
			t.Errorf("worker %+v", w)
		}
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	var nf *types.ResourceNotFoundException
	if _, err := getFunction(t, c, "benchctl-worker"); !errors.As(err, &nf) {
		t.Errorf("the created function is still there after Close: %v", err)
	}
}

// TestDeployUpdatesBackAnExistingFunction: a pre-existing worker function
// with other code and settings is updated for the run and, on Close, gets
// its own package, memory, timeout and environment back (and still
// exists).
func TestDeployUpdatesBackAnExistingFunction(t *testing.T) {
	t.Parallel()
	endpoint, c := platform(t)
	ctx := context.Background()
	theirs := smallPackage(t, "theirs")
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("w"), Runtime: types.RuntimeProvidedal2023,
		Role: aws.String(role), Code: &types.FunctionCode{ZipFile: theirs}, MemorySize: aws.Int32(256), Timeout: aws.Int32(10),
		Environment: &types.Environment{Variables: map[string]string{"OWNER": "team"}}}); err != nil {
		t.Fatal(err)
	}
	before, err := getFunction(t, c, "w")
	if err != nil {
		t.Fatal(err)
	}
	e := engine(t, endpoint, "w", 2, distributed.StoreRef{URL: "s3://b/p"})
	ours := smallPackage(t, "ours")
	var log bytes.Buffer
	if err := e.Deploy(ctx, DeployOptions{Package: ours, Architecture: "x86_64", MemoryMB: 1024, Log: &log}); err != nil {
		t.Fatal(err)
	}
	during, _ := getFunction(t, c, "w")
	if aws.ToString(during.Configuration.CodeSha256) == aws.ToString(before.Configuration.CodeSha256) || aws.ToInt32(during.Configuration.MemorySize) != 1024 || aws.ToInt32(during.Configuration.Timeout) != 30 {
		t.Errorf("during the run: sha %s memory %d timeout %d", aws.ToString(during.Configuration.CodeSha256), aws.ToInt32(during.Configuration.MemorySize), aws.ToInt32(during.Configuration.Timeout))
	}
	if !strings.Contains(log.String(), "updated back") {
		t.Errorf("log: %s", log.String())
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := getFunction(t, c, "w")
	if err != nil {
		t.Fatalf("the existing function is gone after Close: %v", err)
	}
	a, b := after.Configuration, before.Configuration
	if aws.ToString(a.CodeSha256) != aws.ToString(b.CodeSha256) || aws.ToInt32(a.MemorySize) != 256 || aws.ToInt32(a.Timeout) != 10 || a.Environment.Variables["OWNER"] != "team" {
		t.Errorf("after Close: sha %s (was %s) memory %d timeout %d env %v", aws.ToString(a.CodeSha256), aws.ToString(b.CodeSha256),
			aws.ToInt32(a.MemorySize), aws.ToInt32(a.Timeout), a.Environment.Variables)
	}
}

// TestDeployLeavesAMatchingFunction: a function that already has the
// package and settings is used and left exactly as found.
func TestDeployLeavesAMatchingFunction(t *testing.T) {
	t.Parallel()
	endpoint, c := platform(t)
	ctx := context.Background()
	pkg := smallPackage(t, "same")
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("w"), Runtime: types.RuntimeProvidedal2023,
		Role: aws.String(role), Code: &types.FunctionCode{ZipFile: pkg}, MemorySize: aws.Int32(512), Timeout: aws.Int32(30)}); err != nil {
		t.Fatal(err)
	}
	before, _ := getFunction(t, c, "w")
	e := engine(t, endpoint, "w", 1, distributed.StoreRef{URL: "s3://b/p"})
	if err := e.Deploy(ctx, DeployOptions{Package: pkg, Architecture: "x86_64", MemoryMB: 512}); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := getFunction(t, c, "w")
	if err != nil || aws.ToString(after.Configuration.RevisionId) != aws.ToString(before.Configuration.RevisionId) {
		t.Errorf("revision %s → %s (%v): want it untouched", aws.ToString(before.Configuration.RevisionId), aws.ToString(after.Configuration.RevisionId), err)
	}
}

// TestDeployRefuses: no role to create with, and a bad package, stop
// before anything is created.
func TestDeployRefuses(t *testing.T) {
	t.Parallel()
	endpoint, c := platform(t)
	e := engine(t, endpoint, "w", 1, distributed.StoreRef{URL: "s3://b/p"})
	ctx := context.Background()
	if err := e.Deploy(ctx, DeployOptions{Package: smallPackage(t, "x"), Architecture: "x86_64", MemoryMB: 512}); err == nil || !strings.Contains(err.Error(), "distributed.role") {
		t.Errorf("no role: %v", err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("bootstrap") // mode 0644
	_, _ = w.Write([]byte("#!/bin/sh\n"))
	_ = zw.Close()
	for name, pkg := range map[string][]byte{"not executable": b.Bytes(), "not a zip": []byte("MZ"), "too big": make([]byte, MaxDirectZipBytes+1)} {
		if err := e.Deploy(ctx, DeployOptions{Package: pkg, Architecture: "x86_64", Role: role, MemoryMB: 512}); err == nil {
			t.Errorf("%s: deployed", name)
		}
	}
	var nf *types.ResourceNotFoundException
	if _, err := getFunction(t, c, "w"); !errors.As(err, &nf) {
		t.Errorf("a function was created: %v", err)
	}
	if err := e.Close(ctx); err != nil {
		t.Error(err)
	}
}

// TestInvokeIsNeverRetried puts a proxy in front of the platform that
// answers the first Invoke with a retryable 500: the invocation fails once
// and the platform sees exactly one request (RetryMaxAttempts 1), so a
// worker's load is never sent twice by the SDK.
func TestInvokeIsNeverRetried(t *testing.T) {
	t.Parallel()
	endpoint, _ := platform(t)
	u, _ := url.Parse(endpoint)
	var invokes atomic.Int32
	rp := httputil.NewSingleHostReverseProxy(u)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/invocations") {
			invokes.Add(1)
			w.Header().Set("X-Amzn-ErrorType", "ServiceException")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"message":"try again"}`))
			return
		}
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	e := engine(t, proxy.URL, "w", 1, distributed.StoreRef{URL: "s3://b/p"})
	exits := make(chan distributed.Exit, 1)
	if err := e.Launch(context.Background(), []distributed.Invocation{{Index: 0}}, exits); err != nil {
		t.Fatal(err)
	}
	ex := <-exits
	if ex.Err == nil {
		t.Fatal("the invocation succeeded through a failing endpoint")
	}
	if n := invokes.Load(); n != 1 {
		t.Errorf("%d Invoke requests, want 1 (no SDK retry)", n)
	}
	_ = e.Close(context.Background())
}

// TestWindow: the window is the function timeout less the time before
// it (handover, or barrier and lead time) and the drain, at most 14 min.
func TestWindow(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		timeout, lead, want, handover time.Duration
	}{
		{15 * time.Minute, 2 * time.Second, 14 * time.Minute, 30 * time.Second},
		{5 * time.Minute, 2 * time.Second, 5*time.Minute - 30*time.Second - 30*time.Second, 30 * time.Second},
		{3 * time.Second, 300 * time.Millisecond, 3*time.Second - 1300*time.Millisecond - 750*time.Millisecond, 750 * time.Millisecond},
	} {
		e := &Engine{o: Options{Timeout: c.timeout, LeadTime: c.lead}}
		w, h := e.Window()
		if w != c.want || h != c.handover {
			t.Errorf("timeout %v lead %v: window %v handover %v, want %v %v", c.timeout, c.lead, w, h, c.want, c.handover)
		}
	}
}
