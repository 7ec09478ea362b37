package summary

import (
	"errors"
	"io"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// sliceDecoder decodes from an in-memory slice of records.
func sliceDecoder(recs []results.Record) results.Decoder {
	i := 0
	return func(r *results.Record) error {
		if i >= len(recs) {
			return io.EOF
		}
		*r = recs[i]
		i++
		return nil
	}
}

// genDecoder generates n records lazily: latency i mod 1000 + 1 ms, lag
// given by lagOf(i), every 100th an http_5xx.
func genDecoder(n int, lagOf func(i int) time.Duration) results.Decoder {
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	i := 0
	return func(r *results.Record) error {
		if i >= n {
			return io.EOF
		}
		intended := t0.Add(time.Duration(i) * time.Millisecond)
		lat := time.Duration(i%1000+1) * time.Millisecond
		*r = results.Record{Target: "a", Phase: "steady", Attack: "steady", Seq: uint64(i), Code: 200,
			Intended: intended, Timestamp: intended.Add(lagOf(i)), Latency: lat, CorrectedLatency: lat + lagOf(i)}
		if i%100 == 99 {
			r.Code, r.Error, r.ErrorClass = 503, "503 Service Unavailable", results.ErrorClassHTTP5xx
		}
		i++
		return nil
	}
}

func TestSummarizeUniformLatencies(t *testing.T) {
	t.Parallel()
	targets, err := Summarize(genDecoder(100_000, func(int) time.Duration { return 0 }), PhasesOptions{
		Kinds: map[string]string{"a": "http"}, SLO: func(string) *scenarios.SLO { return &scenarios.SLO{P99Ms: 500} },
		Phases: []results.PhaseRunInfo{{Name: "steady", DurationS: 100, Scheduled: 100_000}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 1 || len(targets[0].Phases) != 1 {
		t.Fatalf("got %+v", targets)
	}
	p := targets[0].Phases[0]
	// Latencies are uniform on 1..1000 ms: pXX ≈ XX·10 ms.
	checks := []struct {
		name      string
		got, want float64
	}{
		{"p50", p.LatencyMs.P50, 500}, {"p90", p.LatencyMs.P90, 900}, {"p95", p.LatencyMs.P95, 950},
		{"p99", p.LatencyMs.P99, 990}, {"p999", p.LatencyMs.P999, 999}, {"max", p.LatencyMs.Max, 1000},
		{"min", p.LatencyMs.Min, 1}, {"mean", p.LatencyMs.Mean, 500.5},
		{"stdev", p.LatencyMs.Stdev, 288.67}, {"offered", p.OfferedRPS, 1000}, {"achieved", p.AchievedRPS, 1000},
	}
	for _, c := range checks {
		if math.Abs(c.got-c.want) > 0.002*c.want+0.01 {
			t.Errorf("%s = %v, want %v ±0.2%%", c.name, c.got, c.want)
		}
	}
	if p.Requests != 100_000 || p.OK != 99_000 || p.Errors[results.ErrorClassHTTP5xx] != 1000 || math.Abs(p.ErrorRate-0.01) > 1e-9 {
		t.Errorf("counts: requests %d ok %d errors %v rate %v", p.Requests, p.OK, p.Errors, p.ErrorRate)
	}
	if p.GeneratorFellBehind || p.DispatchLagMs.P99 != 0 {
		t.Errorf("no lag: got %+v fell behind %v", p.DispatchLagMs, p.GeneratorFellBehind)
	}
	if p.SLO == nil || p.SLO.Passed || len(p.SLO.Violations) != 1 {
		t.Errorf("SLO p99 500 ms must fail once: %+v", p.SLO)
	}
}

func TestGeneratorFellBehind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		lag       func(i int) time.Duration
		scheduled int64
		want      bool
	}{
		{"on time", func(int) time.Duration { return 100 * time.Microsecond }, 0, false},
		{"p99 above 5 ms", func(i int) time.Duration { return time.Duration(i%100) * 300 * time.Microsecond }, 0, true},
		{"0.5% late", func(i int) time.Duration {
			if i%200 == 0 {
				return 50 * time.Millisecond
			}
			return 0
		}, 0, false},
		{"2% late", func(i int) time.Duration {
			if i%50 == 0 {
				return 50 * time.Millisecond
			}
			return 0
		}, 0, true},
		{"hits never sent", func(int) time.Duration { return 0 }, 10_500, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			targets, err := Summarize(genDecoder(10_000, tc.lag), PhasesOptions{
				Phases: []results.PhaseRunInfo{{Name: "steady", DurationS: 10, Scheduled: tc.scheduled}}})
			if err != nil {
				t.Fatal(err)
			}
			p := targets[0].Phases[0]
			if got := p.GeneratorFellBehind; got != tc.want {
				t.Fatalf("fell behind = %v, want %v (lag %+v)", got, tc.want, p.DispatchLagMs)
			}
		})
	}
}

func TestSummarizeKeysAndServerless(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	mem := 1024
	t0 := time.Unix(0, 0)
	recs := []results.Record{
		{Target: "fn", Phase: "p", Step: "memory_mb=1024", Experiment: "memory_sweep", Code: 200, Intended: t0, Timestamp: t0,
			Latency: time.Second, BilledDurationMs: f(1000), DurationMs: f(999), InitDurationMs: f(200), MemorySizeMB: &mem, Cold: true},
		{Target: "fn", Phase: "p", Step: "memory_mb=1024", Experiment: "memory_sweep", Code: 200, Intended: t0, Timestamp: t0,
			Latency: time.Second, BilledDurationMs: f(1000), DurationMs: f(999), MemorySizeMB: &mem},
		{Target: "fn", Phase: "p", Code: 429, Error: "429", ErrorClass: results.ErrorClassThrottle},
		{Target: "web", Phase: "p", ErrorClass: results.ErrorClassDropped, Error: "dropped"},
	}
	targets, err := Summarize(sliceDecoder(recs), PhasesOptions{TargetOrder: []string{"web", "fn"},
		Kinds: map[string]string{"fn": "local-lambda"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 2 || targets[0].Name != "web" || targets[1].Kind != "local-lambda" || len(targets[1].Phases) != 2 {
		t.Fatalf("got %+v", targets)
	}
	sw := targets[1].Phases[0]
	if sw.Step != "memory_mb=1024" || sw.ColdStarts == nil || *sw.ColdStarts != 1 || sw.GBSeconds != 2 || sw.BilledDurationMs == nil ||
		sw.InitDurationMs.Count != 1 || sw.MemorySizeMB != 1024 || sw.ColdStartRate == nil || *sw.ColdStartRate != 0.5 {
		t.Fatalf("serverless fields: %+v", sw)
	}
	if th := targets[1].Phases[1]; th.Throttles != 1 || th.Errors[results.ErrorClassThrottle] != 1 {
		t.Fatalf("throttles: %+v", th)
	}
	if d := targets[0].Phases[0]; d.Errors[results.ErrorClassDropped] != 1 || d.LatencyMs.Count != 0 {
		t.Fatalf("dropped: %+v", d)
	}
}

func TestSummarizePropagatesDecodeErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	_, err := Summarize(func(*results.Record) error { return boom }, PhasesOptions{})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
}

// peakHeap samples the in-use heap every 5 ms until stop is called and
// returns the peak in MB.
func peakHeap() (stop func() float64) {
	done := make(chan struct{})
	res := make(chan uint64)
	go func() {
		var peak uint64
		var m runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-done:
				res <- peak
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 { close(done); return float64(<-res) / (1 << 20) }
}

// BenchmarkSummarize1M streams 1M synthetic records through Summarize and
// reports the peak in-use heap, which stays constant in the number of records.
func BenchmarkSummarize1M(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		runtime.GC()
		stop := peakHeap()
		targets, err := Summarize(genDecoder(n, func(i int) time.Duration { return time.Duration(i%7) * time.Microsecond }), PhasesOptions{})
		peak := stop()
		if err != nil {
			b.Fatal(err)
		}
		if targets[0].Phases[0].Requests != n {
			b.Fatal("wrong count")
		}
		b.ReportMetric(peak, "peak_heap_MB")
	}
}

// TestSummarizeRepeatedPhaseEntries checks that run.json entries sharing a
// phase, step and experiment add up (an extended capacity step, a memory
// sweep step run once per swept target) instead of the last one winning,
// and that entries of other targets do not count.
func TestSummarizeRepeatedPhaseEntries(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	recs := func(target, phase, step, experiment string, n int, every time.Duration) []results.Record {
		out := make([]results.Record, n)
		for i := range out {
			at := t0.Add(time.Duration(i) * every)
			out[i] = results.Record{Target: target, Phase: phase, Step: step, Experiment: experiment, Code: 200,
				Intended: at, Timestamp: at, Latency: time.Millisecond, CorrectedLatency: time.Millisecond}
		}
		return out
	}
	var all []results.Record
	// Capacity step at 10 rps, extended once: 2 × 10 s, 100 scheduled each.
	all = append(all, recs("srv", "capacity", "rps=10", "capacity", 200, 100*time.Millisecond)...)
	// Memory sweep step swept for a then b: 30 s and 150 requests each.
	all = append(all, recs("a", "steady", "memory_mb=256", "memory_sweep", 150, 200*time.Millisecond)...)
	all = append(all, recs("b", "steady", "memory_mb=256", "memory_sweep", 150, 200*time.Millisecond)...)
	// A plain phase sent to both at once, and an entry without targets.
	all = append(all, recs("a", "warm", "", "", 20, 500*time.Millisecond)...)
	all = append(all, recs("b", "warm", "", "", 20, 500*time.Millisecond)...)
	all = append(all, recs("a", "legacy", "", "", 40, 250*time.Millisecond)...)
	phases := []results.PhaseRunInfo{
		{Name: "capacity", Step: "rps=10", Experiment: "capacity", Targets: []string{"srv"}, DurationS: 10, Scheduled: 100},
		{Name: "capacity", Step: "rps=10", Experiment: "capacity", Targets: []string{"srv"}, DurationS: 10, Scheduled: 100},
		{Name: "capacity", Step: "rps=99", Experiment: "capacity", Targets: []string{"srv"}, DurationS: 1, Scheduled: 99},
		{Name: "steady", Step: "memory_mb=256", Experiment: "memory_sweep", Targets: []string{"a"}, DurationS: 30, Scheduled: 150},
		{Name: "steady", Step: "memory_mb=256", Experiment: "memory_sweep", Targets: []string{"b"}, DurationS: 30, Scheduled: 150},
		{Name: "warm", Targets: []string{"a", "b"}, DurationS: 10, Scheduled: 20},
		{Name: "legacy", DurationS: 10, Scheduled: 40},
	}
	targets, err := Summarize(sliceDecoder(all), PhasesOptions{Phases: phases})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]results.PhaseSummary{}
	for _, ts := range targets {
		for _, p := range ts.Phases {
			got[ts.Name+"/"+p.Name] = p
		}
	}
	tests := []struct {
		key                  string
		wantDur, wantOffered float64
		wantAchieved         float64
	}{
		{"srv/capacity", 20, 10, 10},
		{"a/steady", 30, 5, 5},
		{"b/steady", 30, 5, 5},
		{"a/warm", 10, 2, 2},
		{"b/warm", 10, 2, 2},
		{"a/legacy", 10, 4, 4},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			t.Parallel()
			p, ok := got[tt.key]
			if !ok {
				t.Fatalf("no summary for %s in %v", tt.key, got)
			}
			if p.DurationS != tt.wantDur || p.OfferedRPS != tt.wantOffered || p.AchievedRPS != tt.wantAchieved {
				t.Errorf("duration %g s offered %g achieved %g, want %g s, %g, %g",
					p.DurationS, p.OfferedRPS, p.AchievedRPS, tt.wantDur, tt.wantOffered, tt.wantAchieved)
			}
			if p.DispatchLagMs.LateFraction != 0 {
				t.Errorf("late fraction = %g, want 0 (all scheduled requests sent)", p.DispatchLagMs.LateFraction)
			}
		})
	}
}

// Summarize feeds every record of dec to a phase collector (as the
// pipeline's one pass does) and returns the target summaries.
func Summarize(dec results.Decoder, o PhasesOptions) ([]results.TargetSummary, error) {
	p := NewPhases(o)
	for {
		var r results.Record
		err := dec(&r)
		if errors.Is(err, io.EOF) {
			return p.Targets(), nil
		}
		if err != nil {
			return nil, err
		}
		p.Add(&r)
	}
}
