package report

import (
	"fmt"
	"strconv"
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

// Judge sets the verdict of every target at threshold (a fraction: 0.10 =
// 10 %) and c.ErrorRateThreshold; see VerdictRegression and
// VerdictImprovement. Compare judges at DefaultRegressionThreshold and
// DefaultErrorRateThreshold.
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

// judge returns the target's verdict at threshold (relative) and
// errThreshold (absolute error rate) and the reasons for it. A latency
// change counts only when the Mann-Whitney test at alpha finds the shift
// significant in the same direction; an error-rate change only when
// ErrorRateTest at alpha finds it significant and it exceeds errThreshold;
// a cost change counts on its own (cost per 1M is computed, not sampled).
func (d TargetDelta) judge(alpha, threshold, errThreshold float64) (string, []string) {
	sig := d.Significant(alpha)
	var worse, better []string
	latency := func(name string, a, b, delta float64) string {
		return fmt.Sprintf("%s %s → %s ms (%+.1f%%, p=%.2g)", name, fmtMs(a), fmtMs(b), 100*delta, d.PValue)
	}
	switch {
	case sig && d.Shift == "b_slower" && d.P99Delta > threshold:
		worse = append(worse, latency("p99", d.P99AMs, d.P99BMs, d.P99Delta))
	case sig && d.Shift == "b_slower" && d.P50Delta > threshold:
		worse = append(worse, latency("p50", d.P50AMs, d.P50BMs, d.P50Delta))
	case sig && d.Shift == "b_faster" && d.P99Delta < -threshold:
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
	if d.CostDelta != nil {
		cost := fmt.Sprintf("cost per 1M %s → %s (%+.1f%%)", fmtUSD(*d.CostPerMillionAUSD), fmtUSD(*d.CostPerMillionBUSD), 100**d.CostDelta)
		if *d.CostDelta > threshold {
			worse = append(worse, cost)
		} else if *d.CostDelta < -threshold {
			better = append(better, cost)
		}
	}
	var why string
	switch {
	case len(worse) > 0:
		return VerdictRegression, worse
	case len(better) > 0:
		return VerdictImprovement, better
	case d.SamplesA < 2 || d.SamplesB < 2:
		why = fmt.Sprintf("too few successful requests to test latency (n=%d, %d)", d.SamplesA, d.SamplesB)
	case sig:
		why = fmt.Sprintf("latency shift significant (p=%.2g) but p50 %+.1f%%, p99 %+.1f%% are within ±%s", d.PValue, 100*d.P50Delta, 100*d.P99Delta, fmtThreshold(threshold))
	default:
		why = fmt.Sprintf("no significant latency shift (p=%.2g)", d.PValue)
	}
	if errNote != "" {
		return VerdictNoChange, []string{why, errNote}
	}
	return VerdictNoChange, []string{why}
}

// fmtThreshold formats a relative threshold as a percentage (10%).
func fmtThreshold(v float64) string {
	return strconv.FormatFloat(100*v, 'g', 4, 64) + "%"
}

// Regressions lists the targets where B is worse than A by more than
// threshold (a fraction: 0.10 = 10 %): a p50 or p99 increase that the
// Mann-Whitney test finds significant, an error-rate increase above
// c.ErrorRateThreshold that ErrorRateTest finds significant, or a cost
// per 1M increase.
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
