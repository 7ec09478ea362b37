package results

import (
	"math"
	"slices"

	"github.com/benchctl/benchctl/confidence"
)

// orderStats returns the distribution's order statistics: the sorted
// samples while they are all kept (at most ExactMaxSamples), else the HDR
// histogram's: x(k) = the value at quantile k/n (the upper edge of its
// bucket, at most 0.1% above the exact sample), within [min, max].
func (d *Dist) orderStats() confidence.OrderStats {
	if d == nil || d.n == 0 {
		return confidence.Sorted(nil)
	}
	if d.h == nil {
		s := slices.Clone(d.samples)
		slices.Sort(s)
		return confidence.Sorted(s)
	}
	return hdrOrder{d}
}

// hdrOrder reads order statistics from a dist's HDR histogram.
type hdrOrder struct{ d *Dist }

// Len is the sample count.
func (h hdrOrder) Len() int { return int(h.d.n) }

// At is the k-th smallest sample (1-based), from the histogram.
func (h hdrOrder) At(k int) float64 {
	n := h.d.n
	k = min(max(k, 1), int(n))
	v := float64(h.d.h.ValueAtQuantile(100*float64(k)/float64(n))) / 1000
	return math.Min(math.Max(v, h.d.min), h.d.max)
}

// interval evaluates rule on the distribution: the order-statistic
// interval of its quantile, or the Student-t interval of its mean.
func (d *Dist) interval(rule confidence.StopRule) confidence.Interval {
	if d == nil || d.n == 0 {
		return confidence.Interval{Estimate: math.NaN(), Bound: confidence.BoundAtLeast}
	}
	var sd float64
	if d.n > 1 {
		sd = math.Sqrt(d.m2 / float64(d.n-1))
	}
	return rule.Evaluate(d.orderStats(), d.mean, sd)
}

// StopInterval is the interval a stopping rule watches for this
// aggregator's phase: the corrected latency's p50 or p99, or, for
// cost_per_million, the mean billed duration (the corrected latency's mean
// when no record reported one).
func (a *Aggregator) StopInterval(rule confidence.StopRule) confidence.Interval {
	if _, ok := rule.Metric.Quantile(); !ok && a.billed != nil {
		return a.billed.interval(rule)
	}
	return a.latency.interval(rule)
}

// Completed is the number of requests with a latency (sent, whether they
// succeeded or not).
func (a *Aggregator) Completed() int64 { return a.latency.n }

// Stop reasons of a phase with an until: rule (PhaseRunInfo.Stopped).
const (
	StoppedCI          = confidence.StoppedCI
	StoppedMaxDuration = confidence.StoppedMaxDuration
)

// mergeStopped combines the stop reasons of entries of one phase: the
// phase reached its interval only when every entry did.
func mergeStopped(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	case a == StoppedMaxDuration || b == StoppedMaxDuration:
		return StoppedMaxDuration
	}
	return a
}
