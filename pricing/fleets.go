package pricing

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// measuredCapacity is the capacity that sizes fleets: the first capacity
// search (of target, when not empty) that found a passing rate, else
// pricing.capacity_rps. It says where the figure came from, which server's
// instance type the measuring machine stands for, and notes.
type measuredCapacity struct {
	rps, low, high float64
	assumption     string
	refInstance    string
	// hostBusy: the capacity search ran while the host was busy.
	hostBusy bool
	notes    []string
	// none explains why there is no capacity (rps 0).
	none string
}

func capacityFor(sum *results.Summary, sc *scenarios.Scenario, target string) measuredCapacity {
	ps := settings(sc)
	var mc measuredCapacity
	var failed []string // capacity searches that found no passing rate
	for _, c := range sum.Experiments.Capacity {
		if target != "" && c.Target != target {
			continue
		}
		if c.CapacityRPS <= 0 {
			failed = append(failed, describeFailedSearch(c))
			continue
		}
		mc.rps, mc.low, mc.high, mc.hostBusy = c.CapacityRPS, c.CapacityRPSLow, c.CapacityRPSHi, c.HostBusy
		mc.assumption = fmt.Sprintf("measured: capacity search on %s at p99 ≤ %g ms", c.Target, c.SLOP99Ms)
		if sc != nil {
			for _, t := range sc.Targets {
				if t.Name == c.Target && t.Server != "" {
					for _, s := range sc.Servers {
						if s.Name == t.Server {
							mc.refInstance = s.Instance
						}
					}
				}
			}
		}
		break
	}
	if mc.rps == 0 && ps.CapacityRPS > 0 {
		mc.rps = ps.CapacityRPS
		mc.assumption = "given: pricing.capacity_rps in the scenario"
		if len(failed) > 0 {
			mc.assumption += " (the capacity search found no passing rate)"
			mc.notes = append(mc.notes, fmt.Sprintf("%s; fleets are sized from pricing.capacity_rps = %g instead", strings.Join(failed, "; "), ps.CapacityRPS))
		}
	}
	if mc.rps == 0 {
		if len(failed) > 0 {
			mc.none = fmt.Sprintf("no instance capacity: %s, so no fleet is sized from it (a capacity of 0 prices no fleet) and there are no fleet costs or break-even rows; set pricing.capacity_rps to price fleets with an assumed capacity", strings.Join(failed, "; "))
		} else {
			mc.none = "no instance capacity: no capacity experiment ran and pricing.capacity_rps is not set, so no fleet costs or break-even rows"
		}
	}
	return mc
}

// sized sets f's capacity from mc for its instance type: the measured
// capacity, or with scale_capacity_by_vcpu one scaled by vCPU count from
// the reference type (refVCPU), labelled as the assumption it is.
func (mc measuredCapacity) sized(f *Fleet, refVCPU int) {
	f.CapacityRPS, f.CapacityLow, f.CapacityHigh = mc.rps, mc.low, mc.high
	f.CapacityAssumption, f.HostBusy = mc.assumption, mc.hostBusy
	switch e := f.Entry.EC2; {
	case refVCPU > 0 && e.VCPU != refVCPU:
		r := float64(e.VCPU) / float64(refVCPU)
		f.CapacityRPS, f.CapacityLow, f.CapacityHigh = mc.rps*r, mc.low*r, mc.high*r
		f.CapacityAssumption = mc.assumption + fmt.Sprintf("; scaled by vCPU (%d/%d) from %s, an assumption", e.VCPU, refVCPU, mc.refInstance)
	case mc.refInstance != "" && f.Instance != mc.refInstance:
		f.CapacityAssumption = mc.assumption + fmt.Sprintf("; assumed equal to %s's", mc.refInstance)
	case mc.refInstance == "":
		f.CapacityAssumption = mc.assumption + "; the measuring machine stands for this instance type, an assumption"
	}
}

// refVCPU is the vCPU count capacity is scaled from with
// scale_capacity_by_vcpu (0: no scaling).
func refVCPU(book *Book, ps scenarios.PricingSettings, mc *measuredCapacity, instances []string) int {
	if !ps.ScaleCapacityByVCPU {
		return 0
	}
	if mc.refInstance == "" && len(instances) > 0 {
		mc.refInstance = instances[0]
	}
	if e, err := book.Find(PlatformEC2, ps.Region, "", "", mc.refInstance); err == nil {
		return e.EC2.VCPU
	}
	return 0
}

// fleetsFor sizes a fleet for each instance type from the measured
// capacity of the reference server, and, with pricing.lambda_managed, a
// Lambda Managed Instances fleet for each of its types.
func fleetsFor(book *Book, sum *results.Summary, sc *scenarios.Scenario) ([]*Fleet, []string, error) {
	ps := settings(sc)
	mc := capacityFor(sum, sc, "")
	if mc.rps == 0 {
		return nil, []string{mc.none}, nil
	}
	notes := mc.notes
	instances := ps.Instances
	if len(instances) == 0 && sc != nil {
		for _, s := range sc.Servers {
			if s.Instance != "" {
				instances = append(instances, s.Instance)
			}
		}
	}
	if len(instances) == 0 {
		instances = []string{"c7g.large", "c7i.large"}
	}
	ref := refVCPU(book, ps, &mc, instances)
	var out []*Fleet
	for _, in := range instances {
		e, err := book.Find(PlatformEC2, ps.Region, "", "", in)
		if err != nil {
			return nil, nil, fmt.Errorf("pricing analysis: instance %s: %w", in, err)
		}
		f := &Fleet{Instance: in, Entry: e, Utilisation: ps.TargetUtilisation, MinInstances: ps.MinInstances, NPlusOne: ps.NPlusOne,
			Autoscaled: ps.Fleet == "autoscaled"}
		mc.sized(f, ref)
		if e.EC2.Burstable {
			notes = append(notes, fmt.Sprintf("%s is burstable: sustained inference above its CPU baseline buys surplus credits (charged on the 24-hour average), included in its fleet cost", in))
		}
		f.Name = f.Describe()
		out = append(out, f)
	}
	managed, mnotes, err := managedFleetsFor(book, sum, sc, instances)
	if err != nil {
		return nil, nil, err
	}
	return append(out, managed...), append(notes, mnotes...), nil
}

// DefaultManagedInstance is the Lambda Managed Instances type priced when
// neither pricing.lambda_managed.instances nor pricing.instances names one
// it supports.
const DefaultManagedInstance = "m7g.large"

// managedFleetsFor sizes the Lambda Managed Instances fleets of
// pricing.lambda_managed from the capacity search it names (or the
// first), each type at the provider's minimum, max vCPU and utilisation.
// Types of pricing.instances that LMI cannot run (GPU, burstable, other
// families) are skipped with a note when the block lists none itself.
func managedFleetsFor(book *Book, sum *results.Summary, sc *scenarios.Scenario, fleetInstances []string) ([]*Fleet, []string, error) {
	ps := settings(sc)
	lm := ps.LambdaManaged
	if lm == nil {
		return nil, nil, nil
	}
	mc := capacityFor(sum, sc, lm.CapacityTarget)
	if mc.rps == 0 {
		return nil, []string{"Lambda Managed Instances: " + mc.none}, nil
	}
	notes := mc.notes
	instances := lm.Instances
	explicit := len(instances) > 0
	if !explicit {
		for _, in := range fleetInstances {
			if _, _, err := book.FindManaged(ps.Region, in); err == nil {
				instances = append(instances, in)
			} else {
				notes = append(notes, fmt.Sprintf("Lambda Managed Instances: %s not priced: %v", in, err))
			}
		}
		if len(instances) == 0 {
			instances = []string{DefaultManagedInstance}
		}
	}
	util := lm.TargetUtilisation
	if util == 0 {
		util = ps.TargetUtilisation
	}
	ref := refVCPU(book, ps, &mc, instances)
	var out []*Fleet
	for _, in := range instances {
		lmi, e, err := book.FindManaged(ps.Region, in)
		if err != nil {
			return nil, nil, fmt.Errorf("pricing analysis: lambda managed instances %s: %w", in, err)
		}
		r := lmi.LambdaManaged
		minN := lm.MinInstances
		if minN == 0 {
			minN = r.DefaultMinInstances
		}
		maxV := lm.MaxVCPU
		if maxV == 0 {
			maxV = r.MaxVCPU
		}
		f := &Fleet{Instance: in, Entry: e, Utilisation: util, MinInstances: minN, Autoscaled: true,
			Managed: &ManagedPricing{Entry: lmi, MaxVCPU: maxV, MaxInstances: maxV / e.EC2.VCPU}}
		mc.sized(f, ref)
		f.CapacityAssumption += "; one Lambda Managed Instances instance of this type is assumed to serve what the measured target served"
		f.Name = f.Describe()
		out = append(out, f)
	}
	notes = append(notes, fmt.Sprintf("Lambda Managed Instances fleets are priced at the EC2 on-demand price + the %s%% management fee + the request fee, autoscaled hour by hour between the capacity provider's minimum and its max vCPU, and hold at least half of the next hour's instances before a step up (traffic that more than doubles within %d minutes may be throttled); scale-in and Savings Plans are not modelled",
		out[0].Managed.Entry.LambdaManaged.ManagementFee.Mul(decimal.NewFromInt(100)), out[0].Managed.Entry.LambdaManaged.ScaleDoublingMinutes))
	return out, notes, nil
}

// describeFailedSearch says what a capacity search that found capacity 0
// did: the SLO it held the server to, the lowest rate it offered and why it
// stopped.
func describeFailedSearch(c results.CapacityResult) string {
	slo := fmt.Sprintf("p99 ≤ %g ms", c.SLOP99Ms)
	if c.SLOErrorRate > 0 {
		slo += fmt.Sprintf(", error rate ≤ %g%%", c.SLOErrorRate*100)
	}
	s := fmt.Sprintf("the capacity search on %s found no rate that passed its SLO (%s)", c.Target, slo)
	lowest := c.MinRPS
	for _, st := range c.Steps {
		if lowest <= 0 || (st.OfferedRPS > 0 && st.OfferedRPS < lowest) {
			lowest = st.OfferedRPS
		}
	}
	switch {
	case len(c.Steps) == 0:
		s += ", measuring no step"
	case lowest > 0:
		s += fmt.Sprintf(", not even its lowest rate, %g requests/s", lowest)
	}
	if c.LimitedBy != "" {
		s += " (limited by " + c.LimitedBy + ")"
	}
	return s
}
