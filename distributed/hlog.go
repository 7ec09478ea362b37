package distributed

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/benchctl/benchctl/results"
)

// HistogramsFile is the run-directory (and worker) file holding one HDR
// histogram per target, phase, step and metric.
const HistogramsFile = "histograms.hlog"

// Histogram metrics (the metric= part of a tag), values in microseconds:
// the record's corrected latency, its latency, its dispatch lag and the
// serverless REPORT durations.
const (
	MetricLatency        = "latency"
	MetricServiceLatency = "service_latency"
	MetricDispatchLag    = "dispatch_lag"
	MetricDuration       = "duration"
	MetricBilledDuration = "billed_duration"
	MetricInitDuration   = "init_duration"
)

// Histogram range and precision, as the summary's (1 µs to 1 h, 3
// significant digits).
const (
	histLowest  = 1
	histHighest = int64(time.Hour / time.Microsecond)
	histSigFigs = 3
)

// Histograms holds one HDR histogram per tag
// "target=<t>;phase=<p>;step=<s>;metric=<m>", filled from records exactly
// as the summary's distributions are (values rounded to the microsecond,
// negative ones as 0, above an hour as an hour; drops have no latency).
// Histograms of the same tag merge exactly (hdr Merge), so the workers'
// files merged equal the file of all their records. It is written as an
// HdrHistogram interval log (V2, compressed), readable by HdrHistogram's
// own tools.
type Histograms struct {
	h    map[string]*hdr.Histogram
	tags []string
}

// NewHistograms returns an empty set.
func NewHistograms() *Histograms { return &Histograms{h: map[string]*hdr.Histogram{}} }

// Tag is the histogram tag of a target, phase, step and metric.
func Tag(target, phase, step, metric string) string {
	return "target=" + target + ";phase=" + phase + ";step=" + step + ";metric=" + metric
}

func (hs *Histograms) get(tag string) *hdr.Histogram {
	h := hs.h[tag]
	if h == nil {
		h = hdr.New(histLowest, histHighest, histSigFigs)
		h.SetTag(tag)
		hs.h[tag] = h
		hs.tags = append(hs.tags, tag)
	}
	return h
}

func micros(d time.Duration) int64 { return microsMs(float64(d) / 1e6) }

func microsMs(ms float64) int64 {
	if ms < 0 || math.IsNaN(ms) {
		return 0
	}
	us := int64(math.Round(ms * 1000))
	return min(us, histHighest)
}

// Add records r.
func (hs *Histograms) Add(r *results.Record) {
	class := r.ErrorClass
	if class == results.ErrorClassDropped {
		return
	}
	rec := func(metric string, us int64) {
		_ = hs.get(Tag(r.Target, r.Phase, r.Step, metric)).RecordValue(us)
	}
	corrected := r.CorrectedLatency
	if corrected == 0 {
		corrected = r.Latency
	}
	rec(MetricLatency, micros(corrected))
	rec(MetricServiceLatency, micros(r.Latency))
	if !r.Intended.IsZero() {
		// Wall-clock difference (Round(0) drops the monotonic reading): the
		// same value whether computed in memory or from the saved record.
		rec(MetricDispatchLag, micros(r.Timestamp.Round(0).Sub(r.Intended.Round(0))))
	}
	if r.DurationMs != nil {
		rec(MetricDuration, microsMs(*r.DurationMs))
	}
	if r.BilledDurationMs != nil {
		rec(MetricBilledDuration, microsMs(*r.BilledDurationMs))
	}
	if r.InitDurationMs != nil {
		rec(MetricInitDuration, microsMs(*r.InitDurationMs))
	}
}

// Merge adds every histogram of other into hs (exact: bucket counts add).
func (hs *Histograms) Merge(other *Histograms) error {
	for _, tag := range other.tags {
		if dropped := hs.get(tag).Merge(other.h[tag]); dropped != 0 {
			return fmt.Errorf("histograms: merging %s dropped %d values", tag, dropped)
		}
	}
	return nil
}

// Tags lists the tags in the order they were first seen.
func (hs *Histograms) Tags() []string { return slices.Clone(hs.tags) }

// Get returns the histogram of tag (nil when absent).
func (hs *Histograms) Get(tag string) *hdr.Histogram { return hs.h[tag] }

// Equal reports whether both sets hold the same tags with identical
// bucket counts; the first difference is described.
func (hs *Histograms) Equal(other *Histograms) (bool, string) {
	if len(hs.h) != len(other.h) {
		return false, fmt.Sprintf("%d histograms vs %d", len(hs.h), len(other.h))
	}
	for tag, h := range hs.h {
		o := other.h[tag]
		if o == nil {
			return false, tag + " missing"
		}
		if !h.Equals(o) {
			return false, fmt.Sprintf("%s differs: %d values (p99 %d µs) vs %d (p99 %d µs)", tag,
				h.TotalCount(), h.ValueAtQuantile(99), o.TotalCount(), o.ValueAtQuantile(99))
		}
	}
	return true, ""
}

// WriteTo writes the set as an HdrHistogram V2 interval log, tags sorted.
func (hs *Histograms) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	lw := hdr.NewHistogramLogWriter(cw)
	if err := lw.OutputLogFormatVersion(); err != nil {
		return cw.n, err
	}
	if err := lw.OutputLegend(); err != nil {
		return cw.n, err
	}
	tags := slices.Clone(hs.tags)
	slices.Sort(tags)
	for _, tag := range tags {
		if err := lw.OutputIntervalHistogram(hs.h[tag]); err != nil {
			return cw.n, fmt.Errorf("histograms: write %s: %w", tag, err)
		}
	}
	return cw.n, nil
}

// ReadHistograms reads an interval log; histograms with the same tag
// (several intervals) are merged.
func ReadHistograms(r io.Reader) (*Histograms, error) {
	hs := NewHistograms()
	lr := hdr.NewHistogramLogReader(r)
	for {
		h, err := lr.NextIntervalHistogram()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("histograms: %w", err)
		}
		if h == nil {
			break
		}
		if dropped := hs.get(h.Tag()).Merge(h); dropped != 0 {
			return nil, fmt.Errorf("histograms: %s: %d values out of range", h.Tag(), dropped)
		}
	}
	return hs, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
