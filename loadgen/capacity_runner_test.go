package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
	"github.com/benchctl/benchctl/summary"
)

// fixedServiceServer serves every request in exactly service time with at
// most slots requests in service at once (the rest queue), so its
// throughput ceiling is slots/service.
func fixedServiceServer(t *testing.T, slots int, service time.Duration) *httptest.Server {
	t.Helper()
	sem := make(chan struct{}, slots)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case sem <- struct{}{}:
		case <-r.Context().Done():
			return
		}
		time.Sleep(service)
		<-sem
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestRunCapacityLoopbackServer is deliberately not parallel: it measures
// latency on loopback, and the package's parallel tests (high-rate attacks)
// would otherwise share the CPU with it and make the generator fall behind.
func TestRunCapacityLoopbackServer(t *testing.T) {
	const (
		slots   = 2
		service = 20 * time.Millisecond
	)
	ceiling := float64(slots) / service.Seconds() // 100 rps
	srv := fixedServiceServer(t, slots, service)
	target, err := NewHTTPTarget(scenarios.Target{Name: "fixed", Kind: "http", Method: http.MethodGet, Timeout: 5 * time.Second}, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		recs []results.Record
	)
	runner := &Runner{Seed: 7, Encoder: func(r *results.Record) error {
		mu.Lock()
		recs = append(recs, *r)
		mu.Unlock()
		return nil
	}}
	var observed []string
	prober := &RunnerProber{Runner: runner, Target: target, Record: true,
		Observe: func(o PhaseOutcome) { observed = append(observed, o.Info.Step) }}
	spec := scenarios.Capacity{
		Target: "fixed",
		// Below the ceiling an M/D/2 queue waits little; above it the queue
		// grows by (rate − 100)/s, so p99 crosses 300 ms just above 100 rps
		// within a 1.5 s step and the capacity lies close under the ceiling.
		SLO:          scenarios.SLO{P99Ms: 300, ErrorRate: 0.01},
		MinRPS:       30,
		MaxRPS:       400,
		StepDuration: 1500 * time.Millisecond,
		Tolerance:    0.15,
		MinSamples:   40,
	}
	// When the host starves the generator (another test binary saturating
	// both cores), the search rightly fails a step for "generator fell
	// behind" below the ceiling: that is the host, not the search. Such an
	// attempt is repeated (at most 3 in all) and the test skips, with the
	// numbers, only when every attempt was host-limited.
	var got results.CapacityResult
	for attempt := 1; ; attempt++ {
		mu.Lock()
		recs, observed = nil, nil
		mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		var err error
		got, err = RunCapacity(ctx, prober, spec, WithCapacityConfig("slots=2"))
		cancel()
		if err != nil {
			t.Fatalf("RunCapacity: %v", err)
		}
		t.Logf("attempt %d: capacity %.1f rps [%.1f, %.1f], ceiling %.0f rps, %d steps", attempt, got.CapacityRPS, got.CapacityRPSLow, got.CapacityRPSHi, ceiling, len(got.Steps))
		hostLimited := false
		for _, st := range got.Steps {
			t.Logf("  %6.1f rps: achieved %6.1f, n=%d, p50 %.1f ms, p99 %.1f ms [%.1f, %.1f] @%.2f, errors %d, behind %v, passed %v %v",
				st.OfferedRPS, st.AchievedRPS, st.Samples, st.P50Ms, st.P99Ms, st.P99LowMs, st.P99HighMs, st.P99CILevel, st.Errors, st.FellBehind, st.Passed, st.FailReasons)
			hostLimited = hostLimited || (st.FellBehind && st.OfferedRPS < ceiling)
		}
		if !hostLimited || got.CapacityRPS >= 0.6*ceiling {
			break
		}
		if attempt == 3 {
			t.Skipf("the generator fell behind below the ceiling in %d attempts: the host is saturated, the search cannot be judged now", attempt)
		}
	}
	// Known capacity: just under the 100 rps ceiling; generous lower bound
	// for a loaded 2-core machine (timer slack adds to the service time).
	// A short step overshoots the ceiling a little before the queue shows it.
	if got.CapacityRPS < 0.6*ceiling || got.CapacityRPS > 1.15*ceiling {
		t.Errorf("capacity = %.1f rps, want within [%.0f, %.0f] (ceiling %.0f rps)", got.CapacityRPS, 0.6*ceiling, 1.15*ceiling, ceiling)
	}
	if got.Config != "slots=2" || got.Target != "fixed" {
		t.Errorf("target/config = %q/%q", got.Target, got.Config)
	}
	checkSteps(t, got, spec)
	if len(observed) < len(got.Steps)+1 || observed[0] != CapacityWarmupStep {
		t.Errorf("observed probes %v; want the warm-up then every step", observed)
	}

	// Every probe was recorded, labelled with its step.
	mu.Lock()
	defer mu.Unlock()
	steps := map[string]int{}
	for _, r := range recs {
		if r.Experiment != ExperimentCapacity || !strings.HasPrefix(r.Step, "capacity_rps=") {
			t.Fatalf("record labelled %q/%q", r.Experiment, r.Step)
		}
		if r.CorrectedLatency < r.Latency-time.Millisecond {
			t.Fatalf("corrected latency %v below latency %v", r.CorrectedLatency, r.Latency)
		}
		steps[r.Step]++
	}
	var total int64
	for _, st := range got.Steps {
		total += st.Requests
		if steps[CapacityStepLabel(st.OfferedRPS)] == 0 {
			t.Errorf("no records for step %v", st.OfferedRPS)
		}
	}
	if int64(len(recs)) != total {
		t.Errorf("%d records written, steps report %d requests", len(recs), total)
	}

	// The collector rebuilds the same search from the records alone.
	sc := &scenarios.Scenario{Experiments: scenarios.Experiments{Capacity: &spec}}
	col := summary.NewCapacity(sc)
	for i := range recs {
		col.Add(&recs[i])
	}
	col.Add(&results.Record{Target: "fixed", Experiment: "memory_sweep", Step: "memory_mb=512"}) // ignored
	rebuilt, err := col.Results()
	if err != nil {
		t.Fatalf("collector: %v", err)
	}
	if len(rebuilt) != 1 {
		t.Fatalf("collector: %d results, want 1", len(rebuilt))
	}
	rb := rebuilt[0]
	if rb.CapacityRPS != got.CapacityRPS || len(rb.Steps) != len(got.Steps) || rb.Target != "fixed" {
		t.Errorf("collector: capacity %v with %d steps (%s/%s), live search: %v with %d steps",
			rb.CapacityRPS, len(rb.Steps), rb.Target, rb.Config, got.CapacityRPS, len(got.Steps))
	}
	for i := range min(len(rb.Steps), len(got.Steps)) {
		a, b := rb.Steps[i], got.Steps[i]
		if a.OfferedRPS != b.OfferedRPS || a.Requests != b.Requests || a.P99Ms != b.P99Ms || a.Samples != b.Samples {
			t.Errorf("step %d: collector %+v, live %+v", i, a, b)
		}
	}
}

func TestCapacityStepLabel(t *testing.T) {
	t.Parallel()
	for _, rps := range []float64{1, 12.5, 0.25, 1000} {
		got, ok := ParseCapacityStep(CapacityStepLabel(rps))
		if !ok || got != rps {
			t.Errorf("round trip of %v: got %v, %v", rps, got, ok)
		}
	}
	if _, ok := ParseCapacityStep("memory_mb=512"); ok {
		t.Errorf("memory step parsed as a capacity step")
	}
}

func TestCapacityConfigLabel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    scenarios.Server
		want string
	}{
		{scenarios.Server{Workers: 2}, "workers=2"},
		{scenarios.Server{Workers: 1, MaxBatch: 8, MaxWait: 5 * time.Millisecond}, "workers=1 max_batch=8 max_wait=5ms"},
		{scenarios.Server{}, ""},
	}
	for _, tt := range tests {
		if got := CapacityConfigLabel(tt.s); got != tt.want {
			t.Errorf("CapacityConfigLabel(%+v) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestCapacityConfigs(t *testing.T) {
	t.Parallel()
	mk := func(name string) Target {
		tg, err := NewHTTPTarget(scenarios.Target{Name: name, Kind: "http"}, "http://127.0.0.1:1/x")
		if err != nil {
			t.Fatal(err)
		}
		return tg
	}
	built := map[string]Target{"ref-w1": mk("ref-w1"), "ref-w2": mk("ref-w2"), "plain": mk("plain")}
	base := scenarios.Scenario{
		Servers: []scenarios.Server{{Name: "w1", Workers: 1}, {Name: "w2", Workers: 2, MaxBatch: 4}},
		Targets: []scenarios.Target{
			{Name: "ref-w1", Kind: "http", Server: "w1", URL: "/v1/sentiment"},
			{Name: "ref-w2", Kind: "http", Server: "w2", URL: "/v1/sentiment"},
			{Name: "plain", Kind: "http", URL: "http://127.0.0.1:1/x"},
		},
	}
	runner := &Runner{}
	tests := []struct {
		name    string
		c       *scenarios.Capacity
		want    []string // target/config
		wantErr string
	}{
		{name: "no capacity block", c: nil},
		{name: "one server target", c: &scenarios.Capacity{Target: "ref-w1"}, want: []string{"ref-w1/workers=1"}},
		{name: "two configurations", c: &scenarios.Capacity{Target: "ref-w1", Targets: []string{"ref-w2", "plain"}},
			want: []string{"ref-w1/workers=1", "ref-w2/workers=2 max_batch=4", "plain/"}},
		{name: "unknown target", c: &scenarios.Capacity{Target: "ref-w1", Targets: []string{"nope"}}, wantErr: `no target named "nope"`},
		{name: "duplicate", c: &scenarios.Capacity{Target: "ref-w1", Targets: []string{"ref-w1"}}, wantErr: "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := base
			s.Experiments.Capacity = tt.c
			got, err := CapacityConfigs(&s, built, runner, nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, c := range got {
				names = append(names, c.Target+"/"+c.Config)
				rp, ok := c.Prober.(*RunnerProber)
				if !ok || rp.Runner != runner || rp.Target.Name() != c.Target || !rp.Record {
					t.Errorf("%s: prober %+v", c.Target, c.Prober)
				}
			}
			if strings.Join(names, ",") != strings.Join(tt.want, ",") {
				t.Errorf("got %v, want %v", names, tt.want)
			}
		})
	}
}
