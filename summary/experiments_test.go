package summary

import (
	"math"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
)

func TestMarkBestMemory(t *testing.T) {
	t.Parallel()
	usd := func(v float64) *float64 { return &v }
	rows := []results.MemorySweepRow{
		{MemoryMB: 512, Requests: 100, GBSecondsPerRequest: 0.010, LatencyMs: results.Distribution{P50: 80, P99: 300}},
		{MemoryMB: 1024, Requests: 100, GBSecondsPerRequest: 0.012, LatencyMs: results.Distribution{P50: 40, P99: 150}},
		{MemoryMB: 2048, Requests: 100, GBSecondsPerRequest: 0.020, LatencyMs: results.Distribution{P50: 30, P99: 100}},
		{MemoryMB: 3008, Requests: 0},
	}
	results.MarkBestMemory(rows, func(string) *results.SLOSpec { return &results.SLOSpec{P99Ms: 200} })
	want := []string{"cheapest", "slo", "fastest", ""}
	for i, r := range rows {
		got := ""
		switch {
		case r.Cheapest:
			got = "cheapest"
		case r.CheapestWithSLO:
			got = "slo"
		case r.FastestP99:
			got = "fastest"
		}
		if got != want[i] {
			t.Errorf("row %d (%d MB): %q, want %q", i, r.MemoryMB, got, want[i])
		}
	}
	// With USD costs on every row, cost decides instead of GB-s.
	rows[0].CostPerRequestUSD, rows[1].CostPerRequestUSD, rows[2].CostPerRequestUSD, rows[3].CostPerRequestUSD = usd(3), usd(2), usd(4), usd(0)
	results.MarkBestMemory(rows, nil)
	if !rows[1].Cheapest || rows[0].Cheapest || rows[1].CheapestWithSLO {
		t.Errorf("usd marking: %+v", rows)
	}
}

// TestSweepRowMatchesPhaseSummary: a memory sweep row and the phase entry
// of the same step (one recorded phase) report the same distributions with
// the same method (type-7 exact for small sets, HDR beyond).
func TestSweepRowMatchesPhaseSummary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		n      int
		method string
	}{
		{"small set", 100, results.MethodExact},
		{"large set", 3000, results.MethodHDR},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NewExperiments(ExperimentsOptions{})
			agg := results.NewAggregator("steady", results.MemoryStep(1024), results.ExperimentMemorySweep)
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			mem := 1024
			for i := range tt.n {
				// Spread, uneven values: nearest-rank and type-7 differ.
				lat := time.Duration(10+(i*i)%97) * time.Millisecond
				dur := float64(5 + (i*7)%89)
				billed := math.Ceil(dur)
				rec := &results.Record{Target: "fn", Phase: "steady", Step: results.MemoryStep(1024), Experiment: results.ExperimentMemorySweep,
					Intended: t0.Add(time.Duration(i) * time.Millisecond), Timestamp: t0.Add(time.Duration(i)*time.Millisecond + 2*time.Millisecond),
					Latency: lat, CorrectedLatency: lat + 2*time.Millisecond, DurationMs: &dur, BilledDurationMs: &billed, MemorySizeMB: &mem}
				if i%50 == 7 {
					rec.ErrorClass, rec.Error = results.ErrorClassFunctionError, "boom"
				}
				c.Add(rec)
				agg.Add(rec)
			}
			rows := c.MemorySweep()
			if len(rows) != 1 {
				t.Fatalf("rows = %d, want 1", len(rows))
			}
			ph := agg.Summary(results.PhaseInfo{}, nil)
			row := rows[0]
			if row.LatencyMs != ph.LatencyMs {
				t.Errorf("latency: sweep row %+v, phase %+v", row.LatencyMs, ph.LatencyMs)
			}
			if row.DurationMs != *ph.DurationMs {
				t.Errorf("duration: sweep row %+v, phase %+v", row.DurationMs, *ph.DurationMs)
			}
			if row.BilledDurationMs != *ph.BilledDurationMs {
				t.Errorf("billed: sweep row %+v, phase %+v", row.BilledDurationMs, *ph.BilledDurationMs)
			}
			if row.LatencyMs.Method != tt.method || row.DurationMs.Method != tt.method {
				t.Errorf("methods %q/%q, want %q", row.LatencyMs.Method, row.DurationMs.Method, tt.method)
			}
			if row.Errors != ph.Requests-ph.OK {
				t.Errorf("errors %d, phase %d", row.Errors, ph.Requests-ph.OK)
			}
		})
	}
}

func BenchmarkCollectorAdd(b *testing.B) {
	c := NewExperiments(ExperimentsOptions{})
	billed, dur, mem := 13.0, 12.3, 1024
	rec := &results.Record{Target: "fn", Phase: "steady", Experiment: results.ExperimentMemorySweep, Step: results.MemoryStep(1024),
		Latency: 20 * time.Millisecond, BilledDurationMs: &billed, DurationMs: &dur, MemorySizeMB: &mem}
	b.ReportAllocs()
	for b.Loop() {
		c.Add(rec)
	}
}

func TestMarkBestMemoryPerTarget(t *testing.T) {
	t.Parallel()
	rows := []results.MemorySweepRow{
		{Target: "a", MemoryMB: 512, Requests: 10, GBSecondsPerRequest: 1, LatencyMs: results.Distribution{P99: 50}},
		{Target: "a", MemoryMB: 1024, Requests: 10, Errors: 1, GBSecondsPerRequest: 2, LatencyMs: results.Distribution{P99: 40}},
		{Target: "b", MemoryMB: 512, Requests: 10, Errors: 1, GBSecondsPerRequest: 3, LatencyMs: results.Distribution{P99: 10}},
	}
	results.MarkBestMemory(rows, func(string) *results.SLOSpec { return &results.SLOSpec{ErrorRate: 0.05} })
	if !rows[0].Cheapest || !rows[1].FastestP99 || !rows[2].Cheapest || !rows[2].FastestP99 {
		t.Errorf("flags per target: %+v", rows)
	}
	// 1 error in 10 exceeds a 5 % error-rate SLO.
	if !rows[0].CheapestWithSLO || rows[1].CheapestWithSLO || rows[2].CheapestWithSLO {
		t.Errorf("SLO flags: %+v", rows)
	}
}
