package confidence

import (
	"fmt"
	"math"
)

// Metric is what a stopping rule watches.
type Metric string

// Metrics of an `until:` block.
const (
	MetricP50 Metric = "p50"
	MetricP99 Metric = "p99"
	// MetricCostPerMillion watches the mean billed duration (the target's
	// latency where nothing is billed per request): the cost per 1M
	// requests is a fixed fee plus a rate × that mean, so its relative
	// width is at most the mean's.
	MetricCostPerMillion Metric = "cost_per_million"
)

// Metrics lists the allowed metric names.
func Metrics() []Metric { return []Metric{MetricP50, MetricP99, MetricCostPerMillion} }

// Quantile is the metric's quantile (ok false for cost_per_million).
func (m Metric) Quantile() (float64, bool) {
	switch m {
	case MetricP50:
		return 0.50, true
	case MetricP99:
		return 0.99, true
	}
	return 0, false
}

// Stop reasons (why a phase with a stopping rule ended).
const (
	// StoppedCI: the interval reached the asked width before the limit.
	StoppedCI = "ci_reached"
	// StoppedMaxDuration: the phase ran to max_duration without it.
	StoppedMaxDuration = "max_duration"
)

// StopRule is the sequential stopping rule of an `until:` block: stop once
// the metric's level interval is within ±RelWidth of its estimate
// (Interval.RelHalfWidth) with at least MinSamples samples; percentiles use
// the distribution-free order-statistic interval (QuantileInterval), which
// must have both ends (an upper rank inside the sample), the cost metric
// the Student-t interval of the mean.
//
// Looking again and again at a growing sample and stopping at the first
// narrow interval would make the reported interval a little too narrow,
// so the rule is checked only at sample counts growing geometrically (Next:
// MinSamples, then ×LookGrowth each time), a few looks per decade as in
// group-sequential designs, and the interval reported is the fixed-sample
// one at the stop.
type StopRule struct {
	Metric     Metric
	RelWidth   float64
	MinSamples int
	Level      float64
}

// LookGrowth is the factor by which the sample grows between two looks.
const LookGrowth = 1.25

// Validate checks the rule.
func (r StopRule) Validate() error {
	switch r.Metric {
	case MetricP50, MetricP99, MetricCostPerMillion:
	default:
		return fmt.Errorf("metric %q isn't one of [p50 p99 cost_per_million]", r.Metric)
	}
	if !(r.RelWidth > 0 && r.RelWidth < 1) {
		return fmt.Errorf("ci_rel_width %v: must be in (0, 1)", r.RelWidth)
	}
	if r.MinSamples < 0 {
		return fmt.Errorf("min_requests %d: must be >= 0", r.MinSamples)
	}
	return nil
}

func (r StopRule) level() float64 {
	if r.Level > 0 && r.Level < 1 {
		return r.Level
	}
	return DefaultLevel
}

// Next is the sample count of the first look after n samples.
func (r StopRule) Next(n int) int {
	first := max(r.MinSamples, 2)
	if n < first {
		return first
	}
	return max(n+1, int(math.Ceil(float64(n)*LookGrowth)))
}

// Met reports whether iv satisfies the rule.
func (r StopRule) Met(iv Interval) bool {
	if iv.N < r.MinSamples || iv.N < 2 || iv.Bound == BoundAtLeast || math.IsNaN(iv.Estimate) {
		return false
	}
	return iv.RelHalfWidth() <= r.RelWidth
}

// Evaluate computes the interval the rule watches from a sorted sample of
// the metric (latencies in ms for p50/p99, billed durations for the cost
// metric).
func (r StopRule) Evaluate(x OrderStats, mean, sd float64) Interval {
	if q, ok := r.Metric.Quantile(); ok {
		return QuantileInterval(x, q, r.level())
	}
	return MeanFromMoments(x.Len(), mean, sd, r.level())
}

// MeanFromMoments is MeanInterval from a sample's size, mean and sample
// standard deviation (e.g. from a running Welford accumulator).
func MeanFromMoments(n int, mean, sd, level float64) Interval {
	iv := Interval{N: n, Method: MethodStudentT, Estimate: mean, Low: mean, High: mean}
	if n < 2 {
		return iv
	}
	half := tQuantile(1-(1-level)/2, n-1) * sd / math.Sqrt(float64(n))
	iv.Low, iv.High, iv.Level = mean-half, mean+half, level
	return iv
}
