package pricing

import (
	"context"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// managedFleet is an m7g.large Lambda Managed Instances fleet from the
// embedded book at the provider's defaults (3 to 15,000 vCPU).
func managedFleet(t testing.TB, capacity, util float64) *Fleet {
	t.Helper()
	lmi, e, err := mustBook(t).FindManaged("us-east-1", "m7g.large")
	if err != nil {
		t.Fatal(err)
	}
	f := &Fleet{Instance: "m7g.large", Entry: e, CapacityRPS: capacity, Utilisation: util, MinInstances: 3, Autoscaled: true,
		Managed: &ManagedPricing{Entry: lmi, MaxVCPU: 15000, MaxInstances: 15000 / e.EC2.VCPU}}
	f.Name = f.Describe()
	return f
}

// TestManagedCostAcceptance: 3 × m7g.large ($0.0816/h) for 730 h + 15% +
// 10M requests = 3 × 0.0816 × 730 × 1.15 + 2.00 = $207.51, each line
// naming its entry.
func TestManagedCostAcceptance(t *testing.T) {
	t.Parallel()
	lmi, e, err := mustBook(t).FindManaged("us-east-1", "m7g.large")
	if err != nil {
		t.Fatal(err)
	}
	est, err := ManagedCost(lmi, e, ManagedUsage{Instances: 3, Hours: 730, Requests: 10_000_000})
	if err != nil {
		t.Fatal(err)
	}
	if !est.TotalUSD.Equal(d("207.5096")) || est.TotalUSD.StringFixed(2) != "207.51" {
		t.Errorf("total = %s, want 207.5096 ($207.51)", est.TotalUSD)
	}
	want := []struct{ usd, entry string }{{"178.704", "ec2 us-east-1 arm64 m7g.large"}, {"26.8056", "lambda-managed us-east-1 arm64"}, {"2", "lambda-managed us-east-1 arm64"}}
	if len(est.Items) != len(want) {
		t.Fatalf("items = %+v", est.Items)
	}
	for i, w := range want {
		if it := est.Items[i]; !it.USD.Equal(d(w.usd)) || est.ItemEntry(it) != w.entry {
			t.Errorf("item %d = %s %s from %q, want %s from %q", i, it.Name, it.USD, est.ItemEntry(it), w.usd, w.entry)
		}
	}
	for _, bad := range []struct {
		u    ManagedUsage
		want string
	}{
		{ManagedUsage{Instances: 2, Hours: 730}, "below the capacity provider's minimum of 3"},
		{ManagedUsage{Instances: 2, Hours: 730, MinInstances: 2}, ""},
		{ManagedUsage{Instances: 8000, Hours: 730}, "16000 vCPU exceeds the capacity provider's max of 15000 vCPU"},
		{ManagedUsage{Instances: 3, Hours: -1}, "hours must be between 0 and 8784"},
	} {
		_, err := ManagedCost(lmi, e, bad.u)
		if (err == nil) != (bad.want == "") || (err != nil && !strings.Contains(err.Error(), bad.want)) {
			t.Errorf("%+v: err = %v, want %q", bad.u, err, bad.want)
		}
	}
	for _, in := range []string{"g5.xlarge", "t3.medium", "inf2.xlarge"} {
		if _, _, err := mustBook(t).FindManaged("us-east-1", in); err == nil {
			t.Errorf("%s: LMI does not run it, want an error", in)
		}
	}
}

// TestManagedBreakEvenMinimumFleet: at low volume an LMI fleet costs its
// capacity provider's three-instance minimum, so serverless at $1.86667
// per 1M (1 GB, 100 ms) stays cheaper until
// 3 × 0.0816 × 1.15 × 730 / (1.86667 − 0.20) per 1M = 123,305,633
// requests/month, while one plain c7g.large would break even at 28.35 M.
func TestManagedBreakEvenMinimumFleet(t *testing.T) {
	t.Parallel()
	f := managedFleet(t, 100, 1)
	s := linearServerless("0.00000186667")
	cs, _, err := Pair{S: s, F: f, Profile: ConstantProfile()}.Crossings(context.Background(), 1, 1e11)
	if err != nil || len(cs) == 0 {
		t.Fatalf("crossings %+v, %v", cs, err)
	}
	minFleet := 3 * 0.0816 * 1.15 * 730
	if want := minFleet / (0.00000186667 - 0.0000002); !near(cs[0].MonthlyRequests, want, 1e-8) || cs[0].Direction != DirDearer {
		t.Errorf("first crossing %+v, want %.2f dearer", cs[0], want)
	}
	// Below the break-even the fleet is its minimum plus the request fee.
	if got, want := f.Monthly(50e6, ConstantProfile()).InexactFloat64(), minFleet+50e6*2e-7; !near(got, want, 1e-12) {
		t.Errorf("monthly at 50M = %v, want %v", got, want)
	}
	// A smaller configured minimum moves it.
	g := *f
	g.MinInstances = 1
	cs, _, _ = Pair{S: s, F: &g, Profile: ConstantProfile()}.Crossings(context.Background(), 1, 1e11)
	if want := minFleet / 3 / (0.00000186667 - 0.0000002); len(cs) == 0 || !near(cs[0].MonthlyRequests, want, 1e-8) {
		t.Errorf("min 1: crossings %+v, want %.2f", cs, want)
	}
}

// TestManagedScalingRateBound: LMI absorbs traffic that at most doubles
// within 5 minutes, so before the diurnal profile's step from nothing to
// the peak (hour 23 → hour 0) the fleet already holds half the peak's
// instances; it never drops below its minimum of 3.
func TestManagedScalingRateBound(t *testing.T) {
	t.Parallel()
	prof, err := DiurnalProfile(3, 8) // 8 peak hours (0–7) at 3×, nothing the other 16
	if err != nil {
		t.Fatal(err)
	}
	f := managedFleet(t, 40, 0.7)
	// 10 instances at the peak: peak rate 10 × 28 = 280 rps, average 93.3 rps.
	v := MonthlyRequests(280.0 / 3)
	counts, peak := f.slotCounts(prof.Rates(v))
	if peak != 10 {
		t.Fatalf("peak = %d, want 10", peak)
	}
	for h, n := range counts {
		want := 3 // the capacity provider's minimum
		switch {
		case h < 8:
			want = 10
		case h == 23:
			want = 5 // half of hour 0's 10, before the step
		}
		if n != want {
			t.Errorf("hour %d holds %d instances, want %d", h, n, want)
		}
	}
	// Monthly: (8 × 10 + 5 + 15 × 3) instance-slots × $0.0816 × 1.15 × 730/24 + V × $0.20/1M.
	want := float64(8*10+5+15*3)*0.0816*1.15*730/24 + v*2e-7
	if got := f.Monthly(v, prof).InexactFloat64(); !near(got, want, 1e-9) {
		t.Errorf("monthly = %v, want %v", got, want)
	}
	// The pre-scaled slot also steps the cost: a break-even search sees
	// every step (including those of half the next hour's rate) and each
	// crossing is a sign change.
	s := linearServerless("0.0000009")
	pr := Pair{S: s, F: f, Profile: prof}
	cs, _, err := pr.Crossings(context.Background(), 1, 1e11)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		before, after := pr.diff(c.MonthlyRequests*(1-1e-7)), pr.diff(c.MonthlyRequests*(1+1e-7))
		if before.IsNegative() == after.IsNegative() {
			t.Errorf("crossing at %.6g is not a sign change", c.MonthlyRequests)
		}
	}
}

// TestManagedMaxVCPU: a capacity provider's max vCPU caps the fleet; the
// search stops where the peak would need more, and the row says so.
func TestManagedMaxVCPU(t *testing.T) {
	t.Parallel()
	f := managedFleet(t, 40, 1)
	f.Managed.MaxVCPU, f.Managed.MaxInstances = 20, 10 // 10 × m7g.large
	mv := f.maxVolume(ConstantProfile())
	if want := MonthlyRequests(400); !near(mv, want, 1e-12) {
		t.Errorf("max volume = %v, want %v (10 × 40 rps)", mv, want)
	}
	a := &Analysis{Region: "us-east-1", Profile: ConstantProfile(), Serverless: []*Serverless{linearServerless("0.00000001")}, Fleets: []*Fleet{f},
		MinMonthlyRequests: 1, MaxMonthlyRequests: 1e11}
	rows, err := a.BreakEven(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if r := rows[0]; r.InstanceKind != results.OptionLambdaManaged || !strings.Contains(r.Note, "reaches its capacity provider's max of 20 vCPU (10 × m7g.large)") {
		t.Errorf("row = %+v", r)
	}
}

// TestManagedFromScenario: pricing.lambda_managed prices the reference
// server's measured capacity as an LMI fleet: a third family in the
// break-even rows, the monthly costs and the curves.
func TestManagedFromScenario(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	sc := &scenarios.Scenario{
		Servers: []scenarios.Server{{Name: "ref", Instance: "c7g.large"}},
		Targets: []scenarios.Target{{Name: "ref", Kind: "http", Server: "ref", URL: "/v1"}},
		Pricing: scenarios.PricingSettings{Region: "us-east-1", Instances: []string{"c7g.large", "g5.xlarge"}, TargetUtilisation: 0.7,
			Profile:       scenarios.Profile{MonthlyRequests: 50e6},
			LambdaManaged: &scenarios.LambdaManaged{}},
	}
	sum := &results.Summary{Experiments: results.Experiments{Capacity: []results.CapacityResult{{Target: "ref", CapacityRPS: 40, SLOP99Ms: 100}}},
		Cost: []results.CostRow{{Target: "fn", Platform: PlatformLambda, Architecture: ArchX86, MemoryMB: 1024, Requests: 100, CostPerRequestUSD: 1.86667e-6, CostPerMillionUSD: 1.86667,
			CostPerMillionLow: 1.86667, CostPerMillionHi: 1.86667}}}
	a, err := NewAnalysis(book, sum, sc)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, f := range a.Fleets {
		kinds = append(kinds, f.Instance+":"+f.Kind())
	}
	// g5.xlarge is a fleet option but not an LMI one (GPU): skipped with a note.
	if got := strings.Join(kinds, " "); got != "c7g.large:fleet g5.xlarge:fleet c7g.large:lambda-managed" {
		t.Fatalf("fleets = %s", got)
	}
	if !strings.Contains(strings.Join(a.Notes, "\n"), "Lambda Managed Instances: g5.xlarge not priced: g5.xlarge has an accelerator") {
		t.Errorf("notes = %q", a.Notes)
	}
	rows, err := a.BreakEven(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	var lmiRow *results.BreakEvenRow
	for i := range rows {
		if rows[i].InstanceKind == results.OptionLambdaManaged {
			lmiRow = &rows[i]
		}
	}
	// Three c7g.large at $0.0725 × 1.15 × 730 = $182.5 minimum; 28 rps per
	// instance covers 3 × 28 × 2.628M = 220.8M requests/month, so the
	// break-even is 182.5 / (1.86667 − 0.2) per 1M.
	if want := 3 * 0.0725 * 1.15 * 730 / (1.86667e-6 - 2e-7); lmiRow == nil || !near(lmiRow.MonthlyRequests, want, 1e-6) {
		t.Fatalf("LMI row %+v, want break-even %.0f", lmiRow, want)
	}
	if !strings.Contains(strings.Join(lmiRow.PriceSources, " "), "lambda/pricing") || len(lmiRow.Sensitivity) == 0 {
		t.Errorf("LMI row lacks its sources or sensitivity: %+v", lmiRow)
	}
	var monthly *results.MonthlyCostRow
	for i, r := range a.MonthlyCosts(50e6) {
		if r.Kind == results.OptionLambdaManaged {
			monthly = &a.MonthlyCosts(50e6)[i]
		}
	}
	if monthly == nil || monthly.PeakInstances != 3 || len(monthly.Components) != 3 || monthly.Components[1].Name != results.CostManagementFee {
		t.Fatalf("LMI monthly row = %+v", monthly)
	}
	if want := 3*0.0725*1.15*730 + 50e6*2e-7; !near(monthly.MonthlyCostUSD, want, 1e-9) {
		t.Errorf("LMI monthly = %v, want %v", monthly.MonthlyCostUSD, want)
	}
	n := 0
	for _, c := range a.Curves(1e5, 1e10, 20) {
		if c.Kind == results.OptionLambdaManaged {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d LMI curves, want 1", n)
	}
}
