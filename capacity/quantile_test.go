package capacity

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/benchctl/benchctl/confidence"
)

func TestQuantileNearestRank(t *testing.T) {
	t.Parallel()
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	tests := []struct {
		q    float64
		want float64
	}{{0.5, 5}, {0.99, 10}, {0.9, 9}, {0.91, 10}, {0.01, 1}, {1, 10}}
	for _, tt := range tests {
		if got := QuantileNearestRank(x, tt.q); got != tt.want {
			t.Errorf("QuantileNearestRank(1..10, %v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	if got := QuantileNearestRank(nil, 0.5); !math.IsNaN(got) {
		t.Errorf("empty sample: got %v, want NaN", got)
	}
}

func TestQuantileCIRanks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		n      int
		q      float64
		level  float64
		l, u   int
		minCov float64
	}{
		// n = 100, p99: no upper order statistic reaches 97.5 %; falls back to the max.
		{name: "n100 p99", n: 100, q: 0.99, level: 0.95, u: 100, minCov: 0},
		// Median of 10: the classic (2, 9) interval at 97.9 %.
		{name: "n10 median", n: 10, q: 0.5, level: 0.95, l: 2, u: 9, minCov: 0.978},
		{name: "n368 p99 upper reaches max", n: 368, q: 0.99, level: 0.95, u: 368, minCov: 0.95},
		{name: "n2000 p99", n: 2000, q: 0.99, level: 0.95, minCov: 0.95},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, u := quantileCIRanks(tt.n, tt.q, tt.level)
			if tt.l != 0 && l != tt.l {
				t.Errorf("l = %d, want %d", l, tt.l)
			}
			if tt.u != 0 && u != tt.u {
				t.Errorf("u = %d, want %d", u, tt.u)
			}
			x := make([]float64, tt.n)
			for i := range x {
				x[i] = float64(i + 1)
			}
			lo, hi, cov := QuantileCI(x, tt.q, tt.level)
			if lo != float64(l) || hi != float64(u) {
				t.Errorf("QuantileCI = [%v, %v], want ranks [%d, %d]", lo, hi, l, u)
			}
			if cov < tt.minCov || cov > 1 {
				t.Errorf("attained coverage %v, want ≥ %v", cov, tt.minCov)
			}
			// The interval is as tight as the level allows.
			if u > l && l < tt.n && confidence.BinomialCDF(l, tt.n, tt.q) <= (1-tt.level)/2 {
				t.Errorf("l = %d is not the largest admissible rank", l)
			}
		})
	}
}

// TestQuantileCICoverage checks the interval's coverage by simulation:
// for uniform samples the true p99 is 0.99.
func TestQuantileCICoverage(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	const reps, n = 1000, 800
	covered := 0
	x := make([]float64, n)
	for range reps {
		for i := range x {
			x[i] = rng.Float64()
		}
		slices.Sort(x)
		lo, hi, _ := QuantileCI(x, 0.99, 0.95)
		if lo <= 0.99 && 0.99 <= hi {
			covered++
		}
	}
	// Expected ≥ 95 %; allow 3 standard errors of sampling noise.
	if got := float64(covered) / reps; got < 0.95-3*math.Sqrt(0.95*0.05/reps) {
		t.Errorf("coverage %.3f, want ≥ 0.95", got)
	}
}

func BenchmarkQuantileCI(b *testing.B) {
	x := make([]float64, 10000)
	for i := range x {
		x[i] = float64(i)
	}
	for b.Loop() {
		QuantileCI(x, 0.99, 0.95)
	}
}

func BenchmarkStepSortBaseline(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	src := make([]float64, 10000)
	for i := range src {
		src[i] = rng.ExpFloat64()
	}
	x := make([]float64, len(src))
	for b.Loop() {
		copy(x, src)
		slices.Sort(x)
	}
}
