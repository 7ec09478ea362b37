package results

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Decision is summary.json's `decision`: the answer benchctl exists for, at
// the scenario's traffic profile (pricing.profile): which option, at what
// monthly cost, and at what volume the answer flips, with what the answer
// rests on. pricing.Decide fills it from the priced summary (monthly costs,
// break-even rows, the phases' p99 and SLO results); the report's headline,
// its decision table and the terminal output of `benchctl run` all render
// from it, so they agree.
type Decision struct {
	// MonthlyRequests and AverageRPS are the profile's volume (requests per
	// 730-hour month, and the average rate); 0 when the scenario sets no
	// profile (the options are then not priced for a month).
	MonthlyRequests float64 `json:"monthly_requests"`
	AverageRPS      float64 `json:"average_rps"`
	// Profile describes the profile's shape ("diurnal: 8 h/day at 3× the average").
	Profile string `json:"profile,omitempty"`
	// Recommended is the option (DecisionOption.Option) to choose: the
	// cheapest at the profile among those meeting the SLO (empty when none
	// was priced or none meets it).
	Recommended string `json:"recommended,omitempty"`
	// Serverless is the cheapest serverless configuration meeting the SLO:
	// every break-even volume of the decision is against it.
	Serverless string `json:"serverless,omitempty"`
	// AlwaysOn is the cheapest always-on option meeting the SLO (a fleet of
	// instances or Lambda Managed Instances); empty when none was priced.
	AlwaysOn string `json:"always_on,omitempty"`
	// Flip is where the answer flips: with a serverless recommendation, the
	// lowest volume at which an always-on option meeting the SLO becomes
	// cheaper (its AlwaysOn names which; the break-even against AlwaysOn
	// when none does in the range searched); with an always-on
	// recommendation, its break-even against Serverless. Nil when either
	// family is missing.
	Flip *DecisionBreakEven `json:"flip,omitempty"`
	// BreakEvenMinMonthlyRequests and BreakEvenMaxMonthlyRequests are the
	// volumes the break-even search covered: "no crossing" means none in
	// this range.
	BreakEvenMinMonthlyRequests float64 `json:"break_even_min_monthly_requests,omitempty"`
	BreakEvenMaxMonthlyRequests float64 `json:"break_even_max_monthly_requests,omitempty"`
	// Options are every option priced at the profile, cheapest first: the
	// serverless configurations, the instance fleets and Lambda Managed
	// Instances, each with its SLO outcome.
	Options []DecisionOption `json:"options"`
	// Flags are what the figures rest on that a reader must know (see the
	// Flag constants): the generator fell behind, an SLO failed, synthetic
	// weights, recalled prices, an interrupted run.
	Flags []Flag `json:"flags,omitempty"`
	// PriceBook is the price book the options were priced with.
	PriceBook *PriceBookInfo `json:"price_book,omitempty"`
	// PricesUsed are the price-book entries behind the figures, each with
	// its confidence; RecalledPrices counts those marked recalled.
	PricesUsed     []PriceUsed `json:"prices_used,omitempty"`
	RecalledPrices int         `json:"recalled_prices"`
}

// DecisionOption is one option of the decision table.
type DecisionOption struct {
	// Option is the option's name as in monthly_cost; Kind is
	// OptionServerless, OptionFleet or OptionLambdaManaged.
	Option string `json:"option"`
	Kind   string `json:"kind"`
	// Recommended marks the option Decision.Recommended names.
	Recommended bool `json:"recommended,omitempty"`
	// What the option is: the serverless configuration's target, platform,
	// memory and architecture, or the instance type of a fleet.
	Target       string `json:"target,omitempty"`
	Platform     string `json:"platform,omitempty"`
	Architecture string `json:"architecture,omitempty"`
	MemoryMB     int    `json:"memory_mb,omitempty"`
	Instance     string `json:"instance,omitempty"`
	// APIGateway is set when the configuration includes the API Gateway
	// HTTP API fee ("http").
	APIGateway string `json:"api_gateway,omitempty"`
	// MonthlyCostUSD (with its interval) at the profile, and the same per
	// 1M requests of the profile.
	MonthlyCostUSD    float64 `json:"monthly_cost_usd"`
	MonthlyCostLow    float64 `json:"monthly_cost_usd_low,omitempty"`
	MonthlyCostHigh   float64 `json:"monthly_cost_usd_high,omitempty"`
	CostPerMillionUSD float64 `json:"cost_per_million_usd"`
	// P99Ms is the measured p99 latency (from the intended send) behind
	// the option, and P99From the phase it comes from ("fn / sweep
	// memory_mb=1024"); nil when nothing measured it (an assumed capacity).
	P99Ms   *float64 `json:"p99_ms,omitempty"`
	P99From string   `json:"p99_from,omitempty"`
	// SLO is the option's SLO outcome (SLOPass, SLOFail, SLONone,
	// SLOAssumed, SLONotMeasured) and SLOViolations why it failed.
	SLO           string   `json:"slo"`
	SLOViolations []string `json:"slo_violations,omitempty"`
	// BreakEven is the break-even of an always-on option against
	// Decision.Serverless (nil for serverless options).
	BreakEven *DecisionBreakEven `json:"break_even,omitempty"`
	// PriceConfidence is PriceSourced or PriceRecalled.
	PriceConfidence string `json:"price_confidence,omitempty"`
	// HostBusy is set when a figure the option is priced from was measured
	// while the host was busy (MonthlyCostRow.HostBusy).
	HostBusy bool `json:"host_busy,omitempty"`
}

// SLO outcomes of an option (DecisionOption.SLO).
const (
	// SLOPass: the measured phases behind the option met the SLO.
	SLOPass = "pass"
	// SLOFail: they did not.
	SLOFail = "fail"
	// SLONone: the scenario sets no SLO for the option's target.
	SLONone = "none"
	// SLOAssumed: nothing measured the option; its capacity is assumed to
	// hold the SLO (pricing.capacity_rps).
	SLOAssumed = "assumed"
	// SLONotMeasured: no measured phase behind the option was found.
	SLONotMeasured = "not_measured"
)

// MeetsSLO reports whether an option may be recommended: it met the SLO,
// no SLO was set, or its capacity was given as one that holds it.
func (o DecisionOption) MeetsSLO() bool {
	return o.SLO == SLOPass || o.SLO == SLONone || o.SLO == SLOAssumed
}

// DecisionBreakEven is a break-even summarised for a decision: between a
// serverless configuration and an always-on option.
type DecisionBreakEven struct {
	// Serverless and AlwaysOn name the two options (as in monthly_cost).
	Serverless string `json:"serverless"`
	AlwaysOn   string `json:"always_on"`
	// Outcome is one of the BreakEven constants.
	Outcome string `json:"outcome"`
	// MonthlyRequests is the volume where the answer flips (0 when the
	// outcome has none), AverageRPS the same as a rate; Low and High its 95%
	// interval from the cost intervals (0 when unknown).
	MonthlyRequests     float64 `json:"monthly_requests,omitempty"`
	AverageRPS          float64 `json:"average_rps,omitempty"`
	MonthlyRequestsLow  float64 `json:"monthly_requests_low,omitempty"`
	MonthlyRequestsHigh float64 `json:"monthly_requests_high,omitempty"`
	// Crossings is how many times the two cost curves cross in the
	// searched range (a fleet's cost grows in steps).
	Crossings int `json:"crossings"`
}

// Break-even outcomes (DecisionBreakEven.Outcome).
const (
	// BreakEvenServerlessBelow: serverless is cheaper below MonthlyRequests.
	BreakEvenServerlessBelow = "serverless_cheaper_below"
	// BreakEvenServerlessAbove: the always-on option is cheaper below
	// MonthlyRequests, serverless above it.
	BreakEvenServerlessAbove = "serverless_cheaper_above"
	// BreakEvenServerlessAlways: no crossing in the searched range;
	// serverless is cheaper throughout.
	BreakEvenServerlessAlways = "serverless_always_cheaper"
	// BreakEvenAlwaysOnAlways: no crossing; the always-on option is
	// cheaper throughout.
	BreakEvenAlwaysOnAlways = "always_on_always_cheaper"
	// BreakEvenNoCrossing: no crossing in the range, and which is cheaper
	// is not known (no monthly cost of both).
	BreakEvenNoCrossing = "no_crossing"
)

// BreakEvenOutcome summarises a break-even row. serverlessCheaper says
// which option is cheaper at some volume inside the searched range (the
// profile's monthly costs); it decides the outcome of a row without
// crossings, known says whether it is known at all.
func BreakEvenOutcome(r BreakEvenRow, serverlessCheaper, known bool) DecisionBreakEven {
	d := DecisionBreakEven{Serverless: r.Serverless, AlwaysOn: r.Fleet, Crossings: max(r.CrossingsCount, len(r.Crossings))}
	if d.AlwaysOn == "" {
		d.AlwaysOn = r.Instance
	}
	switch {
	case r.MonthlyRequests > 0:
		d.Outcome, d.MonthlyRequests, d.AverageRPS = BreakEvenServerlessBelow, r.MonthlyRequests, r.AverageRPS
		d.MonthlyRequestsLow, d.MonthlyRequestsHigh = r.MonthlyRequestsLow, r.MonthlyRequestsHigh
	case len(r.Crossings) > 0:
		c := r.Crossings[0]
		d.Outcome, d.MonthlyRequests, d.AverageRPS = BreakEvenServerlessAbove, c.MonthlyRequests, c.AverageRPS
	case !known:
		d.Outcome = BreakEvenNoCrossing
	case serverlessCheaper:
		d.Outcome = BreakEvenServerlessAlways
	default:
		d.Outcome = BreakEvenAlwaysOnAlways
	}
	return d
}

// PriceBookInfo identifies a price book.
type PriceBookInfo struct {
	Version int    `json:"version"`
	Date    string `json:"date"`
	// Files are where its entries came from: the embedded book, then any
	// override files (--prices, pricing.prices).
	Files []string `json:"files,omitempty"`
}

// PriceUsed is one price-book entry behind a run's figures.
type PriceUsed struct {
	// Entry names it: platform, region and architecture, plan or instance
	// ("ec2 us-east-1 t3.medium").
	Entry         string `json:"entry"`
	Platform      string `json:"platform"`
	Region        string `json:"region"`
	Architecture  string `json:"architecture,omitempty"`
	Instance      string `json:"instance,omitempty"`
	Source        string `json:"source"`
	EffectiveDate string `json:"effective_date"`
	Retrieved     string `json:"retrieved,omitempty"`
	// Confidence is PriceSourced or PriceRecalled; ConfidenceNote is the
	// book's own mark and reason ("U: recalled list price, …").
	Confidence     string `json:"confidence"`
	ConfidenceNote string `json:"confidence_note,omitempty"`
}

// Flag is one fact a reader must know before trusting the figures.
type Flag struct {
	// Name is one of the Flag constants.
	Name string `json:"name"`
	// Detail says where and how much, in words.
	Detail string `json:"detail"`
}

// Flag names (Flag.Name).
const (
	FlagInterrupted      = "interrupted"
	FlagHostBusy         = "host_busy"
	FlagBillingMissing   = "billing_missing"
	FlagGeneratorBehind  = "generator_fell_behind"
	FlagSLOFailed        = "slo_failed"
	FlagSyntheticWeights = "synthetic_weights"
	FlagRecalledPrices   = "recalled_prices"
)

// MeasurementFlags lists the flags of a summary's measurements, in the
// order a reader should see them: an interrupted (or killed) run, other
// load on the host (summary.host_interference), requests without billing
// data (billing_missing), SLO failures of the
// plain phases, phases where the generator fell behind its schedule (plain
// phases and experiment steps alike: capacity and sweep figures come from
// the steps), and services that ran synthetic weights. Pricing adds its
// own (recalled prices) in pricing.Decide. A new flag is one entry here.
func MeasurementFlags(s *Summary) []Flag {
	var out []Flag
	add := func(name, detail string) {
		if detail != "" {
			out = append(out, Flag{Name: name, Detail: detail})
		}
	}
	switch {
	case s.Run.EndState == EndKilled:
		add(FlagInterrupted, "the run was killed before it ended: the figures cover only what was recorded before the stop")
	case s.Run.Interrupted:
		add(FlagInterrupted, "the run was interrupted: the figures cover only what was recorded before the stop")
	}
	add(FlagHostBusy, hostBusy(s.HostInterference, s.Targets))
	add(FlagBillingMissing, strings.Join(BillingNotes(s.Targets), "; "))
	add(FlagSLOFailed, sloFailures(s.Targets))
	add(FlagGeneratorBehind, fellBehind(s.Targets))
	add(FlagSyntheticWeights, syntheticWeights(s.Run.Services))
	return out
}

// hostBusy describes other load on the host during the run: which phases
// (grouped like fellBehind's), why (one reason per kind: foreign CPU,
// steal, memory pressure), and that the figures derived from them are
// flagged host_busy.
func hostBusy(hi *HostInterference, ts []TargetSummary) string {
	if hi == nil || !hi.Busy {
		return ""
	}
	where := phaseGroups(ts, func(p PhaseSummary) bool { return p.HostBusy })
	if where == "" {
		where = strings.Join(hi.BusyPhases, ", ")
	}
	return fmt.Sprintf("other load on this host in %d of %d measured phases (%s): %s; the %d figures derived from them are flagged host_busy and may describe the host as much as the targets: rerun on a quiet host",
		len(hi.BusyPhases), hi.PhasesMeasured, where, strings.Join(hi.Reasons, "; "), len(hi.BusyFigures))
}

// sloFailures describes the plain phases that failed their SLO ("fn /
// diurnal: p99 312.4 ms > 300 ms").
func sloFailures(ts []TargetSummary) string {
	var parts []string
	for _, t := range ts {
		for _, p := range t.Phases {
			if p.SLO == nil || p.SLO.Passed || !p.CountsTowardSLO() {
				continue
			}
			parts = append(parts, fmt.Sprintf("%s / %s: %s", t.Name, p.Name, strings.Join(p.SLO.Violations, "; ")))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "SLO failed in " + strings.Join(parts, ", ")
}

// fellBehind describes the phases where the generator fell behind: "fn /
// diurnal, ref / capacity (5 of 9 steps)".
func fellBehind(ts []TargetSummary) string {
	where := phaseGroups(ts, func(p PhaseSummary) bool { return p.GeneratorFellBehind })
	if where == "" {
		return ""
	}
	var causes []string
	for _, t := range ts {
		for _, p := range t.Phases {
			if c := StallCause(p); c != "" && !slices.Contains(causes, c) {
				causes = append(causes, c)
			}
		}
	}
	s := "the load generator fell behind its schedule in " + where
	if len(causes) > 0 {
		s += " (stalled by " + strings.Join(causes, "; ") + ")"
	}
	return s + ": latencies there include dispatch lag"
}

// phaseGroups names the phases of ts for which flagged holds, a phase's
// steps counted together: "fn / diurnal, ref / capacity (5 of 9 steps)".
func phaseGroups(ts []TargetSummary, flagged func(PhaseSummary) bool) string {
	var parts []string
	for _, t := range ts {
		type count struct{ flagged, all int }
		counts := map[string]*count{}
		var order []string
		for _, p := range t.Phases {
			c := counts[p.Name]
			if c == nil {
				c = &count{}
				counts[p.Name] = c
				order = append(order, p.Name)
			}
			c.all++
			if flagged(p) {
				c.flagged++
			}
		}
		for _, name := range order {
			c := counts[name]
			switch {
			case c.flagged == 0:
			case c.all == 1:
				parts = append(parts, t.Name+" / "+name)
			default:
				parts = append(parts, fmt.Sprintf("%s / %s (%d of %d steps)", t.Name, name, c.flagged, c.all))
			}
		}
	}
	return strings.Join(parts, ", ")
}

// syntheticWeights describes the services that served synthetic weights.
func syntheticWeights(ss []ServiceInfo) string {
	byModel := map[string][]string{}
	var models []string
	for _, s := range ss {
		if s.Weights != WeightsSynthetic {
			continue
		}
		if _, ok := byModel[s.Model]; !ok {
			models = append(models, s.Model)
		}
		byModel[s.Model] = append(byModel[s.Model], s.Name)
	}
	if len(models) == 0 {
		return ""
	}
	sort.Strings(models)
	var parts []string
	for _, m := range models {
		p := strings.Join(byModel[m], ", ")
		if m != "" {
			p += " (" + m + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ") + " served synthetic weights: latency and memory are those of the real computation, the predictions are meaningless"
}

// RefreshFlags recomputes the decision's measurement flags from s (after
// host_busy is marked on the priced figures, MarkHostBusy), keeping the
// flags pricing added (recalled prices).
func (d *Decision) RefreshFlags(s *Summary) {
	var priced []Flag
	for _, f := range d.Flags {
		if f.Name == FlagRecalledPrices {
			priced = append(priced, f)
		}
	}
	d.Flags = append(MeasurementFlags(s), priced...)
}

// ServiceNotes are the summary notes the services a run started call for:
// one per set of services serving synthetic weights, and the SHA-256 of
// every weights file served.
func ServiceNotes(ss []ServiceInfo) []string {
	var notes []string
	if s := syntheticWeights(ss); s != "" {
		notes = append(notes, s)
	}
	for _, s := range ss {
		if s.Weights != "" && s.Weights != WeightsSynthetic {
			notes = append(notes, fmt.Sprintf("%s served weights %s (SHA-256 %s)", s.Name, s.Weights, s.WeightsSHA256))
		}
	}
	return notes
}
