package pricing

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/benchctl/benchctl/scenarios"
)

//go:embed data/book.yaml
var embeddedBook []byte

// EmbeddedBookName is the name under which the embedded book reports its errors.
const EmbeddedBookName = "embedded:pricing/data/book.yaml"

// Platform names used as Entry.Platform.
const (
	PlatformLambda         = "aws-lambda"
	PlatformAPIGatewayHTTP = "aws-apigw-http"
	PlatformCloudRun       = "cloud-run"
	PlatformAzureFunctions = "azure-functions"
	PlatformEC2            = "ec2"
	// PlatformLambdaManaged is AWS Lambda Managed Instances: the EC2
	// on-demand price of the instances + a management fee on it + a
	// per-request fee.
	PlatformLambdaManaged = "lambda-managed"
	// PlatformSageMakerServerless is Amazon SageMaker Serverless Inference:
	// compute per second by memory size, billed per millisecond, plus data
	// processed.
	PlatformSageMakerServerless = "sagemaker-serverless"
)

// Azure Functions plans (Entry.Plan of azure-functions entries).
const (
	AzurePlanConsumption = "consumption"
	AzurePlanFlex        = "flex"
)

// Architectures.
const (
	ArchX86   = "x86_64"
	ArchArm64 = "arm64"
)

// DefaultRegion is the region priced when none is given.
const DefaultRegion = "us-east-1"

// HoursPerMonth is the month used on both sides of every comparison
// (8,760 h / 12).
const HoursPerMonth = 730

// ErrNoPrice is returned (wrapped) when the book has no entry for a lookup.
var ErrNoPrice = errors.New("no price in the price book")

// Book is a dated price book: one Entry per platform, region and
// architecture (or plan, or instance type).
type Book struct {
	Version       int     `yaml:"version" json:"version"`
	BookDate      string  `yaml:"book_date" json:"book_date"`
	HoursPerMonth int     `yaml:"hours_per_month" json:"hours_per_month"`
	Entries       []Entry `yaml:"entries" json:"entries"`
	// Files lists where the entries came from (embedded, then overrides).
	Files []string `yaml:"-" json:"files,omitempty"`
}

// Entry is the prices of one platform in one region (and architecture, plan
// or instance type), with where they came from. Exactly one of the rate blocks
// is set, the one matching Platform.
type Entry struct {
	Platform      string `yaml:"platform" json:"platform"`
	Region        string `yaml:"region" json:"region"`
	Architecture  string `yaml:"architecture,omitempty" json:"architecture,omitempty"`
	Plan          string `yaml:"plan,omitempty" json:"plan,omitempty"`
	Instance      string `yaml:"instance,omitempty" json:"instance,omitempty"`
	Source        string `yaml:"source" json:"source"`
	EffectiveDate string `yaml:"effective_date" json:"effective_date"`
	Retrieved     string `yaml:"retrieved" json:"retrieved"`
	Confidence    string `yaml:"confidence" json:"confidence"`

	Lambda     *LambdaRates     `yaml:"lambda,omitempty" json:"lambda,omitempty"`
	APIGateway *APIGatewayRates `yaml:"api_gateway,omitempty" json:"api_gateway,omitempty"`
	CloudRun   *CloudRunRates   `yaml:"cloud_run,omitempty" json:"cloud_run,omitempty"`
	Azure      *AzureRates      `yaml:"azure,omitempty" json:"azure,omitempty"`
	EC2        *EC2Rates        `yaml:"ec2,omitempty" json:"ec2,omitempty"`
	// LambdaManaged holds Lambda Managed Instances' fee and capacity
	// provider defaults; the instances' prices are the ec2 entries of the
	// same region.
	LambdaManaged *LambdaManagedRates `yaml:"lambda_managed,omitempty" json:"lambda_managed,omitempty"`
	SageMaker     *SageMakerRates     `yaml:"sagemaker_serverless,omitempty" json:"sagemaker_serverless,omitempty"`

	// File and Line locate the entry in its file (for error messages).
	File string `yaml:"-" json:"-"`
	Line int    `yaml:"-" json:"-"`
}

// Ref is the provenance carried by every computed cost.
type Ref struct {
	Platform      string `json:"platform"`
	Region        string `json:"region"`
	Architecture  string `json:"architecture,omitempty"`
	Plan          string `json:"plan,omitempty"`
	Instance      string `json:"instance,omitempty"`
	Source        string `json:"source"`
	EffectiveDate string `json:"effective_date"`
	Retrieved     string `json:"retrieved"`
	Confidence    string `json:"confidence,omitempty"`
}

// Ref returns the entry's provenance.
func (e *Entry) Ref() Ref {
	return Ref{Platform: e.Platform, Region: e.Region, Architecture: e.Architecture, Plan: e.Plan,
		Instance: e.Instance, Source: e.Source, EffectiveDate: e.EffectiveDate, Retrieved: e.Retrieved,
		Confidence: e.Confidence}
}

// Name is a short human label of the entry ("ec2 us-east-1 arm64 m7g.large").
func (r Ref) Name() string {
	e := Entry{Platform: r.Platform, Region: r.Region, Architecture: r.Architecture, Plan: r.Plan, Instance: r.Instance}
	return e.Name()
}

// Key is the identity an override matches on.
func (e *Entry) Key() string {
	return strings.Join([]string{e.Platform, e.Region, e.Architecture, e.Plan, e.Instance}, "|")
}

// Name is a short human label of the entry ("aws-lambda us-east-1 arm64").
func (e *Entry) Name() string {
	parts := []string{e.Platform, e.Region}
	for _, s := range []string{e.Architecture, e.Plan, e.Instance} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

// Tier is one marginal price bracket: usage up to UpTo (cumulative, in the
// block's unit; nil means unbounded, "Inf" in the Price List API) costs USD
// per unit.
type Tier struct {
	UpTo *decimal.Decimal `yaml:"up_to,omitempty" json:"up_to,omitempty"`
	USD  decimal.Decimal  `yaml:"usd" json:"usd"`
}

// LambdaRates are AWS Lambda's on-demand prices for one region and
// architecture.
type LambdaRates struct {
	// RequestUSD is the fee per request.
	RequestUSD decimal.Decimal `yaml:"request_usd" json:"request_usd"`
	// DurationTiers are per-GB-s marginal brackets on the month's GB-s for
	// this architecture and region ("up_to_gb_s").
	DurationTiers []LambdaTier `yaml:"duration_tiers" json:"duration_tiers"`
	// EphemeralGBSecondUSD is charged per GB-s of ephemeral storage above 512 MB.
	EphemeralGBSecondUSD decimal.Decimal `yaml:"ephemeral_storage_gb_s_usd" json:"ephemeral_storage_gb_s_usd"`
	// ProvisionedGBSecondUSD is the Provisioned Concurrency rate while enabled
	// (memory × concurrency × enabled seconds, rounded up to 5 minutes).
	ProvisionedGBSecondUSD decimal.Decimal `yaml:"provisioned_concurrency_gb_s_usd" json:"provisioned_concurrency_gb_s_usd"`
	// ProvisionedDurationGBSecondUSD is the duration rate of invocations served
	// by Provisioned Concurrency.
	ProvisionedDurationGBSecondUSD decimal.Decimal `yaml:"provisioned_duration_gb_s_usd" json:"provisioned_duration_gb_s_usd"`
	// FreeRequests and FreeGBSeconds are the monthly free tier (shared across
	// architectures; applied only when asked).
	FreeRequests  decimal.Decimal `yaml:"free_requests" json:"free_requests"`
	FreeGBSeconds decimal.Decimal `yaml:"free_gb_s" json:"free_gb_s"`
	// InitBilledFrom is the date from which INIT is billed for every
	// on-demand configuration (2025-08-01).
	InitBilledFrom string `yaml:"init_billed_from" json:"init_billed_from"`
}

// LambdaTier is one GB-s bracket of Lambda duration.
type LambdaTier struct {
	UpToGBSeconds *decimal.Decimal `yaml:"up_to_gb_s,omitempty" json:"up_to_gb_s,omitempty"`
	USD           decimal.Decimal  `yaml:"usd" json:"usd"`
}

// tiers converts Lambda brackets to generic tiers.
func (l *LambdaRates) tiers() []Tier {
	out := make([]Tier, len(l.DurationTiers))
	for i, t := range l.DurationTiers {
		out[i] = Tier{UpTo: t.UpToGBSeconds, USD: t.USD}
	}
	return out
}

// APIGatewayRates are API Gateway HTTP API request prices.
type APIGatewayRates struct {
	// RequestTiers are per-request marginal brackets on the month's metered requests.
	RequestTiers []Tier `yaml:"request_tiers" json:"request_tiers"`
	// MeteringKB is the metering increment: a request of B bytes counts
	// ceil(B / (MeteringKB×1024)) times.
	MeteringKB int `yaml:"metering_kb" json:"metering_kb"`
}

// MeteredRequests is the API Gateway requests one request of bytes
// (request + response body) counts for: one per started MeteringKB, at
// least one.
func (a *APIGatewayRates) MeteredRequests(bytes uint64) int64 {
	meteringKB := a.MeteringKB
	if meteringKB <= 0 {
		meteringKB = 512
	}
	m := uint64(meteringKB) * 1024
	if bytes <= m {
		return 1
	}
	return int64((bytes + m - 1) / m)
}

// CloudRunRates are Google Cloud Run request-based billing prices.
type CloudRunRates struct {
	VCPUSecondUSD     decimal.Decimal `yaml:"vcpu_second_usd" json:"vcpu_second_usd"`
	GiBSecondUSD      decimal.Decimal `yaml:"gib_second_usd" json:"gib_second_usd"`
	RequestUSD        decimal.Decimal `yaml:"request_usd" json:"request_usd"`
	IdleVCPUSecondUSD decimal.Decimal `yaml:"idle_vcpu_second_usd" json:"idle_vcpu_second_usd"`
	IdleGiBSecondUSD  decimal.Decimal `yaml:"idle_gib_second_usd" json:"idle_gib_second_usd"`
	FreeVCPUSeconds   decimal.Decimal `yaml:"free_vcpu_seconds" json:"free_vcpu_seconds"`
	FreeGiBSeconds    decimal.Decimal `yaml:"free_gib_seconds" json:"free_gib_seconds"`
	FreeRequests      decimal.Decimal `yaml:"free_requests" json:"free_requests"`
	// RoundingMs is the instance-time rounding (100 ms).
	RoundingMs int `yaml:"rounding_ms" json:"rounding_ms"`
}

// AzureRates are Azure Functions prices for one plan (consumption or flex).
type AzureRates struct {
	GBSecondUSD    decimal.Decimal `yaml:"gb_second_usd" json:"gb_second_usd"`
	ExecutionUSD   decimal.Decimal `yaml:"execution_usd" json:"execution_usd"`
	FreeGBSeconds  decimal.Decimal `yaml:"free_gb_seconds" json:"free_gb_seconds"`
	FreeExecutions decimal.Decimal `yaml:"free_executions" json:"free_executions"`
	// Metering: each execution bills at least MinDurationMs, rounded up
	// to RoundingMs (0 = 1 ms) beyond it (Consumption: 100 ms minimum,
	// 1 ms steps; Flex Consumption: 1,000 ms minimum, 100 ms steps).
	// Consumption also bills at least MinMemoryMB of observed memory,
	// rounded up to MemoryStepMB and capped at MaxMemoryMB.
	MinDurationMs int `yaml:"min_duration_ms,omitempty" json:"min_duration_ms,omitempty"`
	RoundingMs    int `yaml:"rounding_ms,omitempty" json:"rounding_ms,omitempty"`
	MinMemoryMB   int `yaml:"min_memory_mb,omitempty" json:"min_memory_mb,omitempty"`
	MemoryStepMB  int `yaml:"memory_step_mb,omitempty" json:"memory_step_mb,omitempty"`
	MaxMemoryMB   int `yaml:"max_memory_mb,omitempty" json:"max_memory_mb,omitempty"`
	// Flex Consumption always-ready rates.
	AlwaysReadyBaselineGBSecondUSD decimal.Decimal `yaml:"always_ready_baseline_gb_second_usd,omitempty" json:"always_ready_baseline_gb_second_usd,omitempty"`
	AlwaysReadyGBSecondUSD         decimal.Decimal `yaml:"always_ready_gb_second_usd,omitempty" json:"always_ready_gb_second_usd,omitempty"`
	AlwaysReadyExecutionUSD        decimal.Decimal `yaml:"always_ready_execution_usd,omitempty" json:"always_ready_execution_usd,omitempty"`
}

// EC2Rates are one instance type's on-demand Linux price and shape.
type EC2Rates struct {
	HourlyUSD decimal.Decimal `yaml:"hourly_usd" json:"hourly_usd"`
	VCPU      int             `yaml:"vcpu" json:"vcpu"`
	MemoryGiB decimal.Decimal `yaml:"memory_gib" json:"memory_gib"`
	// Burstable marks T-family instances: sustained CPU above
	// BaselinePerVCPU buys surplus credits at SurplusCreditVCPUHourUSD.
	Burstable                bool            `yaml:"burstable,omitempty" json:"burstable,omitempty"`
	BaselinePerVCPU          decimal.Decimal `yaml:"baseline_per_vcpu,omitempty" json:"baseline_per_vcpu,omitempty"`
	SurplusCreditVCPUHourUSD decimal.Decimal `yaml:"surplus_credit_vcpu_hour_usd,omitempty" json:"surplus_credit_vcpu_hour_usd,omitempty"`
	// Accelerator describes the instance's GPU or inference chip
	// ("NVIDIA T4 16 GB"), AcceleratorCount how many it has; empty and 0
	// for CPU-only types.
	Accelerator      string `yaml:"accelerator,omitempty" json:"accelerator,omitempty"`
	AcceleratorCount int    `yaml:"accelerator_count,omitempty" json:"accelerator_count,omitempty"`
}

// LambdaManagedRates are Lambda Managed Instances' charges and capacity
// provider defaults in one region and architecture. A month of an LMI
// fleet costs
//
//	Σ instance-hours × EC2 on-demand hourly × (1 + ManagementFee) + requests × RequestUSD
//
// with the instances' on-demand prices taken from the book's ec2 entries.
type LambdaManagedRates struct {
	// RequestUSD is the fee per request ($0.20 per 1M).
	RequestUSD decimal.Decimal `yaml:"request_usd" json:"request_usd"`
	// ManagementFee is the fraction of the EC2 on-demand price charged on
	// top of it (0.15).
	ManagementFee decimal.Decimal `yaml:"management_fee" json:"management_fee"`
	// DefaultMinInstances is the fleet a capacity provider keeps at least
	// (three, one per Availability Zone, by default).
	DefaultMinInstances int `yaml:"default_min_instances" json:"default_min_instances"`
	// MaxVCPU is the largest MaxVCpuCount a capacity provider accepts.
	MaxVCPU int `yaml:"max_vcpu" json:"max_vcpu"`
	// ScaleDoublingMinutes is the documented scaling rate: traffic that
	// more than doubles within this many minutes may be throttled.
	ScaleDoublingMinutes int `yaml:"scale_doubling_minutes" json:"scale_doubling_minutes"`
	// InstanceFamilies lists the instance families supported (c, m, r);
	// accelerated (GPU, Inferentia) types are not.
	InstanceFamilies []string `yaml:"instance_families" json:"instance_families"`
}

// SageMakerRates are SageMaker Serverless Inference's on-demand prices in
// one region: compute per second at each memory size, billed per
// RoundingMs of inference duration, and data processed (in and out).
type SageMakerRates struct {
	ComputeTiers []SageMakerCompute `yaml:"compute" json:"compute"`
	DataGBUSD    decimal.Decimal    `yaml:"data_gb_usd" json:"data_gb_usd"`
	RoundingMs   int                `yaml:"rounding_ms" json:"rounding_ms"`
}

// SageMakerCompute is the per-second compute price of one memory size.
type SageMakerCompute struct {
	MemoryMB  int             `yaml:"memory_mb" json:"memory_mb"`
	SecondUSD decimal.Decimal `yaml:"second_usd" json:"second_usd"`
}

// SecondUSD is the compute price per second at memoryMB, or false when the
// book has no such size.
func (s *SageMakerRates) SecondUSD(memoryMB int) (decimal.Decimal, bool) {
	for _, t := range s.ComputeTiers {
		if t.MemoryMB == memoryMB {
			return t.SecondUSD, true
		}
	}
	return decimal.Zero, false
}

// SustainedHourlyUSD is the hourly cost of the instance run at CPU
// utilisation u (0..1) for a whole hour: the on-demand price plus, for
// burstable types in unlimited mode, surplus credits
// vCPU × max(0, u − baseline) × credit rate.
func (r *EC2Rates) SustainedHourlyUSD(u decimal.Decimal) decimal.Decimal {
	if !r.Burstable || !u.GreaterThan(r.BaselinePerVCPU) {
		return r.HourlyUSD
	}
	surplus := u.Sub(r.BaselinePerVCPU).Mul(decimal.NewFromInt(int64(r.VCPU))).Mul(r.SurplusCreditVCPUHourUSD)
	return r.HourlyUSD.Add(surplus)
}

// LoadBook returns the embedded price book, overridden and extended by the
// user file at overridePath when it is not empty. Entries of the user file
// replace embedded entries with the same key (platform, region,
// architecture, plan, instance) and add the others. Errors name the file
// and line.
func LoadBook(overridePath string) (*Book, error) {
	book, err := ParseBook(EmbeddedBookName, embeddedBook)
	if err != nil {
		return nil, err
	}
	if overridePath == "" {
		return book, nil
	}
	data, err := os.ReadFile(overridePath)
	if err != nil {
		return nil, fmt.Errorf("read price book: %w", err)
	}
	user, err := ParseBook(overridePath, data)
	if err != nil {
		return nil, err
	}
	book.Merge(user)
	return book, nil
}

// Merge overrides and extends b with the entries of o.
func (b *Book) Merge(o *Book) {
	idx := map[string]int{}
	for i := range b.Entries {
		idx[b.Entries[i].Key()] = i
	}
	for _, e := range o.Entries {
		if i, ok := idx[e.Key()]; ok {
			b.Entries[i] = e
			continue
		}
		idx[e.Key()] = len(b.Entries)
		b.Entries = append(b.Entries, e)
	}
	if o.BookDate > b.BookDate {
		b.BookDate = o.BookDate
	}
	b.Files = append(b.Files, o.Files...)
}

// TieredCost prices quantity q of cumulative monthly usage through marginal
// brackets: Σ_i price_i × (min(q, upTo_i) − upTo_{i−1})⁺.
func TieredCost(ts []Tier, q decimal.Decimal) decimal.Decimal {
	total := decimal.Zero
	lower := decimal.Zero
	for _, t := range ts {
		if !q.GreaterThan(lower) {
			break
		}
		upper := q
		if t.UpTo != nil && t.UpTo.LessThan(q) {
			upper = *t.UpTo
		}
		total = total.Add(upper.Sub(lower).Mul(t.USD))
		if t.UpTo == nil {
			break
		}
		lower = *t.UpTo
	}
	return total
}

// Find returns the entry for platform in region; arch, plan and instance
// narrow the match when not empty. Region aliases map an AWS region to the
// comparable Google and Azure regions (us-east-1 → us-east1, eastus).
func (b *Book) Find(platform, region, arch, plan, instance string) (*Entry, error) {
	if region == "" {
		region = DefaultRegion
	}
	regions := append([]string{region}, regionAliases(region)...)
	for _, r := range regions {
		for i := range b.Entries {
			e := &b.Entries[i]
			if e.Platform != platform || e.Region != r {
				continue
			}
			if arch != "" && e.Architecture != "" && e.Architecture != arch {
				continue
			}
			if plan != "" && e.Plan != plan {
				continue
			}
			if instance != "" && e.Instance != instance {
				continue
			}
			return e, nil
		}
	}
	label := strings.TrimSpace(strings.Join([]string{platform, region, arch, plan, instance}, " "))
	return nil, fmt.Errorf("%s: %w (have regions %s; add it with --prices FILE)", label, ErrNoPrice, strings.Join(b.Regions(platform), ", "))
}

// Regions lists the regions the book has for platform.
func (b *Book) Regions(platform string) []string {
	set := map[string]bool{}
	for _, e := range b.Entries {
		if platform == "" || e.Platform == platform {
			set[e.Region] = true
		}
	}
	out := make([]string, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// Instances lists the EC2 instance types priced in region.
func (b *Book) Instances(region string) []string {
	var out []string
	for _, e := range b.Entries {
		if e.Platform == PlatformEC2 && e.Region == region {
			out = append(out, e.Instance)
		}
	}
	sort.Strings(out)
	return out
}

// regionAliases maps a region to the comparable regions of the other providers.
func regionAliases(region string) []string {
	switch region {
	case "us-east-1":
		return []string{"us-east1", "eastus"}
	case "eu-west-1":
		return []string{"europe-west1", "westeurope"}
	case "us-east1":
		return []string{"us-east-1", "eastus"}
	case "europe-west1":
		return []string{"eu-west-1", "westeurope"}
	case "eastus":
		return []string{"us-east-1", "us-east1"}
	case "westeurope":
		return []string{"eu-west-1", "europe-west1"}
	}
	return nil
}

// LoadBookFor loads the book for a scenario run: the embedded book,
// overridden by flagPath (--prices) when given, else by the scenario's
// pricing.prices (relative to the scenario's folder).
func LoadBookFor(sc *scenarios.Scenario, flagPath string) (*Book, error) {
	if flagPath != "" || sc == nil || sc.Pricing.Prices == "" {
		return LoadBook(flagPath)
	}
	p := sc.Pricing.Prices
	if !filepath.IsAbs(p) && sc.Path != "" {
		p = filepath.Join(filepath.Dir(sc.Path), p)
	}
	return LoadBook(p)
}
