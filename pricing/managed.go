package pricing

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/shopspring/decimal"
)

// ManagedPricing makes a Fleet a Lambda Managed Instances (LMI) fleet: the
// instances are EC2 instances AWS runs for a capacity provider, billed at
// the on-demand price of the ec2 entry + the management fee on it + a fee
// per request (the lambda-managed entry). A month costs
//
//	Σ_k n_k × hourly × (1 + fee) × 730/K + V × request_fee
//
// with n_k held hour by hour between the provider's minimum (Fleet's
// MinInstances, three by default) and MaxInstances, and pre-scaled for
// the documented scaling rate (see Fleet.slotCounts).
type ManagedPricing struct {
	// Entry is the lambda-managed entry (same region and architecture).
	Entry *Entry
	// MaxInstances is the provider's MaxVCpuCount / the type's vCPUs.
	MaxInstances int
	// MaxVCPU is the provider's MaxVCpuCount.
	MaxVCPU int
}

// instanceFamily is the letters before the generation digit of an
// instance type ("m7g.large" → "m", "inf2.xlarge" → "inf").
func instanceFamily(instance string) string {
	name, _, _ := strings.Cut(instance, ".")
	i := strings.IndexFunc(name, unicode.IsDigit)
	if i < 0 {
		return name
	}
	return name[:i]
}

// ManagedSupports checks that the ec2 entry's instance type can run on
// Lambda Managed Instances per the lambda-managed entry: an instance
// family it lists (C, M, R), no accelerator, not burstable, the same
// architecture.
func ManagedSupports(lmi, ec2 *Entry) error {
	if lmi == nil || lmi.LambdaManaged == nil || ec2 == nil || ec2.EC2 == nil {
		return errors.New("lambda managed instances: need a lambda-managed entry and an ec2 entry")
	}
	m := lmi.LambdaManaged
	fam := instanceFamily(ec2.Instance)
	switch {
	case ec2.EC2.Accelerator != "":
		return fmt.Errorf("%s has an accelerator (%s): Lambda Managed Instances runs on the %s instance families, without GPUs or inference chips", ec2.Instance, ec2.EC2.Accelerator, strings.Join(m.InstanceFamilies, ", "))
	case ec2.EC2.Burstable:
		return fmt.Errorf("%s is a burstable type: Lambda Managed Instances runs on the %s instance families", ec2.Instance, strings.Join(m.InstanceFamilies, ", "))
	}
	ok := false
	for _, f := range m.InstanceFamilies {
		ok = ok || f == fam
	}
	if !ok {
		return fmt.Errorf("%s (family %s) is not one of the instance families Lambda Managed Instances runs on: %s", ec2.Instance, fam, strings.Join(m.InstanceFamilies, ", "))
	}
	if ec2.Architecture != lmi.Architecture {
		return fmt.Errorf("%s is %s but the lambda-managed entry is %s", ec2.Instance, ec2.Architecture, lmi.Architecture)
	}
	return nil
}

// FindManaged returns the lambda-managed entry and the ec2 entry for an
// LMI fleet of instance in region, checking the type is supported.
func (b *Book) FindManaged(region, instance string) (lmi, ec2 *Entry, err error) {
	ec2, err = b.Find(PlatformEC2, region, "", "", instance)
	if err != nil {
		return nil, nil, err
	}
	lmi, err = b.Find(PlatformLambdaManaged, ec2.Region, ec2.Architecture, "", "")
	if err != nil {
		return nil, nil, err
	}
	if err := ManagedSupports(lmi, ec2); err != nil {
		return nil, nil, err
	}
	return lmi, ec2, nil
}

// ManagedUsage is an estimate's use of Lambda Managed Instances.
type ManagedUsage struct {
	// Instances of the type run for Hours hours.
	Instances int
	Hours     float64
	Requests  int64
	// MinInstances is the capacity provider's minimum (0: the entry's
	// default, three); Instances may not be fewer.
	MinInstances int
	// MaxVCPU is the provider's MaxVCpuCount (0: the entry's limit).
	MaxVCPU int
}

// ManagedCost itemises u on Lambda Managed Instances, each line naming its
// entry:
//
//	instances × hours × hourly                       (ec2 entry)
//	+ that × management_fee                          (lambda-managed entry)
//	+ requests × request_fee                         (lambda-managed entry)
//
// e.g. 3 × m7g.large ($0.0816/h) for 730 h + 15% + 10M requests
// = 178.704 + 26.8056 + 2.00 = $207.51.
func ManagedCost(lmi, ec2 *Entry, u ManagedUsage) (Estimate, error) {
	if err := ManagedSupports(lmi, ec2); err != nil {
		return Estimate{}, err
	}
	m := lmi.LambdaManaged
	var c inputCheck
	c.inInt("instances", int64(u.Instances), InstanceCount)
	c.in("hours", u.Hours, HoursRange)
	c.inInt("requests", u.Requests, RequestCount)
	if u.MinInstances != 0 {
		c.inInt("min_instances", int64(u.MinInstances), ManagedMinInstances)
	}
	if u.MaxVCPU != 0 {
		c.inInt("max_vcpu", int64(u.MaxVCPU), ManagedMaxVCPU)
	}
	if err := c.err("lambda managed instances usage"); err != nil {
		return Estimate{}, err
	}
	minN := u.MinInstances
	if minN == 0 {
		minN = m.DefaultMinInstances
	}
	maxV := u.MaxVCPU
	if maxV == 0 {
		maxV = m.MaxVCPU
	}
	switch {
	case u.Instances < minN:
		return Estimate{}, fmt.Errorf("lambda managed instances: %d instances is below the capacity provider's minimum of %d (it keeps %d by default, one per Availability Zone; give a smaller minimum to price one configured so)", u.Instances, minN, m.DefaultMinInstances)
	case u.Instances*ec2.EC2.VCPU > maxV:
		return Estimate{}, fmt.Errorf("lambda managed instances: %d × %s = %d vCPU exceeds the capacity provider's max of %d vCPU", u.Instances, ec2.Instance, u.Instances*ec2.EC2.VCPU, maxV)
	}
	est := Estimate{PriceBook: lmi.Ref(), Extra: []Ref{ec2.Ref()}}
	hours := decimal.NewFromInt(int64(u.Instances)).Mul(decimal.NewFromFloat(u.Hours))
	ec2USD := hours.Mul(ec2.EC2.HourlyUSD)
	est.addFrom(ec2.Name(), ec2.Instance+" instances (EC2 on-demand)", hours, "instance-hours", ec2.EC2.HourlyUSD)
	est.addFrom(lmi.Name(), fmt.Sprintf("management fee (%s%% of the EC2 price)", m.ManagementFee.Mul(decimal.NewFromInt(100))), ec2USD, "USD", m.ManagementFee)
	est.addFrom(lmi.Name(), "requests", decimal.NewFromInt(u.Requests), "requests", m.RequestUSD)
	est.Notes = append(est.Notes, fmt.Sprintf("a capacity provider keeps at least %d instances (default %d, one per Availability Zone) and absorbs traffic that at most doubles within %d minutes; EC2 Savings Plans and Reserved Instances apply to the instance part, not priced here", minN, m.DefaultMinInstances, m.ScaleDoublingMinutes))
	return est, nil
}
