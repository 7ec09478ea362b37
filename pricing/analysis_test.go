package pricing

import (
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

func fptr(f float64) *float64 { return &f }
func iptr(i int) *int         { return &i }

// sliceReader serves records from a slice.
func sliceReader(recs []results.Record) RecordReader {
	i := 0
	return RecordReaderFunc(func(r *results.Record) error {
		if i >= len(recs) {
			return io.EOF
		}
		*r = recs[i]
		i++
		return nil
	})
}

func testRun() ([]results.Record, *scenarios.Scenario) {
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	var recs []results.Record
	for i := range 100 {
		r := results.Record{Target: "fn", Phase: "steady", Code: 200, Timestamp: start.Add(time.Duration(i) * time.Second),
			Latency: 120 * time.Millisecond, DurationMs: fptr(99.3), BilledDurationMs: fptr(100), MemorySizeMB: iptr(1024)}
		if i%20 == 0 {
			r.Cold = true
			r.InitDurationMs = fptr(199.5)
			r.BilledDurationMs = fptr(300)
		}
		recs = append(recs, r)
	}
	recs = append(recs, results.Record{Target: "fn", Phase: "steady", Code: 429, ErrorClass: results.ErrorClassThrottle, Timestamp: start})
	sc := &scenarios.Scenario{Name: "t", Seed: 3,
		Functions: []scenarios.Function{{Name: "fn", MemorySize: 1024, IdleTimeout: 10 * time.Minute}},
		Targets:   []scenarios.Target{{Name: "fn", Kind: "local-lambda", Function: "fn"}},
		Pricing: scenarios.PricingSettings{Region: "us-east-1", Architectures: []string{"x86_64", "arm64"}, CapacityRPS: 40,
			Instances: []string{"c7g.large"}, TargetUtilisation: 0.7, Fleet: "fixed"}}
	return recs, sc
}

func TestAnalyzeRun(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	recs, sc := testRun()
	sum := &results.Summary{}
	if err := AnalyzeRun(book, sliceReader(recs), sum, sc); err != nil {
		t.Fatal(err)
	}
	if len(sum.Cost) != 2 {
		t.Fatalf("cost rows = %d, want 2: %+v", len(sum.Cost), sum.Cost)
	}
	x := sum.Cost[0]
	if x.Architecture != ArchX86 || x.Requests != 101 {
		t.Errorf("row = %+v", x)
	}
	// 100 × $0.0000002 + (95×100 + 5×300) ms × 1 GB / 1000 × 0.0000166667.
	want := 100*0.0000002 + 11*0.0000166667
	if !near(x.RunCostUSD, want, 1e-9) {
		t.Errorf("run cost = %.12g, want %.12g", x.RunCostUSD, want)
	}
	if !near(x.CostPerMillionUSD, want/100*1e6, 1e-6) {
		t.Errorf("per 1M = %g", x.CostPerMillionUSD)
	}
	if !(x.CostPerMillionLow <= x.CostPerMillionUSD && x.CostPerMillionUSD <= x.CostPerMillionHi && x.CostPerMillionLow < x.CostPerMillionHi) {
		t.Errorf("CI [%g, %g] does not bracket %g", x.CostPerMillionLow, x.CostPerMillionHi, x.CostPerMillionUSD)
	}
	if wantShare := 1 * 0.0000166667 / want; !near(x.ColdStartShare, wantShare, 1e-6) {
		t.Errorf("cold share = %g, want %g", x.ColdStartShare, wantShare)
	}
	if x.PriceSource == "" || x.PriceEffective == "" {
		t.Error("cost row lacks provenance")
	}
	if sum.Cost[1].Architecture != ArchArm64 || sum.Cost[1].RunCostUSD >= x.RunCostUSD {
		t.Errorf("arm64 row should be cheaper: %+v", sum.Cost[1])
	}
	if sum.BenchmarkCostUSD == nil || *sum.BenchmarkCostUSD != 0 {
		t.Errorf("benchmark cost = %v, want 0 for a local run", sum.BenchmarkCostUSD)
	}
	if len(sum.BreakEven) != 2 {
		t.Fatalf("break-even rows = %d, want 2", len(sum.BreakEven))
	}
	be := sum.BreakEven[0]
	if be.MonthlyRequests <= 0 || len(be.Crossings) == 0 || be.Instance != "c7g.large" {
		t.Fatalf("break-even = %+v", be)
	}
	// Warm cost per request ≈ 2e-7 + 0.1 × 1.66667e-5 = 1.86667e-6; with 5%
	// cold at +0.2 GB-s; c7g.large $52.925/month.
	approx := 52.925 / (0.0000002 + (0.1+0.05*0.2)*0.0000166667)
	if math.Abs(be.MonthlyRequests-approx)/approx > 0.05 {
		t.Errorf("break-even %.0f, want about %.0f", be.MonthlyRequests, approx)
	}
	if be.MonthlyRequestsLow == 0 || be.MonthlyRequestsHigh == 0 || !(be.MonthlyRequestsLow <= be.MonthlyRequests && be.MonthlyRequests <= be.MonthlyRequestsHigh) {
		t.Errorf("interval [%g, %g] around %g", be.MonthlyRequestsLow, be.MonthlyRequestsHigh, be.MonthlyRequests)
	}
	if be.MostSensitive == "" || len(be.Sensitivity) < 4 {
		t.Errorf("sensitivity = %+v", be.Sensitivity)
	}
}

func TestAnalyzeRunMemorySweep(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	var recs []results.Record
	for _, m := range []struct {
		mem int
		dur float64
	}{{512, 210}, {1024, 100}, {2048, 48}} {
		for i := range 20 {
			recs = append(recs, results.Record{Target: "fn", Phase: "p", Step: "memory_mb=" + strconv.Itoa(m.mem), Experiment: "memory_sweep",
				Timestamp: start.Add(time.Duration(i) * time.Second), DurationMs: fptr(m.dur - 0.5), BilledDurationMs: fptr(m.dur), MemorySizeMB: iptr(m.mem)})
		}
	}
	_, sc := testRun()
	sc.SLO = scenarios.SLO{P99Ms: 150}
	sum := &results.Summary{Experiments: results.Experiments{MemorySweep: []results.MemorySweepRow{
		{Target: "fn", MemoryMB: 512, Requests: 20, LatencyMs: results.Distribution{P99: 230}},
		{Target: "fn", MemoryMB: 1024, Requests: 20, LatencyMs: results.Distribution{P99: 120}},
		{Target: "fn", MemoryMB: 2048, Requests: 20, LatencyMs: results.Distribution{P99: 70}},
	}}}
	if err := AnalyzeRun(book, sliceReader(recs), sum, sc); err != nil {
		t.Fatal(err)
	}
	rows := sum.Experiments.MemorySweep
	// Costs per request: 512 → 0.5×0.21=0.105 GB-s, 1024 → 0.1, 2048 → 0.096.
	if !rows[2].Cheapest || !rows[2].FastestP99 || !rows[2].CheapestWithSLO || rows[0].Cheapest {
		t.Errorf("flags = %+v", rows)
	}
	if rows[1].CostPerMillionUSD == nil || !near(*rows[1].CostPerMillionUSD, 1.86667, 1e-5) {
		t.Errorf("1024 MB per 1M = %v", rows[1].CostPerMillionUSD)
	}
}

func TestCurves(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	recs, sc := testRun()
	sum := &results.Summary{Targets: []results.TargetSummary{{Name: "fn", Kind: "local-lambda", Phases: []results.PhaseSummary{{
		Name: "steady", Requests: 101, Throttles: 1, ColdStarts: new(int64(5)), MemorySizeMB: 1024, AchievedRPS: 1,
		BilledDurationMs: &results.Distribution{Count: 100, Mean: 110}, InitDurationMs: &results.Distribution{Count: 5, Mean: 199.5}}}}}}
	if err := AnalyzeRun(book, sliceReader(recs), sum, sc); err != nil {
		t.Fatal(err)
	}
	a, err := NewAnalysis(book, sum, sc)
	if err != nil {
		t.Fatal(err)
	}
	cs := a.Curves(1e5, 1e9, 50)
	if len(cs) != 3 {
		t.Fatalf("curves = %d, want 2 serverless + 1 fleet", len(cs))
	}
	for _, c := range cs {
		if len(c.Points) < 50 {
			t.Errorf("%s: %d points", c.Name, len(c.Points))
		}
		for i := 1; i < len(c.Points); i++ {
			if c.Points[i].MonthlyRequests < c.Points[i-1].MonthlyRequests || c.Points[i].USD < c.Points[i-1].USD-1e-9 {
				t.Fatalf("%s: not increasing at %d: %+v %+v", c.Name, i, c.Points[i-1], c.Points[i])
			}
		}
	}
	if cs[2].Kind != "fleet" || cs[0].Kind != "serverless" {
		t.Errorf("kinds: %s %s", cs[0].Kind, cs[2].Kind)
	}
	// The summary-based model agrees with the record-based one.
	rows := mustBreakEven(t, a, false)
	if len(rows) != 2 || !near(rows[0].MonthlyRequests, sum.BreakEven[0].MonthlyRequests, 0.01) {
		t.Errorf("summary-based break-even %+v vs record-based %g", rows, sum.BreakEven[0].MonthlyRequests)
	}
}

func TestEstimateRunSpend(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	sc := &scenarios.Scenario{
		Targets: []scenarios.Target{{Name: "real", Kind: "aws-lambda", Function: "f", Timeout: 3 * time.Second},
			{Name: "local", Kind: "local-lambda", Function: "g"}},
		Phases: []scenarios.Phase{{Name: "p", Targets: []string{"real", "local"}, Duration: 100 * time.Second,
			Traffic: scenarios.Traffic{Model: "constant", Rate: 10}}},
		Experiments: scenarios.Experiments{MemorySweep: &scenarios.MemorySweep{Target: "real", MemorySizes: []int{512, 1024}, Phases: []string{"p"}}},
	}
	est, err := EstimateRunSpend(book, sc, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 1,000 requests × 3,000 ms at 0.5 GB and 1 GB: 1,000 × (2e-7 + 1.5 × 1.66667e-5) + 1,000 × (2e-7 + 3 × 1.66667e-5)
	// = 0.02520005 + 0.0502001.
	if want := d("0.07540015"); !est.TotalUSD.Equal(want) || len(est.Lines) != 2 || !est.RealCloud {
		t.Errorf("estimate = %s (%d lines), want %s", est.TotalUSD, len(est.Lines), want)
	}
	if err := est.Check(0.05); err == nil {
		t.Error("Check(0.05) = nil, want over budget")
	}
	if err := est.Check(DefaultMaxSpendUSD); err != nil {
		t.Errorf("Check(5) = %v", err)
	}
	// A prior run's measured durations replace the timeout.
	prior := &results.Summary{Targets: []results.TargetSummary{{Name: "real", Phases: []results.PhaseSummary{
		{Name: "p", Step: "memory_mb=512", MemorySizeMB: 512, BilledDurationMs: &results.Distribution{Count: 10, Mean: 200}},
		{Name: "p", Step: "memory_mb=1024", MemorySizeMB: 1024, BilledDurationMs: &results.Distribution{Count: 10, Mean: 100}}}}}}
	est, err = EstimateRunSpend(book, sc, prior)
	if err != nil {
		t.Fatal(err)
	}
	// 2 × 1,000 × (2e-7 + 0.1 × 1.66667e-5).
	if want := d("0.00373334"); !est.TotalUSD.Equal(want) {
		t.Errorf("with prior = %s, want %s", est.TotalUSD, want)
	}
}

func TestAnalyzeRunInitRules(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	recs, base := testRun()
	cost := func(rule, runtimeKind string, shift time.Duration) (float64, []string) {
		sc := *base
		sc.Targets = []scenarios.Target{{Name: "fn", Kind: "local-lambda", Function: "fn", RuntimeKind: runtimeKind}}
		sc.Pricing.Architectures = []string{"x86_64"}
		rs := append([]results.Record(nil), recs...)
		for i := range rs {
			rs[i].Timestamp = rs[i].Timestamp.Add(shift)
		}
		sum := &results.Summary{}
		if err := AnalyzeRunWith(book, sliceReader(rs), sum, &sc, AnalyzeOptions{InitRule: rule}); err != nil {
			t.Fatal(err)
		}
		return sum.Cost[0].RunCostUSD, sum.Notes
	}
	billed := 100*0.0000002 + 11*0.0000166667
	// Legacy: cold starts billed ceil(99.3) = 100 ms, not 300.
	legacy := 100*0.0000002 + 10*0.0000166667
	before := -2 * 365 * 24 * time.Hour
	for _, tt := range []struct {
		name, rule, kind string
		shift            time.Duration
		want             float64
	}{
		{"auto after 2025-08-01", "", "", 0, billed},
		// local-lambda runs benchctl function: a custom runtime, billed before the change too.
		{"auto before 2025-08-01, local-lambda default (custom)", InitRuleAuto, "", before, billed},
		{"auto before 2025-08-01, managed-zip", InitRuleAuto, scenarios.RuntimeManagedZip, before, legacy},
		{"auto before 2025-08-01, container", InitRuleAuto, scenarios.RuntimeContainer, before, billed},
		{"auto before 2025-08-01, provisioned", InitRuleAuto, scenarios.RuntimeProvisioned, before, billed},
		{"auto after 2025-08-01, managed-zip", InitRuleAuto, scenarios.RuntimeManagedZip, 0, billed},
		{"legacy managed-zip", InitRuleLegacy, scenarios.RuntimeManagedZip, 0, legacy},
		{"legacy custom", InitRuleLegacy, scenarios.RuntimeCustom, 0, billed},
		{"legacy default local-lambda", InitRuleLegacy, "", 0, billed},
		{"billed", InitRuleBilled, scenarios.RuntimeManagedZip, before, billed},
	} {
		if got, _ := cost(tt.rule, tt.kind, tt.shift); !near(got, tt.want, 1e-9) {
			t.Errorf("%s: run cost %.12g, want %.12g", tt.name, got, tt.want)
		}
	}
	if err := AnalyzeRunWith(book, sliceReader(recs), &results.Summary{}, base, AnalyzeOptions{InitRule: "sometimes"}); err == nil {
		t.Error("unknown rule: want an error")
	}
	// An aws-lambda target without runtime_kind is priced as managed-zip
	// before 2025-08-01, and the summary says so.
	sc := *base
	sc.Targets = []scenarios.Target{{Name: "fn", Kind: "aws-lambda", Function: "fn", Region: "us-east-1"}}
	sc.Pricing.Architectures = []string{"x86_64"}
	rs := append([]results.Record(nil), recs...)
	for i := range rs {
		rs[i].Timestamp = rs[i].Timestamp.Add(before)
	}
	sum := &results.Summary{}
	if err := AnalyzeRunWith(book, sliceReader(rs), sum, &sc, AnalyzeOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := sum.Cost[0].RunCostUSD; !near(got, legacy, 1e-9) {
		t.Errorf("aws-lambda default before 2025-08-01: %.12g, want %.12g", got, legacy)
	}
	if !strings.Contains(strings.Join(sum.Notes, "\n"), "fn: runtime_kind not set") {
		t.Errorf("notes %q lack the runtime_kind assumption", sum.Notes)
	}
	// A book whose init_billed_from is not a date cannot be loaded; an
	// entry built in code with one is an error, not "billed".
	bad := *mustFind(t, book, PlatformLambda, "us-east-1", ArchX86, "", "")
	l := *bad.Lambda
	l.InitBilledFrom = "August 2025"
	bad.Lambda = &l
	if _, err := l.InitBilled(time.Now(), scenarios.RuntimeManagedZip); err == nil {
		t.Error("InitBilled with a bad date: want an error")
	}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "init_billed_from: \"August 2025\" is not a date") {
		t.Errorf("Validate = %v", err)
	}
}

// BenchmarkAnalyzeRun prices 10,000 records at two architectures,
// break-even and sensitivity included; "read" is the baseline of only
// reading the same records, for a ratio.
func BenchmarkAnalyzeRun(b *testing.B) {
	book := mustBook(b)
	recs, sc := testRun()
	many := make([]results.Record, 0, 10000)
	for len(many) < 10000 {
		many = append(many, recs...)
	}
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			r := sliceReader(many)
			var rec results.Record
			for r.Read(&rec) == nil {
			}
		}
	})
	b.Run("analyze", func(b *testing.B) {
		for b.Loop() {
			if err := AnalyzeRun(book, sliceReader(many), &results.Summary{}, sc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestMonthlyCosts(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	recs, sc := testRun()
	sc.Pricing.Architectures = []string{"x86_64"}
	sc.Pricing.Profile = scenarios.Profile{AverageRPS: 100, Shape: "diurnal", PeakToAverage: 2, PeakHours: 8}
	sum := &results.Summary{}
	if err := AnalyzeRun(book, sliceReader(recs), sum, sc); err != nil {
		t.Fatal(err)
	}
	if len(sum.MonthlyCost) != 2 {
		t.Fatalf("monthly cost rows = %+v", sum.MonthlyCost)
	}
	fleet := sum.MonthlyCost[1]
	// Peak 200 rps over 28 rps per instance (40 × 0.7) = 8 instances, fixed: 8 × 52.925.
	if fleet.Kind != "fleet" || fleet.PeakInstances != 8 || !near(fleet.MonthlyCostUSD, 8*52.925, 1e-12) {
		t.Errorf("fleet row = %+v", fleet)
	}
	if !fleet.Cheapest || sum.MonthlyCost[0].Cheapest {
		t.Errorf("at 262.8 M requests the fleet should be cheapest: %+v", sum.MonthlyCost)
	}
}

func TestAnalyzeRunHTTPBilling(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	var recs []results.Record
	for i := range 10 {
		ts := start.Add(time.Duration(i) * time.Second)
		recs = append(recs,
			results.Record{Target: "cr", Phase: "p", Code: 200, Timestamp: ts, Latency: 120 * time.Millisecond},
			results.Record{Target: "az", Phase: "p", Code: 200, Timestamp: ts, Latency: 50 * time.Millisecond},
			results.Record{Target: "flex", Phase: "p", Code: 200, Timestamp: ts, Latency: 50 * time.Millisecond},
			results.Record{Target: "local", Phase: "p", Code: 200, Timestamp: ts, Latency: 5 * time.Millisecond})
	}
	sc := &scenarios.Scenario{Seed: 1, Targets: []scenarios.Target{
		{Name: "cr", Kind: "http", URL: "https://svc.a.run.app/v1", Billing: &scenarios.Billing{Platform: "cloud-run", Plan: "request", MemoryMB: 512, VCPU: 1, Concurrency: 1}},
		{Name: "az", Kind: "http", URL: "https://fn.azurewebsites.net/api", Billing: &scenarios.Billing{Platform: "azure-functions", Plan: "consumption", MemoryMB: 100}},
		{Name: "flex", Kind: "http", URL: "https://flex.azurewebsites.net/api", Billing: &scenarios.Billing{Platform: "azure-functions", Plan: "flex-consumption", MemoryMB: 2048}},
		{Name: "local", Kind: "http", URL: "http://127.0.0.1:8080/"},
	}, Pricing: scenarios.PricingSettings{Region: "us-east-1"}}
	sum := &results.Summary{}
	if err := AnalyzeRun(book, sliceReader(recs), sum, sc); err != nil {
		t.Fatal(err)
	}
	if len(sum.Cost) != 3 {
		t.Fatalf("cost rows = %+v", sum.Cost)
	}
	// Azure Flex: 50 ms bills the 1,000 ms minimum at 2 GB: $52.40 per 1M.
	if fx := sum.Cost[2]; fx.Target != "flex" || !near(fx.CostPerMillionUSD, 52.4, 1e-9) {
		t.Errorf("flex row = %+v", fx)
	}
	// Cloud Run: 120 ms → 200 ms × (0.000024 + 0.5 × 0.0000025) + 0.0000004.
	if cr := sum.Cost[0]; cr.Platform != PlatformCloudRun || !near(cr.CostPerRequestUSD, 0.00000545, 1e-9) || !cr.Estimate {
		t.Errorf("cloud run row = %+v", cr)
	}
	// Azure Consumption: 100 ms × 128 MB minimum × 0.000016 + 0.0000002.
	if az := sum.Cost[1]; az.Platform != PlatformAzureFunctions || !near(az.CostPerRequestUSD, 0.0000004, 1e-9) {
		t.Errorf("azure row = %+v", az)
	}
	if sum.BenchmarkCostUSD == nil || !near(*sum.BenchmarkCostUSD, 10*0.00000545+10*0.0000004+10*0.0000524, 1e-9) {
		t.Errorf("benchmark cost = %v", sum.BenchmarkCostUSD)
	}
}

func TestNewAnalysisFromCostRowsOnly(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	recs, sc := testRun()
	sum := &results.Summary{}
	if err := AnalyzeRun(book, sliceReader(recs), sum, sc); err != nil {
		t.Fatal(err)
	}
	want := sum.BreakEven[0].MonthlyRequests
	a, err := NewAnalysis(book, &results.Summary{Cost: sum.Cost}, sc)
	if err != nil {
		t.Fatal(err)
	}
	rows := mustBreakEven(t, a, false)
	// The cost-row model folds cold starts into the mean: close, not equal.
	if len(rows) != 2 || !near(rows[0].MonthlyRequests, want, 0.05) {
		t.Errorf("cost-row break-even %+v vs %g", rows, want)
	}
}

func TestAnalyzeRunWithoutRecords(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	_, sc := testRun()
	sc.Pricing.Architectures = []string{"x86_64"}
	sum := &results.Summary{Targets: []results.TargetSummary{{Name: "fn", Kind: "local-lambda", Phases: []results.PhaseSummary{{
		Name: "steady", Requests: 101, Throttles: 1, ColdStarts: new(int64(5)), MemorySizeMB: 1024, AchievedRPS: 1,
		BilledDurationMs: &results.Distribution{Count: 100, Mean: 110}, InitDurationMs: &results.Distribution{Count: 5, Mean: 200}}}}}}
	if err := AnalyzeRun(book, nil, sum, sc); err != nil {
		t.Fatal(err)
	}
	// Same totals as the record-based TestAnalyzeRun: 100 × 2e-7 + 11 GB-s × 0.0000166667.
	if len(sum.Cost) != 1 || !sum.Cost[0].Estimate || !near(sum.Cost[0].RunCostUSD, 100*0.0000002+11*0.0000166667, 1e-9) {
		t.Fatalf("cost = %+v", sum.Cost)
	}
	if len(sum.BreakEven) != 1 || sum.BreakEven[0].MonthlyRequests == 0 {
		t.Errorf("break-even = %+v", sum.BreakEven)
	}
}

func TestFleetsCapacityScaling(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	sc := &scenarios.Scenario{
		Servers: []scenarios.Server{{Name: "ref", Instance: "c7g.large"}},
		Targets: []scenarios.Target{{Name: "ref", Kind: "http", Server: "ref", URL: "/v1"}},
		Pricing: scenarios.PricingSettings{Region: "us-east-1", Instances: []string{"c7g.large", "c7g.xlarge"}, ScaleCapacityByVCPU: true, TargetUtilisation: 0.7},
	}
	sum := &results.Summary{Experiments: results.Experiments{Capacity: []results.CapacityResult{{Target: "ref", CapacityRPS: 40, CapacityRPSLow: 35, CapacityRPSHi: 45, SLOP99Ms: 100}}}}
	fleets, _, err := fleetsFor(book, sum, sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(fleets) != 2 || fleets[0].CapacityRPS != 40 || fleets[1].CapacityRPS != 80 || fleets[1].CapacityLow != 70 {
		t.Fatalf("fleets = %+v %+v", fleets[0], fleets[1])
	}
	if !strings.Contains(fleets[1].CapacityAssumption, "scaled by vCPU (4/2) from c7g.large") {
		t.Errorf("assumption = %q", fleets[1].CapacityAssumption)
	}
	// Without capacity: no fleets and a note.
	fleets, notes, err := fleetsFor(book, &results.Summary{}, &scenarios.Scenario{})
	if err != nil || len(fleets) != 0 || len(notes) != 1 {
		t.Errorf("no capacity: %v %v %v", fleets, notes, err)
	}
}

func TestZeroMeasuredCapacity(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	// A capacity search whose every step failed its SLO: capacity 0.
	failed := results.CapacityResult{Target: "ref", SLOP99Ms: 300, SLOErrorRate: 0.01, MinRPS: 10, MaxRPS: 400, LimitedBy: "min_rps",
		Steps: []results.CapacityStep{{OfferedRPS: 20, P99Ms: 900}, {OfferedRPS: 10, P99Ms: 650}}}
	for _, tt := range []struct {
		name        string
		capacityRPS float64
		wantFleets  bool
		wantNote    []string
	}{
		{name: "no fallback", wantNote: []string{"no instance capacity: the capacity search on ref found no rate that passed its SLO (p99 ≤ 300 ms, error rate ≤ 1%), not even its lowest rate, 10 requests/s (limited by min_rps)",
			"no fleet is sized from it", "set pricing.capacity_rps"}},
		{name: "capacity_rps given", capacityRPS: 20, wantFleets: true, wantNote: []string{"the capacity search on ref found no rate that passed its SLO",
			"fleets are sized from pricing.capacity_rps = 20 instead"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			recs, sc := testRun()
			sc.Pricing.CapacityRPS = tt.capacityRPS
			sum := &results.Summary{Experiments: results.Experiments{Capacity: []results.CapacityResult{failed}}}
			if err := AnalyzeRun(book, sliceReader(recs), sum, sc); err != nil {
				t.Fatal(err)
			}
			all := strings.Join(sum.Notes, "\n")
			if strings.Contains(all, "no capacity experiment ran") {
				t.Errorf("notes claim no capacity experiment ran: %q", all)
			}
			for _, w := range tt.wantNote {
				if !strings.Contains(all, w) {
					t.Errorf("notes lack %q:\n%s", w, all)
				}
			}
			if !tt.wantFleets {
				if len(sum.BreakEven) != 0 {
					t.Errorf("break-even rows from a zero capacity: %+v", sum.BreakEven)
				}
				for _, m := range sum.MonthlyCost {
					if m.Kind == "fleet" {
						t.Errorf("fleet cost row from a zero capacity: %+v", m)
					}
				}
				return
			}
			if len(sum.BreakEven) == 0 {
				t.Fatal("no break-even rows with pricing.capacity_rps given")
			}
			for _, r := range sum.BreakEven {
				if r.CapacityRPS != 20 || !strings.Contains(r.CapacityAssumption, "given: pricing.capacity_rps") || !strings.Contains(r.CapacityAssumption, "found no passing rate") {
					t.Errorf("row capacity = %g %q", r.CapacityRPS, r.CapacityAssumption)
				}
			}
		})
	}
}

func TestBenchmarkCostRealLambda(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	recs, sc := testRun()
	sc.Targets = []scenarios.Target{{Name: "fn", Kind: "aws-lambda", Function: "f", Architecture: "arm64"}}
	sc.Pricing.Architectures = []string{"x86_64"}
	sum := &results.Summary{}
	if err := AnalyzeRun(book, sliceReader(recs), sum, sc); err != nil {
		t.Fatal(err)
	}
	// Priced as x86_64 (asked) and arm64 (its own); the spend is the arm64 row.
	if len(sum.Cost) != 2 || sum.Cost[1].Architecture != ArchArm64 {
		t.Fatalf("rows = %+v", sum.Cost)
	}
	want := 100*0.0000002 + 11*0.0000133334
	if sum.BenchmarkCostUSD == nil || !near(*sum.BenchmarkCostUSD, want, 1e-9) {
		t.Errorf("benchmark cost = %v, want %g", sum.BenchmarkCostUSD, want)
	}
}

// TestAnalyzeRunImplausibleRecords: a record whose REPORT fields are NaN,
// infinite, negative or absurd is counted as unpriced, never a panic.
func TestAnalyzeRunImplausibleRecords(t *testing.T) {
	t.Parallel()
	recs, sc := testRun()
	for i, v := range []float64{math.NaN(), math.Inf(1), -5, 1e300} {
		recs[i].DurationMs, recs[i].BilledDurationMs = fptr(v), fptr(v)
	}
	sum := &results.Summary{}
	if err := AnalyzeRun(mustBook(t), sliceReader(recs), sum, sc); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(sum.Notes, "\n"), "4 requests had no billed duration and are not priced") {
		t.Errorf("notes = %q", sum.Notes)
	}
}

// TestAnalyzeRunSageMakerServerless: an http target billed as a SageMaker
// Serverless Inference endpoint: compute per ms at its memory size plus
// data processed (request + response bytes), as a serverless family.
func TestAnalyzeRunSageMakerServerless(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	var recs []results.Record
	for i := range 10 {
		recs = append(recs, results.Record{Target: "sm", Phase: "p", Code: 200, Timestamp: start.Add(time.Duration(i) * time.Second),
			Latency: 79_200 * time.Microsecond, BytesOut: 1024, BytesIn: 3072})
	}
	sc := &scenarios.Scenario{Seed: 1, Targets: []scenarios.Target{
		{Name: "sm", Kind: "http", URL: "https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/bert/invocations",
			Billing: &scenarios.Billing{Platform: "sagemaker-serverless", MemoryMB: 2048}}},
		Pricing: scenarios.PricingSettings{Region: "us-east-1", CapacityRPS: 40, Instances: []string{"c7g.large"}}}
	sum := &results.Summary{}
	if err := AnalyzeRun(mustBook(t), sliceReader(recs), sum, sc); err != nil {
		t.Fatal(err)
	}
	if len(sum.Cost) != 1 {
		t.Fatalf("cost rows = %+v", sum.Cost)
	}
	// 80 ms × $0.00004/s + 4,096 B / 2^30 × $0.016 per request.
	want := 0.080*0.00004 + 4096.0/(1<<30)*0.016
	row := sum.Cost[0]
	if row.Platform != PlatformSageMakerServerless || !near(row.CostPerRequestUSD, want, 1e-9) {
		t.Errorf("row = %+v, want %g per request", row, want)
	}
	names := []string{}
	for _, c := range row.Components {
		names = append(names, c.Name)
	}
	if strings.Join(names, ",") != "requests,compute,data_processed" {
		t.Errorf("components = %v", names)
	}
	if len(sum.BreakEven) != 1 || sum.BreakEven[0].MonthlyRequests <= 0 {
		t.Errorf("break-even = %+v", sum.BreakEven)
	}
}
