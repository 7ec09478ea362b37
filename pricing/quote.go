package pricing

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Query is one what-if estimate (benchctl pricing estimate): a platform,
// its configuration and a usage. Fields a platform does not use are
// ignored; the caller checks ranges (the Range values of this package).
type Query struct {
	Platform string
	Region   string
	Arch     string
	Plan     string
	MemoryMB int
	Duration time.Duration
	Requests int64
	FreeTier bool
	// Lambda extras.
	ColdStarts             int64
	InitDuration           time.Duration
	LegacyInit             bool
	EphemeralMB            int
	APIGateway             bool
	PayloadBytes           int64
	ProvisionedConcurrency int
	ProvisionedHours       float64
	ProvisionedRequests    int64
	ProvisionedDuration    time.Duration
	// RuntimeKind decides, with LegacyInit, whether INIT is billed
	// (scenarios.Runtime*).
	RuntimeKind string
	// Cloud Run (MinInstances is also Azure Flex's always-ready count and
	// Lambda Managed Instances' minimum fleet).
	VCPU         float64
	Concurrency  float64
	MinInstances int
	// EC2.
	Instance  string
	Instances int
	Hours     float64
	// CPUUtilisation is a burstable type's 24-hour average CPU
	// utilisation (0..1); negative when not given.
	CPUUtilisation float64
	// InstancesSet is true when Instances was given (lambda-managed
	// defaults to the capacity provider's minimum otherwise).
	InstancesSet bool
}

// Quote prices q from the book: the line items, their entries and the
// notes of q's platform (Lambda, Cloud Run, Azure Functions, EC2, Lambda
// Managed Instances, SageMaker Serverless Inference).
func (b *Book) Quote(q Query) (Estimate, error) {
	durMs := float64(q.Duration) / float64(time.Millisecond)
	var est Estimate
	switch q.Platform {
	case PlatformLambda:
		e, err := b.Find(PlatformLambda, q.Region, q.Arch, "", "")
		if err != nil {
			return est, err
		}
		var apigw *Entry
		if q.APIGateway {
			if apigw, err = b.Find(PlatformAPIGatewayHTTP, q.Region, "", "", ""); err != nil {
				return est, err
			}
		}
		u := LambdaUsage{Requests: q.Requests, MemoryMB: q.MemoryMB, DurationMs: durMs, ColdStarts: q.ColdStarts,
			InitMs: float64(q.InitDuration) / float64(time.Millisecond), InitBilled: !q.LegacyInit || LegacyInitBilled(q.RuntimeKind), EphemeralMB: q.EphemeralMB,
			FreeTier: q.FreeTier, APIGateway: q.APIGateway, PayloadBytes: q.PayloadBytes}
		if q.ProvisionedConcurrency > 0 {
			u.ProvisionedConcurrency, u.ProvisionedHours = q.ProvisionedConcurrency, q.ProvisionedHours
			u.ProvisionedRequests = q.ProvisionedRequests
			u.ProvisionedDurationMs = float64(q.ProvisionedDuration) / float64(time.Millisecond)
		}
		est, err = LambdaCost(e, apigw, u)
		if err != nil {
			return est, err
		}
	case PlatformCloudRun:
		e, err := b.Find(PlatformCloudRun, q.Region, "", "request-based", "")
		if err != nil {
			return est, err
		}
		est, err = CloudRunCost(e, CloudRunUsage{Requests: q.Requests, DurationMs: durMs, VCPU: q.VCPU,
			MemoryMB: q.MemoryMB, Concurrency: q.Concurrency, FreeTier: q.FreeTier,
			MinInstances: q.MinInstances, IdleHours: q.Hours})
		if err != nil {
			return est, err
		}
	case PlatformAzureFunctions:
		plan := q.Plan
		if plan == "" {
			plan = "consumption"
		}
		if plan == "flex-consumption" {
			plan = "flex"
		}
		e, err := b.Find(PlatformAzureFunctions, q.Region, "", plan, "")
		if err != nil {
			return est, err
		}
		u := AzureUsage{Executions: q.Requests, DurationMs: durMs, MemoryMB: q.MemoryMB, FreeTier: q.FreeTier}
		if plan == "flex" && q.MinInstances > 0 {
			u.AlwaysReady, u.AlwaysReadyHours = q.MinInstances, q.Hours
		}
		est, err = AzureCost(e, u)
		if err != nil {
			return est, err
		}
	case PlatformEC2:
		e, err := b.Find(PlatformEC2, q.Region, "", "", q.Instance)
		if err != nil {
			return est, err
		}
		est, err = ec2Quote(e, q)
		if err != nil {
			return est, err
		}
	case PlatformLambdaManaged:
		lmi, e, err := b.FindManaged(q.Region, q.Instance)
		if err != nil {
			return est, err
		}
		u := ManagedUsage{Instances: q.Instances, Hours: q.Hours, Requests: q.Requests, MinInstances: q.MinInstances}
		if !q.InstancesSet {
			// Unset: the capacity provider's minimum fleet.
			u.Instances = max(q.MinInstances, lmi.LambdaManaged.DefaultMinInstances)
			if q.MinInstances > 0 {
				u.Instances = q.MinInstances
			}
		}
		if est, err = ManagedCost(lmi, e, u); err != nil {
			return est, err
		}
	case PlatformSageMakerServerless:
		e, err := b.Find(PlatformSageMakerServerless, q.Region, "", "", "")
		if err != nil {
			return est, err
		}
		if est, err = SageMakerCost(e, SageMakerUsage{Requests: q.Requests, MemoryMB: q.MemoryMB, DurationMs: durMs, PayloadBytes: q.PayloadBytes}); err != nil {
			return est, err
		}
	default:
		return est, fmt.Errorf("platform %q cannot be estimated", q.Platform)
	}
	return est, nil
}

// ec2Quote prices q.Instances of q.Instance for q.Hours. A burstable
// type is priced at q.CPUUtilisation (its 24-hour average CPU); without it
// (negative) it is priced at its baseline (no surplus credits), and a
// note gives the cost at 100% CPU, so the estimate never assumes a load
// nobody stated.
func ec2Quote(e *Entry, q Query) (Estimate, error) {
	util := q.CPUUtilisation
	if util >= 0 || !e.EC2.Burstable {
		return EC2Cost(e, q.Instances, q.Hours, max(util, 0))
	}
	est, err := EC2Cost(e, q.Instances, q.Hours, 0)
	if err != nil {
		return est, err
	}
	full, err := EC2Cost(e, q.Instances, q.Hours, 1)
	if err != nil {
		return est, err
	}
	est.Notes = append(est.Notes, fmt.Sprintf("CPU utilisation not given (--cpu-utilisation): priced at or below the %s%% baseline, with no surplus credits; at 100%% CPU around the clock it would cost $%s",
		e.EC2.BaselinePerVCPU.Mul(decimal.NewFromInt(100)), full.TotalUSD.StringFixed(2)))
	return est, nil
}
