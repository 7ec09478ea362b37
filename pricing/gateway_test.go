package pricing

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

func TestMeteredRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		bytes uint64
		want  int64
	}{
		{"empty request still counts once", 0, 1},
		{"exactly 512 KB", 512 * 1024, 1},
		{"one byte over 512 KB", 512*1024 + 1, 2},
		{"600 KB response", 600 * 1024, 2},
		{"1.2 MB (the AWS example: 3)", 1_200_000, 3},
		{"exactly 1 MB", 1024 * 1024, 2},
	}
	for _, tt := range tests {
		if got := (&APIGatewayRates{MeteringKB: 512}).MeteredRequests(tt.bytes); got != tt.want {
			t.Errorf("%s: MeteredRequests(%d) = %d, want %d", tt.name, tt.bytes, got, tt.want)
		}
	}
}

// gatewayRun is 1,000 warm invocations of 100 ms billed at 1,024 MB (x86),
// each with a 100-byte request and a respBytes response, against a target
// of the given kind, and a c7g.large fleet of 40 rps per instance.
func gatewayRun(kind, url, gateway string, ephemeralMB, respBytes int) ([]results.Record, *scenarios.Scenario) {
	start := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	var recs []results.Record
	for i := range 1000 {
		recs = append(recs, results.Record{Target: "fn", Phase: "steady", Code: 200, Timestamp: start.Add(time.Duration(i) * 100 * time.Millisecond),
			Latency: 130 * time.Millisecond, DurationMs: fptr(99.2), BilledDurationMs: fptr(100), MemorySizeMB: iptr(1024),
			BytesOut: 100, BytesIn: uint64(respBytes)})
	}
	t := scenarios.Target{Name: "fn", Kind: kind, Function: "fn", Region: "us-east-1", URL: url, Architecture: ArchX86,
		APIGateway: gateway, EphemeralStorageMB: ephemeralMB}
	sc := &scenarios.Scenario{Name: "gw", Seed: 5, Targets: []scenarios.Target{t},
		Pricing: scenarios.PricingSettings{Region: "us-east-1", CapacityRPS: 40, Instances: []string{"c7g.large"},
			TargetUtilisation: 0.7, Fleet: "fixed", Profile: scenarios.Profile{MonthlyRequests: 10_000_000}}}
	return recs, sc
}

// TestAnalyzeRunGatewayAndEphemeral prices the same measured requests with
// and without an API Gateway HTTP API and extra ephemeral storage, through
// AnalyzeRun (what benchctl run and benchctl pricing breakeven --run call).
// Per request (us-east-1, x86, hand-computed):
//
//	requests   $0.0000002
//	compute    1 GB × 0.1 s × $0.0000166667          = $0.00000166667
//	gateway    2 metered (100 B + 600 KB) × $0.000001 = $0.000002
//	           (1 metered for a 10 KB response         = $0.000001)
//	storage    (2048 − 512)/1024 GB × 0.1 s × $0.0000000309 = $0.000000004635
//
// The break-even against one c7g.large (the fleet's first step; all
// requests warm) is the instance-month / the cost per request.
func TestAnalyzeRunGatewayAndEphemeral(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	c7g := mustFind(t, book, PlatformEC2, "us-east-1", "", "", "c7g.large")
	instMonth := c7g.EC2.HourlyUSD.Mul(decimal.NewFromInt(HoursPerMonth)).InexactFloat64()
	apigw := mustFind(t, book, PlatformAPIGatewayHTTP, "us-east-1", "", "", "")
	tests := []struct {
		name           string
		kind, url      string
		gateway        string
		ephemeralMB    int
		respBytes      int
		wantPerM       float64
		wantComponents map[string]float64 // per 1M
		wantBench      float64            // benchmark_cost_usd (real-cloud targets)
		wantEphSource  string
	}{
		{name: "no gateway, default storage", kind: "aws-lambda", respBytes: 600 * 1024, wantPerM: 1.86667,
			wantComponents: map[string]float64{results.CostRequests: 0.2, results.CostCompute: 1.66667},
			wantBench:      1000 * 1.86667e-6, wantEphSource: EphemeralDefault},
		{name: "http api, 600 KB responses: 2 metered each", kind: "aws-lambda", gateway: "http", respBytes: 600 * 1024, wantPerM: 3.86667,
			wantComponents: map[string]float64{results.CostRequests: 0.2, results.CostCompute: 1.66667, results.CostAPIGatewayHTTP: 2},
			// Invoke API calls bypass the gateway: the run itself did not pay its fee.
			wantBench: 1000 * 1.86667e-6, wantEphSource: EphemeralDefault},
		{name: "http api, 10 KB responses: 1 metered each", kind: "aws-lambda", gateway: "http", respBytes: 10 * 1024, wantPerM: 2.86667,
			wantComponents: map[string]float64{results.CostAPIGatewayHTTP: 1}, wantBench: 1000 * 1.86667e-6, wantEphSource: EphemeralDefault},
		{name: "ephemeral storage 2048 MB", kind: "aws-lambda", ephemeralMB: 2048, respBytes: 600 * 1024, wantPerM: 1.871305,
			wantComponents: map[string]float64{results.CostEphemeralStorage: 0.004635}, wantBench: 1000 * 1.871305e-6, wantEphSource: EphemeralFromScenario},
		{name: "both, through an execute-api URL (the run paid the gateway too)", kind: "lambda-url",
			url: "https://abc123.execute-api.us-east-1.amazonaws.com/sentiment", gateway: "http", ephemeralMB: 2048, respBytes: 600 * 1024, wantPerM: 3.871305,
			wantComponents: map[string]float64{results.CostRequests: 0.2, results.CostCompute: 1.66667, results.CostAPIGatewayHTTP: 2, results.CostEphemeralStorage: 0.004635},
			wantBench:      1000 * 3.871305e-6, wantEphSource: EphemeralFromScenario},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			recs, sc := gatewayRun(tt.kind, tt.url, tt.gateway, tt.ephemeralMB, tt.respBytes)
			sum := &results.Summary{}
			if err := AnalyzeRun(book, sliceReader(recs), sum, sc); err != nil {
				t.Fatal(err)
			}
			if len(sum.Cost) != 1 {
				t.Fatalf("cost rows = %d, want 1: %+v", len(sum.Cost), sum.Cost)
			}
			row := sum.Cost[0]
			if !near(row.CostPerMillionUSD, tt.wantPerM, 1e-6) {
				t.Errorf("cost per 1M = %.9g, want %.9g", row.CostPerMillionUSD, tt.wantPerM)
			}
			if !near(row.RunCostUSD, tt.wantPerM/1000, 1e-6) {
				t.Errorf("run cost = %.9g, want %.9g", row.RunCostUSD, tt.wantPerM/1000)
			}
			if !(row.CostPerMillionLow <= row.CostPerMillionUSD && row.CostPerMillionUSD <= row.CostPerMillionHi) {
				t.Errorf("CI [%g, %g] does not bracket %g", row.CostPerMillionLow, row.CostPerMillionHi, row.CostPerMillionUSD)
			}
			got := map[string]results.CostComponent{}
			var sumRun float64
			for _, c := range row.Components {
				got[c.Name] = c
				sumRun += c.RunCostUSD
				if c.PriceSource == "" || c.PriceEffective == "" {
					t.Errorf("component %s lacks provenance: %+v", c.Name, c)
				}
			}
			for name, perM := range tt.wantComponents {
				if c, ok := got[name]; !ok || !near(c.CostPerMillionUSD, perM, 1e-6) {
					t.Errorf("component %s = %+v, want %g per 1M", name, c, perM)
				}
			}
			if !near(sumRun, row.RunCostUSD, 1e-9) {
				t.Errorf("components add up to %.12g, row says %.12g", sumRun, row.RunCostUSD)
			}
			if gw, ok := got[results.CostAPIGatewayHTTP]; ok {
				if gw.PriceSource != apigw.Source || gw.Unit != "metered requests" || gw.RateUSD != 0.000001 {
					t.Errorf("gateway component = %+v", gw)
				}
				if row.APIGateway != "http" {
					t.Errorf("api_gateway = %q, want http", row.APIGateway)
				}
			} else if tt.gateway != "" {
				t.Error("no api_gateway_http component")
			}
			if _, ok := got[results.CostEphemeralStorage]; ok != (tt.ephemeralMB > 512) {
				t.Errorf("ephemeral component present = %v, want %v", ok, tt.ephemeralMB > 512)
			}
			if row.EphemeralStorageSource != tt.wantEphSource {
				t.Errorf("ephemeral source = %q, want %q", row.EphemeralStorageSource, tt.wantEphSource)
			}
			if sum.BenchmarkCostUSD == nil || !near(*sum.BenchmarkCostUSD, tt.wantBench, 1e-6) {
				t.Errorf("benchmark cost = %v, want %.9g", sum.BenchmarkCostUSD, tt.wantBench)
			}
			// Break-even: one c7g.large over the cost per request.
			if len(sum.BreakEven) != 1 {
				t.Fatalf("break-even rows = %d", len(sum.BreakEven))
			}
			be := sum.BreakEven[0]
			if want := instMonth / (tt.wantPerM / 1e6); !near(be.MonthlyRequests, want, 1e-4) {
				t.Errorf("break-even = %.0f requests/month, want %.0f", be.MonthlyRequests, want)
			}
			if (tt.gateway != "") != (len(be.PriceSources) == 3) {
				t.Errorf("price sources = %v", be.PriceSources)
			}
			// Monthly cost at 10M requests: 10 × the cost per 1M (tier 1 only).
			var sl *results.MonthlyCostRow
			for i := range sum.MonthlyCost {
				if sum.MonthlyCost[i].Kind == "serverless" {
					sl = &sum.MonthlyCost[i]
				}
			}
			if sl == nil || !near(sl.MonthlyCostUSD, 10*tt.wantPerM, 1e-6) {
				t.Fatalf("monthly serverless row = %+v, want $%.6g", sl, 10*tt.wantPerM)
			}
			var parts float64
			for _, c := range sl.Components {
				parts += c.MonthlyCostUSD
				if want, ok := tt.wantComponents[c.Name]; ok && !near(c.MonthlyCostUSD, 10*want, 1e-6) {
					t.Errorf("monthly %s = %g, want %g", c.Name, c.MonthlyCostUSD, 10*want)
				}
			}
			if !near(parts, sl.MonthlyCostUSD, 1e-9) {
				t.Errorf("monthly components add up to %g, row says %g", parts, sl.MonthlyCostUSD)
			}
		})
	}
}

// TestGatewayLowersBreakEven: the same run behind an HTTP API breaks even
// with the fleet at a lower volume, and the curves and notes say why.
func TestGatewayLowersBreakEven(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	analyze := func(gateway string) *results.Summary {
		recs, sc := gatewayRun("aws-lambda", "", gateway, 0, 600*1024)
		sum := &results.Summary{}
		if err := AnalyzeRun(book, sliceReader(recs), sum, sc); err != nil {
			t.Fatal(err)
		}
		return sum
	}
	plain, behind := analyze(""), analyze("http")
	p, b := plain.BreakEven[0].MonthlyRequests, behind.BreakEven[0].MonthlyRequests
	if !(b > 0 && b < p) {
		t.Fatalf("break-even behind the gateway %.0f, without %.0f: want lower and > 0", b, p)
	}
	// 1.86667 / 3.86667 of the volume.
	if !near(b/p, 1.86667/3.86667, 1e-4) {
		t.Errorf("ratio = %g, want %g", b/p, 1.86667/3.86667)
	}
	if got := behind.BreakEven[0].Serverless; got != "fn 1024 MB x86_64 + HTTP API" {
		t.Errorf("serverless name = %q", got)
	}
	found := false
	for _, n := range behind.Notes {
		found = found || (strings.Contains(n, "API Gateway HTTP API") && strings.Contains(n, "$1.00 per 1M") && strings.Contains(n, "2 metered per request"))
	}
	if !found {
		t.Errorf("no gateway note in %q", behind.Notes)
	}
	found = false
	for _, n := range plain.Notes {
		found = found || strings.Contains(n, "ephemeral storage not set")
	}
	if !found {
		t.Errorf("no note about the assumed 512 MB in %q", plain.Notes)
	}
	// Re-analysing from the summary alone (no records) keeps the gateway
	// fee at the metered units the first analysis recorded.
	again := *behind
	if err := AnalyzeRun(book, nil, &again, nil); err != nil {
		t.Fatal(err)
	}
	if len(again.Cost) != 1 || !near(again.Cost[0].CostPerMillionUSD, 3.86667, 1e-5) {
		t.Errorf("summary-only cost = %+v, want $3.86667 per 1M", again.Cost)
	}
}

// TestServerlessMonthlyComponents: the monthly model adds ephemeral
// storage and the gateway's tiers ($1.00 to 300M, $0.90 above), and its
// components add up to Monthly.
func TestServerlessMonthlyComponents(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	x86 := mustFind(t, book, PlatformLambda, "us-east-1", ArchX86, "", "")
	apigw := mustFind(t, book, PlatformAPIGatewayHTTP, "us-east-1", "", "", "")
	s := &Serverless{Name: "s", Platform: PlatformLambda, MemoryMB: 1024, Entry: x86, APIGW: apigw, GatewayUnits: 2, EphemeralMB: 2048,
		WarmGBs: decimal.RequireFromString("0.1"), Cold: ColdModel{Scale: 1}, CILow: 1, CIHigh: 1}
	// 200M requests: 400M metered = 300M × $1e-6 + 100M × $9e-7 = $390;
	// requests $40; compute 20M GB-s: 6B limit not reached, $333.334;
	// storage 30M GB-s × $3.09e-8 = $0.927.
	const v = 200_000_000
	want := map[string]float64{results.CostAPIGatewayHTTP: 390, results.CostRequests: 40, results.CostCompute: 333.334, results.CostEphemeralStorage: 0.927}
	total := 0.0
	for _, c := range s.MonthlyComponents(v, ConstantProfile()) {
		if w, ok := want[c.Name]; !ok || !near(c.MonthlyCostUSD, w, 1e-9) {
			t.Errorf("%s = %.9g, want %.9g", c.Name, c.MonthlyCostUSD, w)
		}
		total += c.MonthlyCostUSD
	}
	if got := s.Monthly(v, ConstantProfile()).InexactFloat64(); !near(got, total, 1e-12) || !near(got, 764.261, 1e-9) {
		t.Errorf("monthly = %.9g, components %.9g, want 764.261", got, total)
	}
}

// TestEphemeralSources: the target's ephemeral_storage_mb wins, then the
// local function's, then the size read from the platform, then 512 MB.
func TestEphemeralSources(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	tests := []struct {
		name       string
		kind       string
		targetMB   int
		functionMB int
		platformMB int
		wantMB     int
		wantSource string
	}{
		{"target field", "local-lambda", 1024, 4096, 0, 1024, EphemeralFromScenario},
		{"local function", "local-lambda", 0, 4096, 0, 4096, EphemeralFromFunction},
		{"read from the platform", "aws-lambda", 0, 0, 3072, 3072, EphemeralFromPlatform},
		{"scenario beats the platform", "aws-lambda", 2048, 0, 3072, 2048, EphemeralFromScenario},
		{"default", "aws-lambda", 0, 0, 0, 512, EphemeralDefault},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			recs, sc := gatewayRun(tt.kind, "", "", tt.targetMB, 1000)
			sc.Functions = []scenarios.Function{{Name: "fn", MemorySize: 1024, EphemeralStorageMB: tt.functionMB}}
			opts := AnalyzeOptions{}
			if tt.platformMB > 0 {
				opts.FunctionEphemeralMB = map[string]int{"fn": tt.platformMB}
			}
			sum := &results.Summary{}
			if err := AnalyzeRunWith(book, sliceReader(recs), sum, sc, opts); err != nil {
				t.Fatal(err)
			}
			row := sum.Cost[0]
			if row.EphemeralStorageMB != tt.wantMB || row.EphemeralStorageSource != tt.wantSource {
				t.Errorf("ephemeral = %d MB from %q, want %d from %q", row.EphemeralStorageMB, row.EphemeralStorageSource, tt.wantMB, tt.wantSource)
			}
			// (MB − 512)/1024 GB × 0.1 s × $3.09e-8 per request, on top of $1.86667 per 1M.
			want := 1.86667 + float64(tt.wantMB-512)/1024*0.1*0.0000000309*1e6
			if !near(row.CostPerMillionUSD, want, 1e-6) {
				t.Errorf("cost per 1M = %.9g, want %.9g", row.CostPerMillionUSD, want)
			}
		})
	}
}

// TestEstimateRunSpendGateway: the pre-run spend estimate includes the
// ephemeral storage a function really has, and the gateway fee only when
// the benchmark's own requests go through the gateway (an execute-api URL;
// one metered request each). 1,000 requests × 3,000 ms at 1 GB:
// 1,000 × (2e-7 + 3 × 1.66667e-5) = $0.0502001; storage 2,048 MB adds
// 1,000 × 1.5 GB × 3 s × 3.09e-8 = $0.000139050; the gateway 1,000 × 1e-6.
func TestEstimateRunSpendGateway(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	tests := []struct {
		name        string
		target      scenarios.Target
		platformEph int // /tmp size read from the function's configuration
		want        string
	}{
		{"invoke api, no storage", scenarios.Target{Kind: "aws-lambda", Function: "f", APIGateway: "http"}, 0, "0.0502001"},
		{"storage read from the function", scenarios.Target{Kind: "aws-lambda", Function: "f"}, 2048, "0.05033915"},
		{"the scenario's storage wins", scenarios.Target{Kind: "aws-lambda", Function: "f", EphemeralStorageMB: 512}, 2048, "0.0502001"},
		{"invoke api bypasses the gateway", scenarios.Target{Kind: "aws-lambda", Function: "f", APIGateway: "http", EphemeralStorageMB: 2048}, 0, "0.05033915"},
		{"function url bypasses the gateway", scenarios.Target{Kind: "lambda-url", Function: "f", URL: "https://abc.lambda-url.us-east-1.on.aws/", APIGateway: "http"}, 0, "0.0502001"},
		{"execute-api url pays it", scenarios.Target{Kind: "lambda-url", Function: "f", URL: "https://abc.execute-api.us-east-1.amazonaws.com/x", APIGateway: "http"}, 0, "0.0512001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tg := tt.target
			tg.Name, tg.Timeout = "real", 3*time.Second
			sc := &scenarios.Scenario{Targets: []scenarios.Target{tg},
				Phases: []scenarios.Phase{{Name: "p", Targets: []string{"real"}, Duration: 100 * time.Second, Traffic: scenarios.Traffic{Model: "constant", Rate: 10}}}}
			opts := SpendOptions{FunctionMemoryMB: map[string]int{"real": 1024}}
			if tt.platformEph > 0 {
				opts.FunctionEphemeralMB = map[string]int{"real": tt.platformEph}
			}
			est, err := EstimateRunSpendWith(book, sc, nil, opts)
			if err != nil {
				t.Fatal(err)
			}
			if want := d(tt.want); !est.TotalUSD.Equal(want) {
				t.Errorf("estimate = %s, want %s", est.TotalUSD, want)
			}
		})
	}
}
