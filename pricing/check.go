package pricing

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/benchctl/benchctl/scenarios"
)

// CheckScenario checks a parsed scenario's pricing inputs against the
// price book, before anything runs: the region has the prices the targets
// need (Lambda for function targets, EC2 for instances, the billing
// platform and plan of http targets, API Gateway where a target sits
// behind one), every instance type of pricing.instances, servers and
// pricing.lambda_managed is in the book (and runs on Lambda Managed
// Instances, for the latter), billing memory sizes are ones the platform
// has, and every numeric pricing field is inside its range (capacity,
// utilisation, profile volume and shape, spend limit, capacity provider
// bounds). Each problem is positioned at its field with
// (*scenarios.Scenario).FieldErrorAt, so it reads like the parser's
// errors: "file:line:col: field: message".
func CheckScenario(book *Book, sc *scenarios.Scenario) []scenarios.FieldError {
	if sc == nil {
		return nil
	}
	c := &scenarioCheck{sc: sc, book: book}
	c.ranges()
	if book != nil {
		c.againstBook()
	}
	sort.SliceStable(c.errs, func(i, j int) bool {
		if c.errs[i].Line != c.errs[j].Line {
			return c.errs[i].Line < c.errs[j].Line
		}
		return c.errs[i].Col < c.errs[j].Col
	})
	return c.errs
}

// ErrScenarioPricing is wrapped by checkSettings for a scenario whose
// pricing inputs are out of range.
var ErrScenarioPricing = errors.New("scenario pricing inputs out of range")

// checkSettings is the range part of CheckScenario as one error: the
// analysis refuses inputs that would make its searches meaningless (or
// unbounded) even when the scenario did not go through validate (a saved
// run re-priced by report).
func checkSettings(sc *scenarios.Scenario) error {
	if sc == nil {
		return nil
	}
	c := &scenarioCheck{sc: sc}
	c.ranges()
	if len(c.errs) == 0 {
		return nil
	}
	msgs := make([]string, len(c.errs))
	for i, fe := range c.errs {
		msgs[i] = fe.Field + ": " + fe.Msg
	}
	return fmt.Errorf("%w: %s", ErrScenarioPricing, strings.Join(msgs, "; "))
}

type scenarioCheck struct {
	sc   *scenarios.Scenario
	book *Book
	errs []scenarios.FieldError
}

func (c *scenarioCheck) errf(path, format string, args ...any) {
	c.errs = append(c.errs, c.sc.FieldErrorAt(path, format, args...))
}

// in checks a set (non-zero) value against r.
func (c *scenarioCheck) in(path string, v float64, r Range) {
	if v == 0 {
		return
	}
	if err := r.Check(v); err != nil {
		c.errf(path, "%v", err)
	}
}

// ranges checks every numeric pricing input of the scenario.
func (c *scenarioCheck) ranges() {
	p := c.sc.Pricing
	c.in("pricing.capacity_rps", p.CapacityRPS, CapacityRPSRange)
	c.in("pricing.target_utilisation", p.TargetUtilisation, TargetUtilisationRange)
	c.in("pricing.min_instances", float64(p.MinInstances), MinInstancesRange)
	if p.MaxSpend != nil {
		if err := MaxSpendRange.Check(*p.MaxSpend); err != nil {
			c.errf("pricing.max_spend_usd", "%v", err)
		}
	}
	pf := p.Profile
	c.in("pricing.profile.monthly_requests", pf.MonthlyRequests, MonthlyRequestsRange)
	c.in("pricing.profile.average_rps", pf.AverageRPS, AverageRPSRange)
	if pf.Shape == ShapeDiurnal {
		c.in("pricing.profile.peak_to_average", pf.PeakToAverage, PeakToAverageRange)
		c.in("pricing.profile.peak_hours", pf.PeakHours, PeakHoursRange)
		if PeakToAverageRange.Contains(pf.PeakToAverage) && (pf.PeakHours == 0 || PeakHoursRange.Contains(pf.PeakHours)) {
			if _, err := DiurnalProfile(pf.PeakToAverage, pf.PeakHours); err != nil {
				c.errf("pricing.profile.peak_to_average", "%v", strings.TrimPrefix(err.Error(), "diurnal profile: "))
			}
		}
	}
	if lm := p.LambdaManaged; lm != nil {
		c.in("pricing.lambda_managed.min_instances", float64(lm.MinInstances), ManagedMinInstances)
		c.in("pricing.lambda_managed.max_vcpu", float64(lm.MaxVCPU), ManagedMaxVCPU)
		c.in("pricing.lambda_managed.target_utilisation", lm.TargetUtilisation, TargetUtilisationRange)
	}
	for i, t := range c.sc.Targets {
		b := t.Billing
		if b == nil {
			continue
		}
		bp := fmt.Sprintf("targets[%d].billing", i)
		switch b.Platform {
		case PlatformCloudRun:
			c.in(bp+".vcpu", b.VCPU, CloudRunVCPU)
			c.in(bp+".memory_mb", float64(b.MemoryMB), CloudRunMemoryMB)
			c.in(bp+".concurrency", float64(b.Concurrency), CloudRunConcurrency)
			if b.Plan == "instance" {
				c.errf(bp+".plan", "instance-based billing is not priced (only request-based: plan request)")
			}
		case PlatformAzureFunctions:
			if b.Plan == "flex-consumption" {
				if b.MemoryMB != 0 {
					if err := AzureFlexMemoryMB.Check(b.MemoryMB); err != nil {
						c.errf(bp+".memory_mb", "%v", err)
					}
				}
			} else {
				c.in(bp+".memory_mb", float64(b.MemoryMB), AzureConsumptionMemoryMB)
			}
		case PlatformLambda:
			c.in(bp+".memory_mb", float64(b.MemoryMB), LambdaMemoryMB)
			if b.Plan == "provisioned" {
				c.errf(bp+".plan", "provisioned concurrency is not priced for an http target's latency (only on-demand); use pricing estimate --provisioned for it")
			}
		case PlatformSageMakerServerless:
			if err := SageMakerMemoryMB.Check(b.MemoryMB); err != nil {
				c.errf(bp+".memory_mb", "%v (required for sagemaker-serverless)", err)
			}
		}
	}
}

// againstBook checks that the book holds every price the scenario needs.
func (c *scenarioCheck) againstBook() {
	sc, book := c.sc, c.book
	ps := settings(sc)
	region := ps.Region
	regionPath := "pricing.region"
	regionHas := func(platform string) bool {
		for _, r := range append([]string{region}, regionAliases(region)...) {
			for _, e := range book.Entries {
				if e.Platform == platform && e.Region == r {
					return true
				}
			}
		}
		return false
	}
	known := func(platform string) string {
		return strings.Join(book.Regions(platform), ", ")
	}
	needLambda, needEC2 := false, len(ps.Instances) > 0 || ps.LambdaManaged != nil || ps.CapacityRPS > 0 || sc.Experiments.Capacity != nil
	for _, t := range sc.Targets {
		needLambda = needLambda || scenarios.IsFunctionKind(t.Kind)
	}
	if needLambda && !regionHas(PlatformLambda) {
		c.errf(regionPath, "the price book has no aws-lambda prices for %q (it has %s; add them with pricing.prices)", region, known(PlatformLambda))
	}
	if needEC2 && !regionHas(PlatformEC2) {
		c.errf(regionPath, "the price book has no ec2 prices for %q (it has %s; add them with pricing.prices)", region, known(PlatformEC2))
	}
	instance := func(path, in string) {
		if in == "" {
			return
		}
		if _, err := book.Find(PlatformEC2, region, "", "", in); err != nil {
			c.errf(path, "instance type %q is not in the price book for %s (it has %s; add it with pricing.prices)", in, region, strings.Join(book.Instances(ecRegion(book, region)), ", "))
		}
	}
	for i, in := range ps.Instances {
		instance(fmt.Sprintf("pricing.instances[%d]", i), in)
	}
	for i, s := range sc.Servers {
		instance(fmt.Sprintf("servers[%d].instance", i), s.Instance)
	}
	if regionHas(PlatformLambda) {
		for i, a := range ps.Architectures {
			if _, err := book.Find(PlatformLambda, region, a, "", ""); err != nil {
				c.errf(fmt.Sprintf("pricing.architectures[%d]", i), "the price book has no aws-lambda %s prices for %s", a, region)
			}
		}
	}
	for i, t := range sc.Targets {
		tp := fmt.Sprintf("targets[%d]", i)
		if scenarios.IsFunctionKind(t.Kind) {
			if t.Architecture != "" && regionHas(PlatformLambda) {
				if _, err := book.Find(PlatformLambda, region, t.Architecture, "", ""); err != nil {
					c.errf(tp+".architecture", "the price book has no aws-lambda %s prices for %s", t.Architecture, region)
				}
			}
			if t.APIGateway == "http" {
				if _, err := book.Find(PlatformAPIGatewayHTTP, region, "", "", ""); err != nil {
					c.errf(tp+".api_gateway", "the price book has no API Gateway HTTP API prices for %s (it has %s)", region, known(PlatformAPIGatewayHTTP))
				}
			}
		}
		b := t.Billing
		if b == nil || b.Platform == "" {
			continue
		}
		r := region
		rp := regionPath
		if b.Region != "" {
			r, rp = b.Region, tp+".billing.region"
		}
		plan := ""
		switch b.Platform {
		case PlatformCloudRun:
			plan = "request-based"
		case PlatformAzureFunctions:
			plan = AzurePlanConsumption
			if b.Plan == "flex-consumption" {
				plan = AzurePlanFlex
			}
		}
		if _, err := book.Find(b.Platform, r, "", plan, ""); err != nil {
			c.errf(rp, "the price book has no %s %s prices for %s (it has %s)", b.Platform, plan, r, known(b.Platform))
		}
	}
	if lm := ps.LambdaManaged; lm != nil {
		instances := lm.Instances
		for i, in := range instances {
			path := fmt.Sprintf("pricing.lambda_managed.instances[%d]", i)
			lmi, e, err := book.FindManaged(region, in)
			if err != nil {
				c.errf(path, "%v", err)
				continue
			}
			minN, maxV := lm.MinInstances, lm.MaxVCPU
			if minN == 0 {
				minN = lmi.LambdaManaged.DefaultMinInstances
			}
			if maxV == 0 {
				maxV = lmi.LambdaManaged.MaxVCPU
			}
			if minN*e.EC2.VCPU > maxV {
				c.errf("pricing.lambda_managed.max_vcpu", "%d vCPU cannot hold the minimum of %d × %s (%d vCPU)", maxV, minN, in, minN*e.EC2.VCPU)
			}
		}
		if len(instances) == 0 && !regionHas(PlatformLambdaManaged) {
			c.errf("pricing.lambda_managed", "the price book has no lambda-managed prices for %s (it has %s)", region, known(PlatformLambdaManaged))
		}
	}
}

// ecRegion is the region whose EC2 instance types are listed for region
// (its alias when the book keys EC2 prices under another name).
func ecRegion(book *Book, region string) string {
	for _, r := range append([]string{region}, regionAliases(region)...) {
		if len(book.Instances(r)) > 0 {
			return r
		}
	}
	return region
}
