package report

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/results"
)

// TestOldPricingRenders renders a run priced before cost components, the
// API Gateway and /tmp labels and monthly cost rows existed: its
// summary.json has none of those keys, and both documents still show the
// cost table, without breakdown columns, monthly section or gateway note.
func TestOldPricingRenders(t *testing.T) {
	t.Parallel()
	o := defaultSynth()
	o.OldPricing = true
	run, out, _ := renderSynthetic(t, o, []string{"html,md"})
	raw, err := os.ReadFile(filepath.Join(run, results.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"components"`, `"monthly_cost"`, `"api_gateway"`, `"ephemeral_storage_mb"`} {
		if strings.Contains(string(raw), key) {
			t.Fatalf("the old-style summary.json holds %s", key)
		}
	}
	for _, name := range []string{"report.md", "report.html"} {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		doc := string(b)
		for _, want := range []string{"Cost", "$1.87", "https://aws.amazon.com/lambda/pricing/", "cold-start share"} {
			if !strings.Contains(doc, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
		for _, bad := range []string{"compute per 1M", "request fee", "Monthly cost at your profile", "HTTP API", "priced components", "/tmp"} {
			if strings.Contains(doc, bad) {
				t.Errorf("%s holds %q, though the run has no cost components", name, bad)
			}
		}
	}
}

// TestCostBreakdown checks the cost table's breakdown: columns only for
// the components present, in display order (unknown names last), cells
// per 1M with their share, "–" where a row lacks a component, and the
// labels of a configuration behind an API Gateway with /tmp storage.
func TestCostBreakdown(t *testing.T) {
	t.Parallel()
	comp := func(name string, perMillion float64) results.CostComponent {
		return results.CostComponent{Name: name, Quantity: 1000, Unit: "requests", RateUSD: perMillion / 1e6, RunCostUSD: perMillion / 1000,
			CostPerMillionUSD: perMillion, PriceSource: "src-" + name, PriceEffective: "2026-01-01"}
	}
	tests := []struct {
		name      string
		rows      []results.CostRow
		wantCols  []string
		wantCells [][]string // Text (Share)
		wantLabel []string
		wantStore []string
		wantNote  bool
	}{
		{"no components", []results.CostRow{{Platform: "aws-lambda", CostPerMillionUSD: 2}}, nil, [][]string{nil}, []string{"aws-lambda"}, []string{""}, false},
		{"lambda behind a gateway with /tmp, and an instance", []results.CostRow{{
			Platform: "aws-lambda", CostPerMillionUSD: 4, APIGateway: "http", EphemeralStorageMB: 2048, EphemeralStorageSource: "function",
			Components: []results.CostComponent{comp(results.CostRequests, 0.2), comp(results.CostAPIGatewayHTTP, 1), comp(results.CostCompute, 2.79), comp(results.CostEphemeralStorage, 0.01)},
		}, {Platform: "ec2", CostPerMillionUSD: 3}},
			[]string{"compute", "request fee", "API Gateway fee", "/tmp storage"},
			[][]string{{"$2.79 (70%)", "$0.20 (5%)", "$1.00 (25%)", "$0.01 (<1%)"}, {"–", "–", "–", "–"}},
			[]string{"aws-lambda + HTTP API", "ec2"}, []string{"2048 MB (function)", ""}, true},
		{"unknown component from a newer pricing", []results.CostRow{{
			Platform: "aws-lambda", CostPerMillionUSD: 1,
			Components: []results.CostComponent{comp("provisioned_concurrency", 0.5), comp(results.CostCompute, 0.5)},
		}}, []string{"compute", "provisioned concurrency"}, [][]string{{"$0.50 (50%)", "$0.50 (50%)"}}, []string{"aws-lambda"}, []string{""}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := &Model{Summary: &results.Summary{Cost: tc.rows}}
			m.buildCosts()
			var cols []string
			for _, c := range m.CostColumns {
				cols = append(cols, c.Label)
			}
			if !reflect.DeepEqual(cols, tc.wantCols) {
				t.Errorf("columns = %q, want %q", cols, tc.wantCols)
			}
			for i, r := range m.CostRows {
				var cells []string
				for _, p := range r.Parts {
					c := p.Text
					if p.Share != "" {
						c += " (" + p.Share + ")"
					}
					cells = append(cells, c)
				}
				if !reflect.DeepEqual(cells, tc.wantCells[i]) {
					t.Errorf("row %d cells = %q, want %q", i, cells, tc.wantCells[i])
				}
				if r.PlatformLabel != tc.wantLabel[i] || r.Storage != tc.wantStore[i] {
					t.Errorf("row %d platform %q, /tmp %q; want %q, %q", i, r.PlatformLabel, r.Storage, tc.wantLabel[i], tc.wantStore[i])
				}
			}
			if got := m.GatewayNote != ""; got != tc.wantNote {
				t.Errorf("gateway note %q, want one: %v", m.GatewayNote, tc.wantNote)
			}
		})
	}
}

// TestPriceEntriesCiteComponents: each component is listed under the
// price-book entry it was priced from, with its first-tier rate; the API
// Gateway fee under its own entry.
func TestPriceEntriesCiteComponents(t *testing.T) {
	t.Parallel()
	lam := func(name, unit string, rate float64) results.CostComponent {
		return results.CostComponent{Name: name, Unit: unit, RateUSD: rate, PriceSource: "lambda", PriceEffective: "2025-10-01"}
	}
	row := func(arch string, gbs float64) results.CostRow {
		return results.CostRow{Platform: "aws-lambda", Architecture: arch, PriceSource: "lambda", PriceEffective: "2025-10-01", APIGateway: "http",
			Components: []results.CostComponent{lam(results.CostRequests, "requests", 2e-7), lam(results.CostCompute, "GB-s", gbs),
				{Name: results.CostAPIGatewayHTTP, Unit: "metered requests", RateUSD: 1e-6, PriceSource: "apigw", PriceEffective: "2025-05-19"}}}
	}
	m := &Model{Summary: &results.Summary{Cost: []results.CostRow{row("x86_64", 1.66667e-5), row("arm64", 1.33334e-5)},
		BreakEven: []results.BreakEvenRow{{PriceSources: []string{"lambda (2025-10-01)", "ec2 (2026-10-05)"}}}}}
	m.buildPrices()
	got := map[string][]string{}
	for _, p := range m.Prices {
		got[p.Platform+"/"+p.Architecture+"/"+p.Source+"/"+p.Effective] = p.Uses
	}
	want := map[string][]string{
		"aws-lambda/x86_64/lambda/2025-10-01":    {"request fee $0.20 per 1M requests", "compute $0.0000166667 per GB-s"},
		"API Gateway HTTP API//apigw/2025-05-19": {"API Gateway fee $1.00 per 1M metered requests"},
		"aws-lambda/arm64/lambda/2025-10-01":     {"request fee $0.20 per 1M requests", "compute $0.0000133334 per GB-s"},
		"instances (break-even)//ec2/2026-10-05": nil,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("price entries:\n got %q\nwant %q", got, want)
	}
	if !m.PricesUsed() {
		t.Error("PricesUsed = false, want true")
	}
}

func BenchmarkBuildCosts(b *testing.B) {
	rows := make([]results.CostRow, 200)
	for i := range rows {
		rows[i] = results.CostRow{Platform: "aws-lambda", CostPerMillionUSD: 2, APIGateway: "http", Components: []results.CostComponent{
			{Name: results.CostRequests, CostPerMillionUSD: 0.2}, {Name: results.CostCompute, CostPerMillionUSD: 0.8}, {Name: results.CostAPIGatewayHTTP, CostPerMillionUSD: 1}}}
	}
	s := &results.Summary{Cost: rows}
	for b.Loop() {
		m := &Model{Summary: s}
		m.buildCosts()
	}
}
