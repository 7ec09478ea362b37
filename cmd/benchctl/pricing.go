package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// PricingShowOptions are the inputs of `benchctl pricing show`.
type PricingShowOptions struct {
	IO *IOStreams
	// Prices is an optional price-book file overriding the embedded one.
	Prices   string
	Platform string
	Region   string
	JSON     bool
}

// PricingEstimateOptions are the inputs of `benchctl pricing estimate`.
type PricingEstimateOptions struct {
	IO       *IOStreams
	Prices   string
	Platform string
	Region   string
	Arch     string
	Plan     string
	MemoryMB int
	Duration time.Duration
	Requests int64
	FreeTier bool
	JSON     bool
	// Lambda extras.
	ColdStarts             int64
	InitDuration           time.Duration
	LegacyInit             bool
	EphemeralMB            int
	APIGateway             bool
	PayloadBytes           int64
	ProvisionedConcurrency int
	ProvisionedHours       float64
	ProvisionedRequests    int64
	// Cloud Run.
	VCPU         float64
	Concurrency  float64
	MinInstances int
	// Azure Flex.
	AlwaysReady int
	// EC2.
	Instance  string
	Instances int
	Hours     float64
}

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

// PricingUpdateOptions are the inputs of `benchctl pricing update`.
type PricingUpdateOptions struct {
	IO        *IOStreams
	Prices    string
	Regions   []string
	Instances []string
	// Output is the dated book to write (default prices-YYYY-MM-DD.yaml).
	Output   string
	Endpoint string
	JSON     bool
	Now      func() time.Time
	// NewClient makes the Price List client (a seam for tests).
	NewClient func(ctx context.Context, endpoint string) (pricing.ProductsAPI, error)
}

// pricingSeams holds the test seams of the pricing subcommands; nil fields
// run the real commands.
type pricingSeams struct {
	show      func(*PricingShowOptions) error
	estimate  func(*PricingEstimateOptions) error
	breakeven func(*PricingBreakevenOptions) error
	update    func(*PricingUpdateOptions) error
}

func newPricingCmd(streams *IOStreams, seams *pricingSeams) *cobra.Command {
	if seams == nil {
		seams = &pricingSeams{}
	}
	parent := &cobra.Command{
		Use:   "pricing",
		Short: "Price book, per-request cost estimates, break-even volumes, price refresh",
		Long: `Usage:
  benchctl pricing show|estimate|breakeven|update [options]

The price book (embedded, dated, with a source per entry), itemised cost
estimates, serverless-vs-fleet break-even volumes, and a refresh of the AWS
prices from the AWS Price List API. See docs/pricing.md for the formulas.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &FlagError{Err: errors.New("pricing: give a subcommand (show, estimate, breakeven, update)")}
		},
	}
	parent.AddCommand(newPricingShowCmd(streams, seams.show), newPricingEstimateCmd(streams, seams.estimate),
		newPricingBreakevenCmd(streams, seams.breakeven), newPricingUpdateCmd(streams, seams.update))
	return parent
}

func newPricingShowCmd(streams *IOStreams, runF func(*PricingShowOptions) error) *cobra.Command {
	opts := &PricingShowOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "show [--platform P] [--region R]",
		Short: "Print the price book with sources and dates",
		Long: `Usage:
  benchctl pricing show [--platform aws-lambda] [--region us-east-1] [--prices FILE] [--json]

Prints every price-book entry (or those of one platform and region): its
rates, effective date, retrieval date, source URL and confidence.

Options:
  --platform P   aws-lambda, aws-apigw-http, cloud-run, azure-functions or ec2
  --region R     a region (aliases: us-east-1 also finds us-east1 and eastus)
  --prices FILE  a price-book file overriding/extending the embedded one
  --json         print {"book_date", "files", "entries": [...]}`,
		Example: `  benchctl pricing show --platform ec2
  benchctl pricing show --platform aws-lambda --region eu-west-1 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return pricingShowRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Prices, "prices", "", "price-book file overriding the embedded one")
	f.StringVar(&opts.Platform, "platform", "", "only this platform")
	f.StringVar(&opts.Region, "region", "", "only this region")
	f.BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

func pricingShowRun(_ context.Context, opts *PricingShowOptions) error {
	book, err := pricing.LoadBook(opts.Prices)
	if err != nil {
		return &FlagError{Err: err}
	}
	var entries []pricing.Entry
	for _, e := range book.Entries {
		if opts.Platform != "" && e.Platform != opts.Platform {
			continue
		}
		if opts.Region != "" && e.Region != opts.Region {
			found := false
			for _, r := range pricingRegionFamily(opts.Region) {
				found = found || e.Region == r
			}
			if !found {
				continue
			}
		}
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		return &FlagError{Err: fmt.Errorf("pricing show: no entries for platform %q region %q (regions: %s)", opts.Platform, opts.Region, strings.Join(book.Regions(opts.Platform), ", "))}
	}
	if opts.JSON {
		return pricingWriteJSON(opts.IO.Out, map[string]any{"book_date": book.BookDate, "hours_per_month": book.HoursPerMonth, "files": book.Files, "entries": entries})
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "price book %s (%s); a month is %d hours\n\n", book.BookDate, strings.Join(book.Files, ", "), book.HoursPerMonth)
	fmt.Fprintln(tw, "PLATFORM\tREGION\tVARIANT\tRATES\tEFFECTIVE\tRETRIEVED\tSOURCE")
	for _, e := range entries {
		variant := strings.TrimSpace(strings.Join([]string{e.Architecture, e.Plan, e.Instance}, " "))
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Platform, e.Region, variant, pricingRateSummary(&e), e.EffectiveDate, e.Retrieved, e.Source)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.Out, "\nconfidence:")
	for _, e := range entries {
		fmt.Fprintf(opts.IO.Out, "  %s: %s\n", e.Name(), e.Confidence)
	}
	return nil
}

func pricingRegionFamily(r string) []string {
	switch r {
	case "us-east-1":
		return []string{"us-east-1", "us-east1", "eastus"}
	case "eu-west-1":
		return []string{"eu-west-1", "europe-west1", "westeurope"}
	}
	return []string{r}
}

func pricingRateSummary(e *pricing.Entry) string {
	switch {
	case e.Lambda != nil:
		l := e.Lambda
		var tiers []string
		for _, t := range l.DurationTiers {
			up := "∞"
			if t.UpToGBSeconds != nil {
				up = t.UpToGBSeconds.Div(decimal.NewFromInt(1_000_000_000)).String() + "B"
			}
			tiers = append(tiers, fmt.Sprintf("%s/GB-s to %s", t.USD, up))
		}
		return fmt.Sprintf("%s/req; %s; PC %s/GB-s", l.RequestUSD, strings.Join(tiers, ", "), l.ProvisionedGBSecondUSD)
	case e.APIGateway != nil:
		return fmt.Sprintf("%s/req first tier, %d KB metering", e.APIGateway.RequestTiers[0].USD, e.APIGateway.MeteringKB)
	case e.CloudRun != nil:
		c := e.CloudRun
		return fmt.Sprintf("%s/vCPU-s, %s/GiB-s, %s/req, %d ms rounding", c.VCPUSecondUSD, c.GiBSecondUSD, c.RequestUSD, c.RoundingMs)
	case e.Azure != nil:
		return fmt.Sprintf("%s/GB-s, %s/execution", e.Azure.GBSecondUSD, e.Azure.ExecutionUSD)
	case e.EC2 != nil:
		s := fmt.Sprintf("%s/h (%d vCPU, %s GiB)", e.EC2.HourlyUSD, e.EC2.VCPU, e.EC2.MemoryGiB)
		if e.EC2.Burstable {
			s += " burstable"
		}
		return s
	}
	return ""
}

func newPricingEstimateCmd(streams *IOStreams, runF func(*PricingEstimateOptions) error) *cobra.Command {
	opts := &PricingEstimateOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "estimate --platform P [options]",
		Short: "Itemise the cost of a number of requests (or instance hours)",
		Long: `Usage:
  benchctl pricing estimate --platform aws-lambda --arch arm64 --memory 1024 --duration 100ms --requests 1000000 [--free-tier] [--json]
  benchctl pricing estimate --platform cloud-run --vcpu 1 --memory 512 --concurrency 4 --duration 120ms --requests 1000000
  benchctl pricing estimate --platform azure-functions --plan consumption --memory 200 --duration 50ms --requests 1000000
  benchctl pricing estimate --platform ec2 --instance c7g.large [--instances 2] [--hours 730]

Prices one configuration with the price book and prints each line item
(quantity × rate = USD) and the book entry it came from. AWS Lambda bills
each invocation's duration rounded up to 1 ms, at MB/1024 GB, through the
monthly marginal volume tiers; the free tier is off unless --free-tier.

Options:
  --platform P            aws-lambda (default), cloud-run, azure-functions, ec2
  --region R              price region (default us-east-1)
  --arch A                x86_64 (default) or arm64 (Lambda)
  --plan P                azure-functions: consumption (default) or flex
  --memory MB             configured memory (Azure Consumption: observed memory)
  --duration D            handler duration per request (e.g. 100ms, 1.2ms)
  --requests N            number of requests
  --free-tier             subtract the monthly free tier
  --cold-starts N         Lambda: requests that were cold starts
  --init-duration D       Lambda: INIT duration of each cold start
  --legacy-init           Lambda: the pre-2025-08-01 rule (INIT of managed ZIP runtimes not billed)
  --ephemeral-storage-mb MB  Lambda: configured /tmp, 512-10240 (512 included; alias --ephemeral)
  --api-gateway           Lambda: add the API Gateway HTTP API fee
  --payload-bytes B       Lambda: request + response bytes per request, for API Gateway's
                          512 KB metering (each started 512 KB counts as one request)
  --provisioned N         Lambda: provisioned concurrency kept enabled --provisioned-hours
  --provisioned-hours H   hours Provisioned Concurrency is enabled (default 730)
  --provisioned-requests N  requests served by Provisioned Concurrency (the rest spill over on demand)
  --vcpu V                Cloud Run vCPUs (default 1)
  --concurrency C         Cloud Run achieved concurrency per instance (default 1)
  --min-instances N       Cloud Run idle minimum instances, or Azure Flex always-ready
                          instances, kept for --hours (default 730)
  --instance TYPE         EC2 instance type; --instances N, --hours H (default 730)
  --prices FILE           price-book file overriding the embedded one
  --json                  print {"total_usd", "items": [{"name","quantity","unit","rate_usd","usd"}], "price_book": {...}}`,
		Example: `  # the seed paper's figure: $0.20 + $1.67 = $1.87 per 1M at 1 GB and 100 ms
  benchctl pricing estimate --memory 1024 --duration 100ms --requests 1000000
  benchctl pricing estimate --arch arm64 --memory 1536 --duration 42ms --requests 5000000 --json
  # behind an HTTP API with 600 KB responses (2 metered requests each) and 2 GB of /tmp
  benchctl pricing estimate --memory 1024 --duration 100ms --api-gateway --payload-bytes 614400 --ephemeral-storage-mb 2048`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch opts.Platform {
			case pricing.PlatformLambda, pricing.PlatformCloudRun, pricing.PlatformAzureFunctions:
				if opts.MemoryMB <= 0 {
					return &FlagError{Err: errors.New("pricing estimate: --memory must be > 0")}
				}
				if opts.Requests < 0 || opts.Duration < 0 {
					return &FlagError{Err: errors.New("pricing estimate: --requests and --duration must be >= 0")}
				}
				if err := pricingCheckEphemeral("pricing estimate", opts.EphemeralMB); err != nil {
					return err
				}
				if opts.PayloadBytes < 0 {
					return &FlagError{Err: fmt.Errorf("pricing estimate: --payload-bytes must be >= 0 (got %d)", opts.PayloadBytes)}
				}
			case pricing.PlatformEC2:
				if opts.Instance == "" {
					return &FlagError{Err: errors.New("pricing estimate: --instance is required for ec2")}
				}
			default:
				return &FlagError{Err: fmt.Errorf("pricing estimate: --platform %q isn't one of [aws-lambda cloud-run azure-functions ec2]", opts.Platform)}
			}
			if opts.Arch != pricing.ArchX86 && opts.Arch != pricing.ArchArm64 {
				return &FlagError{Err: fmt.Errorf("pricing estimate: --arch %q isn't one of [x86_64 arm64]", opts.Arch)}
			}
			if runF != nil {
				return runF(opts)
			}
			return pricingEstimateRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Prices, "prices", "", "price-book file overriding the embedded one")
	f.StringVar(&opts.Platform, "platform", pricing.PlatformLambda, "aws-lambda, cloud-run, azure-functions or ec2")
	f.StringVar(&opts.Region, "region", pricing.DefaultRegion, "price region")
	f.StringVar(&opts.Arch, "arch", pricing.ArchX86, "x86_64 or arm64")
	f.StringVar(&opts.Plan, "plan", "", "azure-functions plan: consumption or flex")
	f.IntVar(&opts.MemoryMB, "memory", 0, "memory in MB")
	f.DurationVar(&opts.Duration, "duration", 0, "duration per request")
	f.Int64Var(&opts.Requests, "requests", 1_000_000, "number of requests")
	f.BoolVar(&opts.FreeTier, "free-tier", false, "subtract the monthly free tier")
	f.BoolVar(&opts.JSON, "json", false, "print JSON")
	f.Int64Var(&opts.ColdStarts, "cold-starts", 0, "Lambda: cold starts among the requests")
	f.DurationVar(&opts.InitDuration, "init-duration", 0, "Lambda: INIT duration per cold start")
	f.BoolVar(&opts.LegacyInit, "legacy-init", false, "Lambda: pre-2025-08-01 INIT rule (not billed)")
	f.IntVar(&opts.EphemeralMB, "ephemeral-storage-mb", pricing.IncludedEphemeralMB, "Lambda: ephemeral storage in MB (512-10240)")
	f.IntVar(&opts.EphemeralMB, "ephemeral", pricing.IncludedEphemeralMB, "Lambda: ephemeral storage in MB (alias of --ephemeral-storage-mb)")
	f.BoolVar(&opts.APIGateway, "api-gateway", false, "Lambda: add the API Gateway HTTP API fee")
	f.Int64Var(&opts.PayloadBytes, "payload-bytes", 0, "Lambda: request + response bytes per request, for API Gateway metering")
	f.IntVar(&opts.ProvisionedConcurrency, "provisioned", 0, "Lambda: provisioned concurrency")
	f.Float64Var(&opts.ProvisionedHours, "provisioned-hours", pricing.HoursPerMonth, "hours provisioned concurrency is enabled")
	f.Int64Var(&opts.ProvisionedRequests, "provisioned-requests", 0, "Lambda: requests served by provisioned concurrency")
	f.IntVar(&opts.MinInstances, "min-instances", 0, "Cloud Run min instances / Azure Flex always-ready instances")
	f.Float64Var(&opts.VCPU, "vcpu", 1, "Cloud Run vCPUs")
	f.Float64Var(&opts.Concurrency, "concurrency", 1, "Cloud Run achieved concurrency")
	f.StringVar(&opts.Instance, "instance", "", "EC2 instance type")
	f.IntVar(&opts.Instances, "instances", 1, "EC2 instances")
	f.Float64Var(&opts.Hours, "hours", pricing.HoursPerMonth, "EC2 hours")
	return cmd
}

func pricingEstimateRun(_ context.Context, opts *PricingEstimateOptions) error {
	book, err := pricing.LoadBook(opts.Prices)
	if err != nil {
		return &FlagError{Err: err}
	}
	durMs := float64(opts.Duration) / float64(time.Millisecond)
	var est pricing.Estimate
	switch opts.Platform {
	case pricing.PlatformLambda:
		e, err := book.Find(pricing.PlatformLambda, opts.Region, opts.Arch, "", "")
		if err != nil {
			return &FlagError{Err: err}
		}
		var apigw *pricing.Entry
		if opts.APIGateway {
			if apigw, err = book.Find(pricing.PlatformAPIGatewayHTTP, opts.Region, "", "", ""); err != nil {
				return &FlagError{Err: err}
			}
		}
		u := pricing.LambdaUsage{Requests: opts.Requests, MemoryMB: opts.MemoryMB, DurationMs: durMs, ColdStarts: opts.ColdStarts,
			InitMs: float64(opts.InitDuration) / float64(time.Millisecond), InitBilled: !opts.LegacyInit, EphemeralMB: opts.EphemeralMB,
			FreeTier: opts.FreeTier, APIGateway: opts.APIGateway, PayloadBytes: opts.PayloadBytes}
		if opts.ProvisionedConcurrency > 0 {
			u.ProvisionedConcurrency, u.ProvisionedHours = opts.ProvisionedConcurrency, opts.ProvisionedHours
			u.ProvisionedRequests = opts.ProvisionedRequests
		}
		est, err = pricing.LambdaCost(e, apigw, u)
		if err != nil {
			return &FlagError{Err: err}
		}
	case pricing.PlatformCloudRun:
		e, err := book.Find(pricing.PlatformCloudRun, opts.Region, "", "request-based", "")
		if err != nil {
			return &FlagError{Err: err}
		}
		est, err = pricing.CloudRunCost(e, pricing.CloudRunUsage{Requests: opts.Requests, DurationMs: durMs, VCPU: opts.VCPU,
			MemoryMB: opts.MemoryMB, Concurrency: opts.Concurrency, FreeTier: opts.FreeTier,
			MinInstances: opts.MinInstances, IdleHours: opts.Hours})
		if err != nil {
			return &FlagError{Err: err}
		}
	case pricing.PlatformAzureFunctions:
		plan := opts.Plan
		if plan == "" {
			plan = "consumption"
		}
		if plan == "flex-consumption" {
			plan = "flex"
		}
		e, err := book.Find(pricing.PlatformAzureFunctions, opts.Region, "", plan, "")
		if err != nil {
			return &FlagError{Err: err}
		}
		u := pricing.AzureUsage{Executions: opts.Requests, DurationMs: durMs, MemoryMB: opts.MemoryMB, FreeTier: opts.FreeTier}
		if plan == "flex" && opts.MinInstances > 0 {
			u.AlwaysReady, u.AlwaysReadyHours = opts.MinInstances, opts.Hours
		}
		est, err = pricing.AzureCost(e, u)
		if err != nil {
			return &FlagError{Err: err}
		}
	case pricing.PlatformEC2:
		e, err := book.Find(pricing.PlatformEC2, opts.Region, "", "", opts.Instance)
		if err != nil {
			return &FlagError{Err: err}
		}
		est, err = pricing.EC2Cost(e, opts.Instances, opts.Hours, 1)
		if err != nil {
			return &FlagError{Err: err}
		}
	}
	if opts.JSON {
		return pricingWriteJSON(opts.IO.Out, est)
	}
	return pricingWriteEstimate(opts.IO.Out, est, opts.Requests)
}

func pricingWriteEstimate(w io.Writer, est pricing.Estimate, requests int64) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ITEM\tQUANTITY\tUNIT\tRATE USD\tUSD\t")
	for _, it := range est.Items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", it.Name, it.Quantity.String(), it.Unit, it.RateUSD.String(), it.USD.StringFixed(6))
	}
	fmt.Fprintf(tw, "total\t\t\t\t%s\t\n", est.TotalUSD.StringFixed(6))
	if err := tw.Flush(); err != nil {
		return err
	}
	if requests > 0 && est.PriceBook.Platform != pricing.PlatformEC2 {
		perM := est.TotalUSD.Div(decimal.NewFromInt(requests)).Mul(decimal.NewFromInt(1_000_000))
		fmt.Fprintf(w, "per 1M requests: $%s\n", perM.StringFixed(4))
	}
	fmt.Fprintf(w, "prices: %s, effective %s, retrieved %s, %s\n", est.PriceBook.Source, est.PriceBook.EffectiveDate, est.PriceBook.Retrieved, est.PriceBook.Confidence)
	for _, r := range est.Extra {
		fmt.Fprintf(w, "prices: %s (%s), effective %s\n", r.Source, r.Platform, r.EffectiveDate)
	}
	for _, n := range est.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	return nil
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
		run, err := results.OpenRun(opts.RunDir)
		if err != nil {
			return &FlagError{Err: err}
		}
		defer run.Close()
		if run.Summary == nil {
			return fmt.Errorf("pricing breakeven: %s has no summary.json yet (run benchctl report first)", opts.RunDir)
		}
		sc, err := scenarios.Parse(filepath.Join(opts.RunDir, results.ScenarioFile), run.Scenario, scenarios.WithoutFileChecks())
		if err != nil {
			return fmt.Errorf("pricing breakeven: %w", err)
		}
		pricingApplyBreakevenFlags(sc, opts, changed)
		prices := opts.Prices
		if prices == "" && sc.Pricing.Prices != "" {
			prices = sc.Pricing.Prices
			if !filepath.IsAbs(prices) {
				prices = filepath.Join(opts.RunDir, prices)
			}
		}
		book, err := pricing.LoadBook(prices)
		if err != nil {
			return &FlagError{Err: err}
		}
		sum := *run.Summary
		sum.Notes = nil
		if err := pricing.AnalyzeRunWith(book, pricing.RecordReaderFunc(run.Records), &sum, sc, pricing.AnalyzeOptions{InitRule: opts.InitRule}); err != nil {
			return fmt.Errorf("pricing breakeven: %w", err)
		}
		rows, notes = sum.BreakEven, sum.Notes
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

// pricingCheckEphemeral rejects an ephemeral storage size outside Lambda's range.
func pricingCheckEphemeral(cmd string, mb int) error {
	if err := scenarios.CheckEphemeralStorageMB(mb); err != nil {
		return &FlagError{Err: fmt.Errorf("%s: --ephemeral-storage-mb %w", cmd, err)}
	}
	return nil
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

func newPricingUpdateCmd(streams *IOStreams, runF func(*PricingUpdateOptions) error) *cobra.Command {
	opts := &PricingUpdateOptions{IO: streams, Now: time.Now, NewClient: func(ctx context.Context, endpoint string) (pricing.ProductsAPI, error) {
		return pricing.NewClient(ctx, endpoint)
	}}
	cmd := &cobra.Command{
		Use:   "update [--region R]... [--instance TYPE]... [--output FILE]",
		Short: "Refresh AWS Lambda and EC2 prices from the AWS Price List API",
		Long: `Usage:
  benchctl pricing update [--region us-east-1]... [--instance c7g.large]... [--output FILE] [--json]

Queries the AWS Price List API (GetProducts, endpoint us-east-1) for AWS
Lambda (request and tiered duration prices per architecture) and EC2
on-demand Linux hourly prices, writes a dated price-book file that --prices
and pricing.prices accept, and prints what changed against the current book.
Needs AWS credentials allowed pricing:GetProducts (AWS_PROFILE, or
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY). Google and Azure entries are copied.

Options:
  --region R       region to refresh (repeatable; default us-east-1)
  --instance TYPE  instance type (repeatable; default: the types in the book)
  --output FILE    where to write (default prices-YYYY-MM-DD.yaml)
  --prices FILE    the book to compare against and extend (default: embedded)
  --endpoint URL   Price List API endpoint (a VPC endpoint, or a test server)
  --json           print the changes as JSON`,
		Example: `  AWS_PROFILE=billing benchctl pricing update --region us-east-1 --region eu-west-1
  benchctl run scenario.yaml --prices prices-2026-11-27.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return pricingUpdateRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Prices, "prices", "", "price-book file to compare against")
	f.StringSliceVar(&opts.Regions, "region", nil, "region (repeatable)")
	f.StringSliceVar(&opts.Instances, "instance", nil, "instance type (repeatable)")
	f.StringVar(&opts.Output, "output", "", "output file")
	f.StringVar(&opts.Endpoint, "endpoint", "", "Price List API endpoint URL")
	f.BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

func pricingUpdateRun(ctx context.Context, opts *PricingUpdateOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	base, err := pricing.LoadBook(opts.Prices)
	if err != nil {
		return &FlagError{Err: err}
	}
	client, err := opts.NewClient(ctx, opts.Endpoint)
	if err != nil {
		return err
	}
	nb, changes, err := pricing.Update(ctx, client, base, pricing.UpdateOptions{Regions: opts.Regions, Instances: opts.Instances, Now: opts.Now})
	if err != nil {
		return err
	}
	out := opts.Output
	if out == "" {
		out = "prices-" + nb.BookDate + ".yaml"
	}
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("pricing update: %w", err)
	}
	if err := pricing.WriteBook(f, nb); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("pricing update: %w", err)
	}
	if opts.JSON {
		if changes == nil {
			changes = []pricing.Change{}
		}
		return pricingWriteJSON(opts.IO.Out, map[string]any{"file": out, "book_date": nb.BookDate, "changes": changes})
	}
	fmt.Fprintf(opts.IO.Out, "wrote %s (book date %s)\n", out, nb.BookDate)
	if len(changes) == 0 {
		fmt.Fprintln(opts.IO.Out, "no price changes against the current book")
		return nil
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENTRY\tFIELD\tOLD\tNEW")
	for _, c := range changes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Entry, c.Field, c.Old, c.New)
	}
	return tw.Flush()
}

func pricingWriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
