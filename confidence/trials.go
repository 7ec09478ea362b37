package confidence

import "math"

// TrialEstimate is one trial's estimate of a figure (its p99, its cost per
// 1M requests, its capacity) and the number of samples behind it.
type TrialEstimate struct {
	Value float64
	N     int
}

// TrialsInterval is a figure estimated from repeated trials: the combined
// interval, each trial's value (in trial order) and their spread.
type TrialsInterval struct {
	Interval
	Values []float64
	// Min and Max are the smallest and largest trial values; CV is their
	// coefficient of variation (sample standard deviation / mean).
	Min, Max, CV float64
}

// Trials combines per-trial estimates into one level interval that holds
// both the sampling noise within each trial and the variation between
// trials (host load, drift, the target's own state): each trial's estimate
// varies by both, so their spread measures both.
//
// For positive values the interval is Student-t on the log scale, because
// host effects multiply latencies and costs:
//
//	m = mean(ln v_t), s = sd(ln v_t),  [e^(m − t·s/√T), e^(m + t·s/√T)],
//
// t = t(1 − α/2, T − 1), estimate e^m (the geometric mean); with a zero
// or negative value it is the same on the linear scale. T must be at
// least 2 (one trial has no between-trial spread: ok is false). For a
// quantile q > 0, the result is a BoundRange when any trial had fewer
// than SupportMin(q) samples: each trial's estimate is then biased toward
// the sample's extremes, and averaging trials does not remove that.
func Trials(ts []TrialEstimate, q, level float64) (TrialsInterval, bool) {
	T := len(ts)
	if T < 2 {
		return TrialsInterval{}, false
	}
	out := TrialsInterval{Values: make([]float64, T), Min: math.Inf(1), Max: math.Inf(-1)}
	positive := true
	for i, t := range ts {
		out.Values[i] = t.Value
		out.Min, out.Max = math.Min(out.Min, t.Value), math.Max(out.Max, t.Value)
		positive = positive && t.Value > 0
		if q > 0 && !Supported(t.N, q) {
			out.Bound = BoundRange
		}
	}
	if m := Mean(out.Values); m != 0 {
		out.CV = Stdev(out.Values) / m
	}
	tq := tQuantile(1-(1-level)/2, T-1)
	if positive {
		logs := make([]float64, T)
		for i, v := range out.Values {
			logs[i] = math.Log(v)
		}
		m, s := Mean(logs), Stdev(logs)
		half := tq * s / math.Sqrt(float64(T))
		out.Interval = Interval{Estimate: math.Exp(m), Low: math.Exp(m - half), High: math.Exp(m + half),
			Level: level, N: T, Method: MethodTrialsLogT, Bound: out.Bound}
		return out, true
	}
	m, s := Mean(out.Values), Stdev(out.Values)
	half := tq * s / math.Sqrt(float64(T))
	out.Interval = Interval{Estimate: m, Low: m - half, High: m + half, Level: level, N: T, Method: MethodTrialsT, Bound: out.Bound}
	return out, true
}
