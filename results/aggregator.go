package results

import (
	"fmt"
	"time"
)

// Generator health thresholds (see GeneratorFellBehind).
const (
	// LateThreshold is the dispatch lag beyond which a request counts as late.
	LateThreshold = 5 * time.Millisecond
	// MaxLateFraction is the share of late requests beyond which the
	// generator is flagged.
	MaxLateFraction = 0.01
)

// GeneratorFellBehind is the rule behind generator_fell_behind: the load
// generator did not keep its schedule, so the phase's latencies describe the
// client as much as the target. It fires when the dispatch-lag p99 exceeds
// LateThreshold (5 ms) or when more than MaxLateFraction (1%) of the
// scheduled requests were late, counting as late both requests sent more
// than LateThreshold after their intended time and scheduled requests that
// were never sent before the phase ended.
func GeneratorFellBehind(lagP99 time.Duration, lateFraction float64) bool {
	return lagP99 > LateThreshold || lateFraction > MaxLateFraction
}

// Histogram metrics: what each distribution of a phase summary measures,
// and the metric= tag of its histogram in histograms.hlog.
const (
	// MetricLatency is corrected_latency (from the intended send): latency_ms.
	MetricLatency = "latency"
	// MetricServiceLatency is latency (from the actual send): service_latency_ms.
	MetricServiceLatency = "service_latency"
	// MetricDispatchLag is actual − intended send time: dispatch_lag_ms.
	MetricDispatchLag = "dispatch_lag"
	// MetricDuration, MetricBilledDuration and MetricInitDuration are the
	// serverless REPORT fields: duration_ms, billed_duration_ms, init_duration_ms.
	MetricDuration       = "duration"
	MetricBilledDuration = "billed_duration"
	MetricInitDuration   = "init_duration"
)

// Metrics lists the histogram metrics in the order histograms.hlog writes
// them.
func Metrics() []string {
	return []string{MetricLatency, MetricServiceLatency, MetricDispatchLag, MetricDuration, MetricBilledDuration, MetricInitDuration}
}

// Aggregator folds the records of one (target, phase, step) into a
// PhaseSummary in constant memory. It is not safe for concurrent use.
type Aggregator struct {
	name, step, experiment string

	requests, ok, dropped int64
	errors                map[string]int64
	latency, service, lag *Dist
	late                  int64
	firstIntended         time.Time
	lastIntended          time.Time

	billed, duration, init *Dist
	cold, throttles, fnErr int64
	// reported counts records with a REPORT line; billingMissing those of
	// a function target answered without one; function is set once a
	// record shows the target is a function (request id, REPORT fields).
	reported, billingMissing int64
	function                 bool
	maxMem, memSize          int
	memSeen                  bool
	gbSeconds                float64
}

// NewAggregator returns an empty Aggregator for phase name, step and experiment.
func NewAggregator(name, step, experiment string) *Aggregator {
	return &Aggregator{
		name: name, step: step, experiment: experiment,
		errors:  map[string]int64{},
		latency: NewDist(), service: NewDist(), lag: NewDist(),
	}
}

// Add folds one record in.
func (a *Aggregator) Add(r *Record) {
	a.requests++
	if !r.Intended.IsZero() {
		if a.firstIntended.IsZero() || r.Intended.Before(a.firstIntended) {
			a.firstIntended = r.Intended
		}
		if r.Intended.After(a.lastIntended) {
			a.lastIntended = r.Intended
		}
	}
	class := r.ErrorClass
	if class == "" && r.Error != "" {
		class = ErrorClassOther
	}
	if class == ErrorClassDropped {
		a.dropped++
		a.errors[class]++
		return // never sent: no latency, no lag
	}
	if class == "" {
		a.ok++
	} else {
		a.errors[class]++
	}
	if class == ErrorClassThrottle {
		a.throttles++
	}
	if r.FunctionError != "" || class == ErrorClassFunctionError {
		a.fnErr++
	}
	corrected := r.CorrectedLatency
	if corrected == 0 {
		corrected = r.Latency
	}
	a.latency.Add(corrected)
	a.service.Add(r.Latency)
	if !r.Intended.IsZero() {
		lag := r.Timestamp.Sub(r.Intended)
		a.lag.Add(lag)
		if lag > LateThreshold {
			a.late++
		}
	}
	if r.BilledDurationMs != nil {
		if a.billed == nil {
			a.billed = NewDist()
		}
		a.billed.AddMs(*r.BilledDurationMs)
		mem := 0
		if r.MemorySizeMB != nil {
			mem = *r.MemorySizeMB
		}
		a.gbSeconds += *r.BilledDurationMs / 1000 * float64(mem) / 1024
	}
	if r.DurationMs != nil {
		if a.duration == nil {
			a.duration = NewDist()
		}
		a.duration.AddMs(*r.DurationMs)
	}
	if r.InitDurationMs != nil {
		if a.init == nil {
			a.init = NewDist()
		}
		a.init.AddMs(*r.InitDurationMs)
	}
	if r.Cold {
		a.cold++
	}
	hasReport := r.BilledDurationMs != nil || r.DurationMs != nil
	if hasReport {
		a.reported++
	}
	if hasReport || r.RequestID != "" || r.ReportError != "" || r.FunctionError != "" {
		a.function = true
	}
	if !hasReport && r.Code != 0 && class != ErrorClassThrottle && (r.RequestID != "" || r.ReportError != "") {
		a.billingMissing++
	}
	if r.MaxMemoryUsedMB != nil && *r.MaxMemoryUsedMB > a.maxMem {
		a.maxMem = *r.MaxMemoryUsedMB
	}
	if r.MemorySizeMB != nil {
		a.memSize, a.memSeen = *r.MemorySizeMB, true
	}
}

// Merge folds b, which aggregated records of the same (target, phase,
// step) that came after a's, into a: the result is what a would hold had
// it been given b's records too (distributions as Dist.Merge; the memory
// size is the last one reported). b is not modified.
func (a *Aggregator) Merge(b *Aggregator) {
	a.requests += b.requests
	a.ok += b.ok
	a.dropped += b.dropped
	for k, n := range b.errors {
		a.errors[k] += n
	}
	a.latency.Merge(b.latency)
	a.service.Merge(b.service)
	a.lag.Merge(b.lag)
	a.late += b.late
	if !b.firstIntended.IsZero() && (a.firstIntended.IsZero() || b.firstIntended.Before(a.firstIntended)) {
		a.firstIntended = b.firstIntended
	}
	if b.lastIntended.After(a.lastIntended) {
		a.lastIntended = b.lastIntended
	}
	merge := func(dst **Dist, src *Dist) {
		if src == nil {
			return
		}
		if *dst == nil {
			*dst = NewDist()
		}
		(*dst).Merge(src)
	}
	merge(&a.billed, b.billed)
	merge(&a.duration, b.duration)
	merge(&a.init, b.init)
	a.cold += b.cold
	a.reported += b.reported
	a.billingMissing += b.billingMissing
	a.function = a.function || b.function
	a.throttles += b.throttles
	a.fnErr += b.fnErr
	a.maxMem = max(a.maxMem, b.maxMem)
	if b.memSeen {
		a.memSize, a.memSeen = b.memSize, true
	}
	a.gbSeconds += b.gbSeconds
}

// Release hands the histograms of a, merged into another aggregator and no
// longer read, back for reuse (Dist.Release); a must not be used after.
func (a *Aggregator) Release() {
	for _, d := range []*Dist{a.latency, a.service, a.lag, a.billed, a.duration, a.init} {
		d.Release()
	}
}

// Span returns the earliest and latest intended send times of the
// aggregated records (zero when none had one).
func (a *Aggregator) Span() (first, last time.Time) { return a.firstIntended, a.lastIntended }

// Dist returns the accumulator of one metric (the Metric constants), nil
// when the phase recorded none (the serverless metrics of an http target).
func (a *Aggregator) Dist(metric string) *Dist {
	switch metric {
	case MetricLatency:
		return a.latency
	case MetricServiceLatency:
		return a.service
	case MetricDispatchLag:
		return a.lag
	case MetricDuration:
		return a.duration
	case MetricBilledDuration:
		return a.billed
	case MetricInitDuration:
		return a.init
	}
	return nil
}

// PhaseInfo is what Summary needs to know about the phase beyond its
// records: how long it ran and how many hits its schedule planned. Zero
// values are inferred from the records (duration from the span of intended
// send times).
type PhaseInfo struct {
	DurationS float64
	Scheduled int64
	// Host is the host's load while the phase ran (nil: not measured).
	Host *HostLoad
	// Stopped is how a phase with an until: rule ended (PhaseRunInfo.Stopped).
	Stopped string
	// Interrupted is set when the phase was cut short (PhaseRunInfo.Interrupted).
	Interrupted bool
}

// Plus is the info of a phase run as in and then as o (a step extended,
// a sweep step run once per swept target): durations and scheduled
// counts add, host loads combine weighted by duration, and the phase
// reached its until: interval only when both did.
func (in PhaseInfo) Plus(o PhaseInfo) PhaseInfo {
	return PhaseInfo{
		DurationS:   in.DurationS + o.DurationS,
		Scheduled:   in.Scheduled + o.Scheduled,
		Host:        MergeHostLoads([]*HostLoad{in.Host, o.Host}, []float64{in.DurationS, o.DurationS}),
		Stopped:     mergeStopped(in.Stopped, o.Stopped),
		Interrupted: in.Interrupted || o.Interrupted,
	}
}

// Summary returns the phase summary. slo, when not nil, is evaluated.
func (a *Aggregator) Summary(info PhaseInfo, slo *SLOSpec) PhaseSummary {
	s := PhaseSummary{
		Name: a.name, Step: a.step, Experiment: a.experiment,
		Requests: a.requests, OK: a.ok, Errors: a.errors,
		LatencyMs:        a.latency.Distribution(),
		ServiceLatencyMs: a.service.Distribution(),
		Throttles:        a.throttles, FunctionErrors: a.fnErr,
		MaxMemoryUsedMB: a.maxMem, MemorySizeMB: a.memSize, GBSeconds: a.gbSeconds,
		Host: info.Host, HostBusy: info.Host != nil && info.Host.Busy, Stopped: info.Stopped,
	}
	if s.Errors == nil {
		s.Errors = map[string]int64{}
	}
	if a.requests > 0 {
		s.ErrorRate = float64(a.requests-a.ok) / float64(a.requests)
	}
	if a.reported > 0 {
		// Known from REPORT lines (a lower bound when some are missing:
		// BillingMissing says how many).
		cold, rate := a.cold, float64(a.cold)/float64(a.requests)
		s.ColdStarts, s.ColdStartRate = &cold, &rate
	}
	if a.function {
		missing := a.billingMissing
		s.BillingMissing = &missing
	}
	s.Incomplete = info.Interrupted
	dur := info.DurationS
	if dur <= 0 && a.requests > 0 {
		span := a.lastIntended.Sub(a.firstIntended).Seconds()
		if a.requests > 1 {
			span = span * float64(a.requests) / float64(a.requests-1)
		}
		dur = span
	}
	s.DurationS = dur
	scheduled := info.Scheduled
	if scheduled < a.requests {
		scheduled = a.requests
	}
	if dur > 0 {
		s.OfferedRPS = float64(scheduled) / dur
		s.AchievedRPS = float64(a.requests-a.dropped) / dur
	}
	ld := a.lag.Distribution()
	s.DispatchLagMs = LagSummary{P50: ld.P50, P99: ld.P99, Max: ld.Max}
	if scheduled > 0 {
		s.DispatchLagMs.LateFraction = float64(a.late+(scheduled-a.requests)) / float64(scheduled)
	}
	s.GeneratorFellBehind = GeneratorFellBehind(time.Duration(ld.P99*1e6), s.DispatchLagMs.LateFraction)
	if a.billed != nil {
		d := a.billed.Distribution()
		s.BilledDurationMs = &d
	}
	if a.duration != nil {
		d := a.duration.Distribution()
		s.DurationMs = &d
	}
	if a.init != nil {
		d := a.init.Distribution()
		s.InitDurationMs = &d
	}
	if slo != nil && !slo.IsZero() {
		r := slo.Evaluate(s)
		s.SLO = &r
	}
	return s
}

// SLOSpec is a service-level objective on a phase: latency percentiles
// (from the intended send time, ms) and an error rate. Zero fields are not
// checked. It has the fields of scenarios.SLO in the same order (without
// YAML tags), so a scenario SLO converts directly: results.SLOSpec(slo).
type SLOSpec struct {
	P50Ms     float64
	P95Ms     float64
	P99Ms     float64
	ErrorRate float64
}

// IsZero reports whether the SLO checks nothing.
func (o SLOSpec) IsZero() bool { return o == SLOSpec{} }

// Evaluate checks s against the SLO. Each violation reads like
// "p99 312.4 ms > 250 ms".
func (o SLOSpec) Evaluate(s PhaseSummary) SLOResult {
	var v []string
	check := func(name string, got, limit float64) {
		if limit > 0 && got > limit {
			v = append(v, fmt.Sprintf("%s %.1f ms > %g ms", name, got, limit))
		}
	}
	check("p50", s.LatencyMs.P50, o.P50Ms)
	check("p95", s.LatencyMs.P95, o.P95Ms)
	check("p99", s.LatencyMs.P99, o.P99Ms)
	if o.ErrorRate > 0 && s.ErrorRate > o.ErrorRate {
		v = append(v, fmt.Sprintf("error rate %.4f > %g", s.ErrorRate, o.ErrorRate))
	}
	return SLOResult{Passed: len(v) == 0, Violations: v}
}

// CountsTowardSLO reports whether the phase's SLO result counts toward a
// run's overall verdict: plain phases do; experiment steps (capacity search,
// memory sweep, cold starts) probe rates and configurations beyond the SLO
// by design and are only listed.
func (p PhaseSummary) CountsTowardSLO() bool { return p.Experiment == "" }

// SLOViolations lists every violated SLO of the plain phases of targets as
// "target/phase: violation" (experiment steps are left out).
func SLOViolations(targets []TargetSummary) []string {
	var v []string
	for _, t := range targets {
		for _, p := range t.Phases {
			if p.SLO == nil || !p.CountsTowardSLO() {
				continue
			}
			name := p.Name
			if p.Step != "" {
				name += "[" + p.Step + "]"
			}
			for _, s := range p.SLO.Violations {
				v = append(v, t.Name+"/"+name+": "+s)
			}
		}
	}
	return v
}
