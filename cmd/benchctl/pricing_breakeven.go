package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
	"github.com/benchctl/benchctl/summary"
)

// PricingBreakevenOptions are the inputs of `benchctl pricing breakeven`.
type PricingBreakevenOptions struct {
	IO     *IOStreams
	Prices string
	Region string
	// RunDir prices a saved run (its records, summary and scenario).
	RunDir string
	// Or from flags: a serverless cost per 1M requests, or a Lambda
	// configuration (memory, duration, arch).
	CostPerMillion float64
	MemoryMB       int
	Duration       time.Duration
	Arch           string
	ColdStartRate  float64
	InitDuration   time.Duration
	// Fleet.
	Instances     []string
	CapacityRPS   float64
	PeakToAverage float64
	PeakHours     float64
	Utilisation   float64
	Fleet         string
	NPlusOne      bool
	MinInstances  int
	FreeTier      bool
	JSON          bool
	// InitRule is auto, billed or legacy (INIT billing for --run).
	InitRule string
	// APIGateway adds the API Gateway HTTP API fee (metered per started
	// 512 KB of PayloadBytes); EphemeralMB prices /tmp above 512 MB. With
	// --run they override every function target of the scenario.
	APIGateway   bool
	PayloadBytes int64
	EphemeralMB  int
	// LambdaManaged also prices each --instance type (that Lambda Managed
	// Instances runs) as an LMI fleet, with the capacity provider's
	// ManagedMinInstances (0: 3) and ManagedMaxVCPU (0: 15000).
	LambdaManaged       bool
	ManagedMinInstances int
	ManagedMaxVCPU      int
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
		a, err := pricingAnalysisFromFlags(book, opts)
		if err != nil {
			return err
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
	return pricingWriteBreakEven(opts.IO.Out, rows, notes)
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

func pricingAnalysisFromFlags(book *pricing.Book, opts *PricingBreakevenOptions) (*pricing.Analysis, error) {
	prof := pricing.ConstantProfile()
	if opts.PeakToAverage > 1 {
		var err error
		if prof, err = pricing.DiurnalProfile(opts.PeakToAverage, opts.PeakHours); err != nil {
			return nil, &FlagError{Err: err}
		}
	}
	var s *pricing.Serverless
	if opts.CostPerMillion > 0 {
		per := decimal.NewFromFloat(opts.CostPerMillion).Div(decimal.NewFromInt(1_000_000))
		s = &pricing.Serverless{Name: fmt.Sprintf("serverless at $%g per 1M", opts.CostPerMillion), Platform: "given",
			Entry:   &pricing.Entry{Platform: "given", Source: "--cost-per-million", EffectiveDate: "n/a"},
			WarmUSD: per, CILow: 1, CIHigh: 1}
	} else {
		e, err := book.Find(pricing.PlatformLambda, opts.Region, opts.Arch, "", "")
		if err != nil {
			return nil, &FlagError{Err: err}
		}
		ms := float64(opts.Duration) / float64(time.Millisecond)
		initMs := float64(opts.InitDuration) / float64(time.Millisecond)
		gb := pricing.GB(opts.MemoryMB)
		warm := pricing.CeilMs(ms)
		s = &pricing.Serverless{Name: fmt.Sprintf("aws-lambda %d MB %s %s", opts.MemoryMB, opts.Arch, opts.Duration), Platform: pricing.PlatformLambda,
			Architecture: opts.Arch, MemoryMB: opts.MemoryMB, Entry: e, FreeTier: opts.FreeTier, CILow: 1, CIHigh: 1, EphemeralMB: opts.EphemeralMB,
			WarmGBs:      gb.Mul(warm).Div(decimal.NewFromInt(1000)),
			ColdExtraGBs: gb.Mul(pricing.CeilMs(ms + initMs).Sub(warm)).Div(decimal.NewFromInt(1000)),
			Cold:         pricing.ColdModel{Floor: opts.ColdStartRate, Scale: 1}}
	}
	if opts.APIGateway {
		g, err := book.Find(pricing.PlatformAPIGatewayHTTP, opts.Region, "", "", "")
		if err != nil {
			return nil, &FlagError{Err: err}
		}
		s.APIGW, s.GatewayUnits = g, float64(g.APIGateway.MeteredRequests(uint64(opts.PayloadBytes)))
		s.Name += " + HTTP API"
	}
	var notes []string
	if s.APIGW != nil {
		notes = append(notes, fmt.Sprintf("API Gateway HTTP API fee included: $%s per metered request (each started %d KB of --payload-bytes counts as one; %s effective %s)",
			s.APIGW.APIGateway.RequestTiers[0].USD, s.APIGW.APIGateway.MeteringKB, s.APIGW.Source, s.APIGW.EffectiveDate))
	}
	if s.EphemeralMB > pricing.IncludedEphemeralMB {
		notes = append(notes, fmt.Sprintf("ephemeral storage %d MB: the %d MB above 512 MB are billed per GB-s of billed duration (%s per GB-s)",
			s.EphemeralMB, s.EphemeralMB-pricing.IncludedEphemeralMB, s.Entry.Lambda.EphemeralGBSecondUSD))
	}
	instances := opts.Instances
	if len(instances) == 0 {
		instances = []string{"c7g.large"}
	}
	a := &pricing.Analysis{Book: book, Region: opts.Region, Profile: prof, Serverless: []*pricing.Serverless{s},
		MinMonthlyRequests: pricing.DefaultMinMonthlyRequests, MaxMonthlyRequests: pricing.DefaultMaxMonthlyRequests, Notes: notes}
	for _, in := range instances {
		e, err := book.Find(pricing.PlatformEC2, opts.Region, "", "", in)
		if err != nil {
			return nil, &FlagError{Err: err}
		}
		f := &pricing.Fleet{Instance: in, Entry: e, CapacityRPS: opts.CapacityRPS, Utilisation: opts.Utilisation,
			MinInstances: opts.MinInstances, NPlusOne: opts.NPlusOne, Autoscaled: opts.Fleet == "autoscaled",
			CapacityAssumption: "given: --capacity-rps"}
		f.Name = f.Describe()
		a.Fleets = append(a.Fleets, f)
		if e.EC2.Burstable {
			a.Notes = append(a.Notes, in+" is burstable: surplus CPU credits (on the 24-hour average CPU above the baseline) are included at the fleet's utilisation")
		}
	}
	if opts.LambdaManaged {
		managed, notes, err := pricingManagedFleets(book, opts, instances)
		if err != nil {
			return nil, err
		}
		a.Fleets, a.Notes = append(a.Fleets, managed...), append(a.Notes, notes...)
	}
	a.Notes = append(a.Notes, "traffic profile: "+prof.Label)
	return a, nil
}

// pricingManagedFleets are the Lambda Managed Instances fleets of
// --lambda-managed: each --instance type LMI runs (else m7g.large), at the
// given capacity and utilisation, between the capacity provider's minimum
// and max vCPU.
func pricingManagedFleets(book *pricing.Book, opts *PricingBreakevenOptions, instances []string) ([]*pricing.Fleet, []string, error) {
	var notes, supported []string
	for _, in := range instances {
		if _, _, err := book.FindManaged(opts.Region, in); err != nil {
			notes = append(notes, fmt.Sprintf("Lambda Managed Instances: %s not priced: %v", in, err))
			continue
		}
		supported = append(supported, in)
	}
	if len(supported) == 0 {
		supported = []string{pricing.DefaultManagedInstance}
	}
	var out []*pricing.Fleet
	for _, in := range supported {
		lmi, e, err := book.FindManaged(opts.Region, in)
		if err != nil {
			return nil, nil, &FlagError{Err: fmt.Errorf("pricing breakeven: %w", err)}
		}
		minN, maxV := opts.ManagedMinInstances, opts.ManagedMaxVCPU
		if minN == 0 {
			minN = lmi.LambdaManaged.DefaultMinInstances
		}
		if maxV == 0 {
			maxV = lmi.LambdaManaged.MaxVCPU
		}
		f := &pricing.Fleet{Instance: in, Entry: e, CapacityRPS: opts.CapacityRPS, Utilisation: opts.Utilisation, MinInstances: minN, Autoscaled: true,
			CapacityAssumption: "given: --capacity-rps, per Lambda Managed Instances instance",
			Managed:            &pricing.ManagedPricing{Entry: lmi, MaxVCPU: maxV, MaxInstances: maxV / e.EC2.VCPU}}
		f.Name = f.Describe()
		out = append(out, f)
	}
	return out, notes, nil
}

func pricingWriteBreakEven(w io.Writer, rows []results.BreakEvenRow, notes []string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVERLESS\tINSTANCE\tKIND\tBREAK-EVEN REQ/MONTH\tAVG RPS\t95% INTERVAL\tCROSSINGS\tMOST SENSITIVE TO")
	for _, r := range rows {
		be, rps, iv := "none", "-", "-"
		if r.MonthlyRequests > 0 {
			be, rps = fmt.Sprintf("%.4g", r.MonthlyRequests), fmt.Sprintf("%.3g", r.AverageRPS)
		}
		if r.MonthlyRequestsLow > 0 || r.MonthlyRequestsHigh > 0 {
			iv = fmt.Sprintf("%.4g – %.4g", r.MonthlyRequestsLow, r.MonthlyRequestsHigh)
		}
		crossings := r.CrossingsCount
		if crossings == 0 {
			crossings = len(r.Crossings)
		}
		kind := r.InstanceKind
		if kind == "" {
			kind = results.OptionFleet
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.Serverless, r.Instance, kind, be, rps, iv, crossings, r.MostSensitive)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		fmt.Fprintf(w, "\n%s vs %s (%s; capacity: %s)\n", r.Serverless, r.Instance, r.Fleet, r.CapacityAssumption)
		for i, c := range r.Crossings {
			if r.CrossingsTruncated && i == len(r.Crossings)/2 {
				fmt.Fprintf(w, "  … %d more crossings (see the note) …\n", r.CrossingsCount-len(r.Crossings))
			}
			fmt.Fprintf(w, "  at %.6g requests/month (%.4g rps): %s, $%.2f/month\n", c.MonthlyRequests, c.AverageRPS, strings.ReplaceAll(c.Direction, "_", " "), c.CostUSD)
		}
		if r.Note != "" {
			fmt.Fprintln(w, "  note:", r.Note)
		}
		for _, s := range r.Sensitivity {
			fmt.Fprintf(w, "  %s ×%g → %.4g, ×%g → %.4g (swing %.0f%%)\n", s.Assumption, s.LowFactor, s.MonthlyRequestsLow, s.HighFactor, s.MonthlyRequestsHigh, s.Swing*100)
		}
	}
	for _, n := range notes {
		fmt.Fprintln(w, "note:", n)
	}
	return nil
}
