package loadgen

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/benchctl/benchctl/scenarios"
	"github.com/benchctl/benchctl/traces"
)

// Trace formats for the trace model (see package traces).
const (
	// TraceMinutes is traces.PerMinuteCounts.
	TraceMinutes = traces.PerMinuteCounts
	// TraceTimestamps is traces.Timestamps.
	TraceTimestamps = traces.Timestamps
	// TraceAzure is traces.AzureFunctions.
	TraceAzure = traces.AzureFunctions
)

// trace is a trace file as read for a phase.
type trace struct {
	format string
	// counts are per-minute counts (TraceMinutes), ts arrival times in
	// seconds (TraceTimestamps).
	counts, ts []float64
	scale      float64
}

// ErrTrace wraps every problem with a phase's trace file (reading,
// parsing, its contents).
var ErrTrace = errors.New("trace")

// readTrace reads and parses the trace of tr.
func readTrace(tr scenarios.Traffic, opts ScheduleOptions) (trace, error) {
	bad := func(format string, args ...any) (trace, error) {
		return trace{}, fmt.Errorf("schedule: %w %s: %s", ErrTrace, tr.File, fmt.Sprintf(format, args...))
	}
	if tr.File == "" {
		return trace{}, fmt.Errorf("schedule: %w: trace needs traffic.file", ErrTrace)
	}
	if opts.ReadFile == nil {
		return trace{}, fmt.Errorf("schedule: %w: no file reader configured", ErrTrace)
	}
	scale := tr.TimeScale
	if scale == 0 {
		scale = 1
	}
	if !(scale > 0) || math.IsInf(scale, 0) {
		return trace{}, fmt.Errorf("schedule: traffic.time_scale must be > 0 and finite (got %g)", scale)
	}
	raw, err := opts.ReadFile(tr.File)
	if err != nil {
		return bad("cannot read: %v", err)
	}
	format, err := traces.Resolve(tr.Format, raw)
	if err != nil {
		return trace{}, fmt.Errorf("schedule: traffic.format: %w", err)
	}
	t := trace{format: format, scale: scale}
	if format == TraceTimestamps {
		if t.ts, err = traces.ParseTimestamps(raw); err != nil {
			return bad("%v", err)
		}
		return t, nil
	}
	if t.counts, err = traces.ParseMinuteCounts(raw); err != nil {
		return bad("%v", err)
	}
	return t, nil
}

// hits is how many arrivals the trace plans before D seconds.
func (t trace) hits(D float64) float64 {
	if t.format == TraceTimestamps {
		n := 0
		for _, x := range t.ts {
			if (x-t.ts[0])/t.scale >= D {
				break
			}
			n++
		}
		return float64(n)
	}
	minute := 60 / t.scale
	var total float64
	for m, c := range t.counts {
		if float64(m)*minute >= D {
			break
		}
		total += c
	}
	return total
}

// traceSchedule replays a trace. Per-minute counts: minute m (lasting
// 60 s / time_scale) gets exactly its count of arrivals, placed as n sorted
// uniform draws in the minute (a Poisson process conditioned on its count;
// traffic.arrivals: uniform spaces them evenly instead). Timestamps: hit i is
// sent at (t_i − t_0) / time_scale. Hits at or after duration are cut.
func traceSchedule(tr scenarios.Traffic, duration time.Duration, opts ScheduleOptions) ([]time.Duration, func(float64) float64, error) {
	t, err := readTrace(tr, opts)
	if err != nil {
		return nil, nil, err
	}
	D := duration.Seconds()
	if n := t.hits(D); n > MaxScheduledHits {
		return nil, nil, fmt.Errorf("schedule: trace plans %.0f hits: %w (max %d)", n, ErrScheduleTooLarge, MaxScheduledHits)
	}
	scale := t.scale
	if t.format == TraceTimestamps {
		ts := t.ts
		var offs []time.Duration
		for _, x := range ts {
			o := (x - ts[0]) / scale
			if o >= D {
				break
			}
			offs = append(offs, time.Duration(o*1e9))
		}
		return offs, func(float64) float64 { return float64(len(offs)) / D }, nil
	}
	counts := t.counts
	minute := 60 / scale
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x5851f42d4c957f2d))
	uniform := strings.EqualFold(tr.Arrivals, ArrivalsUniform)
	var offs []time.Duration
	buf := make([]float64, 0, 64)
	for m, c := range counts {
		start := float64(m) * minute
		if start >= D {
			break
		}
		n := int(c)
		buf = buf[:0]
		for j := range n {
			if uniform {
				buf = append(buf, (float64(j)+0.5)/float64(n))
			} else {
				buf = append(buf, rng.Float64())
			}
		}
		slices.Sort(buf)
		for _, u := range buf {
			t := start + u*minute
			if t < D {
				offs = append(offs, time.Duration(t*1e9))
			}
		}
	}
	rate := func(t float64) float64 {
		m := int(t / minute)
		if m < 0 || m >= len(counts) {
			return 0
		}
		return counts[m] / minute
	}
	return offs, rate, nil
}
