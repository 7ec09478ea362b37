package report

import (
	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/benchctl/benchctl/summary"
)

// The report's per-record series are collected by the summary pipeline in
// its one pass over results.jsonl (summary.Series); the report reads them.
type (
	recordData = summary.Series
	targetData = summary.TargetSeries
	point      = summary.Point
	rateBin    = summary.RateBin
	phaseSpan  = summary.PhaseSpan
	// ErrorSample is one distinct error message of a target with its
	// count and the first response body seen with it (truncated).
	ErrorSample = summary.ErrorSample
)

// Bounds of the series (the summary pipeline's).
const (
	// DefaultMaxScatterPoints bounds the latency-over-time points kept per
	// target; larger runs are decimated (every N-th record, N a power of
	// two) and the chart says "1 in N shown".
	DefaultMaxScatterPoints = summary.DefaultMaxScatterPoints
	// DefaultMaxSamples bounds the latency samples kept per target for
	// Compare's significance test (decimated the same way).
	DefaultMaxSamples = summary.DefaultMaxSamples
)

// quantileMs returns the latency at quantile q (0..1) of h in ms.
func quantileMs(h *hdrhistogram.Histogram, q float64) float64 {
	return float64(h.ValueAtQuantile(q*100)) / 1000
}
