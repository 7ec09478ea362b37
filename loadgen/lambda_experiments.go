package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// PhaseRunFunc runs one phase; benchctl run passes its own wrapper around
// Runner.RunPhase (which also records the phase in run.json).
type PhaseRunFunc func(ctx context.Context, run PhaseRun) (PhaseOutcome, error)

// ServerlessEnv is what RunServerlessExperiments needs from benchctl run.
type ServerlessEnv struct {
	// Scenario holds the experiments block and the phases it names.
	Scenario *scenarios.Scenario
	// Targets are the built targets by scenario name (from NewTarget).
	Targets map[string]Target
	// RunPhase runs a phase (memory sweep steps).
	RunPhase PhaseRunFunc
	// Encoder receives the cold start records (the run's records encoder).
	Encoder results.Encoder
	// Payloads gives the cold start request body (its first body for the
	// target); nil sends an empty body.
	Payloads *Payloads
	// Control configures the control clients (e.g. WithUpdatePoll).
	Control []ControlOption
	// Log, when set, gets one line per experiment step.
	Log io.Writer
	// Trials runs the memory sweep's configurations (target × memory
	// size) this many times, interleaved (RunSweepTrials); Seed permutes
	// their order. 0 or 1: one pass, target by target.
	Trials int
	Seed   uint64
}

// NewControlForTarget returns the control-plane client of an aws-lambda or
// local-lambda target (same endpoint, region and credentials).
func NewControlForTarget(ctx context.Context, t Target, opts ...ControlOption) (*LambdaControl, error) {
	lt, ok := t.(*LambdaTarget)
	if !ok {
		return nil, fmt.Errorf("target %s: kind %s has no Lambda control plane (want %s or %s)", t.Name(), t.Kind(), scenarios.KindAWSLambda, scenarios.KindLocalLambda)
	}
	return NewLambdaControl(ctx, lt.Options(), opts...)
}

// RunServerlessExperiments runs the scenario's memory_sweep and cold_starts
// blocks, in that order; either may be absent. The memory sweep sweeps each
// of its targets (MemorySweepTargets) one after another, each through its
// own control client: every memory size runs the listed phases through
// env.RunPhase with labels, sending only to the target being swept, and
// the target's configuration is restored before the next target starts
// (also after an error or cancellation). Every target and phase is checked
// before any traffic is sent. The summary pipeline (package summary)
// builds the experiment sections from the records.
func RunServerlessExperiments(ctx context.Context, env ServerlessEnv) error {
	ex := env.Scenario.Experiments
	if ms := ex.MemorySweep; ms != nil {
		type swept struct {
			name string
			tgt  Target
			ctl  *LambdaControl
		}
		var sweeps []swept
		for _, name := range ms.AllTargets() {
			tgt, ok := env.Targets[name]
			if !ok {
				return fmt.Errorf("memory_sweep: unknown target %q", name)
			}
			ctl, err := NewControlForTarget(ctx, tgt, env.Control...)
			if err != nil {
				return fmt.Errorf("memory_sweep: %w", err)
			}
			sweeps = append(sweeps, swept{name, tgt, ctl})
		}
		var phases []scenarios.Phase
		for _, name := range ms.Phases {
			p, ok := findPhase(env.Scenario.Phases, name)
			if !ok {
				return fmt.Errorf("memory_sweep: unknown phase %q", name)
			}
			phases = append(phases, p)
		}
		if len(phases) == 0 {
			return errors.New("memory_sweep: no phases listed")
		}
		if env.Trials > 1 {
			var ts []SweepTarget
			for _, sw := range sweeps {
				ts = append(ts, SweepTarget{Name: sw.name, Target: sw.tgt, Control: sw.ctl})
			}
			if err := RunSweepTrials(ctx, ts, ms.MemorySizes, env.Trials, env.Seed, func(ctx context.Context, sw SweepTarget, st ExperimentStep, trial int) error {
				if env.Log != nil {
					fmt.Fprintf(env.Log, "memory sweep: %s at %d MB (trial %d of %d)\n", sw.Name, st.MemoryMB, trial, env.Trials)
				}
				return runSweepPhases(ctx, env.RunPhase, phases, sw.Target, st, trial)
			}); err != nil {
				return err
			}
		}
		for _, sw := range sweeps {
			if env.Trials > 1 {
				break
			}
			step := func(ctx context.Context, st ExperimentStep) error {
				if env.Log != nil {
					fmt.Fprintf(env.Log, "memory sweep: %s at %d MB\n", sw.name, st.MemoryMB)
				}
				return runSweepPhases(ctx, env.RunPhase, phases, sw.tgt, st, 0)
			}
			if err := RunMemorySweep(ctx, sw.ctl, ms.MemorySizes, step); err != nil {
				if len(sweeps) > 1 {
					return fmt.Errorf("target %s: %w", sw.name, err)
				}
				return err
			}
		}
	}
	if cs := ex.ColdStarts; cs != nil {
		tgt, ok := env.Targets[cs.Target]
		if !ok {
			return fmt.Errorf("cold_starts: unknown target %q", cs.Target)
		}
		ctl, err := NewControlForTarget(ctx, tgt, env.Control...)
		if err != nil {
			return fmt.Errorf("cold_starts: %w", err)
		}
		if env.Log != nil {
			fmt.Fprintf(env.Log, "cold starts: %s, %d samples\n", cs.Target, cs.Samples)
		}
		if env.Encoder == nil {
			return errors.New("cold_starts: no records encoder")
		}
		payload := env.Payloads.For(cs.Target).At(0)
		if _, err := RunColdStarts(ctx, ctl, tgt, ColdStartOptions{Samples: cs.Samples, Payload: payload, Encoder: env.Encoder}); err != nil {
			return err
		}
	}
	return nil
}

// runSweepPhases runs a sweep step's phases against target (labelled with
// the step and, in a run of trials, the trial).
func runSweepPhases(ctx context.Context, run PhaseRunFunc, phases []scenarios.Phase, target Target, st ExperimentStep, trial int) error {
	for _, p := range phases {
		out, err := run(ctx, PhaseRun{Phase: p, Targets: []Target{target}, Step: st.Step, Experiment: st.Experiment, Trial: trial})
		if err != nil {
			return fmt.Errorf("phase %s: %w", p.Name, err)
		}
		if out.Interrupted {
			return fmt.Errorf("phase %s: interrupted: %w", p.Name, context.Cause(ctx))
		}
	}
	return nil
}

func findPhase(phases []scenarios.Phase, name string) (scenarios.Phase, bool) {
	for _, p := range phases {
		if p.Name == name {
			return p, true
		}
	}
	return scenarios.Phase{}, false
}

// TrackLambdaURLTargets wraps enc so that every lambda-url target among
// targets notes the request ids of its records for JoinLambdaURLTargets;
// the records themselves are written at once.
func TrackLambdaURLTargets(targets map[string]Target, enc results.Encoder) results.Encoder {
	for _, name := range slices.Sorted(maps.Keys(targets)) {
		if u, ok := targets[name].(*LambdaURLTarget); ok {
			enc = u.Track(enc)
		}
	}
	return enc
}

// JoinLambdaURLTargets reads the REPORT lines of every lambda-url target's
// requests tracked since the last call (LambdaURLTarget.Join) and returns
// them with the summary notes of joins that fell short. Call it after each
// phase and after the experiments; after Ctrl-C, with a fresh bounded
// context.
func JoinLambdaURLTargets(ctx context.Context, targets map[string]Target) (notes []string, joins []results.Record) {
	for _, name := range slices.Sorted(maps.Keys(targets)) {
		u, ok := targets[name].(*LambdaURLTarget)
		if !ok {
			continue
		}
		st, js := u.Join(ctx)
		joins = append(joins, js...)
		if n := st.Note(); n != "" {
			notes = append(notes, n)
		}
	}
	return notes, joins
}
