package capacity

import "math"

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
// coverage it attains.
//
// The number B of samples below the true quantile is Binomial(n, q), so
// P(x(l) ≤ ξ_q ≤ x(u)) ≥ P(l ≤ B ≤ u−1). l is the largest rank with
// P(B ≤ l−1) ≤ α/2 and u the smallest with P(B ≥ u) ≤ α/2, α = 1 − level.
// When n is too small for that (for q = 0.99 and level 0.95, n < 368 on
// the upper side), the bound falls back to the sample extreme (rank 1 or
// n) and attained reports the lower coverage P(l ≤ B ≤ u−1) actually
// achieved (with u = n+1 meaning "no upper bound", which this function
// never reports: it caps u at n). NaNs are returned for an empty sample.
func QuantileCI(sorted []float64, q, level float64) (lo, hi, attained float64) {
	n := len(sorted)
	if n == 0 {
		return math.NaN(), math.NaN(), 0
	}
	cdf := binomCDFTable(n, q)
	l, u := quantileCIRanksFrom(cdf, n, level)
	return sorted[l-1], sorted[u-1], cdf[u-1] - cdf[l-1]
}

// quantileCIRanks returns the 1-based ranks (l, u) of QuantileCI.
func quantileCIRanks(n int, q, level float64) (l, u int) {
	return quantileCIRanksFrom(binomCDFTable(n, q), n, level)
}

// quantileCIRanksFrom is quantileCIRanks given the Binomial(n, q) CDF table.
func quantileCIRanksFrom(cdf []float64, n int, level float64) (l, u int) {
	half := (1 - level) / 2
	// Largest l in [1, n] with P(B ≤ l−1) ≤ half (1 when none).
	l = 1
	for k := 2; k <= n && cdf[k-1] <= half; k++ {
		l = k
	}
	// Smallest u in [1, n] with P(B ≥ u) = 1 − P(B ≤ u−1) ≤ half (n when none).
	u = n
	for k := n; k >= 1 && 1-cdf[k-1] <= half; k-- {
		u = k
	}
	if u < l {
		u = l
	}
	return l, u
}

// binomCDF is P(B ≤ k) for B ~ Binomial(n, p).
func binomCDF(k, n int, p float64) float64 {
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
