package pricing

import (
	"errors"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

func TestCheckScenario(t *testing.T) {
	t.Parallel()
	const head = "version: 1\nname: c\nphases:\n  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 1}}\ntargets:\n  - {name: a, kind: http, url: \"https://x.example/\"}\n"
	tests := []struct {
		name, pricing string
		want          []string
	}{
		{"valid", "pricing: {region: eu-west-1, instances: [c7g.large], capacity_rps: 40}\n", nil},
		{"denormal capacity", "pricing: {capacity_rps: 4.9e-324}\n", []string{"c.yaml:7:25: pricing.capacity_rps: must be between 0.001 and 10000000 requests/s (got 5e-324)"}},
		{"spend", "pricing: {max_spend_usd: 1e300}\n", []string{"pricing.max_spend_usd: must be between 0 and 1000000 USD"}},
		{"average rps", "pricing: {profile: {average_rps: 1e9}}\n", []string{"pricing.profile.average_rps: must be between 0 and 3800000 requests/s"}},
		{"unknown server instance", "servers:\n  - {name: s, model: tinybert-4l-312, instance: m99.large}\npricing: {region: us-east-1}\n",
			[]string{"servers[0].instance: instance type \"m99.large\" is not in the price book for us-east-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sc, err := scenarios.Parse("c.yaml", []byte(head+tt.pricing), scenarios.WithoutFileChecks())
			if err != nil {
				t.Fatal(err)
			}
			errs := CheckScenario(mustBook(t), sc)
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if len(tt.want) == 0 && len(got) > 0 {
				t.Fatalf("problems %q, want none", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(strings.Join(got, "\n"), w) {
					t.Errorf("problems %q lack %q", got, w)
				}
			}
		})
	}
}

// TestAnalysisRefusesOutOfRangeSettings: a scenario that skipped validate
// (a saved run re-priced) cannot make the analysis search with absurd
// inputs: it gets an error, not a hang.
func TestAnalysisRefusesOutOfRangeSettings(t *testing.T) {
	t.Parallel()
	sc := &scenarios.Scenario{Pricing: scenarios.PricingSettings{CapacityRPS: 1e-300, Instances: []string{"c7g.large"}}}
	_, err := NewAnalysis(mustBook(t), &results.Summary{}, sc)
	if !errors.Is(err, ErrScenarioPricing) || !strings.Contains(err.Error(), "pricing.capacity_rps: must be between 0.001") {
		t.Fatalf("err = %v", err)
	}
}
