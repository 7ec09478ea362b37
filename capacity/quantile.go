package capacity

import (
	"math"

	"github.com/benchctl/benchctl/confidence"
)

// QuantileNearestRank returns the nearest-rank q-quantile x(⌈q·n⌉) of an
// ascending sample (q in (0, 1]); NaN for an empty sample.
func QuantileNearestRank(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	k := int(math.Ceil(q*float64(n))) - 1
	return sorted[min(max(k, 0), n-1)]
}

// QuantileCI returns a distribution-free confidence interval [x(l), x(u)]
// for the q-quantile of an ascending sample x(1) ≤ … ≤ x(n), and the
// coverage it attains: the ranks of confidence.QuantileRanks (the number
// of samples below the true quantile is Binomial(n, q), so
// P(x(l) ≤ ξ_q ≤ x(u)) ≥ P(l ≤ B ≤ u−1)). When n is too small for an
// upper rank (for q = 0.99 and level 0.95, n < 368) the upper bound is
// the sample maximum and attained reports the lower coverage actually
// achieved. NaNs are returned for an empty sample.
func QuantileCI(sorted []float64, q, level float64) (lo, hi, attained float64) {
	n := len(sorted)
	if n == 0 {
		return math.NaN(), math.NaN(), 0
	}
	l, u, attained, _ := confidence.QuantileRanks(n, q, level)
	return sorted[l-1], sorted[u-1], attained
}

// quantileCIRanks returns the 1-based ranks (l, u) of QuantileCI.
func quantileCIRanks(n int, q, level float64) (l, u int) {
	l, u, _, _ = confidence.QuantileRanks(n, q, level)
	return l, u
}
