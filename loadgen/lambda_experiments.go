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
		return nil, fmt.Errorf("target %s: kind %s has no Lambda control plane (want %s or %s)", t.Name(), t.Kind(), KindAWSLambda, KindLocalLambda)
	}
	return NewLambdaControl(ctx, lt.Options(), opts...)
}

// RunServerlessExperiments runs the scenario's memory_sweep (each size:
// the listed phases through env.RunPhase with labels) and cold_starts
// blocks, in that order; either may be absent. Each restores the function's
// configuration before returning. Summarise afterwards with
// SummarizeServerlessExperiments.
func RunServerlessExperiments(ctx context.Context, env ServerlessEnv) error {
	ex := env.Scenario.Experiments
	if ms := ex.MemorySweep; ms != nil {
		tgt, ok := env.Targets[ms.Target]
		if !ok {
			return fmt.Errorf("memory_sweep: unknown target %q", ms.Target)
		}
		ctl, err := NewControlForTarget(ctx, tgt, env.Control...)
		if err != nil {
			return fmt.Errorf("memory_sweep: %w", err)
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
		step := func(ctx context.Context, st ExperimentStep) error {
			if env.Log != nil {
				fmt.Fprintf(env.Log, "memory sweep: %s at %d MB\n", ms.Target, st.MemoryMB)
			}
			for _, p := range phases {
				out, err := env.RunPhase(ctx, PhaseRun{Phase: p, Targets: []Target{tgt}, Step: st.Step, Experiment: st.Experiment})
				if err != nil {
					return fmt.Errorf("phase %s: %w", p.Name, err)
				}
				if out.Interrupted {
					return fmt.Errorf("phase %s: interrupted: %w", p.Name, context.Cause(ctx))
				}
			}
			return nil
		}
		if err := RunMemorySweep(ctx, ctl, ms.MemorySizes, step); err != nil {
			return err
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
			case KindAWSLambda, KindLocalLambda, KindLambdaURL:
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
// sum.Experiments' memory_sweep, cold_starts and concurrency_scaling
// sections for scenario s. Memory sweep flags use the sweep target's SLO,
// else the scenario's global SLO. Call it with a fresh Decoder over
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
	var slo *scenarios.SLO
	if s.SLO != (scenarios.SLO{}) {
		g := s.SLO
		slo = &g
	}
	if ms := s.Experiments.MemorySweep; ms != nil {
		for _, t := range s.Targets {
			if t.Name == ms.Target && t.SLO != nil {
				slo = t.SLO
			}
		}
	}
	c.Apply(sum, slo)
	return nil
}

// DeferLambdaURLTargets wraps enc so that the records of every lambda-url
// target among targets are held back for their log join.
func DeferLambdaURLTargets(targets map[string]Target, enc results.Encoder) results.Encoder {
	for _, t := range targets {
		if u, ok := t.(*LambdaURLTarget); ok {
			enc = u.Defer(enc)
		}
	}
	return enc
}

// FlushLambdaURLTargets joins and writes the held-back records of every
// lambda-url target to next (the encoder under the Defer wrappers), and
// returns the summary notes of joins that fell short. Call it after each
// phase; after Ctrl-C, with a fresh bounded context.
func FlushLambdaURLTargets(ctx context.Context, targets map[string]Target, next results.Encoder) ([]string, error) {
	var notes []string
	for _, name := range slices.Sorted(maps.Keys(targets)) {
		u, ok := targets[name].(*LambdaURLTarget)
		if !ok {
			continue
		}
		st, err := u.Flush(ctx, next)
		if err != nil {
			return notes, err
		}
		if n := st.Note(); n != "" {
			notes = append(notes, n)
		}
	}
	return notes, nil
}
