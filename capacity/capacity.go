// Package capacity is the rule of a capacity search (MLPerf LoadGen
// "Server" style): how one step at one offered rate is scored against the
// SLO, the distribution-free interval of its p99, and how a search's
// capacity and capacity interval follow from its steps. The live search
// (loadgen.RunCapacity) and the summary pipeline, which rebuilds a search
// from its records, both apply it, so a search read back from
// results.jsonl is scored exactly as it was run.
package capacity

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// Defaults, used when the scenario leaves a field at zero (step duration,
// tolerance and min_samples are the scenario package's, applied when a
// file loads).
const (
	// DefaultErrorRate is the error-rate limit used when the SLO gives none.
	DefaultErrorRate = 0.01
	// DefaultMaxSteps bounds the number of candidate rates probed (the
	// scenario package's, which the pre-run spend guard also uses).
	DefaultMaxSteps = scenarios.DefaultCapacityMaxSteps
	// DefaultMaxExtensions bounds how often a step with too few samples
	// is extended.
	DefaultMaxExtensions = scenarios.DefaultCapacityMaxExtensions
	// DefaultCILevel is the confidence level of the p99 intervals.
	DefaultCILevel = 0.95
	// DefaultWarmup is the unrecorded probe at min_rps that runs before
	// the first step.
	DefaultWarmup = scenarios.DefaultCapacityWarmup
)

// Reasons a search stopped at the edge of its range
// (results.CapacityResult.LimitedBy).
const (
	// LimitedByMaxRPS: every rate up to max_rps passed; the true capacity
	// may be higher.
	LimitedByMaxRPS = "max_rps"
	// LimitedByMinRPS: even min_rps failed; capacity is reported as 0.
	LimitedByMinRPS = "min_rps"
	// LimitedBySteps: the step budget ran out before the bracket was
	// narrower than the tolerance.
	LimitedBySteps = "max_steps"
)

// Method describes how steps are measured and scored; it is copied into
// every results.CapacityResult.
const Method = "poisson arrivals; latency from intended send; p99 = nearest-rank order statistic; " +
	"p99 CI = distribution-free binomial order-statistic interval"

// ErrSpec is returned (wrapped) for an unusable capacity block.
var ErrSpec = errors.New("invalid capacity search")

// WarmupStep labels the search's warm-up probe (results.Record.Step),
// which is not scored.
const WarmupStep = "capacity_warmup"

// StepLabel is the label of one step: "capacity_rps=<rps>"
// (results.CapacityStepLabel: the label is part of the record contract).
func StepLabel(rps float64) string { return results.CapacityStepLabel(rps) }

// ParseStep returns the rate of a "capacity_rps=<rps>" label.
func ParseStep(step string) (float64, bool) { return results.ParseCapacityStepLabel(step) }

// ConfigLabel describes a reference-server configuration for
// results.CapacityResult.Config: "workers=2", "workers=2 max_batch=8
// max_wait=5ms".
func ConfigLabel(s scenarios.Server) string {
	var parts []string
	if s.Workers > 0 {
		parts = append(parts, "workers="+strconv.Itoa(s.Workers))
	}
	if s.MaxBatch > 0 {
		parts = append(parts, "max_batch="+strconv.Itoa(s.MaxBatch))
	}
	if s.MaxWait > 0 {
		parts = append(parts, "max_wait="+s.MaxWait.String())
	}
	return strings.Join(parts, " ")
}

// Probe is what one probe (or one step, its extensions merged) at one rate
// measured.
type Probe struct {
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
	// unknown). A step that fell behind by more than the lag budget fails
	// (see Plan.Score).
	DispatchLagP99 time.Duration
	// Duration is the wall time the probe covered.
	Duration time.Duration
}

// Merge adds a continuation of the same step to p (rates weighted by
// duration).
func (p Probe) Merge(q Probe) Probe {
	total := p.Duration + q.Duration
	out := Probe{
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

// Plan is a validated scenarios.Capacity with defaults applied.
type Plan struct {
	// SLO is the step objective (ErrorRate DefaultErrorRate when 0).
	SLO          scenarios.SLO
	MinRPS       float64
	MaxRPS       float64
	StepDuration time.Duration
	Tolerance    float64
	MinSamples   int
	// Warmup is the warm-up probe's duration (DefaultWarmup).
	Warmup time.Duration
	// CILevel is the confidence level of the p99 intervals (DefaultCILevel).
	CILevel float64
}

// NewPlan checks spec and fills its defaults.
func NewPlan(spec scenarios.Capacity) (Plan, error) {
	p := Plan{
		SLO:          spec.SLO,
		MinRPS:       spec.MinRPS,
		MaxRPS:       spec.MaxRPS,
		StepDuration: spec.StepDuration,
		Tolerance:    spec.Tolerance,
		MinSamples:   spec.MinSamples,
		Warmup:       DefaultWarmup,
		CILevel:      DefaultCILevel,
	}
	var errs []error
	if !(p.SLO.P99Ms > 0 || p.SLO.P95Ms > 0 || p.SLO.P50Ms > 0) {
		errs = append(errs, errors.New("slo: needs a latency objective (p50_ms, p95_ms or p99_ms)"))
	}
	if p.SLO.ErrorRate <= 0 {
		p.SLO.ErrorRate = DefaultErrorRate
	}
	if !(p.MinRPS > 0) {
		errs = append(errs, fmt.Errorf("min_rps: must be > 0 (got %v)", p.MinRPS))
	}
	if !(p.MaxRPS >= p.MinRPS) || math.IsInf(p.MaxRPS, 0) {
		errs = append(errs, fmt.Errorf("max_rps: must be finite and >= min_rps (got %v, min_rps %v)", p.MaxRPS, p.MinRPS))
	}
	if p.StepDuration == 0 {
		p.StepDuration = scenarios.DefaultCapacityStepDuration
	}
	if p.StepDuration < 0 {
		errs = append(errs, fmt.Errorf("step_duration: must be > 0 (got %v)", p.StepDuration))
	}
	if p.Tolerance == 0 {
		p.Tolerance = scenarios.DefaultCapacityTolerance
	}
	if !(p.Tolerance > 0 && p.Tolerance < 1) {
		errs = append(errs, fmt.Errorf("tolerance: must be a fraction in (0, 1) (got %v)", p.Tolerance))
	}
	if p.MinSamples == 0 {
		p.MinSamples = scenarios.DefaultCapacityMinSamples
	}
	if p.MinSamples < 0 {
		errs = append(errs, fmt.Errorf("min_samples: must be >= 0 (got %d)", p.MinSamples))
	}
	if len(errs) > 0 {
		return p, fmt.Errorf("%w: %w", ErrSpec, errors.Join(errs...))
	}
	return p, nil
}

// Result is an empty result of a search of target (config labels the
// configuration) with the plan's settings.
func (p Plan) Result(target, config string) results.CapacityResult {
	return results.CapacityResult{
		Target:        target,
		Config:        config,
		SLOP99Ms:      p.SLO.P99Ms,
		SLOErrorRate:  p.SLO.ErrorRate,
		MinRPS:        p.MinRPS,
		MaxRPS:        p.MaxRPS,
		StepDurationS: p.StepDuration.Seconds(),
		Tolerance:     p.Tolerance,
		MinSamples:    p.MinSamples,
		CILevel:       p.CILevel,
		WarmupS:       p.Warmup.Seconds(),
		Method:        Method,
	}
}

// Score turns a probe into a scored step. The step passes when
//
//	p99(latency from intended send) ≤ slo.p99_ms  (and p50/p95; each when set),
//	errors/requests ≤ slo.error_rate,
//	and the generator did not fall behind by more than the lag budget.
//
// Latency is measured from the intended send time, so a small dispatch lag
// can only overstate it and never makes a step pass wrongly; a generator
// that fell behind (Probe.FellBehind) with a dispatch-lag p99 beyond the
// budget (or unknown) fails the step, because then the target did not
// receive the offered load and the numbers describe the client.
//
// The p99 is the nearest-rank order statistic x(⌈0.99·n⌉) and its
// distribution-free interval [x(l), x(u)] comes from the binomial law of
// the number of samples below the true p99 (see QuantileCI) at CILevel.
func (p Plan) Score(pr Probe) results.CapacityStep {
	slo := p.SLO
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
	st.FellBehind = pr.FellBehind && (pr.DispatchLagP99 <= 0 || st.DispatchLagP99Ms > p.LagBudgetMs())
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
		st.P99LowMs, st.P99HighMs, st.P99CILevel = QuantileCI(ms, 0.99, p.CILevel)
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
		why = append(why, fmt.Sprintf("generator fell behind (dispatch lag p99 %.1f ms > budget %.1f ms)", st.DispatchLagP99Ms, p.LagBudgetMs()))
	}
	st.Passed = len(why) == 0
	st.FailReasons = why
	return st
}

// LagBudgetMs is the dispatch lag a step may show: max(5 ms, 20 % of the
// tightest latency objective).
func (p Plan) LagBudgetMs() float64 {
	tight := math.Inf(1)
	for _, v := range []float64{p.SLO.P50Ms, p.SLO.P95Ms, p.SLO.P99Ms} {
		if v > 0 {
			tight = math.Min(tight, v)
		}
	}
	return math.Max(5, 0.2*tight)
}

// FailedBeyondDoubt is true when more samples cannot turn a failed step
// into a pass: the error rate or the generator failed it, or the whole p99
// interval lies above the SLO.
func (p Plan) FailedBeyondDoubt(st results.CapacityStep) bool {
	if st.Passed {
		return false
	}
	slo := p.SLO
	return st.ErrorRate > slo.ErrorRate || st.FellBehind || (slo.P99Ms > 0 && st.Samples > 0 && st.P99LowMs > slo.P99Ms)
}

// Finish sets res.Steps to steps sorted by offered rate and derives the
// capacity interval from res.CapacityRPS: Low is the highest rate ≤
// capacity whose whole p99 interval lies within the SLO (0 when none),
// High is the lowest rate above capacity that failed beyond doubt (p99
// interval above the SLO, too many errors, or the generator fell behind),
// or max_rps when none did (min_rps when even it failed).
func (p Plan) Finish(res *results.CapacityResult, steps []results.CapacityStep) {
	slo := p.SLO
	res.Steps = slices.Clone(steps)
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
	res.CapacityRPSHi = p.MaxRPS
	for _, st := range res.Steps {
		confident := slo.P99Ms == 0 || st.P99HighMs <= slo.P99Ms
		if st.Passed && confident && st.OfferedRPS <= res.CapacityRPS && st.OfferedRPS > res.CapacityRPSLow {
			res.CapacityRPSLow = st.OfferedRPS
		}
		if st.OfferedRPS > res.CapacityRPS && p.FailedBeyondDoubt(st) && st.OfferedRPS < res.CapacityRPSHi {
			res.CapacityRPSHi = st.OfferedRPS
		}
	}
	if res.CapacityRPS == 0 {
		res.CapacityRPSHi = p.MinRPS
	}
	res.CapacityRPSHi = max(res.CapacityRPSHi, res.CapacityRPS)
}
