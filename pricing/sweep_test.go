package pricing

import (
	"strconv"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// sweepRecords returns n memory sweep records of target at mem MB, each
// billed billedMs.
func sweepRecords(target string, mem, n int, billedMs float64) []results.Record {
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	recs := make([]results.Record, n)
	for i := range recs {
		recs[i] = results.Record{Target: target, Phase: "steady", Step: "memory_mb=" + strconv.Itoa(mem), Experiment: "memory_sweep",
			Code: 200, Timestamp: start.Add(time.Duration(i) * time.Second), Latency: time.Duration(billedMs) * time.Millisecond,
			DurationMs: fptr(billedMs - 0.5), BilledDurationMs: fptr(billedMs), MemorySizeMB: iptr(mem)}
	}
	return recs
}

// fval prints an optional number.
func fval(p *float64) string {
	if p == nil {
		return "<nil>"
	}
	return strconv.FormatFloat(*p, 'g', -1, 64)
}

// TestFillMemorySweepPerTarget: the flags of a sweep over several targets
// are set per target, each against its own SLO (target slo: else global).
func TestFillMemorySweepPerTarget(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	var recs []results.Record
	// a: 512 MB × 200 ms (0.1 GB-s) is cheaper than 1024 MB × 120 ms (0.12 GB-s).
	recs = append(recs, sweepRecords("a", 512, 10, 200)...)
	recs = append(recs, sweepRecords("a", 1024, 10, 120)...)
	// b: 1024 MB × 400 ms (0.4 GB-s) vs 2048 MB × 150 ms (0.3 GB-s), all dearer than a.
	recs = append(recs, sweepRecords("b", 1024, 10, 400)...)
	recs = append(recs, sweepRecords("b", 2048, 10, 150)...)
	sc := &scenarios.Scenario{Name: "t", Seed: 1,
		Targets: []scenarios.Target{{Name: "a", Kind: "aws-lambda"},
			{Name: "b", Kind: "aws-lambda", SLO: &scenarios.SLO{P99Ms: 500}}},
		SLO:         scenarios.SLO{P99Ms: 150},
		Experiments: scenarios.Experiments{MemorySweep: &scenarios.MemorySweep{Target: "a", Targets: []string{"b"}, MemorySizes: []int{512, 1024, 2048}}},
		Pricing:     scenarios.PricingSettings{Region: "us-east-1", Architectures: []string{"x86_64"}}}
	sum := &results.Summary{Experiments: results.Experiments{MemorySweep: []results.MemorySweepRow{
		{Target: "a", MemoryMB: 512, Requests: 10, LatencyMs: results.Distribution{P99: 210}},
		{Target: "a", MemoryMB: 1024, Requests: 10, LatencyMs: results.Distribution{P99: 130}},
		// b's own SLO sets no error rate, so the 2048 MB row's error fails it.
		{Target: "b", MemoryMB: 1024, Requests: 10, LatencyMs: results.Distribution{P99: 420}},
		{Target: "b", MemoryMB: 2048, Requests: 10, Errors: 1, LatencyMs: results.Distribution{P99: 160}},
	}}}
	if err := AnalyzeRun(book, sliceReader(recs), sum, sc); err != nil {
		t.Fatal(err)
	}
	type flags struct{ cheap, fast, slo bool }
	want := []flags{
		{cheap: true},           // a 512: cheapest of a; p99 210 > global 150
		{fast: true, slo: true}, // a 1024: the only a row within 150 ms
		{slo: true},             // b 1024: within b's 500 ms, no errors
		{cheap: true, fast: true},
	}
	for i, r := range sum.Experiments.MemorySweep {
		got := flags{r.Cheapest, r.FastestP99, r.CheapestWithSLO}
		if got != want[i] {
			t.Errorf("%s %d MB: flags %+v, want %+v", r.Target, r.MemoryMB, got, want[i])
		}
		if r.CostPerRequestUSD == nil {
			t.Errorf("%s %d MB: no cost", r.Target, r.MemoryMB)
		}
	}
}

// TestFillMemorySweepOnlyItsStep: a sweep row's cost comes from its own
// sweep step's records, not from another experiment at the same memory.
func TestFillMemorySweepOnlyItsStep(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	recs := sweepRecords("fn", 1024, 20, 100)
	// Forced cold starts at the same memory size, billed 500 ms each.
	for i := range 5 {
		r := sweepRecords("fn", 1024, 1, 500)[0]
		r.Phase, r.Step, r.Experiment, r.Cold, r.InitDurationMs = "cold_starts", "cold_start", "cold_starts", true, fptr(400)
		r.Timestamp = r.Timestamp.Add(time.Duration(i) * time.Minute)
		recs = append(recs, r)
	}
	sc := &scenarios.Scenario{Name: "t", Seed: 1,
		Targets: []scenarios.Target{{Name: "fn", Kind: "aws-lambda"}},
		Pricing: scenarios.PricingSettings{Region: "us-east-1", Architectures: []string{"x86_64"}}}
	sum := &results.Summary{Experiments: results.Experiments{MemorySweep: []results.MemorySweepRow{
		{Target: "fn", MemoryMB: 1024, Requests: 20, BilledDurationMs: results.Distribution{Count: 20, Mean: 100}},
	}}}
	if err := AnalyzeRun(book, sliceReader(recs), sum, sc); err != nil {
		t.Fatal(err)
	}
	var step *results.CostRow
	for i, c := range sum.Cost {
		if c.Step == "memory_mb=1024" && c.Architecture == ArchX86 {
			step = &sum.Cost[i]
		}
	}
	if step == nil {
		t.Fatalf("no cost row for the sweep step: %+v", sum.Cost)
	}
	// 1 GB × 100 ms: 2e-7 + 0.1 × 1.66667e-5 = 1.86667e-6 per request.
	row := sum.Experiments.MemorySweep[0]
	if row.CostPerMillionUSD == nil || !near(*row.CostPerMillionUSD, step.CostPerMillionUSD, 1e-9) || !near(*row.CostPerMillionUSD, 1.86667, 1e-5) {
		t.Errorf("sweep row per 1M = %s, want the step's %g", fval(row.CostPerMillionUSD), step.CostPerMillionUSD)
	}
	// Without records, the row's own billed mean is priced.
	sum.Cost = nil
	if err := AnalyzeRun(book, nil, sum, sc); err != nil {
		t.Fatal(err)
	}
	row = sum.Experiments.MemorySweep[0]
	if row.CostPerMillionUSD == nil || !near(*row.CostPerMillionUSD, 1.86667, 1e-5) {
		t.Errorf("summary-only sweep row per 1M = %s, want 1.86667", fval(row.CostPerMillionUSD))
	}
}

// TestEstimateRunSpendSweepTargets: every swept target is counted.
func TestEstimateRunSpendSweepTargets(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	sc := &scenarios.Scenario{
		Targets: []scenarios.Target{{Name: "r1", Kind: "aws-lambda", Timeout: 3 * time.Second},
			{Name: "r2", Kind: "aws-lambda", Timeout: 3 * time.Second}},
		Phases: []scenarios.Phase{{Name: "p", Targets: []string{"r1", "r2"}, Duration: 100 * time.Second,
			Traffic: scenarios.Traffic{Model: "constant", Rate: 10}}},
		Experiments: scenarios.Experiments{MemorySweep: &scenarios.MemorySweep{Target: "r1", Targets: []string{"r2"},
			MemorySizes: []int{512, 1024}, Phases: []string{"p"}}},
	}
	est, err := EstimateRunSpend(book, sc, nil)
	if err != nil {
		t.Fatal(err)
	}
	steps := map[string]int{}
	for _, l := range est.Lines {
		steps[l.Target+" "+l.Step]++
	}
	for _, k := range []string{"r1 memory_mb=512", "r1 memory_mb=1024", "r2 memory_mb=512", "r2 memory_mb=1024"} {
		if steps[k] != 1 {
			t.Errorf("%s: %d lines, want 1 (lines %+v)", k, steps[k], est.Lines)
		}
	}
	// 2 targets × (0.02520005 + 0.0502001), see TestEstimateRunSpend.
	if want := d("0.1508003"); !est.TotalUSD.Equal(want) || len(est.Lines) != 4 {
		t.Errorf("estimate = %s (%d lines), want %s", est.TotalUSD, len(est.Lines), want)
	}
}
