package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pricingScenario is a minimal valid scenario whose pricing block (and
// targets) the tests replace. Line 9 starts the targets, line 13 the
// pricing block.
const pricingScenario = `version: 1
name: p
seed: 1
phases:
  - {name: steady, targets: [fn, svc], duration: 1s, traffic: {model: constant, rate: 1}}
functions:
  - {name: f, command: [sleep, "1"], memory_size: 512}
targets:
  - name: fn
    kind: local-lambda
    function: f
  - {name: svc, kind: http, url: "https://x.example/v1", billing: %BILLING%}
pricing:
%PRICING%
`

func writePricingScenario(t *testing.T, billing, pricingBlock string, extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range extra {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src := strings.NewReplacer("%BILLING%", billing, "%PRICING%", pricingBlock).Replace(pricingScenario)
	path := filepath.Join(dir, "scenario.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestValidatePricingAgainstTheBook: validate checks the pricing block
// against the price book, every problem at its file:line:col with what is
// allowed; the same check runs before benchctl run sends anything.
func TestValidatePricingAgainstTheBook(t *testing.T) {
	t.Parallel()
	const okBilling = "{platform: cloud-run, plan: request, memory_mb: 512, vcpu: 1}"
	tests := []struct {
		name, billing, pricing string
		extra                  map[string]string
		want                   []string
	}{
		{name: "valid", billing: okBilling, pricing: "  region: us-east-1\n  instances: [c7g.large, g5.xlarge]\n  capacity_rps: 40\n  lambda_managed: {instances: [m7g.large]}\n"},
		{name: "region without prices", billing: okBilling, pricing: "  region: ap-south-1\n  capacity_rps: 40\n",
			want: []string{"scenario.yaml:14:11: pricing.region: the price book has no aws-lambda prices for \"ap-south-1\" (it has eu-west-1, us-east-1; add them with pricing.prices)",
				"scenario.yaml:14:11: pricing.region: the price book has no ec2 prices for \"ap-south-1\""}},
		{name: "unknown instance", billing: okBilling, pricing: "  instances: [c7g.large, c9z.huge]\n",
			want: []string{"scenario.yaml:14:26: pricing.instances[1]: instance type \"c9z.huge\" is not in the price book for us-east-1 (it has "}},
		{name: "capacity 1e-300", billing: okBilling, pricing: "  capacity_rps: 1e-300\n",
			want: []string{"scenario.yaml:14:17: pricing.capacity_rps: must be between 0.001 and 10000000 requests/s (got 1e-300)"}},
		{name: "utilisation 1e-300", billing: okBilling, pricing: "  target_utilisation: 1e-300\n",
			want: []string{"pricing.target_utilisation: must be between 0.01 and 1, a fraction of the measured capacity (got 1e-300)"}},
		{name: "huge volume", billing: okBilling, pricing: "  profile: {monthly_requests: 1e300}\n",
			want: []string{"pricing.profile.monthly_requests: must be between 0 and 10000000000000 requests/month (got 1e+300)"}},
		{name: "peak beyond the day", billing: okBilling, pricing: "  profile: {shape: diurnal, peak_to_average: 4, peak_hours: 8}\n",
			want: []string{"pricing.profile.peak_to_average: peak_to_average 4 over 8 peak hours exceeds the day's traffic (max 3)"}},
		{name: "LMI on a GPU", billing: okBilling, pricing: "  lambda_managed: {instances: [g5.xlarge], max_vcpu: 1}\n",
			want: []string{"scenario.yaml:14:32: pricing.lambda_managed.instances[0]: g5.xlarge has an accelerator",
				"pricing.lambda_managed.max_vcpu: must be between 2 and 15000 vCPU"}},
		{name: "LMI max below its minimum", billing: okBilling, pricing: "  lambda_managed: {instances: [m7g.large], max_vcpu: 4}\n",
			want: []string{"pricing.lambda_managed.max_vcpu: 4 vCPU cannot hold the minimum of 3 × m7g.large (6 vCPU)"}},
		{name: "unpriced billing plan", billing: "{platform: cloud-run, plan: instance, memory_mb: 512}", pricing: "  region: us-east-1\n",
			want: []string{"scenario.yaml:12:", "targets[1].billing.plan: instance-based billing is not priced"}},
		{name: "flex memory", billing: "{platform: azure-functions, plan: flex-consumption, memory_mb: 1000}", pricing: "  region: us-east-1\n",
			want: []string{"targets[1].billing.memory_mb: must be one of [512 2048 4096] MB, Flex Consumption's instance sizes (got 1000)"}},
		{name: "sagemaker memory", billing: "{platform: sagemaker-serverless, memory_mb: 1500}", pricing: "  region: us-east-1\n",
			want: []string{"targets[1].billing.memory_mb: must be one of [1024 2048 3072 4096 5120 6144] MB"}},
		{name: "bad price book", billing: okBilling, pricing: "  prices: prices.yaml\n",
			extra: map[string]string{"prices.yaml": "version: 1\nentries:\n  - {platform: ec2, region: us-east-1, architecture: arm64, instance: x.large, source: s, effective_date: \"2026-01-01\", ec2: {hourly_usd: \"1\", vcpu: 2}}\n"},
			want:  []string{"scenario.yaml:14:11: pricing.prices: price book ", "prices.yaml:3:5: entries[0].retrieved: is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writePricingScenario(t, tt.billing, tt.pricing, tt.extra)
			var out, errOut bytes.Buffer
			code := Main(context.Background(), []string{"validate", path}, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errOut})
			if len(tt.want) == 0 {
				if code != ExitOK {
					t.Fatalf("exit %d: %s", code, errOut.String())
				}
				return
			}
			if code != ExitBadInput {
				t.Fatalf("exit %d, want 2; stdout %s", code, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut.String(), strings.Replace(w, "scenario.yaml", path, 1)) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut.String())
				}
			}
			// run refuses it before starting anything, with the same message.
			var rOut, rErr bytes.Buffer
			if code := Main(context.Background(), []string{"run", "--dry-run", path}, &IOStreams{In: strings.NewReader(""), Out: &rOut, Err: &rErr}); code != ExitBadInput ||
				!strings.Contains(rErr.String(), strings.Replace(tt.want[0], "scenario.yaml", path, 1)) {
				t.Errorf("run --dry-run: exit %d, stderr %s", code, rErr.String())
			}
		})
	}
}
