package report

import (
	"fmt"
	"math"
)

// DefaultErrorRateThreshold is the absolute increase of the error rate
// (B − A, a fraction: 0.01 = one percentage point) that Compare's verdicts
// require before a significant change counts (the CLI's
// --error-rate-threshold).
const DefaultErrorRateThreshold = 0.01

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

// Error-rate changes (TargetDelta.errorChange).
const (
	errUnchanged = iota // no error in either run, or not significant
	errMore             // B significantly worse beyond the threshold
	errFewer            // B significantly better beyond the threshold
	errWithin           // significant, but within ±threshold
)

// errorChange classifies B's error-rate change at alpha and threshold
// (absolute): one of errUnchanged, errMore, errFewer, errWithin.
func (d TargetDelta) errorChange(alpha, threshold float64) int {
	diff := d.ErrorRateB - d.ErrorRateA
	switch {
	case d.ErrorsA == 0 && d.ErrorsB == 0, d.ErrorTest == ErrorTestNone, d.ErrorPValue >= alpha:
		return errUnchanged
	case diff > threshold:
		return errMore
	case diff < -threshold:
		return errFewer
	}
	return errWithin
}

// judgeErrors says whether B's error rate rose (worse) or fell (better)
// significantly (p < alpha) and by more than threshold (absolute), with
// the reason; a change that is not called is described in note (empty
// when neither run had an error).
func (d TargetDelta) judgeErrors(alpha, threshold float64) (worse, better, note string) {
	if d.ErrorsA == 0 && d.ErrorsB == 0 {
		return "", "", ""
	}
	desc := fmt.Sprintf("error rate %s → %s (%+.2f pp, %s)", fmtPct(d.ErrorRateA), fmtPct(d.ErrorRateB), 100*(d.ErrorRateB-d.ErrorRateA), errorTestSentence(d))
	switch d.errorChange(alpha, threshold) {
	case errMore:
		return desc, "", ""
	case errFewer:
		return "", desc, ""
	case errWithin:
		return "", "", desc + ": significant but within ±" + fmtPP(threshold)
	}
	return "", "", desc + ": not significant"
}

// errorTestName is a test as readers see it.
func errorTestName(t string) string {
	switch t {
	case ErrorTestFisher:
		return "Fisher exact"
	case ErrorTestZ:
		return "two-proportion z"
	}
	return "not tested"
}

// errorTestSentence is a target's error-rate test and p-value in a sentence:
// "two-proportion z p=5.1e-07", or why there was none.
func errorTestSentence(d TargetDelta) string {
	switch {
	case d.ErrorTest == ErrorTestFisher || d.ErrorTest == ErrorTestZ:
		return fmt.Sprintf("%s p=%.2g", errorTestName(d.ErrorTest), d.ErrorPValue)
	case d.ErrorsA == 0 && d.ErrorsB == 0:
		return "not tested: no errors in either run"
	}
	return "not tested"
}

// fmtPP formats an absolute error-rate threshold in percentage points.
func fmtPP(v float64) string {
	return fmt.Sprintf("%.4g pp", 100*v)
}
