package pricing

import (
	"slices"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// TestPriceConfidence prices a run with a book whose arm64 Lambda entry is
// marked U (recalled) and with t3.micro (recalled in the embedded book)
// among the instances: every cost, monthly-cost and break-even row priced
// from one of them says recalled, the others sourced, and the decision
// lists exactly those entries as recalled and flags them.
func TestPriceConfidence(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	arm, err := book.Find(PlatformLambda, "us-east-1", ArchArm64, "", "")
	if err != nil {
		t.Fatal(err)
	}
	arm.Confidence = "U: recalled for this test"
	micro, err := book.Find(PlatformEC2, "us-east-1", "", "", "t3.micro")
	if err != nil {
		t.Fatal(err)
	}
	if !micro.Recalled() {
		t.Fatalf("t3.micro is no longer recalled in the embedded book (%q): pick another U entry", micro.Confidence)
	}
	recs, sc := testRun()
	sc.Pricing.Instances = []string{"c7g.large", "t3.micro"}
	sc.Pricing.Profile = scenarios.Profile{MonthlyRequests: 5e6, Shape: "constant"}
	sum := &results.Summary{}
	if err := AnalyzeRun(book, sliceReader(recs), sum, sc); err != nil {
		t.Fatal(err)
	}
	want := func(recalled bool) string {
		if recalled {
			return results.PriceRecalled
		}
		return results.PriceSourced
	}
	for _, c := range sum.Cost {
		if got := c.PriceConfidence; got != want(c.Architecture == ArchArm64) {
			t.Errorf("cost row %s %s: price_confidence %q", c.Target, c.Architecture, got)
		}
	}
	for _, r := range sum.MonthlyCost {
		if got := r.PriceConfidence; got != want(r.Architecture == ArchArm64 || r.Instance == "t3.micro") {
			t.Errorf("monthly row %s: price_confidence %q", r.Option, got)
		}
	}
	if len(sum.BreakEven) != 4 {
		t.Fatalf("break-even rows = %d, want 4", len(sum.BreakEven))
	}
	for _, r := range sum.BreakEven {
		if got := r.PriceConfidence; got != want(strings.Contains(r.Serverless, "arm64") || r.Instance == "t3.micro") {
			t.Errorf("break-even %s vs %s: price_confidence %q", r.Serverless, r.Instance, got)
		}
	}
	d := sum.Decision
	if d == nil {
		t.Fatal("no decision")
	}
	var recalled []string
	for _, p := range d.PricesUsed {
		if p.Confidence == results.PriceRecalled {
			recalled = append(recalled, p.Entry)
		}
	}
	if got, wantR := strings.Join(recalled, ", "), "aws-lambda us-east-1 arm64, ec2 us-east-1 x86_64 t3.micro"; got != wantR || d.RecalledPrices != 2 {
		t.Errorf("recalled prices %q (%d), want %q", got, d.RecalledPrices, wantR)
	}
	if d.PriceBook == nil || d.PriceBook.Version != book.Version || d.PriceBook.Date != book.BookDate {
		t.Errorf("price book = %+v", d.PriceBook)
	}
	i := slices.IndexFunc(d.Flags, func(f results.Flag) bool { return f.Name == results.FlagRecalledPrices })
	if i < 0 || !strings.Contains(d.Flags[i].Detail, "2 of 4 prices used are recalled") || !strings.Contains(d.Flags[i].Detail, "t3.micro") {
		t.Errorf("flags = %+v, want a recalled-prices flag naming 2 of 4 entries", d.Flags)
	}
}

// decisionSummary is a priced summary with all three kinds of option: three
// serverless configurations (256 MB failing the SLO in its sweep step), a
// fleet and Lambda Managed Instances; break-even rows of the cheapest
// configuration meeting the SLO against both always-on options.
func decisionSummary() (*results.Summary, *scenarios.Scenario) {
	sc := &scenarios.Scenario{SLO: scenarios.SLO{P99Ms: 300},
		Targets: []scenarios.Target{{Name: "fn", Kind: "local-lambda", Function: "f"}, {Name: "ref", Kind: "http"}}}
	step := func(mem int, p99 float64) results.PhaseSummary {
		return results.PhaseSummary{Name: "sweep", Step: results.MemoryStep(mem), Experiment: results.ExperimentMemorySweep,
			Requests: 80, OK: 80, LatencyMs: results.Distribution{P99: p99}, MemorySizeMB: mem}
	}
	sum := &results.Summary{
		Targets: []results.TargetSummary{
			{Name: "fn", Phases: []results.PhaseSummary{step(256, 780), step(1024, 157), step(1769, 114), step(2048, 95),
				{Name: "diurnal", Requests: 200, OK: 200, LatencyMs: results.Distribution{P99: 320}, MemorySizeMB: 1769}}},
			{Name: "ref", Phases: []results.PhaseSummary{{Name: "diurnal", Requests: 221, OK: 221, LatencyMs: results.Distribution{P99: 118}},
				{Name: "capacity", Step: "capacity_rps=10", Experiment: "capacity", Requests: 150, LatencyMs: results.Distribution{P99: 90}, GeneratorFellBehind: true},
				{Name: "capacity", Step: "capacity_rps=20", Experiment: "capacity", Requests: 150, LatencyMs: results.Distribution{P99: 95}}}},
		},
		Experiments: results.Experiments{Capacity: []results.CapacityResult{{Target: "ref", CapacityRPS: 120, SLOP99Ms: 300}}},
		Run:         results.RunInfo{Services: []results.ServiceInfo{{Name: "ref", Kind: "server", Model: "tinybert-4l-312", Weights: results.WeightsSynthetic}}},
	}
	serverless := func(mem int, usd float64) results.MonthlyCostRow {
		return results.MonthlyCostRow{Option: "fn " + results.MemoryStep(mem), Kind: results.OptionServerless, Target: "fn", Platform: PlatformLambda,
			Architecture: ArchArm64, MemoryMB: mem, MonthlyRequests: 5e6, AverageRPS: AverageRPS(5e6), MonthlyCostUSD: usd}
	}
	sum.MonthlyCost = []results.MonthlyCostRow{serverless(256, 2.5), serverless(1024, 3.1), serverless(1769, 5.0), serverless(2048, 4.2),
		{Option: "t3.medium fleet", Kind: results.OptionFleet, Instance: "t3.medium", MonthlyRequests: 5e6, MonthlyCostUSD: 30.37},
		{Option: "c7g.large fleet", Kind: results.OptionFleet, Instance: "c7g.large", MonthlyRequests: 5e6, MonthlyCostUSD: 52.92},
		{Option: "m7g.large LMI", Kind: results.OptionLambdaManaged, Instance: "m7g.large", MonthlyRequests: 5e6, MonthlyCostUSD: 207.51}}
	sum.BreakEven = []results.BreakEvenRow{
		{Serverless: "fn memory_mb=1024", Instance: "t3.medium", Fleet: "t3.medium fleet", MonthlyRequests: 65.5e6, AverageRPS: AverageRPS(65.5e6),
			MonthlyRequestsLow: 49.5e6, MonthlyRequestsHigh: 112e6, CrossingsCount: 3,
			Crossings: []results.Crossing{{MonthlyRequests: 65.5e6, Direction: "serverless_becomes_dearer"}}},
		{Serverless: "fn memory_mb=1024", Instance: "c7g.large", Fleet: "c7g.large fleet", MonthlyRequests: 40e6, AverageRPS: AverageRPS(40e6),
			Crossings: []results.Crossing{{MonthlyRequests: 40e6, Direction: "serverless_becomes_dearer"}}},
		{Serverless: "fn memory_mb=1024", Instance: "m7g.large", InstanceKind: results.OptionLambdaManaged, Fleet: "m7g.large LMI", Crossings: []results.Crossing{}},
		{Serverless: "fn memory_mb=256", Instance: "t3.medium", Fleet: "t3.medium fleet", MonthlyRequests: 80e6},
	}
	return sum, sc
}

// TestDecide judges options of every kind from the summary alone.
func TestDecide(t *testing.T) {
	t.Parallel()
	sum, sc := decisionSummary()
	d := Decide(sum, sc, DecideOptions{})
	var order []string
	for _, o := range d.Options {
		order = append(order, o.Option+":"+o.SLO)
	}
	if got, want := strings.Join(order, " "), "fn memory_mb=1024:pass fn memory_mb=2048:pass t3.medium fleet:pass c7g.large fleet:pass m7g.large LMI:pass fn memory_mb=256:fail fn memory_mb=1769:fail"; got != want {
		t.Errorf("options\n got %s\nwant %s", got, want)
	}
	if d.Recommended != "fn memory_mb=1024" || !d.Options[0].Recommended || d.Serverless != "fn memory_mb=1024" || d.AlwaysOn != "t3.medium fleet" {
		t.Errorf("recommended %q, serverless %q, always-on %q", d.Recommended, d.Serverless, d.AlwaysOn)
	}
	byName := map[string]results.DecisionOption{}
	for _, o := range d.Options {
		byName[o.Option] = o
	}
	// Rising traffic meets c7g.large's break-even (40 M) before t3.medium's
	// (65.5 M), though t3.medium is the cheaper at the profile.
	if f := d.Flip; f == nil || f.Outcome != results.BreakEvenServerlessBelow || f.MonthlyRequests != 40e6 || f.AlwaysOn != "c7g.large fleet" {
		t.Errorf("flip = %+v, want c7g.large's break-even", d.Flip)
	}
	if o := byName["t3.medium fleet"]; o.BreakEven == nil || o.BreakEven.MonthlyRequests != 65.5e6 || o.BreakEven.MonthlyRequestsLow != 49.5e6 || o.BreakEven.Crossings != 3 {
		t.Errorf("t3.medium break-even = %+v", o.BreakEven)
	}
	if o := byName["m7g.large LMI"]; o.BreakEven == nil || o.BreakEven.Outcome != results.BreakEvenServerlessAlways {
		t.Errorf("LMI break-even = %+v, want serverless always cheaper (no crossing, serverless cheaper at the profile)", o.BreakEven)
	}
	if o := byName["fn memory_mb=256"]; o.P99From != "fn / sweep memory_mb=256" || len(o.SLOViolations) != 1 || o.BreakEven != nil {
		t.Errorf("256 MB option = %+v", o)
	}
	// 1769 MB passed its sweep step but failed the plain (profile-like)
	// phase at that size: it fails, with the plain phase's p99.
	if o := byName["fn memory_mb=1769"]; o.P99From != "fn / diurnal" || *o.P99Ms != 320 || len(o.SLOViolations) != 1 {
		t.Errorf("1769 MB option = %+v, want the diurnal phase's p99 and its violation", o)
	}
	if o := byName["t3.medium fleet"]; o.P99Ms == nil || *o.P99Ms != 118 || o.P99From != "ref / diurnal" {
		t.Errorf("fleet p99 from %q, want ref / diurnal", o.P99From)
	}
	if o := byName["fn memory_mb=1024"]; o.CostPerMillionUSD < 0.619 || o.CostPerMillionUSD > 0.621 {
		t.Errorf("cost per 1M = %g, want 0.62", o.CostPerMillionUSD)
	}
	var names []string
	for _, f := range d.Flags {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, ","); got != "generator_fell_behind,synthetic_weights" {
		t.Errorf("flags = %s", got)
	}
}

// TestDecideEdges: no profile gives no options (and no recommendation);
// an assumed capacity is SLOAssumed; nothing meeting the SLO recommends
// nothing but still names the cheapest of each family.
func TestDecideEdges(t *testing.T) {
	t.Parallel()
	t.Run("no profile", func(t *testing.T) {
		sum, sc := decisionSummary()
		sum.MonthlyCost = nil
		d := Decide(sum, sc, DecideOptions{})
		if len(d.Options) != 0 || d.Recommended != "" || d.Flip != nil || d.Options == nil {
			t.Errorf("decision = %+v", d)
		}
	})
	t.Run("assumed capacity", func(t *testing.T) {
		sum, sc := decisionSummary()
		sum.Experiments.Capacity = nil
		d := Decide(sum, sc, DecideOptions{})
		for _, o := range d.Options {
			if o.Kind != results.OptionServerless && (o.SLO != results.SLOAssumed || o.P99Ms != nil) {
				t.Errorf("%s: SLO %q, p99 %v; want assumed, none", o.Option, o.SLO, o.P99Ms)
			}
		}
	})
	t.Run("nothing meets the SLO", func(t *testing.T) {
		sum, sc := decisionSummary()
		sc.SLO.P99Ms = 50
		sum.Experiments.Capacity = []results.CapacityResult{{Target: "ref", CapacityRPS: 120}}
		d := Decide(sum, sc, DecideOptions{})
		if d.Recommended != "" || d.Serverless != "fn memory_mb=256" || d.AlwaysOn != "t3.medium fleet" {
			t.Errorf("recommended %q, serverless %q, always-on %q", d.Recommended, d.Serverless, d.AlwaysOn)
		}
	})
}
