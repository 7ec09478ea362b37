package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/benchctl/benchctl/results"
)

// TestRunTrials runs a scenario with trials: 3 (a priced phase against two
// loopback targets and a capacity search of both): records and run.json
// carry trials 1–3, the capacity searches are interleaved (every round
// searches both before the next), the summary lists three trials per
// phase with intervals over them, and the cost and capacity intervals hold
// every trial's value.
func TestRunTrials(t *testing.T) {
	t.Parallel()
	a, b := runTestEchoServer(t, 0), runTestEchoServer(t, 0)
	dir := t.TempDir()
	scenario := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(scenario, []byte(fmt.Sprintf(`version: 1
name: trials
seed: 9
trials: 3
targets:
  - {name: a, kind: http, url: "%s/", timeout: 5s, billing: {platform: cloud-run, memory_mb: 512, vcpu: 1}}
  - {name: b, kind: http, url: "%s/", timeout: 5s}
phases:
  - {name: warm, targets: [a, b], duration: 200ms, traffic: {model: constant, rate: 20}, record: false}
  - {name: steady, targets: [a, b], duration: 600ms, traffic: {model: poisson, rate: 60}}
experiments:
  capacity: {target: a, targets: [b], slo: {p99_ms: 1000}, min_rps: 20, max_rps: 40, step_duration: 300ms, min_samples: 5, tolerance: 0.5}
output: {formats: [json]}
`, a.URL, b.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run")
	code, stdout, stderr := runTestMain(context.Background(), "run", scenario, "--out", out, "--quiet")
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	rd, err := results.ReadRunDir(out)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(out, results.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := results.NewJSONDecoder(f)
	perTrial := map[string]map[int]int{}
	for {
		var r results.Record
		err := dec(&r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		k := r.Phase + "/" + r.Experiment
		if perTrial[k] == nil {
			perTrial[k] = map[int]int{}
		}
		perTrial[k][r.Trial]++
	}
	for _, k := range []string{"steady/", "capacity/capacity"} {
		if len(perTrial[k]) != 3 || perTrial[k][1] == 0 || perTrial[k][2] == 0 || perTrial[k][3] == 0 {
			t.Errorf("records of %s per trial: %v, want trials 1, 2, 3", k, perTrial[k])
		}
	}
	if _, warm := perTrial["warm/"]; warm {
		t.Errorf("the unrecorded warm-up has records")
	}

	// run.json: the warm-up once, steady three times, and the capacity
	// searches interleaved: both targets' trial-r steps before any of r+1.
	var lastTrial int
	var steady, warm int
	for _, p := range rd.Info.Phases {
		switch {
		case p.Name == "warm":
			warm++
		case p.Name == "steady":
			steady++
		case p.Experiment == results.ExperimentCapacity && p.Recorded:
			if p.Trial < lastTrial {
				t.Errorf("capacity trial %d after trial %d: searches not interleaved", p.Trial, lastTrial)
			}
			lastTrial = p.Trial
		}
	}
	if warm != 1 || steady != 3 || lastTrial != 3 {
		t.Errorf("run.json: warm %d×, steady %d×, last capacity trial %d; want 1, 3, 3", warm, steady, lastTrial)
	}

	var sum results.Summary
	raw, _ := os.ReadFile(filepath.Join(out, results.SummaryFile))
	if err := json.Unmarshal(raw, &sum); err != nil {
		t.Fatal(err)
	}
	for _, ts := range sum.Targets {
		for _, p := range ts.Phases {
			if p.Name != "steady" {
				continue
			}
			if len(p.Trials) != 3 || p.LatencyCI == nil || p.LatencyCI.P99.Scope != results.ScopeTrials || len(p.LatencyCI.P99.Trials) != 3 {
				t.Errorf("%s/steady: trials %+v, latency CI %+v", ts.Name, p.Trials, p.LatencyCI)
				continue
			}
			iv := p.LatencyCI.P50
			if !(iv.Low <= iv.Value && iv.Value <= iv.High) || iv.High <= iv.Low {
				t.Errorf("%s/steady p50 interval %+v", ts.Name, iv)
			}
		}
	}
	if len(sum.Experiments.Capacity) != 2 {
		t.Fatalf("capacity results %+v, want one per target", sum.Experiments.Capacity)
	}
	for _, c := range sum.Experiments.Capacity {
		if len(c.Trials) != 3 || c.CapacityCI == nil || len(c.CapacityCI.Trials) != 3 {
			t.Errorf("capacity %s: trials %+v ci %+v", c.Target, c.Trials, c.CapacityCI)
		}
	}
	priced := false
	for _, c := range sum.Cost {
		if c.Target == "a" && c.Phase == "steady" {
			priced = true
			if len(c.CostPerMillionTrials) != 3 {
				t.Errorf("cost row: trials %v, want 3", c.CostPerMillionTrials)
			}
			for _, v := range c.CostPerMillionTrials {
				if v < c.CostPerMillionLow*0.5 || v > c.CostPerMillionHi*2 {
					t.Errorf("trial cost %v far outside the interval [%v, %v]", v, c.CostPerMillionLow, c.CostPerMillionHi)
				}
			}
		}
	}
	if !priced {
		t.Errorf("no cost row for a/steady: %+v", sum.Cost)
	}
}
