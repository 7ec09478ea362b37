package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/benchctl/benchctl/confidence"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// Capacity search defaults, used when the scenario leaves a field at zero
// (the first three are the scenario package's, applied when a file loads).
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
	DefaultCapacityErrorRate = 0.01
	// DefaultCapacityMaxSteps bounds the number of candidate rates probed
	// (the scenario package's, which the pre-run spend guard also uses).
	DefaultCapacityMaxSteps = scenarios.DefaultCapacityMaxSteps
	// DefaultCapacityMaxExtensions bounds how often a step with too few
	// samples is extended.
	DefaultCapacityMaxExtensions = scenarios.DefaultCapacityMaxExtensions
	// DefaultCapacityCILevel is the confidence level of the p99 intervals.
	DefaultCapacityCILevel = 0.95
	// DefaultCapacityWarmup is the unrecorded probe at min_rps that runs
	// before the first step.
	DefaultCapacityWarmup = scenarios.DefaultCapacityWarmup
)

// Reasons a capacity search stopped at the edge of its range
// (CapacityResult.LimitedBy).
const (
	// CapacityLimitedByMaxRPS: every rate up to max_rps passed; the true
	// capacity may be higher.
	CapacityLimitedByMaxRPS = "max_rps"
	// CapacityLimitedByMinRPS: even min_rps failed; capacity is reported as 0.
	CapacityLimitedByMinRPS = "min_rps"
	// CapacityLimitedBySteps: the step budget ran out before the bracket
	// was narrower than the tolerance.
	CapacityLimitedBySteps = "max_steps"
)

// CapacityMethod describes how capacity steps are measured and scored;
// it is copied into every CapacityResult.
const CapacityMethod = "poisson arrivals; latency from intended send; p99 = nearest-rank order statistic; " +
	"p99 CI = distribution-free binomial order-statistic interval"

// ErrCapacitySpec is returned (wrapped) for an unusable capacity block.
var ErrCapacitySpec = errors.New("invalid capacity search")

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

// ProbeResult is what one probe at one rate measured.
type ProbeResult struct {
	// OfferedRPS is the scheduled rate; AchievedRPS the rate actually sent.
	OfferedRPS  float64
	AchievedRPS float64
	// Requests counts scheduled requests (sent or dropped by the generator).
	Requests int64
	// Errors counts failed requests of any class, generator drops included.
	Errors int64
	// Latencies holds the latency of every request that completed (errors
	// that have a latency, such as timeouts, included), measured from the
	// INTENDED send time, so queueing in the client is not hidden.
	Latencies []time.Duration
	// FellBehind is true when the generator could not keep its schedule;
	// the step's latencies then describe the client, not the target.
	FellBehind bool
	// DispatchLagP99 is the p99 of actual − intended send time (0 when
	// unknown). RunCapacity fails a step that fell behind by more than the
	// lag budget (see RunCapacity).
	DispatchLagP99 time.Duration
	// Duration is the wall time the probe covered.
	Duration time.Duration
}

// merge adds a continuation of the same step to p.
func (p ProbeResult) merge(q ProbeResult) ProbeResult {
	total := p.Duration + q.Duration
	out := ProbeResult{
		Requests:       p.Requests + q.Requests,
		Errors:         p.Errors + q.Errors,
		Latencies:      append(slices.Clip(p.Latencies), q.Latencies...),
		FellBehind:     p.FellBehind || q.FellBehind,
		DispatchLagP99: max(p.DispatchLagP99, q.DispatchLagP99),
		Duration:       total,
		OfferedRPS:     p.OfferedRPS,
	}
	if total > 0 {
		w1, w2 := p.Duration.Seconds()/total.Seconds(), q.Duration.Seconds()/total.Seconds()
		out.AchievedRPS = p.AchievedRPS*w1 + q.AchievedRPS*w2
		out.OfferedRPS = p.OfferedRPS*w1 + q.OfferedRPS*w2
	}
	return out
}

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

// capacityPlan is a validated scenarios.Capacity with defaults applied.
type capacityPlan struct {
	slo          scenarios.SLO
	minRPS       float64
	maxRPS       float64
	stepDuration time.Duration
	tolerance    float64
	minSamples   int
	warmup       time.Duration
}

func newCapacityPlan(spec scenarios.Capacity) (capacityPlan, error) {
	p := capacityPlan{
		slo:          spec.SLO,
		minRPS:       spec.MinRPS,
		maxRPS:       spec.MaxRPS,
		stepDuration: spec.StepDuration,
		tolerance:    spec.Tolerance,
		minSamples:   spec.MinSamples,
		warmup:       DefaultCapacityWarmup,
	}
	var errs []error
	if !(p.slo.P99Ms > 0 || p.slo.P95Ms > 0 || p.slo.P50Ms > 0) {
		errs = append(errs, errors.New("slo: needs a latency objective (p50_ms, p95_ms or p99_ms)"))
	}
	if p.slo.ErrorRate <= 0 {
		p.slo.ErrorRate = DefaultCapacityErrorRate
	}
	if !(p.minRPS > 0) {
		errs = append(errs, fmt.Errorf("min_rps: must be > 0 (got %v)", p.minRPS))
	}
	if !(p.maxRPS >= p.minRPS) || math.IsInf(p.maxRPS, 0) {
		errs = append(errs, fmt.Errorf("max_rps: must be finite and >= min_rps (got %v, min_rps %v)", p.maxRPS, p.minRPS))
	}
	if p.stepDuration == 0 {
		p.stepDuration = DefaultCapacityStepDuration
	}
	if p.stepDuration < 0 {
		errs = append(errs, fmt.Errorf("step_duration: must be > 0 (got %v)", p.stepDuration))
	}
	if p.tolerance == 0 {
		p.tolerance = DefaultCapacityTolerance
	}
	if !(p.tolerance > 0 && p.tolerance < 1) {
		errs = append(errs, fmt.Errorf("tolerance: must be a fraction in (0, 1) (got %v)", p.tolerance))
	}
	if p.minSamples == 0 {
		p.minSamples = DefaultCapacityMinSamples
	}
	if p.minSamples < 0 {
		errs = append(errs, fmt.Errorf("min_samples: must be >= 0 (got %d)", p.minSamples))
	}
	if len(errs) > 0 {
		return p, fmt.Errorf("%w: %w", ErrCapacitySpec, errors.Join(errs...))
	}
	return p, nil
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
	plan, err := newCapacityPlan(spec)
	if err != nil {
		return results.CapacityResult{}, fmt.Errorf("capacity search of %q: %w", set.target, err)
	}
	if prober == nil {
		return results.CapacityResult{}, fmt.Errorf("capacity search of %q: %w: nil prober", set.target, ErrCapacitySpec)
	}
	if set.warmup != nil {
		plan.warmup = *set.warmup
	}
	s := &capacitySearch{plan: plan, set: set, prober: prober}
	res := newCapacityResult(plan, set)
	err = s.search(ctx, &res)
	s.finish(&res)
	if err != nil {
		return res, fmt.Errorf("capacity search of %q: %w", set.target, err)
	}
	return res, nil
}

// newCapacityResult fills a result's settings from the plan.
func newCapacityResult(plan capacityPlan, set capacitySettings) results.CapacityResult {
	return results.CapacityResult{
		Target:        set.target,
		Config:        set.config,
		SLOP99Ms:      plan.slo.P99Ms,
		SLOErrorRate:  plan.slo.ErrorRate,
		MinRPS:        plan.minRPS,
		MaxRPS:        plan.maxRPS,
		StepDurationS: plan.stepDuration.Seconds(),
		Tolerance:     plan.tolerance,
		MinSamples:    plan.minSamples,
		CILevel:       set.ciLevel,
		WarmupS:       plan.warmup.Seconds(),
		Method:        CapacityMethod,
	}
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
	plan   capacityPlan
	set    capacitySettings
	prober RateProber
	steps  []results.CapacityStep
}

// search runs the bracketing search and fills res.CapacityRPS/LimitedBy.
func (s *capacitySearch) search(ctx context.Context, res *results.CapacityResult) error {
	p := s.plan
	if p.warmup > 0 {
		if w, ok := s.prober.(WarmupProber); ok {
			if err := w.Warmup(ctx, p.minRPS, p.warmup); err != nil {
				return fmt.Errorf("warm-up at %g rps: %w", p.minRPS, err)
			}
		} else if _, err := s.prober.Probe(ctx, p.minRPS, p.warmup); err != nil {
			return fmt.Errorf("warm-up at %g rps: %w", p.minRPS, err)
		}
	}
	pass, err := s.step(ctx, p.minRPS)
	if err != nil {
		return err
	}
	if !pass {
		res.CapacityRPS = 0
		res.LimitedBy = CapacityLimitedByMinRPS
		return nil
	}
	lo, hi := p.minRPS, 0.0
	// Exponential phase: double until a failure or max_rps passes.
	for hi == 0 {
		if lo >= p.maxRPS {
			res.CapacityRPS = lo
			res.LimitedBy = CapacityLimitedByMaxRPS
			return nil
		}
		if len(s.steps) >= s.set.maxSteps {
			res.CapacityRPS = lo
			res.LimitedBy = CapacityLimitedBySteps
			return nil
		}
		next := math.Min(roundRate(lo*2), p.maxRPS)
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
	for hi-lo > p.tolerance*lo {
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
	pr, err := s.prober.Probe(ctx, rps, p.stepDuration)
	if err != nil {
		return false, fmt.Errorf("probe at %g rps: %w", rps, err)
	}
	st := s.evaluate(pr)
	for ext := 0; ext < s.set.maxExtensions && len(pr.Latencies) < p.minSamples && !failedBeyondDoubt(st, p.slo); ext++ {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		missing := float64(p.minSamples - len(pr.Latencies))
		d := time.Duration(math.Ceil(missing*1.1/rps*10)) * 100 * time.Millisecond
		d = min(max(d, time.Second), scenarios.CapacityExtensionSteps*p.stepDuration)
		more, err := s.prober.Probe(ctx, rps, d)
		if err != nil {
			return false, fmt.Errorf("probe extension at %g rps: %w", rps, err)
		}
		pr = pr.merge(more)
		st = s.evaluate(pr)
		st.Extensions = ext + 1
	}
	st.OfferedRPS = rps
	s.steps = append(s.steps, st)
	if s.set.progress != nil {
		s.set.progress(st)
	}
	return st.Passed, nil
}

// evaluate turns a probe into a scored step.
func (s *capacitySearch) evaluate(pr ProbeResult) results.CapacityStep {
	slo := s.plan.slo
	st := results.CapacityStep{
		OfferedRPS:  pr.OfferedRPS,
		AchievedRPS: pr.AchievedRPS,
		Requests:    pr.Requests,
		Samples:     int64(len(pr.Latencies)),
		Errors:      pr.Errors,
		DurationS:   pr.Duration.Seconds(),
		// Unknown lag counts as beyond any budget.
		DispatchLagP99Ms: float64(pr.DispatchLagP99) / float64(time.Millisecond),
	}
	st.FellBehind = pr.FellBehind && (pr.DispatchLagP99 <= 0 || st.DispatchLagP99Ms > s.lagBudgetMs())
	if pr.Requests > 0 {
		st.ErrorRate = float64(pr.Errors) / float64(pr.Requests)
	}
	ms := make([]float64, len(pr.Latencies))
	for i, l := range pr.Latencies {
		ms[i] = float64(l) / float64(time.Millisecond)
	}
	slices.Sort(ms)
	var p95 float64
	if len(ms) > 0 {
		st.P50Ms = QuantileNearestRank(ms, 0.50)
		p95 = QuantileNearestRank(ms, 0.95)
		st.P99Ms = QuantileNearestRank(ms, 0.99)
		st.P99LowMs, st.P99HighMs, st.P99CILevel = QuantileCI(ms, 0.99, s.set.ciLevel)
	}
	var why []string
	switch {
	case pr.Requests == 0 || len(ms) == 0:
		why = append(why, "no completed requests")
	default:
		if slo.P99Ms > 0 && st.P99Ms > slo.P99Ms {
			why = append(why, fmt.Sprintf("p99 %.1f ms > %.1f ms", st.P99Ms, slo.P99Ms))
		}
		if slo.P95Ms > 0 && p95 > slo.P95Ms {
			why = append(why, fmt.Sprintf("p95 %.1f ms > %.1f ms", p95, slo.P95Ms))
		}
		if slo.P50Ms > 0 && st.P50Ms > slo.P50Ms {
			why = append(why, fmt.Sprintf("p50 %.1f ms > %.1f ms", st.P50Ms, slo.P50Ms))
		}
	}
	if st.ErrorRate > slo.ErrorRate {
		why = append(why, fmt.Sprintf("error rate %.4f > %.4f", st.ErrorRate, slo.ErrorRate))
	}
	if st.FellBehind {
		why = append(why, fmt.Sprintf("generator fell behind (dispatch lag p99 %.1f ms > budget %.1f ms)", st.DispatchLagP99Ms, s.lagBudgetMs()))
	}
	st.Passed = len(why) == 0
	st.FailReasons = why
	return st
}

// lagBudgetMs is the dispatch lag a step may show: max(5 ms, 20 % of the
// tightest latency objective).
func (s *capacitySearch) lagBudgetMs() float64 {
	tight := math.Inf(1)
	for _, v := range []float64{s.plan.slo.P50Ms, s.plan.slo.P95Ms, s.plan.slo.P99Ms} {
		if v > 0 {
			tight = math.Min(tight, v)
		}
	}
	return math.Max(5, 0.2*tight)
}

// failedBeyondDoubt is true when more samples cannot turn a failed step
// into a pass: the error rate or the generator failed it, or the whole p99
// interval lies above the SLO.
func failedBeyondDoubt(st results.CapacityStep, slo scenarios.SLO) bool {
	if st.Passed {
		return false
	}
	return st.ErrorRate > slo.ErrorRate || st.FellBehind || (slo.P99Ms > 0 && st.Samples > 0 && st.P99LowMs > slo.P99Ms)
}

// finish sorts the steps and derives the capacity interval.
func (s *capacitySearch) finish(res *results.CapacityResult) {
	slo := s.plan.slo
	res.Steps = slices.Clone(s.steps)
	slices.SortStableFunc(res.Steps, func(a, b results.CapacityStep) int {
		switch {
		case a.OfferedRPS < b.OfferedRPS:
			return -1
		case a.OfferedRPS > b.OfferedRPS:
			return 1
		}
		return 0
	})
	res.CapacityRPSLow = 0
	res.CapacityRPSHi = s.plan.maxRPS
	for _, st := range res.Steps {
		confident := slo.P99Ms == 0 || st.P99HighMs <= slo.P99Ms
		if st.Passed && confident && st.OfferedRPS <= res.CapacityRPS && st.OfferedRPS > res.CapacityRPSLow {
			res.CapacityRPSLow = st.OfferedRPS
		}
		if st.OfferedRPS > res.CapacityRPS && failedBeyondDoubt(st, slo) && st.OfferedRPS < res.CapacityRPSHi {
			res.CapacityRPSHi = st.OfferedRPS
		}
	}
	if res.CapacityRPS == 0 {
		res.CapacityRPSHi = s.plan.minRPS
	}
	res.CapacityRPSHi = max(res.CapacityRPSHi, res.CapacityRPS)
}

// QuantileNearestRank returns the nearest-rank q-quantile x(⌈q·n⌉) of an
// ascending sample (q in (0, 1]); NaN for an empty sample.
func QuantileNearestRank(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	k := int(math.Ceil(q*float64(n))) - 1
	return sorted[min(max(k, 0), n-1)]
}

// QuantileCI returns a distribution-free confidence interval [x(l), x(u)]
// for the q-quantile of an ascending sample x(1) ≤ … ≤ x(n), and the
// coverage it attains: the ranks of confidence.QuantileRanks (the number
// of samples below the true quantile is Binomial(n, q)). When n is too
// small for an upper rank (for q = 0.99 and level 0.95, n < 368) the upper
// bound is the sample maximum and attained reports the lower coverage
// actually achieved. NaNs are returned for an empty sample.
func QuantileCI(sorted []float64, q, level float64) (lo, hi, attained float64) {
	n := len(sorted)
	if n == 0 {
		return math.NaN(), math.NaN(), 0
	}
	l, u, attained, _ := confidence.QuantileRanks(n, q, level)
	return sorted[l-1], sorted[u-1], attained
}

// quantileCIRanks returns the 1-based ranks (l, u) of QuantileCI.
func quantileCIRanks(n int, q, level float64) (l, u int) {
	l, u, _, _ = confidence.QuantileRanks(n, q, level)
	return l, u
}
