package summary

import (
	"cmp"
	"context"
	"math"
	"slices"
	"time"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// ExperimentsOptions configures the experiments collector.
type ExperimentsOptions struct {
	// Recorded says whether a phase's records count: warm-up phases
	// (record: false) run inside a memory sweep step must not. Nil counts
	// every phase.
	Recorded func(phase string) bool
	// Scaling lists step-profile phases to report per step.
	Scaling []ScalingSpec
	// SLO returns the SLO a swept target's rows are judged against (the
	// cheapest_meeting_slo flag); nil: none.
	SLO func(target string) *scenarios.SLO
}

// ScalingSpec selects one (target, phase) of a step traffic profile for
// the concurrency scaling section. Step k covers intended send times in
// [start + k·Every, start + (k+1)·Every), start being the earliest
// intended send time among the first scalingAnchorPoints records of the
// phase (the first request is nearly always among them: records are
// written as requests complete).
type ScalingSpec struct {
	Target string
	Phase  string
	Every  time.Duration
	// Offered gives step k's offered rate (rps), or nil.
	Offered func(k int) float64
}

// ScalingSpecFromPhase returns the ScalingSpec of a step-model phase for
// target: offered rate of step k = min(start + k·step, max) (max 0 = no
// cap). ok is false for other traffic models.
func ScalingSpecFromPhase(target string, p scenarios.Phase) (ScalingSpec, bool) {
	tr := p.Traffic
	if tr.Model != "step" || tr.Every <= 0 {
		return ScalingSpec{}, false
	}
	return ScalingSpec{Target: target, Phase: p.Name, Every: tr.Every, Offered: func(k int) float64 {
		r := tr.Start + float64(k)*tr.Step
		if tr.Max > 0 {
			r = min(r, tr.Max)
		}
		return r
	}}, true
}

// ExperimentsOptionsFor returns the collector options for scenario s:
// phases with record: false are skipped, every step-model phase that names
// a serverless target gets a concurrency scaling spec, and swept targets
// are judged against s.SLOFor.
func ExperimentsOptionsFor(s *scenarios.Scenario) ExperimentsOptions {
	recorded := map[string]bool{}
	kinds := map[string]string{}
	for _, t := range s.Targets {
		kinds[t.Name] = t.Kind
	}
	o := ExperimentsOptions{SLO: s.SLOFor}
	for _, p := range s.Phases {
		recorded[p.Name] = p.Recorded()
		for _, t := range p.Targets {
			if scenarios.IsFunctionKind(kinds[t]) {
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

// Experiments is the collector of the serverless experiment sections of
// summary.json: memory sweep rows, the cold start summary and the
// concurrency scaling steps. Its distributions are results.Dist
// accumulators, so each row agrees with the phase summary of its step,
// in constant memory.
//
// Order: memory sweep and cold start state only counts and merges; the
// cold start section reports the first target that ran the experiment,
// which survives the merge (the fork's targets follow). Concurrency
// scaling is order-dependent (its steps start at the phase's earliest
// intended time, fixed from the first records): a fork keeps the phase's
// few per-record numbers and Merge replays them in order.
type Experiments struct {
	opts    ExperimentsOptions
	fork    bool
	sweep   map[sweepKey]*sweepAcc
	cold    map[string]*coldAcc
	coldSeq []string
	scaling []*scalingAcc
	// lastPhase caches opts.Recorded's answer for the previous record.
	lastPhase                  string
	lastRecorded, lastPhaseSet bool
}

var _ Merger = (*Experiments)(nil)

type sweepKey struct {
	target string
	mb     int
}

type sweepAcc struct {
	requests, errors, cold, billed int64
	gbs                            float64
	duration, billedMs, latency    *results.Dist
}

type coldAcc struct {
	samples, coldObserved, failed int
	init, coldLat, warmLat        *results.Dist
}

type scalingPoint struct {
	intended time.Time
	latency  float64
	cold     bool
	class    string
}

// scalingAnchorPoints is how many records of a scaling phase are held
// before its start (their earliest intended time) is fixed.
const scalingAnchorPoints = 16384

// scalingAcc accumulates one ScalingSpec: pending holds points until the
// start is fixed (and, in a fork, every point, for the replay).
type scalingAcc struct {
	spec    ScalingSpec
	pending []scalingPoint
	start   time.Time
	steps   []scalingStepAcc
}

type scalingStepAcc struct {
	n, cold, thr, errs int64
	lat                *results.Dist
}

// NewExperiments returns an empty collector.
func NewExperiments(o ExperimentsOptions) *Experiments {
	c := &Experiments{opts: o, sweep: map[sweepKey]*sweepAcc{}, cold: map[string]*coldAcc{}}
	for _, s := range o.Scaling {
		c.scaling = append(c.scaling, &scalingAcc{spec: s})
	}
	return c
}

// Fork returns an empty collector with c's options.
func (c *Experiments) Fork() Merger {
	f := NewExperiments(c.opts)
	f.fork = true
	return f
}

// Add accounts one record.
func (c *Experiments) Add(r *results.Record) {
	if r.Experiment == "" && len(c.scaling) == 0 {
		return // a plain phase, no concurrency scaling asked: nothing to keep
	}
	if c.opts.Recorded != nil && r.Experiment != results.ExperimentColdStarts && !c.recorded(r.Phase) {
		return
	}
	ok := r.ErrorClass == "" && r.Error == ""
	latMs := float64(r.Latency) / 1e6
	switch r.Experiment {
	case results.ExperimentMemorySweep:
		mb, found := results.ParseMemoryStep(r.Step)
		if !found {
			if r.MemorySizeMB == nil {
				return
			}
			mb = *r.MemorySizeMB
		}
		k := sweepKey{r.Target, mb}
		a := c.sweep[k]
		if a == nil {
			a = &sweepAcc{duration: results.NewDist(), billedMs: results.NewDist(), latency: results.NewDist()}
			c.sweep[k] = a
		}
		a.requests++
		if !ok {
			a.errors++
		}
		if r.ErrorClass != results.ErrorClassDropped {
			// As the phase summary: from the intended send time, over
			// every request sent.
			lat := r.CorrectedLatency
			if lat == 0 {
				lat = r.Latency
			}
			a.latency.Add(lat)
		}
		if r.Cold {
			a.cold++
		}
		if r.DurationMs != nil {
			a.duration.AddMs(*r.DurationMs)
		}
		if r.BilledDurationMs != nil {
			a.billed++
			a.billedMs.AddMs(*r.BilledDurationMs)
			a.gbs += gbSeconds(r, mb)
		}
	case results.ExperimentColdStarts:
		a := c.coldFor(r.Target)
		switch r.Step {
		case results.StepColdStart:
			a.samples++
			if r.Cold {
				a.coldObserved++
			}
			if !ok {
				a.failed++
				break
			}
			a.coldLat.AddMs(latMs)
			if r.InitDurationMs != nil {
				a.init.AddMs(*r.InitDurationMs)
			} else if r.RestoreDurationMs != nil {
				a.init.AddMs(*r.RestoreDurationMs)
			}
		case results.StepWarm:
			if ok && !r.Cold {
				a.warmLat.AddMs(latMs)
			}
		}
	}
	if r.Experiment == "" {
		for _, s := range c.scaling {
			// Instances are counted over one pass of the step profile:
			// the first trial's, in a run of trials.
			if s.spec.Target == r.Target && s.spec.Phase == r.Phase && r.Trial <= 1 {
				s.add(scalingPoint{intended: r.Intended, latency: latMs, cold: r.Cold, class: r.ErrorClass}, c.fork)
			}
		}
	}
}

// recorded is opts.Recorded with the last phase's answer remembered.
func (c *Experiments) recorded(phase string) bool {
	if phase != c.lastPhase || !c.lastPhaseSet {
		c.lastPhase, c.lastRecorded, c.lastPhaseSet = phase, c.opts.Recorded(phase), true
	}
	return c.lastRecorded
}

func (c *Experiments) coldFor(target string) *coldAcc {
	a := c.cold[target]
	if a == nil {
		a = &coldAcc{init: results.NewDist(), coldLat: results.NewDist(), warmLat: results.NewDist()}
		c.cold[target] = a
		c.coldSeq = append(c.coldSeq, target)
	}
	return a
}

// gbSeconds is one record's billed compute: BilledDurationMs/1000 ×
// MemorySizeMB/1024 (fallbackMB when the record has no memory size).
func gbSeconds(rec *results.Record, fallbackMB int) float64 {
	if rec.BilledDurationMs == nil {
		return 0
	}
	mb := fallbackMB
	if rec.MemorySizeMB != nil {
		mb = *rec.MemorySizeMB
	}
	return *rec.BilledDurationMs / 1000 * float64(mb) / 1024
}

// Merge folds a fork that saw the records after c's.
func (c *Experiments) Merge(later Merger) {
	f := later.(*Experiments)
	for k, b := range f.sweep {
		a := c.sweep[k]
		if a == nil {
			c.sweep[k] = b
			continue
		}
		a.requests += b.requests
		a.errors += b.errors
		a.cold += b.cold
		a.billed += b.billed
		a.gbs += b.gbs
		a.duration.Merge(b.duration)
		a.billedMs.Merge(b.billedMs)
		a.latency.Merge(b.latency)
	}
	for _, t := range f.coldSeq {
		b := f.cold[t]
		a := c.coldFor(t)
		a.samples += b.samples
		a.coldObserved += b.coldObserved
		a.failed += b.failed
		a.init.Merge(b.init)
		a.coldLat.Merge(b.coldLat)
		a.warmLat.Merge(b.warmLat)
	}
	for i, s := range c.scaling {
		for _, p := range f.scaling[i].pending {
			s.add(p, c.fork)
		}
	}
}

// add takes one point; a fork (keep) only stores it.
func (s *scalingAcc) add(p scalingPoint, keep bool) {
	if keep || s.start.IsZero() {
		s.pending = append(s.pending, p)
		if !keep && len(s.pending) >= scalingAnchorPoints {
			s.anchor()
		}
		return
	}
	s.bucket(p)
}

// anchor fixes the start at the earliest pending intended time and
// buckets the pending points.
func (s *scalingAcc) anchor() {
	if len(s.pending) == 0 {
		return
	}
	start := s.pending[0].intended
	for _, p := range s.pending {
		if p.intended.Before(start) {
			start = p.intended
		}
	}
	s.start = start
	for _, p := range s.pending {
		s.bucket(p)
	}
	s.pending = nil
}

func (s *scalingAcc) bucket(p scalingPoint) {
	k := max(int(math.Floor(float64(p.intended.Sub(s.start))/float64(s.spec.Every))), 0)
	for len(s.steps) <= k {
		s.steps = append(s.steps, scalingStepAcc{lat: results.NewDist()})
	}
	a := &s.steps[k]
	a.n++
	if p.cold {
		a.cold++
	}
	switch p.class {
	case "":
		a.lat.AddMs(p.latency)
	case results.ErrorClassThrottle:
		a.thr++
		a.errs++
	default:
		a.errs++
	}
}

// MemorySweep returns one row per (target, memory size), sorted by target
// then memory: client latency (from the intended send time) over every
// request sent, successful or not, duration and billed duration over
// requests that carried them — each distribution computed as in the phase
// summaries, so a step's row and its phase entry agree —, cold starts,
// errors, and GBSecondsPerRequest = Σ billed_ms/1000 × memory_mb/1024
// over the requests with a billed duration, divided by their number.
// Flags are not set (Apply marks them).
func (c *Experiments) MemorySweep() []results.MemorySweepRow {
	rows := make([]results.MemorySweepRow, 0, len(c.sweep))
	for k, a := range c.sweep {
		row := results.MemorySweepRow{
			Target: k.target, MemoryMB: k.mb, Requests: a.requests, Errors: a.errors, ColdStarts: a.cold,
			DurationMs: a.duration.Distribution(), BilledDurationMs: a.billedMs.Distribution(),
			LatencyMs: a.latency.Distribution(),
		}
		if a.billed > 0 {
			row.GBSecondsPerRequest = a.gbs / float64(a.billed)
		}
		rows = append(rows, row)
	}
	slices.SortFunc(rows, func(a, b results.MemorySweepRow) int {
		return cmp.Or(cmp.Compare(a.Target, b.Target), cmp.Compare(a.MemoryMB, b.MemoryMB))
	})
	return rows
}

// ColdStarts returns the cold start summary of the first target that ran
// the experiment, or nil: Samples forced, ColdObserved of them cold, Failed
// without a successful response; init duration (or SnapStart restore
// duration) and client latency of the successful cold samples; client
// latency of the warm samples that were not cold.
func (c *Experiments) ColdStarts() *results.ColdStartSummary {
	if len(c.coldSeq) == 0 {
		return nil
	}
	t := c.coldSeq[0]
	a := c.cold[t]
	return &results.ColdStartSummary{
		Target: t, Samples: a.samples, ColdObserved: a.coldObserved, Failed: a.failed,
		InitDurationMs: a.init.Distribution(), ColdLatencyMs: a.coldLat.Distribution(),
		WarmLatencyMs: a.warmLat.Distribution(),
	}
}

// Scaling returns the per-step rows of every ScalingSpec: requests,
// achieved rps (requests / Every), cold starts in the step, instances
// observed (cumulative cold starts), throttles and their rate, errors, and
// the p99 client latency of the step's successful requests.
func (c *Experiments) Scaling() []results.ScalingStep {
	var out []results.ScalingStep
	for _, s := range c.scaling {
		if s.spec.Every <= 0 {
			continue
		}
		if s.start.IsZero() {
			s.anchor()
		}
		var cum int64
		for k, a := range s.steps {
			cum += a.cold
			row := results.ScalingStep{Target: s.spec.Target, Phase: s.spec.Phase, Step: k,
				StartS: (time.Duration(k) * s.spec.Every).Seconds(), Requests: a.n,
				AchievedRPS: float64(a.n) / s.spec.Every.Seconds(), ColdStarts: a.cold, InstancesObserved: cum,
				Throttles: a.thr, Errors: a.errs, LatencyP99Ms: a.lat.Distribution().P99}
			if a.n > 0 {
				row.ThrottleRate = float64(a.thr) / float64(a.n)
			}
			if s.spec.Offered != nil {
				row.OfferedRPS = s.spec.Offered(k)
			}
			out = append(out, row)
		}
	}
	return out
}

// Apply fills s.Experiments' memory sweep (flags marked against each
// target's SLO), cold start and concurrency scaling sections from what was
// collected; sections with no records are left untouched.
func (c *Experiments) Apply(ctx context.Context, s *results.Summary) error {
	if rows := c.MemorySweep(); len(rows) > 0 {
		results.MarkBestMemory(rows, func(target string) *results.SLOSpec {
			if c.opts.SLO == nil {
				return nil
			}
			o := c.opts.SLO(target)
			if o == nil {
				return nil
			}
			spec := results.SLOSpec(*o)
			return &spec
		})
		s.Experiments.MemorySweep = rows
	}
	if cs := c.ColdStarts(); cs != nil {
		s.Experiments.ColdStarts = cs
	}
	if sc := c.Scaling(); len(sc) > 0 {
		s.Experiments.ConcurrencyScaling = sc
	}
	return nil
}
