// Package confidence holds the statistics behind benchctl's intervals:
// distribution-free order-statistic intervals for percentiles (as MLPerf
// LoadGen's early-stopping rule uses for tail latency), t and bootstrap
// intervals for means, the combination of repeated trials (between-trial
// spread on top of within-trial sampling noise), and the sequential
// stopping rule of a phase's `until:` block.
//
// Means, standard deviations and medians come from
// github.com/montanaflynn/stats; what is written here differs from it on
// purpose (see Type7 and Bootstrap). Percentiles of large samples are read
// from HDR histograms in package results through OrderStats.
package confidence

import (
	"fmt"
	"math"
)

// DefaultLevel is the confidence level of every interval benchctl prints.
const DefaultLevel = 0.95

// SupportFactor sets how many samples a percentile needs to be printed as a
// number: at least SupportFactor/(1−q) for quantile q (200 for the p50,
// 10,000 for the p99), i.e. about SupportFactor samples beyond it. The
// rank of a sample quantile has standard deviation √(n·q·(1−q)), so the
// tail beyond it is known to about ±1/√(n·(1−q)): ±10% at this factor.
// With fewer samples the percentile is printed as a bound (see Bound).
const SupportFactor = 100

// SupportMin is the fewest samples that support quantile q (0 < q < 1) as
// a number: ⌈SupportFactor/(1−q)⌉.
func SupportMin(q float64) int {
	return int(math.Ceil(SupportFactor/(1-q) - 1e-9))
}

// Supported reports whether n samples support quantile q as a number.
func Supported(n int, q float64) bool { return n >= SupportMin(q) }

// Bound says how an interval is to be printed.
type Bound string

// Bounds (Interval.Bound).
const (
	// BoundNone: a number with its interval.
	BoundNone Bound = ""
	// BoundRange: too few samples for a number (Supported is false), but
	// enough for both ends: print "Low–High", no point estimate.
	BoundRange Bound = "range"
	// BoundAtLeast: too few samples even for an upper bound at the level:
	// print "≥ Low" (Low is a one-sided lower confidence bound).
	BoundAtLeast Bound = "at_least"
)

// Interval methods (Interval.Method).
const (
	MethodOrderStatistic = "order-statistic"
	MethodStudentT       = "student-t"
	MethodTrialsLogT     = "student-t-over-trials-log"
	MethodTrialsT        = "student-t-over-trials"
	MethodBootstrap      = "bootstrap-percentile"
)

// Interval is an estimate with its confidence interval.
type Interval struct {
	Estimate  float64
	Low, High float64
	// Level is the coverage the interval attains (DefaultLevel asked;
	// lower when the samples are too few for it).
	Level float64
	// N is the number of samples (or of trials, for a trials interval).
	N      int
	Method string
	Bound  Bound
}

// RelHalfWidth is the interval's larger side relative to the estimate:
// max(Estimate − Low, High − Estimate) / Estimate, so "known to ±10%" is
// RelHalfWidth ≤ 0.10. It is +Inf for a zero or negative estimate.
func (iv Interval) RelHalfWidth() float64 {
	if !(iv.Estimate > 0) {
		return math.Inf(1)
	}
	return math.Max(iv.Estimate-iv.Low, iv.High-iv.Estimate) / iv.Estimate
}

// Contains reports whether v lies in [Low, High].
func (iv Interval) Contains(v float64) bool { return v >= iv.Low && v <= iv.High }

// Type7 is the q-quantile (0 ≤ q ≤ 1) of an ascending sample by linear
// interpolation between closest ranks (Hyndman–Fan type 7, numpy's
// default): h = q·(n−1), x[⌊h⌋] + (h−⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]); 0 for an
// empty sample.
//
// It equals montanaflynn/stats' Percentile(x, 100·q) for every q in
// (0, 1] (TestType7MatchesStatsPercentile), which uses the same method.
// It is kept because it differs where benchctl needs it to: it takes a
// sample sorted once and reads the five summary percentiles from it,
// where Percentile copies and sorts the input on every call (five sorts
// per distribution), and it returns the minimum for q = 0 and 0 for an
// empty sample instead of an error (an empty phase still summarises).
func Type7(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	h := q * float64(len(sorted)-1)
	lo := int(math.Floor(h))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	if lo < 0 {
		return sorted[0]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// OrderStats gives the order statistics of a sample: At(k) is the k-th
// smallest of Len() values (1-based). Sorted adapts an ascending slice;
// results' HDR-backed distributions implement it from their histogram.
type OrderStats interface {
	Len() int
	At(k int) float64
}

// Sorted is an ascending sample as OrderStats.
type Sorted []float64

// Len is the sample size.
func (s Sorted) Len() int { return len(s) }

// At is the k-th smallest value (1-based, clamped to [1, n]).
func (s Sorted) At(k int) float64 { return s[min(max(k, 1), len(s))-1] }

var _ OrderStats = Sorted(nil)

// QuantileRanks returns the 1-based ranks (l, u) of the distribution-free
// level interval [x(l), x(u)] for the q-quantile of n samples, and the
// coverage it attains.
//
// The number B of samples below the true quantile ξ_q is Binomial(n, q),
// so P(x(l) ≤ ξ_q ≤ x(u)) ≥ P(l ≤ B ≤ u−1). l is the largest rank with
// P(B ≤ l−1) ≤ α/2 and u the smallest with P(B ≥ u) ≤ α/2, α = 1 − level.
// Where n is too small for an upper rank (for q = 0.99 and level 0.95,
// n < 368) u is n (the sample maximum) and hasUpper is false; attained is
// then P(l ≤ B ≤ n−1), below level.
func QuantileRanks(n int, q, level float64) (l, u int, attained float64, hasUpper bool) {
	if n <= 0 {
		return 0, 0, 0, false
	}
	if n > exactRanksMax && float64(n)*q*(1-q) > 100 {
		return normalRanks(n, q, level)
	}
	cdf := binomCDFTable(n, q)
	half := (1 - level) / 2
	l = 1
	for k := 2; k <= n && cdf[k-1] <= half; k++ {
		l = k
	}
	u = n
	for k := n; k >= 1 && 1-cdf[k-1] <= half; k-- {
		u = k
	}
	hasUpper = 1-cdf[n-1] <= half
	if u < l {
		u = l
	}
	return l, u, cdf[u-1] - cdf[l-1], hasUpper
}

// exactRanksMax is the largest n whose ranks come from the exact binomial
// table; beyond it (with n·q·(1−q) > 100) the normal approximation is used.
const exactRanksMax = 100_000

// normalRanks is QuantileRanks by the normal approximation of
// Binomial(n, q): l = ⌊nq − z·σ⌋, u = ⌈nq + z·σ⌉ + 1, σ = √(n·q·(1−q)),
// z the (1 + level)/2 normal quantile (within one rank of the exact ranks
// at these sizes).
func normalRanks(n int, q, level float64) (l, u int, attained float64, hasUpper bool) {
	z := math.Sqrt2 * math.Erfinv(level)
	mu, sd := float64(n)*q, math.Sqrt(float64(n)*q*(1-q))
	l = max(1, int(math.Floor(mu-z*sd)))
	u = min(n, int(math.Ceil(mu+z*sd))+1)
	return l, u, level, u < n || float64(n)-mu > z*sd
}

// LowerRank is the rank l of the one-sided level lower confidence bound
// x(l) of the q-quantile: the largest l with P(B ≤ l−1) ≤ 1 − level (1
// when none).
func LowerRank(n int, q, level float64) int {
	if n <= 0 {
		return 0
	}
	if n > exactRanksMax && float64(n)*q*(1-q) > 100 {
		z := math.Sqrt2 * math.Erfinv(2*level-1)
		return max(1, int(math.Floor(float64(n)*q-z*math.Sqrt(float64(n)*q*(1-q)))))
	}
	cdf := binomCDFTable(n, q)
	l := 1
	for k := 2; k <= n && cdf[k-1] <= 1-level; k++ {
		l = k
	}
	return l
}

// QuantileInterval is the q-quantile of x with its distribution-free
// level interval (QuantileRanks). The estimate is the nearest-rank order
// statistic x(⌈q·n⌉) (estimate may be replaced by the caller's type-7 or
// HDR value). With fewer than SupportMin(q) samples the interval is a
// bound: BoundRange when an upper rank exists, else BoundAtLeast with Low
// the one-sided level lower bound (High is then the sample maximum, not a
// bound, and Level the lower bound's coverage). The interval assumes independent
// samples; correlated latencies (queueing) make it too narrow.
func QuantileInterval(x OrderStats, q, level float64) Interval {
	n := x.Len()
	iv := Interval{N: n, Method: MethodOrderStatistic}
	if n == 0 {
		iv.Estimate, iv.Low, iv.High = math.NaN(), math.NaN(), math.NaN()
		iv.Bound = BoundAtLeast
		return iv
	}
	iv.Estimate = x.At(int(math.Ceil(q*float64(n) - 1e-9)))
	l, u, attained, hasUpper := QuantileRanks(n, q, level)
	iv.Low, iv.High, iv.Level = x.At(l), x.At(u), attained
	switch {
	case !hasUpper:
		iv.Bound = BoundAtLeast
		lr := LowerRank(n, q, level)
		iv.Low, iv.High = x.At(lr), x.At(n)
		iv.Level = 1 - BinomialCDF(lr-1, n, q)
	case !Supported(n, q):
		iv.Bound = BoundRange
	}
	return iv
}

// FormatBound prints an interval's value as a reader sees it, with unit:
// "312.4 ms", "45.0–300.2 ms" (BoundRange) or "≥ 45.0 ms" (BoundAtLeast).
func FormatBound(iv Interval, unit string, prec int) string {
	f := func(v float64) string { return fmt.Sprintf("%.*f", prec, v) }
	switch iv.Bound {
	case BoundAtLeast:
		return "≥ " + f(iv.Low) + " " + unit
	case BoundRange:
		return f(iv.Low) + "–" + f(iv.High) + " " + unit
	}
	return f(iv.Estimate) + " " + unit
}

// BinomialCDF is P(B ≤ k) for B ~ Binomial(n, p).
func BinomialCDF(k, n int, p float64) float64 {
	switch {
	case k < 0:
		return 0
	case k >= n:
		return 1
	}
	return binomCDFTable(n, p)[k]
}

// binomCDFTable returns cdf[k] = P(B ≤ k), k = 0..n, for B ~ Binomial(n,
// p). The pmf is computed in log space by the recurrence
// log f(i+1) = log f(i) + log((n−i)/(i+1)) + log(p/(1−p)), from
// log f(0) = n·log(1−p), so large n neither overflows nor underflows
// before exponentiation.
func binomCDFTable(n int, p float64) []float64 {
	cdf := make([]float64, n+1)
	lodds := math.Log(p) - math.Log1p(-p)
	lf := float64(n) * math.Log1p(-p)
	sum := 0.0
	for i := 0; i <= n; i++ {
		if i > 0 {
			lf += math.Log(float64(n-i+1)/float64(i)) + lodds
		}
		sum += math.Exp(lf)
		cdf[i] = min(sum, 1)
	}
	cdf[n] = 1
	return cdf
}
