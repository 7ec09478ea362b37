package loadgen

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/benchctl/benchctl/scenarios"
)

// Trace formats (scenario traffic.format for the trace model).
const (
	// TraceMinutes is a CSV of per-minute invocation counts: either the
	// Azure Functions 2019 layout (HashOwner,HashApp,HashFunction,Trigger,1,…,1440;
	// all rows are summed, so filter the file to the functions you want) or
	// a plain list of counts, one per line, optionally "minute,count".
	TraceMinutes = "per-minute-counts"
	// TraceTimestamps is a CSV of absolute arrival times in seconds: a
	// single column, or the Azure Functions 2021 layout
	// (app,func,end_timestamp,duration) where arrival = end − duration.
	TraceTimestamps = "timestamps"
	// TraceAzure is either Azure Functions layout, told apart by its header:
	// end_timestamp means the 2021 invocation trace (timestamps), otherwise
	// the 2019 per-minute counts.
	TraceAzure = "azure-functions"
)

// TraceFormats lists the trace formats and their accepted aliases.
var TraceFormats = []string{TraceMinutes, TraceTimestamps, TraceAzure, "azure-2019", "azure-2021"}

func traceFormat(f string, raw []byte) (string, error) {
	switch strings.ToLower(f) {
	case "", TraceMinutes, "per_minute", "minutes", "counts", "azure-2019":
		return TraceMinutes, nil
	case TraceTimestamps, "timestamp", "azure-2021":
		return TraceTimestamps, nil
	case TraceAzure:
		first, _, _ := bytes.Cut(raw, []byte("\n"))
		if bytes.Contains(bytes.ToLower(first), []byte("end_timestamp")) {
			return TraceTimestamps, nil
		}
		return TraceMinutes, nil
	}
	return "", fmt.Errorf("schedule: traffic.format %q isn't one of [%s]", f, strings.Join(TraceFormats, " "))
}

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
	format, err := traceFormat(tr.Format, raw)
	if err != nil {
		return nil, nil, err
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
		ts, err := parseTimestamps(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("schedule: trace %s: %w", tr.File, err)
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
	counts, err := parseMinuteCounts(raw)
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

func readCSV(raw []byte) ([][]string, error) {
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.Comment = '#'
	var rows [][]string
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			continue
		}
		rows = append(rows, row)
	}
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil
}

// parseMinuteCounts reads per-minute counts (see TraceMinutes).
func parseMinuteCounts(raw []byte) ([]float64, error) {
	rows, err := readCSV(raw)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New("no rows")
	}
	header := rows[0]
	// Azure 2019: columns named 1..1440 after the hash/trigger columns.
	if idx := slices.Index(header, "1"); idx >= 0 && !isNumber(header[0]) {
		var counts []float64
		for ri, row := range rows[1:] {
			for j := idx; j < len(row) && j < len(header); j++ {
				v, err := strconv.ParseFloat(strings.TrimSpace(row[j]), 64)
				if err != nil || v < 0 {
					return nil, fmt.Errorf("row %d column %s: bad count %q", ri+2, header[j], row[j])
				}
				for len(counts) <= j-idx {
					counts = append(counts, 0)
				}
				counts[j-idx] += math.Round(v)
			}
		}
		return counts, nil
	}
	if !isNumber(header[len(header)-1]) {
		rows = rows[1:] // a header line such as "minute,count"
	}
	counts := make([]float64, 0, len(rows))
	for i, row := range rows {
		cell := row[len(row)-1]
		v, err := strconv.ParseFloat(strings.TrimSpace(cell), 64)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("line %d: bad count %q", i+1, cell)
		}
		counts = append(counts, math.Round(v))
	}
	return counts, nil
}

// parseTimestamps reads absolute arrival times in seconds (see
// TraceTimestamps), sorted.
func parseTimestamps(raw []byte) ([]float64, error) {
	rows, err := readCSV(raw)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New("no rows")
	}
	endCol, durCol := -1, -1
	if h := rows[0]; !isNumber(h[len(h)-1]) {
		for i, name := range h {
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "end_timestamp":
				endCol = i
			case "duration":
				durCol = i
			case "timestamp", "time", "arrival":
				endCol = i
			}
		}
		if endCol < 0 {
			endCol = 0
		}
		rows = rows[1:]
	}
	ts := make([]float64, 0, len(rows))
	for i, row := range rows {
		c := max(endCol, 0)
		if c >= len(row) {
			return nil, fmt.Errorf("line %d: missing timestamp column", i+2)
		}
		t, err := strconv.ParseFloat(strings.TrimSpace(row[c]), 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: bad timestamp %q", i+2, row[c])
		}
		if durCol >= 0 && durCol < len(row) {
			d, err := strconv.ParseFloat(strings.TrimSpace(row[durCol]), 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: bad duration %q", i+2, row[durCol])
			}
			t -= d
		}
		ts = append(ts, t)
	}
	if len(ts) == 0 {
		return nil, errors.New("no timestamps")
	}
	if len(ts) > MaxScheduledHits {
		return nil, ErrScheduleTooLarge
	}
	slices.Sort(ts)
	return ts, nil
}
