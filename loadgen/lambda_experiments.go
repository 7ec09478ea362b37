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
// before any traffic is sent. Summarise afterwards with
// SummarizeServerlessExperiments.
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
		for _, sw := range sweeps {
			step := func(ctx context.Context, st ExperimentStep) error {
				if env.Log != nil {
					fmt.Fprintf(env.Log, "memory sweep: %s at %d MB\n", sw.name, st.MemoryMB)
				}
				for _, p := range phases {
					out, err := env.RunPhase(ctx, PhaseRun{Phase: p, Targets: []Target{sw.tgt}, Step: st.Step, Experiment: st.Experiment})
					if err != nil {
						return fmt.Errorf("phase %s: %w", p.Name, err)
					}
					if out.Interrupted {
						return fmt.Errorf("phase %s: interrupted: %w", p.Name, context.Cause(ctx))
					}
				}
				return nil
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

func findPhase(phases []scenarios.Phase, name string) (scenarios.Phase, bool) {
	for _, p := range phases {
		if p.Name == name {
			return p, true
		}
	}
	return scenarios.Phase{}, false
}

// CollectorOptionsFor returns the collector options for scenario s:
// phases with record: false are skipped, and every step-model phase that
// names a serverless target gets a concurrency scaling spec.
func CollectorOptionsFor(s *scenarios.Scenario) CollectorOptions {
	recorded := map[string]bool{}
	kinds := map[string]string{}
	for _, t := range s.Targets {
		kinds[t.Name] = t.Kind
	}
	var o CollectorOptions
	for _, p := range s.Phases {
		recorded[p.Name] = p.Recorded()
		for _, t := range p.Targets {
			switch kinds[t] {
			case scenarios.KindAWSLambda, scenarios.KindLocalLambda, scenarios.KindLambdaURL:
				if spec, ok := ScalingSpecFromPhase(t, p); ok && p.Recorded() {
					o.Scaling = append(o.Scaling, spec)
				}
			}
		}
	}
	o.Recorded = func(phase string) bool {
		r, ok := recorded[phase]
		return !ok || r
	}
	return o
}

// SummarizeServerlessExperiments reads every record from dec and fills
// sum.Experiments' memory_sweep (one row per swept target and memory size),
// cold_starts and concurrency_scaling sections for scenario s. Each swept
// target's flags use its own SLO, else the scenario's global SLO. Call it with a fresh Decoder over
// results.jsonl after Summarize; sections without records stay empty.
func SummarizeServerlessExperiments(dec results.Decoder, s *scenarios.Scenario, sum *results.Summary) error {
	c := NewExperimentCollector(CollectorOptionsFor(s))
	for {
		var r results.Record
		err := dec(&r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("serverless experiments: read records: %w", err)
		}
		c.Add(&r)
	}
	var global *scenarios.SLO
	if s.SLO != (scenarios.SLO{}) {
		g := s.SLO
		global = &g
	}
	own := map[string]*scenarios.SLO{}
	for _, t := range s.Targets {
		if t.SLO != nil {
			own[t.Name] = t.SLO
		}
	}
	c.ApplyBy(sum, func(target string) *scenarios.SLO {
		if slo, ok := own[target]; ok {
			return slo
		}
		return global
	})
	return nil
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
