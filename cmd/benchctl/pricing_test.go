package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	awspricing "github.com/aws/aws-sdk-go-v2/service/pricing"

	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
)

func pricingStreams() (*IOStreams, *bytes.Buffer) {
	out := &bytes.Buffer{}
	return &IOStreams{In: strings.NewReader(""), Out: out, Err: &bytes.Buffer{}}, out
}

func TestNewPricingCmd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr bool
		check   func(t *testing.T, s *pricingSeamsGot)
	}{
		{name: "estimate flags", args: []string{"estimate", "--arch", "arm64", "--memory", "1536", "--duration", "1.2ms", "--requests", "42", "--free-tier", "--json"},
			check: func(t *testing.T, s *pricingSeamsGot) {
				o := s.estimate
				if o == nil || o.Arch != "arm64" || o.MemoryMB != 1536 || o.Duration != 1200*time.Microsecond || o.Requests != 42 || !o.FreeTier || !o.JSON || o.Region != "us-east-1" {
					t.Errorf("estimate options = %+v", o)
				}
			}},
		{name: "estimate bad platform", args: []string{"estimate", "--platform", "heroku", "--memory", "1"}, wantErr: true},
		{name: "estimate no memory", args: []string{"estimate", "--duration", "1ms"}, wantErr: true},
		{name: "estimate bad arch", args: []string{"estimate", "--memory", "128", "--arch", "riscv"}, wantErr: true},
		{name: "ec2 needs instance", args: []string{"estimate", "--platform", "ec2"}, wantErr: true},
		{name: "breakeven flags", args: []string{"breakeven", "--cost-per-million", "1.87", "--instance", "c7g.large", "--instance", "c7i.large", "--capacity-rps", "40", "--peak-to-average", "3", "--fleet", "autoscaled"},
			check: func(t *testing.T, s *pricingSeamsGot) {
				o := s.breakeven
				if o == nil || o.CostPerMillion != 1.87 || len(o.Instances) != 2 || o.CapacityRPS != 40 || o.PeakToAverage != 3 || o.Fleet != "autoscaled" || o.Utilisation != 0.7 {
					t.Errorf("breakeven options = %+v", o)
				}
			}},
		{name: "breakeven needs input", args: []string{"breakeven", "--capacity-rps", "40"}, wantErr: true},
		{name: "breakeven needs capacity", args: []string{"breakeven", "--cost-per-million", "2"}, wantErr: true},
		{name: "breakeven bad fleet", args: []string{"breakeven", "--run", "x", "--fleet", "elastic"}, wantErr: true},
		{name: "breakeven bad init rule", args: []string{"breakeven", "--run", "x", "--init-rule", "sometimes"}, wantErr: true},
		{name: "breakeven from run", args: []string{"breakeven", "--run", "some/dir"}, check: func(t *testing.T, s *pricingSeamsGot) {
			if s.breakeven == nil || s.breakeven.RunDir != "some/dir" {
				t.Errorf("options = %+v", s.breakeven)
			}
		}},
		{name: "show", args: []string{"show", "--platform", "ec2", "--region", "eu-west-1"}, check: func(t *testing.T, s *pricingSeamsGot) {
			if s.show == nil || s.show.Platform != "ec2" || s.show.Region != "eu-west-1" {
				t.Errorf("show options = %+v", s.show)
			}
		}},
		{name: "update", args: []string{"update", "--region", "us-east-1", "--region", "eu-west-1", "--output", "p.yaml"}, check: func(t *testing.T, s *pricingSeamsGot) {
			if s.update == nil || len(s.update.Regions) != 2 || s.update.Output != "p.yaml" {
				t.Errorf("update options = %+v", s.update)
			}
		}},
		{name: "no subcommand", args: nil, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := executePricing(tt.args)
			if tt.wantErr {
				var fe *FlagError
				if err == nil || !errors.As(err, &fe) {
					t.Fatalf("err = %v, want a FlagError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
		})
	}
}

type pricingSeamsGot struct {
	show      *PricingShowOptions
	estimate  *PricingEstimateOptions
	breakeven *PricingBreakevenOptions
	update    *PricingUpdateOptions
}

func (g *pricingSeamsGot) seams() *pricingSeams {
	return &pricingSeams{
		show:      func(o *PricingShowOptions) error { g.show = o; return nil },
		estimate:  func(o *PricingEstimateOptions) error { g.estimate = o; return nil },
		breakeven: func(o *PricingBreakevenOptions) error { g.breakeven = o; return nil },
		update:    func(o *PricingUpdateOptions) error { g.update = o; return nil },
	}
}

func TestPricingEstimateRunJSON(t *testing.T) {
	t.Parallel()
	streams, out := pricingStreams()
	err := pricingEstimateRun(context.Background(), &PricingEstimateOptions{IO: streams, JSON: true, Query: pricing.Query{Platform: "aws-lambda", Region: "us-east-1",
		Arch: "x86_64", MemoryMB: 1024, Duration: 100 * time.Millisecond, Requests: 1_000_000, EphemeralMB: 512}})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		TotalUSD float64 `json:"total_usd"`
		Items    []struct {
			Name     string  `json:"name"`
			Quantity float64 `json:"quantity"`
			Unit     string  `json:"unit"`
			RateUSD  float64 `json:"rate_usd"`
			USD      float64 `json:"usd"`
		} `json:"items"`
		PriceBook struct {
			Source        string `json:"source"`
			EffectiveDate string `json:"effective_date"`
		} `json:"price_book"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.TotalUSD != 1.86667 || len(got.Items) != 2 || got.Items[0].USD != 0.2 || got.Items[1].Unit != "GB-s" || got.PriceBook.Source == "" || got.PriceBook.EffectiveDate == "" {
		t.Errorf("estimate = %+v", got)
	}
}

func TestPricingEstimateRunText(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		opts PricingEstimateOptions
		want string
	}{
		{"cloud run", PricingEstimateOptions{Query: pricing.Query{Platform: "cloud-run", Region: "us-east-1", MemoryMB: 512, VCPU: 1, Concurrency: 4, Duration: 120 * time.Millisecond, Requests: 1_000_000}}, "1.662500"},
		{"azure", PricingEstimateOptions{Query: pricing.Query{Platform: "azure-functions", Region: "us-east-1", MemoryMB: 100, Duration: 50 * time.Millisecond, Requests: 1_000_000}}, "0.400000"},
		{"ec2", PricingEstimateOptions{Query: pricing.Query{Platform: "ec2", Region: "us-east-1", Instance: "c7g.large", Instances: 2, Hours: 730}}, "105.850000"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			streams, out := pricingStreams()
			o := tt.opts
			o.IO = streams
			if err := pricingEstimateRun(context.Background(), &o); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "total") || !strings.Contains(out.String(), tt.want) {
				t.Errorf("output lacks %s:\n%s", tt.want, out)
			}
		})
	}
}

func TestPricingBreakevenRunFlags(t *testing.T) {
	t.Parallel()
	streams, out := pricingStreams()
	err := pricingBreakevenRun(context.Background(), &PricingBreakevenOptions{IO: streams, InitRule: "auto", JSON: true, WhatIf: pricing.WhatIf{Region: "us-east-1", CostPerMillion: 1.87,
		Instances: []string{"c7g.large"}, CapacityRPS: 40, Utilisation: 0.7, Fleet: "fixed", MinInstances: 1, PeakHours: 8}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		BreakEven []struct {
			Serverless      string  `json:"serverless"`
			Instance        string  `json:"instance"`
			MonthlyRequests float64 `json:"monthly_requests"`
			AverageRPS      float64 `json:"average_rps"`
			Crossings       []struct {
				MonthlyRequests float64 `json:"monthly_requests"`
				Direction       string  `json:"direction"`
			} `json:"crossings"`
		} `json:"break_even"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// $52.925 a month / $1.87 per 1M = 28.30 M requests.
	if len(got.BreakEven) != 1 || got.BreakEven[0].Instance != "c7g.large" || len(got.BreakEven[0].Crossings) != 1 {
		t.Fatalf("break-even = %+v", got)
	}
	if v := got.BreakEven[0].MonthlyRequests; v < 28.30e6 || v > 28.31e6 {
		t.Errorf("monthly requests = %g, want 28.30e6", v)
	}
}

func TestPricingShowRun(t *testing.T) {
	t.Parallel()
	streams, out := pricingStreams()
	if err := pricingShowRun(context.Background(), &PricingShowOptions{IO: streams, Platform: "ec2", Region: "eu-west-1"}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\nec2 "); n != 22 {
		t.Errorf("ec2 eu-west-1 rows = %d, want 22 (the 16 required types, t3.micro, c8g.xlarge, m8g.large, r7g.large, g4dn.xlarge, g5.xlarge):\n%s", n, out)
	}
	streams, _ = pricingStreams()
	var fe *FlagError
	if err := pricingShowRun(context.Background(), &PricingShowOptions{IO: streams, Platform: "ec2", Region: "mars-1"}); !errors.As(err, &fe) {
		t.Errorf("unknown region: err = %v, want FlagError", err)
	}
}

// fixtureProducts answers GetProducts from pricing/testdata fixtures.
type fixtureProducts struct{}

func (fixtureProducts) GetProducts(_ context.Context, in *awspricing.GetProductsInput, _ ...func(*awspricing.Options)) (*awspricing.GetProductsOutput, error) {
	f := map[string]string{}
	for _, x := range in.Filters {
		f[*x.Field] = *x.Value
	}
	name := "ec2-" + f["instanceType"] + ".json"
	if *in.ServiceCode == "AWSLambda" {
		name = "lambda-" + f["group"] + ".json"
	}
	out := &awspricing.GetProductsOutput{}
	data, err := os.ReadFile(filepath.Join("..", "..", "pricing", "testdata", "pricelist", name))
	if err != nil {
		return out, nil
	}
	var docs []json.RawMessage
	if err := json.Unmarshal(data, &docs); err != nil {
		return nil, err
	}
	for _, d := range docs {
		out.PriceList = append(out.PriceList, string(d))
	}
	return out, nil
}

func TestPricingUpdateRun(t *testing.T) {
	t.Parallel()
	streams, out := pricingStreams()
	dest := filepath.Join(t.TempDir(), "prices.yaml")
	err := pricingUpdateRun(context.Background(), &PricingUpdateOptions{IO: streams, Instances: []string{"c7g.large"}, Output: dest,
		Now:       func() time.Time { return time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC) },
		NewClient: func(context.Context, string) (pricing.ProductsAPI, error) { return fixtureProducts{}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "lambda.duration_tiers[0].usd") || !strings.Contains(out.String(), "0.0000128") {
		t.Errorf("diff output:\n%s", out)
	}
	if _, err := pricing.LoadBook(dest); err != nil {
		t.Errorf("written book does not load: %v", err)
	}
	// No credentials: the client constructor's error is returned as is.
	streams, _ = pricingStreams()
	err = pricingUpdateRun(context.Background(), &PricingUpdateOptions{IO: streams, Output: dest,
		NewClient: func(context.Context, string) (pricing.ProductsAPI, error) { return nil, pricing.ErrNoCredentials }})
	if !errors.Is(err, pricing.ErrNoCredentials) {
		t.Errorf("err = %v", err)
	}
}

// executePricing runs the pricing command with args through its test seams
// and returns what the seams received.
func executePricing(args []string) (*pricingSeamsGot, error) {
	got := &pricingSeamsGot{}
	streams, _ := pricingStreams()
	cmd := newPricingCmd(streams, got.seams())
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return got, cmd.Execute()
}

// writeQuickstartRun saves a run of the quickstart scenario in a temporary
// directory and returns it: 200 records of target fn (41 ms billed at
// 1,769 MB; bytesOut sent and bytesIn received each) and a summary with
// ref's measured capacity of 60 rps.
func writeQuickstartRun(t *testing.T, bytesOut, bytesIn uint64) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "scenarios", "quickstart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	w, err := results.CreateRun(dir, raw, results.RunInfo{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	enc := w.Encoder()
	for i := range 200 {
		dur, billed, mem := 40.2, 41.0, 1769
		r := &results.Record{Target: "fn", Phase: "diurnal", Code: 200, Timestamp: start.Add(time.Duration(i) * 100 * time.Millisecond),
			Latency: 45 * time.Millisecond, DurationMs: &dur, BilledDurationMs: &billed, MemorySizeMB: &mem, BytesOut: bytesOut, BytesIn: bytesIn}
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.CloseRecords(); err != nil {
		t.Fatal(err)
	}
	sum := &results.Summary{Experiments: results.Experiments{Capacity: []results.CapacityResult{
		{Target: "ref", SLOP99Ms: 100, CapacityRPS: 60, CapacityRPSLow: 55, CapacityRPSHi: 65}}}}
	if err := w.WriteSummary(sum); err != nil {
		t.Fatal(err)
	}
	return dir
}

// breakevenRows runs pricing breakeven --json with opts (changed says which
// flags were set) and returns its break-even rows.
func breakevenRows(t *testing.T, opts PricingBreakevenOptions, changed func(string) bool) []results.BreakEvenRow {
	t.Helper()
	streams, out := pricingStreams()
	opts.IO, opts.JSON = streams, true
	if err := pricingBreakevenRun(context.Background(), &opts, changed); err != nil {
		t.Fatal(err)
	}
	var got struct {
		BreakEven []results.BreakEvenRow `json:"break_even"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return got.BreakEven
}

func TestPricingBreakevenRunDir(t *testing.T) {
	t.Parallel()
	dir := writeQuickstartRun(t, 0, 0)
	rows := breakevenRows(t, PricingBreakevenOptions{RunDir: dir, InitRule: "auto"}, func(string) bool { return false })
	// quickstart prices x86_64 and arm64 against c7g.large, c7i.large and t3.medium.
	if len(rows) != 6 {
		t.Fatalf("rows = %d, want 6:\n%+v", len(rows), rows)
	}
	for _, r := range rows {
		if r.CapacityRPS != 60 || !strings.Contains(r.CapacityAssumption, "capacity search on ref") {
			t.Errorf("row %s/%s: capacity %g %q", r.Serverless, r.Instance, r.CapacityRPS, r.CapacityAssumption)
		}
	}
}

// TestPricingEstimateBurstableUtilisation: an EC2 estimate of a burstable
// type takes its CPU load from --cpu-utilisation (the 24-hour average);
// without it the type is priced at its baseline, with a note giving the
// 100% figure, instead of assuming 100% CPU (t3.micro: $7.59, not $73.29).
func TestPricingEstimateBurstableUtilisation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, util string
		want       string
		note       string
	}{
		// 730 h × $0.0104.
		{"no flag: baseline", "", "7.592", "at 100% CPU around the clock it would cost $73.29"},
		// 730 × (0.0104 + 2 vCPU × (1 − 0.1) × 0.05).
		{"100%", "1", "73.292", ""},
		// 730 × (0.0104 + 2 × (0.4 − 0.1) × 0.05).
		{"40%", "0.4", "29.492", ""},
		{"below the baseline", "0.05", "7.592", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"pricing", "estimate", "--platform", "ec2", "--instance", "t3.micro", "--json"}
			if tt.util != "" {
				args = append(args, "--cpu-utilisation", tt.util)
			}
			var out, errOut bytes.Buffer
			if code := Main(context.Background(), args, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errOut}); code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			var got struct {
				TotalUSD json.Number `json:"total_usd"`
				Notes    []string    `json:"notes"`
			}
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if string(got.TotalUSD) != tt.want {
				t.Errorf("total = %s, want %s", got.TotalUSD, tt.want)
			}
			if tt.note != "" && !strings.Contains(strings.Join(got.Notes, "\n"), tt.note) {
				t.Errorf("notes = %q, want %q", got.Notes, tt.note)
			}
		})
	}
}

// TestPricingEstimatePublishedExamples reproduces published examples and
// hand computations through the command line.
func TestPricingEstimatePublishedExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		// The seed paper: $0.20 + $1.67 per 1M at 1 GB and 100 ms.
		{"seed paper", []string{"--memory", "1024", "--duration", "100ms"}, "1.86667"},
		// Azure Flex Consumption bills at least 1,000 ms per execution:
		// 1M × 1 s × 2 GB × $0.000026 + 1M × $0.0000004.
		{"azure flex minimum", []string{"--platform", "azure-functions", "--plan", "flex", "--memory", "2048", "--duration", "50ms", "--requests", "1000000"}, "52.4"},
		// AWS Lambda pricing page, Provisioned Concurrency example 1: $19.96.
		{"AWS provisioned concurrency example 1", []string{"--memory", "1536", "--duration", "120ms", "--requests", "3000000", "--provisioned", "100",
			"--provisioned-hours", "8", "--provisioned-requests", "500000", "--provisioned-duration", "100ms", "--free-tier"}, "19.962644"},
		// Before 2025-08-01 a custom runtime's INIT was billed: 1,000 cold
		// starts add ceil(100 + 250) − 100 = 250 ms each at 1 GB.
		{"legacy INIT, custom runtime", []string{"--memory", "1024", "--duration", "100ms", "--cold-starts", "1000", "--init-duration", "250ms", "--legacy-init", "--runtime-kind", "custom"}, "1.870836675"},
		{"legacy INIT, managed ZIP", []string{"--memory", "1024", "--duration", "100ms", "--cold-starts", "1000", "--init-duration", "250ms", "--legacy-init"}, "1.86667"},
		{"INIT billed today whatever the kind", []string{"--memory", "1024", "--duration", "100ms", "--cold-starts", "1000", "--init-duration", "250ms"}, "1.870836675"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			args := append([]string{"pricing", "estimate", "--json"}, tt.args...)
			if code := Main(context.Background(), args, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errOut}); code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			var got struct {
				TotalUSD json.Number `json:"total_usd"`
			}
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if string(got.TotalUSD) != tt.want {
				t.Errorf("total = %s, want %s", got.TotalUSD, tt.want)
			}
		})
	}
}

// TestPricingEstimateLambdaManaged is the acceptance check:
// `pricing estimate --platform lambda-managed --instance m7g.large
// --instances 3 --requests 10000000` = 3 × $0.0816 × 730 × 1.15 + $2.00 =
// $207.51, each line item naming its entry.
func TestPricingEstimateLambdaManaged(t *testing.T) {
	t.Parallel()
	run := func(args ...string) (string, string, ExitCode) {
		var out, errOut bytes.Buffer
		code := Main(context.Background(), append([]string{"pricing", "estimate", "--platform", "lambda-managed"}, args...), &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errOut})
		return out.String(), errOut.String(), code
	}
	out, stderr, code := run("--instance", "m7g.large", "--instances", "3", "--requests", "10000000")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"total: $207.51",
		"178.704000   ec2 us-east-1 arm64 m7g.large", "26.805600  lambda-managed us-east-1 arm64", "2.000000  lambda-managed us-east-1 arm64"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// --instances defaults to the capacity provider's minimum of 3.
	if out, _, _ := run("--instance", "m7g.large", "--requests", "10000000"); !strings.Contains(out, "total: $207.51") {
		t.Errorf("default instances:\n%s", out)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--instance", "m7g.large", "--instances", "2"}, "below the capacity provider's minimum of 3"},
		{[]string{"--instance", "g5.xlarge"}, "has an accelerator"},
		{[]string{"--instance", "t3.medium"}, "burstable"},
		{[]string{"--instance", "nope.large"}, "no price in the price book"},
		{[]string{}, "--instance is required for lambda-managed"},
	} {
		if _, stderr, code := run(bad.args...); code != ExitBadInput || !strings.Contains(stderr, bad.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", bad.args, code, stderr, bad.want)
		}
	}
}
