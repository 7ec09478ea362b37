package loadgen

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/benchctl/benchctl/scenarios"
)

// Traffic model names (scenario traffic.model).
const (
	ModelConstant = "constant"
	ModelPoisson  = "poisson"
	ModelRamp     = "ramp"
	ModelStep     = "step"
	ModelSine     = "sine"
	ModelBurst    = "burst"
	ModelTrace    = "trace"
)

// Arrival spreads (scenario traffic.arrivals).
const (
	ArrivalsUniform = "uniform"
	ArrivalsPoisson = "poisson"
)

// Models lists the traffic model names.
var Models = []string{ModelConstant, ModelPoisson, ModelRamp, ModelStep, ModelSine, ModelBurst, ModelTrace}

// MaxScheduledHits bounds one schedule (8 bytes of memory per hit).
const MaxScheduledHits = 50_000_000

// MaxScheduleSegments bounds the constant-rate segments of a step or
// burst schedule (duration / every, twice that for bursts): more would
// take longer to lay out than to send.
const MaxScheduleSegments = 1_000_000

// ErrScheduleTooLarge is returned when a phase would schedule more than
// MaxScheduledHits requests.
var ErrScheduleTooLarge = errors.New("schedule too large")

// Schedule is the arrival schedule of one phase: Offsets[i] is the intended
// send time of hit i relative to the phase start. It is computed once,
// before the phase, from the traffic model, the phase duration and the seed,
// so the same seed always gives the same schedule, every target of a phase
// gets the same one, and each record can carry its intended send time.
//
// Rate-shaped models are defined by an arrival rate λ(t) (requests/s) and its
// integral Λ(t) = ∫₀ᵗ λ(s) ds. With uniform arrivals hit i is sent at
// t_i = Λ⁻¹(i); with Poisson arrivals at t_i = Λ⁻¹(E_1 + … + E_{i+1}) where
// E_k ~ Exp(1) are drawn from a PCG generator seeded by the seed (the
// time-rescaling theorem: this is an inhomogeneous Poisson process with
// intensity λ(t)).
type Schedule struct {
	Model    string
	Duration time.Duration
	Offsets  []time.Duration
	rate     func(t float64) float64
}

// Len is the number of hits.
func (s *Schedule) Len() int { return len(s.Offsets) }

// Rate returns the model's instantaneous rate at elapsed (requests/s).
func (s *Schedule) Rate(elapsed time.Duration) float64 {
	if s.rate == nil {
		return 0
	}
	return s.rate(elapsed.Seconds())
}

// Pacer returns a vegeta.Pacer that sends hit i at Offsets[i] and stops
// after the last hit.
func (s *Schedule) Pacer() *SchedulePacer { return &SchedulePacer{s: s} }

// PeakRate is the highest number of hits in any one-second window starting
// at a whole second, i.e. the peak per-second load.
func (s *Schedule) PeakRate() float64 {
	peak, cur, sec := 0, 0, time.Duration(-1)
	for _, o := range s.Offsets {
		w := o.Truncate(time.Second)
		if w != sec {
			sec, cur = w, 0
		}
		cur++
		peak = max(peak, cur)
	}
	return float64(peak)
}

// CountIn is the number of hits with from ≤ offset < to.
func (s *Schedule) CountIn(from, to time.Duration) int {
	n := 0
	for _, o := range s.Offsets {
		if o >= from && o < to {
			n++
		}
	}
	return n
}

// SchedulePacer is a vegeta.Pacer following a Schedule. Pace is called from
// vegeta's single pacing goroutine; the pacer records when the attack began
// (the instant of the first Pace call minus its elapsed), so that
// Began().Add(Offsets[seq]) is hit seq's intended send time.
type SchedulePacer struct {
	s     *Schedule
	began time.Time
	// anchor, when set, is the instant the schedule is anchored to (a
	// Share's Start) instead of the attack's own start; shift is how much
	// later than the anchor the attack began.
	anchor time.Time
	shift  time.Duration
}

var _ vegeta.Pacer = (*SchedulePacer)(nil)

// Pace implements vegeta.Pacer: wait = Offsets[hits] − elapsed (≤ 0 ⇒ send
// now), stop after the last hit.
func (p *SchedulePacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits == 0 && p.began.IsZero() {
		p.began = time.Now().Add(-elapsed)
		if !p.anchor.IsZero() {
			p.shift = p.began.Sub(p.anchor)
			p.began = p.anchor
		}
	}
	if hits >= uint64(len(p.s.Offsets)) {
		return 0, true
	}
	wait := p.s.Offsets[hits] - elapsed - p.shift
	if wait < 0 {
		wait = 0
	}
	return wait, false
}

// Rate implements vegeta.Pacer.
func (p *SchedulePacer) Rate(elapsed time.Duration) float64 { return p.s.Rate(elapsed) }

// Began is the attack start as seen by the pacer (zero before the first Pace).
func (p *SchedulePacer) Began() time.Time { return p.began }

// PhaseSeed derives the seed of a phase's schedule from the scenario seed and
// the phase name (FNV-1a), so phases differ but reruns repeat.
func PhaseSeed(seed uint64, phase string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(phase))
	return seed ^ h.Sum64()
}

// ScheduleOptions configures NewSchedule.
type ScheduleOptions struct {
	// Seed seeds Poisson arrivals and trace spreading.
	Seed uint64
	// ReadFile reads a trace file named in the scenario (relative paths
	// resolve against the scenario's folder); required for the trace model.
	ReadFile func(name string) ([]byte, error)
}

// NewSchedule computes the schedule of traffic over duration.
func NewSchedule(tr scenarios.Traffic, duration time.Duration, opts ScheduleOptions) (*Schedule, error) {
	if duration <= 0 {
		return nil, fmt.Errorf("schedule: duration must be > 0 (got %s)", duration)
	}
	model := strings.ToLower(tr.Model)
	s := &Schedule{Model: model, Duration: duration}
	if model == ModelTrace {
		offs, rate, err := traceSchedule(tr, duration, opts)
		if err != nil {
			return nil, err
		}
		s.Offsets, s.rate = offs, rate
		return s, nil
	}
	m, err := rateModel(tr, duration)
	if err != nil {
		return nil, err
	}
	s.rate = m.rate
	arrivals := strings.ToLower(tr.Arrivals)
	if model == ModelPoisson {
		arrivals = ArrivalsPoisson
	}
	switch arrivals {
	case "", ArrivalsUniform, ArrivalsPoisson:
	default:
		return nil, fmt.Errorf("schedule: traffic.arrivals %q isn't one of [uniform poisson]", tr.Arrivals)
	}
	D := duration.Seconds()
	if total := m.cum(D); total > MaxScheduledHits {
		return nil, fmt.Errorf("schedule: %.0f hits planned: %w (max %d)", total, ErrScheduleTooLarge, MaxScheduledHits)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
	x := 0.0
	inv := m.inverter()
	for i := 0; ; i++ {
		if arrivals == ArrivalsPoisson {
			x += rng.ExpFloat64()
		} else {
			x = float64(i)
		}
		t, ok := inv(x)
		if !ok || t >= D {
			break
		}
		s.Offsets = append(s.Offsets, time.Duration(t*1e9))
	}
	return s, nil
}

// PlannedHits is how many requests traffic plans over duration (the
// expected count Λ(duration) for the rate-shaped models, the exact count
// for a trace), computed without building the schedule, and an error for
// everything NewSchedule would refuse: bad parameters, an unreadable or
// malformed trace, more than MaxScheduleSegments segments or more than
// MaxScheduledHits hits (errors.Is ErrScheduleTooLarge; trace problems
// are errors.Is ErrTrace). validate calls it for every phase.
func PlannedHits(tr scenarios.Traffic, duration time.Duration, opts ScheduleOptions) (float64, error) {
	if duration <= 0 {
		return 0, fmt.Errorf("schedule: duration must be > 0 (got %s)", duration)
	}
	D := duration.Seconds()
	var hits float64
	if strings.EqualFold(tr.Model, ModelTrace) {
		t, err := readTrace(tr, opts)
		if err != nil {
			return 0, err
		}
		hits = t.hits(D)
	} else {
		m, err := rateModel(tr, duration)
		if err != nil {
			return 0, err
		}
		hits = m.cum(D)
	}
	if hits > MaxScheduledHits || math.IsNaN(hits) {
		return hits, fmt.Errorf("schedule: %.3g hits planned in %s: %w (at most %d, 8 bytes of memory each; shorten the phase or lower the rate)", hits, duration, ErrScheduleTooLarge, MaxScheduledHits)
	}
	return hits, nil
}

// model is a rate function λ(t), its integral Λ(t) and an inverter.
type model struct {
	rate func(t float64) float64
	cum  func(t float64) float64
	// inverter returns a function giving the smallest t with Λ(t) = x for
	// non-decreasing x (false when Λ never reaches x).
	inverter func() func(x float64) (float64, bool)
}

func rateModel(tr scenarios.Traffic, duration time.Duration) (model, error) {
	D := duration.Seconds()
	neg := func(name string, v float64) error {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("schedule: traffic.%s must be >= 0 (got %g)", name, v)
		}
		return nil
	}
	switch strings.ToLower(tr.Model) {
	case ModelConstant, ModelPoisson:
		// λ(t) = rate; Λ(t) = rate·t.
		r := tr.Rate
		if !(r > 0) {
			return model{}, fmt.Errorf("schedule: traffic.rate must be > 0 (got %g)", r)
		}
		return model{
			rate: func(float64) float64 { return r },
			cum:  func(t float64) float64 { return r * t },
			inverter: func() func(float64) (float64, bool) {
				return func(x float64) (float64, bool) { return x / r, true }
			},
		}, nil
	case ModelRamp:
		// λ(t) = from + (to − from)·t/D; Λ(t) = from·t + (to − from)·t²/(2D).
		a, b := tr.From, tr.To
		if err := errors.Join(neg("from", a), neg("to", b)); err != nil {
			return model{}, err
		}
		if a == 0 && b == 0 {
			return model{}, errors.New("schedule: ramp needs from or to > 0")
		}
		k := (b - a) / (2 * D)
		cum := func(t float64) float64 { return a*t + k*t*t }
		return model{
			rate: func(t float64) float64 { return a + (b-a)*math.Min(t, D)/D },
			cum:  cum,
			inverter: func() func(float64) (float64, bool) {
				return func(x float64) (float64, bool) {
					if x == 0 {
						return 0, true
					}
					disc := a*a + 4*k*x
					if disc < 0 {
						return 0, false
					}
					return 2 * x / (a + math.Sqrt(disc)), true
				}
			},
		}, nil
	case ModelStep:
		// λ(t) = min(start + step·⌊t/every⌋, max) (no cap when max = 0).
		if !(tr.Every > 0) {
			return model{}, fmt.Errorf("schedule: step traffic.every must be > 0 (got %s)", tr.Every)
		}
		if err := errors.Join(neg("start", tr.Start), neg("max", tr.Max)); err != nil {
			return model{}, err
		}
		every := tr.Every.Seconds()
		if n := D / every; n > MaxScheduleSegments {
			return model{}, fmt.Errorf("schedule: step every %s makes %.0f steps in %s (at most %d): %w", tr.Every, n, duration, MaxScheduleSegments, ErrScheduleTooLarge)
		}
		rateAt := func(k float64) float64 {
			r := tr.Start + tr.Step*k
			if tr.Max > 0 {
				r = math.Min(r, tr.Max)
			}
			return math.Max(r, 0)
		}
		return piecewise(D, func(t float64) (float64, float64) {
			k := math.Floor(t/every + 1e-12)
			return rateAt(k), (k + 1) * every
		}), nil
	case ModelSine:
		// λ(t) = mean + amplitude·sin(2πt/period);
		// Λ(t) = mean·t + amplitude·period/(2π)·(1 − cos(2πt/period)).
		m, amp, per := tr.Mean, tr.Amplitude, tr.Period.Seconds()
		if !(m > 0) || !(per > 0) || amp < 0 || amp > m {
			return model{}, fmt.Errorf("schedule: sine needs mean > 0, period > 0 and 0 <= amplitude <= mean (got mean %g, amplitude %g, period %s)", m, amp, tr.Period)
		}
		w := 2 * math.Pi / per
		rate := func(t float64) float64 { return m + amp*math.Sin(w*t) }
		cum := func(t float64) float64 { return m*t + amp/w*(1-math.Cos(w*t)) }
		return model{rate: rate, cum: cum, inverter: func() func(float64) (float64, bool) {
			return bisectInverter(cum, m+amp, D)
		}}, nil
	case ModelBurst:
		// λ(t) = peak for t mod every < length, base otherwise: a burst of
		// `length` at the start of every period.
		if !(tr.Every > 0) || !(tr.Length > 0) || tr.Length > tr.Every {
			return model{}, fmt.Errorf("schedule: burst needs every > 0 and 0 < length <= every (got every %s, length %s)", tr.Every, tr.Length)
		}
		if err := errors.Join(neg("base", tr.Base), neg("peak", tr.Peak)); err != nil {
			return model{}, err
		}
		every, length := tr.Every.Seconds(), tr.Length.Seconds()
		if n := 2 * D / every; n > MaxScheduleSegments {
			return model{}, fmt.Errorf("schedule: burst every %s makes %.0f segments in %s (at most %d): %w", tr.Every, n, duration, MaxScheduleSegments, ErrScheduleTooLarge)
		}
		return piecewise(D, func(t float64) (float64, float64) {
			k := math.Floor(t/every + 1e-12)
			start := k * every
			if t < start+length-1e-12 {
				return tr.Peak, start + length
			}
			return tr.Base, start + every
		}), nil
	case "":
		return model{}, fmt.Errorf("schedule: traffic.model is required, one of [%s]", strings.Join(Models, " "))
	default:
		return model{}, fmt.Errorf("schedule: traffic.model %q isn't one of [%s]", tr.Model, strings.Join(Models, " "))
	}
}

// piecewise builds a model from a piecewise-constant rate: seg(t) returns
// the rate on [t, end). Inversion walks the segments (amortised O(1) per
// arrival).
func piecewise(D float64, seg func(t float64) (rate, end float64)) model {
	rate := func(t float64) float64 { r, _ := seg(t); return r }
	cum := func(T float64) float64 {
		total, t := 0.0, 0.0
		for t < T {
			r, e := seg(t)
			e = math.Min(e, T)
			total += r * (e - t)
			t = e
		}
		return total
	}
	inverter := func() func(float64) (float64, bool) {
		start, acc := 0.0, 0.0
		return func(x float64) (float64, bool) {
			for start < D {
				r, end := seg(start)
				if r > 0 && acc+r*(end-start) > x {
					return start + (x-acc)/r, true
				}
				acc += r * (end - start)
				start = end
			}
			return 0, false
		}
	}
	return model{rate: rate, cum: cum, inverter: inverter}
}

// bisectInverter inverts a continuous non-decreasing Λ on [0, D] by
// bisection to 1 ns, starting from the previous answer.
func bisectInverter(cum func(float64) float64, maxRate, D float64) func(float64) (float64, bool) {
	prev := 0.0
	return func(x float64) (float64, bool) {
		if cum(D) < x {
			return 0, false
		}
		lo, hi := prev, D
		for hi-lo > 1e-9 {
			mid := (lo + hi) / 2
			if cum(mid) < x {
				lo = mid
			} else {
				hi = mid
			}
		}
		prev = lo
		return hi, true
	}
}
