package benchrun

import (
	"context"
	"fmt"

	"github.com/benchctl/benchctl/loadgen"
)

// sweepOnlyPhases names the phases that run only inside the memory sweep
// (once per memory size), not on their own.
func (st *runState) sweepOnlyPhases() map[string]bool {
	only := map[string]bool{}
	if ms := st.scenario.Experiments.MemorySweep; ms != nil {
		for _, name := range ms.Phases {
			only[name] = true
		}
	}
	return only
}

// runExperiments runs the scenario's experiments after the phases: the
// memory sweep and forced cold starts of a function target (each restores
// the function's configuration), then the capacity search. Every request
// they send is recorded in results.jsonl with its experiment and step.
func (st *runState) runExperiments(ctx context.Context) error {
	s := st.scenario
	ex := s.Experiments
	if ex.MemorySweep != nil || ex.ColdStarts != nil {
		err := loadgen.RunServerlessExperiments(ctx, loadgen.ServerlessEnv{
			Scenario: s,
			Targets:  st.targets,
			RunPhase: st.runPhase,
			Encoder:  st.runner.Encoder,
			Payloads: st.runner.Payloads,
			Log:      st.opts.Stderr,
			Trials:   st.scenario.Trials,
			Seed:     st.scenario.Seed,
		})
		if err != nil {
			if ctx.Err() != nil {
				st.interrupted = true
				return nil
			}
			return fmt.Errorf("serverless experiments: %w", err)
		}
	}
	if ex.Capacity != nil && ctx.Err() == nil {
		configs, err := loadgen.CapacityConfigs(s, st.targets, st.runner, nil)
		if err != nil {
			return fmt.Errorf("capacity: %w", err)
		}
		fmt.Fprintf(st.opts.Stderr, "capacity search: %s at p99 ≤ %g ms\n", ex.Capacity.Target, ex.Capacity.SLO.P99Ms)
		res, err := loadgen.SearchCapacityTrials(ctx, configs, *ex.Capacity, st.scenario.Trials, st.scenario.Seed)
		st.capacity = res
		if err != nil {
			if ctx.Err() != nil {
				st.interrupted = true
				return nil
			}
			return fmt.Errorf("capacity: %w", err)
		}
		for _, r := range res {
			fmt.Fprintf(st.opts.Stderr, "capacity: %s %s: %.1f rps (CI %.1f–%.1f)\n", r.Target, r.Config, r.CapacityRPS, r.CapacityRPSLow, r.CapacityRPSHi)
		}
	}
	return nil
}
