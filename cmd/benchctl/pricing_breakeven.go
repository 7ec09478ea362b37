package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/report"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
	"github.com/benchctl/benchctl/summary"
)

// PricingBreakevenOptions are the inputs of `benchctl pricing breakeven`:
// the price book, a saved run or the what-if the flags fill, and the
// output format.
type PricingBreakevenOptions struct {
	IO     *IOStreams
	Prices string
	// RunDir prices a saved run (its records, summary and scenario); the
	// what-if's flags that were given then override its scenario.
	RunDir string
	// InitRule is auto, billed or legacy (INIT billing for --run).
	InitRule string
	JSON     bool
	pricing.WhatIf
}

func newPricingBreakevenCmd(streams *IOStreams, runF func(*PricingBreakevenOptions) error) *cobra.Command {
	opts := &PricingBreakevenOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "breakeven (--run RUN_DIR | --cost-per-million USD | --memory MB --duration D) [options]",
		Short: "Find the monthly volumes at which serverless and an instance fleet cost the same",
		Long: `Usage:
  benchctl pricing breakeven --run RUN_DIR [--json]
  benchctl pricing breakeven --cost-per-million 1.87 --instance c7g.large --capacity-rps 40 [--peak-to-average 3] [--json]
  benchctl pricing breakeven --memory 1024 --duration 100ms [--arch arm64] --instance c7g.large --capacity-rps 40

For each serverless configuration and instance type: every monthly volume at
which the costs cross (a fleet's cost steps each time it needs another
instance, so there may be several), the first volume at which serverless
becomes dearer, its interval from the cost CI, and which single assumption
moves it most. A fleet needs max(min, ceil(rate / (capacity × utilisation)))
instances in each hour of the traffic profile (+1 with --n-plus-one).

Arguments and options:
  --run DIR               a run directory: prices its records with its scenario's pricing block
                          (flags given here override the scenario's)
  --cost-per-million USD  serverless cost per 1M requests, everything included
  --memory MB, --duration D, --arch A   or a Lambda configuration priced from the book
  --cold-start-rate F     share of requests that are cold (with --init-duration D)
  --instance TYPE         instance type (repeatable; default c7g.large)
  --capacity-rps R        requests/s one instance serves within the SLO
  --peak-to-average X     diurnal profile peak over average (1 = constant); --peak-hours H (default 8)
  --utilisation U         target utilisation of capacity (default 0.7)
  --fleet fixed|autoscaled  fixed for the peak hour (default) or scaled hour by hour
  --n-plus-one            one spare instance; --min-instances N
  --free-tier             apply the Lambda free tier to the month
  --init-rule R           with --run: auto (INIT billed from 2025-08-01, by record date),
                          billed, or legacy (INIT of managed-runtime ZIP functions not billed)
  --api-gateway           the function sits behind an API Gateway HTTP API: add its fee
                          (with --run: overrides every function target's api_gateway)
  --payload-bytes B       request + response bytes per request, for the gateway's 512 KB
                          metering (without --run; --run meters each record's bytes)
  --ephemeral-storage-mb MB  /tmp size, 512-10240; above 512 MB is billed (needs --memory and
                          --duration, or --run, where it overrides every function target's)
  --lambda-managed        also price each --instance type as a Lambda Managed Instances fleet:
                          EC2 on-demand + the 15% management fee + $0.20 per 1M requests,
                          autoscaled hour by hour, never below the capacity provider's minimum
                          (--managed-min-instances, default 3) nor above its max vCPU
                          (--managed-max-vcpu, default 15000), pre-scaled for steps over 2x
  --region R              price region (default us-east-1); --prices FILE
  --json                  print {"break_even": [{"serverless", "instance", "monthly_requests", "average_rps", "crossings": [...]}]}`,
		Example: `  benchctl pricing breakeven --cost-per-million 1.87 --instance c7g.large --capacity-rps 40 --peak-to-average 3
  benchctl pricing breakeven --run results/2026-11-27T10-00-00-quickstart --json
  benchctl pricing breakeven --memory 1024 --duration 50ms --api-gateway --instance c7g.large --capacity-rps 40
  benchctl pricing breakeven --memory 2048 --duration 40ms --instance m7g.large --capacity-rps 40 --lambda-managed --peak-to-average 2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pricingBreakevenCheck(opts, cmd.Flags().Changed); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return pricingBreakevenRun(cmd.Context(), opts, cmd.Flags().Changed)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Prices, "prices", "", "price-book file overriding the embedded one")
	f.StringVar(&opts.Region, "region", pricing.DefaultRegion, "price region")
	f.StringVar(&opts.RunDir, "run", "", "run directory")
	f.Float64Var(&opts.CostPerMillion, "cost-per-million", 0, "serverless USD per 1M requests")
	f.IntVar(&opts.MemoryMB, "memory", 0, "Lambda memory in MB")
	f.DurationVar(&opts.Duration, "duration", 0, "Lambda duration per request")
	f.StringVar(&opts.Arch, "arch", pricing.ArchX86, "Lambda architecture")
	f.Float64Var(&opts.ColdStartRate, "cold-start-rate", 0, "share of requests that are cold starts")
	f.DurationVar(&opts.InitDuration, "init-duration", 0, "INIT duration per cold start")
	f.StringSliceVar(&opts.Instances, "instance", nil, "instance type (repeatable)")
	f.Float64Var(&opts.CapacityRPS, "capacity-rps", 0, "requests/s per instance within the SLO")
	f.Float64Var(&opts.PeakToAverage, "peak-to-average", 0, "diurnal peak-to-average ratio (1 = constant)")
	f.Float64Var(&opts.PeakHours, "peak-hours", pricing.DefaultPeakHours, "hours per day at the peak")
	f.Float64Var(&opts.Utilisation, "utilisation", scenarios.DefaultTargetUtilisation, "target utilisation of capacity")
	f.StringVar(&opts.Fleet, "fleet", "fixed", "fixed or autoscaled")
	f.BoolVar(&opts.NPlusOne, "n-plus-one", false, "add a spare instance")
	f.IntVar(&opts.MinInstances, "min-instances", 1, "minimum instances")
	f.BoolVar(&opts.FreeTier, "free-tier", false, "apply the Lambda free tier")
	f.BoolVar(&opts.JSON, "json", false, "print JSON")
	f.StringVar(&opts.InitRule, "init-rule", pricing.InitRuleAuto, "INIT billing: auto, billed or legacy")
	f.BoolVar(&opts.APIGateway, "api-gateway", false, "add the API Gateway HTTP API fee")
	f.Int64Var(&opts.PayloadBytes, "payload-bytes", 0, "request + response bytes per request (API Gateway metering)")
	f.IntVar(&opts.EphemeralMB, "ephemeral-storage-mb", pricing.IncludedEphemeralMB, "ephemeral storage in MB (512-10240)")
	f.BoolVar(&opts.LambdaManaged, "lambda-managed", false, "also price the instance types as Lambda Managed Instances fleets")
	f.IntVar(&opts.ManagedMinInstances, "managed-min-instances", 0, "Lambda Managed Instances: the capacity provider's minimum (default 3)")
	f.IntVar(&opts.ManagedMaxVCPU, "managed-max-vcpu", 0, "Lambda Managed Instances: the capacity provider's max vCPU (default 15000)")
	return cmd
}

// pricingBreakevenCheck validates every flag of `pricing breakeven` before
// any search: each numeric flag finite and inside its range, and the flags
// consistent. Bounding the inputs bounds the search (a capacity of 1e-23
// requests/s would otherwise make a fleet step every 1e-16 requests).
func pricingBreakevenCheck(opts *PricingBreakevenOptions, changed func(string) bool) error {
	c := &pricingFlagCheck{cmd: "pricing breakeven"}
	fromFlags := opts.RunDir == ""
	if fromFlags && !changed("cost-per-million") && !(changed("memory") && changed("duration")) {
		c.failf("give --run DIR, --cost-per-million, or --memory and --duration")
	}
	if changed("cost-per-million") {
		c.in("cost-per-million", opts.CostPerMillion, pricing.CostPerMillionRange)
		if changed("memory") || changed("duration") {
			c.failf("give --cost-per-million or --memory and --duration, not both")
		}
	}
	if changed("memory") || changed("duration") {
		if !changed("memory") || !changed("duration") {
			c.failf("--memory and --duration go together (a Lambda configuration priced from the book)")
		}
		c.inInt("memory", int64(opts.MemoryMB), pricing.LambdaMemoryMB)
		c.inDur("duration", opts.Duration, pricing.LambdaDurationMs)
	}
	if fromFlags && !changed("capacity-rps") {
		c.failf("--capacity-rps is required without --run (requests/s one instance serves within the SLO, %s)", pricing.CapacityRPSRange)
	}
	if changed("capacity-rps") {
		c.in("capacity-rps", opts.CapacityRPS, pricing.CapacityRPSRange)
	}
	if opts.Fleet != "fixed" && opts.Fleet != "autoscaled" {
		c.failf("--fleet %q isn't one of [fixed autoscaled]", opts.Fleet)
	}
	c.in("utilisation", opts.Utilisation, pricing.TargetUtilisationRange)
	switch opts.InitRule {
	case pricing.InitRuleAuto, pricing.InitRuleBilled, pricing.InitRuleLegacy:
	default:
		c.failf("--init-rule %q isn't one of [auto billed legacy]", opts.InitRule)
	}
	if changed("peak-to-average") {
		c.in("peak-to-average", opts.PeakToAverage, pricing.PeakToAverageRange)
	}
	c.in("peak-hours", opts.PeakHours, pricing.PeakHoursRange)
	if pricing.PeakToAverageRange.Contains(opts.PeakToAverage) && pricing.PeakHoursRange.Contains(opts.PeakHours) && opts.PeakToAverage*opts.PeakHours > 24+1e-9 {
		c.failf("--peak-to-average %g over --peak-hours %g exceeds the day's traffic (at most %g at %g peak hours)", opts.PeakToAverage, opts.PeakHours, 24/opts.PeakHours, opts.PeakHours)
	}
	c.in("cold-start-rate", opts.ColdStartRate, pricing.ColdStartRateRange)
	c.inDur("init-duration", opts.InitDuration, pricing.InitDurationMs)
	c.inInt("min-instances", int64(opts.MinInstances), pricing.MinInstancesRange)
	if err := scenarios.CheckEphemeralStorageMB(opts.EphemeralMB); err != nil {
		c.failf("--ephemeral-storage-mb %v", err)
	}
	if fromFlags && changed("cost-per-million") && changed("ephemeral-storage-mb") {
		c.failf("--ephemeral-storage-mb needs --memory and --duration (storage is billed on the billed duration), or --run")
	}
	c.inInt("payload-bytes", opts.PayloadBytes, pricing.PayloadBytesRange)
	if changed("managed-min-instances") {
		c.inInt("managed-min-instances", int64(opts.ManagedMinInstances), pricing.ManagedMinInstances)
	}
	if changed("managed-max-vcpu") {
		c.inInt("managed-max-vcpu", int64(opts.ManagedMaxVCPU), pricing.ManagedMaxVCPU)
	}
	if (changed("managed-min-instances") || changed("managed-max-vcpu")) && !opts.LambdaManaged {
		c.failf("--managed-min-instances and --managed-max-vcpu need --lambda-managed")
	}
	if opts.Arch != pricing.ArchX86 && opts.Arch != pricing.ArchArm64 {
		c.failf("--arch %q isn't one of [x86_64 arm64]", opts.Arch)
	}
	return c.err()
}

func pricingBreakevenRun(ctx context.Context, opts *PricingBreakevenOptions, changed func(string) bool) error {
	if changed == nil {
		changed = func(string) bool { return true }
	}
	var rows []results.BreakEvenRow
	var notes []string
	if opts.RunDir != "" {
		defer limitMemory()()
		var err error
		rows, notes, err = summary.BreakEven(ctx, opts.RunDir, summary.Options{Prices: opts.Prices, InitRule: opts.InitRule,
			AdjustScenario: func(sc *scenarios.Scenario) { pricingApplyBreakevenFlags(sc, opts, changed) }})
		var bookErr *summary.BookError
		if errors.Is(err, results.ErrNotRunDir) || errors.Is(err, summary.ErrPrices) {
			return &FlagError{Err: err}
		}
		if errors.As(err, &bookErr) {
			return &FlagError{Err: fmt.Errorf("pricing breakeven: %w", err)}
		}
		if err != nil {
			return fmt.Errorf("pricing breakeven: %w", err)
		}
	} else {
		book, err := pricing.LoadBook(opts.Prices)
		if err != nil {
			return &FlagError{Err: err}
		}
		a, err := book.WhatIfAnalysis(opts.WhatIf)
		if err != nil {
			return &FlagError{Err: err}
		}
		if rows, err = a.BreakEven(ctx, true); err != nil {
			return fmt.Errorf("pricing breakeven: %w", err)
		}
		notes = a.Notes
	}
	if rows == nil {
		rows = []results.BreakEvenRow{}
	}
	if opts.JSON {
		return pricingWriteJSON(opts.IO.Out, map[string]any{"break_even": rows, "notes": notes})
	}
	return report.WriteBreakEven(opts.IO.Out, rows, notes)
}

func pricingApplyBreakevenFlags(sc *scenarios.Scenario, opts *PricingBreakevenOptions, changed func(string) bool) {
	p := &sc.Pricing
	if changed("region") {
		p.Region = opts.Region
	}
	if changed("instance") {
		p.Instances = opts.Instances
	}
	if changed("capacity-rps") {
		p.CapacityRPS = opts.CapacityRPS
	}
	if changed("utilisation") {
		p.TargetUtilisation = opts.Utilisation
	}
	if changed("fleet") {
		p.Fleet = opts.Fleet
	}
	if changed("n-plus-one") {
		p.NPlusOne = opts.NPlusOne
	}
	if changed("min-instances") {
		p.MinInstances = opts.MinInstances
	}
	if changed("free-tier") {
		p.FreeTier = opts.FreeTier
	}
	if changed("peak-to-average") {
		p.Profile.Shape, p.Profile.PeakToAverage, p.Profile.PeakHours = "diurnal", opts.PeakToAverage, opts.PeakHours
		if opts.PeakToAverage == 1 {
			p.Profile.Shape = "constant"
		}
	}
	if changed("arch") {
		p.Architectures = []string{opts.Arch}
	}
	if opts.LambdaManaged {
		lm := &scenarios.LambdaManaged{}
		if p.LambdaManaged != nil {
			c := *p.LambdaManaged
			lm = &c
		}
		if changed("managed-min-instances") {
			lm.MinInstances = opts.ManagedMinInstances
		}
		if changed("managed-max-vcpu") {
			lm.MaxVCPU = opts.ManagedMaxVCPU
		}
		p.LambdaManaged = lm
	}
	for i := range sc.Targets {
		t := &sc.Targets[i]
		if !scenarios.IsFunctionKind(t.Kind) {
			continue
		}
		if changed("api-gateway") {
			t.APIGateway = ""
			if opts.APIGateway {
				t.APIGateway = "http"
			}
		}
		if changed("ephemeral-storage-mb") {
			t.EphemeralStorageMB = opts.EphemeralMB
		}
	}
}
