package main

import (
	"context"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/report"
	"github.com/benchctl/benchctl/scenarios"
)

// PricingEstimateOptions are the inputs of `benchctl pricing estimate`:
// the price book and output format, and the query the flags fill.
type PricingEstimateOptions struct {
	IO     *IOStreams
	Prices string
	JSON   bool
	pricing.Query
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
  benchctl pricing estimate --platform azure-functions --plan flex --memory 2048 --duration 50ms --requests 1000000
  benchctl pricing estimate --platform ec2 --instance c7g.large [--instances 2] [--hours 730] [--cpu-utilisation 0.4]
  benchctl pricing estimate --platform lambda-managed --instance m7g.large --instances 3 --requests 10000000
  benchctl pricing estimate --platform sagemaker-serverless --memory 2048 --duration 80ms --payload-bytes 4096

Prices one configuration with the price book and prints each line item
(quantity × rate = USD) and the book entry it came from. AWS Lambda bills
each invocation's duration rounded up to 1 ms, at MB/1024 GB, through the
monthly marginal volume tiers; the free tier is off unless --free-tier.

Options:
  --platform P            aws-lambda (default), cloud-run, azure-functions, sagemaker-serverless,
                          ec2, lambda-managed (Lambda Managed Instances: EC2 on-demand price of
                          --instances × --instance for --hours + the management fee + requests;
                          --instances defaults to the capacity provider's minimum, 3, and
                          --min-instances sets a different minimum)
  --region R              price region (default us-east-1)
  --arch A                x86_64 (default) or arm64 (Lambda)
  --plan P                azure-functions: consumption (default) or flex (Flex Consumption bills
                          at least 1,000 ms per execution, then 100 ms steps; --memory is the
                          instance size: 512, 2048 or 4096)
  --memory MB             configured memory (Azure Consumption: observed memory)
  --duration D            handler duration per request (e.g. 100ms, 1.2ms)
  --requests N            number of requests
  --free-tier             subtract the monthly free tier
  --cold-starts N         Lambda: requests that were cold starts
  --init-duration D       Lambda: INIT duration of each cold start
  --legacy-init           Lambda: the pre-2025-08-01 rule: INIT not billed for a ZIP package on a
                          managed runtime, billed for every other --runtime-kind
  --runtime-kind K        Lambda: managed-zip (default), custom (provided.al2023, as benchctl
                          function deploys), container or provisioned
  --ephemeral-storage-mb MB  Lambda: configured /tmp, 512-10240 (512 included; alias --ephemeral)
  --api-gateway           Lambda: add the API Gateway HTTP API fee
  --payload-bytes B       Lambda: request + response bytes per request, for API Gateway's
                          512 KB metering (each started 512 KB counts as one request)
  --provisioned N         Lambda: provisioned concurrency kept enabled --provisioned-hours
  --provisioned-hours H   hours Provisioned Concurrency is enabled (default 730)
  --provisioned-requests N  requests served by Provisioned Concurrency (the rest spill over on demand;
                          cold starts are among the on-demand ones)
  --provisioned-duration D  duration of a request served by Provisioned Concurrency (default --duration)
  --vcpu V                Cloud Run vCPUs (default 1)
  --concurrency C         Cloud Run achieved concurrency per instance (default 1)
  --min-instances N       Cloud Run idle minimum instances, or Azure Flex always-ready
                          instances, kept for --hours (default 730)
  --instance TYPE         EC2 instance type; --instances N, --hours H (default 730)
  --cpu-utilisation U     EC2 burstable types (t3, t4g): the 24-hour average CPU utilisation,
                          0-1; surplus credits are charged on the part above the baseline
                          (without it: priced at the baseline, and a note gives the 100% cost)
  --prices FILE           price-book file overriding the embedded one
  --json                  print {"total_usd", "items": [{"name","quantity","unit","rate_usd","usd","entry"}], "price_book": {...}}`,
		Example: `  # the seed paper's figure: $0.20 + $1.67 = $1.87 per 1M at 1 GB and 100 ms
  benchctl pricing estimate --memory 1024 --duration 100ms --requests 1000000
  benchctl pricing estimate --arch arm64 --memory 1536 --duration 42ms --requests 5000000 --json
  # behind an HTTP API with 600 KB responses (2 metered requests each) and 2 GB of /tmp
  benchctl pricing estimate --memory 1024 --duration 100ms --api-gateway --payload-bytes 614400 --ephemeral-storage-mb 2048`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pricingEstimateCheck(opts, cmd.Flags().Changed); err != nil {
				return err
			}
			opts.InstancesSet = cmd.Flags().Changed("instances")
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
	f.DurationVar(&opts.ProvisionedDuration, "provisioned-duration", 0, "Lambda: duration of a request served by provisioned concurrency (default --duration)")
	f.StringVar(&opts.RuntimeKind, "runtime-kind", scenarios.RuntimeManagedZip, "Lambda: managed-zip, custom, container or provisioned (INIT billing before 2025-08-01)")
	f.IntVar(&opts.MinInstances, "min-instances", 0, "Cloud Run min instances / Azure Flex always-ready instances")
	f.Float64Var(&opts.VCPU, "vcpu", 1, "Cloud Run vCPUs")
	f.Float64Var(&opts.Concurrency, "concurrency", 1, "Cloud Run achieved concurrency")
	f.StringVar(&opts.Instance, "instance", "", "EC2 instance type")
	f.IntVar(&opts.Instances, "instances", 1, "EC2 instances")
	f.Float64Var(&opts.Hours, "hours", pricing.HoursPerMonth, "EC2 hours")
	f.Float64Var(&opts.CPUUtilisation, "cpu-utilisation", -1, "EC2 burstable types: 24-hour average CPU utilisation, 0-1")
	return cmd
}

// pricingEstimatePlatforms are the platforms `pricing estimate` prices.
var pricingEstimatePlatforms = []string{pricing.PlatformLambda, pricing.PlatformCloudRun, pricing.PlatformAzureFunctions,
	pricing.PlatformSageMakerServerless, pricing.PlatformEC2, pricing.PlatformLambdaManaged}

// pricingEstimateCheck validates every flag of `pricing estimate` before
// anything is priced: each numeric flag is finite and inside its range
// (the platform's own for memory and duration), and the flags agree with
// each other. Every problem is listed, with what is allowed.
func pricingEstimateCheck(opts *PricingEstimateOptions, changed func(string) bool) error {
	c := &pricingFlagCheck{cmd: "pricing estimate"}
	switch opts.Platform {
	case pricing.PlatformLambda:
		c.inInt("memory", int64(opts.MemoryMB), pricing.LambdaMemoryMB)
		c.inDur("duration", opts.Duration, pricing.LambdaDurationMs)
	case pricing.PlatformCloudRun:
		c.inInt("memory", int64(opts.MemoryMB), pricing.CloudRunMemoryMB)
		c.inDur("duration", opts.Duration, pricing.RequestDurationMs)
	case pricing.PlatformAzureFunctions:
		switch opts.Plan {
		case "", pricing.AzurePlanConsumption:
			c.inInt("memory", int64(opts.MemoryMB), pricing.AzureConsumptionMemoryMB)
		case pricing.AzurePlanFlex, "flex-consumption":
			c.oneOf("memory", opts.MemoryMB, pricing.AzureFlexMemoryMB)
		default:
			c.failf("--plan %q isn't one of [consumption flex]", opts.Plan)
		}
		c.inDur("duration", opts.Duration, pricing.RequestDurationMs)
	case pricing.PlatformEC2, pricing.PlatformLambdaManaged:
		if opts.Instance == "" {
			c.failf("--instance is required for %s (an instance type such as m7g.large; benchctl pricing show --platform ec2 lists them)", opts.Platform)
		}
		if opts.Platform == pricing.PlatformLambdaManaged && changed("min-instances") {
			c.inInt("min-instances", int64(opts.MinInstances), pricing.ManagedMinInstances)
		}
	case pricing.PlatformSageMakerServerless:
		c.oneOf("memory", opts.MemoryMB, pricing.SageMakerMemoryMB)
		c.inDur("duration", opts.Duration, pricing.SageMakerDurationMs)
	default:
		c.failf("--platform %q isn't one of [%s]", opts.Platform, strings.Join(pricingEstimatePlatforms, " "))
	}
	if opts.Plan != "" && opts.Platform != pricing.PlatformAzureFunctions {
		c.failf("--plan applies only to --platform azure-functions")
	}
	if opts.Arch != pricing.ArchX86 && opts.Arch != pricing.ArchArm64 {
		c.failf("--arch %q isn't one of [x86_64 arm64]", opts.Arch)
	}
	c.inInt("requests", opts.Requests, pricing.RequestCount)
	c.inInt("cold-starts", opts.ColdStarts, pricing.RequestCount)
	if opts.ColdStarts > opts.Requests {
		c.failf("--cold-starts %d exceeds --requests %d (cold starts are some of the requests)", opts.ColdStarts, opts.Requests)
	}
	c.inDur("init-duration", opts.InitDuration, pricing.InitDurationMs)
	if err := scenarios.CheckEphemeralStorageMB(opts.EphemeralMB); err != nil {
		c.failf("--ephemeral-storage-mb %v", err)
	}
	c.inInt("payload-bytes", opts.PayloadBytes, pricing.PayloadBytesRange)
	c.inInt("provisioned", int64(opts.ProvisionedConcurrency), pricing.ProvisionedConcurrencyRange)
	c.in("provisioned-hours", opts.ProvisionedHours, pricing.HoursRange)
	c.inInt("provisioned-requests", opts.ProvisionedRequests, pricing.RequestCount)
	if opts.ProvisionedRequests > opts.Requests {
		c.failf("--provisioned-requests %d exceeds --requests %d", opts.ProvisionedRequests, opts.Requests)
	}
	if opts.ProvisionedRequests > 0 && opts.ProvisionedConcurrency == 0 {
		c.failf("--provisioned-requests needs --provisioned N (the provisioned concurrency that serves them)")
	}
	if od := opts.Requests - opts.ProvisionedRequests; opts.ProvisionedRequests > 0 && opts.ColdStarts > od && od >= 0 {
		c.failf("--cold-starts %d exceeds the %d on-demand requests (requests served by Provisioned Concurrency are never cold)", opts.ColdStarts, od)
	}
	c.inDur("provisioned-duration", opts.ProvisionedDuration, pricing.LambdaDurationMs)
	if !slices.Contains(scenarios.RuntimeKinds(), opts.RuntimeKind) {
		c.failf("--runtime-kind %q isn't one of [%s]", opts.RuntimeKind, strings.Join(scenarios.RuntimeKinds(), " "))
	}
	c.in("vcpu", opts.VCPU, pricing.CloudRunVCPU)
	c.in("concurrency", opts.Concurrency, pricing.CloudRunConcurrency)
	c.inInt("min-instances", int64(opts.MinInstances), pricing.MinInstancesRange)
	c.inInt("instances", int64(opts.Instances), pricing.InstanceCount)
	c.in("hours", opts.Hours, pricing.HoursRange)
	if changed("cpu-utilisation") {
		c.in("cpu-utilisation", opts.CPUUtilisation, pricing.CPUUtilisationRange)
	}
	return c.err()
}

func pricingEstimateRun(_ context.Context, opts *PricingEstimateOptions) error {
	book, err := pricing.LoadBook(opts.Prices)
	if err != nil {
		return &FlagError{Err: err}
	}
	est, err := book.Quote(opts.Query)
	if err != nil {
		return &FlagError{Err: err}
	}
	if opts.JSON {
		return pricingWriteJSON(opts.IO.Out, est)
	}
	return report.WriteEstimate(opts.IO.Out, est, opts.Requests)
}
