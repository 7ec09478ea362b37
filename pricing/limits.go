package pricing

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Range is the allowed interval of one numeric pricing input (a flag, a
// scenario field, a usage field): Min ≤ v ≤ Max, or Min < v when MinOpen.
// Unit and Why make the error say what is allowed and where the bounds come
// from, e.g. "must be between 128 and 10240 MB, Lambda's memory range (got
// 100000)". Every pricing input is checked against one before any
// arithmetic, so no NaN, infinity, denormal or absurd magnitude reaches the
// decimal arithmetic (which panics on NaN and infinities) or a loop whose
// length depends on it.
type Range struct {
	Min, Max float64
	// MinOpen excludes Min itself (the value must be greater than Min).
	MinOpen bool
	// Unit follows the bounds in messages ("MB", "requests/s"; may be empty).
	Unit string
	// Why says where the bounds come from ("Lambda's memory range").
	Why string
}

// Contains reports whether v is a finite number inside r.
func (r Range) Contains(v float64) bool {
	if math.IsNaN(v) || math.IsInf(v, 0) || v > r.Max {
		return false
	}
	if r.MinOpen {
		return v > r.Min
	}
	return v >= r.Min
}

// String describes r: "between 128 and 10240 MB", "> 0 and at most 1".
func (r Range) String() string {
	unit := ""
	if r.Unit != "" {
		unit = " " + r.Unit
	}
	var s string
	if r.MinOpen {
		s = fmt.Sprintf("> %s and at most %s%s", fmtNum(r.Min), fmtNum(r.Max), unit)
	} else {
		s = fmt.Sprintf("between %s and %s%s", fmtNum(r.Min), fmtNum(r.Max), unit)
	}
	if r.Why != "" {
		s += ", " + r.Why
	}
	return s
}

// Check returns nil when v is inside r, else an error saying what is
// allowed and what was given ("must be between 128 and 10240 MB, Lambda's
// memory range (got 100000)").
func (r Range) Check(v float64) error {
	if r.Contains(v) {
		return nil
	}
	return fmt.Errorf("must be %s (got %s)", r, fmtNum(v))
}

// CheckInt is Check for an integer input.
func (r Range) CheckInt(v int64) error { return r.Check(float64(v)) }

// fmtNum prints a number compactly and exactly enough to recognise it.
func fmtNum(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// OneOf is the allowed set of a numeric input that takes a few discrete
// values (Azure Flex instance sizes, SageMaker Serverless memory sizes).
type OneOf struct {
	Values []int
	Unit   string
	Why    string
}

// Check returns nil when v is one of the values, else an error listing them.
func (o OneOf) Check(v int) error {
	if slices.Contains(o.Values, v) {
		return nil
	}
	vs := make([]string, len(o.Values))
	for i, x := range o.Values {
		vs[i] = strconv.Itoa(x)
	}
	s := fmt.Sprintf("must be one of [%s]", strings.Join(vs, " "))
	if o.Unit != "" {
		s += " " + o.Unit
	}
	if o.Why != "" {
		s += ", " + o.Why
	}
	return fmt.Errorf("%s (got %d)", s, v)
}

// The allowed ranges of pricing inputs. Flags, scenario fields and the
// usage structs of the cost functions are all checked against these.
var (
	// LambdaMemoryMB is AWS Lambda's configurable memory.
	LambdaMemoryMB = Range{Min: 128, Max: 10240, Unit: "MB", Why: "Lambda's memory range"}
	// LambdaDurationMs bounds one invocation's duration: Lambda's 15-minute timeout.
	LambdaDurationMs = Range{Min: 0, Max: 900_000, Unit: "ms", Why: "Lambda's 15-minute timeout"}
	// InitDurationMs bounds one cold start's INIT phase (15 minutes, the
	// longest Lambda allows, on Managed Instances; 10 s on demand).
	InitDurationMs = Range{Min: 0, Max: 900_000, Unit: "ms", Why: "the longest INIT Lambda allows"}
	// RequestCount bounds a number of requests: 10^15 is about 380 million
	// requests/s for a whole month.
	RequestCount = Range{Min: 0, Max: 1e15, Unit: "requests"}
	// MonthlyRequestsRange bounds a month's volume (about 3.8 million requests/s on average).
	MonthlyRequestsRange = Range{Min: 0, Max: 1e13, Unit: "requests/month"}
	// AverageRPSRange bounds a month's average rate (MonthlyRequestsRange / 730 h).
	AverageRPSRange = Range{Min: 0, Max: 3.8e6, Unit: "requests/s"}
	// HoursRange bounds hours of use in one estimate (a leap year).
	HoursRange = Range{Min: 0, Max: 8784, Unit: "h", Why: "at most a year"}
	// InstanceCount bounds the instances of one estimate.
	InstanceCount = Range{Min: 1, Max: 100_000, Unit: "instances"}
	// MinInstancesRange bounds a fleet's (or a platform's) minimum instances.
	MinInstancesRange = Range{Min: 0, Max: 100_000, Unit: "instances"}
	// ProvisionedConcurrencyRange bounds Lambda Provisioned Concurrency.
	ProvisionedConcurrencyRange = Range{Min: 0, Max: 1_000_000, Unit: "environments"}
	// CloudRunVCPU is Cloud Run's CPU per instance.
	CloudRunVCPU = Range{Min: 0.08, Max: 8, Unit: "vCPU", Why: "Cloud Run's CPU range"}
	// CloudRunMemoryMB is Cloud Run's memory per instance.
	CloudRunMemoryMB = Range{Min: 128, Max: 32768, Unit: "MB", Why: "Cloud Run's memory range (128 MiB to 32 GiB)"}
	// CloudRunConcurrency is Cloud Run's per-instance concurrency (achieved
	// or configured).
	CloudRunConcurrency = Range{Min: 1, Max: 1000, Why: "Cloud Run's per-instance concurrency range"}
	// RequestDurationMs bounds one request's duration on Cloud Run and Azure
	// Functions (an hour, Cloud Run's longest request timeout).
	RequestDurationMs = Range{Min: 0, Max: 3_600_000, Unit: "ms", Why: "at most an hour"}
	// AzureConsumptionMemoryMB is the observed memory the Consumption plan
	// meters (1,536 MB is its per-instance limit).
	AzureConsumptionMemoryMB = Range{Min: 1, Max: 1536, Unit: "MB", Why: "the Consumption plan's 1.5 GB instance limit"}
	// AzureFlexMemoryMB are Flex Consumption's instance memory sizes.
	AzureFlexMemoryMB = OneOf{Values: []int{512, 2048, 4096}, Unit: "MB", Why: "Flex Consumption's instance sizes"}
	// SageMakerMemoryMB are SageMaker Serverless Inference's memory sizes.
	SageMakerMemoryMB = OneOf{Values: []int{1024, 2048, 3072, 4096, 5120, 6144}, Unit: "MB", Why: "SageMaker Serverless Inference's memory sizes"}
	// SageMakerDurationMs bounds one SageMaker Serverless request (60 s processing limit).
	SageMakerDurationMs = Range{Min: 0, Max: 60_000, Unit: "ms", Why: "SageMaker Serverless Inference's 60 s limit"}
	// PayloadBytesRange bounds request + response bytes per request (API
	// Gateway's 10 MB payload limit).
	PayloadBytesRange = Range{Min: 0, Max: 10 << 20, Unit: "bytes", Why: "API Gateway's 10 MB payload limit"}
	// DataGBRange bounds data processed per request (SageMaker Serverless: 4 MB payloads).
	DataGBRange = Range{Min: 0, Max: 1, Unit: "GB"}
	// CPUUtilisationRange is a 24-hour average CPU utilisation (0 to 1).
	CPUUtilisationRange = Range{Min: 0, Max: 1, Why: "a fraction of the instance's CPU"}
	// TargetUtilisationRange is the share of measured capacity a fleet is run at.
	TargetUtilisationRange = Range{Min: 0.01, Max: 1, Why: "a fraction of the measured capacity"}
	// CapacityRPSRange bounds one instance's capacity.
	CapacityRPSRange = Range{Min: 0.001, Max: 1e7, Unit: "requests/s"}
	// CostPerMillionRange bounds a serverless cost per 1M requests.
	CostPerMillionRange = Range{Min: 1e-6, Max: 1e6, Unit: "USD per 1M requests"}
	// ColdStartRateRange is the share of requests that are cold starts.
	ColdStartRateRange = Range{Min: 0, Max: 1, Why: "a share of the requests"}
	// PeakToAverageRange bounds a diurnal profile's peak over its average.
	PeakToAverageRange = Range{Min: 1, Max: 24, Why: "1 is a constant rate"}
	// PeakHoursRange bounds a diurnal profile's daily peak.
	PeakHoursRange = Range{Min: 0.1, Max: 24, Unit: "h", Why: "6 minutes to a whole day"}
	// MaxSpendRange bounds the spend guard's limit.
	MaxSpendRange = Range{Min: 0, Max: 1e6, Unit: "USD"}
	// ManagedMaxVCPU is a Lambda Managed Instances capacity provider's
	// MaxVCpuCount (AWS Lambda API reference: 2 to 15,000).
	ManagedMaxVCPU = Range{Min: 2, Max: 15000, Unit: "vCPU", Why: "a capacity provider's MaxVCpuCount range"}
	// ManagedMinInstances bounds a capacity provider's minimum fleet.
	ManagedMinInstances = Range{Min: 1, Max: 15000, Unit: "instances"}
)

// inputCheck collects the range problems of one set of inputs.
type inputCheck struct{ problems []string }

// in checks field value v against r.
func (c *inputCheck) in(field string, v float64, r Range) {
	if err := r.Check(v); err != nil {
		c.problems = append(c.problems, field+" "+err.Error())
	}
}

// inInt is in for an integer.
func (c *inputCheck) inInt(field string, v int64, r Range) { c.in(field, float64(v), r) }

// failf records a problem that is not a plain range.
func (c *inputCheck) failf(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// err is nil without problems, else one error naming what was checked.
func (c *inputCheck) err(what string) error {
	if len(c.problems) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %s", what, strings.Join(c.problems, "; "))
}
