package confidence

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/montanaflynn/stats"
	"gonum.org/v1/gonum/stat/distuv"
)

// Mean is the arithmetic mean of xs (montanaflynn/stats; 0 when empty).
func Mean(xs []float64) float64 {
	m, err := stats.Mean(xs)
	if err != nil {
		return 0
	}
	return m
}

// Stdev is the sample standard deviation of xs (n − 1 in the denominator;
// montanaflynn/stats), 0 for fewer than two values.
func Stdev(xs []float64) float64 {
	sd, err := stats.StandardDeviationSample(xs)
	if err != nil || math.IsNaN(sd) {
		return 0
	}
	return sd
}

// Median is the median of xs (montanaflynn/stats; 0 when empty).
func Median(xs []float64) float64 {
	m, err := stats.Median(xs)
	if err != nil {
		return 0
	}
	return m
}

// tQuantile is the p-quantile of Student's t with df degrees of freedom.
func tQuantile(p float64, df int) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.Quantile(p)
}

// MeanInterval is the Student-t level interval of the mean of xs:
// x̄ ± t(1−α/2, n−1) · s/√n. One value gives a zero-width interval with
// Level 0 (nothing is known of the spread).
func MeanInterval(xs []float64, level float64) Interval {
	return MeanFromMoments(len(xs), Mean(xs), Stdev(xs), level)
}

// DefaultResamples is the number of bootstrap resamples.
const DefaultResamples = 1000

// Bootstrap is the percentile-bootstrap level interval of stat over xs:
// b resamples of n values drawn with replacement, the interval between
// the α/2 and 1−α/2 quantiles of stat over them. The resamples are drawn
// from a PCG generator seeded by seed, so an interval is reproducible from
// the run's seed: montanaflynn/stats' Sample reseeds the global generator
// from the clock on every call, which is why it is not used here.
func Bootstrap(xs []float64, stat func([]float64) float64, b int, level float64, seed uint64) Interval {
	n := len(xs)
	iv := Interval{N: n, Method: MethodBootstrap, Estimate: stat(xs)}
	iv.Low, iv.High = iv.Estimate, iv.Estimate
	if n < 2 || b < 2 {
		return iv
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	buf := make([]float64, n)
	vals := make([]float64, b)
	for i := range vals {
		for j := range buf {
			buf[j] = xs[rng.IntN(n)]
		}
		vals[i] = stat(buf)
	}
	slices.Sort(vals)
	a := (1 - level) / 2
	iv.Low = Type7(vals, a)
	iv.High = Type7(vals, 1-a)
	iv.Level = level
	return iv
}
