package results

import (
	"math"
	"slices"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/benchctl/benchctl/confidence"
)

// Histogram range and precision: values are recorded in microseconds from
// 0 to one hour with 3 significant digits (HDR histogram; percentiles are the
// highest value equivalent to the bucket, i.e. at most 0.1% above the exact
// sample).
const (
	// HistogramMaxMicros is the largest value a histogram holds (1 h in
	// µs); larger values are recorded as it.
	HistogramMaxMicros = int64(time.Hour / time.Microsecond)
	// HistogramSigFigs is the histograms' precision in significant digits.
	HistogramSigFigs = 3
)

// Distribution methods (Distribution.Method).
const (
	// MethodHDR: percentiles from an HDR histogram, 3 significant digits
	// (the upper edge of the sample's bucket, at most 0.1% above it),
	// capped to the exact minimum and maximum.
	MethodHDR = "hdr-3sf"
	// MethodExact: percentiles computed exactly from all samples by linear
	// interpolation between closest ranks (Hyndman–Fan type 7, as numpy and
	// montanaflynn/stats; confidence.Type7), used when there are at most
	// ExactMaxSamples.
	MethodExact = "exact-type7"
)

// ExactMaxSamples is the largest sample count whose percentiles are computed
// exactly; larger sets use the HDR histogram (memory stays constant).
const ExactMaxSamples = 1024

// NewHistogram returns an empty histogram in the summaries' units and
// precision: 1 µs to HistogramMaxMicros, HistogramSigFigs digits (one
// handed back by ReleaseHistogram when there is one).
func NewHistogram() *hdr.Histogram {
	if h, ok := released.Get().(*hdr.Histogram); ok {
		return h
	}
	return hdr.New(1, HistogramMaxMicros, HistogramSigFigs)
}

// released holds the histograms given back by ReleaseHistogram: the
// summary pipeline's forks are done with theirs once merged, and a pass
// over a large file would otherwise allocate (and collect) a few hundred
// KB per chunk and metric.
var released sync.Pool

// ReleaseHistogram hands back h, a histogram of NewHistogram's range and
// precision that its owner no longer uses, for NewHistogram to reuse: it is
// cleared (counts, times, tag) now, and must not be used after. Other
// histograms are left to the garbage collector.
func ReleaseHistogram(h *hdr.Histogram) {
	if h == nil || h.LowestTrackableValue() != 1 || h.HighestTrackableValue() != HistogramMaxMicros ||
		h.SignificantFigures() != HistogramSigFigs {
		return
	}
	h.Reset()
	h.SetStartTimeMs(0)
	h.SetEndTimeMs(0)
	h.SetTag("")
	released.Put(h)
}

// HistogramMicros is the histogram value of v milliseconds: rounded to the
// microsecond, negative and NaN values as 0, values beyond
// HistogramMaxMicros as it.
func HistogramMicros(v float64) int64 {
	if v < 0 || math.IsNaN(v) {
		return 0
	}
	us := math.Round(v * 1000)
	if us > float64(HistogramMaxMicros) {
		return HistogramMaxMicros
	}
	return int64(us)
}

// Dist accumulates one distribution in constant memory: the first
// ExactMaxSamples samples (exact type-7 percentiles for small sets), an
// HDR histogram once there are more (allocated then, 188 KB), and exact
// count, min, max, mean and standard deviation (Welford). Values are in
// milliseconds; negative and NaN values count as 0. The zero value is not
// usable: call NewDist. It is not safe for concurrent use.
type Dist struct {
	h        *hdr.Histogram
	n        int64
	mean, m2 float64
	min, max float64
	samples  []float64
}

// NewDist returns an empty Dist.
func NewDist() *Dist { return &Dist{min: math.Inf(1), max: math.Inf(-1)} }

// AddMs records v milliseconds.
func (d *Dist) AddMs(v float64) {
	if v < 0 || math.IsNaN(v) {
		v = 0
	}
	switch {
	case d.h != nil:
		_ = d.h.RecordValue(HistogramMicros(v))
	case d.n < ExactMaxSamples:
		d.samples = append(d.samples, v)
	default:
		d.spill()
		_ = d.h.RecordValue(HistogramMicros(v))
	}
	d.n++
	delta := v - d.mean
	d.mean += delta / float64(d.n)
	d.m2 += delta * (v - d.mean)
	// math.Min and math.Max, without their calls (v is not NaN; a zero's
	// sign is kept as they keep it).
	if v < d.min || v == d.min && math.Signbit(v) {
		d.min = v
	}
	if v > d.max || v == d.max && math.Signbit(d.max) {
		d.max = v
	}
}

// spill moves the kept samples into a new histogram: beyond
// ExactMaxSamples the distribution is the histogram's.
func (d *Dist) spill() {
	d.h = NewHistogram()
	for _, v := range d.samples {
		_ = d.h.RecordValue(HistogramMicros(v))
	}
	d.samples = nil
}

// Release hands d's histogram back (ReleaseHistogram) once d is merged
// into another Dist and no longer read: d is empty after it, and must not
// be used again.
func (d *Dist) Release() {
	if d == nil {
		return
	}
	ReleaseHistogram(d.h)
	*d = Dist{}
}

// Add records a duration.
func (d *Dist) Add(v time.Duration) { d.AddMs(float64(v) / 1e6) }

// Count is the number of values recorded.
func (d *Dist) Count() int64 { return d.n }

// Merge adds what o recorded to d, as if d had recorded o's values after
// its own: counts, min, max and the histogram exactly; the kept samples in
// order (so exact percentiles of a small merged set are those of the whole);
// mean and variance by Chan et al.'s pairwise update, equal to the
// sequential Welford result up to floating-point rounding. o is not
// modified.
func (d *Dist) Merge(o *Dist) {
	if o == nil || o.n == 0 {
		return
	}
	if d.n == 0 {
		d.n, d.mean, d.m2, d.min, d.max = o.n, o.mean, o.m2, o.min, o.max
		d.samples = slices.Clone(o.samples)
		if o.h != nil {
			d.h = o.h.Clone()
		}
		return
	}
	n := d.n + o.n
	if d.h == nil && n > ExactMaxSamples {
		d.spill()
	}
	if d.h != nil {
		if o.h != nil {
			d.h.Merge(o.h)
		} else {
			for _, v := range o.samples {
				_ = d.h.RecordValue(HistogramMicros(v))
			}
		}
	} else {
		d.samples = append(d.samples, o.samples...)
	}
	delta := o.mean - d.mean
	fn, fo := float64(d.n), float64(o.n)
	d.mean += delta * fo / float64(n)
	d.m2 += o.m2 + delta*delta*fn*fo/float64(n)
	d.n = n
	d.min = math.Min(d.min, o.min)
	d.max = math.Max(d.max, o.max)
}

// Histogram returns the values recorded as an HDR histogram (µs,
// NewHistogram's range and precision): the Dist's own beyond
// ExactMaxSamples, else one built from the kept samples. The caller must
// not modify it.
func (d *Dist) Histogram() *hdr.Histogram {
	if d.h != nil {
		return d.h
	}
	h := NewHistogram()
	for _, v := range d.samples {
		_ = h.RecordValue(HistogramMicros(v))
	}
	return h
}

func (d *Dist) quantileMs(q float64) float64 {
	return HDRQuantileMs(d.h, q, d.min, d.max)
}

// HDRQuantileMs is the q-th percentile (q in 0..100) of histogram h (µs)
// in milliseconds, capped to [min, max] (the exact extremes, ms): how
// every MethodHDR percentile in summary.json is computed, so it can be
// recomputed from histograms.hlog.
func HDRQuantileMs(h *hdr.Histogram, q, min, max float64) float64 {
	if h == nil || h.TotalCount() == 0 {
		return 0
	}
	v := float64(h.ValueAtQuantile(q)) / 1000 // q in 0..100 (notes §5)
	return math.Min(math.Max(v, min), max)
}

// Distribution returns the summary of what was recorded.
func (d *Dist) Distribution() Distribution {
	if d == nil || d.n == 0 {
		return Distribution{Method: MethodExact}
	}
	var sd float64
	if d.n > 1 {
		sd = math.Sqrt(d.m2 / float64(d.n-1))
	}
	if d.h == nil {
		s := slices.Clone(d.samples)
		slices.Sort(s)
		return Distribution{
			Count: d.n, Min: d.min, Mean: d.mean, Stdev: sd,
			P50: confidence.Type7(s, 0.50), P90: confidence.Type7(s, 0.90), P95: confidence.Type7(s, 0.95),
			P99: confidence.Type7(s, 0.99), P999: confidence.Type7(s, 0.999), Max: d.max,
			Method: MethodExact,
		}
	}
	return Distribution{
		Count: d.n, Min: d.min, Mean: d.mean, Stdev: sd,
		P50: d.quantileMs(50), P90: d.quantileMs(90), P95: d.quantileMs(95),
		P99: d.quantileMs(99), P999: d.quantileMs(99.9), Max: d.max,
		Method: MethodHDR,
	}
}

// DistributionOf summarises vals (ms) exactly as phase summaries do:
// exact type-7 percentiles (MethodExact) for at most ExactMaxSamples
// values, HDR histogram percentiles (MethodHDR) beyond; exact count, min,
// max, mean and sample standard deviation. Negative and NaN values count
// as 0. vals is not modified; nil or empty gives a zero Distribution with
// Method MethodExact.
func DistributionOf(vals []float64) Distribution {
	d := NewDist()
	for _, v := range vals {
		d.AddMs(v)
	}
	return d.Distribution()
}
