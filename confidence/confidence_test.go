package confidence

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/montanaflynn/stats"
)

// TestType7MatchesStatsPercentile checks that Type7 and montanaflynn/stats'
// Percentile are the same estimator on (0, 1] (see Type7's doc for where
// they differ: q = 0 and empty samples).
func TestType7MatchesStatsPercentile(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 3, 7, 50, 101, 1024} {
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.ExpFloat64() * 10
		}
		if n > 3 {
			x[1] = x[0] // ties
		}
		sorted := slices.Clone(x)
		slices.Sort(sorted)
		for _, q := range []float64{0.001, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1} {
			want, err := stats.Percentile(x, 100*q)
			if err != nil {
				t.Fatalf("stats.Percentile(n=%d, %v): %v", n, 100*q, err)
			}
			if got := Type7(sorted, q); math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
				t.Errorf("n=%d q=%v: Type7 %v, stats.Percentile %v", n, q, got, want)
			}
		}
	}
	if got := Type7([]float64{3, 5}, 0); got != 3 {
		t.Errorf("Type7(q=0) = %v, want the minimum", got)
	}
	if _, err := stats.Percentile([]float64{3, 5}, 0); err == nil {
		t.Error("stats.Percentile accepts 0 now: update Type7's doc")
	}
	if Type7(nil, 0.5) != 0 {
		t.Error("Type7 of an empty sample is not 0")
	}
}

func TestSupportMin(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		q    float64
		want int
	}{{0.5, 200}, {0.9, 1000}, {0.95, 2000}, {0.99, 10000}, {0.999, 100000}} {
		if got := SupportMin(c.q); got != c.want {
			t.Errorf("SupportMin(%v) = %d, want %d", c.q, got, c.want)
		}
	}
}

func TestQuantileRanks(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		n        int
		q        float64
		l, u     int
		hasUpper bool
		minCov   float64
	}{
		{"median of 10", 10, 0.5, 2, 9, true, 0.978},
		{"p99 of 100: no upper rank", 100, 0.99, 0, 100, false, 0},
		{"p99 of 368: upper rank is the maximum", 368, 0.99, 0, 368, true, 0.95},
		{"p99 of 2000", 2000, 0.99, 0, 0, true, 0.95},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, u, cov, hasUpper := QuantileRanks(c.n, c.q, 0.95)
			if c.l != 0 && l != c.l || c.u != 0 && u != c.u || hasUpper != c.hasUpper {
				t.Errorf("ranks (%d, %d) upper %v, want (%d, %d) upper %v", l, u, hasUpper, c.l, c.u, c.hasUpper)
			}
			if cov < c.minCov || cov > 1 {
				t.Errorf("attained %v, want ≥ %v", cov, c.minCov)
			}
			if hasUpper && l < c.n && BinomialCDF(l, c.n, c.q) <= 0.025 {
				t.Errorf("l = %d is not the largest admissible rank", l)
			}
		})
	}
}

// TestQuantileIntervalBounds: a percentile is a number only with
// SupportMin samples, a range with enough for both ends, else "≥ low".
func TestQuantileIntervalBounds(t *testing.T) {
	t.Parallel()
	seq := func(n int) Sorted {
		x := make(Sorted, n)
		for i := range x {
			x[i] = float64(i + 1)
		}
		return x
	}
	cases := []struct {
		n     int
		q     float64
		bound Bound
	}{
		{73, 0.99, BoundAtLeast},
		{1000, 0.99, BoundRange},
		{10000, 0.99, BoundNone},
		{150, 0.5, BoundRange},
		{300, 0.5, BoundNone},
	}
	for _, c := range cases {
		iv := QuantileInterval(seq(c.n), c.q, 0.95)
		if iv.Bound != c.bound {
			t.Errorf("n=%d q=%v: bound %q, want %q (%+v)", c.n, c.q, iv.Bound, c.bound, iv)
		}
		if !(iv.Low <= iv.Estimate && iv.Estimate <= iv.High) {
			t.Errorf("n=%d q=%v: estimate %v outside [%v, %v]", c.n, c.q, iv.Estimate, iv.Low, iv.High)
		}
		if c.bound == BoundAtLeast && !(iv.Level >= 0.95) {
			t.Errorf("n=%d: one-sided lower bound at level %v", c.n, iv.Level)
		}
	}
	if got := FormatBound(QuantileInterval(seq(73), 0.99, 0.95), "ms", 0); !strings.HasPrefix(got, "≥ ") {
		t.Errorf("FormatBound = %q", got)
	}
}

// TestQuantileIntervalCoverage checks coverage by simulation: for uniform
// samples the true p99 is 0.99 (two-sided) and the one-sided lower bound
// holds at least 95% of the time where there is no upper rank.
func TestQuantileIntervalCoverage(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{100, 800} {
		const reps = 1000
		covered := 0
		x := make(Sorted, n)
		for range reps {
			for i := range x {
				x[i] = rng.Float64()
			}
			slices.Sort(x)
			iv := QuantileInterval(x, 0.99, 0.95)
			ok := iv.Low <= 0.99 && (iv.Bound == BoundAtLeast || 0.99 <= iv.High)
			if ok {
				covered++
			}
		}
		if got := float64(covered) / reps; got < 0.95-3*math.Sqrt(0.95*0.05/reps) {
			t.Errorf("n=%d: coverage %.3f, want ≥ 0.95", n, got)
		}
	}
}

func TestMeanInterval(t *testing.T) {
	t.Parallel()
	iv := MeanInterval([]float64{1, 2, 3, 4, 5}, 0.95)
	// mean 3, s = √2.5, t(0.975, 4) = 2.776445
	half := 2.7764451051977987 * math.Sqrt(2.5) / math.Sqrt(5)
	if math.Abs(iv.Estimate-3) > 1e-12 || math.Abs(iv.High-3-half) > 1e-9 || math.Abs(3-iv.Low-half) > 1e-9 {
		t.Errorf("MeanInterval = %+v, want 3 ± %v", iv, half)
	}
	if one := MeanInterval([]float64{7}, 0.95); one.Level != 0 || one.Low != 7 || one.High != 7 {
		t.Errorf("one value: %+v", one)
	}
	if Median([]float64{3, 1, 2}) != 2 || Stdev([]float64{1}) != 0 || Mean(nil) != 0 {
		t.Error("Median/Stdev/Mean edge cases")
	}
}

func TestBootstrapReproducible(t *testing.T) {
	t.Parallel()
	xs := []float64{1, 5, 2, 8, 3, 9, 4, 4, 6, 2}
	a := Bootstrap(xs, Mean, 500, 0.95, 42)
	b := Bootstrap(xs, Mean, 500, 0.95, 42)
	if a != b {
		t.Errorf("same seed, different intervals: %+v %+v", a, b)
	}
	if !(a.Low < a.Estimate && a.Estimate < a.High) || a.Estimate != 4.4 {
		t.Errorf("bootstrap %+v", a)
	}
}

func TestTrials(t *testing.T) {
	t.Parallel()
	if _, ok := Trials([]TrialEstimate{{Value: 3, N: 10}}, 0, 0.95); ok {
		t.Error("one trial combined")
	}
	ts := []TrialEstimate{{10, 500}, {12, 500}, {11, 500}}
	iv, ok := Trials(ts, 0, 0.95)
	if !ok || iv.Method != MethodTrialsLogT || iv.Min != 10 || iv.Max != 12 || len(iv.Values) != 3 {
		t.Fatalf("Trials = %+v", iv)
	}
	logs := []float64{math.Log(10), math.Log(12), math.Log(11)}
	m := (logs[0] + logs[1] + logs[2]) / 3
	if math.Abs(iv.Estimate-math.Exp(m)) > 1e-9 || !(iv.Low < 10.5 && iv.High > 11.5) {
		t.Errorf("Trials = %+v", iv.Interval)
	}
	if iv2, _ := Trials(ts, 0.99, 0.95); iv2.Bound != BoundRange {
		t.Errorf("p99 from 500-sample trials: bound %q, want range", iv2.Bound)
	}
	if lin, _ := Trials([]TrialEstimate{{0, 1}, {2, 1}}, 0, 0.95); lin.Method != MethodTrialsT || lin.Estimate != 1 {
		t.Errorf("zero value: %+v", lin)
	}
}

func TestStopRule(t *testing.T) {
	t.Parallel()
	r := StopRule{Metric: MetricP99, RelWidth: 0.10, MinSamples: 200}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []StopRule{{Metric: "p90", RelWidth: 0.1}, {Metric: MetricP50, RelWidth: 0}, {Metric: MetricP50, RelWidth: 0.1, MinSamples: -1}} {
		if bad.Validate() == nil {
			t.Errorf("%+v validated", bad)
		}
	}
	if r.Next(0) != 200 || r.Next(200) != 250 || r.Next(250) != 313 {
		t.Errorf("looks at %d, %d, %d", r.Next(0), r.Next(200), r.Next(250))
	}
	// A tight sample (uniform on [100, 101] ms) meets ±10% at once; a
	// heavy-tailed one (Pareto, α = 1.2) does not at the same size.
	rng := rand.New(rand.NewPCG(5, 6))
	tight, heavy := make(Sorted, 2000), make(Sorted, 2000)
	for i := range tight {
		tight[i] = 100 + rng.Float64()
		heavy[i] = 10 * math.Pow(1-rng.Float64(), -1/1.2)
	}
	slices.Sort(tight)
	slices.Sort(heavy)
	if iv := r.Evaluate(tight, 0, 0); !r.Met(iv) {
		t.Errorf("tight sample not met: %+v", iv)
	}
	if iv := r.Evaluate(heavy, 0, 0); r.Met(iv) {
		t.Errorf("heavy-tailed sample met: %+v", iv)
	}
	cost := StopRule{Metric: MetricCostPerMillion, RelWidth: 0.05}
	if iv := cost.Evaluate(Sorted(make([]float64, 100)), 20, 2); !cost.Met(iv) || iv.Method != MethodStudentT {
		t.Errorf("cost rule on mean 20 ± sd 2 of 100: %+v", iv)
	}
	if r.Met(Interval{Estimate: 1, Low: 1, High: 1, N: 100}) {
		t.Error("met below min_requests")
	}
}

func BenchmarkQuantileInterval(b *testing.B) {
	x := make(Sorted, 10000)
	for i := range x {
		x[i] = float64(i)
	}
	for b.Loop() {
		QuantileInterval(x, 0.99, 0.95)
	}
}

// TestNormalRanksNearExact: beyond exactRanksMax the normal approximation
// gives ranks within one of the exact binomial ones.
func TestNormalRanksNearExact(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		n int
		q float64
	}{{150_000, 0.99}, {200_000, 0.5}} {
		l, u, _, _ := QuantileRanks(c.n, c.q, 0.95)
		cdf := binomCDFTable(c.n, c.q)
		el, eu := 1, c.n
		for k := 2; k <= c.n && cdf[k-1] <= 0.025; k++ {
			el = k
		}
		for k := c.n; k >= 1 && 1-cdf[k-1] <= 0.025; k-- {
			eu = k
		}
		if d := l - el; d < -1 || d > 1 {
			t.Errorf("n=%d q=%v: l %d, exact %d", c.n, c.q, l, el)
		}
		if d := u - eu; d < -1 || d > 1 {
			t.Errorf("n=%d q=%v: u %d, exact %d", c.n, c.q, u, eu)
		}
		if lr := LowerRank(c.n, c.q, 0.95); lr < el || lr > c.n {
			t.Errorf("n=%d: one-sided lower rank %d below the two-sided %d", c.n, lr, el)
		}
	}
}

func TestBinomialCDF(t *testing.T) {
	t.Parallel()
	tests := []struct {
		k, n int
		p    float64
		want float64
	}{
		{0, 10, 0.5, 1.0 / 1024},
		{5, 10, 0.5, 638.0 / 1024},
		{9, 10, 0.5, 1023.0 / 1024},
		{10, 10, 0.5, 1},
		{-1, 10, 0.5, 0},
		{299, 300, 0.99, 1 - math.Pow(0.99, 300)},
	}
	for _, tt := range tests {
		if got := BinomialCDF(tt.k, tt.n, tt.p); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("BinomialCDF(%d, %d, %v) = %v, want %v", tt.k, tt.n, tt.p, got, tt.want)
		}
	}
}
