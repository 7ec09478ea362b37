package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
)

// TestPricingGatewayFlags parses --api-gateway, --payload-bytes and
// --ephemeral-storage-mb, and rejects sizes outside Lambda's range.
func TestPricingGatewayFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, s *pricingSeamsGot)
	}{
		{name: "estimate gateway and storage", args: []string{"estimate", "--memory", "1024", "--duration", "100ms", "--api-gateway", "--payload-bytes", "614400", "--ephemeral-storage-mb", "2048"},
			check: func(t *testing.T, s *pricingSeamsGot) {
				if o := s.estimate; o == nil || !o.APIGateway || o.PayloadBytes != 614400 || o.EphemeralMB != 2048 {
					t.Errorf("estimate options = %+v", o)
				}
			}},
		{name: "estimate old alias --ephemeral", args: []string{"estimate", "--memory", "1024", "--ephemeral", "4096"},
			check: func(t *testing.T, s *pricingSeamsGot) {
				if o := s.estimate; o == nil || o.EphemeralMB != 4096 {
					t.Errorf("estimate options = %+v", o)
				}
			}},
		{name: "estimate default storage is 512", args: []string{"estimate", "--memory", "1024"},
			check: func(t *testing.T, s *pricingSeamsGot) {
				if o := s.estimate; o == nil || o.EphemeralMB != 512 || o.APIGateway {
					t.Errorf("estimate options = %+v", o)
				}
			}},
		{name: "estimate storage too small", args: []string{"estimate", "--memory", "1024", "--ephemeral-storage-mb", "256"}, wantErr: "between 512 and 10240 MB"},
		{name: "estimate negative payload", args: []string{"estimate", "--memory", "1024", "--api-gateway", "--payload-bytes", "-1"}, wantErr: "--payload-bytes must be between 0 and 10485760 bytes, API Gateway's 10 MB payload limit (got -1)"},
		{name: "breakeven gateway", args: []string{"breakeven", "--memory", "1024", "--duration", "50ms", "--api-gateway", "--capacity-rps", "40", "--ephemeral-storage-mb", "10240"},
			check: func(t *testing.T, s *pricingSeamsGot) {
				if o := s.breakeven; o == nil || !o.APIGateway || o.EphemeralMB != 10240 || o.MemoryMB != 1024 {
					t.Errorf("breakeven options = %+v", o)
				}
			}},
		{name: "breakeven storage too large", args: []string{"breakeven", "--run", "x", "--ephemeral-storage-mb", "20000"}, wantErr: "between 512 and 10240 MB"},
		{name: "breakeven storage needs a configuration", args: []string{"breakeven", "--cost-per-million", "2", "--capacity-rps", "40", "--ephemeral-storage-mb", "2048"}, wantErr: "needs --memory and --duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := executePricing(tt.args)
			if tt.wantErr != "" {
				var fe *FlagError
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a FlagError containing %q", err, tt.wantErr)
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

// TestPricingEstimateGateway: 1M requests of 100 ms at 1,024 MB behind an
// HTTP API with 600 KB payloads (2 metered requests each) and 2,048 MB of
// /tmp: $0.20 + $1.66667 + $2.00 + 1.5 GB × 100,000 s × $0.0000000309
// ($0.004635) = $3.871305.
func TestPricingEstimateGateway(t *testing.T) {
	t.Parallel()
	streams, out := pricingStreams()
	err := pricingEstimateRun(context.Background(), &PricingEstimateOptions{IO: streams, JSON: true, Query: pricing.Query{Platform: "aws-lambda", Region: "us-east-1",
		Arch: "x86_64", MemoryMB: 1024, Duration: 100 * time.Millisecond, Requests: 1_000_000, EphemeralMB: 2048,
		APIGateway: true, PayloadBytes: 600 * 1024}})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		TotalUSD float64 `json:"total_usd"`
		Items    []struct {
			Name     string  `json:"name"`
			Quantity float64 `json:"quantity"`
			USD      float64 `json:"usd"`
		} `json:"items"`
		Others []struct {
			Source string `json:"source"`
		} `json:"other_price_book_entries"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.TotalUSD != 3.871305 {
		t.Errorf("total = %v, want 3.871305\n%s", got.TotalUSD, out)
	}
	items := map[string]float64{}
	for _, it := range got.Items {
		items[it.Name] = it.USD
	}
	if items["api gateway http api requests tier 1"] != 2 || items["ephemeral storage above 512 MB"] != 0.004635 {
		t.Errorf("items = %+v", got.Items)
	}
	if len(got.Others) != 1 || got.Others[0].Source == "" {
		t.Errorf("gateway price-book entry missing: %+v", got.Others)
	}
}

// TestPricingBreakevenGateway: behind an HTTP API the break-even with one
// c7g.large ($52.925 a month) falls from $52.925 / $1.86667e-6 = 28.35 M
// to $52.925 / $3.86667e-6 = 13.69 M requests a month (600 KB payloads:
// 2 metered requests each).
func TestPricingBreakevenGateway(t *testing.T) {
	t.Parallel()
	run := func(gateway bool) (float64, string, []string) {
		streams, out := pricingStreams()
		err := pricingBreakevenRun(context.Background(), &PricingBreakevenOptions{IO: streams, InitRule: "auto", JSON: true, WhatIf: pricing.WhatIf{Region: "us-east-1", MemoryMB: 1024,
			Duration: 100 * time.Millisecond, Arch: "x86_64", APIGateway: gateway, PayloadBytes: 600 * 1024, EphemeralMB: 512,
			Instances: []string{"c7g.large"}, CapacityRPS: 40, Utilisation: 0.7, Fleet: "fixed", MinInstances: 1, PeakHours: 8}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			BreakEven []results.BreakEvenRow `json:"break_even"`
			Notes     []string               `json:"notes"`
		}
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if len(got.BreakEven) != 1 {
			t.Fatalf("rows = %+v", got.BreakEven)
		}
		return got.BreakEven[0].MonthlyRequests, got.BreakEven[0].Serverless, got.Notes
	}
	plain, _, _ := run(false)
	behind, name, notes := run(true)
	if plain < 28.35e6 || plain > 28.36e6 {
		t.Errorf("without gateway: %g, want 28.35e6", plain)
	}
	if behind < 13.68e6 || behind > 13.69e6 {
		t.Errorf("behind the gateway: %g, want 13.69e6", behind)
	}
	if !strings.HasSuffix(name, "+ HTTP API") || !strings.Contains(strings.Join(notes, "\n"), "API Gateway HTTP API fee included") {
		t.Errorf("name %q, notes %q", name, notes)
	}
}

// TestPricingBreakevenRunDirGateway: --api-gateway on a saved run prices
// every function target behind an HTTP API (each record's own bytes
// metered) and lowers the break-even volume.
func TestPricingBreakevenRunDirGateway(t *testing.T) {
	t.Parallel()
	dir := writeQuickstartRun(t, 80, 120)
	first := func(gateway bool) results.BreakEvenRow {
		changed := func(name string) bool { return gateway && name == "api-gateway" }
		rows := breakevenRows(t, PricingBreakevenOptions{RunDir: dir, InitRule: "auto", WhatIf: pricing.WhatIf{APIGateway: gateway}}, changed)
		for _, r := range rows {
			if r.Instance == "c7g.large" && strings.Contains(r.Serverless, "x86_64") {
				return r
			}
		}
		t.Fatalf("no x86_64 vs c7g.large row: %+v", rows)
		return results.BreakEvenRow{}
	}
	plain, behind := first(false), first(true)
	if !(behind.MonthlyRequests > 0 && behind.MonthlyRequests < plain.MonthlyRequests) {
		t.Errorf("break-even behind the gateway %g, without %g", behind.MonthlyRequests, plain.MonthlyRequests)
	}
	if !strings.HasSuffix(behind.Serverless, "+ HTTP API") || len(behind.PriceSources) != 3 {
		t.Errorf("row = %s, sources %v", behind.Serverless, behind.PriceSources)
	}
}
