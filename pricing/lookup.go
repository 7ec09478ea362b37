package pricing

import (
	"strings"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// Target kinds whose records carry platform-billed durations.
func serverlessKind(kind string) bool {
	switch kind {
	case "aws-lambda", "local-lambda", "lambda-url":
		return true
	}
	return false
}

// realCloudKind reports whether requests to a target of this kind cost real money.
func realCloudKind(t scenarios.Target) bool {
	switch t.Kind {
	case "aws-lambda", "lambda-url":
		return true
	case "http":
		return t.Billing != nil && t.Server == "" && !isLoopbackURL(t.URL)
	}
	return false
}

func isLoopbackURL(u string) bool {
	for _, h := range []string{"://127.", "://localhost", "://[::1]"} {
		if strings.Contains(u, h) {
			return true
		}
	}
	return false
}

func targetByName(sc *scenarios.Scenario, name string) (scenarios.Target, bool) {
	if sc == nil {
		return scenarios.Target{}, false
	}
	for _, t := range sc.Targets {
		if t.Name == name {
			return t, true
		}
	}
	return scenarios.Target{}, false
}

func functionFor(sc *scenarios.Scenario, t scenarios.Target) (scenarios.Function, bool) {
	if sc == nil || t.Kind != "local-lambda" {
		return scenarios.Function{}, false
	}
	for _, f := range sc.Functions {
		if f.Name == t.Function {
			return f, true
		}
	}
	return scenarios.Function{}, false
}

// ephemeralFor is the /tmp size priced for a function target and where it
// came from: the target's ephemeral_storage_mb, else its local function's,
// else the size read from the platform (platformEphMB, by target name; see
// AnalyzeOptions.FunctionEphemeralMB), else 512 MB (no charge).
func ephemeralFor(sc *scenarios.Scenario, t scenarios.Target, platformEphMB map[string]int) (int, string) {
	if t.EphemeralStorageMB > 0 {
		return t.EphemeralStorageMB, EphemeralFromScenario
	}
	if fn, ok := functionFor(sc, t); ok && fn.EphemeralStorageMB > 0 {
		return fn.EphemeralStorageMB, EphemeralFromFunction
	}
	if mb := platformEphMB[t.Name]; mb > 0 {
		return mb, EphemeralFromPlatform
	}
	return IncludedEphemeralMB, EphemeralDefault
}

// sloSpecFor is sloFor in the results package's form.
func sloSpecFor(sc *scenarios.Scenario) func(target string) *results.SLOSpec {
	f := sloFor(sc)
	return func(target string) *results.SLOSpec {
		o := f(target)
		if o == nil {
			return nil
		}
		spec := results.SLOSpec(*o)
		return &spec
	}
}

// sloFor returns each target's SLO (scenarios.Scenario.SLOFor).
func sloFor(sc *scenarios.Scenario) func(target string) *scenarios.SLO {
	return sc.SLOFor
}

// ProfileVolume is the monthly volume of the scenario's traffic profile
// (monthly_requests, or average_rps × 730 h), 0 when it gives neither.
func ProfileVolume(sc *scenarios.Scenario) float64 {
	if sc == nil {
		return 0
	}
	p := sc.Pricing.Profile
	if p.MonthlyRequests > 0 {
		return p.MonthlyRequests
	}
	return MonthlyRequests(p.AverageRPS)
}

func ephemeralSourceText(source string) string {
	switch source {
	case EphemeralFromScenario:
		return "the target's ephemeral_storage_mb"
	case EphemeralFromFunction:
		return "the scenario's functions block"
	case EphemeralFromPlatform:
		return "the function's configuration"
	}
	return "the default"
}
