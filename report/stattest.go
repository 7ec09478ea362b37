package report

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/benchctl/benchctl/confidence"
)

// Tests of an error-rate change (TargetDelta.ErrorTest).
const (
	// ErrorTestFisher is Fisher's exact test, used when an expected cell
	// count of the 2×2 table is below 5 (few requests or few errors).
	ErrorTestFisher = "fisher_exact"
	// ErrorTestZ is the pooled two-proportion z-test, used otherwise.
	ErrorTestZ = "two_proportion_z"
	// ErrorTestNone: no test (a run without requests, or no errors in
	// either run).
	ErrorTestNone = "none"
)

// ErrorRateTest tests whether the error rates errA/nA and errB/nB differ
// (two-sided) and returns the p-value and the test used. It reads the
// 2×2 table (errors, successes) × (A, B):
//
//   - when every expected count n_run·e/N and n_run·(N−e)/N is at least 5
//     (Cochran's rule), the pooled two-proportion z-test:
//     p̂ = (errA+errB)/(nA+nB), z = (errB/nB − errA/nA) / √(p̂(1−p̂)(1/nA+1/nB)),
//     p = erfc(|z|/√2);
//   - otherwise Fisher's exact test: with the margins fixed, errB follows
//     the hypergeometric law P(x) = C(e,x)·C(N−e,nB−x)/C(N,nB), and p sums
//     P(x) over every x with P(x) ≤ P(errB) (relative tolerance 1e-7).
//
// With no requests in a run, or no error in either, p = 1 (ErrorTestNone
// when nothing can be tested).
func ErrorRateTest(errA, nA, errB, nB int64) (p float64, test string) {
	if nA <= 0 || nB <= 0 || errA < 0 || errB < 0 || errA > nA || errB > nB {
		return 1, ErrorTestNone
	}
	e, n := errA+errB, nA+nB
	if e == 0 || e == n {
		return 1, ErrorTestNone // both runs all-ok (or all-failed): nothing moved
	}
	minExp := math.Min(float64(min(nA, nB))*float64(e)/float64(n), float64(min(nA, nB))*float64(n-e)/float64(n))
	if minExp < 5 {
		return fisherExact(errA, nA, errB, nB), ErrorTestFisher
	}
	pa, pb := float64(errA)/float64(nA), float64(errB)/float64(nB)
	pool := float64(e) / float64(n)
	se := math.Sqrt(pool * (1 - pool) * (1/float64(nA) + 1/float64(nB)))
	if se == 0 {
		return 1, ErrorTestZ
	}
	z := (pb - pa) / se
	return math.Erfc(math.Abs(z) / math.Sqrt2), ErrorTestZ
}

// fisherExact is the two-sided Fisher exact test's p-value for errB
// errors among nB requests of B, with errA among nA of A (see
// ErrorRateTest). Log-probabilities come from math.Lgamma.
func fisherExact(errA, nA, errB, nB int64) float64 {
	e, n := errA+errB, nA+nB
	lchoose := func(a, b int64) float64 {
		x, _ := math.Lgamma(float64(a + 1))
		y, _ := math.Lgamma(float64(b + 1))
		z, _ := math.Lgamma(float64(a - b + 1))
		return x - y - z
	}
	lden := lchoose(n, nB)
	logP := func(x int64) float64 { return lchoose(e, x) + lchoose(n-e, nB-x) - lden }
	obs := logP(errB)
	lo, hi := max(0, nB-(n-e)), min(e, nB)
	p := 0.0
	for x := lo; x <= hi; x++ {
		if lp := logP(x); lp <= obs+1e-7 {
			p += math.Exp(lp)
		}
	}
	return math.Min(1, p)
}

// MannWhitneyU tests whether b tends to be larger than a. It returns U for
// b (the number of pairs (a_i, b_j) with b_j > a_i, ties counting ½), the
// z score of U under H0 (normal approximation with tie correction:
// σ² = n_a·n_b/12 · ((n+1) − Σ(t³−t)/(n(n−1)))), and the two-sided p-value
// erfc(|z|/√2). z > 0 means b is stochastically larger (slower).
func MannWhitneyU(a, b []float64) (u, z, p float64) {
	na, nb := float64(len(a)), float64(len(b))
	type obs struct {
		v    float64
		inB  bool
		rank float64
	}
	all := make([]obs, 0, len(a)+len(b))
	for _, v := range a {
		all = append(all, obs{v: v})
	}
	for _, v := range b {
		all = append(all, obs{v: v, inB: true})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v < all[j].v })
	n := float64(len(all))
	var tieSum, rankB float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		r := float64(i+j+1) / 2 // average of ranks i+1..j
		t := float64(j - i)
		tieSum += t*t*t - t
		for k := i; k < j; k++ {
			if all[k].inB {
				rankB += r
			}
		}
		i = j
	}
	u = rankB - nb*(nb+1)/2
	mean := na * nb / 2
	variance := na * nb / 12 * ((n + 1) - tieSum/(n*(n-1)))
	if variance <= 0 {
		return u, 0, 1
	}
	z = (u - mean) / math.Sqrt(variance)
	p = math.Erfc(math.Abs(z) / math.Sqrt2)
	return u, z, p
}

// WelchT is Welch's two-sample t-test of mean(b) − mean(a) (unequal
// variances): t = (b̄ − ā) / √(s_a²/n_a + s_b²/n_b), with the
// Welch–Satterthwaite degrees of freedom, and the two-sided p-value from
// Student's t. Compare runs it on per-trial log p50s: with trials the
// question is whether B's trials differ from A's by more than the trials
// differ among themselves. Fewer than two values on a side, or no spread
// at all, give p = 1 (no evidence).
func WelchT(a, b []float64) (t, df, p float64) {
	na, nb := float64(len(a)), float64(len(b))
	if na < 2 || nb < 2 {
		return 0, 0, 1
	}
	ma, mb := confidence.Mean(a), confidence.Mean(b)
	va, vb := sq(confidence.Stdev(a))/na, sq(confidence.Stdev(b))/nb
	if va+vb == 0 {
		return 0, 0, 1
	}
	t = (mb - ma) / math.Sqrt(va+vb)
	df = sq(va+vb) / (sq(va)/(na-1) + sq(vb)/(nb-1))
	p = 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(math.Abs(t))
	return t, df, math.Min(1, p)
}

func sq(x float64) float64 { return x * x }
