package results

import (
	"fmt"
	"math"
	"slices"

	"github.com/benchctl/benchctl/confidence"
)

// Interval is a figure with its 95% confidence interval as summary.json
// holds it (latency percentiles, capacity).
type Interval struct {
	// Value is the figure as printed elsewhere (the phase's type-7 or HDR
	// percentile; with trials, the trials' geometric mean).
	Value float64 `json:"value"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
	// Level is the coverage the interval attains (0.95 asked).
	Level float64 `json:"level"`
	// Method is confidence's: order-statistic (within one run),
	// student-t-over-trials-log (trials combined), ...
	Method string `json:"method"`
	// N is the number of samples behind it, or of trials.
	N int `json:"n"`
	// Bound is set when the samples cannot support the figure as a
	// number (fewer than 100/(1−q) for quantile q): "range" (print
	// Low–High) or "at_least" (too few even for an upper bound: print
	// ≥ Low; High is then the sample maximum).
	Bound string `json:"bound,omitempty"`
	// Trials holds each trial's value when the interval combines trials
	// (their spread is printed beside the interval).
	Trials []float64 `json:"trials,omitempty"`
	// Scope is "trials" (between-trial variation included) or "run"
	// (sampling noise within this one run only).
	Scope string `json:"scope"`
}

// Interval scopes (Interval.Scope).
const (
	ScopeTrials = "trials"
	ScopeRun    = "run"
)

// IntervalFrom converts a confidence interval; value replaces its estimate
// when not NaN (and widens the interval to hold it).
func IntervalFrom(iv confidence.Interval, value float64, scope string) Interval {
	out := Interval{Value: iv.Estimate, Low: iv.Low, High: iv.High, Level: iv.Level, Method: iv.Method, N: iv.N,
		Bound: string(iv.Bound), Scope: scope}
	if !math.IsNaN(value) {
		out.Value = value
		if iv.Bound != confidence.BoundAtLeast {
			out.Low, out.High = math.Min(out.Low, value), math.Max(out.High, value)
		}
	}
	for _, p := range []*float64{&out.Value, &out.Low, &out.High} {
		if math.IsNaN(*p) || math.IsInf(*p, 0) {
			*p = 0
		}
	}
	return out
}

// TrialsInterval converts a trials interval (scope "trials", the trial
// values kept).
func TrialsInterval(iv confidence.TrialsInterval) Interval {
	out := IntervalFrom(iv.Interval, math.NaN(), ScopeTrials)
	out.Trials = slices.Clone(iv.Values)
	return out
}

// Format prints the interval's value as a reader sees it: "312.4 ms",
// "45.0–300.2 ms" (too few samples for a number) or "≥ 45.0 ms".
func (iv Interval) Format(unit string, prec int) string {
	return confidence.FormatBound(confidence.Interval{Estimate: iv.Value, Low: iv.Low, High: iv.High, Bound: confidence.Bound(iv.Bound)}, unit, prec)
}

// LatencyIntervals are a phase's latency p50 and p99 (from the intended
// send) with their 95% intervals.
type LatencyIntervals struct {
	P50 Interval `json:"p50"`
	P99 Interval `json:"p99"`
}

// TrialSummary is one trial of a phase (or step) run trials: N times.
type TrialSummary struct {
	Trial     int     `json:"trial"`
	Requests  int64   `json:"requests"`
	OK        int64   `json:"ok"`
	ErrorRate float64 `json:"error_rate"`
	DurationS float64 `json:"duration_s"`
	// Latency (from the intended send) of the trial, ms.
	LatencyP50Ms  float64 `json:"latency_p50_ms"`
	LatencyP99Ms  float64 `json:"latency_p99_ms"`
	LatencyMeanMs float64 `json:"latency_mean_ms"`
	// HostBusy is set when the trial ran while the host was host_busy.
	HostBusy bool `json:"host_busy,omitempty"`
}

// TrialStats accumulates one trial of one (target, phase, step): counts
// and the latency from the intended send (the phase's Aggregator has the
// rest). It merges exactly.
type TrialStats struct {
	requests, ok int64
	latency      *Dist
}

// NewTrialStats returns empty trial statistics.
func NewTrialStats() *TrialStats { return &TrialStats{latency: NewDist()} }

// Add folds one record of the trial in.
func (t *TrialStats) Add(r *Record) {
	t.requests++
	class := r.ErrorClass
	if class == "" && r.Error != "" {
		class = ErrorClassOther
	}
	if class == ErrorClassDropped {
		return
	}
	if class == "" {
		t.ok++
	}
	lat := r.CorrectedLatency
	if lat == 0 {
		lat = r.Latency
	}
	t.latency.Add(lat)
}

// Merge folds o (later records of the same trial) into t.
func (t *TrialStats) Merge(o *TrialStats) {
	t.requests += o.requests
	t.ok += o.ok
	t.latency.Merge(o.latency)
}

// TrialKey identifies one trial of one phase of a target.
type TrialKey struct {
	Target, Phase, Step, Experiment string
	Trial                           int
}

// TrialPhaseInfos sums run.json's entries per (target, phase, step,
// trial) of a run with trials.
func TrialPhaseInfos(phases []PhaseRunInfo) map[TrialKey]PhaseInfo {
	out := map[TrialKey]PhaseInfo{}
	for _, p := range phases {
		if p.Trial <= 0 {
			continue
		}
		for i, t := range p.Targets {
			if slices.Contains(p.Targets[:i], t) {
				continue
			}
			k := TrialKey{t, p.Name, p.Step, p.Experiment, p.Trial}
			out[k] = out[k].Plus(PhaseInfo{DurationS: p.DurationS, Scheduled: p.Scheduled, Host: p.Host, Stopped: p.Stopped})
		}
	}
	return out
}

// AttachIntervals fills s.Trials and s.LatencyCI: with two or more trials
// (trials, by trial number; infos, run.json's entries of each) the
// intervals combine them (confidence.Trials over the per-trial p50 and
// p99), otherwise they are the pooled latency distribution's order-
// statistic intervals, which cover this run's sampling noise only.
func AttachIntervals(s *PhaseSummary, pooled *Dist, trials map[int]*TrialStats, infos map[int]PhaseInfo) {
	nums := make([]int, 0, len(trials))
	for t := range trials {
		nums = append(nums, t)
	}
	slices.Sort(nums)
	var p50s, p99s []confidence.TrialEstimate
	for _, t := range nums {
		a := trials[t]
		d := a.latency.Distribution()
		info := infos[t]
		ts := TrialSummary{Trial: t, Requests: a.requests, OK: a.ok, DurationS: info.DurationS,
			LatencyP50Ms: d.P50, LatencyP99Ms: d.P99, LatencyMeanMs: d.Mean, HostBusy: info.Host != nil && info.Host.Busy}
		if a.requests > 0 {
			ts.ErrorRate = float64(a.requests-a.ok) / float64(a.requests)
		}
		s.Trials = append(s.Trials, ts)
		if d.Count > 0 {
			p50s = append(p50s, confidence.TrialEstimate{Value: d.P50, N: int(d.Count)})
			p99s = append(p99s, confidence.TrialEstimate{Value: d.P99, N: int(d.Count)})
		}
	}
	if len(p99s) >= 2 {
		i50, _ := confidence.Trials(p50s, 0.50, confidence.DefaultLevel)
		i99, _ := confidence.Trials(p99s, 0.99, confidence.DefaultLevel)
		s.LatencyCI = &LatencyIntervals{P50: TrialsInterval(i50), P99: TrialsInterval(i99)}
		return
	}
	if pooled == nil || pooled.n == 0 {
		return
	}
	os := pooled.orderStats()
	s.LatencyCI = &LatencyIntervals{
		P50: IntervalFrom(confidence.QuantileInterval(os, 0.50, confidence.DefaultLevel), s.LatencyMs.P50, ScopeRun),
		P99: IntervalFrom(confidence.QuantileInterval(os, 0.99, confidence.DefaultLevel), s.LatencyMs.P99, ScopeRun),
	}
}

// TrialsNote is the summary note of a run with one trial: its intervals
// cover sampling noise within the run, not run-to-run variation.
const TrialsNote = "trials: 1: every interval covers the sampling noise of this one run only, not the variation between runs (host load, drift); set trials: N (or --trials N) to repeat each recorded phase, sweep step and capacity search and include it"

// TrialsRunNote describes a run of trials > 1.
func TrialsRunNote(trials int) string {
	return fmt.Sprintf("trials: %d: each recorded phase, memory-sweep step and capacity search ran %d times, interleaved; intervals combine the trials (Student t on the log scale over the per-trial estimates), so they include the variation between trials", trials, trials)
}

// FillSweepIntervals gives every memory-sweep row the intervals of its
// memory size: the latency p50/p99 intervals of the step's recorded phase
// (when the step has exactly one, as a sweep of a warm-up and one measured
// phase does), and the cost per 1M interval of the cost row pricing wrote
// for the row's price (CostPerMillionCI). Call it after pricing.
func FillSweepIntervals(sum *Summary) {
	for i := range sum.Experiments.MemorySweep {
		r := &sum.Experiments.MemorySweep[i]
		r.LatencyCI = nil
		step := MemoryStep(r.MemoryMB)
		var found []*LatencyIntervals
		for _, t := range sum.Targets {
			if t.Name != r.Target {
				continue
			}
			for _, p := range t.Phases {
				if p.Experiment == ExperimentMemorySweep && p.Step == step && p.LatencyCI != nil {
					found = append(found, p.LatencyCI)
				}
			}
		}
		if len(found) == 1 {
			c := *found[0]
			r.LatencyCI = &c
		}
		r.CostPerMillionCI = nil
		if r.CostPerMillionUSD == nil {
			continue
		}
		for _, c := range sum.Cost {
			if c.Target == r.Target && c.Step == step && c.CostPerMillionUSD == *r.CostPerMillionUSD {
				iv := Interval{Value: c.CostPerMillionUSD, Low: c.CostPerMillionLow, High: c.CostPerMillionHi, Level: 0.95,
					Method: "bootstrap over requests", N: int(c.Requests), Scope: ScopeRun}
				if len(c.CostPerMillionTrials) > 1 {
					iv.Method, iv.N, iv.Scope = confidence.MethodTrialsLogT, len(c.CostPerMillionTrials), ScopeTrials
					iv.Trials = slices.Clone(c.CostPerMillionTrials)
				}
				r.CostPerMillionCI = &iv
				break
			}
		}
	}
}
