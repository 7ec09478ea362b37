package pricing

import (
	"fmt"
	"strings"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// fleetsFor sizes a fleet for each instance type from the measured
// capacity of the reference server.
func fleetsFor(book *Book, sum *results.Summary, sc *scenarios.Scenario) ([]*Fleet, []string, error) {
	ps := settings(sc)
	var capRPS, capLow, capHigh float64
	capBusy := false
	assumption := ""
	refInstance := ""
	var failed []string // capacity searches that found no passing rate
	for _, c := range sum.Experiments.Capacity {
		if c.CapacityRPS <= 0 {
			failed = append(failed, describeFailedSearch(c))
			continue
		}
		capRPS, capLow, capHigh, capBusy = c.CapacityRPS, c.CapacityRPSLow, c.CapacityRPSHi, c.HostBusy
		assumption = fmt.Sprintf("measured: capacity search on %s at p99 ≤ %g ms", c.Target, c.SLOP99Ms)
		if sc != nil {
			for _, t := range sc.Targets {
				if t.Name == c.Target && t.Server != "" {
					for _, s := range sc.Servers {
						if s.Name == t.Server {
							refInstance = s.Instance
						}
					}
				}
			}
		}
		break
	}
	var notes []string
	if capRPS == 0 && ps.CapacityRPS > 0 {
		capRPS = ps.CapacityRPS
		assumption = "given: pricing.capacity_rps in the scenario"
		if len(failed) > 0 {
			assumption += " (the capacity search found no passing rate)"
			notes = append(notes, fmt.Sprintf("%s; fleets are sized from pricing.capacity_rps = %g instead", strings.Join(failed, "; "), ps.CapacityRPS))
		}
	}
	if capRPS == 0 {
		if len(failed) > 0 {
			return nil, []string{fmt.Sprintf("no instance capacity: %s, so no fleet is sized from it (a capacity of 0 prices no fleet) and there are no fleet costs or break-even rows; set pricing.capacity_rps to price fleets with an assumed capacity", strings.Join(failed, "; "))}, nil
		}
		return nil, []string{"no instance capacity: no capacity experiment ran and pricing.capacity_rps is not set, so no fleet costs or break-even rows"}, nil
	}
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
	refVCPU := 0
	if ps.ScaleCapacityByVCPU {
		if refInstance == "" && len(instances) > 0 {
			refInstance = instances[0]
		}
		if e, err := book.Find(PlatformEC2, ps.Region, "", "", refInstance); err == nil {
			refVCPU = e.EC2.VCPU
		}
	}
	var out []*Fleet
	for _, in := range instances {
		e, err := book.Find(PlatformEC2, ps.Region, "", "", in)
		if err != nil {
			return nil, nil, fmt.Errorf("pricing analysis: instance %s: %w", in, err)
		}
		f := &Fleet{Instance: in, Entry: e, CapacityRPS: capRPS, CapacityLow: capLow, CapacityHigh: capHigh,
			Utilisation: ps.TargetUtilisation, MinInstances: ps.MinInstances, NPlusOne: ps.NPlusOne,
			Autoscaled: ps.Fleet == "autoscaled", CapacityAssumption: assumption, HostBusy: capBusy}
		if refVCPU > 0 && e.EC2.VCPU != refVCPU {
			r := float64(e.EC2.VCPU) / float64(refVCPU)
			f.CapacityRPS, f.CapacityLow, f.CapacityHigh = capRPS*r, capLow*r, capHigh*r
			f.CapacityAssumption = assumption + fmt.Sprintf("; scaled by vCPU (%d/%d) from %s, an assumption", e.EC2.VCPU, refVCPU, refInstance)
		} else if refInstance != "" && in != refInstance {
			f.CapacityAssumption = assumption + fmt.Sprintf("; assumed equal to %s's", refInstance)
		} else if refInstance == "" {
			f.CapacityAssumption = assumption + "; the measuring machine stands for this instance type, an assumption"
		}
		if e.EC2.Burstable {
			notes = append(notes, fmt.Sprintf("%s is burstable: sustained inference above its CPU baseline buys surplus credits, included in its fleet cost", in))
		}
		f.Name = f.Describe()
		out = append(out, f)
	}
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
