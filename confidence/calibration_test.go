package confidence_test

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/shopspring/decimal"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/benchctl/benchctl/confidence"
	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
)

// world is the simulated target of the calibration test: a Lambda function
// whose handler duration is log-normal (median e^mu ms, log-sd sigma),
// billed per started millisecond at memMB on the embedded book's x86_64
// us-east-1 rates, against a c7g.large fleet of known capacity. Host noise
// multiplies every duration of a trial by a slowdown s = e^(hostSigma·Z),
// drawn once per trial (median 1): the truth is the target's value at the
// median host condition, s = 1.
type world struct {
	mu, sigma, hostSigma float64
	memMB                int
	perTrial             int
	fee, gbsRate         float64 // USD per request, USD per GB-s (tier 1)
	lambda, ec2          *pricing.Entry
	capacityRPS          float64
}

func newWorld(t *testing.T) world {
	t.Helper()
	book, err := pricing.LoadBook("")
	if err != nil {
		t.Fatal(err)
	}
	l, err := book.Find(pricing.PlatformLambda, "us-east-1", pricing.ArchX86, "", "")
	if err != nil {
		t.Fatal(err)
	}
	e, err := book.Find(pricing.PlatformEC2, "us-east-1", "", "", "c7g.large")
	if err != nil {
		t.Fatal(err)
	}
	return world{mu: math.Log(20), sigma: 0.35, hostSigma: 0.15, memMB: 1024, perTrial: 2000,
		fee: l.Lambda.RequestUSD.InexactFloat64(), gbsRate: l.Lambda.DurationTiers[0].USD.InexactFloat64(),
		lambda: l, ec2: e, capacityRPS: 200}
}

func (w world) gb() float64 { return float64(w.memMB) / 1024 }

// trial draws one trial's latencies (ms) and per-request costs (USD).
func (w world) trial(rng *rand.Rand, hostSigma float64) (lat, cost []float64) {
	s := math.Exp(hostSigma * rng.NormFloat64())
	lat, cost = make([]float64, w.perTrial), make([]float64, w.perTrial)
	for i := range lat {
		d := math.Exp(w.mu+w.sigma*rng.NormFloat64()) * s
		lat[i] = d
		cost[i] = w.fee + w.gbsRate*w.gb()*math.Ceil(d)/1000
	}
	return lat, cost
}

// truth is the true p99 (ms), cost per 1M requests (USD) and break-even
// (requests/month) at s = 1.
func (w world) truth(t *testing.T) (p99, costPerM, breakEven float64) {
	p99 = math.Exp(w.mu + w.sigma*distuv.UnitNormal.Quantile(0.99))
	// E[ceil(D)] = Σ_k k·P(k−1 < D ≤ k) for log-normal D.
	cdf := func(x float64) float64 {
		if x <= 0 {
			return 0
		}
		return distuv.UnitNormal.CDF((math.Log(x) - w.mu) / w.sigma)
	}
	eCeil := 0.0
	for k := 1.0; cdf(k-1) < 1-1e-15; k++ {
		eCeil += k * (cdf(k) - cdf(k-1))
	}
	per := w.fee + w.gbsRate*w.gb()*eCeil/1000
	be, _, _ := w.breakEven(t, per, per, per)
	return p99, per * 1e6, be
}

// breakEven runs pricing's break-even (Analysis.BreakEven, the function a
// run's summary comes from) for a serverless cost per request of est with
// the interval [lo, hi], against the fleet.
func (w world) breakEven(t *testing.T, est, lo, hi float64) (be, beLo, beHi float64) {
	t.Helper()
	gbs := (est - w.fee) / w.gbsRate
	s := &pricing.Serverless{Name: "fn 1024 MB x86_64", Target: "fn", Platform: pricing.PlatformLambda,
		Architecture: pricing.ArchX86, MemoryMB: w.memMB, Entry: w.lambda, WarmGBs: decimal.NewFromFloat(gbs),
		Cold: pricing.ColdModel{Scale: 1}, CILow: lo / est, CIHigh: hi / est}
	f := &pricing.Fleet{Name: "c7g.large fleet", Instance: "c7g.large", Entry: w.ec2, CapacityRPS: w.capacityRPS,
		Utilisation: 0.7, MinInstances: 1}
	a := &pricing.Analysis{Region: "us-east-1", Profile: pricing.ConstantProfile(), Serverless: []*pricing.Serverless{s},
		Fleets: []*pricing.Fleet{f}, MinMonthlyRequests: pricing.DefaultMinMonthlyRequests, MaxMonthlyRequests: pricing.DefaultMaxMonthlyRequests}
	rows, err := a.BreakEven(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].MonthlyRequests <= 0 {
		t.Fatalf("break-even rows %+v", rows)
	}
	r := rows[0]
	if lo == est && hi == est {
		return r.MonthlyRequests, r.MonthlyRequests, r.MonthlyRequests
	}
	return r.MonthlyRequests, r.MonthlyRequestsLow, r.MonthlyRequestsHigh
}

// intervals are the printed 95% intervals of one simulated run.
type intervals struct{ p99, cost, breakEven confidence.Interval }

// run simulates one benchctl run with the given number of trials and
// returns its printed intervals: with trials, confidence.Trials over the
// per-trial p99 (as summaries compute it: results.DistributionOf) and mean
// cost; with one trial, the within-run intervals (order-statistic p99,
// Student-t mean cost). The break-even interval is pricing's, from the
// cost interval.
func (w world) run(t *testing.T, rng *rand.Rand, trials int, hostSigma float64) intervals {
	var p99s, costs []confidence.TrialEstimate
	var out intervals
	for range trials {
		lat, cost := w.trial(rng, hostSigma)
		p99s = append(p99s, confidence.TrialEstimate{Value: results.DistributionOf(lat).P99, N: len(lat)})
		costs = append(costs, confidence.TrialEstimate{Value: confidence.Mean(cost), N: len(cost)})
		if trials == 1 {
			slices.Sort(lat)
			out.p99 = confidence.QuantileInterval(confidence.Sorted(lat), 0.99, confidence.DefaultLevel)
			out.cost = confidence.MeanInterval(cost, confidence.DefaultLevel)
		}
	}
	if trials > 1 {
		p, _ := confidence.Trials(p99s, 0.99, confidence.DefaultLevel)
		c, _ := confidence.Trials(costs, 0, confidence.DefaultLevel)
		out.p99, out.cost = p.Interval, c.Interval
	}
	be, lo, hi := w.breakEven(t, out.cost.Estimate, out.cost.Low, out.cost.High)
	out.breakEven = confidence.Interval{Estimate: be, Low: lo, High: hi}
	out.cost.Estimate, out.cost.Low, out.cost.High = out.cost.Estimate*1e6, out.cost.Low*1e6, out.cost.High*1e6
	return out
}

// coverage runs n simulated runs and returns the share of p99, cost and
// break-even intervals that contain the truth.
func (w world) coverage(t *testing.T, seed uint64, n, trials int, hostSigma float64) (p99, cost, be float64) {
	truthP99, truthCost, truthBE := w.truth(t)
	rng := rand.New(rand.NewPCG(seed, 0xca11b))
	var cp, cc, cb int
	for range n {
		iv := w.run(t, rng, trials, hostSigma)
		if iv.p99.Contains(truthP99) {
			cp++
		}
		if iv.cost.Contains(truthCost) {
			cc++
		}
		if iv.breakEven.Contains(truthBE) {
			cb++
		}
	}
	f := func(k int) float64 { return float64(k) / float64(n) }
	return f(cp), f(cc), f(cb)
}

// TestCalibration is the calibration simulation: 200 simulated runs of a
// target with a known latency distribution and per-request cost, host noise
// injected as a random slowdown per trial. With trials: 5 the printed 95%
// intervals for the p99, the cost per 1M and the break-even cover the
// truth in at least 93% of the runs; with one trial the within-run
// intervals (honest about sampling noise only) cover it far less often
// under the same noise, and about 95% without it.
func TestCalibration(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	truthP99, truthCost, truthBE := w.truth(t)
	t.Logf("truth: p99 %.2f ms, cost per 1M $%.4f, break-even %.4g requests/month", truthP99, truthCost, truthBE)
	const runs = 200

	p, c, b := w.coverage(t, 1, runs, 5, w.hostSigma)
	t.Logf("trials: 5, host noise σ=%.2f: coverage p99 %.1f%%, cost/1M %.1f%%, break-even %.1f%%", w.hostSigma, 100*p, 100*c, 100*b)
	for name, v := range map[string]float64{"p99": p, "cost per 1M": c, "break-even": b} {
		if v < 0.93 {
			t.Errorf("trials: 5: %s interval covers the truth in %.1f%% of %d runs, want ≥ 93%%", name, 100*v, runs)
		}
	}

	p1, c1, b1 := w.coverage(t, 2, runs, 1, w.hostSigma)
	t.Logf("trials: 1, host noise σ=%.2f: coverage p99 %.1f%%, cost/1M %.1f%%, break-even %.1f%%", w.hostSigma, 100*p1, 100*c1, 100*b1)
	for name, v := range map[string]float64{"p99": p1, "cost per 1M": c1, "break-even": b1} {
		if v > 0.80 {
			t.Errorf("trials: 1 under host noise: %s interval covers %.1f%%; a single run's interval should miss the between-run spread", name, 100*v)
		}
	}

	p0, c0, b0 := w.coverage(t, 3, runs, 1, 0)
	t.Logf("trials: 1, no host noise: coverage p99 %.1f%%, cost/1M %.1f%%, break-even %.1f%%", 100*p0, 100*c0, 100*b0)
	for name, v := range map[string]float64{"p99": p0, "cost per 1M": c0, "break-even": b0} {
		if v < 0.90 {
			t.Errorf("trials: 1 without host noise: %s interval covers %.1f%%, want about 95%%", name, 100*v)
		}
	}
}
