package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/pricing"
)

// TestMaxSpendCoversTheGenerators: a distributed run on engine lambda
// prices its worker invocations in the pre-run estimate (a line apart
// from the system under test, whose http target here costs nothing), and
// a limit below them refuses to start; local-lambda generators cost $0.
func TestMaxSpendCoversTheGenerators(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	scenario := func(block string) string {
		path := filepath.Join(dir, strings.Fields(block)[1]+".yaml")
		raw := `version: 1
name: gen-spend
targets: [{name: web, kind: http, url: 'http://127.0.0.1:1/', method: GET}]
phases: [{name: main, targets: [web], duration: 20m, traffic: {model: constant, rate: 1}}]
` + block
		if err := os.WriteFile(path, []byte(raw), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	run := func(path string, mutate func(*RunOptions)) (string, error) {
		var out, errb bytes.Buffer
		opts := &RunOptions{Stdout: &out, Stderr: &errb, Scenario: path,
			Dir: filepath.Join(dir, "run"), Quiet: true}
		if mutate != nil {
			mutate(opts)
		}
		err := runRun(context.Background(), opts)
		return out.String() + errb.String(), err
	}
	lambda := scenario("distributed: {engine: lambda, workers: 10, memory_mb: 1769, store: 's3://b/p', role: 'arn:aws:iam::123456789012:role/w'}\n")
	out, err := run(lambda, func(o *RunOptions) { o.DryRun = true })
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	// 20 min timeline, 14 min windows: 2 invocations per worker, window
	// 0 for 3 s (lead and barrier) + 14 min + 30 s drain, window 1 for
	// 30 s (handover) + 6 min + 30 s: 646.5 s on average; 20 invocations
	// × 646.5 s × 1.7275 GB × $0.0000166667 + the request fee = $0.3723.
	for _, want := range []string{pricing.GeneratorTarget, "10 workers", " 20 ", "646500.0 ms", "0.3723"} {
		if !strings.Contains(out, want) {
			t.Fatalf("the estimate has no %q:\n%s", want, out)
		}
	}
	_, err = run(lambda, func(o *RunOptions) { o.MaxSpend, o.MaxSpendSet = 0.10, true })
	if !errors.Is(err, pricing.ErrOverBudget) || exitCodeFor(err) != ExitBadInput {
		t.Fatalf("a $0.10 limit under $0.37 of generators: %v (exit %d), want ErrOverBudget, exit %d", err, exitCodeFor(err), ExitBadInput)
	}
	if !strings.Contains(err.Error(), "--max-spend 0.38") {
		t.Errorf("error does not give the limit to set: %v", err)
	}
	local := scenario("distributed: {engine: local-lambda, workers: 10}\n")
	out, err = run(local, func(o *RunOptions) { o.DryRun = true })
	if err != nil || !strings.Contains(out, "spend: $0") {
		t.Errorf("local-lambda generators: %v\n%s", err, out)
	}
}
