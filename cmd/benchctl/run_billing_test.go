package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/locallambda"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// startInvokeOnlyPlatform serves the real `benchctl function` (this test
// binary acting as benchctl) on the local platform the way AWS's Lambda
// Runtime Interface Emulator does: Invoke only (the control API answers
// 404 text/plain) and no log tail, so no REPORT line reaches the client.
func startInvokeOnlyPlatform(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	fn := scenarios.Function{Name: "senti", Command: []string{"benchctl", "function", "--model", "tinybert-4l-312", "--task", "sentiment"},
		MemorySize: 1769, Timeout: 30 * time.Second, Environment: map[string]string{asBinaryEnv: "1"}}
	p, err := locallambda.New([]scenarios.Function{fn}, locallambda.WithSelfExecutable(exe), locallambda.WithLogger(io.Discard),
		locallambda.WithLogTail(false), locallambda.WithInvokeOnly(), locallambda.WithCgroupRoot(""))
	if err != nil {
		t.Fatal(err)
	}
	endpoint, err := p.Start(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	return endpoint
}

// TestRunEndpointWithoutLogTails: an aws-lambda target on an endpoint that
// returns no log tail and has no control API. The run says once that the
// endpoint is Invoke-only, finishes, and says "no billing data for N of N
// requests" on stderr and in summary.json (billing_missing per phase, a
// note), with cold starts unknown (null), not 0. A cold_starts experiment
// on it is refused before anything is sent.
func TestRunEndpointWithoutLogTails(t *testing.T) {
	if testing.Short() {
		t.Skip("starts function instances: skipped with -short")
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDLOCAL")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secretlocal")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	endpoint := startInvokeOnlyPlatform(t)
	scenario := func(dir, extra string) string {
		p := filepath.Join(dir, "rie.yaml")
		y := fmt.Sprintf(`version: 1
name: rie
targets:
  - {name: fn, kind: aws-lambda, function: senti, region: us-east-1, endpoint: "%s", timeout: 35s}
payloads: {inline: [{text: "great phone, awful battery"}], body: '{"text": {{json .text}}}'}
phases:
  - {name: steady, targets: [fn], duration: 2s, traffic: {model: constant, rate: 5}}
pricing: {region: us-east-1, instances: [c7g.large], capacity_rps: 50}
%s`, endpoint, extra)
		if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	t.Run("no billing data", func(t *testing.T) {
		dir := t.TempDir()
		out := filepath.Join(dir, "run")
		code, stdout, stderr := runTestMain(context.Background(), "run", scenario(dir, ""), "--out", out, "--quiet", "--max-spend", "100")
		if code != ExitOK {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		if n := strings.Count(stderr, "implements the Lambda Invoke API only"); n != 1 {
			t.Errorf("the Invoke-only endpoint is named %d times on stderr, want once:\n%s", n, stderr)
		}
		var sum results.Summary
		raw, err := os.ReadFile(filepath.Join(out, results.SummaryFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &sum); err != nil {
			t.Fatal(err)
		}
		if len(sum.Targets) != 1 || len(sum.Targets[0].Phases) != 1 {
			t.Fatalf("targets %+v", sum.Targets)
		}
		p := sum.Targets[0].Phases[0]
		if p.Requests < 5 || p.OK != p.Requests {
			t.Fatalf("phase %+v: want every request answered", p)
		}
		if p.BillingMissing == nil || *p.BillingMissing != p.Requests {
			t.Errorf("billing_missing = %v, want %d (every request)", p.BillingMissing, p.Requests)
		}
		if p.ColdStarts != nil || p.ColdStartRate != nil || !strings.Contains(string(raw), `"cold_starts": null`) {
			t.Errorf("cold_starts = %v, want null (unknown), not 0", p.ColdStarts)
		}
		want := fmt.Sprintf("no billing data for %d of %d requests", p.Requests, p.Requests)
		if !strings.Contains(stderr, "benchctl: warning: fn: "+want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
		noted := false
		for _, n := range sum.Notes {
			noted = noted || strings.Contains(n, want) && strings.Contains(n, "cold starts are unknown")
		}
		if !noted {
			t.Errorf("summary notes %q lack %q with cold starts unknown", sum.Notes, want)
		}
		for _, n := range sum.Notes {
			if strings.Contains(n, "thrott") {
				t.Errorf("a note blames throttling for missing billing data (nothing was throttled): %q", n)
			}
		}
		md, err := os.ReadFile(filepath.Join(out, "report.md"))
		if err != nil {
			t.Fatalf("no report.md: %v", err)
		}
		if !strings.Contains(string(md), "unknown") {
			t.Errorf("report.md does not show the cold starts as unknown:\n%s", md)
		}
	})

	t.Run("experiment needing the control API is refused up front", func(t *testing.T) {
		dir := t.TempDir()
		out := filepath.Join(dir, "run")
		code, _, stderr := runTestMain(context.Background(), "run", scenario(dir, "experiments:\n  cold_starts: {target: fn, samples: 2}\n"), "--out", out, "--quiet", "--max-spend", "100")
		if code != ExitBadInput {
			t.Fatalf("exit %d, want 2\nstderr:\n%s", code, stderr)
		}
		if !strings.Contains(stderr, "cold_starts") || !strings.Contains(stderr, "implements the Lambda Invoke API only") || strings.Contains(stderr, "deserialization") {
			t.Errorf("stderr does not name the experiment and the Invoke-only endpoint plainly:\n%s", stderr)
		}
		if _, err := os.Stat(filepath.Join(out, results.ResultsFile)); err == nil {
			t.Errorf("a refused run wrote %s", results.ResultsFile)
		}
	})
}
