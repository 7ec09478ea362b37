package summary

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/benchctl/benchctl/capacity"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// Capacity is the collector that rebuilds experiments.capacity from a
// run's records, so that `benchctl summary DIR` (and a run cut short) can
// restore the capacity search without re-running it: the steps are scored
// with the search's own rule (package capacity). It keeps, per (target,
// capacity step), a results.Aggregator and the step's corrected latencies
// (the nearest-rank p99 and its order-statistic interval need them all;
// a search probes at most max_steps rates for a few seconds each, so this
// is bounded by the scenario's capacity block, not by the run's length),
// and ignores every other record, the warm-up included. The latencies are
// sorted before scoring, so the merge only appends them.
type Capacity struct {
	scenario *scenarios.Scenario
	steps    map[capacityKey]*capacityAcc
	order    []capacityKey
}

var _ Merger = (*Capacity)(nil)

type capacityKey struct {
	target string
	rps    float64
	trial  int
}

type capacityAcc struct {
	agg *results.Aggregator
	lat []time.Duration
}

// NewCapacity returns an empty collector for the capacity block of s.
func NewCapacity(s *scenarios.Scenario) *Capacity {
	return &Capacity{scenario: s, steps: map[capacityKey]*capacityAcc{}}
}

// Add takes one record; records of other experiments are ignored.
func (c *Capacity) Add(r *results.Record) {
	if r.Experiment != results.ExperimentCapacity {
		return
	}
	rps, ok := capacity.ParseStep(r.Step)
	if !ok {
		return
	}
	k := capacityKey{target: r.Target, rps: rps, trial: r.Trial}
	acc := c.steps[k]
	if acc == nil {
		acc = &capacityAcc{agg: results.NewAggregator(r.Phase, r.Step, r.Experiment)}
		c.steps[k] = acc
		c.order = append(c.order, k)
	}
	acc.agg.Add(r)
	if r.ErrorClass != results.ErrorClassDropped {
		l := r.CorrectedLatency
		if l == 0 {
			l = r.Latency
		}
		acc.lat = append(acc.lat, l)
	}
}

// Fork returns an empty collector for the same scenario.
func (c *Capacity) Fork() Merger { return NewCapacity(c.scenario) }

// Merge folds a fork that saw the records after c's.
func (c *Capacity) Merge(later Merger) {
	f := later.(*Capacity)
	for _, k := range f.order {
		b := f.steps[k]
		a := c.steps[k]
		if a == nil {
			c.steps[k] = b
			c.order = append(c.order, k)
			continue
		}
		a.agg.Merge(b.agg)
		b.agg.Release() // the fork is done with it
		a.lat = append(a.lat, b.lat...)
	}
}

// Results scores the collected steps with the search's rules for the
// scenario's capacity block (nil when it has none), one result per
// searched target that has records, in the block's order. The capacity is
// the highest passing rate, which is what the search ends on: every rate
// it tries lies between the highest pass and the lowest failure so far.
// Extension counts and the max_steps limit are not recoverable from
// records and are left empty.
func (c *Capacity) Results() ([]results.CapacityResult, error) {
	s := c.scenario
	if s == nil || s.Experiments.Capacity == nil {
		return nil, nil
	}
	spec := s.Experiments.Capacity
	plan, err := capacity.NewPlan(*spec)
	if err != nil {
		return nil, fmt.Errorf("capacity results: %w", err)
	}
	servers := map[string]scenarios.Server{}
	for _, sv := range s.Servers {
		servers[sv.Name] = sv
	}
	serverOf := map[string]string{}
	for _, t := range s.Targets {
		serverOf[t.Name] = t.Server
	}
	var out []results.CapacityResult
	for _, target := range append([]string{spec.Target}, spec.Targets...) {
		config := ""
		if sv, ok := servers[serverOf[target]]; ok && serverOf[target] != "" {
			config = capacity.ConfigLabel(sv)
		}
		var trials []int
		for _, k := range c.order {
			if k.target == target && !slices.Contains(trials, k.trial) {
				trials = append(trials, k.trial)
			}
		}
		slices.Sort(trials)
		var perTrial []results.CapacityResult
		for _, trial := range trials {
			if res, ok := c.result(plan, target, config, trial); ok {
				perTrial = append(perTrial, res)
			}
		}
		if len(perTrial) > 0 {
			out = append(out, capacity.CombineTrials(perTrial))
		}
	}
	if len(out) == 0 && len(c.order) > 0 {
		return nil, errors.New("capacity results: records name no target of the capacity block")
	}
	return out, nil
}

// result scores one target's steps of one trial (0: a run of one trial).
func (c *Capacity) result(plan capacity.Plan, target, config string, trial int) (results.CapacityResult, bool) {
	var steps []results.CapacityStep
	for _, k := range c.order {
		if k.target != target || k.trial != trial {
			continue
		}
		acc := c.steps[k]
		sum := acc.agg.Summary(results.PhaseInfo{}, nil)
		var errs int64
		for _, n := range sum.Errors {
			errs += n
		}
		st := plan.Score(capacity.Probe{
			OfferedRPS: k.rps, AchievedRPS: sum.AchievedRPS, Requests: sum.Requests, Errors: errs,
			Latencies: acc.lat, FellBehind: sum.GeneratorFellBehind,
			DispatchLagP99: time.Duration(sum.DispatchLagMs.P99 * float64(time.Millisecond)),
			Duration:       time.Duration(sum.DurationS * float64(time.Second)),
		})
		st.OfferedRPS = k.rps
		st.Trial = trial
		steps = append(steps, st)
	}
	if len(steps) == 0 {
		return results.CapacityResult{}, false
	}
	res := plan.Result(target, config)
	for _, st := range steps {
		if st.Passed {
			res.CapacityRPS = math.Max(res.CapacityRPS, st.OfferedRPS)
		}
	}
	switch {
	case res.CapacityRPS == 0:
		res.LimitedBy = capacity.LimitedByMinRPS
	case res.CapacityRPS >= plan.MaxRPS:
		res.LimitedBy = capacity.LimitedByMaxRPS
	}
	plan.Finish(&res, steps)
	return res, true
}

// Apply sets s.Experiments.Capacity when the records hold a search.
func (c *Capacity) Apply(ctx context.Context, s *results.Summary) error {
	res, err := c.Results()
	if err != nil {
		return err
	}
	if len(res) > 0 {
		s.Experiments.Capacity = res
	}
	return nil
}
