package pricing

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// configStat is one serverless configuration's measured per-request cost:
// cost = fixed + perUnit × unit + gwRate × metered per request, unit being
// billed ms (Lambda, Azure) or instance ms divided by the achieved
// concurrency (Cloud Run), metered the API Gateway requests it counts for
// (one per started 512 KB of request + response body; none without a
// gateway). For Lambda perUnit includes ephPerUnit (ephemeral storage
// above 512 MB is billed on the same billed duration).
type configStat struct {
	target, platform, arch, plan string
	memMB                        int
	entry, apigw                 *Entry
	fixed, perUnit, ephPerUnit   decimal.Decimal
	gateway                      string
	ephemeralMB                  int
	ephemeralSource              string
	n                            int64
	warmU, coldExtraU            float64
	coldFrac, rate, idleS        float64
	ciLow, ciHigh                float64
	// gwUnits is the mean metered units per request: API Gateway requests
	// (behind a gateway), or bytes of data processed (SageMaker
	// Serverless Inference, whose rate per byte is dataRate).
	gwUnits  float64
	dataRate decimal.Decimal
	estimate bool
	// hostBusy: a phase behind the configuration was host_busy.
	hostBusy bool
}

// gwRate is the fee per metered unit: the API Gateway fee per metered
// request (tier-1 rate), or SageMaker's charge per byte of data
// processed; zero without either.
func (c *configStat) gwRate() decimal.Decimal {
	switch {
	case c.apigw != nil:
		return c.apigw.APIGateway.RequestTiers[0].USD
	case c.dataRate.IsPositive():
		return c.dataRate
	}
	return decimal.Zero
}

// metered reports whether requests pay a metered extra (gateway or data).
func (c *configStat) metered() bool { return c.apigw != nil || c.dataRate.IsPositive() }

// meteredUnits is what one request of bytes (request + response body)
// meters: API Gateway requests (one per started 512 KB), or its bytes
// (SageMaker data processed).
func (c *configStat) meteredUnits(bytes uint64) int64 {
	if c.apigw != nil {
		return c.apigw.APIGateway.MeteredRequests(bytes)
	}
	if c.dataRate.IsPositive() {
		return int64(min(bytes, 1<<62))
	}
	return 0
}

// bytesPerGB is the GB of data processed (binary, as AWS meters data).
const bytesPerGB = 1 << 30

// gwPer is the mean API Gateway fee per request (tier-1 rate).
func (c *configStat) gwPer() decimal.Decimal {
	return c.gwRate().Mul(decimal.NewFromFloat(c.gwUnits))
}

// gatewayUnitsFrom sets gwUnits, for a configuration behind a gateway, from
// the api_gateway_http components a previous analysis recorded in rows; it
// reports whether it found them.
func (c *configStat) gatewayUnitsFrom(rows []results.CostRow) bool {
	if !c.metered() {
		return false
	}
	name := results.CostAPIGatewayHTTP
	if c.apigw == nil {
		name = results.CostDataProcessed
	}
	u, ok := gatewayUnitsFromCost(rows, c.target, c.memMB, c.arch, name)
	if ok {
		c.gwUnits = u
	}
	return ok
}

func (c *configStat) name() string {
	switch c.platform {
	case PlatformLambda:
		if c.apigw != nil {
			return fmt.Sprintf("%s %d MB %s + HTTP API", c.target, c.memMB, c.arch)
		}
		return fmt.Sprintf("%s %d MB %s", c.target, c.memMB, c.arch)
	default:
		return fmt.Sprintf("%s (%s %s, %d MB)", c.target, c.platform, c.plan, c.memMB)
	}
}

func (c *configStat) serverless(freeTier bool) *Serverless {
	s := &Serverless{Name: c.name(), Target: c.target, Platform: c.platform, Architecture: c.arch, MemoryMB: c.memMB,
		Entry: c.entry, APIGW: c.apigw, GatewayUnits: c.gwUnits, EphemeralMB: c.ephemeralMB, FreeTier: freeTier,
		Cold: NewColdModel(c.idleS, c.coldFrac, c.rate), CILow: c.ciLow, CIHigh: c.ciHigh, HostBusy: c.hostBusy}
	if c.platform == PlatformLambda {
		gb := GB(c.memMB)
		s.WarmGBs = gb.Mul(decimal.NewFromFloat(c.warmU)).Div(decimal.NewFromInt(1000))
		s.ColdExtraGBs = gb.Mul(decimal.NewFromFloat(c.coldExtraU)).Div(decimal.NewFromInt(1000))
	} else {
		s.WarmUSD = c.fixed.Add(c.perUnit.Mul(decimal.NewFromFloat(c.warmU)))
		if c.apigw == nil {
			s.WarmUSD = s.WarmUSD.Add(c.gwPer()) // data processed (SageMaker)
		}
		s.ColdExtraUSD = c.perUnit.Mul(decimal.NewFromFloat(c.coldExtraU))
	}
	if s.CILow == 0 {
		s.CILow = 1
	}
	if s.CIHigh == 0 {
		s.CIHigh = 1
	}
	return s
}

// gatewayPaid reports whether the benchmark's own requests to t went
// through the API Gateway it declares: only a lambda-url target whose URL
// is an API Gateway (execute-api) address. Invoke API calls and function
// URLs bypass the gateway, so the run itself did not pay its fee.
func gatewayPaid(t scenarios.Target) bool {
	return t.APIGateway != "" && t.Kind == "lambda-url" && strings.Contains(t.URL, ".execute-api.")
}

// pricer builds the configStat for a target at a memory size and architecture.
func pricer(book *Book, sc *scenarios.Scenario, t scenarios.Target, memMB int, arch string, platformEphMB map[string]int) (*configStat, error) {
	ps := settings(sc)
	c := &configStat{target: t.Name, memMB: memMB, arch: arch, idleS: DefaultIdleTimeoutS}
	if fn, ok := functionFor(sc, t); ok && fn.IdleTimeout > 0 {
		c.idleS = fn.IdleTimeout.Seconds()
	}
	platform, plan := PlatformLambda, ""
	if t.Billing != nil && !serverlessKind(t.Kind) {
		platform, plan = t.Billing.Platform, t.Billing.Plan
		if t.Billing.MemoryMB > 0 && memMB == 0 {
			c.memMB = t.Billing.MemoryMB
		}
		if t.Billing.Architecture != "" {
			c.arch = t.Billing.Architecture
		}
	}
	region := ps.Region
	if t.Billing != nil && t.Billing.Region != "" {
		region = t.Billing.Region
	}
	if c.memMB <= 0 {
		return nil, fmt.Errorf("target %s: memory size unknown (no REPORT memory, step or billing.memory_mb)", t.Name)
	}
	c.platform = platform
	switch platform {
	case PlatformLambda:
		e, err := book.Find(PlatformLambda, region, c.arch, "", "")
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", t.Name, err)
		}
		c.entry = e
		c.fixed = e.Lambda.RequestUSD
		c.ephemeralMB, c.ephemeralSource = IncludedEphemeralMB, EphemeralDefault
		if serverlessKind(t.Kind) {
			c.ephemeralMB, c.ephemeralSource = ephemeralFor(sc, t, platformEphMB)
		}
		if c.ephemeralMB > IncludedEphemeralMB {
			c.ephPerUnit = GB(c.ephemeralMB - IncludedEphemeralMB).Mul(e.Lambda.EphemeralGBSecondUSD).Div(decimal.NewFromInt(1000))
		}
		c.perUnit = GB(c.memMB).Mul(e.Lambda.DurationTiers[0].USD).Div(decimal.NewFromInt(1000)).Add(c.ephPerUnit)
		c.plan = "on-demand"
		if t.APIGateway != "" {
			if t.APIGateway != "http" {
				return nil, fmt.Errorf("target %s: api_gateway %q is not priced (only http, an API Gateway HTTP API)", t.Name, t.APIGateway)
			}
			g, err := book.Find(PlatformAPIGatewayHTTP, region, "", "", "")
			if err != nil {
				return nil, fmt.Errorf("target %s: api gateway http api: %w", t.Name, err)
			}
			c.apigw, c.gateway = g, t.APIGateway
			c.gwUnits = 1
		}
	case PlatformCloudRun:
		if plan != "" && plan != "request" && plan != "request-based" {
			return nil, fmt.Errorf("target %s: cloud-run plan %q is not priced (only request-based billing)", t.Name, plan)
		}
		e, err := book.Find(PlatformCloudRun, region, "", "request-based", "")
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", t.Name, err)
		}
		vcpu := 1.0
		if t.Billing.VCPU > 0 {
			vcpu = t.Billing.VCPU
		}
		c.entry, c.plan = e, "request-based"
		c.fixed = e.CloudRun.RequestUSD
		perS := decimal.NewFromFloat(vcpu).Mul(e.CloudRun.VCPUSecondUSD).Add(GB(c.memMB).Mul(e.CloudRun.GiBSecondUSD))
		c.perUnit = perS.Div(decimal.NewFromInt(1000))
	case PlatformAzureFunctions:
		p := "consumption"
		if plan == "flex" || plan == "flex-consumption" {
			p = "flex"
		}
		e, err := book.Find(PlatformAzureFunctions, region, "", p, "")
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", t.Name, err)
		}
		c.entry, c.plan = e, p
		c.fixed = e.Azure.ExecutionUSD
		mem := c.memMB
		if p == "consumption" {
			a := e.Azure
			if a.MemoryStepMB > 0 {
				mem = (mem + a.MemoryStepMB - 1) / a.MemoryStepMB * a.MemoryStepMB
			}
			mem = max(mem, a.MinMemoryMB)
			if a.MaxMemoryMB > 0 {
				mem = min(mem, a.MaxMemoryMB)
			}
		}
		c.perUnit = GB(mem).Mul(e.Azure.GBSecondUSD).Div(decimal.NewFromInt(1000))
	case PlatformSageMakerServerless:
		if plan != "" && plan != "on-demand" {
			return nil, fmt.Errorf("target %s: sagemaker-serverless plan %q is not priced (only on-demand)", t.Name, plan)
		}
		e, err := book.Find(PlatformSageMakerServerless, region, "", "", "")
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", t.Name, err)
		}
		perS, ok := e.SageMaker.SecondUSD(c.memMB)
		if !ok {
			return nil, fmt.Errorf("target %s: billing.memory_mb %v", t.Name, SageMakerMemoryMB.Check(c.memMB))
		}
		c.entry, c.plan = e, "on-demand"
		c.perUnit = perS.Div(decimal.NewFromInt(1000))
		// Exact: 2^30 divides a decimal with 30 more places.
		c.dataRate = e.SageMaker.DataGBUSD.DivRound(decimal.NewFromInt(bytesPerGB), 40)
	default:
		return nil, fmt.Errorf("target %s: billing platform %q isn't one of [aws-lambda cloud-run azure-functions sagemaker-serverless]", t.Name, platform)
	}
	return c, nil
}

// describe fills a cost row's gateway and ephemeral-storage labels.
func (c *configStat) describe(row *results.CostRow) {
	if c.apigw != nil {
		row.APIGateway = c.gateway
	}
	if c.platform == PlatformLambda && c.ephemeralMB > 0 {
		row.EphemeralStorageMB, row.EphemeralStorageSource = c.ephemeralMB, c.ephemeralSource
	}
}

// components splits the cost of n requests with Σu billed units and
// Σmetered gateway requests into its labelled parts (results.CostRequests,
// CostCompute, CostEphemeralStorage, CostAPIGatewayHTTP), each at its
// tier-1 rate and with its price-book entry; they add up to
// n × fixed + Σu × perUnit + Σmetered × gateway rate.
func (c *configStat) components(n, sumU, sumGW decimal.Decimal) []results.CostComponent {
	if !n.IsPositive() {
		return nil
	}
	mk := func(name string, qty decimal.Decimal, unit string, rate, usd decimal.Decimal, e *Entry) results.CostComponent {
		per := usd.Div(n)
		return results.CostComponent{Name: name, Quantity: qty.InexactFloat64(), Unit: unit, RateUSD: rate.InexactFloat64(),
			RunCostUSD: usd.InexactFloat64(), CostPerRequestUSD: per.InexactFloat64(),
			CostPerMillionUSD: per.Mul(decimal.NewFromInt(1_000_000)).InexactFloat64(),
			PriceSource:       e.Source, PriceEffective: e.EffectiveDate}
	}
	reqUnit := "requests"
	if c.platform == PlatformSageMakerServerless {
		reqUnit = "requests (no request fee)"
	}
	if c.platform == PlatformAzureFunctions {
		reqUnit = "executions"
	}
	out := []results.CostComponent{mk(results.CostRequests, n, reqUnit, c.fixed, n.Mul(c.fixed), c.entry)}
	thousand := decimal.NewFromInt(1000)
	if c.platform == PlatformLambda {
		l := c.entry.Lambda
		out = append(out, mk(results.CostCompute, GB(c.memMB).Mul(sumU).Div(thousand), "GB-s", l.DurationTiers[0].USD, sumU.Mul(c.perUnit.Sub(c.ephPerUnit)), c.entry))
		if c.ephPerUnit.IsPositive() {
			out = append(out, mk(results.CostEphemeralStorage, GB(c.ephemeralMB-IncludedEphemeralMB).Mul(sumU).Div(thousand), "GB-s",
				l.EphemeralGBSecondUSD, sumU.Mul(c.ephPerUnit), c.entry))
		}
	} else {
		out = append(out, mk(results.CostCompute, sumU, "billed ms", c.perUnit, sumU.Mul(c.perUnit), c.entry))
	}
	switch {
	case c.apigw != nil:
		out = append(out, mk(results.CostAPIGatewayHTTP, sumGW, "metered requests", c.gwRate(), sumGW.Mul(c.gwRate()), c.apigw))
	case c.dataRate.IsPositive():
		out = append(out, mk(results.CostDataProcessed, sumGW, "bytes", c.gwRate(), sumGW.Mul(c.gwRate()), c.entry))
	}
	return out
}
