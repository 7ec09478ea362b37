package main

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/benchctl/benchctl/loadgen"
	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/scenarios"
)

// TestCapacitySpendBoundCoversTheSearch runs the real capacity search
// (loadgen.RunCapacity) against a prober that makes it use its whole
// budget: every step is short of samples (so it is extended the most
// times), and the pass/fail boundary keeps the bisection going until the
// step budget runs out. What the search offered must stay within the
// spend guard's bound (pricing does not import loadgen, so this is where
// the two meet).
func TestCapacitySpendBoundCoversTheSearch(t *testing.T) {
	t.Parallel()
	spec := scenarios.Capacity{Target: "fn", SLO: scenarios.SLO{P99Ms: 100}, MinRPS: 1, MaxRPS: 2e6,
		StepDuration: time.Second, Tolerance: 1e-6, MinSamples: 1_000_000}
	var mu sync.Mutex
	offered := 0.0
	probes := 0
	prober := loadgen.RateProberFunc(func(ctx context.Context, rps float64, d time.Duration) (loadgen.ProbeResult, error) {
		mu.Lock()
		offered += rps * d.Seconds()
		probes++
		mu.Unlock()
		lat := 10 * time.Millisecond
		if rps > 1e6 { // fails above 1e6 rps
			lat = time.Second
		}
		return loadgen.ProbeResult{OfferedRPS: rps, AchievedRPS: rps, Requests: int64(rps * d.Seconds()),
			Latencies: []time.Duration{lat}, Duration: d}, nil
	})
	res, err := loadgen.RunCapacity(context.Background(), prober, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Steps) != scenarios.DefaultCapacityMaxSteps {
		t.Fatalf("the search took %d steps, want its whole budget of %d", len(res.Steps), scenarios.DefaultCapacityMaxSteps)
	}
	bound, _ := pricing.CapacitySearchMaxRequests(spec)
	if offered > bound {
		t.Errorf("the search offered %.0f requests, above the spend guard's bound %.0f", offered, bound)
	}
	// The old bound (8 steps at max_rps) is below what this search sent.
	if old := 8 * spec.MaxRPS * spec.StepDuration.Seconds(); offered <= old {
		t.Errorf("offered %.0f ≤ the old 8-step bound %.0f: the fixture no longer exercises the budget", offered, old)
	}
	t.Logf("%d probes offered %.0f requests; bound %.0f", probes, offered, bound)
}
