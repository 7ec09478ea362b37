package pricing

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/benchctl/benchctl/results"
)

// linearServerless costs c per request with no cold starts.
func linearServerless(c string) *Serverless {
	return &Serverless{Name: "linear", Platform: PlatformCloudRun, Entry: &Entry{Platform: PlatformCloudRun, Source: "test", EffectiveDate: "2026-01-01"},
		WarmUSD: d(c), Cold: ColdModel{}, CILow: 1, CIHigh: 1}
}

func testFleet(hourly string, capacity float64) *Fleet {
	e := &Entry{Platform: PlatformEC2, Instance: "test.large", Source: "test", EffectiveDate: "2026-01-01",
		EC2: &EC2Rates{HourlyUSD: d(hourly), VCPU: 2}}
	return &Fleet{Name: "test", Instance: "test.large", Entry: e, CapacityRPS: capacity, Utilisation: 1}
}

func near(a, b, rel float64) bool { return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b)) }

func TestBreakEvenSeedExample(t *testing.T) {
	t.Parallel()
	b := mustBook(t)
	x86 := mustFind(t, b, PlatformLambda, "us-east-1", ArchX86, "", "")
	c7g := mustFind(t, b, PlatformEC2, "us-east-1", "", "", "c7g.large")
	// 1 GB × 100 ms x86 Lambda with no cold starts against one c7g.large with
	// ample capacity: 52.925 / 0.00000186667 = 28,352,519 requests/month.
	s := &Serverless{Name: "1GB", Platform: PlatformLambda, Entry: x86, WarmGBs: d("0.1"), CILow: 1, CIHigh: 1}
	f := &Fleet{Instance: "c7g.large", Entry: c7g, CapacityRPS: 1000, Utilisation: 1}
	cs, _, _ := Pair{S: s, F: f, Profile: ConstantProfile()}.Crossings(context.Background(), 1, 1e9)
	if len(cs) != 1 {
		t.Fatalf("crossings = %+v, want 1", cs)
	}
	want := 52.925 / 0.00000186667
	if !near(cs[0].MonthlyRequests, want, 1e-6) || cs[0].Direction != DirDearer {
		t.Errorf("crossing = %+v, want %.0f dearer", cs[0], want)
	}
	if !near(cs[0].AverageRPS, want/(730*3600), 1e-6) {
		t.Errorf("average rps = %g", cs[0].AverageRPS)
	}
}

func TestBreakEvenStepFleet(t *testing.T) {
	t.Parallel()
	// Fleet: P = $73/month per instance (0.1/h), K = capacity 1 rps → 2,628,000
	// requests/month per instance. Serverless costs 1.4 P per K requests, so
	// it crosses P at K/1.4, is jumped over at K, crosses 2P at 2K/1.4, is
	// jumped over at 2K, crosses 3P at 3K/1.4 and stays dearer after.
	K := 2_628_000.0
	P := 73.0
	c := decimal.NewFromFloat(1.4 * P / K)
	s := &Serverless{Name: "linear", Platform: PlatformCloudRun, Entry: &Entry{Source: "t", EffectiveDate: "t"}, WarmUSD: c, CILow: 1, CIHigh: 1}
	f := testFleet("0.1", 1)
	cs, _, _ := Pair{S: s, F: f, Profile: ConstantProfile()}.Crossings(context.Background(), 1, 20*K)
	want := []struct {
		v   float64
		dir string
	}{{K / 1.4, DirDearer}, {K, DirCheaper}, {2 * K / 1.4, DirDearer}, {2 * K, DirCheaper}, {3 * K / 1.4, DirDearer}}
	if len(cs) != len(want) {
		t.Fatalf("got %d crossings %+v, want %d", len(cs), cs, len(want))
	}
	for i, w := range want {
		if !near(cs[i].MonthlyRequests, w.v, 1e-6) || cs[i].Direction != w.dir {
			t.Errorf("crossing %d = %.1f %s, want %.1f %s", i, cs[i].MonthlyRequests, cs[i].Direction, w.v, w.dir)
		}
	}
}

func TestBreakEvenDiurnalFixedVsAutoscaled(t *testing.T) {
	t.Parallel()
	prof, err := DiurnalProfile(3, 8)
	if err != nil {
		t.Fatal(err)
	}
	// Peak rate = 3 × average. A fixed fleet with capacity 1 rps needs a
	// second instance once 3 × V/(730×3600) > 1, i.e. V > 876,000.
	f := testFleet("0.1", 1)
	if got := f.Monthly(876_000, prof); !got.Equal(d("73")) {
		t.Errorf("fixed fleet at the step = %s, want 73", got)
	}
	if got := f.Monthly(876_001, prof); !got.Equal(d("146")) {
		t.Errorf("fixed fleet past the step = %s, want 146", got)
	}
	// Autoscaled: only the 8 peak hours a day need the second instance:
	// 73 + 73 × 8/24.
	f.Autoscaled = true
	if got := f.Monthly(876_001, prof).Round(6); !got.Equal(d("97.333333")) {
		t.Errorf("autoscaled fleet past the step = %s, want 97.333333", got)
	}
}

func TestColdModel(t *testing.T) {
	t.Parallel()
	m := NewColdModel(600, 0.01, 10)
	// At 10 rps e^(−6000) ≈ 0, so the floor is the measured fraction.
	if !near(m.Fraction(10), 0.01, 1e-9) {
		t.Errorf("f(10) = %g, want 0.01", m.Fraction(10))
	}
	// At one request an hour nearly every request is cold.
	if f := m.Fraction(1.0 / 3600); !near(f, math.Exp(-600.0/3600)+(1-math.Exp(-600.0/3600))*0.01, 1e-9) {
		t.Errorf("f(1/h) = %g", f)
	}
}

func TestPropertyMoreVolumeNeverCostsLess(t *testing.T) {
	t.Parallel()
	b := mustBook(t)
	x86 := mustFind(t, b, PlatformLambda, "us-east-1", ArchX86, "", "")
	c7i := mustFind(t, b, PlatformEC2, "us-east-1", "", "", "c7i.large")
	rapid.Check(t, func(t *rapid.T) {
		mem := rapid.IntRange(128, 10240).Draw(t, "mem")
		dur := rapid.Float64Range(0.1, 5000).Draw(t, "dur")
		n := rapid.Int64Range(0, 1e10).Draw(t, "n")
		extra := rapid.Int64Range(1, 1e9).Draw(t, "extra")
		free := rapid.Bool().Draw(t, "free")
		a, err := LambdaCost(x86, nil, LambdaUsage{Requests: n, MemoryMB: mem, DurationMs: dur, FreeTier: free})
		if err != nil {
			t.Fatal(err)
		}
		b, err := LambdaCost(x86, nil, LambdaUsage{Requests: n + extra, MemoryMB: mem, DurationMs: dur, FreeTier: free})
		if err != nil {
			t.Fatal(err)
		}
		if b.TotalUSD.LessThan(a.TotalUSD) {
			t.Fatalf("%d requests cost %s < %s for %d", n+extra, b.TotalUSD, a.TotalUSD, n)
		}
		// Fleets: more volume never needs fewer instances.
		capRPS := rapid.Float64Range(0.1, 1000).Draw(t, "cap")
		auto := rapid.Bool().Draw(t, "auto")
		p2a := rapid.Float64Range(1, 3).Draw(t, "p2a")
		prof, err := DiurnalProfile(p2a, 8)
		if err != nil {
			t.Fatal(err)
		}
		f := &Fleet{Entry: c7i, Instance: "c7i.large", CapacityRPS: capRPS, Utilisation: 0.7, Autoscaled: auto}
		v := float64(n)
		if f.Monthly(v+float64(extra), prof).LessThan(f.Monthly(v, prof)) {
			t.Fatalf("fleet cost fell with volume")
		}
		// Serverless monthly with a constant measured cold fraction.
		s := &Serverless{Entry: x86, Platform: PlatformLambda, WarmGBs: d("0.1"), ColdExtraGBs: d("0.3"), Cold: ColdModel{Floor: 0.01}}
		if s.Monthly(v+float64(extra), prof).LessThan(s.Monthly(v, prof)) {
			t.Fatalf("serverless monthly cost fell with volume")
		}
	})
}

func TestPropertyHigherPriceNeverLowersCost(t *testing.T) {
	t.Parallel()
	b := mustBook(t)
	base := mustFind(t, b, PlatformLambda, "us-east-1", ArchArm64, "", "")
	rapid.Check(t, func(t *rapid.T) {
		bump := decimal.NewFromFloat(rapid.Float64Range(1, 3).Draw(t, "bump"))
		which := rapid.IntRange(0, 2).Draw(t, "which")
		e := *base
		l := *base.Lambda
		l.DurationTiers = append([]LambdaTier(nil), l.DurationTiers...)
		switch which {
		case 0:
			l.RequestUSD = l.RequestUSD.Mul(bump)
		case 1:
			for i := range l.DurationTiers {
				l.DurationTiers[i].USD = l.DurationTiers[i].USD.Mul(bump)
			}
		case 2:
			l.EphemeralGBSecondUSD = l.EphemeralGBSecondUSD.Mul(bump)
		}
		e.Lambda = &l
		u := LambdaUsage{Requests: rapid.Int64Range(0, 1e10).Draw(t, "n"), MemoryMB: rapid.IntRange(128, 10240).Draw(t, "mem"),
			DurationMs: rapid.Float64Range(0.1, 900000).Draw(t, "dur"), EphemeralMB: rapid.IntRange(512, 10240).Draw(t, "eph"),
			FreeTier: rapid.Bool().Draw(t, "free")}
		lo, err := LambdaCost(base, nil, u)
		if err != nil {
			t.Fatal(err)
		}
		hi, err := LambdaCost(&e, nil, u)
		if err != nil {
			t.Fatal(err)
		}
		if hi.TotalUSD.LessThan(lo.TotalUSD) {
			t.Fatalf("higher price gave %s < %s", hi.TotalUSD, lo.TotalUSD)
		}
	})
}

func TestDiurnalProfile(t *testing.T) {
	t.Parallel()
	p, err := DiurnalProfile(2, 6)
	if err != nil {
		t.Fatal(err)
	}
	if !near(p.PeakToAverage(), 2, 1e-12) {
		t.Errorf("peak-to-average = %g, want 2", p.PeakToAverage())
	}
	if _, err := DiurnalProfile(4, 8); err == nil {
		t.Error("4× over 8 h exceeds a day's traffic: want an error")
	}
}

func BenchmarkCrossings(b *testing.B) {
	prof, _ := DiurnalProfile(3, 8)
	s := linearServerless("0.000002")
	f := testFleet("0.0725", 40)
	f.Utilisation = 0.7
	f.Autoscaled = true
	for b.Loop() {
		Pair{S: s, F: f, Profile: prof}.Crossings(context.Background(), 1, 1e11)
	}
}

func TestPropertyOtherPlatformsMonotone(t *testing.T) {
	t.Parallel()
	b := mustBook(t)
	cr := mustFind(t, b, PlatformCloudRun, "us-east-1", "", "request-based", "")
	az := mustFind(t, b, PlatformAzureFunctions, "us-east-1", "", "consumption", "")
	c7g := mustFind(t, b, PlatformEC2, "us-east-1", "", "", "c7g.large")
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.Int64Range(0, 1e10).Draw(t, "n")
		extra := rapid.Int64Range(1, 1e9).Draw(t, "extra")
		dur := rapid.Float64Range(0.1, 60000).Draw(t, "dur")
		mem := rapid.IntRange(64, 4096).Draw(t, "mem")
		free := rapid.Bool().Draw(t, "free")
		u := CloudRunUsage{Requests: n, DurationMs: dur, VCPU: rapid.Float64Range(0.1, 8).Draw(t, "vcpu"), MemoryMB: mem,
			Concurrency: rapid.Float64Range(1, 80).Draw(t, "conc"), FreeTier: free}
		a, _ := CloudRunCost(cr, u)
		u.Requests += extra
		c, _ := CloudRunCost(cr, u)
		if c.TotalUSD.LessThan(a.TotalUSD) {
			t.Fatalf("cloud run: more requests cost less: %s < %s", c.TotalUSD, a.TotalUSD)
		}
		x, _ := AzureCost(az, AzureUsage{Executions: n, DurationMs: dur, MemoryMB: mem, FreeTier: free})
		y, _ := AzureCost(az, AzureUsage{Executions: n + extra, DurationMs: dur, MemoryMB: mem, FreeTier: free})
		if y.TotalUSD.LessThan(x.TotalUSD) {
			t.Fatalf("azure: more executions cost less")
		}
		// A dearer instance never makes a fleet cheaper.
		prof := ConstantProfile()
		f := &Fleet{Entry: c7g, Instance: "c7g.large", CapacityRPS: rapid.Float64Range(0.1, 500).Draw(t, "cap"), Utilisation: 0.7}
		g := *f
		g.PriceScale = rapid.Float64Range(1, 3).Draw(t, "scale")
		v := float64(n)
		if g.Monthly(v, prof).LessThan(f.Monthly(v, prof)) {
			t.Fatalf("higher instance price lowered the fleet cost")
		}
	})
}

// TestPropertyCrossingsAreSignChanges checks the root finder: at every
// reported crossing the cost difference changes sign in the stated
// direction, and between crossings (sampled) it keeps one sign.
func TestPropertyCrossingsAreSignChanges(t *testing.T) {
	t.Parallel()
	b := mustBook(t)
	x86 := mustFind(t, b, PlatformLambda, "us-east-1", ArchX86, "", "")
	rapid.Check(t, func(t *rapid.T) {
		gbs := decimal.NewFromFloat(rapid.Float64Range(0.001, 2).Draw(t, "gbs"))
		s := &Serverless{Entry: x86, Platform: PlatformLambda, WarmGBs: gbs, ColdExtraGBs: gbs.Mul(decimal.NewFromInt(5)),
			Cold: NewColdModel(rapid.Float64Range(0, 900).Draw(t, "idle"), rapid.Float64Range(0, 0.05).Draw(t, "cold"), 1)}
		f := testFleet(rapid.SampledFrom([]string{"0.0336", "0.0725", "0.17"}).Draw(t, "hourly"), rapid.Float64Range(2, 200).Draw(t, "cap"))
		f.Autoscaled = rapid.Bool().Draw(t, "auto")
		prof := ConstantProfile()
		if rapid.Bool().Draw(t, "diurnal") {
			prof, _ = DiurnalProfile(rapid.Float64Range(1, 3).Draw(t, "p2a"), 8)
		}
		pr := Pair{S: s, F: f, Profile: prof}
		lo, hi := 1.0, 1e9
		cs, _, _ := pr.Crossings(context.Background(), lo, hi)
		sign := func(v float64) bool { return !pr.diff(v).IsNegative() } // true: serverless dearer or equal
		for _, c := range cs {
			before, after := sign(c.MonthlyRequests*(1-1e-6)), sign(c.MonthlyRequests*(1+1e-6))
			if c.Direction == DirDearer && (before || !after) || c.Direction == DirCheaper && (!before || after) {
				t.Fatalf("crossing %+v: before dearer %v, after dearer %v", c, before, after)
			}
		}
		edges := append([]float64{lo}, func() []float64 {
			var vs []float64
			for _, c := range cs {
				vs = append(vs, c.MonthlyRequests)
			}
			return vs
		}()...)
		edges = append(edges, hi)
		for i := 0; i+1 < len(edges); i++ {
			a, z := edges[i]*(1+1e-5), edges[i+1]*(1-1e-5)
			if z <= a {
				continue
			}
			want := sign(a)
			for _, q := range []float64{0.25, 0.5, 0.75} {
				v := a * math.Pow(z/a, q)
				if sign(v) != want {
					t.Fatalf("missed a crossing between %g and %g (at %g)", a, z, v)
				}
			}
		}
	})
}

// runFixture is a serverless configuration and a fleet measured in a real
// quickstart run (benchctl run quickstart, 2026-11-27): the local function
// at 1,024 MB priced as arm64 Lambda (0.04441 GB-s per warm request,
// 0.16287 GB-s more per cold start, 1.37% cold at the run's rate, 120 s idle
// timeout) and the c7i.large fleet sized from the reference server,
// autoscaled on the quickstart's diurnal profile (8 peak hours at 3× the
// average) at 70% utilisation. capacity is the fleet's requests/s per
// instance (the run measured 85).
func runFixture(t testing.TB, capacity float64) *Analysis {
	t.Helper()
	b := mustBook(t)
	prof, err := DiurnalProfile(3, 8)
	if err != nil {
		t.Fatal(err)
	}
	s := &Serverless{Name: "fn 1024 MB arm64", Platform: PlatformLambda, Architecture: ArchArm64, MemoryMB: 1024,
		Entry:   mustFind(t, b, PlatformLambda, "us-east-1", ArchArm64, "", ""),
		WarmGBs: d("0.0444127397260274"), ColdExtraGBs: d("0.16287"),
		Cold:  ColdModel{IdleTimeoutS: 120, Floor: 0.0136986301369863, Scale: 1},
		CILow: 1, CIHigh: 1}
	f := &Fleet{Instance: "c7i.large", Entry: mustFind(t, b, PlatformEC2, "us-east-1", "", "", "c7i.large"),
		CapacityRPS: capacity, Utilisation: 0.7, MinInstances: 1, Autoscaled: true}
	f.Name = f.Describe()
	return &Analysis{Book: b, Region: "us-east-1", Profile: prof, Serverless: []*Serverless{s}, Fleets: []*Fleet{f},
		MinMonthlyRequests: DefaultMinMonthlyRequests, MaxMonthlyRequests: DefaultMaxMonthlyRequests}
}

// TestBreakEvenOscillationCapped reproduces the thousands of crossings of
// an autoscaled fleet whose cost per request is within 0.1% of the
// serverless one (the run's fixture at half its measured capacity): each is
// a real sign change, but the row lists only the first and last 25, with
// the count and a note.
func TestBreakEvenOscillationCapped(t *testing.T) {
	t.Parallel()
	a := runFixture(t, 85*0.5075)
	full, _, _ := Pair{S: a.Serverless[0], F: a.Fleets[0], Profile: a.Profile}.Crossings(context.Background(), a.MinMonthlyRequests, a.MaxMonthlyRequests)
	if len(full) < 1000 {
		t.Fatalf("fixture: %d crossings, want the oscillation (> 1000)", len(full))
	}
	for i := 1; i < len(full); i++ {
		if full[i].Direction == full[i-1].Direction {
			t.Fatalf("crossings %d and %d both %s", i-1, i, full[i].Direction)
		}
	}
	rows := mustBreakEven(t, a, false)
	if len(rows) != 1 {
		t.Fatalf("rows = %d", len(rows))
	}
	r := rows[0]
	if r.CrossingsCount != len(full) || !r.CrossingsTruncated || len(r.Crossings) != MaxCrossings {
		t.Fatalf("count %d (want %d), truncated %v, listed %d", r.CrossingsCount, len(full), r.CrossingsTruncated, len(r.Crossings))
	}
	h := MaxCrossings / 2
	for i := range h {
		if r.Crossings[i] != full[i] || r.Crossings[h+i] != full[len(full)-h+i] {
			t.Fatalf("listed crossing %d/%d differs from the full list", i, h+i)
		}
	}
	if r.MonthlyRequests != firstDearer(full) {
		t.Errorf("break-even %g, want the first dearer crossing %g", r.MonthlyRequests, firstDearer(full))
	}
	for _, w := range []string{fmt.Sprintf("%d crossings between", len(full)), "each step $", "in effect a tie", "first 25 and the last 25"} {
		if !strings.Contains(r.Note, w) {
			t.Errorf("note lacks %q: %s", w, r.Note)
		}
	}
	// At the measured capacity the same pair crosses a few times: all listed.
	r = mustBreakEven(t, runFixture(t, 85), false)[0]
	if r.CrossingsTruncated || r.CrossingsCount != len(r.Crossings) || r.CrossingsCount == 0 || r.CrossingsCount > MaxCrossings {
		t.Errorf("measured capacity: count %d, listed %d, truncated %v", r.CrossingsCount, len(r.Crossings), r.CrossingsTruncated)
	}
}

// TestCrossingsNoUlpTriplets: slot weights in an integer ratio (diurnal
// 4 peak hours at 3×: base and peak 1:5) make fleet steps coincide; their
// volumes computed per weight differ by a few ulps, which used to yield a
// spurious cheaper/dearer/cheaper triplet at one volume.
func TestCrossingsNoUlpTriplets(t *testing.T) {
	t.Parallel()
	prof, err := DiurnalProfile(3, 4)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for i := range 41 {
		a := runFixture(t, 85*(0.4+0.04*float64(i)))
		cs, _, _ := Pair{S: a.Serverless[0], F: a.Fleets[0], Profile: prof}.Crossings(context.Background(), a.MinMonthlyRequests, a.MaxMonthlyRequests)
		total += len(cs)
		for k := 1; k < len(cs); k++ {
			if cs[k].MonthlyRequests-cs[k-1].MonthlyRequests <= 1e-8*cs[k].MonthlyRequests {
				t.Fatalf("capacity %g: crossings %+v and %+v at one volume", a.Fleets[0].CapacityRPS, cs[k-1], cs[k])
			}
		}
	}
	if total == 0 {
		t.Fatal("no crossings at all: the fixture tests nothing")
	}
}

// mustBreakEven is a.BreakEven that fails the test on an error.
func mustBreakEven(t testing.TB, a *Analysis, withSensitivity bool) []results.BreakEvenRow {
	t.Helper()
	rows, err := a.BreakEven(context.Background(), withSensitivity)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestBreakpointsBounded: a capacity of 1e-23 requests/s (or a utilisation
// of 1e-300) makes the fleet step every 1e-16 requests; the enumeration
// used to spin forever once its float counter passed 2^53. It must return
// at once, truncated, and the search must finish.
func TestBreakpointsBounded(t *testing.T) {
	t.Parallel()
	for _, f := range []*Fleet{testFleet("0.0725", 1e-23), {Instance: "x", Entry: testFleet("0.0725", 1).Entry, CapacityRPS: 40, Utilisation: 1e-300}} {
		f.Autoscaled = true
		prof, err := DiurnalProfile(3, 8)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		bps, truncated := f.breakpoints(prof, 1, 1e11)
		if !truncated || len(bps) > maxBreakpoints {
			t.Errorf("capacity %g × %g: %d breakpoints, truncated %v", f.CapacityRPS, f.Utilisation, len(bps), truncated)
		}
		if _, _, err := (Pair{S: linearServerless("0.000002"), F: f, Profile: prof}).Crossings(context.Background(), 1, 1e11); err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("took %v", el)
		}
	}
}

// TestCrossingsCancelled: a cancelled context stops the search at once.
func TestCrossingsCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := testFleet("0.0725", 0.01)
	f.Autoscaled = true
	_, _, err := (Pair{S: linearServerless("0.0000019"), F: f, Profile: ConstantProfile()}).Crossings(ctx, 1, 1e11)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	a := &Analysis{Profile: ConstantProfile(), Serverless: []*Serverless{linearServerless("0.0000019")}, Fleets: []*Fleet{f},
		MinMonthlyRequests: 1, MaxMonthlyRequests: 1e11}
	if _, err := a.BreakEven(ctx, true); !errors.Is(err, context.Canceled) {
		t.Fatalf("BreakEven err = %v, want context.Canceled", err)
	}
}

// TestBreakEvenSeedExampleExact: the published example's break-even,
// 52.925 / 0.00000186667 = 28,352,627.94 requests/month, to 1e-9.
func TestBreakEvenSeedExampleExact(t *testing.T) {
	t.Parallel()
	b := mustBook(t)
	s := &Serverless{Name: "1GB", Platform: PlatformLambda, Entry: mustFind(t, b, PlatformLambda, "us-east-1", ArchX86, "", ""), WarmGBs: d("0.1"), CILow: 1, CIHigh: 1}
	f := &Fleet{Instance: "c7g.large", Entry: mustFind(t, b, PlatformEC2, "us-east-1", "", "", "c7g.large"), CapacityRPS: 1000, Utilisation: 1}
	cs, _, err := Pair{S: s, F: f, Profile: ConstantProfile()}.Crossings(context.Background(), 1, 1e11)
	if err != nil || len(cs) != 1 {
		t.Fatalf("crossings %+v, %v", cs, err)
	}
	if got := cs[0].MonthlyRequests; math.Abs(got-28352627.94) > 0.03 {
		t.Errorf("break-even = %.4f, want 28352627.94", got)
	}
}

// TestBurstableCredits24HourRule: t3.medium ($0.0416/h, 2 vCPU, 20%
// baseline, $0.05 per surplus vCPU-hour), 40 requests/s of capacity at 70%,
// a fixed fleet, 3× the average for 8 h a day (and nothing the other 16 h).
// Surplus credits are charged on the 24-hour average CPU above the
// baseline, not hour by hour.
func TestBurstableCredits24HourRule(t *testing.T) {
	t.Parallel()
	b := mustBook(t)
	prof, err := DiurnalProfile(3, 8)
	if err != nil {
		t.Fatal(err)
	}
	f := &Fleet{Instance: "t3.medium", Entry: mustFind(t, b, PlatformEC2, "us-east-1", "", "", "t3.medium"), CapacityRPS: 40, Utilisation: 0.7}
	month := 0.0416 * 730
	tests := []struct {
		name   string
		volume float64
		want   float64
	}{
		// 19M/month: peak 21.69 rps on one instance, u = 0.542 for 8 h and 0
		// for 16 h: the day's average 0.181 is under the 0.2 baseline, so no
		// credits (hour by hour: 8 × 0.342 × 2 × $0.05 × 30.4 days = $8.33).
		{"daily average under the baseline", 19e6, month},
		// 24M/month: peak 27.40 rps, u = 0.6849; the day's surplus is
		// 8 × (0.6849 − 0.2) − 16 × 0.2 = 0.6795 vCPU-hours per vCPU:
		// × 2 vCPU × $0.05 × 730/24 days.
		{"daily average over the baseline", 24e6, month + (8*(24e6*3/(730*3600)/40-0.2)-16*0.2)*2*0.05*730/24},
	}
	for _, tt := range tests {
		if got := f.Monthly(tt.volume, prof).InexactFloat64(); !near(got, tt.want, 1e-9) {
			t.Errorf("%s: $%.6f, want $%.6f", tt.name, got, tt.want)
		}
	}
	// Against serverless at $1.50 per 1M, the break-even is where $1.50 ×
	// V = $30.368: 20,245,333 requests/month (hour by hour the fleet would
	// cost $39.56 there, and serverless would stay cheaper).
	cs, _, err := Pair{S: linearServerless("0.0000015"), F: f, Profile: prof}.Crossings(context.Background(), 1, 1e11)
	if err != nil || len(cs) == 0 {
		t.Fatalf("crossings %+v, %v", cs, err)
	}
	if want := month / 1.5e-6; !near(cs[0].MonthlyRequests, want, 1e-8) || cs[0].Direction != DirDearer {
		t.Errorf("first crossing %+v, want %.0f dearer", cs[0], want)
	}
	// An autoscaled fleet: the instances that run only in the peak hours
	// pay for their own surplus over the hours they run.
	g := *f
	g.Autoscaled = true
	rates := prof.Rates(60e6)
	counts := make([]int, len(rates))
	for k, r := range rates {
		counts[k] = g.Count(r)
	}
	// Peak 68.49 rps → 3 instances at u = 0.571 for 8 h; off-peak the
	// fleet keeps its minimum of 1 instance, idle (u = 0, −0.2 each hour).
	// Instance 1: 8 × 0.371 − 16 × 0.2 < 0 → none; instances 2 and 3 run
	// only the 8 peak hours: 2 × 8 × 0.371 × 2 vCPU.
	u := 60e6 * 3 / (730 * 3600) / (3 * 40)
	if got, want := surplusVCPUSlots(rates, counts, 40, 0.2, 2, prof.SlotHours()), 2*8*(u-0.2)*2; !near(got, want, 1e-12) {
		t.Errorf("autoscaled surplus = %g vCPU-slots, want %g", got, want)
	}
}
