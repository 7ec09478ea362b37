package confidence

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// sweepStep is one memory size of a simulated memory sweep: log-normal
// durations (median ms, log-sd). Below one vCPU (1,769 MB) the duration
// scales with 1/memory and CFS throttling widens it; above, it is flat.
type sweepStep struct {
	memMB         int
	medianMs, sd  float64
	requestsToMet []int
}

// stopAt draws samples until rule is met (looks at rule.Next) or max and
// returns the sample count at the stop and whether the interval then
// covers the true p99.
func stopAt(rng *rand.Rand, st sweepStep, rule StopRule, max int) (int, bool) {
	truth := st.medianMs * math.Exp(st.sd*2.3263478740408408)
	x := make(Sorted, 0, max)
	next := rule.Next(0)
	for len(x) < max {
		for len(x) < min(next, max) {
			x = append(x, st.medianMs*math.Exp(st.sd*rng.NormFloat64()))
		}
		slices.Sort(x)
		if iv := rule.Evaluate(x, 0, 0); rule.Met(iv) {
			return len(x), iv.Contains(truth)
		}
		next = rule.Next(len(x))
	}
	return max, rule.Evaluate(x, 0, 0).Contains(truth)
}

// metAt reports the share of reps in which n samples meet the rule.
func metAt(rng *rand.Rand, st sweepStep, rule StopRule, n, reps int) float64 {
	ok := 0
	x := make(Sorted, n)
	for range reps {
		for i := range x {
			x[i] = st.medianMs * math.Exp(st.sd*rng.NormFloat64())
		}
		slices.Sort(x)
		if rule.Met(rule.Evaluate(x, 0, 0)) {
			ok++
		}
	}
	return float64(ok) / float64(reps)
}

// TestSequentialSweepNeedsFewerRequests compares, for a simulated memory
// sweep with p99 known to ±10% at every size, the requests a fixed-length
// sweep needs (one length for all sizes, long enough that every size meets
// the width in 95% of sweeps) with a sequential one (each size stops when
// its own interval is narrow enough).
func TestSequentialSweepNeedsFewerRequests(t *testing.T) {
	t.Parallel()
	steps := []sweepStep{
		{memMB: 256, medianMs: 180, sd: 0.30},
		{memMB: 512, medianMs: 90, sd: 0.35},
		{memMB: 1024, medianMs: 45, sd: 0.45},
		{memMB: 1769, medianMs: 26, sd: 0.15},
		{memMB: 2048, medianMs: 26, sd: 0.12},
	}
	rule := StopRule{Metric: MetricP99, RelWidth: 0.10, MinSamples: 200}
	const reps, max = 40, 40000
	rng := rand.New(rand.NewPCG(7, 8))
	seqTotal, covered := 0.0, 0
	for i := range steps {
		sum := 0
		for range reps {
			n, ok := stopAt(rng, steps[i], rule, max)
			sum += n
			if ok {
				covered++
			}
		}
		steps[i].requestsToMet = []int{sum / reps}
		seqTotal += float64(sum) / reps
	}
	// Fixed length: the smallest n on a ×1.1 grid at which every size
	// meets the width in ≥ 95% of sweeps.
	fixed := 0
	for n := 200; n <= max; n = int(math.Ceil(float64(n) * 1.1)) {
		all := true
		for _, st := range steps {
			if metAt(rng, st, rule, n, reps) < 0.95 {
				all = false
				break
			}
		}
		if all {
			fixed = n
			break
		}
	}
	if fixed == 0 {
		t.Fatalf("no fixed length up to %d meets ±10%% at every size", max)
	}
	for _, st := range steps {
		t.Logf("%4d MB (median %.0f ms, log-sd %.2f): sequential stops after %d requests on average", st.memMB, st.medianMs, st.sd, st.requestsToMet[0])
	}
	fixedTotal := fixed * len(steps)
	t.Logf("memory sweep, p99 to ±10%%: fixed length %d requests (%d per size), sequential %.0f on average (%.0f%%)", fixedTotal, fixed, seqTotal, 100*seqTotal/float64(fixedTotal))
	cov := float64(covered) / float64(reps*len(steps))
	t.Logf("intervals at the sequential stop cover the true p99 in %.1f%% of %d steps", 100*cov, reps*len(steps))
	if cov < 0.90 {
		t.Errorf("sequential stopping: coverage %.1f%%, want about 95%%", 100*cov)
	}
	if seqTotal >= float64(fixedTotal) {
		t.Errorf("sequential sweep used %.0f requests, fixed %d: want fewer", seqTotal, fixedTotal)
	}
}
