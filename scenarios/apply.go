package scenarios

import (
	"errors"
	"io/fs"
	"reflect"
	"sort"
)

func typeOf[T any]() reflect.Type { return reflect.TypeOf((*T)(nil)).Elem() }

func sortStrings(s []string) { sort.Strings(s) }

// unwrapPathErr drops the *fs.PathError wrapper (its path repeats what the
// message already says) and keeps the cause.
func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// applyDefaults fills the fields a valid scenario left out with the
// documented DefaultX values.
func (v *validator) applyDefaults() {
	s := v.s
	if !v.has("seed") {
		s.Seed = DefaultSeed
	}
	pl := &s.Payloads
	hasItems := pl.File != "" || len(pl.Inline) > 0
	if pl.Order == "" {
		pl.Order = DefaultOrder
	}
	if pl.Body == "" && hasItems {
		pl.Body = DefaultBody
	}
	fnArch := map[string]string{}
	applyFunctionDefaults(s.Functions)
	for _, f := range s.Functions {
		fnArch[f.Name] = f.Architecture
	}
	for i := range s.Targets {
		t := &s.Targets[i]
		if t.Timeout == 0 {
			t.Timeout = DefaultTimeout
		}
		if t.MaxBodyBytes == 0 {
			t.MaxBodyBytes = DefaultMaxBodyBytes
		}
		switch t.Kind {
		case "http", "lambda-url":
			if t.Method == "" {
				if t.Body != "" || hasItems || pl.Body != "" {
					t.Method = DefaultMethodWithBody
				} else {
					t.Method = DefaultMethodNoBody
				}
			}
		}
		if IsFunctionKind(t.Kind) && t.Architecture == "" {
			t.Architecture = DefaultArchitecture
			if a := fnArch[t.Function]; t.Kind == "local-lambda" && a != "" {
				t.Architecture = a
			}
		}
		if b := t.Billing; b != nil {
			if b.Plan == "" {
				b.Plan = billingPlans[b.Platform][0]
			}
			if b.Architecture == "" {
				b.Architecture = DefaultArchitecture
			}
		}
	}
	for i := range s.Phases {
		ph := &s.Phases[i]
		if ph.MaxInFlight == 0 {
			ph.MaxInFlight = DefaultMaxInFlight
		}
		tr := &ph.Traffic
		switch tr.Model {
		case "poisson":
			tr.Arrivals = "poisson"
		case "trace":
			if tr.TimeScale == 0 {
				tr.TimeScale = DefaultTimeScale
			}
			if tr.Arrivals == "" {
				tr.Arrivals = DefaultTraceArrivals
			}
		default:
			if tr.Arrivals == "" {
				tr.Arrivals = DefaultArrivals
			}
		}
	}
	e := &s.Experiments
	if ms := e.MemorySweep; ms != nil && len(ms.Phases) == 0 {
		ms.Phases = phaseNames(s.Phases)
	}
	if cs := e.ColdStarts; cs != nil && cs.Samples == 0 {
		cs.Samples = DefaultColdStartSamples
	}
	if c := e.Capacity; c != nil {
		// Each objective the capacity block leaves out comes from the
		// global slo.
		const cp = "experiments.capacity.slo."
		if !v.has(cp + "p50_ms") {
			c.SLO.P50Ms = s.SLO.P50Ms
		}
		if !v.has(cp + "p95_ms") {
			c.SLO.P95Ms = s.SLO.P95Ms
		}
		if !v.has(cp + "p99_ms") {
			c.SLO.P99Ms = s.SLO.P99Ms
		}
		if !v.has(cp + "error_rate") {
			c.SLO.ErrorRate = s.SLO.ErrorRate
		}
		if c.StepDuration == 0 {
			c.StepDuration = DefaultCapacityStepDuration
		}
		if c.Tolerance == 0 {
			c.Tolerance = DefaultCapacityTolerance
		}
		if c.MinSamples == 0 {
			c.MinSamples = DefaultCapacityMinSamples
		}
	}
	pr := &s.Pricing
	if pr.Region == "" {
		pr.Region = DefaultPricingRegion
	}
	if pr.MaxSpend == nil {
		m := DefaultMaxSpendUSD
		pr.MaxSpend = &m
	}
	if pr.Fleet == "" {
		pr.Fleet = DefaultFleet
	}
	if pr.TargetUtilisation == 0 {
		pr.TargetUtilisation = DefaultTargetUtilisation
	}
	if len(pr.Architectures) == 0 {
		pr.Architectures = DefaultArchitectures()
	}
	if pr.Profile.Shape == "" {
		pr.Profile.Shape = DefaultProfileShape
	}
	v.applyConfidenceDefaults()
	if s.Output.Dir == "" {
		s.Output.Dir = DefaultOutputDir
	}
	if len(s.Output.Formats) == 0 {
		s.Output.Formats = DefaultFormats()
	}
}

// applyFunctionDefaults fills a functions block's left-out fields.
func applyFunctionDefaults(fns []Function) {
	for i := range fns {
		f := &fns[i]
		if f.MemorySize == 0 {
			f.MemorySize = DefaultFunctionMemorySize
		}
		if f.Timeout == 0 {
			f.Timeout = DefaultFunctionTimeout
		}
		if f.Architecture == "" {
			f.Architecture = DefaultArchitecture
		}
		if f.IdleTimeout == 0 {
			f.IdleTimeout = DefaultIdleTimeout
		}
	}
}
