// Package traces reads the public invocation-trace formats that benchctl
// replays as load (loadgen's trace model) and turns into monthly traffic
// profiles (pricing): per-minute invocation counts and absolute arrival
// timestamps, including the Azure Functions 2019 and 2021 layouts. See
// notes on the formats in the scenario reference (traffic.format).
package traces

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Trace formats (scenario traffic.format and pricing.profile.trace_format).
const (
	// PerMinuteCounts is a CSV of per-minute invocation counts: either the
	// Azure Functions 2019 layout (HashOwner,HashApp,HashFunction,Trigger,1,…,1440;
	// all rows are summed, so filter the file to the functions you want) or
	// a plain list of counts, one per line, optionally "minute,count".
	PerMinuteCounts = "per-minute-counts"
	// Timestamps is a CSV of absolute arrival times in seconds: a single
	// column, or the Azure Functions 2021 layout
	// (app,func,end_timestamp,duration) where arrival = end − duration.
	Timestamps = "timestamps"
	// AzureFunctions is either Azure Functions layout, told apart by its
	// header: end_timestamp means the 2021 invocation trace (timestamps),
	// otherwise the 2019 per-minute counts.
	AzureFunctions = "azure-functions"
)

// Formats lists the trace formats and their accepted aliases.
var Formats = []string{PerMinuteCounts, Timestamps, AzureFunctions, "azure-2019", "azure-2021"}

// Resolve maps a format name (or alias, "" meaning per-minute counts) to
// PerMinuteCounts or Timestamps, looking at the file's header for
// AzureFunctions.
func Resolve(format string, raw []byte) (string, error) {
	switch strings.ToLower(format) {
	case "", PerMinuteCounts, "per_minute", "minutes", "counts", "azure-2019":
		return PerMinuteCounts, nil
	case Timestamps, "timestamp", "azure-2021":
		return Timestamps, nil
	case AzureFunctions:
		first, _, _ := bytes.Cut(raw, []byte("\n"))
		if bytes.Contains(bytes.ToLower(first), []byte("end_timestamp")) {
			return Timestamps, nil
		}
		return PerMinuteCounts, nil
	}
	return "", fmt.Errorf("trace format %q isn't one of [%s]", format, strings.Join(Formats, " "))
}

// readCSV reads the non-blank rows of raw and the file line each starts on.
func readCSV(raw []byte) (rows [][]string, lines []int, err error) {
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.Comment = '#'
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, lines, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			continue
		}
		line, _ := r.FieldPos(0)
		rows = append(rows, row)
		lines = append(lines, line)
	}
}

// parseFinite parses a number that is neither NaN nor infinite (strconv
// accepts "NaN" and "Inf"; a trace holding them is broken).
func parseFinite(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
		err = errors.New("not a finite number")
	}
	return v, err
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil
}

// ParseMinuteCounts reads per-minute counts (see PerMinuteCounts), one
// value per minute, rounded to whole invocations.
func ParseMinuteCounts(raw []byte) ([]float64, error) {
	rows, lines, err := readCSV(raw)
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
				v, err := parseFinite(row[j])
				if err != nil || v < 0 {
					return nil, fmt.Errorf("line %d column %s: bad count %q", lines[ri+1], header[j], row[j])
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
		rows, lines = rows[1:], lines[1:] // a header line such as "minute,count"
	}
	counts := make([]float64, 0, len(rows))
	for i, row := range rows {
		cell := row[len(row)-1]
		v, err := parseFinite(cell)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("line %d: bad count %q", lines[i], cell)
		}
		counts = append(counts, math.Round(v))
	}
	return counts, nil
}

// ParseTimestamps reads absolute arrival times in seconds (see
// Timestamps), sorted.
func ParseTimestamps(raw []byte) ([]float64, error) {
	rows, lines, err := readCSV(raw)
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
		rows, lines = rows[1:], lines[1:]
	}
	ts := make([]float64, 0, len(rows))
	for i, row := range rows {
		c := max(endCol, 0)
		if c >= len(row) {
			return nil, fmt.Errorf("line %d: missing timestamp column", lines[i])
		}
		t, err := parseFinite(row[c])
		if err != nil {
			return nil, fmt.Errorf("line %d: bad timestamp %q", lines[i], row[c])
		}
		if durCol >= 0 && durCol < len(row) {
			d, err := parseFinite(row[durCol])
			if err != nil || d < 0 {
				return nil, fmt.Errorf("line %d: bad duration %q", lines[i], row[durCol])
			}
			t -= d
		}
		ts = append(ts, t)
	}
	if len(ts) == 0 {
		return nil, errors.New("no timestamps")
	}
	slices.Sort(ts)
	return ts, nil
}
