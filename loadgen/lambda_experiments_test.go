package loadgen

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// TestRunServerlessExperiments runs a scenario's memory_sweep and
// cold_starts blocks against the fake Lambda API and summarises them from
// the encoded records, as benchctl run does.
func TestRunServerlessExperiments(t *testing.T) {
	t.Parallel()
	f := newFakeLambda(t, &fakeFn{name: "fn", mode: "ok", memory: 1024})
	tgt, err := NewLambdaTarget(context.Background(), f.options("fn"))
	if err != nil {
		t.Fatal(err)
	}
	warm := shortPhase("warm", 20, 100*time.Millisecond)
	warm.Record = new(bool)
	warm.Targets = []string{"fn"}
	steady := shortPhase("steady", 25, 250*time.Millisecond)
	steady.Targets = []string{"fn"}
	s := &scenarios.Scenario{
		Targets: []scenarios.Target{{Name: "fn", Kind: scenarios.KindAWSLambda, Function: "fn"}},
		Phases:  []scenarios.Phase{warm, steady},
		SLO:     scenarios.SLO{P99Ms: 5000},
		Experiments: scenarios.Experiments{
			MemorySweep: &scenarios.MemorySweep{Target: "fn", MemorySizes: []int{256, 2048}, Phases: []string{"warm", "steady"}},
			ColdStarts:  &scenarios.ColdStarts{Target: "fn", Samples: 2},
		},
	}
	var buf bytes.Buffer
	enc := results.NewJSONEncoder(&buf)
	r := &Runner{Encoder: enc, Seed: 9}
	var log strings.Builder
	err = RunServerlessExperiments(context.Background(), ServerlessEnv{
		Scenario: s, Targets: map[string]Target{"fn": tgt}, RunPhase: r.RunPhase, Encoder: enc,
		Control: []ControlOption{WithUpdatePoll(5 * time.Millisecond)}, Log: &log,
	})
	if err != nil {
		t.Fatal(err)
	}
	if fn := f.fn("fn"); fn.memory != 1024 || len(fn.env) != 1 {
		t.Errorf("function not restored: %d MB env %v", fn.memory, fn.env)
	}
	sum := &results.Summary{}
	if err := summarizeExperiments(&buf, s, sum); err != nil {
		t.Fatal(err)
	}
	ms := sum.Experiments.MemorySweep
	if len(ms) != 2 || ms[0].MemoryMB != 256 || ms[1].MemoryMB != 2048 || ms[0].Requests < 4 {
		t.Fatalf("memory sweep rows = %+v", ms)
	}
	// Same billed ms at 8× the memory: 256 MB is cheapest, and meets the SLO.
	if !ms[0].Cheapest || !ms[0].CheapestWithSLO || ms[1].Cheapest {
		t.Errorf("flags: %+v / %+v", ms[0], ms[1])
	}
	cs := sum.Experiments.ColdStarts
	if cs == nil || cs.Samples != 2 || cs.ColdObserved != 2 || cs.WarmLatencyMs.Count != 2 {
		t.Errorf("cold starts = %+v", cs)
	}
	if !strings.Contains(log.String(), "at 2048 MB") {
		t.Errorf("log = %q", log.String())
	}
}

// TestRunServerlessExperimentsSweepsEveryTarget sweeps memory_sweep.target
// then memory_sweep.targets, each through its own control client: every
// target gets its own rows, receives traffic only while it is swept, is
// restored afterwards, and is judged against its own SLO.
func TestRunServerlessExperimentsSweepsEveryTarget(t *testing.T) {
	t.Parallel()
	f := newFakeLambda(t, &fakeFn{name: "fa", mode: "ok", memory: 512}, &fakeFn{name: "fb", mode: "ok", memory: 1536})
	targets := map[string]Target{}
	for name, fn := range map[string]string{"a": "fa", "b": "fb"} {
		o := f.options(fn)
		o.Name = name
		tgt, err := NewLambdaTarget(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		targets[name] = tgt
	}
	steady := shortPhase("steady", 25, 250*time.Millisecond)
	steady.Targets = []string{"a", "b"}
	s := &scenarios.Scenario{
		Targets: []scenarios.Target{
			{Name: "a", Kind: scenarios.KindAWSLambda, Function: "fa"},
			// An SLO no row can meet: b must get no CheapestWithSLO row,
			// while a (global SLO) must.
			{Name: "b", Kind: scenarios.KindAWSLambda, Function: "fb", SLO: &scenarios.SLO{P99Ms: 1e-6}},
		},
		Phases: []scenarios.Phase{steady},
		SLO:    scenarios.SLO{P99Ms: 5000},
		Experiments: scenarios.Experiments{
			MemorySweep: &scenarios.MemorySweep{Target: "a", Targets: []string{"b"}, MemorySizes: []int{256, 2048}, Phases: []string{"steady"}},
		},
	}
	var buf bytes.Buffer
	enc := results.NewJSONEncoder(&buf)
	r := &Runner{Encoder: enc, Seed: 9}
	var log strings.Builder
	err := RunServerlessExperiments(context.Background(), ServerlessEnv{
		Scenario: s, Targets: targets, RunPhase: r.RunPhase, Encoder: enc,
		Control: []ControlOption{WithUpdatePoll(5 * time.Millisecond)}, Log: &log,
	})
	if err != nil {
		t.Fatal(err)
	}
	for fn, want := range map[string]int{"fa": 512, "fb": 1536} {
		if got := f.fn(fn); got.memory != want || got.env["KEEP"] != "1" {
			t.Errorf("%s not restored: %d MB env %v, want %d MB", fn, got.memory, got.env, want)
		}
	}
	wantLog := "memory sweep: a at 256 MB\nmemory sweep: a at 2048 MB\nmemory sweep: b at 256 MB\nmemory sweep: b at 2048 MB\n"
	if log.String() != wantLog {
		t.Errorf("log = %q, want %q", log.String(), wantLog)
	}
	// Every record was sent while its own target was swept: the memory it
	// ran at is its step's.
	recs := bytes.NewReader(buf.Bytes())
	dec := results.NewJSONDecoder(recs)
	perTarget := map[string]int{}
	for {
		var rec results.Record
		if err := dec(&rec); err != nil {
			break
		}
		perTarget[rec.Target]++
		mb, ok := results.ParseMemoryStep(rec.Step)
		if !ok || rec.Experiment != ExperimentMemorySweep || rec.MemorySizeMB == nil || *rec.MemorySizeMB != mb {
			t.Fatalf("record of %s: step %q experiment %q memory %v", rec.Target, rec.Step, rec.Experiment, rec.MemorySizeMB)
		}
	}
	if perTarget["a"] < 8 || perTarget["b"] < 8 {
		t.Errorf("records per target = %v", perTarget)
	}
	sum := &results.Summary{}
	if err := summarizeExperiments(&buf, s, sum); err != nil {
		t.Fatal(err)
	}
	type key struct {
		target string
		mb     int
	}
	got := map[key]results.MemorySweepRow{}
	for _, row := range sum.Experiments.MemorySweep {
		got[key{row.Target, row.MemoryMB}] = row
	}
	if len(sum.Experiments.MemorySweep) != 4 || len(got) != 4 {
		t.Fatalf("memory sweep rows = %+v, want a and b at 256 and 2048 MB", sum.Experiments.MemorySweep)
	}
	for k, row := range got {
		if row.Requests < 4 || row.Errors != 0 {
			t.Errorf("row %v = %+v", k, row)
		}
	}
	if !got[key{"a", 256}].CheapestWithSLO || got[key{"b", 256}].CheapestWithSLO || got[key{"b", 2048}].CheapestWithSLO {
		t.Errorf("per-target SLO flags: a256 %v b256 %v b2048 %v", got[key{"a", 256}].CheapestWithSLO,
			got[key{"b", 256}].CheapestWithSLO, got[key{"b", 2048}].CheapestWithSLO)
	}
	if !got[key{"a", 256}].Cheapest || !got[key{"b", 256}].Cheapest {
		t.Errorf("each target has its own cheapest row: %+v", got)
	}
}

func TestRunServerlessExperimentsErrors(t *testing.T) {
	t.Parallel()
	f := newFakeLambda(t, &fakeFn{name: "fn", mode: "ok"})
	tgt, err := NewLambdaTarget(context.Background(), f.options("fn"))
	if err != nil {
		t.Fatal(err)
	}
	inner, err := NewHTTPTarget(scenarios.Target{Name: "h", URL: f.srv.URL}, "")
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]Target{"fn": tgt, "h": inner}
	tests := []struct {
		name    string
		ex      scenarios.Experiments
		wantErr string
	}{
		{"unknown target", scenarios.Experiments{MemorySweep: &scenarios.MemorySweep{Target: "nope", MemorySizes: []int{512}, Phases: []string{"p"}}}, "unknown target"},
		{"unknown further target", scenarios.Experiments{MemorySweep: &scenarios.MemorySweep{Target: "fn", Targets: []string{"nope"}, MemorySizes: []int{512}, Phases: []string{"p"}}}, "unknown target"},
		{"further target without control plane", scenarios.Experiments{MemorySweep: &scenarios.MemorySweep{Target: "fn", Targets: []string{"h"}, MemorySizes: []int{512}, Phases: []string{"p"}}}, "no Lambda control plane"},
		{"unknown phase", scenarios.Experiments{MemorySweep: &scenarios.MemorySweep{Target: "fn", MemorySizes: []int{512}, Phases: []string{"nope"}}}, "unknown phase"},
		{"http target", scenarios.Experiments{ColdStarts: &scenarios.ColdStarts{Target: "h", Samples: 1}}, "no Lambda control plane"},
		{"bad size", scenarios.Experiments{MemorySweep: &scenarios.MemorySweep{Target: "fn", MemorySizes: []int{64}, Phases: []string{"p"}}}, "outside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &scenarios.Scenario{Phases: []scenarios.Phase{shortPhase("p", 1, time.Millisecond)}, Experiments: tt.ex}
			err := RunServerlessExperiments(context.Background(), ServerlessEnv{Scenario: s, Targets: targets,
				RunPhase: (&Runner{}).RunPhase, Encoder: func(*results.Record) error { return nil }})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewTargetServerlessKinds(t *testing.T) {
	t.Parallel()
	env := TargetEnv{FunctionEndpoints: map[string]string{"sentiment": "http://127.0.0.1:9"}}
	tests := []struct {
		name     string
		spec     scenarios.Target
		wantKind string
		wantErr  string
	}{
		{"local", scenarios.Target{Name: "a", Kind: scenarios.KindLocalLambda, Function: "sentiment"}, scenarios.KindLocalLambda, ""},
		{"local not served", scenarios.Target{Name: "b", Kind: scenarios.KindLocalLambda, Function: "other"}, "", "not served"},
		{"aws with endpoint", scenarios.Target{Name: "c", Kind: scenarios.KindAWSLambda, Function: "f", Region: "eu-west-1", Endpoint: "http://127.0.0.1:9"}, scenarios.KindAWSLambda, ""},
		{"url", scenarios.Target{Name: "d", Kind: scenarios.KindLambdaURL, URL: "http://127.0.0.1:9/", Function: "f", Region: "us-east-1"}, scenarios.KindLambdaURL, ""},
		{"url without function", scenarios.Target{Name: "e", Kind: scenarios.KindLambdaURL, URL: "http://127.0.0.1:9/"}, "", "function"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NewTarget(tt.spec, env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind() != tt.wantKind || got.Name() != tt.spec.Name {
				t.Errorf("kind %s name %s", got.Kind(), got.Name())
			}
		})
	}
}
