package report

import (
	"fmt"
	"math"
	"strconv"

	"github.com/benchctl/benchctl/confidence"
)

// DefaultErrorRateThreshold is the absolute increase of the error rate
// (B − A, a fraction: 0.01 = one percentage point) that Compare's verdicts
// require before a significant change counts (the CLI's
// --error-rate-threshold).
const DefaultErrorRateThreshold = 0.01

// Error-rate changes (TargetDelta.errorChange).
const (
	errUnchanged = iota // no error in either run, or not significant
	errMore             // B significantly worse beyond the threshold
	errFewer            // B significantly better beyond the threshold
	errWithin           // significant, but within ±threshold
)

// errorChange classifies B's error-rate change at alpha and threshold
// (absolute): one of errUnchanged, errMore, errFewer, errWithin.
func (d LatencyDelta) errorChange(alpha, threshold float64) int {
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
func (d LatencyDelta) judgeErrors(alpha, threshold float64) (worse, better, note string) {
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
func errorTestSentence(d LatencyDelta) string {
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

// Judge sets the verdict of every target (and of each of its units) at
// threshold (a fraction: 0.10 = 10 %) and c.ErrorRateThreshold; see
// VerdictRegression and VerdictImprovement. Compare judges at
// DefaultRegressionThreshold and DefaultErrorRateThreshold.
func (c *Comparison) Judge(threshold float64) {
	c.Threshold = threshold
	for i := range c.Targets {
		d := &c.Targets[i]
		d.Verdict, d.VerdictReasons = d.judge(c.Alpha, threshold, c.ErrorRateThreshold)
	}
}

// Overall is the comparison's verdict: VerdictRegression when any target
// regressed, else VerdictImprovement when any improved, else
// VerdictNoChange. Call Judge first.
func (c *Comparison) Overall() string {
	out := VerdictNoChange
	for _, d := range c.Targets {
		switch d.Verdict {
		case VerdictRegression:
			return VerdictRegression
		case VerdictImprovement:
			out = VerdictImprovement
		}
	}
	return out
}

// tests is the number of latency significance tests among the target's
// units (at least 1): its alpha is divided among them (Bonferroni).
func (d TargetDelta) tests() int {
	n := 0
	for _, u := range d.Units {
		if u.isTest() {
			n++
		}
	}
	return max(n, 1)
}

// judge returns the target's verdict at threshold (relative) and
// errThreshold (absolute error rate) and the reasons for it. With units
// (a comparison built by Compare) each unit is judged at alpha divided by
// the number of the target's tests, and the target regressed when any
// unit did (improved when any did and none regressed); a delta without
// units is judged on its own latency. A cost change counts when it
// exceeds threshold and, where both runs' intervals are known, they do
// not overlap.
func (d *TargetDelta) judge(alpha, threshold, errThreshold float64) (string, []string) {
	var worse, better, notes []string
	if len(d.Units) == 0 {
		d.Alpha = alpha
		worse, better, notes = d.LatencyDelta.judgeLatency(alpha, threshold, errThreshold)
	} else {
		d.Alpha = alpha / float64(d.tests())
		for i := range d.Units {
			u := &d.Units[i]
			u.judgeUnit(d.Alpha, threshold, errThreshold)
			label := u.Name
			if u.Kind == UnitMemorySize {
				label = "memory sweep " + u.Name
			}
			for _, r := range u.VerdictReasons {
				switch u.Verdict {
				case VerdictRegression:
					worse = append(worse, label+": "+r)
				case VerdictImprovement:
					better = append(better, label+": "+r)
				default:
					notes = append(notes, label+": "+r)
				}
			}
		}
	}
	if d.CostDelta != nil {
		cost := fmt.Sprintf("cost per 1M %s → %s (%+.1f%%)", fmtUSD(*d.CostPerMillionAUSD), fmtUSD(*d.CostPerMillionBUSD), 100**d.CostDelta)
		overlap := d.CostCIA != nil && d.CostCIB != nil && !(d.CostCIB[1] < d.CostCIA[0] || d.CostCIA[1] < d.CostCIB[0])
		switch {
		case d.CostHostBusy && math.Abs(*d.CostDelta) > threshold:
			notes = append(notes, cost+": not judged: the host was busy (host_busy) during that phase")
		case overlap && math.Abs(*d.CostDelta) > threshold:
			notes = append(notes, cost+": the 95% intervals overlap")
		case *d.CostDelta > threshold:
			worse = append(worse, cost)
		case *d.CostDelta < -threshold:
			better = append(better, cost)
		}
	}
	// A shift is reported only where its test is significant.
	if !(d.PValue < d.Alpha) {
		d.Shift = "none"
	}
	for i := range d.Units {
		if !(d.Units[i].PValue < d.Alpha) || !d.Units[i].judged() {
			d.Units[i].Shift = "none"
		}
	}
	switch {
	case len(worse) > 0:
		return VerdictRegression, worse
	case len(better) > 0:
		return VerdictImprovement, better
	}
	return VerdictNoChange, notes
}

// judgeLatency says whether B's latency or error rate changed beyond
// threshold (relative) and errThreshold (absolute), significantly at
// alpha: the p50 when the test finds a shift that way and the p50 moved by
// more than threshold; the p99 likewise, but only when the p99s can be
// compared (P99Known: each has the samples to be a number, or their
// intervals do not overlap), since a p99 from too few samples is a bound;
// errors as judgeErrors. notes say why nothing counted.
func (d LatencyDelta) judgeLatency(alpha, threshold, errThreshold float64) (worse, better, notes []string) {
	sig := d.PValue < alpha
	test := fmt.Sprintf("p=%.2g", d.PValue)
	if d.LatencyTest == LatencyTestWelchTrials {
		test = fmt.Sprintf("Welch t over %d vs %d trials, p=%.2g", d.TrialsA, d.TrialsB, d.PValue)
	}
	latency := func(name string, a, b, delta float64) string {
		return fmt.Sprintf("%s %s → %s ms (%+.1f%%, %s)", name, fmtMs(a), fmtMs(b), 100*delta, test)
	}
	switch {
	case sig && d.Shift == "b_slower" && d.P99Known && d.P99Delta > threshold:
		worse = append(worse, latency("p99", d.P99AMs, d.P99BMs, d.P99Delta))
	case sig && d.Shift == "b_slower" && d.P50Delta > threshold:
		worse = append(worse, latency("p50", d.P50AMs, d.P50BMs, d.P50Delta))
	case sig && d.Shift == "b_faster" && d.P99Known && d.P99Delta < -threshold:
		better = append(better, latency("p99", d.P99AMs, d.P99BMs, d.P99Delta))
	case sig && d.Shift == "b_faster" && d.P50Delta < -threshold:
		better = append(better, latency("p50", d.P50AMs, d.P50BMs, d.P50Delta))
	}
	errWorse, errBetter, errNote := d.judgeErrors(alpha, errThreshold)
	if errWorse != "" {
		worse = append(worse, errWorse)
	}
	if errBetter != "" {
		better = append(better, errBetter)
	}
	if len(worse) > 0 || len(better) > 0 {
		return worse, better, nil
	}
	var why string
	switch {
	case d.SamplesA < 2 || d.SamplesB < 2:
		why = fmt.Sprintf("too few successful requests to test latency (n=%d, %d)", d.SamplesA, d.SamplesB)
	case sig:
		why = fmt.Sprintf("latency shift significant (%s) but p50 %+.1f%%, p99 %+.1f%% are within ±%s", test, 100*d.P50Delta, 100*d.P99Delta, fmtThreshold(threshold))
		if !d.P99Known && math.Abs(d.P99Delta) > threshold {
			why = fmt.Sprintf("latency shift significant (%s), p50 %+.1f%% within ±%s; the p99 moved %+.1f%% but has too few samples to count (fewer than %d, intervals overlap)",
				test, 100*d.P50Delta, fmtThreshold(threshold), 100*d.P99Delta, confidence.SupportMin(0.99))
		}
	default:
		why = fmt.Sprintf("no significant latency shift (%s)", test)
	}
	notes = []string{why}
	if errNote != "" {
		notes = append(notes, errNote)
	}
	return nil, nil, notes
}

// fmtThreshold formats a relative threshold as a percentage (10%).
func fmtThreshold(v float64) string {
	return strconv.FormatFloat(100*v, 'g', 4, 64) + "%"
}

// Regressions lists the targets where B is worse than A by more than
// threshold (a fraction: 0.10 = 10 %), with the reasons: judge's rules.
func (c *Comparison) Regressions(threshold float64) []string {
	var out []string
	for _, d := range c.Targets {
		if v, reasons := d.judge(c.Alpha, threshold, c.ErrorRateThreshold); v == VerdictRegression {
			for _, r := range reasons {
				out = append(out, d.Target+": "+r)
			}
		}
	}
	return out
}
