package loadgen

import (
	"errors"
	"fmt"
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

// traceSchedule replays a trace. Per-minute counts: minute m (lasting
// 60 s / time_scale) gets exactly its count of arrivals, placed as n sorted
// uniform draws in the minute (a Poisson process conditioned on its count;
// traffic.arrivals: uniform spaces them evenly instead). Timestamps: hit i is
// sent at (t_i − t_0) / time_scale. Hits at or after duration are cut.
func traceSchedule(tr scenarios.Traffic, duration time.Duration, opts ScheduleOptions) ([]time.Duration, func(float64) float64, error) {
	if tr.File == "" {
		return nil, nil, errors.New("schedule: trace needs traffic.file")
	}
	if opts.ReadFile == nil {
		return nil, nil, errors.New("schedule: trace: no file reader configured")
	}
	raw, err := opts.ReadFile(tr.File)
	if err != nil {
		return nil, nil, fmt.Errorf("schedule: read trace: %w", err)
	}
	format, err := traces.Resolve(tr.Format, raw)
	if err != nil {
		return nil, nil, fmt.Errorf("schedule: traffic.format: %w", err)
	}
	scale := tr.TimeScale
	if scale == 0 {
		scale = 1
	}
	if !(scale > 0) {
		return nil, nil, fmt.Errorf("schedule: traffic.time_scale must be > 0 (got %g)", scale)
	}
	D := duration.Seconds()
	if format == TraceTimestamps {
		ts, err := traces.ParseTimestamps(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("schedule: trace %s: %w", tr.File, err)
		}
		if len(ts) > MaxScheduledHits {
			return nil, nil, fmt.Errorf("schedule: trace has %d hits: %w", len(ts), ErrScheduleTooLarge)
		}
		var offs []time.Duration
		for _, t := range ts {
			o := (t - ts[0]) / scale
			if o >= D {
				break
			}
			offs = append(offs, time.Duration(o*1e9))
		}
		return offs, func(float64) float64 { return float64(len(offs)) / D }, nil
	}
	counts, err := traces.ParseMinuteCounts(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("schedule: trace %s: %w", tr.File, err)
	}
	minute := 60 / scale
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x5851f42d4c957f2d))
	uniform := strings.EqualFold(tr.Arrivals, ArrivalsUniform)
	var offs []time.Duration
	var total float64
	for _, c := range counts {
		total += c
	}
	if total > MaxScheduledHits {
		return nil, nil, fmt.Errorf("schedule: trace has %.0f hits: %w", total, ErrScheduleTooLarge)
	}
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
