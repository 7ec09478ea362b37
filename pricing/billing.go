package pricing

import (
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// Per-invocation billing rules that depend on more than the price: when
// Lambda bills a cold start's INIT, and how Azure Functions meters an
// execution's time.

// InitBilled reports whether a cold start's INIT phase is billed for an
// invocation at time t of a function of runtimeKind (a scenarios.Runtime*
// value): always from InitBilledFrom (2025-08-01, when AWS standardised
// INIT billing); before that date for every configuration except a ZIP
// package on an AWS-managed runtime (custom runtimes such as
// provided.al2023, container images and Provisioned Concurrency were
// already billed). A zero t means "now". The date comes from the book,
// which the loader checks, so a bad date is an error here, never a
// silent "billed".
func (l *LambdaRates) InitBilled(t time.Time, runtimeKind string) (bool, error) {
	if runtimeKind != "" && runtimeKind != scenarios.RuntimeManagedZip {
		if !knownRuntimeKind(runtimeKind) {
			return false, fmt.Errorf("runtime kind %q isn't one of %v", runtimeKind, scenarios.RuntimeKinds())
		}
		return true, nil
	}
	from, err := time.Parse(time.DateOnly, l.InitBilledFrom)
	if err != nil {
		return false, fmt.Errorf("lambda rates: init_billed_from %q is not a date (want YYYY-MM-DD)", l.InitBilledFrom)
	}
	return t.IsZero() || !t.Before(from), nil
}

// LegacyInitBilled is the rule before 2025-08-01 for runtimeKind: INIT was
// billed for everything but a managed-runtime ZIP ("" counts as one).
func LegacyInitBilled(runtimeKind string) bool {
	return runtimeKind != "" && runtimeKind != scenarios.RuntimeManagedZip
}

func knownRuntimeKind(k string) bool {
	for _, x := range scenarios.RuntimeKinds() {
		if x == k {
			return true
		}
	}
	return false
}

// runtimeKindFor is the runtime kind priced for a function target: its
// runtime_kind, else custom for local-lambda (the local platform runs
// benchctl function, which deploys to provided.al2023), else managed-zip;
// defaulted reports that the scenario did not say.
func runtimeKindFor(t scenarios.Target) (kind string, defaulted bool) {
	switch {
	case t.RuntimeKind != "":
		return t.RuntimeKind, false
	case t.Kind == scenarios.KindLocalLambda:
		return scenarios.RuntimeCustom, true
	}
	return scenarios.RuntimeManagedZip, true
}

// BilledMs is the time one execution of ms milliseconds is billed for on
// this plan: at least MinDurationMs, and rounded up to RoundingMs (1 ms
// when 0). Consumption: max(100 ms, ceil_1ms(d)); Flex Consumption:
// max(1,000 ms, ceil_100ms(d)), so an isolated 50 ms execution bills
// 1,000 ms.
func (a *AzureRates) BilledMs(ms float64) decimal.Decimal {
	b := ceilTo(ms, max(a.RoundingMs, 1))
	if m := decimal.NewFromInt(int64(a.MinDurationMs)); b.LessThan(m) {
		return m
	}
	return b
}

// initRules decides, per function target of a run, whether a record's INIT
// is billed (InitRuleAuto: by the record's date and the target's runtime
// kind; InitRuleLegacy: the pre-2025-08-01 rule for the runtime kind;
// InitRuleBilled: always), and remembers which targets had INIT left
// unbilled on a runtime kind the scenario did not state, for a note.
type initRules struct {
	name    string
	rules   map[string]func(time.Time) bool
	assumed map[string]bool
}

func newInitRules(name string) *initRules {
	return &initRules{name: name, rules: map[string]func(time.Time) bool{}, assumed: map[string]bool{}}
}

// forTarget is the rule for t's records priced with the lambda entry e.
func (r *initRules) forTarget(e *Entry, t scenarios.Target) (func(time.Time) bool, error) {
	key := t.Name + "|" + e.Key()
	if f, ok := r.rules[key]; ok {
		return f, nil
	}
	kind, defaulted := runtimeKindFor(t)
	var f func(time.Time) bool
	switch r.name {
	case InitRuleBilled:
		f = func(time.Time) bool { return true }
	case InitRuleLegacy:
		billed := LegacyInitBilled(kind)
		f = func(time.Time) bool {
			if !billed && defaulted {
				r.assumed[t.Name] = true
			}
			return billed
		}
	default:
		if _, err := e.Lambda.InitBilled(time.Time{}, kind); err != nil {
			return nil, fmt.Errorf("target %s: %w", t.Name, err)
		}
		from, _ := time.Parse(time.DateOnly, e.Lambda.InitBilledFrom)
		always := LegacyInitBilled(kind)
		f = func(ts time.Time) bool {
			if always || ts.IsZero() || !ts.Before(from) {
				return true
			}
			if defaulted {
				r.assumed[t.Name] = true
			}
			return false
		}
	}
	r.rules[key] = f
	return f, nil
}

// notes says which targets' INIT went unbilled on an assumed runtime kind.
func (r *initRules) notes() []string {
	var out []string
	for name := range r.assumed {
		out = append(out, fmt.Sprintf("%s: runtime_kind not set: records before 2025-08-01 were priced as a ZIP package on a managed runtime, whose INIT was not billed then; set runtime_kind (custom, container, provisioned) if the function was not one", name))
	}
	sort.Strings(out)
	return out
}

// maxRecordMs is the longest duration a record may claim and still be
// priced (a day; Lambda's limit is 15 minutes).
const maxRecordMs = 86_400_000

// plausibleRecord reports whether a record's reported durations are
// finite, non-negative and at most a day: a malformed REPORT line (NaN,
// infinities, absurd values) is left unpriced (and counted as such)
// instead of reaching the decimal arithmetic.
func plausibleRecord(r *results.Record) bool {
	for _, p := range []*float64{r.DurationMs, r.BilledDurationMs, r.InitDurationMs} {
		if p != nil && !(*p >= 0 && *p <= maxRecordMs) {
			return false
		}
	}
	return r.Latency >= 0
}
