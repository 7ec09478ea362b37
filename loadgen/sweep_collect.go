package loadgen

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// ExperimentCollector builds the serverless experiment sections of
// summary.json (memory sweep rows, the cold start summary, concurrency
// scaling steps) from records. Feed it every record, either live through
// Tee or afterwards from a results.Decoder; it keeps only the few numbers
// per experiment record it needs (the samples of its distributions, built
// with results.DistributionOf), and nothing for other records. It is safe
// for concurrent use.
type ExperimentCollector struct {
	mu       sync.Mutex
	recorded func(phase string) bool
	sweep    map[sweepKey]*sweepAcc
	cold     map[string]*coldAcc
	coldSeq  []string
	scaling  []*scalingAcc
}

// CollectorOptions configures an ExperimentCollector.
type CollectorOptions struct {
	// Recorded says whether a phase's records count: warm-up phases
	// (record: false) run inside a memory sweep step must not. Nil counts
	// every phase.
	Recorded func(phase string) bool
	// Scaling lists step-profile phases to report per step.
	Scaling []ScalingSpec
}

// ScalingSpec selects one (target, phase) of a step traffic profile for the
// concurrency scaling section. Step k covers intended send times in
// [Start + k·Every, Start + (k+1)·Every).
type ScalingSpec struct {
	Target string
	Phase  string
	Every  time.Duration
	// Start is the phase start; zero means the earliest intended send time seen.
	Start time.Time
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

type sweepKey struct {
	target string
	mb     int
}

type sweepAcc struct {
	requests, errors, cold, billed int64
	gbs                            float64
	duration, billedMs, latency    []float64
}

type coldAcc struct {
	samples, coldObserved, failed int
	init, coldLat, warmLat        []float64
}

type scalingPoint struct {
	intended time.Time
	latency  float64
	cold     bool
	class    string
}

type scalingAcc struct {
	spec   ScalingSpec
	points []scalingPoint
}

// NewExperimentCollector returns an empty collector.
func NewExperimentCollector(o CollectorOptions) *ExperimentCollector {
	c := &ExperimentCollector{recorded: o.Recorded, sweep: map[sweepKey]*sweepAcc{}, cold: map[string]*coldAcc{}}
	for _, s := range o.Scaling {
		c.scaling = append(c.scaling, &scalingAcc{spec: s})
	}
	return c
}

// Tee returns an Encoder that adds each record to c, then passes it on to next.
func (c *ExperimentCollector) Tee(next results.Encoder) results.Encoder {
	return func(r *results.Record) error {
		c.Add(r)
		return next(r)
	}
}

// Add accounts one record.
func (c *ExperimentCollector) Add(r *results.Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.recorded != nil && r.Experiment != ExperimentColdStarts && !c.recorded(r.Phase) {
		return
	}
	ok := r.ErrorClass == "" && r.Error == ""
	latMs := float64(r.Latency) / 1e6
	switch r.Experiment {
	case ExperimentMemorySweep:
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
			a = &sweepAcc{}
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
			a.latency = append(a.latency, float64(lat)/1e6)
		}
		if r.Cold {
			a.cold++
		}
		if r.DurationMs != nil {
			a.duration = append(a.duration, *r.DurationMs)
		}
		if r.BilledDurationMs != nil {
			a.billed++
			a.billedMs = append(a.billedMs, *r.BilledDurationMs)
			a.gbs += gbSeconds(r, mb)
		}
	case ExperimentColdStarts:
		a := c.cold[r.Target]
		if a == nil {
			a = &coldAcc{}
			c.cold[r.Target] = a
			c.coldSeq = append(c.coldSeq, r.Target)
		}
		switch r.Step {
		case StepColdStart:
			a.samples++
			if r.Cold {
				a.coldObserved++
			}
			if !ok {
				a.failed++
				break
			}
			a.coldLat = append(a.coldLat, latMs)
			if r.InitDurationMs != nil {
				a.init = append(a.init, *r.InitDurationMs)
			} else if r.RestoreDurationMs != nil {
				a.init = append(a.init, *r.RestoreDurationMs)
			}
		case StepWarm:
			if ok && !r.Cold {
				a.warmLat = append(a.warmLat, latMs)
			}
		}
	}
	for _, s := range c.scaling {
		// Instances are counted over one pass of the step profile: the
		// first trial's, in a run of trials.
		if s.spec.Target == r.Target && s.spec.Phase == r.Phase && r.Experiment == "" && r.Trial <= 1 {
			s.points = append(s.points, scalingPoint{intended: r.Intended, latency: latMs, cold: r.Cold, class: r.ErrorClass})
		}
	}
}

// MemorySweep returns one row per (target, memory size), sorted by target
// then memory: client latency (from the intended send time) over every
// request sent, successful or not, duration and billed duration over
// requests that carried them — each distribution computed as in the phase
// summaries (results.DistributionOf), so a step's row and its phase entry
// agree —, cold starts, errors, and
// GBSecondsPerRequest = Σ billed_ms/1000 × memory_mb/1024 over the requests
// with a billed duration, divided by their number. Flags are not set; call
// MarkBestMemory after pricing filled the cost fields.
func (c *ExperimentCollector) MemorySweep() []results.MemorySweepRow {
	c.mu.Lock()
	defer c.mu.Unlock()
	rows := make([]results.MemorySweepRow, 0, len(c.sweep))
	for k, a := range c.sweep {
		row := results.MemorySweepRow{
			Target: k.target, MemoryMB: k.mb, Requests: a.requests, Errors: a.errors, ColdStarts: a.cold,
			DurationMs: results.DistributionOf(a.duration), BilledDurationMs: results.DistributionOf(a.billedMs),
			LatencyMs: results.DistributionOf(a.latency),
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
func (c *ExperimentCollector) ColdStarts() *results.ColdStartSummary {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.coldSeq) == 0 {
		return nil
	}
	t := c.coldSeq[0]
	a := c.cold[t]
	return &results.ColdStartSummary{
		Target: t, Samples: a.samples, ColdObserved: a.coldObserved, Failed: a.failed,
		InitDurationMs: results.DistributionOf(a.init), ColdLatencyMs: results.DistributionOf(a.coldLat),
		WarmLatencyMs: results.DistributionOf(a.warmLat),
	}
}

// Scaling returns the per-step rows of every ScalingSpec: requests,
// achieved rps (requests / Every), cold starts in the step, instances
// observed (cumulative cold starts), throttles and their rate, errors, and
// the p99 client latency of the step's successful requests.
func (c *ExperimentCollector) Scaling() []results.ScalingStep {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []results.ScalingStep
	for _, s := range c.scaling {
		if len(s.points) == 0 || s.spec.Every <= 0 {
			continue
		}
		start := s.spec.Start
		if start.IsZero() {
			start = s.points[0].intended
			for _, p := range s.points {
				if p.intended.Before(start) {
					start = p.intended
				}
			}
		}
		type acc struct {
			n, cold, thr, errs int64
			lat                []float64
		}
		var steps []acc
		for _, p := range s.points {
			k := max(int(math.Floor(float64(p.intended.Sub(start))/float64(s.spec.Every))), 0)
			for len(steps) <= k {
				steps = append(steps, acc{})
			}
			a := &steps[k]
			a.n++
			if p.cold {
				a.cold++
			}
			switch p.class {
			case "":
				a.lat = append(a.lat, p.latency)
			case results.ErrorClassThrottle:
				a.thr++
				a.errs++
			default:
				a.errs++
			}
		}
		var cum int64
		for k, a := range steps {
			cum += a.cold
			row := results.ScalingStep{Target: s.spec.Target, Phase: s.spec.Phase, Step: k,
				StartS: (time.Duration(k) * s.spec.Every).Seconds(), Requests: a.n,
				AchievedRPS: float64(a.n) / s.spec.Every.Seconds(), ColdStarts: a.cold, InstancesObserved: cum,
				Throttles: a.thr, Errors: a.errs, LatencyP99Ms: results.DistributionOf(a.lat).P99}
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

// Apply fills s.Experiments' memory sweep (flags marked against slo),
// cold start and concurrency scaling sections from what was collected;
// sections with no records are left untouched.
func (c *ExperimentCollector) Apply(s *results.Summary, slo *scenarios.SLO) {
	c.ApplyBy(s, func(string) *scenarios.SLO { return slo })
}

// ApplyBy is Apply with each memory sweep target's rows marked against its
// own SLO, sloFor(target) (nil = none).
func (c *ExperimentCollector) ApplyBy(s *results.Summary, sloFor func(target string) *scenarios.SLO) {
	if rows := c.MemorySweep(); len(rows) > 0 {
		MarkBestMemoryBy(rows, sloFor)
		s.Experiments.MemorySweep = rows
	}
	if cs := c.ColdStarts(); cs != nil {
		s.Experiments.ColdStarts = cs
	}
	if sc := c.Scaling(); len(sc) > 0 {
		s.Experiments.ConcurrencyScaling = sc
	}
}
