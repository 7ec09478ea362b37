package results

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/benchctl/benchctl/confidence"
)

// Histogram range and precision: values are recorded in microseconds from
// 0 to one hour with 3 significant digits (HDR histogram; percentiles are the
// highest value equivalent to the bucket, i.e. at most 0.1% above the exact
// sample).
const (
	histMaxMicros = int64(time.Hour / time.Microsecond)
	histSigFigs   = 3
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

// Distribution methods (Distribution.Method).
const (
	// MethodHDR: percentiles from an HDR histogram, 3 significant digits
	// (the upper edge of the sample's bucket, at most 0.1% above it).
	MethodHDR = "hdr-3sf"
	// MethodExact: percentiles computed exactly from all samples by linear
	// interpolation between closest ranks (Hyndman–Fan type 7, as numpy and
	// montanaflynn/stats; confidence.Type7), used when there are at most
	// ExactMaxSamples.
	MethodExact = "exact-type7"
)

// ExactMaxSamples is the largest sample count whose percentiles are computed
// exactly; larger sets use the HDR histogram (memory stays constant).
const ExactMaxSamples = 1024

// dist accumulates one distribution: an HDR histogram for percentiles, the
// first ExactMaxSamples samples for exact percentiles of small sets, and
// exact count, min, max, mean and standard deviation (Welford).
type dist struct {
	h        *hdr.Histogram
	n        int64
	mean, m2 float64
	min, max float64
	samples  []float64
}

func newDist() *dist {
	return &dist{h: hdr.New(1, histMaxMicros, histSigFigs), min: math.Inf(1), max: math.Inf(-1)}
}

// addMs records v milliseconds.
func (d *dist) addMs(v float64) {
	if v < 0 || math.IsNaN(v) {
		v = 0
	}
	us := int64(math.Round(v * 1000))
	if us > histMaxMicros {
		us = histMaxMicros
	}
	_ = d.h.RecordValue(us)
	if d.n < ExactMaxSamples {
		d.samples = append(d.samples, v)
	} else {
		d.samples = nil
	}
	d.n++
	delta := v - d.mean
	d.mean += delta / float64(d.n)
	d.m2 += delta * (v - d.mean)
	d.min = math.Min(d.min, v)
	d.max = math.Max(d.max, v)
}

func (d *dist) add(v time.Duration) { d.addMs(float64(v) / 1e6) }

func (d *dist) quantileMs(q float64) float64 {
	if d.n == 0 {
		return 0
	}
	v := float64(d.h.ValueAtQuantile(q)) / 1000 // q in 0..100 (notes §5)
	return math.Min(math.Max(v, d.min), d.max)
}

// Distribution returns the summary of what was recorded.
func (d *dist) Distribution() Distribution {
	if d == nil || d.n == 0 {
		return Distribution{Method: MethodExact}
	}
	var sd float64
	if d.n > 1 {
		sd = math.Sqrt(d.m2 / float64(d.n-1))
	}
	if int64(len(d.samples)) == d.n {
		s := slices.Clone(d.samples)
		slices.Sort(s)
		return Distribution{
			Count: d.n, Min: d.min, Mean: d.mean, Stdev: sd,
			P50: confidence.Type7(s, 0.50), P90: confidence.Type7(s, 0.90), P95: confidence.Type7(s, 0.95),
			P99: confidence.Type7(s, 0.99), P999: confidence.Type7(s, 0.999), Max: d.max,
			Method: MethodExact,
		}
	}
	return Distribution{
		Count: d.n, Min: d.min, Mean: d.mean, Stdev: sd,
		P50: d.quantileMs(50), P90: d.quantileMs(90), P95: d.quantileMs(95),
		P99: d.quantileMs(99), P999: d.quantileMs(99.9), Max: d.max,
		Method: MethodHDR,
	}
}

// DistributionOf summarises vals (ms) exactly as phase summaries do:
// exact type-7 percentiles (MethodExact) for at most ExactMaxSamples
// values, HDR histogram percentiles (MethodHDR) beyond; exact count, min,
// max, mean and sample standard deviation. Negative and NaN values count
// as 0. vals is not modified; nil or empty gives a zero Distribution with
// Method MethodExact.
func DistributionOf(vals []float64) Distribution {
	d := newDist()
	for _, v := range vals {
		d.addMs(v)
	}
	return d.Distribution()
}

// Aggregator folds the records of one (target, phase, step) into a
// PhaseSummary in constant memory. It is not safe for concurrent use.
type Aggregator struct {
	name, step, experiment string

	requests, ok, dropped int64
	errors                map[string]int64
	latency, service, lag *dist
	late                  int64
	firstIntended         time.Time
	lastIntended          time.Time

	billed, duration, init *dist
	cold, throttles, fnErr int64
	// reported counts records with a REPORT line; billingMissing those of
	// a function target answered without one; function is set once a
	// record shows the target is a function (request id, REPORT fields).
	reported, billingMissing int64
	function                 bool
	maxMem, memSize          int
	gbSeconds                float64
}

// NewAggregator returns an empty Aggregator for phase name, step and experiment.
func NewAggregator(name, step, experiment string) *Aggregator {
	return &Aggregator{
		name: name, step: step, experiment: experiment,
		errors:  map[string]int64{},
		latency: newDist(), service: newDist(), lag: newDist(),
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
	a.latency.add(corrected)
	a.service.add(r.Latency)
	if !r.Intended.IsZero() {
		lag := r.Timestamp.Sub(r.Intended)
		a.lag.add(lag)
		if lag > LateThreshold {
			a.late++
		}
	}
	if r.BilledDurationMs != nil {
		if a.billed == nil {
			a.billed = newDist()
		}
		a.billed.addMs(*r.BilledDurationMs)
		mem := 0
		if r.MemorySizeMB != nil {
			mem = *r.MemorySizeMB
		}
		a.gbSeconds += *r.BilledDurationMs / 1000 * float64(mem) / 1024
	}
	if r.DurationMs != nil {
		if a.duration == nil {
			a.duration = newDist()
		}
		a.duration.addMs(*r.DurationMs)
	}
	if r.InitDurationMs != nil {
		if a.init == nil {
			a.init = newDist()
		}
		a.init.addMs(*r.InitDurationMs)
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
		a.memSize = *r.MemorySizeMB
	}
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

// SummarizeOptions tells Summarize about the run beyond its records.
type SummarizeOptions struct {
	// Kinds maps target name to kind ("http" when missing).
	Kinds map[string]string
	// TargetOrder lists target names in scenario order; others follow in
	// order of appearance.
	TargetOrder []string
	// Phases are the phases as run (run.json): durations and scheduled counts.
	Phases []PhaseRunInfo
	// SLO is the global SLO; TargetSLO overrides it per target.
	SLO       SLOSpec
	TargetSLO map[string]SLOSpec
	// Killed says the run died before it ended (RunInfo.EndState
	// EndKilled): a phase with records but no Phases entry was still
	// running, and is marked Incomplete.
	Killed bool
}

type aggKey struct{ target, phase, step, experiment string }

// Summarize streams every record of dec into per (target, phase, step)
// summaries, in constant memory in the number of records. Targets come in
// TargetOrder then order of appearance; phases in order of appearance.
func Summarize(dec Decoder, opts SummarizeOptions) ([]TargetSummary, error) {
	aggs := map[aggKey]*Aggregator{}
	var keys []aggKey
	var rec Record
	for {
		err := dec(&rec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("summarize: %w", err)
		}
		phase := rec.Phase
		if phase == "" {
			phase = rec.Attack
		}
		k := aggKey{rec.Target, phase, rec.Step, rec.Experiment}
		a := aggs[k]
		if a == nil {
			a = NewAggregator(phase, rec.Step, rec.Experiment)
			aggs[k] = a
			keys = append(keys, k)
		}
		a.Add(&rec)
	}
	infos := phaseInfos(opts.Phases)
	order := append([]string(nil), opts.TargetOrder...)
	seen := map[string]bool{}
	for _, t := range order {
		seen[t] = true
	}
	for _, k := range keys {
		if !seen[k.target] {
			seen[k.target] = true
			order = append(order, k.target)
		}
	}
	var out []TargetSummary
	for _, t := range order {
		kind := opts.Kinds[t]
		if kind == "" {
			kind = "http"
		}
		ts := TargetSummary{Name: t, Kind: kind, Phases: []PhaseSummary{}}
		slo := opts.SLO
		if o, ok := opts.TargetSLO[t]; ok {
			slo = o
		}
		for _, k := range keys {
			if k.target != t {
				continue
			}
			ps := aggs[k].Summary(infos.of(k), &slo)
			if opts.Killed && !infos.has(k) {
				ps.Incomplete = true // still running when the run died
			}
			ts.Phases = append(ts.Phases, ps)
		}
		if len(ts.Phases) > 0 {
			out = append(out, ts)
		}
	}
	return out, nil
}

// phaseInfoSet holds the run.json phase entries summed per (phase, step,
// experiment, target); target "" holds entries that list no targets, which
// count for every target.
type phaseInfoSet map[aggKey]PhaseInfo

// phaseInfos sums the entries of phases that share a phase, step,
// experiment and target: a phase or step run more than once (a capacity
// step that was extended, a memory sweep step run once per swept target)
// ran for the sum of its durations and scheduled the sum of its requests.
// Entries for other targets are kept apart, so each target's rates are
// over the time it was sent to.
func phaseInfos(phases []PhaseRunInfo) phaseInfoSet {
	infos := phaseInfoSet{}
	for _, p := range phases {
		targets := p.Targets
		if len(targets) == 0 {
			targets = []string{""}
		}
		for i, t := range targets {
			if slices.Contains(targets[:i], t) {
				continue
			}
			k := aggKey{t, p.Name, p.Step, p.Experiment}
			in := infos[k]
			in.Host = MergeHostLoads([]*HostLoad{in.Host, p.Host}, []float64{in.DurationS, p.DurationS})
			in.Stopped = mergeStopped(in.Stopped, p.Stopped)
			in.Interrupted = in.Interrupted || p.Interrupted
			in.DurationS += p.DurationS
			in.Scheduled += p.Scheduled
			infos[k] = in
		}
	}
	return infos
}

// has reports whether run.json lists k's phase (for k's target or all).
func (s phaseInfoSet) has(k aggKey) bool {
	_, own := s[k]
	_, all := s[aggKey{"", k.phase, k.step, k.experiment}]
	return own || all
}

// of returns the summed entry of k's target plus the entries without
// targets.
func (s phaseInfoSet) of(k aggKey) PhaseInfo {
	in := s[k]
	if k.target != "" {
		all := s[aggKey{"", k.phase, k.step, k.experiment}]
		in.Host = MergeHostLoads([]*HostLoad{in.Host, all.Host}, []float64{in.DurationS, all.DurationS})
		in.Stopped = mergeStopped(in.Stopped, all.Stopped)
		in.Interrupted = in.Interrupted || all.Interrupted
		in.DurationS += all.DurationS
		in.Scheduled += all.Scheduled
	}
	return in
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
