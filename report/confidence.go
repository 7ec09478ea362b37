package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/benchctl/benchctl/confidence"
	"github.com/benchctl/benchctl/results"
)

// ConfidenceLine is one figure of the report's confidence section: a
// latency percentile, a cost per 1M, a capacity, with its interval, what
// the interval covers (this run only, or the trials) and the trials'
// spread beside it.
type ConfidenceLine struct {
	Subject string
	Figure  string
	Value   string
	// Interval is "95% CI 290–340 ms", or why there is none.
	Interval string
	// Scope says what the interval covers: "this run's sampling noise
	// only" or "3 trials (between-trial spread included)".
	Scope string
	// Spread lists the trial values ("trials: 300, 330, 310 ms"), empty
	// for one trial.
	Spread string
}

// Confidence lists the run's intervals: every recorded phase's p50 and p99
// (a percentile with too few samples printed as a bound), every cost row's
// cost per 1M that ran as trials, and every capacity search; nil when the
// summary has no intervals (an older run).
func (m *Model) Confidence() []ConfidenceLine {
	var out []ConfidenceLine
	for _, t := range m.Summary.Targets {
		for _, p := range t.Phases {
			if p.LatencyCI == nil {
				continue
			}
			subject := results.PhaseLabel(t.Name, p)
			for _, f := range []struct {
				name string
				iv   results.Interval
				q    float64
			}{{"latency p50", p.LatencyCI.P50, 0.50}, {"latency p99", p.LatencyCI.P99, 0.99}} {
				out = append(out, intervalLine(subject, f.name, f.iv, "ms", fmtMs, f.q))
			}
		}
	}
	for _, c := range m.Summary.Cost {
		if len(c.CostPerMillionTrials) < 2 {
			continue
		}
		subject := strings.TrimSpace(fmt.Sprintf("%s/%s %s %s", c.Target, c.Phase, c.Step, c.Architecture))
		iv := results.Interval{Value: c.CostPerMillionUSD, Low: c.CostPerMillionLow, High: c.CostPerMillionHi,
			Scope: results.ScopeTrials, Trials: c.CostPerMillionTrials, N: len(c.CostPerMillionTrials)}
		out = append(out, intervalLine(subject, "cost per 1M", iv, "", fmtUSD, 0))
	}
	for _, c := range m.Summary.Experiments.Capacity {
		if len(out) == 0 && c.CapacityCI == nil {
			continue // a summary from before intervals were kept
		}
		subject := strings.TrimSpace("capacity " + c.Target + " " + c.Config)
		iv := results.Interval{Value: c.CapacityRPS, Low: c.CapacityRPSLow, High: c.CapacityRPSHi, Scope: results.ScopeRun}
		if c.CapacityCI != nil {
			iv = *c.CapacityCI
		}
		out = append(out, intervalLine(subject, "capacity", iv, "rps", fmtRate, 0))
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// intervalLine formats one interval (q > 0 for a percentile, whose bound
// is printed when the samples are too few).
func intervalLine(subject, figure string, iv results.Interval, unit string, f func(float64) string, q float64) ConfidenceLine {
	u := ""
	if unit != "" {
		u = " " + unit
	}
	l := ConfidenceLine{Subject: subject, Figure: figure, Value: f(iv.Value) + u,
		Interval: fmt.Sprintf("95%% CI %s–%s%s", f(iv.Low), f(iv.High), u)}
	switch iv.Bound {
	case "at_least":
		l.Value = "≥ " + f(iv.Low) + u
		l.Interval = fmt.Sprintf("too few samples for a %s (%d; %d needed for a number, none for an upper bound): a one-sided 95%% lower bound", figure, iv.N, supportMin(q))
	case "range":
		l.Value = f(iv.Low) + "–" + f(iv.High) + u
		l.Interval = fmt.Sprintf("95%% CI, printed as a range: %d samples per estimate, %d needed for the %s as a number", iv.N, supportMin(q), figure)
		if iv.Scope == results.ScopeTrials {
			l.Interval = fmt.Sprintf("95%% CI over the trials, printed as a range: fewer than %d samples per trial for the %s as a number", supportMin(q), figure)
		}
	}
	switch {
	case iv.Scope == results.ScopeTrials && len(iv.Trials) > 1:
		l.Scope = fmt.Sprintf("%d trials (between-trial spread included)", len(iv.Trials))
		vals := make([]string, len(iv.Trials))
		for i, v := range iv.Trials {
			vals[i] = f(v)
		}
		l.Spread = fmt.Sprintf("trials: %s%s (%s–%s)", strings.Join(vals, ", "), u, f(slices.Min(iv.Trials)), f(slices.Max(iv.Trials)))
	default:
		l.Scope = "this run's sampling noise only (trials: 1)"
	}
	return l
}

// supportMin is the fewest samples a quantile needs to be printed as a
// number (0 for non-quantiles).
func supportMin(q float64) int {
	if q <= 0 || q >= 1 {
		return 0
	}
	return confidence.SupportMin(q)
}
