package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/benchctl/benchctl/results"
)

// DefaultMaxScatterPoints bounds the latency-over-time points kept per
// target; larger runs are decimated (every N-th record, N a power of two)
// and the chart says "1 in N shown".
const DefaultMaxScatterPoints = 20000

// DefaultMaxSamples bounds the latency samples kept per target for Compare's
// significance test (decimated the same way).
const DefaultMaxSamples = 20000

// maxColdPoints bounds the cold-start points kept per target; cold starts are
// drawn all when there are fewer.
const maxColdPoints = 5000

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

// point is one request on the latency-over-time chart.
type point struct {
	T    float64 // seconds since the run started
	Ms   float64 // latency
	Cold bool
	Err  bool
}

// rateBin counts the requests sent and failed in one second.
type rateBin struct {
	Sent, Errors int64
}

// phaseSpan is the time range (seconds since the run started) of a phase.
type phaseSpan struct {
	Name       string
	Start, End float64
}

// targetData is what one streaming pass keeps about one target.
type targetData struct {
	Name     string
	Requests int64
	Errors   int64
	Cold     int64
	// Latency holds successful requests' latencies in µs (HDR, 3 s.f.).
	Latency *hdrhistogram.Histogram
	// ColdLatency and WarmLatency split Latency by cold start.
	ColdLatency *hdrhistogram.Histogram
	WarmLatency *hdrhistogram.Histogram
	InitMs      []float64
	scatter     decimator[point]
	coldPts     []point
	samples     decimator[float64]
	bins        map[int64]*rateBin
	// errMsgs counts failures by message (at most maxErrorMessages
	// distinct; the rest are counted under otherErrors).
	errMsgs     map[string]*ErrorSample
	otherErrors int64
}

// maxErrorMessages bounds the distinct error messages kept per target.
const maxErrorMessages = 20

// ErrorSample is one distinct error message of a target with its count and
// the first response body seen with it (truncated).
type ErrorSample struct {
	Message string
	Class   string
	Count   int64
	Body    string
}

// ErrorSamples returns the target's error messages, most frequent first,
// and the number of failures beyond the distinct messages kept.
func (t *targetData) ErrorSamples() ([]ErrorSample, int64) {
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

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(1, 3_600_000_000, 3) }

func newTargetData(name string, maxScatter, maxSamples int) *targetData {
	return &targetData{
		Name:        name,
		Latency:     newHist(),
		ColdLatency: newHist(),
		WarmLatency: newHist(),
		scatter:     newDecimator[point](maxScatter),
		samples:     newDecimator[float64](maxSamples),
		bins:        map[int64]*rateBin{},
		errMsgs:     map[string]*ErrorSample{},
	}
}

// recordData is everything a streaming pass over results.jsonl keeps; its
// size does not grow with the number of records beyond the bounds above
// (and one rate bin per second of run time).
type recordData struct {
	Records int64
	Targets []*targetData
	byName  map[string]*targetData
	Phases  []phaseSpan
	phaseIx map[string]int
	t0      time.Time
}

// Points returns the kept scatter points (decimated) and the decimation N.
func (t *targetData) Points() ([]point, int64) { return t.scatter.items, t.scatter.stride }

// ColdPoints returns all cold-start points (up to maxColdPoints).
func (t *targetData) ColdPoints() []point { return t.coldPts }

// Samples returns the decimated successful-request latencies in ms.
func (t *targetData) Samples() []float64 { return t.samples.items }

// Bins returns the per-second bins as sorted (second, bin) pairs.
func (t *targetData) Bins() ([]int64, []rateBin) {
	keys := make([]int64, 0, len(t.bins))
	for k := range t.bins {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	out := make([]rateBin, len(keys))
	for i, k := range keys {
		out[i] = *t.bins[k]
	}
	return keys, out
}

// collect streams every record from dec once. t0 is the run's start (zero:
// the first record's timestamp). order lists target names in display order
// (targets met that are not in it are appended).
func collect(ctx context.Context, dec decoder, t0 time.Time, order []string, maxScatter, maxSamples int) (*recordData, error) {
	rd := &recordData{byName: map[string]*targetData{}, phaseIx: map[string]int{}, t0: t0}
	for _, n := range order {
		rd.target(n, maxScatter, maxSamples)
	}
	var r results.Record
	for {
		if rd.Records%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("read records: %w", err)
			}
		}
		err := dec(&r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read records: %w", err)
		}
		rd.add(&r, maxScatter, maxSamples)
	}
	// Drop targets that had no records.
	kept := rd.Targets[:0]
	for _, t := range rd.Targets {
		if t.Requests > 0 {
			kept = append(kept, t)
		}
	}
	rd.Targets = kept
	return rd, nil
}

func (rd *recordData) target(name string, maxScatter, maxSamples int) *targetData {
	t, ok := rd.byName[name]
	if !ok {
		t = newTargetData(name, maxScatter, maxSamples)
		rd.byName[name] = t
		rd.Targets = append(rd.Targets, t)
	}
	return t
}

// failed reports whether a record counts as a failure.
func failed(r *results.Record) bool {
	return r.Error != "" || r.ErrorClass != "" || r.Code == 0 || r.Code >= 400 || r.FunctionError != ""
}

func (rd *recordData) add(r *results.Record, maxScatter, maxSamples int) {
	if rd.t0.IsZero() {
		rd.t0 = r.Timestamp
	}
	rd.Records++
	ts := r.Timestamp
	if ts.IsZero() {
		ts = r.Intended
	}
	sec := ts.Sub(rd.t0).Seconds()
	t := rd.target(r.Target, maxScatter, maxSamples)
	t.Requests++
	bad := failed(r)
	ms := float64(r.Latency) / float64(time.Millisecond)
	bin := t.bins[int64(math.Floor(sec))]
	if bin == nil {
		bin = &rateBin{}
		t.bins[int64(math.Floor(sec))] = bin
	}
	bin.Sent++
	if bad {
		t.Errors++
		bin.Errors++
		t.addError(r)
	}
	if r.Cold {
		t.Cold++
	}
	p := point{T: sec, Ms: ms, Cold: r.Cold, Err: bad}
	t.scatter.add(p)
	if r.Cold && len(t.coldPts) < maxColdPoints {
		t.coldPts = append(t.coldPts, p)
	}
	if r.InitDurationMs != nil && len(t.InitMs) < 100000 {
		t.InitMs = append(t.InitMs, *r.InitDurationMs)
	}
	if !bad && r.Latency > 0 {
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
		t.samples.add(ms)
	}
	if r.Phase != "" {
		i, ok := rd.phaseIx[r.Phase]
		if !ok {
			rd.phaseIx[r.Phase] = len(rd.Phases)
			rd.Phases = append(rd.Phases, phaseSpan{Name: r.Phase, Start: sec, End: sec})
		} else {
			ps := &rd.Phases[i]
			ps.Start = math.Min(ps.Start, sec)
			ps.End = math.Max(ps.End, sec)
		}
	}
}

// maxBodySnippet bounds the response body kept with an error message.
const maxBodySnippet = 200

func (t *targetData) addError(r *results.Record) {
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
	e, ok := t.errMsgs[msg]
	if !ok {
		if len(t.errMsgs) >= maxErrorMessages {
			t.otherErrors++
			return
		}
		e = &ErrorSample{Message: msg, Class: r.ErrorClass}
		if len(r.Body) > 0 {
			b := r.Body
			if len(b) > maxBodySnippet {
				b = b[:maxBodySnippet]
			}
			e.Body = strings.ToValidUTF8(string(b), "�")
		}
		t.errMsgs[msg] = e
	}
	e.Count++
}

// quantileMs returns the latency at quantile q (0..1) of h in ms.
func quantileMs(h *hdrhistogram.Histogram, q float64) float64 {
	return float64(h.ValueAtQuantile(q*100)) / 1000
}
