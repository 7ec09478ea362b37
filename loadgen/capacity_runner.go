package loadgen

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/benchctl/benchctl/capacity"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// ExperimentCapacity is the experiment name stamped on capacity-search records.
const ExperimentCapacity = results.ExperimentCapacity

// CapacityWarmupStep labels the capacity search's warm-up probe.
const CapacityWarmupStep = capacity.WarmupStep

// CapacityStepLabel is the label of one capacity step: "capacity_rps=<rps>"
// (results.CapacityStepLabel: the label is part of the record contract).
func CapacityStepLabel(rps float64) string { return results.CapacityStepLabel(rps) }

// ParseCapacityStep returns the rate of a "capacity_rps=<rps>" label.
func ParseCapacityStep(step string) (float64, bool) { return results.ParseCapacityStepLabel(step) }

// CapacityConfigLabel describes a reference-server configuration for
// CapacityResult.Config (capacity.ConfigLabel).
func CapacityConfigLabel(s scenarios.Server) string { return capacity.ConfigLabel(s) }

// RunnerProber implements RateProber with Runner.RunPhase: each probe is a
// phase of Poisson arrivals at the candidate rate against Target, recorded
// (when Record is set) with Experiment "capacity" and Step
// "capacity_rps=<rate>", so the run's results.jsonl keeps every request of
// the search.
type RunnerProber struct {
	// Runner runs the probes; its Encoder (if any) receives the records.
	Runner *Runner
	// Target is the searched target.
	Target Target
	// Phase names the probe phase in records ("capacity" when empty).
	Phase string
	// MaxInFlight bounds in-flight requests (DefaultMaxInFlight when 0);
	// requests beyond it are generator drops, counted as errors.
	MaxInFlight int
	// Record writes the probes' records to the Runner's Encoder.
	Record bool
	// Observe, when set, receives every probe's outcome (warm-up
	// included), e.g. to list the probes in run.json.
	Observe func(PhaseOutcome)
	// Until, when set, stops each recorded probe once its metric is known
	// to the asked width (the probe duration is then its limit).
	Until *scenarios.Until
	// Trial labels the probes' records in a run with trials: N > 1 (set
	// before each search; 0 otherwise).
	Trial int

	mu     sync.Mutex
	probes int
}

var (
	_ RateProber   = (*RunnerProber)(nil)
	_ WarmupProber = (*RunnerProber)(nil)
)

// Warmup runs an unrecorded probe (step label "capacity_warmup") whose
// results are discarded.
func (p *RunnerProber) Warmup(ctx context.Context, rps float64, d time.Duration) error {
	_, err := p.probe(ctx, rps, d, false, CapacityWarmupStep)
	return err
}

// Probe runs one phase at rps for d. Every probe gets its own seeded
// Poisson schedule (seeded by the Runner's seed, the rate and the probe
// number), so an extension of a step does not replay the same arrivals.
// Latencies are the records' corrected latencies (from the intended send
// time); generator drops count as errors and have no latency.
func (p *RunnerProber) Probe(ctx context.Context, rps float64, d time.Duration) (ProbeResult, error) {
	return p.probe(ctx, rps, d, p.Record, CapacityStepLabel(rps))
}

func (p *RunnerProber) probe(ctx context.Context, rps float64, d time.Duration, keep bool, step string) (ProbeResult, error) {
	if p.Runner == nil || p.Target == nil {
		return ProbeResult{}, fmt.Errorf("capacity probe: runner and target are required")
	}
	p.mu.Lock()
	p.probes++
	n, trial := p.probes, p.Trial
	p.mu.Unlock()

	name := p.Phase
	if name == "" {
		name = ExperimentCapacity
	}
	traffic := scenarios.Traffic{Model: ModelPoisson, Rate: rps}
	sched, err := NewSchedule(traffic, d, ScheduleOptions{
		Seed: PhaseSeed(p.Runner.Seed, TrialSeedName(fmt.Sprintf("%s/%s/%d", name, step, n), trial)),
	})
	if err != nil {
		return ProbeResult{}, fmt.Errorf("capacity probe at %g rps: %w", rps, err)
	}

	var (
		mu  sync.Mutex
		lat = make([]time.Duration, 0, sched.Len())
	)
	next := p.Runner.Encoder
	// The Runner's own hook is called below, once Info.Recorded is right.
	onDone := p.Runner.OnPhaseDone
	collect := func(rec *results.Record) error {
		if rec.ErrorClass != results.ErrorClassDropped {
			mu.Lock()
			lat = append(lat, rec.CorrectedLatency)
			mu.Unlock()
		}
		if keep && next != nil {
			return next(rec)
		}
		return nil
	}
	record := true // always route records through the collector
	var until *scenarios.Until
	if keep {
		until = p.Until // the warm-up runs its full length
	}
	out, err := p.Runner.RunPhase(ctx, PhaseRun{
		Phase: scenarios.Phase{Name: name, Targets: []string{p.Target.Name()}, Duration: d, Traffic: traffic,
			MaxInFlight: p.MaxInFlight, Until: until},
		Traffic:    &traffic,
		Targets:    []Target{p.Target},
		Step:       step,
		Experiment: ExperimentCapacity,
		Record:     &record,
		Schedule:   sched,
		Trial:      trial,
		// Every record goes through the collector, which writes on the
		// kept ones.
		Encoder:     collect,
		NoPhaseDone: true,
	})
	// Every record went through the collector; only kept ones were written.
	out.Info.Recorded = keep && next != nil
	if onDone != nil && out.Info.Name != "" {
		onDone(out)
	}
	if p.Observe != nil && out.Info.Name != "" {
		p.Observe(out)
	}
	if err != nil {
		return ProbeResult{}, fmt.Errorf("capacity probe at %g rps: %w", rps, err)
	}
	if out.Interrupted {
		if err := ctx.Err(); err != nil {
			return ProbeResult{}, err
		}
		return ProbeResult{}, fmt.Errorf("capacity probe at %g rps: interrupted", rps)
	}
	to, ok := out.Target(p.Target.Name())
	if !ok {
		return ProbeResult{}, fmt.Errorf("capacity probe at %g rps: no outcome for target %s", rps, p.Target.Name())
	}
	s := to.Summary
	var errs int64
	for _, c := range s.Errors {
		errs += c
	}
	mu.Lock()
	defer mu.Unlock()
	return ProbeResult{
		OfferedRPS:  s.OfferedRPS,
		AchievedRPS: s.AchievedRPS,
		Requests:    s.Requests,
		Errors:      errs,
		Latencies:   lat,
		FellBehind:  s.GeneratorFellBehind,
		// LagSummary is in ms; keep sub-ms precision.
		DispatchLagP99: time.Duration(s.DispatchLagMs.P99 * float64(time.Millisecond)),
		Duration:       time.Duration(out.Info.DurationS * float64(time.Second)),
	}, nil
}

// CapacityConfigs builds the configurations a scenario's capacity block
// searches, in order: spec.Target, then spec.Targets. Each gets a
// RunnerProber over runner (recorded, so results.jsonl keeps the search's
// requests) and, for a target backed by a scenario server, a Config label
// from that server's settings (CapacityConfigLabel). targets maps scenario
// target names to built targets; observe (may be nil) becomes each
// prober's Observe hook.
func CapacityConfigs(s *scenarios.Scenario, targets map[string]Target, runner *Runner, observe func(PhaseOutcome)) ([]CapacityConfig, error) {
	c := s.Experiments.Capacity
	if c == nil {
		return nil, nil
	}
	servers := map[string]scenarios.Server{}
	for _, sv := range s.Servers {
		servers[sv.Name] = sv
	}
	specs := map[string]scenarios.Target{}
	for _, t := range s.Targets {
		specs[t.Name] = t
	}
	names := append([]string{c.Target}, c.Targets...)
	out := make([]CapacityConfig, 0, len(names))
	seen := map[string]bool{}
	for i, name := range names {
		if seen[name] {
			return nil, fmt.Errorf("experiments.capacity.targets[%d]: target %q listed twice", i-1, name)
		}
		seen[name] = true
		t, ok := targets[name]
		if !ok {
			return nil, fmt.Errorf("experiments.capacity: no target named %q", name)
		}
		cfg := CapacityConfig{Target: name, Prober: &RunnerProber{Runner: runner, Target: t, Record: true, Observe: observe, Until: c.Until}}
		if sv, ok := servers[specs[name].Server]; ok && specs[name].Server != "" {
			cfg.Config = CapacityConfigLabel(sv)
		}
		out = append(out, cfg)
	}
	return out, nil
}
