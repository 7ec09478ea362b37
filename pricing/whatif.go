package pricing

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// WhatIf is a break-even question without a run (benchctl pricing
// breakeven's flags): one serverless configuration against instance
// fleets at a given capacity and traffic profile.
type WhatIf struct {
	Region string
	// The serverless side: a cost per 1M requests (CostPerMillion > 0),
	// else a Lambda configuration (memory, duration, arch) priced from
	// the book.
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
	// APIGateway adds the API Gateway HTTP API fee (metered per started
	// 512 KB of PayloadBytes); EphemeralMB prices /tmp above 512 MB.
	APIGateway   bool
	PayloadBytes int64
	EphemeralMB  int
	// LambdaManaged also prices each Instances type (that Lambda Managed
	// Instances runs) as an LMI fleet, with the capacity provider's
	// ManagedMinInstances (0: 3) and ManagedMaxVCPU (0: 15000).
	LambdaManaged       bool
	ManagedMinInstances int
	ManagedMaxVCPU      int
}

// WhatIfAnalysis is the break-even analysis of w: one serverless
// configuration (a given cost per 1 M, or a Lambda configuration priced
// from the book) against each instance type as a fleet, and as a Lambda
// Managed Instances fleet when w.LambdaManaged.
func (b *Book) WhatIfAnalysis(w WhatIf) (*Analysis, error) {
	prof := ConstantProfile()
	if w.PeakToAverage > 1 {
		var err error
		if prof, err = DiurnalProfile(w.PeakToAverage, w.PeakHours); err != nil {
			return nil, err
		}
	}
	var s *Serverless
	if w.CostPerMillion > 0 {
		per := decimal.NewFromFloat(w.CostPerMillion).Div(decimal.NewFromInt(1_000_000))
		s = &Serverless{Name: fmt.Sprintf("serverless at $%g per 1M", w.CostPerMillion), Platform: "given",
			Entry:   &Entry{Platform: "given", Source: "--cost-per-million", EffectiveDate: "n/a"},
			WarmUSD: per, CILow: 1, CIHigh: 1}
	} else {
		e, err := b.Find(PlatformLambda, w.Region, w.Arch, "", "")
		if err != nil {
			return nil, err
		}
		ms := float64(w.Duration) / float64(time.Millisecond)
		initMs := float64(w.InitDuration) / float64(time.Millisecond)
		gb := GB(w.MemoryMB)
		warm := CeilMs(ms)
		s = &Serverless{Name: fmt.Sprintf("aws-lambda %d MB %s %s", w.MemoryMB, w.Arch, w.Duration), Platform: PlatformLambda,
			Architecture: w.Arch, MemoryMB: w.MemoryMB, Entry: e, FreeTier: w.FreeTier, CILow: 1, CIHigh: 1, EphemeralMB: w.EphemeralMB,
			WarmGBs:      gb.Mul(warm).Div(decimal.NewFromInt(1000)),
			ColdExtraGBs: gb.Mul(CeilMs(ms + initMs).Sub(warm)).Div(decimal.NewFromInt(1000)),
			Cold:         ColdModel{Floor: w.ColdStartRate, Scale: 1}}
	}
	if w.APIGateway {
		g, err := b.Find(PlatformAPIGatewayHTTP, w.Region, "", "", "")
		if err != nil {
			return nil, err
		}
		s.APIGW, s.GatewayUnits = g, float64(g.APIGateway.MeteredRequests(uint64(w.PayloadBytes)))
		s.Name += " + HTTP API"
	}
	var notes []string
	if s.APIGW != nil {
		notes = append(notes, fmt.Sprintf("API Gateway HTTP API fee included: $%s per metered request (each started %d KB of --payload-bytes counts as one; %s effective %s)",
			s.APIGW.APIGateway.RequestTiers[0].USD, s.APIGW.APIGateway.MeteringKB, s.APIGW.Source, s.APIGW.EffectiveDate))
	}
	if s.EphemeralMB > IncludedEphemeralMB {
		notes = append(notes, fmt.Sprintf("ephemeral storage %d MB: the %d MB above 512 MB are billed per GB-s of billed duration (%s per GB-s)",
			s.EphemeralMB, s.EphemeralMB-IncludedEphemeralMB, s.Entry.Lambda.EphemeralGBSecondUSD))
	}
	instances := w.Instances
	if len(instances) == 0 {
		instances = []string{"c7g.large"}
	}
	a := &Analysis{Book: b, Region: w.Region, Profile: prof, Serverless: []*Serverless{s},
		MinMonthlyRequests: DefaultMinMonthlyRequests, MaxMonthlyRequests: DefaultMaxMonthlyRequests, Notes: notes}
	for _, in := range instances {
		e, err := b.Find(PlatformEC2, w.Region, "", "", in)
		if err != nil {
			return nil, err
		}
		f := &Fleet{Instance: in, Entry: e, CapacityRPS: w.CapacityRPS, Utilisation: w.Utilisation,
			MinInstances: w.MinInstances, NPlusOne: w.NPlusOne, Autoscaled: w.Fleet == "autoscaled",
			CapacityAssumption: "given: --capacity-rps"}
		f.Name = f.Describe()
		a.Fleets = append(a.Fleets, f)
		if e.EC2.Burstable {
			a.Notes = append(a.Notes, in+" is burstable: surplus CPU credits (on the 24-hour average CPU above the baseline) are included at the fleet's utilisation")
		}
	}
	if w.LambdaManaged {
		managed, notes, err := b.whatIfManagedFleets(w, instances)
		if err != nil {
			return nil, err
		}
		a.Fleets, a.Notes = append(a.Fleets, managed...), append(a.Notes, notes...)
	}
	a.Notes = append(a.Notes, "traffic profile: "+prof.Label)
	return a, nil
}

// whatIfManagedFleets are the Lambda Managed Instances fleets of
// w.LambdaManaged: each --instance type LMI runs (else m7g.large), at the
// given capacity and utilisation, between the capacity provider's minimum
// and max vCPU.
func (b *Book) whatIfManagedFleets(w WhatIf, instances []string) ([]*Fleet, []string, error) {
	var notes, supported []string
	for _, in := range instances {
		if _, _, err := b.FindManaged(w.Region, in); err != nil {
			notes = append(notes, fmt.Sprintf("Lambda Managed Instances: %s not priced: %v", in, err))
			continue
		}
		supported = append(supported, in)
	}
	if len(supported) == 0 {
		supported = []string{DefaultManagedInstance}
	}
	var out []*Fleet
	for _, in := range supported {
		lmi, e, err := b.FindManaged(w.Region, in)
		if err != nil {
			return nil, nil, err
		}
		minN, maxV := w.ManagedMinInstances, w.ManagedMaxVCPU
		if minN == 0 {
			minN = lmi.LambdaManaged.DefaultMinInstances
		}
		if maxV == 0 {
			maxV = lmi.LambdaManaged.MaxVCPU
		}
		f := &Fleet{Instance: in, Entry: e, CapacityRPS: w.CapacityRPS, Utilisation: w.Utilisation, MinInstances: minN, Autoscaled: true,
			CapacityAssumption: "given: --capacity-rps, per Lambda Managed Instances instance",
			Managed:            &ManagedPricing{Entry: lmi, MaxVCPU: maxV, MaxInstances: maxV / e.EC2.VCPU}}
		f.Name = f.Describe()
		out = append(out, f)
	}
	return out, notes, nil
}
