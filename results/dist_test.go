package results

import (
	"math"
	"math/rand/v2"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

func TestDistributionOf(t *testing.T) {
	t.Parallel()
	big := make([]float64, ExactMaxSamples+1)
	for i := range big {
		big[i] = float64(i % 100)
	}
	tests := []struct {
		name   string
		vals   []float64
		method string
		p50    float64
		p90    float64
		count  int64
	}{
		{"empty", nil, MethodExact, 0, 0, 0},
		// Type 7: h = 0.9 × 3 = 2.7 → 3 + 0.7 × (4 − 3).
		{"small set, type 7", []float64{4, 1, 3, 2}, MethodExact, 2.5, 3.7, 4},
		{"beyond ExactMaxSamples, HDR", big, MethodHDR, 48, 89, ExactMaxSamples + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := append([]float64(nil), tt.vals...)
			d := DistributionOf(tt.vals)
			if d.Method != tt.method || d.Count != tt.count || !nearly(d.P50, tt.p50) || !nearly(d.P90, tt.p90) {
				t.Errorf("DistributionOf = %+v, want method %s count %d p50 %g p90 %g", d, tt.method, tt.count, tt.p50, tt.p90)
			}
			for i := range in {
				if in[i] != tt.vals[i] {
					t.Fatalf("input modified at %d", i)
				}
			}
		})
	}
}

// nearly: equal within the HDR precision (0.1%).
func nearly(a, b float64) bool { return a == b || (a-b)*(a-b) <= (0.001*b)*(0.001*b) }

func TestDistributionMethods(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		values     []float64
		method     string
		p50, p90   float64
		tol        float64
		min, max   float64
		mean, sdev float64
	}{
		{"exact small set", []float64{4, 1, 3, 2}, MethodExact, 2.5, 3.7, 1e-9, 1, 4, 2.5, 1.2909944},
		{"single sample", []float64{7.25}, MethodExact, 7.25, 7.25, 1e-9, 7.25, 7.25, 7.25, 0},
		{"hdr above the exact limit", seq(1, 2000), MethodHDR, 1000, 1800, 1, 1, 2000, 1000.5, 577.4946},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := NewDist()
			for _, v := range tc.values {
				d.AddMs(v)
			}
			got := d.Distribution()
			if got.Method != tc.method || math.Abs(got.P50-tc.p50) > tc.tol || math.Abs(got.P90-tc.p90) > tc.tol ||
				got.Min != tc.min || got.Max != tc.max || math.Abs(got.Mean-tc.mean) > 1e-6 || math.Abs(got.Stdev-tc.sdev) > 1e-4 {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

func seq(from, to int) []float64 {
	var s []float64
	for i := from; i <= to; i++ {
		s = append(s, float64(i))
	}
	return s
}

// TestDistMerge splits value sets at every kind of boundary (both halves
// exact, one side beyond ExactMaxSamples, both beyond) and checks that
// merging the halves gives the distribution of the whole: the same counts,
// extremes, histogram and percentiles, and mean and standard deviation
// equal up to rounding.
func TestDistMerge(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	vals := make([]float64, 5000)
	for i := range vals {
		vals[i] = 20 * math.Exp(0.5*rng.NormFloat64())
	}
	tests := []struct {
		name  string
		n, at int
	}{
		{"both exact", 600, 250},
		{"exact total at the limit", ExactMaxSamples, 512},
		{"merged beyond the limit", 1500, 700},
		{"left beyond", 3000, 2000},
		{"right beyond", 3000, 10},
		{"empty left", 300, 0},
		{"empty right", 3000, 3000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			whole, a, b := NewDist(), NewDist(), NewDist()
			for i, v := range vals[:tc.n] {
				whole.AddMs(v)
				if i < tc.at {
					a.AddMs(v)
				} else {
					b.AddMs(v)
				}
			}
			a.Merge(b)
			got, want := a.Distribution(), whole.Distribution()
			if got.Count != want.Count || got.Min != want.Min || got.Max != want.Max || got.Method != want.Method ||
				got.P50 != want.P50 || got.P90 != want.P90 || got.P95 != want.P95 || got.P99 != want.P99 || got.P999 != want.P999 {
				t.Fatalf("merged %+v\nwhole  %+v", got, want)
			}
			if math.Abs(got.Mean-want.Mean) > 1e-9*want.Mean || math.Abs(got.Stdev-want.Stdev) > 1e-9*want.Stdev {
				t.Fatalf("mean/stdev: merged %v/%v, whole %v/%v", got.Mean, got.Stdev, want.Mean, want.Stdev)
			}
			if !a.Histogram().Equals(whole.Histogram()) {
				t.Fatal("histograms differ")
			}
		})
	}
}

// TestReleaseHistogram: a released histogram comes back from NewHistogram
// empty (counts, times, tag), a Dist released after its merge gives its
// histogram back, and a histogram of another geometry is not reused.
func TestReleaseHistogram(t *testing.T) {
	h := NewHistogram()
	for v := int64(1); v < 5000; v += 7 {
		_ = h.RecordValue(v)
	}
	h.SetStartTimeMs(12)
	h.SetEndTimeMs(34)
	h.SetTag("x")
	ReleaseHistogram(h)
	for range 4 { // the pool may drop it; any histogram it hands out is empty
		g := NewHistogram()
		if g.TotalCount() != 0 || g.Max() != 0 || g.StartTimeMs() != 0 || g.EndTimeMs() != 0 || g.Tag() != "" {
			t.Fatalf("a reused histogram is not empty: count %d, max %d, times %d–%d, tag %q",
				g.TotalCount(), g.Max(), g.StartTimeMs(), g.EndTimeMs(), g.Tag())
		}
		if g.LowestTrackableValue() != 1 || g.HighestTrackableValue() != HistogramMaxMicros || g.SignificantFigures() != HistogramSigFigs {
			t.Fatal("a reused histogram has another geometry")
		}
	}
	other := hdr.New(1, 1000, 2)
	ReleaseHistogram(other)
	for range 4 {
		if NewHistogram() == other {
			t.Fatal("a histogram of another geometry was reused")
		}
	}

	a, b := NewDist(), NewDist()
	for i := range 3 * ExactMaxSamples {
		a.AddMs(float64(i % 97))
		b.AddMs(float64(i % 89))
	}
	want := NewDist()
	want.Merge(a)
	want.Merge(b)
	a.Merge(b)
	b.Release()
	if b.Count() != 0 || b.h != nil {
		t.Fatalf("a released Dist keeps %d values", b.Count())
	}
	for range 8 {
		_ = NewHistogram().RecordValue(999) // reuse b's histogram, if pooled
	}
	if got, w := a.Distribution(), want.Distribution(); got != w {
		t.Errorf("a merge changed after the merged Dist was released:\n got %+v\nwant %+v", got, w)
	}
}
