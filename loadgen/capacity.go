package loadgen

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/benchctl/benchctl/capacity"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// Capacity search defaults, used when the scenario leaves a field at zero
// (the first three are the scenario package's, applied when a file loads);
// the rule itself is package capacity's.
const (
	// DefaultCapacityStepDuration is how long each candidate rate is offered.
	DefaultCapacityStepDuration = scenarios.DefaultCapacityStepDuration
	// DefaultCapacityTolerance is the relative width at which the bisection
	// stops: (fail − pass) ≤ tolerance × pass.
	DefaultCapacityTolerance = scenarios.DefaultCapacityTolerance
	// DefaultCapacityMinSamples is the sample count below which a step is
	// extended. 300 is about the smallest n for which the sample maximum is
	// a 95 % one-sided upper confidence bound of the p99 (0.99^299 < 0.05).
	DefaultCapacityMinSamples = scenarios.DefaultCapacityMinSamples
	// DefaultCapacityErrorRate is the error-rate limit used when the SLO
	// gives none.
	DefaultCapacityErrorRate = capacity.DefaultErrorRate
	// DefaultCapacityMaxSteps bounds the number of candidate rates probed.
	DefaultCapacityMaxSteps = capacity.DefaultMaxSteps
	// DefaultCapacityMaxExtensions bounds how often a step with too few
	// samples is extended.
	DefaultCapacityMaxExtensions = capacity.DefaultMaxExtensions
	// DefaultCapacityCILevel is the confidence level of the p99 intervals.
	DefaultCapacityCILevel = capacity.DefaultCILevel
	// DefaultCapacityWarmup is the unrecorded probe at min_rps that runs
	// before the first step.
	DefaultCapacityWarmup = capacity.DefaultWarmup
)

// Reasons a capacity search stopped at the edge of its range
// (CapacityResult.LimitedBy).
const (
	CapacityLimitedByMaxRPS = capacity.LimitedByMaxRPS
	CapacityLimitedByMinRPS = capacity.LimitedByMinRPS
	CapacityLimitedBySteps  = capacity.LimitedBySteps
)

// CapacityMethod describes how capacity steps are measured and scored;
// it is copied into every CapacityResult.
const CapacityMethod = capacity.Method

// ErrCapacitySpec is returned (wrapped) for an unusable capacity block.
var ErrCapacitySpec = capacity.ErrSpec

// RateProber offers open-loop Poisson traffic at rps for d to one target
// configuration and reports what happened. It is what a capacity search
// needs from the load generator; RunnerProber implements it over Runner.
type RateProber interface {
	Probe(ctx context.Context, rps float64, d time.Duration) (ProbeResult, error)
}

// WarmupProber is implemented by probers that can run a warm-up probe
// whose records are not kept (RunnerProber); other probers are warmed up
// with Probe and the result is discarded.
type WarmupProber interface {
	Warmup(ctx context.Context, rps float64, d time.Duration) error
}

// RateProberFunc adapts a function to RateProber.
type RateProberFunc func(ctx context.Context, rps float64, d time.Duration) (ProbeResult, error)

// Probe calls f.
func (f RateProberFunc) Probe(ctx context.Context, rps float64, d time.Duration) (ProbeResult, error) {
	return f(ctx, rps, d)
}

var _ RateProber = RateProberFunc(nil)

// ProbeResult is what one probe at one rate measured (capacity.Probe).
type ProbeResult = capacity.Probe

// CapacityConfig is one configuration to search (e.g. the reference
// server at workers=1), named for the summary.
type CapacityConfig struct {
	// Target is the scenario target name.
	Target string
	// Config labels the configuration ("workers=2"); may be empty.
	Config string
	// Prober drives that configuration.
	Prober RateProber
}

// CapacityOption configures a capacity search.
type CapacityOption func(*capacitySettings) error

type capacitySettings struct {
	warmup        *time.Duration
	target        string
	config        string
	maxSteps      int
	maxExtensions int
	ciLevel       float64
	progress      func(results.CapacityStep)
}

// WithCapacityTarget names the target in the result.
func WithCapacityTarget(name string) CapacityOption {
	return func(s *capacitySettings) error { s.target = name; return nil }
}

// WithCapacityConfig labels the searched configuration ("workers=2").
func WithCapacityConfig(label string) CapacityOption {
	return func(s *capacitySettings) error { s.config = label; return nil }
}

// WithCapacityMaxSteps bounds the number of probed rates (default
// DefaultCapacityMaxSteps).
func WithCapacityMaxSteps(n int) CapacityOption {
	return func(s *capacitySettings) error {
		if n < 1 {
			return fmt.Errorf("capacity max steps: must be >= 1 (got %d)", n)
		}
		s.maxSteps = n
		return nil
	}
}

// WithCapacityMaxExtensions bounds how often one step is extended for
// lack of samples (default DefaultCapacityMaxExtensions; 0 disables).
func WithCapacityMaxExtensions(n int) CapacityOption {
	return func(s *capacitySettings) error {
		if n < 0 {
			return fmt.Errorf("capacity max extensions: must be >= 0 (got %d)", n)
		}
		s.maxExtensions = n
		return nil
	}
}

// WithCapacityCILevel sets the confidence level of the p99 intervals
// (default DefaultCapacityCILevel).
func WithCapacityCILevel(level float64) CapacityOption {
	return func(s *capacitySettings) error {
		if !(level > 0 && level < 1) {
			return fmt.Errorf("capacity ci level: must be in (0, 1) (got %v)", level)
		}
		s.ciLevel = level
		return nil
	}
}

// WithCapacityWarmup overrides the warm-up probe's duration (0 disables
// it; DefaultCapacityWarmup otherwise).
func WithCapacityWarmup(d time.Duration) CapacityOption {
	return func(s *capacitySettings) error {
		if d < 0 {
			return fmt.Errorf("capacity warmup: must be >= 0 (got %v)", d)
		}
		s.warmup = &d
		return nil
	}
}

// WithCapacityProgress calls f after every finished step (for the
// terminal progress display).
func WithCapacityProgress(f func(results.CapacityStep)) CapacityOption {
	return func(s *capacitySettings) error { s.progress = f; return nil }
}

// RunCapacity searches the highest Poisson rate the prober's target serves
// within the SLO, MLPerf LoadGen "Server" style.
//
// A step offers rate r for step_duration and passes when
//
//	p99(latency from intended send) ≤ slo.p99_ms  (and p50/p95; each when set),
//	errors/requests ≤ slo.error_rate (DefaultCapacityErrorRate when 0),
//	and the generator did not fall behind by more than the lag budget.
//
// The lag budget is max(5 ms, 20 % of the tightest latency objective).
// Latency is measured from the intended send time, so a small dispatch lag
// can only overstate it and never makes a step pass wrongly; a generator
// that fell behind (ProbeResult.FellBehind) with a dispatch-lag p99 beyond
// the budget (or unknown) fails the step, because then the target did not
// receive the offered load and the numbers describe the client.
//
// An unrecorded warm-up probe at min_rps (DefaultCapacityWarmup, or
// WithCapacityWarmup) runs first, so connection set-up and the target's
// first-request costs do not land in the first step. A step with fewer
// than min_samples latencies is extended (up to
// WithCapacityMaxExtensions times, each at most 2 × step_duration) unless
// it has already failed beyond doubt. The search probes min_rps, doubles
// the rate until a step fails or max_rps passes, then bisects the bracket
// [pass, fail] until fail − pass ≤ tolerance × pass. CapacityRPS is the
// highest passing rate (0 when min_rps fails; LimitedBy says why a search
// hit an edge).
//
// The interval [CapacityRPSLow, CapacityRPSHi] combines the search's
// resolution with each step's p99 confidence interval: Low is the highest
// rate ≤ capacity whose whole p99 interval lies within the SLO (0 when
// none), High is the lowest rate above capacity that failed beyond doubt
// (p99 interval above the SLO, too many errors, or the generator fell
// behind), or max_rps when none did.
//
// Each step's p99 is the nearest-rank order statistic x(⌈0.99·n⌉) and its
// distribution-free interval [x(l), x(u)] comes from the binomial law of
// the number of samples below the true p99 (see QuantileCI); with too few
// samples for the requested level the interval widens to the sample
// extremes and P99CILevel reports the level actually attained. The
// interval assumes independent latencies; queueing makes neighbouring
// latencies correlated, most of all near capacity, so read it as a lower
// bound on the uncertainty, not a guarantee.
//
// Steps are returned sorted by offered rate. On cancellation RunCapacity
// returns what it measured so far together with the context's error.
func RunCapacity(ctx context.Context, prober RateProber, spec scenarios.Capacity, opts ...CapacityOption) (results.CapacityResult, error) {
	set := capacitySettings{
		target:        spec.Target,
		maxSteps:      DefaultCapacityMaxSteps,
		maxExtensions: DefaultCapacityMaxExtensions,
		ciLevel:       DefaultCapacityCILevel,
	}
	for _, o := range opts {
		if err := o(&set); err != nil {
			return results.CapacityResult{}, fmt.Errorf("%w: %w", ErrCapacitySpec, err)
		}
	}
	plan, err := set.plan(spec)
	if err != nil {
		return results.CapacityResult{}, fmt.Errorf("capacity search of %q: %w", set.target, err)
	}
	if prober == nil {
		return results.CapacityResult{}, fmt.Errorf("capacity search of %q: %w: nil prober", set.target, ErrCapacitySpec)
	}
	s := &capacitySearch{plan: plan, set: set, prober: prober}
	res := plan.Result(set.target, set.config)
	err = s.search(ctx, &res)
	plan.Finish(&res, s.steps)
	if err != nil {
		return res, fmt.Errorf("capacity search of %q: %w", set.target, err)
	}
	return res, nil
}

// plan is spec's capacity.Plan with the settings' CI level and warm-up.
func (set capacitySettings) plan(spec scenarios.Capacity) (capacity.Plan, error) {
	p, err := capacity.NewPlan(spec)
	if err != nil {
		return p, err
	}
	p.CILevel = set.ciLevel
	if set.warmup != nil {
		p.Warmup = *set.warmup
	}
	return p, nil
}

// SearchCapacities runs RunCapacity for each configuration in turn (one
// run can compare, say, the reference server at 1 and 2 workers). It stops
// at the first error and returns the results finished so far.
func SearchCapacities(ctx context.Context, configs []CapacityConfig, spec scenarios.Capacity, opts ...CapacityOption) ([]results.CapacityResult, error) {
	out := make([]results.CapacityResult, 0, len(configs))
	for _, c := range configs {
		o := append(slices.Clip(opts), WithCapacityTarget(c.Target), WithCapacityConfig(c.Config))
		r, err := RunCapacity(ctx, c.Prober, spec, o...)
		if err != nil {
			if len(r.Steps) > 0 {
				out = append(out, r)
			}
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

type capacitySearch struct {
	plan   capacity.Plan
	set    capacitySettings
	prober RateProber
	steps  []results.CapacityStep
}

// search runs the bracketing search and fills res.CapacityRPS/LimitedBy.
func (s *capacitySearch) search(ctx context.Context, res *results.CapacityResult) error {
	p := s.plan
	if p.Warmup > 0 {
		if w, ok := s.prober.(WarmupProber); ok {
			if err := w.Warmup(ctx, p.MinRPS, p.Warmup); err != nil {
				return fmt.Errorf("warm-up at %g rps: %w", p.MinRPS, err)
			}
		} else if _, err := s.prober.Probe(ctx, p.MinRPS, p.Warmup); err != nil {
			return fmt.Errorf("warm-up at %g rps: %w", p.MinRPS, err)
		}
	}
	pass, err := s.step(ctx, p.MinRPS)
	if err != nil {
		return err
	}
	if !pass {
		res.CapacityRPS = 0
		res.LimitedBy = CapacityLimitedByMinRPS
		return nil
	}
	lo, hi := p.MinRPS, 0.0
	// Exponential phase: double until a failure or max_rps passes.
	for hi == 0 {
		if lo >= p.MaxRPS {
			res.CapacityRPS = lo
			res.LimitedBy = CapacityLimitedByMaxRPS
			return nil
		}
		if len(s.steps) >= s.set.maxSteps {
			res.CapacityRPS = lo
			res.LimitedBy = CapacityLimitedBySteps
			return nil
		}
		next := math.Min(roundRate(lo*2), p.MaxRPS)
		ok, err := s.step(ctx, next)
		if err != nil {
			res.CapacityRPS = lo
			return err
		}
		if ok {
			lo = next
		} else {
			hi = next
		}
	}
	// Bisection of [lo (pass), hi (fail)].
	for hi-lo > p.Tolerance*lo {
		if len(s.steps) >= s.set.maxSteps {
			res.CapacityRPS = lo
			res.LimitedBy = CapacityLimitedBySteps
			return nil
		}
		mid := roundRate((lo + hi) / 2)
		if mid <= lo || mid >= hi {
			break
		}
		ok, err := s.step(ctx, mid)
		if err != nil {
			res.CapacityRPS = lo
			return err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	res.CapacityRPS = lo
	return nil
}

// roundRate keeps candidate rates readable: 3 significant digits.
func roundRate(r float64) float64 {
	if r <= 0 {
		return r
	}
	v, err := strconv.ParseFloat(strconv.FormatFloat(r, 'g', 3, 64), 64)
	if err != nil {
		return r
	}
	return v
}

// step probes one rate (extending it while samples are too few) and
// records the outcome.
func (s *capacitySearch) step(ctx context.Context, rps float64) (bool, error) {
	p := s.plan
	pr, err := s.prober.Probe(ctx, rps, p.StepDuration)
	if err != nil {
		return false, fmt.Errorf("probe at %g rps: %w", rps, err)
	}
	st := p.Score(pr)
	for ext := 0; ext < s.set.maxExtensions && len(pr.Latencies) < p.MinSamples && !p.FailedBeyondDoubt(st); ext++ {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		missing := float64(p.MinSamples - len(pr.Latencies))
		d := time.Duration(math.Ceil(missing*1.1/rps*10)) * 100 * time.Millisecond
		d = min(max(d, time.Second), scenarios.CapacityExtensionSteps*p.StepDuration)
		more, err := s.prober.Probe(ctx, rps, d)
		if err != nil {
			return false, fmt.Errorf("probe extension at %g rps: %w", rps, err)
		}
		pr = pr.Merge(more)
		st = p.Score(pr)
		st.Extensions = ext + 1
	}
	st.OfferedRPS = rps
	s.steps = append(s.steps, st)
	if s.set.progress != nil {
		s.set.progress(st)
	}
	return st.Passed, nil
}

// QuantileNearestRank returns the nearest-rank q-quantile x(⌈q·n⌉) of an
// ascending sample (capacity.QuantileNearestRank).
func QuantileNearestRank(sorted []float64, q float64) float64 {
	return capacity.QuantileNearestRank(sorted, q)
}

// QuantileCI is capacity.QuantileCI: a distribution-free confidence
// interval for the q-quantile of an ascending sample and its coverage.
func QuantileCI(sorted []float64, q, level float64) (lo, hi, attained float64) {
	return capacity.QuantileCI(sorted, q, level)
}
