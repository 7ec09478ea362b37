package loadgen

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// CapacityCollector rebuilds experiments.capacity from a run's records, so
// that `benchctl summary DIR` (and a run cut short) can restore the
// capacity search without re-running it. Feed it every record; it keeps,
// per (target, capacity step), the corrected latencies and a
// results.Aggregator, and ignores everything else (the warm-up included).
// It is safe for concurrent use.
type CapacityCollector struct {
	mu    sync.Mutex
	steps map[capacityKey]*capacityAcc
	order []capacityKey
}

type capacityKey struct {
	target string
	rps    float64
	trial  int
}

type capacityAcc struct {
	agg *results.Aggregator
	lat []time.Duration
}

// NewCapacityCollector returns an empty collector.
func NewCapacityCollector() *CapacityCollector {
	return &CapacityCollector{steps: map[capacityKey]*capacityAcc{}}
}

// Add takes one record; records of other experiments are ignored.
func (c *CapacityCollector) Add(r *results.Record) {
	if r.Experiment != ExperimentCapacity {
		return
	}
	rps, ok := ParseCapacityStep(r.Step)
	if !ok {
		return
	}
	k := capacityKey{target: r.Target, rps: rps, trial: r.Trial}
	c.mu.Lock()
	defer c.mu.Unlock()
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

// Results scores the collected steps with RunCapacity's rules for the
// scenario's capacity block (nil when it has none), one result per searched
// target that has records, in the block's order. The capacity is the
// highest passing rate, which is what the search ends on: every rate it
// tries lies between the highest pass and the lowest failure so far.
// Extension counts and the max_steps limit are not recoverable from
// records and are left empty.
func (c *CapacityCollector) Results(s *scenarios.Scenario, opts ...CapacityOption) ([]results.CapacityResult, error) {
	spec := s.Experiments.Capacity
	if spec == nil {
		return nil, nil
	}
	plan, err := newCapacityPlan(*spec)
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
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []results.CapacityResult
	for _, target := range append([]string{spec.Target}, spec.Targets...) {
		set := capacitySettings{target: target, maxSteps: DefaultCapacityMaxSteps,
			maxExtensions: DefaultCapacityMaxExtensions, ciLevel: DefaultCapacityCILevel}
		if sv, ok := servers[serverOf[target]]; ok && serverOf[target] != "" {
			set.config = CapacityConfigLabel(sv)
		}
		for _, o := range opts {
			if err := o(&set); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrCapacitySpec, err)
			}
		}
		p := plan
		if set.warmup != nil {
			p.warmup = *set.warmup
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
			if res, ok := c.resultLocked(target, trial, p, set); ok {
				perTrial = append(perTrial, res)
			}
		}
		if len(perTrial) > 0 {
			out = append(out, CombineCapacityTrials(perTrial))
		}
	}
	if len(out) == 0 && len(c.order) > 0 {
		return nil, errors.New("capacity results: records name no target of the capacity block")
	}
	return out, nil
}

// resultLocked scores the steps of one target in one trial (0: a run of
// one trial).
func (c *CapacityCollector) resultLocked(target string, trial int, p capacityPlan, set capacitySettings) (results.CapacityResult, bool) {
	search := &capacitySearch{plan: p, set: set}
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
		st := search.evaluate(ProbeResult{
			OfferedRPS: k.rps, AchievedRPS: sum.AchievedRPS, Requests: sum.Requests, Errors: errs,
			Latencies: acc.lat, FellBehind: sum.GeneratorFellBehind,
			DispatchLagP99: time.Duration(sum.DispatchLagMs.P99 * float64(time.Millisecond)),
			Duration:       time.Duration(sum.DurationS * float64(time.Second)),
		})
		st.OfferedRPS = k.rps
		st.Trial = trial
		search.steps = append(search.steps, st)
	}
	if len(search.steps) == 0 {
		return results.CapacityResult{}, false
	}
	res := newCapacityResult(p, set)
	res.CapacityRPS = 0
	for _, st := range search.steps {
		if st.Passed {
			res.CapacityRPS = math.Max(res.CapacityRPS, st.OfferedRPS)
		}
	}
	switch {
	case res.CapacityRPS == 0:
		res.LimitedBy = CapacityLimitedByMinRPS
	case res.CapacityRPS >= p.maxRPS:
		res.LimitedBy = CapacityLimitedByMaxRPS
	}
	search.finish(&res)
	return res, true
}
