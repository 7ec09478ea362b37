package pricing

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
	"go.yaml.in/yaml/v3"

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
	// Consumption metering: per execution at least MinDurationMs and
	// MinMemoryMB; observed memory rounded up to MemoryStepMB, capped at MaxMemoryMB.
	MinDurationMs int `yaml:"min_duration_ms,omitempty" json:"min_duration_ms,omitempty"`
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

// ParseBook decodes and validates a price book. name is used in errors
// ("name:line: ...").
func ParseBook(name string, data []byte) (*Book, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var b Book
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	lines := entryLines(&doc)
	for i := range b.Entries {
		b.Entries[i].File = name
		if i < len(lines) {
			b.Entries[i].Line = lines[i]
		}
	}
	if b.Version != 1 {
		return nil, fmt.Errorf("%s:1: version %d is not supported (want 1)", name, b.Version)
	}
	if b.HoursPerMonth != 0 && b.HoursPerMonth != HoursPerMonth {
		return nil, fmt.Errorf("%s: hours_per_month %d: benchctl uses %d on both sides of every comparison", name, b.HoursPerMonth, HoursPerMonth)
	}
	b.HoursPerMonth = HoursPerMonth
	seen := map[string]int{}
	for i := range b.Entries {
		e := &b.Entries[i]
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("%s:%d: entry %d (%s): %w", name, e.Line, i+1, e.Name(), err)
		}
		if prev, ok := seen[e.Key()]; ok {
			return nil, fmt.Errorf("%s:%d: entry %d (%s) duplicates the entry at line %d", name, e.Line, i+1, e.Name(), prev)
		}
		seen[e.Key()] = e.Line
	}
	b.Files = []string{name}
	return &b, nil
}

// entryLines returns the line of each item of the top-level "entries" list.
func entryLines(doc *yaml.Node) []int {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "entries" && m.Content[i+1].Kind == yaml.SequenceNode {
			var out []int
			for _, it := range m.Content[i+1].Content {
				out = append(out, it.Line)
			}
			return out
		}
	}
	return nil
}

func (e *Entry) validate() error {
	if e.Region == "" {
		return errors.New("region is required")
	}
	if e.Source == "" || e.EffectiveDate == "" {
		return errors.New("source and effective_date are required")
	}
	blocks := 0
	for _, set := range []bool{e.Lambda != nil, e.APIGateway != nil, e.CloudRun != nil, e.Azure != nil, e.EC2 != nil} {
		if set {
			blocks++
		}
	}
	if blocks != 1 {
		return fmt.Errorf("want exactly one rate block (lambda, api_gateway, cloud_run, azure, ec2), got %d", blocks)
	}
	neg := func(field string, d decimal.Decimal) error {
		if d.IsNegative() {
			return fmt.Errorf("%s must not be negative, got %s", field, d)
		}
		return nil
	}
	switch e.Platform {
	case PlatformLambda:
		if e.Lambda == nil {
			return errors.New("platform aws-lambda needs a lambda block")
		}
		if e.Architecture != ArchX86 && e.Architecture != ArchArm64 {
			return fmt.Errorf("architecture %q isn't one of [%s %s]", e.Architecture, ArchX86, ArchArm64)
		}
		l := e.Lambda
		if !l.RequestUSD.IsPositive() {
			return errors.New("lambda.request_usd must be > 0")
		}
		for _, f := range []struct {
			n string
			d decimal.Decimal
		}{{"ephemeral_storage_gb_s_usd", l.EphemeralGBSecondUSD}, {"provisioned_concurrency_gb_s_usd", l.ProvisionedGBSecondUSD},
			{"provisioned_duration_gb_s_usd", l.ProvisionedDurationGBSecondUSD}, {"free_requests", l.FreeRequests}, {"free_gb_s", l.FreeGBSeconds}} {
			if err := neg("lambda."+f.n, f.d); err != nil {
				return err
			}
		}
		if err := validateTiers("lambda.duration_tiers", l.tiers()); err != nil {
			return err
		}
	case PlatformAPIGatewayHTTP:
		if e.APIGateway == nil {
			return errors.New("platform aws-apigw-http needs an api_gateway block")
		}
		if e.APIGateway.MeteringKB <= 0 {
			return errors.New("api_gateway.metering_kb must be > 0")
		}
		if err := validateTiers("api_gateway.request_tiers", e.APIGateway.RequestTiers); err != nil {
			return err
		}
	case PlatformCloudRun:
		if e.CloudRun == nil {
			return errors.New("platform cloud-run needs a cloud_run block")
		}
		c := e.CloudRun
		if !c.VCPUSecondUSD.IsPositive() || !c.GiBSecondUSD.IsPositive() {
			return errors.New("cloud_run.vcpu_second_usd and gib_second_usd must be > 0")
		}
		if c.RoundingMs <= 0 {
			return errors.New("cloud_run.rounding_ms must be > 0")
		}
	case PlatformAzureFunctions:
		if e.Azure == nil {
			return errors.New("platform azure-functions needs an azure block")
		}
		if e.Plan != "consumption" && e.Plan != "flex" {
			return fmt.Errorf("plan %q isn't one of [consumption flex]", e.Plan)
		}
		if !e.Azure.GBSecondUSD.IsPositive() {
			return errors.New("azure.gb_second_usd must be > 0")
		}
	case PlatformEC2:
		if e.EC2 == nil {
			return errors.New("platform ec2 needs an ec2 block")
		}
		if e.Instance == "" {
			return errors.New("instance is required for ec2")
		}
		if !e.EC2.HourlyUSD.IsPositive() || e.EC2.VCPU <= 0 {
			return errors.New("ec2.hourly_usd and ec2.vcpu must be > 0")
		}
		if e.Architecture != ArchX86 && e.Architecture != ArchArm64 {
			return fmt.Errorf("architecture %q isn't one of [%s %s]", e.Architecture, ArchX86, ArchArm64)
		}
	default:
		return fmt.Errorf("platform %q isn't one of [%s]", e.Platform, strings.Join([]string{PlatformLambda, PlatformAPIGatewayHTTP, PlatformCloudRun, PlatformAzureFunctions, PlatformEC2}, " "))
	}
	return nil
}

// validateTiers checks marginal brackets: increasing bounds, only the last
// unbounded, non-negative prices.
func validateTiers(field string, ts []Tier) error {
	if len(ts) == 0 {
		return fmt.Errorf("%s: at least one tier is required", field)
	}
	prev := decimal.Zero
	for i, t := range ts {
		if t.USD.IsNegative() {
			return fmt.Errorf("%s[%d]: usd must not be negative", field, i)
		}
		if t.UpTo == nil {
			if i != len(ts)-1 {
				return fmt.Errorf("%s[%d]: only the last tier may be unbounded", field, i)
			}
			continue
		}
		if !t.UpTo.GreaterThan(prev) {
			return fmt.Errorf("%s[%d]: up_to %s must exceed the previous bound %s", field, i, t.UpTo, prev)
		}
		prev = *t.UpTo
	}
	if ts[len(ts)-1].UpTo != nil {
		return fmt.Errorf("%s: the last tier must be unbounded (omit up_to)", field)
	}
	return nil
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
