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
  --region R              price region (default us-east-1); --prices FILE
  --json                  print {"break_even": [{"serverless", "instance", "monthly_requests", "average_rps", "crossings": [...]}]}`,
		Example: `  benchctl pricing breakeven --cost-per-million 1.87 --instance c7g.large --capacity-rps 40 --peak-to-average 3
  benchctl pricing breakeven --run results/2026-11-27T10-00-00-quickstart --json
  benchctl pricing breakeven --memory 1024 --duration 50ms --api-gateway --instance c7g.large --capacity-rps 40`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.RunDir == "" {
				if opts.CostPerMillion <= 0 && (opts.MemoryMB <= 0 || opts.Duration <= 0) {
					return &FlagError{Err: errors.New("pricing breakeven: give --run DIR, --cost-per-million, or --memory and --duration")}
				}
				if opts.CapacityRPS <= 0 {
					return &FlagError{Err: errors.New("pricing breakeven: --capacity-rps must be > 0")}
				}
			}
			if opts.Fleet != "fixed" && opts.Fleet != "autoscaled" {
				return &FlagError{Err: fmt.Errorf("pricing breakeven: --fleet %q isn't one of [fixed autoscaled]", opts.Fleet)}
			}
			if !(opts.Utilisation > 0 && opts.Utilisation <= 1) {
				return &FlagError{Err: fmt.Errorf("pricing breakeven: --utilisation must be in (0, 1] (got %g)", opts.Utilisation)}
			}
			switch opts.InitRule {
			case pricing.InitRuleAuto, pricing.InitRuleBilled, pricing.InitRuleLegacy:
			default:
				return &FlagError{Err: fmt.Errorf("pricing breakeven: --init-rule %q isn't one of [auto billed legacy]", opts.InitRule)}
			}
			if opts.PeakToAverage != 0 && opts.PeakToAverage < 1 {
				return &FlagError{Err: fmt.Errorf("pricing breakeven: --peak-to-average must be >= 1 (got %g)", opts.PeakToAverage)}
			}
			if err := pricingCheckEphemeral("pricing breakeven", opts.EphemeralMB); err != nil {
				return err
			}
			if opts.RunDir == "" && opts.CostPerMillion > 0 && cmd.Flags().Changed("ephemeral-storage-mb") {
				return &FlagError{Err: errors.New("pricing breakeven: --ephemeral-storage-mb needs --memory and --duration (storage is billed on the billed duration), or --run")}
			}
			if opts.PayloadBytes < 0 {
				return &FlagError{Err: fmt.Errorf("pricing breakeven: --payload-bytes must be >= 0 (got %d)", opts.PayloadBytes)}
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
	return cmd
}

func pricingBreakevenRun(ctx context.Context, opts *PricingBreakevenOptions, changed func(string) bool) error {
	if changed == nil {
		changed = func(string) bool { return true }
	}
	var rows []results.BreakEvenRow
	var notes []string
	if opts.RunDir != "" {
		run, err := summary.Load(ctx, opts.RunDir, summary.Options{Prices: opts.Prices, Reprice: true, InitRule: opts.InitRule,
			AdjustScenario: func(sc *scenarios.Scenario) { pricingApplyBreakevenFlags(sc, opts, changed) }})
		if errors.Is(err, results.ErrNotRunDir) || errors.Is(err, summary.ErrPrices) {
			return &FlagError{Err: err}
		}
		if err != nil {
			return fmt.Errorf("pricing breakeven: %w", err)
		}
		if run.Scenario == nil {
			return fmt.Errorf("pricing breakeven: %s: %s", opts.RunDir, strings.Join(run.Notes, "; "))
		}
		if run.BookErr != nil {
			return &FlagError{Err: fmt.Errorf("pricing breakeven: %w", run.BookErr)}
		}
		if run.PricingErr != nil {
			return fmt.Errorf("pricing breakeven: %w", run.PricingErr)
		}
		rows, notes = run.Summary.BreakEven, run.PricingNotes
	} else {
		book, err := pricing.LoadBook(opts.Prices)
		if err != nil {
			return &FlagError{Err: err}
		}
		a, err := pricingAnalysisFromFlags(book, opts)
		if err != nil {
			return err
		}
		rows, notes = a.BreakEven(true), a.Notes
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
			a.Notes = append(a.Notes, in+" is burstable: surplus CPU credits are included at the fleet's utilisation")
		}
	}
	a.Notes = append(a.Notes, "traffic profile: "+prof.Label)
	return a, nil
}

func pricingWriteBreakEven(w io.Writer, rows []results.BreakEvenRow, notes []string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVERLESS\tINSTANCE\tBREAK-EVEN REQ/MONTH\tAVG RPS\t95% INTERVAL\tCROSSINGS\tMOST SENSITIVE TO")
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.Serverless, r.Instance, be, rps, iv, crossings, r.MostSensitive)
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
