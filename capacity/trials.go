package capacity

import (
	"cmp"
	"math"
	"slices"

	"github.com/benchctl/benchctl/confidence"
	"github.com/benchctl/benchctl/results"
)

// CombineTrials combines one configuration's capacity searches
// (one per trial, in trial order) into one result: the steps of every
// trial (each labelled with its trial), each trial's capacity in Trials,
// and CapacityRPS with [CapacityRPSLow, CapacityRPSHi] from
// confidence.Trials over the per-trial capacities (the geometric mean and
// a Student-t interval on the log scale; on the linear scale when a trial
// found capacity 0), so the interval holds the search's resolution, each
// step's noise and the variation between trials. A single result is
// returned as it is.
func CombineTrials(rs []results.CapacityResult) results.CapacityResult {
	if len(rs) == 1 {
		return rs[0]
	}
	out := rs[0]
	out.Steps = nil
	out.Trials = nil
	var est []confidence.TrialEstimate
	for i, r := range rs {
		trial := i + 1
		if len(r.Steps) > 0 && r.Steps[0].Trial > 0 {
			trial = r.Steps[0].Trial
		}
		out.Steps = append(out.Steps, r.Steps...)
		out.Trials = append(out.Trials, results.CapacityTrial{Trial: trial, CapacityRPS: r.CapacityRPS,
			CapacityRPSLow: r.CapacityRPSLow, CapacityRPSHi: r.CapacityRPSHi, LimitedBy: r.LimitedBy})
		est = append(est, confidence.TrialEstimate{Value: r.CapacityRPS, N: len(r.Steps)})
		if out.LimitedBy == "" {
			out.LimitedBy = r.LimitedBy
		}
	}
	slices.SortStableFunc(out.Steps, func(a, b results.CapacityStep) int {
		return cmp.Or(cmp.Compare(a.OfferedRPS, b.OfferedRPS), cmp.Compare(a.Trial, b.Trial))
	})
	iv, _ := confidence.Trials(est, 0, confidence.DefaultLevel)
	ci := results.TrialsInterval(iv)
	ci.Low = math.Max(0, ci.Low)
	out.CapacityRPS, out.CapacityRPSLow, out.CapacityRPSHi = ci.Value, ci.Low, ci.High
	out.CapacityCI = &ci
	out.Method += "; trials combined: " + iv.Method + " over the per-trial capacities"
	return out
}
