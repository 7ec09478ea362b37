package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// queueProber simulates an M/M/c queue (Poisson arrivals, c FCFS servers
// with exponential service times of mean 1/mu) in virtual time: a probe is
// instant and exactly reproducible for a seed. Each probe starts empty.
type queueProber struct {
	c      int
	mu     float64 // per-server service rate, 1/s
	seed   uint64
	probes int
	// errorsAbove makes every request fail above this rate (0: never).
	errorsAbove float64
	// behindAbove makes the generator fall behind above this rate (0: never).
	behindAbove float64
}

func (q *queueProber) Probe(ctx context.Context, rps float64, d time.Duration) (ProbeResult, error) {
	if err := ctx.Err(); err != nil {
		return ProbeResult{}, err
	}
	q.probes++
	rng := rand.New(rand.NewPCG(q.seed, uint64(q.probes)))
	free := make([]float64, q.c) // time each server becomes free
	var lat []time.Duration
	var n, errs int64
	for t := rng.ExpFloat64() / rps; t < d.Seconds(); t += rng.ExpFloat64() / rps {
		n++
		if q.errorsAbove > 0 && rps > q.errorsAbove {
			errs++
			continue
		}
		i := 0
		for j := range free {
			if free[j] < free[i] {
				i = j
			}
		}
		start := math.Max(t, free[i])
		free[i] = start + rng.ExpFloat64()/q.mu
		lat = append(lat, time.Duration((free[i]-t)*float64(time.Second)))
	}
	return ProbeResult{
		OfferedRPS:  rps,
		AchievedRPS: float64(n) / d.Seconds(),
		Requests:    n,
		Errors:      errs,
		Latencies:   lat,
		FellBehind:  q.behindAbove > 0 && rps > q.behindAbove,
		Duration:    d,
	}, nil
}

// mmcSojournTail is P(T > t) for the sojourn time of an M/M/c queue:
// T = W + S, S ~ Exp(mu), W = 0 with probability 1 − C (Erlang C) and
// Exp(theta = c·mu − lambda) otherwise.
func mmcSojournTail(c int, mu, lambda, t float64) float64 {
	a := lambda / mu
	rho := a / float64(c)
	// Erlang C.
	sum, term := 0.0, 1.0
	for k := 0; k < c; k++ {
		if k > 0 {
			term *= a / float64(k)
		}
		sum += term
	}
	last := term * a / float64(c) / (1 - rho)
	erlangC := last / (sum + last)
	theta := float64(c)*mu - lambda
	hypo := (theta*math.Exp(-mu*t) - mu*math.Exp(-theta*t)) / (theta - mu)
	if math.Abs(theta-mu) < 1e-9 {
		hypo = math.Exp(-mu*t) * (1 + mu*t)
	}
	return (1-erlangC)*math.Exp(-mu*t) + erlangC*hypo
}

// mmcCapacity is the arrival rate at which the sojourn p99 equals slo.
func mmcCapacity(c int, mu float64, slo time.Duration) float64 {
	p99 := func(lambda float64) float64 {
		lo, hi := 0.0, 100.0
		for range 200 {
			mid := (lo + hi) / 2
			if mmcSojournTail(c, mu, lambda, mid) > 0.01 {
				lo = mid
			} else {
				hi = mid
			}
		}
		return hi
	}
	lo, hi := 0.0, float64(c)*mu*(1-1e-9)
	for range 200 {
		mid := (lo + hi) / 2
		if p99(mid) <= slo.Seconds() {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

func TestMMCCapacityModel(t *testing.T) {
	t.Parallel()
	// M/M/1: sojourn is Exp(mu − lambda), so p99 = ln(100)/(mu − lambda).
	got := mmcCapacity(1, 100, 100*time.Millisecond)
	want := 100 - math.Log(100)/0.1
	if math.Abs(got-want) > 1e-6 {
		t.Fatalf("mmcCapacity(1, 100, 100ms) = %v, want %v", got, want)
	}
}

func TestRunCapacitySynthetic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		prober    *queueProber
		spec      scenarios.Capacity
		want      float64 // expected capacity
		tol       float64 // relative tolerance on the capacity
		limitedBy string
	}{
		{
			name:   "mm1",
			prober: &queueProber{c: 1, mu: 100, seed: 1},
			spec: scenarios.Capacity{SLO: scenarios.SLO{P99Ms: 100}, MinRPS: 5, MaxRPS: 500,
				StepDuration: 120 * time.Second, Tolerance: 0.02, MinSamples: 300},
			want: mmcCapacity(1, 100, 100*time.Millisecond),
			// Over 60 seeds the error stayed within ±14 %: the p99 of a
			// queue near saturation is noisy (correlated samples).
			tol: 0.15,
		},
		{
			name:   "mm2",
			prober: &queueProber{c: 2, mu: 50, seed: 2},
			spec: scenarios.Capacity{SLO: scenarios.SLO{P99Ms: 150}, MinRPS: 2, MaxRPS: 1000,
				StepDuration: 60 * time.Second, Tolerance: 0.02},
			want: mmcCapacity(2, 50, 150*time.Millisecond),
			tol:  0.15,
		},
		{
			name:   "mm4 short steps extended",
			prober: &queueProber{c: 4, mu: 20, seed: 3},
			spec: scenarios.Capacity{SLO: scenarios.SLO{P99Ms: 500}, MinRPS: 4, MaxRPS: 400,
				StepDuration: 5 * time.Second, Tolerance: 0.03, MinSamples: 400},
			want: mmcCapacity(4, 20, 500*time.Millisecond),
			// Short steps that start from an empty queue never reach the
			// steady state near saturation, so they overestimate capacity
			// (by 10-26 % over 60 seeds): hence long step durations.
			tol: 0.30,
		},
		{
			name:   "errors above 40 rps",
			prober: &queueProber{c: 1, mu: 1000, seed: 4, errorsAbove: 40},
			spec: scenarios.Capacity{SLO: scenarios.SLO{P99Ms: 100, ErrorRate: 0.01}, MinRPS: 5, MaxRPS: 500,
				StepDuration: 20 * time.Second, Tolerance: 0.02},
			want: 40,
			tol:  0.03,
		},
		{
			name:   "generator behind above 70 rps",
			prober: &queueProber{c: 1, mu: 1000, seed: 5, behindAbove: 70},
			spec: scenarios.Capacity{SLO: scenarios.SLO{P99Ms: 100}, MinRPS: 5, MaxRPS: 500,
				StepDuration: 20 * time.Second, Tolerance: 0.02},
			want: 70,
			tol:  0.03,
		},
		{
			name:   "everything passes",
			prober: &queueProber{c: 1, mu: 10000, seed: 6},
			spec: scenarios.Capacity{SLO: scenarios.SLO{P99Ms: 100}, MinRPS: 10, MaxRPS: 100,
				StepDuration: 10 * time.Second},
			want:      100,
			tol:       1e-9,
			limitedBy: CapacityLimitedByMaxRPS,
		},
		{
			name:   "min rate fails",
			prober: &queueProber{c: 1, mu: 10, seed: 7},
			spec: scenarios.Capacity{SLO: scenarios.SLO{P99Ms: 50}, MinRPS: 5, MaxRPS: 100,
				StepDuration: 10 * time.Second},
			want:      0,
			tol:       0,
			limitedBy: CapacityLimitedByMinRPS,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var seen int
			got, err := RunCapacity(context.Background(), tt.prober, tt.spec,
				WithCapacityTarget("ref"), WithCapacityConfig("cfg"),
				WithCapacityProgress(func(results.CapacityStep) { seen++ }))
			if err != nil {
				t.Fatalf("RunCapacity: %v", err)
			}
			if got.Target != "ref" || got.Config != "cfg" {
				t.Errorf("target/config = %q/%q, want ref/cfg", got.Target, got.Config)
			}
			if math.Abs(got.CapacityRPS-tt.want) > tt.tol*tt.want {
				t.Errorf("capacity = %.2f rps, want %.2f ± %.0f%% (steps %+v)", got.CapacityRPS, tt.want, tt.tol*100, got.Steps)
			}
			if got.LimitedBy != tt.limitedBy {
				t.Errorf("limited_by = %q, want %q", got.LimitedBy, tt.limitedBy)
			}
			if seen != len(got.Steps) {
				t.Errorf("progress called %d times for %d steps", seen, len(got.Steps))
			}
			if !(got.CapacityRPSLow <= got.CapacityRPS && got.CapacityRPS <= got.CapacityRPSHi) {
				t.Errorf("interval [%v, %v] does not hold capacity %v", got.CapacityRPSLow, got.CapacityRPSHi, got.CapacityRPS)
			}
			if !slices.IsSortedFunc(got.Steps, func(a, b results.CapacityStep) int {
				return int(math.Copysign(1, a.OfferedRPS-b.OfferedRPS))
			}) {
				t.Errorf("steps not sorted by offered rps")
			}
			checkSteps(t, got, tt.spec)
		})
	}
}

// checkSteps verifies invariants every step must satisfy.
func checkSteps(t *testing.T, got results.CapacityResult, spec scenarios.Capacity) {
	t.Helper()
	passedAtCapacity := got.CapacityRPS == 0
	for _, st := range got.Steps {
		if st.Samples > 0 && !(st.P99LowMs <= st.P99Ms && st.P99Ms <= st.P99HighMs) {
			t.Errorf("step %v: p99 %v outside its CI [%v, %v]", st.OfferedRPS, st.P99Ms, st.P99LowMs, st.P99HighMs)
		}
		if st.Passed != (len(st.FailReasons) == 0) {
			t.Errorf("step %v: passed=%v with reasons %v", st.OfferedRPS, st.Passed, st.FailReasons)
		}
		if st.Passed && st.P99Ms > spec.SLO.P99Ms {
			t.Errorf("step %v passed with p99 %v > SLO %v", st.OfferedRPS, st.P99Ms, spec.SLO.P99Ms)
		}
		if st.OfferedRPS == got.CapacityRPS && st.Passed {
			passedAtCapacity = true
		}
		if st.P99CILevel < 0 || st.P99CILevel > 1 {
			t.Errorf("step %v: ci level %v", st.OfferedRPS, st.P99CILevel)
		}
	}
	if !passedAtCapacity {
		t.Errorf("no passing step at the reported capacity %v", got.CapacityRPS)
	}
}

func TestRunCapacityExtendsShortSteps(t *testing.T) {
	t.Parallel()
	p := &queueProber{c: 1, mu: 1000, seed: 9}
	spec := scenarios.Capacity{SLO: scenarios.SLO{P99Ms: 100}, MinRPS: 10, MaxRPS: 10,
		StepDuration: 2 * time.Second, MinSamples: 200}
	got, err := RunCapacity(context.Background(), p, spec, WithCapacityWarmup(0))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Steps) != 1 {
		t.Fatalf("got %d steps, want 1", len(got.Steps))
	}
	st := got.Steps[0]
	if st.Extensions == 0 || st.Samples < 150 {
		t.Errorf("step has %d samples after %d extensions; want it extended towards 200", st.Samples, st.Extensions)
	}
	if st.Extensions > DefaultCapacityMaxExtensions {
		t.Errorf("extensions = %d > %d", st.Extensions, DefaultCapacityMaxExtensions)
	}
	if p.probes != 1+st.Extensions {
		t.Errorf("prober called %d times, want %d", p.probes, 1+st.Extensions)
	}
	if st.Requests != st.Samples {
		t.Errorf("requests %d != samples %d without errors", st.Requests, st.Samples)
	}
}

func TestRunCapacityNoExtensionWhenClearlyFailing(t *testing.T) {
	t.Parallel()
	p := &queueProber{c: 1, mu: 1000, seed: 10, errorsAbove: 1}
	spec := scenarios.Capacity{SLO: scenarios.SLO{P99Ms: 100}, MinRPS: 10, MaxRPS: 100,
		StepDuration: time.Second, MinSamples: 1000}
	got, err := RunCapacity(context.Background(), p, spec, WithCapacityWarmup(0))
	if err != nil {
		t.Fatal(err)
	}
	if got.CapacityRPS != 0 || p.probes != 1 {
		t.Errorf("capacity %v after %d probes; want 0 after 1", got.CapacityRPS, p.probes)
	}
}

func TestRunCapacityCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	inner := &queueProber{c: 1, mu: 1000, seed: 11}
	calls := 0
	p := RateProberFunc(func(ctx context.Context, rps float64, d time.Duration) (ProbeResult, error) {
		calls++
		if calls == 3 {
			cancel()
		}
		return inner.Probe(ctx, rps, d)
	})
	spec := scenarios.Capacity{SLO: scenarios.SLO{P99Ms: 100}, MinRPS: 1, MaxRPS: 1000,
		StepDuration: time.Second, MinSamples: 1}
	got, err := RunCapacity(ctx, p, spec, WithCapacityWarmup(0))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(got.Steps) != 2 || got.CapacityRPS != 2 {
		t.Errorf("partial result: %d steps, capacity %v; want 2 steps, capacity 2", len(got.Steps), got.CapacityRPS)
	}
}

func TestRunCapacityWarmup(t *testing.T) {
	t.Parallel()
	spec := scenarios.Capacity{SLO: scenarios.SLO{P99Ms: 100}, MinRPS: 10, MaxRPS: 10,
		StepDuration: 10 * time.Second, MinSamples: 1}
	var calls []string
	p := RateProberFunc(func(_ context.Context, rps float64, d time.Duration) (ProbeResult, error) {
		calls = append(calls, fmt.Sprintf("%g/%v", rps, d))
		return ProbeResult{OfferedRPS: rps, AchievedRPS: rps, Requests: 100, Duration: d,
			Latencies: slices.Repeat([]time.Duration{time.Millisecond}, 100)}, nil
	})
	got, err := RunCapacity(context.Background(), p, spec, WithCapacityWarmup(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"10/3s", "10/10s"}; !slices.Equal(calls, want) {
		t.Errorf("probes %v, want %v (warm-up first)", calls, want)
	}
	if len(got.Steps) != 1 || got.WarmupS != 3 {
		t.Errorf("%d steps, warmup_s %v; want 1 step (warm-up not a step), 3", len(got.Steps), got.WarmupS)
	}
	calls = nil
	if _, err := RunCapacity(context.Background(), p, spec, WithCapacityWarmup(0)); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 {
		t.Errorf("WithCapacityWarmup(0): %d probes, want 1", len(calls))
	}
	calls = nil
	if _, err := RunCapacity(context.Background(), p, spec); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("10/%v", DefaultCapacityWarmup); len(calls) != 2 || calls[0] != want {
		t.Errorf("default warm-up: probes %v, want %s first", calls, want)
	}
}

func TestRunCapacityInvalidSpec(t *testing.T) {
	t.Parallel()
	good := scenarios.Capacity{SLO: scenarios.SLO{P99Ms: 100}, MinRPS: 1, MaxRPS: 10}
	tests := []struct {
		name string
		edit func(*scenarios.Capacity)
		opts []CapacityOption
	}{
		{name: "no p99 slo", edit: func(c *scenarios.Capacity) { c.SLO.P99Ms = 0 }},
		{name: "zero min rps", edit: func(c *scenarios.Capacity) { c.MinRPS = 0 }},
		{name: "max below min", edit: func(c *scenarios.Capacity) { c.MaxRPS = 0.5 }},
		{name: "infinite max", edit: func(c *scenarios.Capacity) { c.MaxRPS = math.Inf(1) }},
		{name: "negative step", edit: func(c *scenarios.Capacity) { c.StepDuration = -time.Second }},
		{name: "tolerance not a fraction", edit: func(c *scenarios.Capacity) { c.Tolerance = 5 }},
		{name: "negative min samples", edit: func(c *scenarios.Capacity) { c.MinSamples = -1 }},
		{name: "only error objective", edit: func(c *scenarios.Capacity) { c.SLO = scenarios.SLO{ErrorRate: 0.1} }},
		{name: "bad option", edit: func(*scenarios.Capacity) {}, opts: []CapacityOption{WithCapacityCILevel(1.5)}},
		{name: "bad max steps", edit: func(*scenarios.Capacity) {}, opts: []CapacityOption{WithCapacityMaxSteps(0)}},
		{name: "negative warmup", edit: func(*scenarios.Capacity) {}, opts: []CapacityOption{WithCapacityWarmup(-time.Second)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := good
			tt.edit(&spec)
			p := &queueProber{c: 1, mu: 1000}
			_, err := RunCapacity(context.Background(), p, spec, tt.opts...)
			if !errors.Is(err, ErrCapacitySpec) {
				t.Fatalf("err = %v, want ErrCapacitySpec", err)
			}
			if p.probes != 0 {
				t.Errorf("%d probes sent for an invalid spec", p.probes)
			}
		})
	}
}

func TestSearchCapacities(t *testing.T) {
	t.Parallel()
	spec := scenarios.Capacity{SLO: scenarios.SLO{P99Ms: 100}, MinRPS: 2, MaxRPS: 1000,
		StepDuration: 30 * time.Second, Tolerance: 0.03}
	configs := []CapacityConfig{
		{Target: "ref-w1", Config: "workers=1", Prober: &queueProber{c: 1, mu: 100, seed: 21}},
		{Target: "ref-w2", Config: "workers=2", Prober: &queueProber{c: 2, mu: 100, seed: 22}},
	}
	got, err := SearchCapacities(context.Background(), configs, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Config != "workers=1" || got[1].Target != "ref-w2" {
		t.Fatalf("got %+v", got)
	}
	if !(got[1].CapacityRPS > 1.5*got[0].CapacityRPS) {
		t.Errorf("2 workers: %v rps, 1 worker: %v rps; want more than 1.5×", got[1].CapacityRPS, got[0].CapacityRPS)
	}
}

func TestRoundRate(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want float64 }{{12.345, 12.3}, {1234.5, 1230}, {0.98765, 0.988}, {100, 100}}
	for _, tt := range tests {
		if got := roundRate(tt.in); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("roundRate(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func BenchmarkRunCapacitySynthetic(b *testing.B) {
	spec := scenarios.Capacity{SLO: scenarios.SLO{P99Ms: 100}, MinRPS: 5, MaxRPS: 500,
		StepDuration: 10 * time.Second, Tolerance: 0.02}
	for b.Loop() {
		if _, err := RunCapacity(context.Background(), &queueProber{c: 1, mu: 100, seed: 1}, spec); err != nil {
			b.Fatal(err)
		}
	}
}
