package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/benchctl/benchctl/capacity"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// TrialSeedName is the name a phase's schedule is seeded by in trial t:
// the phase name itself for a run of one trial (t ≤ 1, so such runs keep
// their schedules), "<name>#trial=<t>" for later trials, so each trial
// draws its own arrivals (trials sample the schedule's variation too).
func TrialSeedName(name string, trial int) string {
	if trial <= 1 {
		return name
	}
	return name + "#trial=" + strconv.Itoa(trial)
}

// TrialOrder is the order in which trials rounds visit n configurations
// (targets of a memory sweep at each size, capacity-search configurations):
// round r (0-based) visits each configuration once, A B A B …, in an order
// permuted by (seed, r), so drift over the run falls on every
// configuration alike instead of on the last one measured.
func TrialOrder(seed uint64, trials, n int) [][]int {
	out := make([][]int, trials)
	for r := range out {
		rng := rand.New(rand.NewPCG(seed, 0x7a1a15^uint64(r+1)))
		out[r] = rng.Perm(n)
	}
	return out
}

// SweepTarget is one function target of a memory sweep run as trials.
type SweepTarget struct {
	Name    string
	Target  Target
	Control MemoryController
}

// SweepTrialFunc runs one configuration of a memory sweep in one trial
// (the function already set to step.MemoryMB).
type SweepTrialFunc func(ctx context.Context, sw SweepTarget, step ExperimentStep, trial int) error

// RunSweepTrials runs a memory sweep as trials: every configuration
// (target × memory size) once per round, trials rounds, each round in the
// order TrialOrder(seed, …) gives, so that drift over the run falls on
// every size and target alike (A B A B, not A A B B). Before the first
// step it saves every target's configuration and at the end (also after
// an error or cancellation) restores each, with a fresh context bounded
// by DefaultRestoreTimeout; restore failures are joined to the error.
func RunSweepTrials(ctx context.Context, targets []SweepTarget, sizes []int, trials int, seed uint64, run SweepTrialFunc) (err error) {
	if err := ValidateMemorySizes(sizes); err != nil {
		return err
	}
	if trials < 1 {
		return fmt.Errorf("memory sweep: trials %d: must be >= 1", trials)
	}
	var saved []int
	origs := make([]FunctionConfig, len(targets))
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultRestoreTimeout)
		defer cancel()
		for _, i := range saved {
			if rerr := targets[i].Control.Restore(rctx, origs[i]); rerr != nil {
				err = errors.Join(err, fmt.Errorf("memory sweep: restore %s to %d MB: %w", targets[i].Name, origs[i].MemorySizeMB, rerr))
			}
		}
	}()
	for i, t := range targets {
		fc, err := t.Control.Configuration(ctx)
		if err != nil {
			return fmt.Errorf("memory sweep: %s: read configuration: %w", t.Name, err)
		}
		origs[i] = fc
		saved = append(saved, i)
	}
	type config struct{ target, mb int }
	var configs []config
	for i := range targets {
		for _, mb := range sizes {
			configs = append(configs, config{i, mb})
		}
	}
	for r, perm := range TrialOrder(seed, trials, len(configs)) {
		for _, ci := range perm {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("memory sweep: %w", err)
			}
			c := configs[ci]
			t := targets[c.target]
			if err := t.Control.SetMemory(ctx, c.mb); err != nil {
				return fmt.Errorf("memory sweep: %s: %w", t.Name, err)
			}
			step := ExperimentStep{Experiment: ExperimentMemorySweep, Step: results.MemoryStep(c.mb), MemoryMB: c.mb}
			if err := run(ctx, t, step, r+1); err != nil {
				return fmt.Errorf("memory sweep: %s at %d MB (trial %d): %w", t.Name, c.mb, r+1, err)
			}
		}
	}
	return nil
}

// TrialProber is implemented by probers that label their records with a
// trial (RunnerProber).
type TrialProber interface {
	SetTrial(trial int)
}

// SetTrial labels the following probes with trial.
func (p *RunnerProber) SetTrial(trial int) {
	p.mu.Lock()
	p.Trial = trial
	p.mu.Unlock()
}

var _ TrialProber = (*RunnerProber)(nil)

// SearchCapacityTrials runs SearchCapacities' searches trials times,
// interleaved: round r searches every configuration once, in the order
// TrialOrder(seed, …) gives, with its probes labelled trial r+1; the
// warm-up probe runs in the first round only. With one trial it is
// SearchCapacities. Each configuration's trials are combined
// by CombineCapacityTrials. It stops at the first error and returns what
// finished (each configuration's trials so far, combined).
func SearchCapacityTrials(ctx context.Context, configs []CapacityConfig, spec scenarios.Capacity, trials int, seed uint64, opts ...CapacityOption) ([]results.CapacityResult, error) {
	if trials <= 1 {
		return SearchCapacities(ctx, configs, spec, opts...)
	}
	per := make([][]results.CapacityResult, len(configs))
	finish := func() []results.CapacityResult {
		var out []results.CapacityResult
		for _, rs := range per {
			if len(rs) > 0 {
				out = append(out, capacity.CombineTrials(rs))
			}
		}
		return out
	}
	for r, perm := range TrialOrder(seed, trials, len(configs)) {
		for _, i := range perm {
			c := configs[i]
			if tp, ok := c.Prober.(TrialProber); ok {
				tp.SetTrial(r + 1)
			}
			o := append(slices.Clip(opts), WithCapacityTarget(c.Target), WithCapacityConfig(c.Config))
			if r > 0 {
				// The warm-up (connections, first-request costs) runs once
				// per configuration, in the first round.
				o = append(o, WithCapacityWarmup(0))
			}
			res, err := RunCapacity(ctx, c.Prober, spec, o...)
			for j := range res.Steps {
				res.Steps[j].Trial = r + 1
			}
			if err != nil {
				if len(res.Steps) > 0 {
					per[i] = append(per[i], res)
				}
				return finish(), err
			}
			per[i] = append(per[i], res)
		}
	}
	return finish(), nil
}
