package summary

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/benchctl/benchctl/results"
)

// Bounds of the report's series (SeriesOptions defaults).
const (
	// DefaultMaxScatterPoints bounds the latency-over-time points kept per
	// target; larger runs are decimated (every N-th record, N a power of
	// two) and the chart says "1 in N shown".
	DefaultMaxScatterPoints = 20000
	// DefaultMaxSamples bounds the latency samples kept per target for
	// compare's significance test (decimated the same way).
	DefaultMaxSamples = 20000
	// MaxColdPoints bounds the cold-start points kept per target.
	MaxColdPoints = 5000
	// MaxInitSamples bounds the init durations kept per target.
	MaxInitSamples = 100000
	// MaxErrorMessages bounds the distinct error messages kept per target.
	MaxErrorMessages = 20
	// maxBodySnippet bounds the response body kept with an error message.
	maxBodySnippet = 200
)

// SeriesOptions configures the report's series collector.
type SeriesOptions struct {
	// MaxScatterPoints and MaxSamples bound the decimated series
	// (DefaultMaxScatterPoints, DefaultMaxSamples when 0).
	MaxScatterPoints, MaxSamples int
	// Start is the time the series' seconds count from (the run's start);
	// zero: the first record's timestamp.
	Start time.Time
}

// Point is one request on the latency-over-time chart.
type Point struct {
	T    float64 // seconds since the run started
	Ms   float64 // latency
	Cold bool
	Err  bool
}

// RateBin counts the requests sent and failed in one second.
type RateBin struct {
	Sent, Errors int64
}

// PhaseSpan is the time range (seconds since the run started) of a phase.
type PhaseSpan struct {
	Name       string
	Start, End float64
}

// ErrorSample is one distinct error message of a target with its count and
// the first response body seen with it (truncated).
type ErrorSample struct {
	Message string
	Class   string
	Count   int64
	Body    string
}

// decimator keeps every stride-th value it is offered, doubling the stride
// (and dropping every other kept value) whenever it holds max values. The
// result is deterministic and bounded: the kept values are exactly the
// offered values whose index is a multiple of stride.
type decimator[T any] struct {
	items  []T
	stride int64
	seen   int64
	max    int
}

func newDecimator[T any](max int) decimator[T] {
	if max < 2 {
		max = 2
	}
	return decimator[T]{stride: 1, max: max}
}

func (d *decimator[T]) add(v T) {
	if d.seen%d.stride == 0 {
		d.items = append(d.items, v)
		if len(d.items) >= d.max {
			n := 0
			for i := 0; i < len(d.items); i += 2 {
				d.items[n] = d.items[i]
				n++
			}
			clear(d.items[n:])
			d.items = d.items[:n]
			d.stride *= 2
		}
	}
	d.seen++
}

// TargetSeries is what the series keep about one target.
type TargetSeries struct {
	Name     string
	Requests int64
	Errors   int64
	Cold     int64
	// Latency holds successful requests' latencies in µs (HDR, 3 s.f.).
	Latency *hdrhistogram.Histogram
	// ColdLatency and WarmLatency split Latency by cold start.
	ColdLatency *hdrhistogram.Histogram
	WarmLatency *hdrhistogram.Histogram
	// InitMs holds the first MaxInitSamples init durations.
	InitMs  []float64
	scatter decimator[Point]
	coldPts []Point
	samples decimator[float64]
	bins    []RateBin
	binBase int64
	// errMsgs counts failures by message in order of first appearance (at
	// most MaxErrorMessages distinct; the rest are counted under
	// otherErrors).
	errMsgs     map[string]*ErrorSample
	errOrder    []string
	otherErrors int64
}

// Points returns the kept scatter points (decimated) and the decimation N.
func (t *TargetSeries) Points() ([]Point, int64) { return t.scatter.items, t.scatter.stride }

// ColdPoints returns all cold-start points (up to MaxColdPoints).
func (t *TargetSeries) ColdPoints() []Point { return t.coldPts }

// Samples returns the decimated successful-request latencies in ms.
func (t *TargetSeries) Samples() []float64 { return t.samples.items }

// Bins returns the per-second bins as sorted (second, bin) pairs.
func (t *TargetSeries) Bins() ([]int64, []RateBin) {
	var keys []int64
	var out []RateBin
	for i, b := range t.bins {
		if b != (RateBin{}) {
			keys = append(keys, t.binBase+int64(i))
			out = append(out, b)
		}
	}
	return keys, out
}

// ErrorSamples returns the target's error messages, most frequent first,
// and the number of failures beyond the distinct messages kept.
func (t *TargetSeries) ErrorSamples() ([]ErrorSample, int64) {
	out := make([]ErrorSample, 0, len(t.errMsgs))
	for _, e := range t.errMsgs {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Message < out[j].Message
	})
	return out, t.otherErrors
}

func (t *TargetSeries) bin(sec int64) *RateBin {
	if len(t.bins) == 0 {
		t.binBase = sec
	}
	if sec < t.binBase {
		grow := make([]RateBin, t.binBase-sec, int(t.binBase-sec)+len(t.bins))
		t.bins = append(grow, t.bins...)
		t.binBase = sec
	}
	i := sec - t.binBase
	for int64(len(t.bins)) <= i {
		t.bins = append(t.bins, RateBin{})
	}
	return &t.bins[i]
}

// addError counts one failure with message msg (see errorMessage).
func (t *TargetSeries) addError(msg, class string, body []byte, count int64) {
	if e, ok := t.errMsgs[msg]; ok {
		e.Count += count
		return
	}
	if len(t.errMsgs) >= MaxErrorMessages {
		t.otherErrors += count
		return
	}
	e := &ErrorSample{Message: msg, Class: class, Count: count, Body: bodySnippet(body)}
	t.errMsgs[msg] = e
	t.errOrder = append(t.errOrder, msg)
}

func bodySnippet(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > maxBodySnippet {
		b = b[:maxBodySnippet]
	}
	return strings.ToValidUTF8(string(b), "�")
}

// errorMessage is the message a failure is counted under.
func errorMessage(r *results.Record) string {
	msg := r.Error
	if msg == "" {
		switch {
		case r.FunctionError != "":
			msg = "function error: " + r.FunctionError
		default:
			msg = fmt.Sprintf("HTTP %d", r.Code)
		}
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

// failed reports whether a record counts as a failure in the series.
func failed(r *results.Record) bool {
	return r.Error != "" || r.ErrorClass != "" || r.Code == 0 || r.Code >= 400 || r.FunctionError != ""
}

// Series is the collector of the report's per-record data: per target,
// latency histograms (successful requests, split by cold start), a
// decimated latency-over-time scatter, the cold-start points, init
// durations, a decimated latency sample (compare's significance test),
// requests and errors per second, the distinct error messages, and each
// phase's time span. Its size does not grow with the number of records
// beyond the bounds above (and one rate bin per second of run time).
//
// Order: the decimations (every N-th record), the seconds (counted from
// the first record when SeriesOptions.Start is zero), the first
// cold-start points, the phase order and which error messages are kept
// depend on record order. A fork keeps, per record, the few values these
// need (bounded by the chunk) and its distinct error messages in order of
// first appearance (at most 2 × MaxErrorMessages: no later one could be
// kept), and Merge replays them; counts and histograms merge directly.
type Series struct {
	opts    SeriesOptions
	fork    bool
	Records int64
	Targets []*TargetSeries
	byName  map[string]*TargetSeries
	Phases  []PhaseSpan
	phaseIx map[string]int
	t0      time.Time

	// A fork's replay log: per record (events), with its target and phase
	// by index into names and phaseNames.
	events []seriesEvent
	// lastPhase and lastPhaseIx are the last record's phase and its index
	// in phaseNames (records come in runs of one phase).
	lastPhase   string
	lastPhaseIx int32
	phaseNames  []string
	forkPhase   map[string]int
}

var _ Merger = (*Series)(nil)

// seriesEvent is one record as a fork keeps it for the replay.
type seriesEvent struct {
	// sec and nsec are the record's time (Unix seconds and nanoseconds):
	// no pointer, so the garbage collector does not scan a fork's events.
	sec    int64
	nsec   int32
	target int32
	phase  int32 // -1: none
	ms     float64
	cold   bool
	bad    bool
	sample bool
	// stampZero: the record had no timestamp (ts is its intended time).
	stampZero bool
}

// NewSeries returns an empty collector.
func NewSeries(o SeriesOptions) *Series {
	if o.MaxScatterPoints <= 0 {
		o.MaxScatterPoints = DefaultMaxScatterPoints
	}
	if o.MaxSamples <= 0 {
		o.MaxSamples = DefaultMaxSamples
	}
	return &Series{opts: o, byName: map[string]*TargetSeries{}, phaseIx: map[string]int{}, t0: o.Start}
}

// Fork returns an empty collector with s's options.
func (s *Series) Fork() Merger {
	f := NewSeries(s.opts)
	f.fork = true
	f.forkPhase = map[string]int{}
	return f
}

// Target returns the series of the target named name (nil when it had no
// records).
func (s *Series) Target(name string) *TargetSeries { return s.byName[name] }

func (s *Series) target(name string) (*TargetSeries, int) {
	if len(s.Targets) <= 8 {
		// A few targets: comparing names is cheaper than hashing one.
		for i, t := range s.Targets {
			if t.Name == name {
				return t, i
			}
		}
	}
	t, ok := s.byName[name]
	if !ok {
		t = &TargetSeries{
			Name:        name,
			Latency:     results.NewHistogram(),
			ColdLatency: results.NewHistogram(),
			WarmLatency: results.NewHistogram(),
			scatter:     newDecimator[Point](s.opts.MaxScatterPoints),
			samples:     newDecimator[float64](s.opts.MaxSamples),
			errMsgs:     map[string]*ErrorSample{},
		}
		s.byName[name] = t
		s.Targets = append(s.Targets, t)
		return t, len(s.Targets) - 1
	}
	return t, slices.Index(s.Targets, t)
}

// Add takes one record.
func (s *Series) Add(r *results.Record) {
	s.Records++
	ts := r.Timestamp
	if ts.IsZero() {
		ts = r.Intended
	}
	t, ti := s.target(r.Target)
	t.Requests++
	bad := failed(r)
	ms := float64(r.Latency) / float64(time.Millisecond)
	if bad {
		t.Errors++
		msg := errorMessage(r)
		if s.fork {
			s.forkError(t, msg, r)
		} else {
			t.addError(msg, r.ErrorClass, r.Body, 1)
		}
	}
	if r.Cold {
		t.Cold++
	}
	if r.InitDurationMs != nil && len(t.InitMs) < MaxInitSamples {
		t.InitMs = append(t.InitMs, *r.InitDurationMs)
	}
	sample := !bad && r.Latency > 0
	if sample {
		us := int64(r.Latency / time.Microsecond)
		if us < 1 {
			us = 1
		}
		_ = t.Latency.RecordValue(us) // values beyond 1 h are dropped
		if r.Cold {
			_ = t.ColdLatency.RecordValue(us)
		} else {
			_ = t.WarmLatency.RecordValue(us)
		}
	}
	ev := seriesEvent{sec: ts.Unix(), nsec: int32(ts.Nanosecond()), ms: ms, target: int32(ti), phase: -1, cold: r.Cold, bad: bad,
		sample: sample, stampZero: r.Timestamp.IsZero()}
	if s.fork {
		if r.Phase != "" {
			if r.Phase != s.lastPhase {
				i, ok := s.forkPhase[r.Phase]
				if !ok {
					i = len(s.phaseNames)
					s.forkPhase[r.Phase] = i
					s.phaseNames = append(s.phaseNames, r.Phase)
				}
				s.lastPhase, s.lastPhaseIx = r.Phase, int32(i)
			}
			ev.phase = s.lastPhaseIx
		}
		if s.events == nil {
			s.events = seriesEvents()
		}
		s.events = append(s.events, ev)
		return
	}
	s.replay(t, ev, r.Phase)
}

// forkError counts a failure in a fork: its first 2 × MaxErrorMessages
// distinct messages in order (only those can be kept after the merge),
// the rest under otherErrors.
func (s *Series) forkError(t *TargetSeries, msg string, r *results.Record) {
	if e, ok := t.errMsgs[msg]; ok {
		e.Count++
		return
	}
	if len(t.errMsgs) >= 2*MaxErrorMessages {
		t.otherErrors++
		return
	}
	t.errMsgs[msg] = &ErrorSample{Message: msg, Class: r.ErrorClass, Count: 1, Body: bodySnippet(r.Body)}
	t.errOrder = append(t.errOrder, msg)
}

// replay applies the order-dependent part of one record to target t.
// Without SeriesOptions.Start the clock starts at the first record's
// (non-zero) timestamp.
func (s *Series) replay(t *TargetSeries, ev seriesEvent, phase string) {
	ts := time.Unix(ev.sec, int64(ev.nsec))
	if s.t0.IsZero() && !ev.stampZero {
		s.t0 = ts
	}
	sec := ts.Sub(s.t0).Seconds()
	b := t.bin(int64(math.Floor(sec)))
	b.Sent++
	if ev.bad {
		b.Errors++
	}
	p := Point{T: sec, Ms: ev.ms, Cold: ev.cold, Err: ev.bad}
	t.scatter.add(p)
	if ev.cold && len(t.coldPts) < MaxColdPoints {
		t.coldPts = append(t.coldPts, p)
	}
	if ev.sample {
		t.samples.add(ev.ms)
	}
	if phase != "" {
		i, ok := s.phaseIx[phase]
		if !ok {
			s.phaseIx[phase] = len(s.Phases)
			s.Phases = append(s.Phases, PhaseSpan{Name: phase, Start: sec, End: sec})
		} else {
			ps := &s.Phases[i]
			ps.Start = math.Min(ps.Start, sec)
			ps.End = math.Max(ps.End, sec)
		}
	}
}

// Merge folds a fork that saw the records after s's (s is not itself a
// fork: the pipeline folds forks into the collectors it was given).
func (s *Series) Merge(later Merger) {
	f := later.(*Series)
	s.Records += f.Records
	idx := make([]*TargetSeries, len(f.Targets))
	for i, ft := range f.Targets {
		t, _ := s.target(ft.Name)
		idx[i] = t
		t.Requests += ft.Requests
		t.Errors += ft.Errors
		t.Cold += ft.Cold
		for _, h := range [][2]*hdr.Histogram{{t.Latency, ft.Latency}, {t.ColdLatency, ft.ColdLatency}, {t.WarmLatency, ft.WarmLatency}} {
			h[0].Merge(h[1])
			results.ReleaseHistogram(h[1]) // the fork is done with it
		}
		if room := MaxInitSamples - len(t.InitMs); room > 0 {
			t.InitMs = append(t.InitMs, ft.InitMs[:min(room, len(ft.InitMs))]...)
		}
		for _, msg := range ft.errOrder {
			e := ft.errMsgs[msg]
			t.addError(msg, e.Class, []byte(e.Body), e.Count)
		}
		t.otherErrors += ft.otherErrors
	}
	for _, ev := range f.events {
		phase := ""
		if ev.phase >= 0 {
			phase = f.phaseNames[ev.phase]
		}
		s.replay(idx[ev.target], ev, phase)
	}
	releaseSeriesEvents(f.events)
	f.events = nil
}

// eventBuffers holds the replay logs of merged forks for the next forks:
// a pass over a large file would otherwise allocate (and collect) one per
// chunk, grown a record at a time.
var eventBuffers sync.Pool

// seriesEvents returns an empty replay log.
func seriesEvents() []seriesEvent {
	if b, ok := eventBuffers.Get().(*[]seriesEvent); ok {
		return (*b)[:0]
	}
	return nil
}

// releaseSeriesEvents hands back a fork's replay log once it is replayed.
func releaseSeriesEvents(b []seriesEvent) {
	if cap(b) > 0 {
		b = b[:0]
		eventBuffers.Put(&b)
	}
}

// Apply drops the targets without records and puts the others in the
// summary's target order (then order of appearance).
func (s *Series) Apply(ctx context.Context, sum *results.Summary) error {
	var order []string
	for _, t := range sum.Targets {
		order = append(order, t.Name)
	}
	s.Order(order)
	return nil
}

// Order sorts Targets: those named in order first, in that order, then
// the others in order of appearance.
func (s *Series) Order(order []string) {
	var out []*TargetSeries
	for _, n := range order {
		if t := s.byName[n]; t != nil && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	for _, t := range s.Targets {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	s.Targets = out
}
