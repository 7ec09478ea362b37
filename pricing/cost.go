package pricing

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/shopspring/decimal"

	"github.com/benchctl/benchctl/scenarios"
)

// Item is one line of an itemised estimate: Quantity Unit at RateUSD each
// makes USD. Free-tier lines have a negative quantity.
type Item struct {
	Name     string          `json:"name"`
	Quantity decimal.Decimal `json:"quantity"`
	Unit     string          `json:"unit"`
	RateUSD  decimal.Decimal `json:"rate_usd"`
	USD      decimal.Decimal `json:"usd"`
	// Entry names the price-book entry of the rate ("ec2 us-east-1 arm64
	// m7g.large"); empty means the estimate's PriceBook entry.
	Entry string `json:"entry,omitempty"`
}

// Estimate is an itemised cost with its provenance.
type Estimate struct {
	TotalUSD  decimal.Decimal
	Items     []Item
	PriceBook Ref
	// Extra lists the provenance of further entries used (API Gateway).
	Extra []Ref
	Notes []string
}

// MarshalJSON writes the --json contract: {"total_usd": n, "items": [{"name",
// "quantity", "unit", "rate_usd", "usd"}], "price_book": {...}}, with money as
// JSON numbers carrying every exact digit.
func (e Estimate) MarshalJSON() ([]byte, error) {
	type item struct {
		Name     string      `json:"name"`
		Quantity json.Number `json:"quantity"`
		Unit     string      `json:"unit"`
		RateUSD  json.Number `json:"rate_usd"`
		USD      json.Number `json:"usd"`
		Entry    string      `json:"entry"`
	}
	items := make([]item, len(e.Items))
	for i, it := range e.Items {
		items[i] = item{it.Name, json.Number(it.Quantity.String()), it.Unit, json.Number(it.RateUSD.String()), json.Number(it.USD.String()), e.ItemEntry(it)}
	}
	return json.Marshal(struct {
		TotalUSD  json.Number `json:"total_usd"`
		Items     []item      `json:"items"`
		PriceBook Ref         `json:"price_book"`
		Extra     []Ref       `json:"other_price_book_entries,omitempty"`
		Notes     []string    `json:"notes,omitempty"`
	}{json.Number(e.TotalUSD.String()), items, e.PriceBook, e.Extra, e.Notes})
}

func (e *Estimate) add(name string, qty decimal.Decimal, unit string, rate decimal.Decimal) {
	e.addFrom("", name, qty, unit, rate)
}

// addFrom adds an item priced from the entry named entry ("" = PriceBook).
func (e *Estimate) addFrom(entry, name string, qty decimal.Decimal, unit string, rate decimal.Decimal) {
	usd := qty.Mul(rate)
	e.Items = append(e.Items, Item{Name: name, Quantity: qty, Unit: unit, RateUSD: rate, USD: usd, Entry: entry})
	e.TotalUSD = e.TotalUSD.Add(usd)
}

// ItemEntry names the price-book entry an item's rate comes from.
func (e Estimate) ItemEntry(it Item) string {
	if it.Entry != "" {
		return it.Entry
	}
	return e.PriceBook.Name()
}

// CeilMs rounds one invocation's duration up to a whole millisecond (AWS
// Lambda's rule since 2020-12-01).
//
// Non-positive, NaN and infinite durations give zero: the callers check
// their inputs (see Range), so those never reach here from a user.
func CeilMs(ms float64) decimal.Decimal {
	if !(ms > 0) || math.IsInf(ms, 0) {
		return decimal.Zero
	}
	if ms < 1<<52 {
		// Exact: a non-integral float's shortest decimal form is
		// non-integral too, so its ceiling is math.Ceil's.
		return decimal.NewFromInt(int64(math.Ceil(ms)))
	}
	return decimal.NewFromFloat(ms).Ceil()
}

// ceilMsF is CeilMs as a float (whole milliseconds).
func ceilMsF(ms float64) float64 {
	if !(ms > 0) || math.IsInf(ms, 0) {
		return 0
	}
	return math.Ceil(ms)
}

// ceilTo rounds ms up to a multiple of step ms.
func ceilTo(ms float64, step int) decimal.Decimal {
	if !(ms > 0) || math.IsInf(ms, 0) || step <= 0 {
		return decimal.Zero
	}
	s := decimal.NewFromInt(int64(step))
	return decimal.NewFromFloat(ms).Div(s).Ceil().Mul(s)
}

// GB converts configured megabytes to Lambda/Azure gigabytes (MB/1024).
func GB(mb int) decimal.Decimal { return decimal.NewFromInt(int64(mb)).Div(decimal.NewFromInt(1024)) }

// LambdaUsage is a month (or a run) of invocations of one function
// configuration.
type LambdaUsage struct {
	// Requests is the number of invocations (throttled requests excluded).
	Requests int64
	MemoryMB int
	// DurationMs is each invocation's handler duration (billed as ceil_ms).
	DurationMs float64
	// ColdStarts of the on-demand requests carry InitMs of INIT; billed
	// when InitBilled (see LambdaRates.InitBilled and LegacyInitBilled).
	ColdStarts int64
	InitMs     float64
	InitBilled bool
	// EphemeralMB is the configured /tmp size (512 included).
	EphemeralMB int
	// FreeTier subtracts the monthly free tier (1M requests, 400k GB-s at
	// tier-1 rates). Off by default: marginal cost.
	FreeTier bool
	// APIGateway adds the HTTP API request fee, metered per started 512 KB of
	// PayloadBytes.
	APIGateway   bool
	PayloadBytes int64
	// ProvisionedConcurrency environments of MemoryMB enabled for
	// ProvisionedHours (rounded up to 5 minutes); ProvisionedRequests of
	// the Requests run on them at the lower duration rate, each lasting
	// ProvisionedDurationMs (0: DurationMs) and never a cold start; the
	// rest spill over to on-demand rates.
	ProvisionedConcurrency int
	ProvisionedHours       float64
	ProvisionedRequests    int64
	ProvisionedDurationMs  float64
}

// Validate checks every field of u against its allowed range (see Range)
// and their consistency: cold starts and Provisioned-Concurrency requests
// are among the requests.
func (u LambdaUsage) Validate() error {
	var c inputCheck
	c.inInt("requests", u.Requests, RequestCount)
	c.inInt("memory_mb", int64(u.MemoryMB), LambdaMemoryMB)
	c.in("duration_ms", u.DurationMs, LambdaDurationMs)
	c.inInt("cold_starts", u.ColdStarts, RequestCount)
	c.in("init_ms", u.InitMs, InitDurationMs)
	if u.EphemeralMB != 0 {
		if err := scenarios.CheckEphemeralStorageMB(u.EphemeralMB); err != nil {
			c.failf("ephemeral_mb %v", err)
		}
	}
	c.inInt("payload_bytes", u.PayloadBytes, PayloadBytesRange)
	c.inInt("provisioned_concurrency", int64(u.ProvisionedConcurrency), ProvisionedConcurrencyRange)
	c.in("provisioned_hours", u.ProvisionedHours, HoursRange)
	c.inInt("provisioned_requests", u.ProvisionedRequests, RequestCount)
	if u.ProvisionedRequests > u.Requests {
		c.failf("provisioned_requests %d exceeds requests %d", u.ProvisionedRequests, u.Requests)
	}
	c.in("provisioned_duration_ms", u.ProvisionedDurationMs, LambdaDurationMs)
	if od := u.Requests - u.ProvisionedRequests; u.ColdStarts > od && u.ProvisionedRequests <= u.Requests {
		c.failf("cold_starts %d exceeds the %d on-demand requests (requests served by Provisioned Concurrency are never cold)", u.ColdStarts, od)
	}
	if u.ProvisionedRequests > 0 && u.ProvisionedConcurrency == 0 {
		c.failf("provisioned_requests needs provisioned_concurrency > 0")
	}
	return c.err("lambda usage")
}

// LambdaCost prices u with the lambda entry e (and the API Gateway entry
// apigw when u.APIGateway). Duration tiers are marginal brackets over the
// usage's total on-demand GB-s.
//
//	billed_ms = N × ceil_ms(d) + cold × (ceil_ms(d + init) − ceil_ms(d))   [init billed]
//	GB-s      = MB/1024 × billed_ms/1000
func LambdaCost(e *Entry, apigw *Entry, u LambdaUsage) (Estimate, error) {
	if e == nil || e.Lambda == nil {
		return Estimate{}, errors.New("lambda cost: entry has no lambda rates")
	}
	if err := u.Validate(); err != nil {
		return Estimate{}, err
	}
	l := e.Lambda
	est := Estimate{PriceBook: e.Ref()}
	n := decimal.NewFromInt(u.Requests)
	gb := GB(u.MemoryMB)
	thousand := decimal.NewFromInt(1000)
	// On-demand invocations: ceil_ms(d) each, plus INIT on cold starts.
	odN := decimal.NewFromInt(u.Requests - u.ProvisionedRequests)
	warm := CeilMs(u.DurationMs)
	odMs := odN.Mul(warm)
	if u.ColdStarts > 0 && u.InitBilled {
		extra := CeilMs(u.DurationMs + u.InitMs).Sub(warm)
		odMs = odMs.Add(decimal.NewFromInt(u.ColdStarts).Mul(extra))
	}
	// Invocations on Provisioned Concurrency: their own duration, no INIT
	// (the environments were initialised when it was enabled).
	pcDur := u.ProvisionedDurationMs
	if pcDur == 0 {
		pcDur = u.DurationMs
	}
	pcMs := decimal.NewFromInt(u.ProvisionedRequests).Mul(CeilMs(pcDur))
	est.add("requests", n, "requests", l.RequestUSD)
	odGBs := gb.Mul(odMs).Div(thousand)
	lower := decimal.Zero
	for i, t := range l.DurationTiers {
		upper := odGBs
		if t.UpToGBSeconds != nil && t.UpToGBSeconds.LessThan(odGBs) {
			upper = *t.UpToGBSeconds
		}
		if upper.GreaterThan(lower) || (i == 0 && odGBs.IsZero()) {
			est.add(fmt.Sprintf("duration tier %d (%s)", i+1, e.Architecture), upper.Sub(lower), "GB-s", t.USD)
		}
		if t.UpToGBSeconds == nil || !odGBs.GreaterThan(*t.UpToGBSeconds) {
			break
		}
		lower = *t.UpToGBSeconds
	}
	if pcMs.IsPositive() {
		est.add("provisioned concurrency duration", gb.Mul(pcMs).Div(thousand), "GB-s", l.ProvisionedDurationGBSecondUSD)
	}
	if u.ProvisionedConcurrency > 0 {
		secs := decimal.NewFromFloat(u.ProvisionedHours * 3600).Div(decimal.NewFromInt(300)).Ceil().Mul(decimal.NewFromInt(300))
		q := gb.Mul(decimal.NewFromInt(int64(u.ProvisionedConcurrency))).Mul(secs)
		est.add("provisioned concurrency enabled", q, "GB-s", l.ProvisionedGBSecondUSD)
	}
	if u.EphemeralMB > IncludedEphemeralMB {
		q := GB(u.EphemeralMB - IncludedEphemeralMB).Mul(odMs.Add(pcMs)).Div(thousand)
		est.add("ephemeral storage above 512 MB", q, "GB-s", l.EphemeralGBSecondUSD)
	}
	if u.FreeTier {
		// AWS's Provisioned Concurrency Example 1 subtracts the free tier
		// from all requests and from the on-demand duration; the charges
		// of Provisioned Concurrency itself (enabled time and the duration
		// it serves) get none.
		fr := decimal.Min(n, l.FreeRequests)
		if fr.IsPositive() {
			est.add("free tier: requests", fr.Neg(), "requests", l.RequestUSD)
		}
		fg := decimal.Min(odGBs, l.FreeGBSeconds)
		if fg.IsPositive() {
			est.add("free tier: on-demand duration (at tier-1 rate)", fg.Neg(), "GB-s", l.DurationTiers[0].USD)
		}
		note := "free tier applied once to this usage; it is shared by all functions and both architectures of the account"
		if u.ProvisionedConcurrency > 0 {
			note += "; it covers the requests and the on-demand duration, not the Provisioned Concurrency charges (as in AWS's Provisioned Concurrency pricing example)"
		}
		est.Notes = append(est.Notes, note)
	}
	if u.APIGateway {
		if apigw == nil || apigw.APIGateway == nil {
			return Estimate{}, fmt.Errorf("lambda cost: api gateway http api: %w", ErrNoPrice)
		}
		a := apigw.APIGateway
		metered := n.Mul(decimal.NewFromInt(a.MeteredRequests(uint64(max(u.PayloadBytes, 0)))))
		lower := decimal.Zero
		for i, t := range a.RequestTiers {
			upper := metered
			if t.UpTo != nil && t.UpTo.LessThan(metered) {
				upper = *t.UpTo
			}
			if upper.GreaterThan(lower) {
				est.add(fmt.Sprintf("api gateway http api requests tier %d", i+1), upper.Sub(lower), "requests", t.USD)
			}
			if t.UpTo == nil || !metered.GreaterThan(*t.UpTo) {
				break
			}
			lower = *t.UpTo
		}
		est.Extra = append(est.Extra, apigw.Ref())
	}
	return est, nil
}

// LambdaRequestCost is one invocation's cost at tier-1 rates from its billed
// milliseconds (already rounded by the platform, or ceil_ms'd here):
// request_usd + MB/1024 × billed_ms/1000 × tier-1 rate.
func LambdaRequestCost(l *LambdaRates, memoryMB int, billedMs decimal.Decimal) decimal.Decimal {
	return l.RequestUSD.Add(GB(memoryMB).Mul(billedMs).Div(decimal.NewFromInt(1000)).Mul(l.DurationTiers[0].USD))
}

// CloudRunUsage is a month (or run) of requests to a Cloud Run service with
// request-based billing.
type CloudRunUsage struct {
	Requests   int64
	DurationMs float64
	VCPU       float64
	MemoryMB   int
	// Concurrency is the achieved number of requests sharing one instance's
	// billable time (>= 1).
	Concurrency float64
	FreeTier    bool
	// MinInstances kept for IdleHours pay the idle rates for the time they
	// are not busy.
	MinInstances int
	IdleHours    float64
}

// Validate checks every field of u against its allowed range.
func (u CloudRunUsage) Validate() error {
	var c inputCheck
	c.inInt("requests", u.Requests, RequestCount)
	c.in("duration_ms", u.DurationMs, RequestDurationMs)
	c.in("vcpu", u.VCPU, CloudRunVCPU)
	c.inInt("memory_mb", int64(u.MemoryMB), CloudRunMemoryMB)
	c.in("concurrency", u.Concurrency, CloudRunConcurrency)
	c.inInt("min_instances", int64(u.MinInstances), MinInstancesRange)
	c.in("idle_hours", u.IdleHours, HoursRange)
	return c.err("cloud run usage")
}

// CloudRunCost prices u: instance time ceil_100ms(d) per request, shared by
// the achieved concurrency, at vCPU-s and GiB-s rates, plus the request fee.
func CloudRunCost(e *Entry, u CloudRunUsage) (Estimate, error) {
	if e == nil || e.CloudRun == nil {
		return Estimate{}, errors.New("cloud run cost: entry has no cloud_run rates")
	}
	if err := u.Validate(); err != nil {
		return Estimate{}, err
	}
	c := e.CloudRun
	conc := u.Concurrency
	est := Estimate{PriceBook: e.Ref()}
	n := decimal.NewFromInt(u.Requests)
	instS := n.Mul(ceilTo(u.DurationMs, c.RoundingMs)).Div(decimal.NewFromInt(1000)).Div(decimal.NewFromFloat(conc))
	vcpuS := instS.Mul(decimal.NewFromFloat(u.VCPU))
	gibS := instS.Mul(decimal.NewFromInt(int64(u.MemoryMB))).Div(decimal.NewFromInt(1024))
	est.add("requests", n, "requests", c.RequestUSD)
	est.add("cpu (active)", vcpuS, "vCPU-s", c.VCPUSecondUSD)
	est.add("memory (active)", gibS, "GiB-s", c.GiBSecondUSD)
	if u.MinInstances > 0 && u.IdleHours > 0 {
		// Min instances pay the idle rates while not busy (busy time is
		// billed above at the active rates).
		idleS := decimal.Max(decimal.Zero, decimal.NewFromFloat(u.IdleHours*3600).Mul(decimal.NewFromInt(int64(u.MinInstances))).Sub(instS))
		est.add("cpu (idle min instances)", idleS.Mul(decimal.NewFromFloat(u.VCPU)), "vCPU-s", c.IdleVCPUSecondUSD)
		est.add("memory (idle min instances)", idleS.Mul(decimal.NewFromInt(int64(u.MemoryMB))).Div(decimal.NewFromInt(1024)), "GiB-s", c.IdleGiBSecondUSD)
	}
	if u.FreeTier {
		for _, f := range []struct {
			name, unit string
			used, free decimal.Decimal
			rate       decimal.Decimal
		}{{"free tier: requests", "requests", n, c.FreeRequests, c.RequestUSD},
			{"free tier: cpu", "vCPU-s", vcpuS, c.FreeVCPUSeconds, c.VCPUSecondUSD},
			{"free tier: memory", "GiB-s", gibS, c.FreeGiBSeconds, c.GiBSecondUSD}} {
			if q := decimal.Min(f.used, f.free); q.IsPositive() {
				est.add(f.name, q.Neg(), f.unit, f.rate)
			}
		}
	}
	if conc > 1 {
		est.Notes = append(est.Notes, fmt.Sprintf("instance time shared by an achieved concurrency of %.2f", conc))
	}
	return est, nil
}

// AzureUsage is a month (or run) of executions on Azure Functions.
type AzureUsage struct {
	Executions int64
	DurationMs float64
	// MemoryMB is the observed memory (Consumption) or the instance memory (Flex).
	MemoryMB int
	FreeTier bool
	// AlwaysReady Flex instances kept for AlwaysReadyHours pay the baseline;
	// AlwaysReadyExecutions of the Executions run on them at the
	// always-ready execution-time and execution rates, the rest on demand.
	AlwaysReady           int
	AlwaysReadyHours      float64
	AlwaysReadyExecutions int64
}

// Validate checks every field of u against its allowed range on plan
// (consumption: observed memory 1–1,536 MB; flex: an instance size of 512,
// 2,048 or 4,096 MB).
func (u AzureUsage) Validate(plan string) error {
	var c inputCheck
	c.inInt("executions", u.Executions, RequestCount)
	c.in("duration_ms", u.DurationMs, RequestDurationMs)
	switch plan {
	case AzurePlanFlex:
		if err := AzureFlexMemoryMB.Check(u.MemoryMB); err != nil {
			c.failf("memory_mb %v", err)
		}
	default:
		c.inInt("memory_mb", int64(u.MemoryMB), AzureConsumptionMemoryMB)
	}
	c.inInt("always_ready", int64(u.AlwaysReady), MinInstancesRange)
	c.in("always_ready_hours", u.AlwaysReadyHours, HoursRange)
	c.inInt("always_ready_executions", u.AlwaysReadyExecutions, RequestCount)
	if u.AlwaysReadyExecutions > u.Executions {
		c.failf("always_ready_executions %d exceeds executions %d", u.AlwaysReadyExecutions, u.Executions)
	}
	if plan != AzurePlanFlex && (u.AlwaysReady > 0 || u.AlwaysReadyExecutions > 0) {
		c.failf("always-ready instances exist only on the Flex Consumption plan")
	}
	return c.err("azure functions usage")
}

// AzureCost prices u on the Consumption plan (GB-s on observed memory
// rounded up to 128 MB, capped at 1,536 MB, with a 100 ms and 128 MB minimum
// per execution) or Flex Consumption (instance memory × the billed time:
// at least 1,000 ms, rounded up to 100 ms; see AzureRates.BilledMs):
//
//	consumption: n × max(100, ceil_ms(d))/1000 × min(1536, max(128, ceil_128(MB)))/1024 × gb_s_rate + n × execution_fee
//	flex:        n × max(1000, ceil_100ms(d))/1000 × MB/1024 × gb_s_rate + n × execution_fee
//	             (+ always-ready baseline × GB × seconds, their executions at the always-ready rates)
func AzureCost(e *Entry, u AzureUsage) (Estimate, error) {
	if e == nil || e.Azure == nil {
		return Estimate{}, errors.New("azure cost: entry has no azure rates")
	}
	if err := u.Validate(e.Plan); err != nil {
		return Estimate{}, err
	}
	a := e.Azure
	est := Estimate{PriceBook: e.Ref()}
	n := decimal.NewFromInt(u.Executions)
	ms := a.BilledMs(u.DurationMs)
	mem := u.MemoryMB
	if e.Plan == AzurePlanConsumption {
		if a.MemoryStepMB > 0 {
			mem = (mem + a.MemoryStepMB - 1) / a.MemoryStepMB * a.MemoryStepMB
		}
		if mem < a.MinMemoryMB {
			mem = a.MinMemoryMB
		}
		if a.MaxMemoryMB > 0 && mem > a.MaxMemoryMB {
			mem = a.MaxMemoryMB
		}
	}
	if u.AlwaysReadyExecutions > 0 {
		ar := decimal.NewFromInt(u.AlwaysReadyExecutions)
		n = n.Sub(ar)
		est.add("always-ready executions", ar, "executions", a.AlwaysReadyExecutionUSD)
		est.add("always-ready execution time", ar.Mul(ms).Div(decimal.NewFromInt(1000)).Mul(GB(mem)), "GB-s", a.AlwaysReadyGBSecondUSD)
	}
	gbs := n.Mul(ms).Div(decimal.NewFromInt(1000)).Mul(GB(mem))
	est.add("executions", n, "executions", a.ExecutionUSD)
	est.add(fmt.Sprintf("execution time (%d MB billed)", mem), gbs, "GB-s", a.GBSecondUSD)
	if u.AlwaysReady > 0 && u.AlwaysReadyHours > 0 {
		q := GB(u.MemoryMB).Mul(decimal.NewFromInt(int64(u.AlwaysReady))).Mul(decimal.NewFromFloat(u.AlwaysReadyHours * 3600))
		est.add("always-ready baseline", q, "GB-s", a.AlwaysReadyBaselineGBSecondUSD)
	}
	if u.FreeTier {
		if q := decimal.Min(n, a.FreeExecutions); q.IsPositive() {
			est.add("free grant: executions", q.Neg(), "executions", a.ExecutionUSD)
		}
		if q := decimal.Min(gbs, a.FreeGBSeconds); q.IsPositive() {
			est.add("free grant: execution time", q.Neg(), "GB-s", a.GBSecondUSD)
		}
	}
	if e.Plan == AzurePlanFlex {
		est.Notes = append(est.Notes, fmt.Sprintf("Flex Consumption bills each instance's activity period, at least %d ms and rounded up to %d ms: executions that overlap on one instance share it, so this per-execution figure is the cost of isolated executions, an upper bound; at high per-instance concurrency the execution-time part approaches the busy time of the instances",
			a.MinDurationMs, max(a.RoundingMs, 1)))
	}
	return est, nil
}

// EC2Cost prices n instances for hours hours (730 = a month) at the
// on-demand hourly rate; burstable types add surplus credits at CPU
// utilisation util (0..1).
func EC2Cost(e *Entry, n int, hours float64, util float64) (Estimate, error) {
	if e == nil || e.EC2 == nil {
		return Estimate{}, errors.New("ec2 cost: entry has no ec2 rates")
	}
	var c inputCheck
	c.inInt("instances", int64(n), InstanceCount)
	c.in("hours", hours, HoursRange)
	c.in("cpu_utilisation", util, CPUUtilisationRange)
	if err := c.err("ec2 usage"); err != nil {
		return Estimate{}, err
	}
	est := Estimate{PriceBook: e.Ref()}
	q := decimal.NewFromInt(int64(n)).Mul(decimal.NewFromFloat(hours))
	est.add(e.Instance+" on-demand", q, "instance-hours", e.EC2.HourlyUSD)
	if e.EC2.Burstable {
		u := decimal.NewFromFloat(util)
		if extra := e.EC2.SustainedHourlyUSD(u).Sub(e.EC2.HourlyUSD); extra.IsPositive() {
			est.add("surplus CPU credits (unlimited mode)", q, "instance-hours", extra)
		}
		est.Notes = append(est.Notes, fmt.Sprintf("%s is burstable: sustained CPU above %s%% per vCPU buys surplus credits", e.Instance, e.EC2.BaselinePerVCPU.Mul(decimal.NewFromInt(100))))
	}
	return est, nil
}

// SageMakerMaxPayloadBytes is the largest request (and response) SageMaker
// Serverless Inference accepts (4 MB).
const SageMakerMaxPayloadBytes = 4 << 20

// SageMakerUsage is a month (or run) of requests to a SageMaker Serverless
// Inference endpoint.
type SageMakerUsage struct {
	Requests int64
	// MemoryMB is the endpoint's memory size (1,024 to 6,144 MB in 1 GB steps).
	MemoryMB int
	// DurationMs is each request's inference duration.
	DurationMs float64
	// PayloadBytes is request + response bytes per request (data processed).
	PayloadBytes int64
}

// Validate checks every field of u against its allowed range.
func (u SageMakerUsage) Validate() error {
	var c inputCheck
	c.inInt("requests", u.Requests, RequestCount)
	if err := SageMakerMemoryMB.Check(u.MemoryMB); err != nil {
		c.failf("memory_mb %v", err)
	}
	c.in("duration_ms", u.DurationMs, SageMakerDurationMs)
	c.inInt("payload_bytes", u.PayloadBytes, Range{Min: 0, Max: 2 * SageMakerMaxPayloadBytes, Unit: "bytes", Why: "a 4 MB request and a 4 MB response"})
	return c.err("sagemaker serverless usage")
}

// SageMakerCost prices u on SageMaker Serverless Inference: compute per
// second at the memory size, billed per millisecond of each request, plus
// data processed (in and out) per GB (2^30 bytes); there is no request fee:
//
//	n × ceil_ms(d)/1000 × second_usd(MB) + n × bytes / 2^30 × data_gb_usd
func SageMakerCost(e *Entry, u SageMakerUsage) (Estimate, error) {
	if e == nil || e.SageMaker == nil {
		return Estimate{}, errors.New("sagemaker serverless cost: entry has no sagemaker_serverless rates")
	}
	if err := u.Validate(); err != nil {
		return Estimate{}, err
	}
	s := e.SageMaker
	perS, ok := s.SecondUSD(u.MemoryMB)
	if !ok {
		return Estimate{}, fmt.Errorf("sagemaker serverless cost: the price book has no %d MB compute price (%s)", u.MemoryMB, e.Name())
	}
	est := Estimate{PriceBook: e.Ref()}
	n := decimal.NewFromInt(u.Requests)
	secs := n.Mul(ceilTo(u.DurationMs, max(s.RoundingMs, 1))).Div(decimal.NewFromInt(1000))
	est.add(fmt.Sprintf("compute (%d MB)", u.MemoryMB), secs, "s", perS)
	gb := n.Mul(decimal.NewFromInt(u.PayloadBytes)).DivRound(decimal.NewFromInt(bytesPerGB), 40)
	est.add("data processed (in + out)", gb, "GB", s.DataGBUSD)
	est.Notes = append(est.Notes, "cold starts are not priced beyond the reported duration; provisioned concurrency for serverless endpoints is not modelled")
	return est, nil
}
