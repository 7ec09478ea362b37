package pricing

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func mustBook(t testing.TB) *Book {
	t.Helper()
	b, err := LoadBook("")
	if err != nil {
		t.Fatalf("LoadBook: %v", err)
	}
	return b
}

func mustFind(t testing.TB, b *Book, platform, region, arch, plan, instance string) *Entry {
	t.Helper()
	e, err := b.Find(platform, region, arch, plan, instance)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestLambdaCost(t *testing.T) {
	t.Parallel()
	b := mustBook(t)
	x86 := mustFind(t, b, PlatformLambda, "us-east-1", ArchX86, "", "")
	arm := mustFind(t, b, PlatformLambda, "us-east-1", ArchArm64, "", "")
	apigw := mustFind(t, b, PlatformAPIGatewayHTTP, "us-east-1", "", "", "")
	tests := []struct {
		name  string
		e     *Entry
		u     LambdaUsage
		want  string
		items int
	}{
		// Seed paper: 1M × 100 ms × 1 GB = $0.20 + $1.67 (1.66667) = $1.87.
		{"seed paper 1GB 100ms x86", x86, LambdaUsage{Requests: 1_000_000, MemoryMB: 1024, DurationMs: 100}, "1.86667", 2},
		// 1M × 0.12 s × 1.5 GB = 180,000 GB-s × 0.0000133334 = 2.400012, + 0.20.
		{"arm64 1536MB 120ms", arm, LambdaUsage{Requests: 1_000_000, MemoryMB: 1536, DurationMs: 120}, "2.600012", 2},
		// 1.2 ms is billed as 2 ms: 2,000 GB-s × 0.0000166667 = 0.0333334.
		{"1.2ms rounds to 2ms", x86, LambdaUsage{Requests: 1_000_000, MemoryMB: 1024, DurationMs: 1.2}, "0.2333334", 2},
		// 7e9 GB-s: 6e9 × 0.0000166667 + 1e9 × 0.000015 + 700M × 2e-7.
		{"tier boundary crossed", x86, LambdaUsage{Requests: 700_000_000, MemoryMB: 10240, DurationMs: 1000}, "115140.2", 3},
		// 12,500 GB-s and 1M requests are inside the free tier.
		{"free tier covers it", x86, LambdaUsage{Requests: 1_000_000, MemoryMB: 128, DurationMs: 100, FreeTier: true}, "0", 4},
		// 3M requests, 600,000 GB-s: (3M−1M) × 2e-7 + (600k − 400k) × 0.0000166667.
		{"free tier partly", x86, LambdaUsage{Requests: 3_000_000, MemoryMB: 1024, DurationMs: 200, FreeTier: true}, "3.73334", 4},
		// Cold starts: 1,000 of 1M add ceil(100+250.5) − 100 = 251 ms each.
		{"init billed", x86, LambdaUsage{Requests: 1_000_000, MemoryMB: 1024, DurationMs: 100, ColdStarts: 1000, InitMs: 250.5, InitBilled: true}, "1.8708533417", 2},
		{"init not billed (before 2025-08-01)", x86, LambdaUsage{Requests: 1_000_000, MemoryMB: 1024, DurationMs: 100, ColdStarts: 1000, InitMs: 250.5}, "1.86667", 2},
		// Provisioned Concurrency for a month: 1 × 1 GB × 730 h × 3600 s × 0.0000041667.
		{"provisioned concurrency month", x86, LambdaUsage{MemoryMB: 1024, ProvisionedConcurrency: 1, ProvisionedHours: 730}, "10.9500876", 3},
		// PC rounds enabled time up to 5 minutes: 61 s → 300 s.
		{"provisioned concurrency 5 minute rounding", x86, LambdaUsage{MemoryMB: 1024, ProvisionedConcurrency: 2, ProvisionedHours: 61.0 / 3600}, "0.00250002", 3},
		// Invocations on PC pay the lower duration rate: 1M × 0.1 GB-s × 0.0000097222.
		{"provisioned invocations", x86, LambdaUsage{Requests: 1_000_000, MemoryMB: 1024, DurationMs: 100, ProvisionedConcurrency: 1, ProvisionedRequests: 1_000_000}, "1.17222", 4},
		// AWS's Provisioned Concurrency pricing example 1: 1,536 MB, 100 PC
		// for 8 h, 500,000 requests on it at 100 ms, 2.5M more on demand at
		// 120 ms, free tier on: PC 150 GB × 28,800 s × 0.0000041667 = 18.00014;
		// requests (3M − 1M free) × 2e-7 = 0.40; PC duration 75,000 GB-s ×
		// 0.0000097222 = 0.729165; on-demand (450,000 − 400,000 free) GB-s ×
		// 0.0000166667 = 0.833335; total $19.96.
		{"AWS provisioned concurrency example 1", x86, LambdaUsage{Requests: 3_000_000, MemoryMB: 1536, DurationMs: 120, FreeTier: true,
			ProvisionedConcurrency: 100, ProvisionedHours: 8, ProvisionedRequests: 500_000, ProvisionedDurationMs: 100}, "19.962644", 6},
		// Spill-over: 2 PC for 730 h, 600k of 1M requests on it at 80 ms, the
		// other 400k on demand at 100 ms with 1,000 cold starts of 400 ms INIT
		// (INIT only on demand): 2 × 1 GB × 2,628,000 s × 0.0000041667 = 21.9001752;
		// PC duration 48,000 GB-s × 0.0000097222 = 0.4666656; on-demand
		// (400,000 × 0.1 + 1,000 × 0.4) = 40,400 GB-s × 0.0000166667 = 0.67333468;
		// requests 0.2.
		{"provisioned spill-over with cold starts", x86, LambdaUsage{Requests: 1_000_000, MemoryMB: 1024, DurationMs: 100, ColdStarts: 1000, InitMs: 400, InitBilled: true,
			ProvisionedConcurrency: 2, ProvisionedHours: 730, ProvisionedRequests: 600_000, ProvisionedDurationMs: 80}, "23.24017548", 4},
		// Ephemeral storage 1,536 MB: 1 GB extra × 100,000 s × 0.0000000309.
		{"ephemeral storage", x86, LambdaUsage{Requests: 1_000_000, MemoryMB: 1024, DurationMs: 100, EphemeralMB: 1536}, "1.86976", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := LambdaCost(tt.e, apigw, tt.u)
			if err != nil {
				t.Fatal(err)
			}
			if !got.TotalUSD.Equal(d(tt.want)) {
				t.Errorf("total = %s, want %s (items %+v)", got.TotalUSD, tt.want, got.Items)
			}
			if len(got.Items) != tt.items {
				t.Errorf("items = %d, want %d: %+v", len(got.Items), tt.items, got.Items)
			}
			if got.PriceBook.Source == "" || got.PriceBook.EffectiveDate == "" {
				t.Errorf("estimate lacks provenance: %+v", got.PriceBook)
			}
		})
	}
}

func TestLambdaCostAPIGateway(t *testing.T) {
	t.Parallel()
	b := mustBook(t)
	x86 := mustFind(t, b, PlatformLambda, "us-east-1", ArchX86, "", "")
	apigw := mustFind(t, b, PlatformAPIGatewayHTTP, "us-east-1", "", "", "")
	// 1.2 MB payloads meter as 3 requests of 512 KB: 1M × 3 × $1/M = $3.
	got, err := LambdaCost(x86, apigw, LambdaUsage{Requests: 1_000_000, MemoryMB: 1024, DurationMs: 100, APIGateway: true, PayloadBytes: 1_200_000})
	if err != nil {
		t.Fatal(err)
	}
	if want := d("4.86667"); !got.TotalUSD.Equal(want) {
		t.Errorf("total = %s, want %s", got.TotalUSD, want)
	}
	if len(got.Extra) != 1 {
		t.Errorf("extra refs = %d, want 1", len(got.Extra))
	}
}

func TestAzureCost(t *testing.T) {
	t.Parallel()
	b := mustBook(t)
	cons := mustFind(t, b, PlatformAzureFunctions, "eastus", "", "consumption", "")
	flex := mustFind(t, b, PlatformAzureFunctions, "eastus", "", "flex", "")
	tests := []struct {
		name string
		e    *Entry
		u    AzureUsage
		want string
	}{
		// 50 ms / 100 MB bill as the 100 ms / 128 MB minimum: 12,500 GB-s × 0.000016 + 1M × 2e-7.
		{"consumption minimum", cons, AzureUsage{Executions: 1_000_000, DurationMs: 50, MemoryMB: 100}, "0.4"},
		// 300.2 ms → 301 ms; 200 MB → 256 MB: 1M × 0.301 × 0.25 = 75,250 GB-s.
		{"consumption rounding", cons, AzureUsage{Executions: 1_000_000, DurationMs: 300.2, MemoryMB: 200}, "1.404"},
		// at the 1,536 MB instance limit.
		{"consumption at the memory limit", cons, AzureUsage{Executions: 1000, DurationMs: 1000, MemoryMB: 1536}, "0.0242"},
		{"consumption free grant", cons, AzureUsage{Executions: 1_000_000, DurationMs: 50, MemoryMB: 100, FreeTier: true}, "0"},
		// Flex bills at least 1,000 ms per execution: isolated 50 ms
		// executions at 2,048 MB cost 1M × 1 s × 2 GB × 0.000026 + 1M × 4e-7
		// = $52.40 per 1M (not $3.00 on the 50 ms).
		{"flex minimum", flex, AzureUsage{Executions: 1_000_000, DurationMs: 50, MemoryMB: 2048}, "52.4"},
		// Beyond 1,000 ms it rounds up to 100 ms: 1,234 ms bills 1,300 ms.
		// 1,000 × 1.3 s × 0.5 GB × 0.000026 + 1,000 × 4e-7.
		{"flex rounding to 100 ms", flex, AzureUsage{Executions: 1000, DurationMs: 1234, MemoryMB: 512}, "0.0173"},
		// Exactly 1,000 ms and 1,000.1 ms: 1,000 and 1,100 ms.
		{"flex at the minimum", flex, AzureUsage{Executions: 1000, DurationMs: 1000, MemoryMB: 4096}, "0.1044"},
		{"flex just above the minimum", flex, AzureUsage{Executions: 1000, DurationMs: 1000.1, MemoryMB: 4096}, "0.1148"},
		// One always-ready 2 GB instance for 730 h: 2 × 2,628,000 × 0.000004 = 21.024;
		// its 1M executions at the same 1,000 ms minimum: 2,000,000 GB-s × 0.000016 + 1M × 4e-7 = 32.4.
		{"flex always ready", flex, AzureUsage{Executions: 1_000_000, DurationMs: 50, MemoryMB: 2048, AlwaysReady: 1, AlwaysReadyHours: 730, AlwaysReadyExecutions: 1_000_000}, "53.424"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := AzureCost(tt.e, tt.u)
			if err != nil {
				t.Fatal(err)
			}
			if !got.TotalUSD.Equal(d(tt.want)) {
				t.Errorf("total = %s, want %s (%+v)", got.TotalUSD, tt.want, got.Items)
			}
		})
	}
}

func TestCloudRunCost(t *testing.T) {
	t.Parallel()
	b := mustBook(t)
	e := mustFind(t, b, PlatformCloudRun, "us-east-1", "", "request-based", "")
	tests := []struct {
		name string
		u    CloudRunUsage
		want string
	}{
		// 120 ms rounds to 200 ms: 200,000 s × (0.000024 + 0.5 × 0.0000025) + 1M × 4e-7.
		{"100ms rounding", CloudRunUsage{Requests: 1_000_000, DurationMs: 120, VCPU: 1, MemoryMB: 512, Concurrency: 1}, "5.45"},
		// Concurrency 4 shares the instance time.
		{"concurrency 4", CloudRunUsage{Requests: 1_000_000, DurationMs: 120, VCPU: 1, MemoryMB: 512, Concurrency: 4}, "1.6625"},
		// exactly 100 ms stays 100 ms.
		{"exact 100ms", CloudRunUsage{Requests: 1_000_000, DurationMs: 100, VCPU: 2, MemoryMB: 1024, Concurrency: 1}, "5.45"},
		{"free tier", CloudRunUsage{Requests: 1_000_000, DurationMs: 100, VCPU: 1, MemoryMB: 512, Concurrency: 1, FreeTier: true}, "0"},
		// One min instance for 730 h: (2,628,000 − 100,000 busy) s × (1 × 0.0000025 + 0.5 × 0.0000025) idle,
		// = 9.48, plus the active 100,000 s × 0.00002525 = 2.525 and 1M × 4e-7 = 0.4.
		{"min instance", CloudRunUsage{Requests: 1_000_000, DurationMs: 100, VCPU: 1, MemoryMB: 512, Concurrency: 1, MinInstances: 1, IdleHours: 730}, "12.405"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := CloudRunCost(e, tt.u)
			if err != nil {
				t.Fatal(err)
			}
			if !got.TotalUSD.Equal(d(tt.want)) {
				t.Errorf("total = %s, want %s (%+v)", got.TotalUSD, tt.want, got.Items)
			}
		})
	}
}

func TestEC2Cost(t *testing.T) {
	t.Parallel()
	b := mustBook(t)
	c7g := mustFind(t, b, PlatformEC2, "us-east-1", "", "", "c7g.large")
	got, err := EC2Cost(c7g, 1, HoursPerMonth, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := d("52.925"); !got.TotalUSD.Equal(want) {
		t.Errorf("c7g.large month = %s, want %s", got.TotalUSD, want)
	}
	t3 := mustFind(t, b, PlatformEC2, "us-east-1", "", "", "t3.medium")
	// Pinned at 100%: 0.0416 + 2 × 0.8 × 0.05 = 0.1216 per hour.
	got, err = EC2Cost(t3, 1, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := d("0.1216"); !got.TotalUSD.Equal(want) {
		t.Errorf("t3.medium busy hour = %s, want %s", got.TotalUSD, want)
	}
	// t3.micro, the paper's "about $8/month" 1 GB always-on machine: 730 h ×
	// 0.0104 = 7.592 at or below its 10% baseline; pinned at 100% it adds
	// 2 × 0.9 × 0.05 = 0.09 per hour of surplus credits.
	micro := mustFind(t, b, PlatformEC2, "us-east-1", "", "", "t3.micro")
	if micro.EC2.VCPU != 2 || !micro.EC2.MemoryGiB.Equal(d("1")) || micro.Architecture != ArchX86 || !micro.EC2.Burstable {
		t.Errorf("t3.micro spec = %+v (%s)", *micro.EC2, micro.Architecture)
	}
	for _, tt := range []struct {
		hours, util float64
		want        string
	}{{HoursPerMonth, 0.1, "7.592"}, {1, 1, "0.1004"}} {
		got, err := EC2Cost(micro, 1, tt.hours, tt.util)
		if err != nil {
			t.Fatal(err)
		}
		if !got.TotalUSD.Equal(d(tt.want)) {
			t.Errorf("t3.micro %v h at %v = %s, want %s", tt.hours, tt.util, got.TotalUSD, tt.want)
		}
	}
}

func TestTieredCost(t *testing.T) {
	t.Parallel()
	six, fifteen := d("6"), d("15")
	ts := []Tier{{UpTo: &six, USD: d("3")}, {UpTo: &fifteen, USD: d("2")}, {USD: d("1")}}
	for _, tt := range []struct{ q, want string }{{"0", "0"}, {"5", "15"}, {"6", "18"}, {"10", "26"}, {"20", "41"}} {
		if got := TieredCost(ts, d(tt.q)); !got.Equal(d(tt.want)) {
			t.Errorf("TieredCost(%s) = %s, want %s", tt.q, got, tt.want)
		}
	}
}

func BenchmarkLambdaCost(b *testing.B) {
	book := mustBook(b)
	e := mustFind(b, book, PlatformLambda, "us-east-1", ArchX86, "", "")
	u := LambdaUsage{Requests: 7_000_000_000, MemoryMB: 1024, DurationMs: 123.4, ColdStarts: 1000, InitMs: 300, InitBilled: true}
	for b.Loop() {
		if _, err := LambdaCost(e, nil, u); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSageMakerCost: compute per second at the memory size, billed per
// millisecond, plus data processed; memory sizes are 1–6 GB in 1 GB steps.
func TestSageMakerCost(t *testing.T) {
	t.Parallel()
	e := mustFind(t, mustBook(t), PlatformSageMakerServerless, "us-east-1", "", "", "")
	// 1M × 80 ms at 2 GB: 80,000 s × $0.00004 = $3.20; 1M × 4,096 B =
	// 3.814697265625 GB × $0.016 = $0.06103515625.
	got, err := SageMakerCost(e, SageMakerUsage{Requests: 1_000_000, MemoryMB: 2048, DurationMs: 79.2, PayloadBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if !got.TotalUSD.Equal(d("3.26103515625")) {
		t.Errorf("total = %s, want 3.26103515625", got.TotalUSD)
	}
	for _, mb := range []int{512, 1500, 8192} {
		if _, err := SageMakerCost(e, SageMakerUsage{Requests: 1, MemoryMB: mb, DurationMs: 1}); err == nil || !strings.Contains(err.Error(), "must be one of [1024 2048 3072 4096 5120 6144] MB") {
			t.Errorf("%d MB: err = %v", mb, err)
		}
	}
}
