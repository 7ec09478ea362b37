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
		Targets: []scenarios.Target{{Name: "fn", Kind: KindAWSLambda, Function: "fn"}},
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
	if err := SummarizeServerlessExperiments(results.NewJSONDecoder(&buf), s, sum); err != nil {
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
		{"local", scenarios.Target{Name: "a", Kind: KindLocalLambda, Function: "sentiment"}, KindLocalLambda, ""},
		{"local not served", scenarios.Target{Name: "b", Kind: KindLocalLambda, Function: "other"}, "", "not served"},
		{"aws with endpoint", scenarios.Target{Name: "c", Kind: KindAWSLambda, Function: "f", Region: "eu-west-1", Endpoint: "http://127.0.0.1:9"}, KindAWSLambda, ""},
		{"url", scenarios.Target{Name: "d", Kind: KindLambdaURL, URL: "http://127.0.0.1:9/", Function: "f", Region: "us-east-1"}, KindLambdaURL, ""},
		{"url without function", scenarios.Target{Name: "e", Kind: KindLambdaURL, URL: "http://127.0.0.1:9/"}, "", "function"},
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
