package pricing

import (
	"fmt"
	"sort"
	"strings"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// DecideOptions are what Decide needs beyond the priced summary.
type DecideOptions struct {
	// Book is the price book the summary was priced with (its version,
	// date and files are recorded; nil: not recorded).
	Book *Book
	// Used are the price-book entries behind the figures (nil entries are
	// skipped); the decision lists them with their confidence.
	Used []*Entry
	// MinMonthlyRequests and MaxMonthlyRequests are the break-even search
	// range (DefaultMinMonthlyRequests, DefaultMaxMonthlyRequests when 0).
	MinMonthlyRequests, MaxMonthlyRequests float64
}

// Decide builds summary.json's decision from a priced summary: one option
// per monthly-cost row (serverless configurations, instance fleets, Lambda
// Managed Instances: any kind), each with its monthly cost and interval,
// its cost per 1M requests of the profile, the measured p99 behind it and
// its SLO outcome, and, for an always-on option, its break-even against the
// recommended serverless configuration.
//
// The p99 and SLO of a serverless configuration come from its target's
// phases at its memory size: the p99 from the plain phase with the most
// requests (the traffic most like the profile), else from the memory-sweep
// step; the SLO outcome from all of them (it fails when any fails, so a
// size that passed the sweep but failed the profile-like phase fails).
// Those of an always-on option come from the plain phases of
// the target it stands for (the monthly row's target, else the capacity
// search's), else from the capacity search, which measured the capacity
// at the SLO. An option whose capacity was given (pricing.capacity_rps)
// rather than measured is SLOAssumed.
//
// Recommended is the cheapest option meeting the SLO at the profile;
// Serverless and AlwaysOn the cheapest of each family meeting it (the
// cheapest of the family when none does), and Flip where the answer flips
// (see flipOf). Options are ordered: the recommended first, then the others
// meeting the SLO by cost, then those failing it by cost.
func Decide(sum *results.Summary, sc *scenarios.Scenario, opts DecideOptions) *results.Decision {
	if opts.MinMonthlyRequests <= 0 {
		opts.MinMonthlyRequests = DefaultMinMonthlyRequests
	}
	if opts.MaxMonthlyRequests <= opts.MinMonthlyRequests {
		opts.MaxMonthlyRequests = DefaultMaxMonthlyRequests
	}
	d := &results.Decision{Options: []results.DecisionOption{},
		BreakEvenMinMonthlyRequests: opts.MinMonthlyRequests, BreakEvenMaxMonthlyRequests: opts.MaxMonthlyRequests}
	if b := opts.Book; b != nil {
		d.PriceBook = &results.PriceBookInfo{Version: b.Version, Date: b.BookDate, Files: b.Files}
	}
	d.PricesUsed = pricesUsed(opts.Used)
	var recalled []string
	for _, p := range d.PricesUsed {
		if p.Confidence == results.PriceRecalled {
			d.RecalledPrices++
			recalled = append(recalled, p.Entry)
		}
	}

	sloOf := sloSpecFor(sc)
	for _, r := range sum.MonthlyCost {
		if d.MonthlyRequests == 0 {
			d.MonthlyRequests, d.AverageRPS, d.Profile = r.MonthlyRequests, r.AverageRPS, r.Profile
		}
		o := results.DecisionOption{Option: r.Option, Kind: r.Kind, Target: r.Target, Platform: r.Platform,
			Architecture: r.Architecture, MemoryMB: r.MemoryMB, Instance: r.Instance, APIGateway: r.APIGateway,
			MonthlyCostUSD: r.MonthlyCostUSD, MonthlyCostLow: r.MonthlyCostLow, MonthlyCostHigh: r.MonthlyCostHigh,
			PriceConfidence: r.PriceConfidence, HostBusy: r.HostBusy}
		if o.Kind == "" {
			o.Kind = results.OptionServerless
		}
		if r.MonthlyRequests > 0 {
			o.CostPerMillionUSD = r.MonthlyCostUSD / r.MonthlyRequests * 1e6
		}
		if o.Kind == results.OptionServerless {
			judgeServerless(&o, sum, sc, sloOf)
		} else {
			judgeAlwaysOn(&o, sum, sloOf)
		}
		d.Options = append(d.Options, o)
	}
	sort.SliceStable(d.Options, func(i, j int) bool {
		a, b := d.Options[i], d.Options[j]
		if a.MeetsSLO() != b.MeetsSLO() {
			return a.MeetsSLO()
		}
		return a.MonthlyCostUSD < b.MonthlyCostUSD
	})
	cheapest := func(serverless bool, meeting bool) string {
		for _, o := range d.Options {
			if (o.Kind == results.OptionServerless) == serverless && (!meeting || o.MeetsSLO()) {
				return o.Option
			}
		}
		return ""
	}
	d.Serverless, d.AlwaysOn = cheapest(true, true), cheapest(false, true)
	if d.Serverless == "" {
		d.Serverless = cheapest(true, false)
	}
	if d.AlwaysOn == "" {
		d.AlwaysOn = cheapest(false, false)
	}
	if len(d.Options) > 0 && d.Options[0].MeetsSLO() {
		d.Recommended = d.Options[0].Option
		d.Options[0].Recommended = true
	}
	var ref *results.DecisionOption
	for i := range d.Options {
		if d.Options[i].Option == d.Serverless && d.Options[i].Kind == results.OptionServerless {
			ref = &d.Options[i]
		}
	}
	inRange := d.MonthlyRequests >= opts.MinMonthlyRequests && d.MonthlyRequests <= opts.MaxMonthlyRequests
	for i := range d.Options {
		o := &d.Options[i]
		if o.Kind == results.OptionServerless || ref == nil {
			continue
		}
		for _, br := range sum.BreakEven {
			if br.Serverless != ref.Option || !(br.Fleet == o.Option || br.Fleet == "" && br.Instance == o.Instance) {
				continue
			}
			be := results.BreakEvenOutcome(br, ref.MonthlyCostUSD < o.MonthlyCostUSD, inRange)
			be.AlwaysOn = o.Option
			o.BreakEven = &be
			break
		}
	}
	d.Flip = flipOf(d, ref)

	d.Flags = results.MeasurementFlags(sum)
	if len(recalled) > 0 {
		d.Flags = append(d.Flags, results.Flag{Name: results.FlagRecalledPrices, Detail: fmt.Sprintf(
			"%d of %d prices used %s recalled, not confirmed from a source (%s); refresh them with benchctl pricing update",
			len(recalled), len(d.PricesUsed), map[bool]string{true: "is", false: "are"}[len(recalled) == 1], strings.Join(recalled, ", "))})
	}
	return d
}

// flipOf is where the answer flips. With a serverless recommendation, the
// lowest volume at which an always-on option meeting the SLO becomes
// cheaper than it (rising traffic meets that option first), else the
// outcome against the cheapest always-on option (AlwaysOn); with an
// always-on recommendation, the break-even between it and the serverless
// configuration. Nil when either family is missing.
func flipOf(d *results.Decision, ref *results.DecisionOption) *results.DecisionBreakEven {
	if ref == nil {
		return nil
	}
	var first, alwaysOn *results.DecisionBreakEven
	for i := range d.Options {
		o := &d.Options[i]
		be := o.BreakEven
		if be == nil {
			continue
		}
		if o.Option == d.AlwaysOn {
			alwaysOn = be
		}
		if d.Recommended == ref.Option && o.MeetsSLO() && be.Outcome == results.BreakEvenServerlessBelow &&
			(first == nil || be.MonthlyRequests < first.MonthlyRequests) {
			first = be
		}
	}
	if first == nil {
		first = alwaysOn
	}
	if first == nil {
		return nil
	}
	flip := *first
	return &flip
}

// judgeServerless fills a serverless option's p99 and SLO outcome from its
// target's phases at its memory size (see Decide).
func judgeServerless(o *results.DecisionOption, sum *results.Summary, sc *scenarios.Scenario, sloOf func(string) *results.SLOSpec) {
	ts := targetSummary(sum, o.Target)
	if ts == nil {
		o.SLO = results.SLONotMeasured
		return
	}
	t, _ := targetByName(sc, o.Target)
	memOf := func(p results.PhaseSummary) int {
		if m := memoryFromStep(p.Step); m > 0 {
			return m
		}
		if p.MemorySizeMB > 0 {
			return p.MemorySizeMB
		}
		if fn, ok := functionFor(sc, t); ok {
			return fn.MemorySize
		}
		if t.Billing != nil {
			return t.Billing.MemoryMB
		}
		return 0
	}
	var sweep, plain []results.PhaseSummary
	for _, p := range ts.Phases {
		if o.MemoryMB > 0 && memOf(p) != o.MemoryMB {
			continue
		}
		switch p.Experiment {
		case results.ExperimentMemorySweep:
			sweep = append(sweep, p)
		case "":
			plain = append(plain, p)
		}
	}
	prefer := len(plain)
	if prefer == 0 {
		prefer = len(sweep)
	}
	judgePhases(o, ts.Name, append(plain, sweep...), prefer, sloOf(o.Target))
}

// judgeAlwaysOn fills an always-on option's p99 and SLO outcome from the
// target it stands for (see Decide).
func judgeAlwaysOn(o *results.DecisionOption, sum *results.Summary, sloOf func(string) *results.SLOSpec) {
	target := o.Target
	var capacity *results.CapacityResult
	for i := range sum.Experiments.Capacity {
		c := &sum.Experiments.Capacity[i]
		if c.CapacityRPS > 0 && (target == "" || c.Target == target) {
			capacity = c
			target = c.Target
			break
		}
	}
	if target == "" {
		o.SLO = results.SLOAssumed
		return
	}
	var plain []results.PhaseSummary
	if ts := targetSummary(sum, target); ts != nil {
		for _, p := range ts.Phases {
			if p.Experiment == "" {
				plain = append(plain, p)
			}
		}
	}
	if len(plain) > 0 {
		judgePhases(o, target, plain, len(plain), sloOf(target))
		return
	}
	if capacity == nil {
		o.SLO = results.SLONotMeasured
		return
	}
	// Only the capacity search measured it: the p99 of its step at the
	// capacity found, which passed the search's SLO by definition.
	for _, st := range capacity.Steps {
		if st.Passed && st.OfferedRPS == capacity.CapacityRPS {
			p99 := st.P99Ms
			o.P99Ms, o.P99From = &p99, fmt.Sprintf("%s / capacity search at %s rps", target, sigDigits(st.OfferedRPS, 3))
		}
	}
	o.SLO = results.SLOPass
}

// judgePhases sets o's p99 from the phase with the most requests among the
// first prefer phases and its SLO outcome from all of them against slo
// (SLONone when nil).
func judgePhases(o *results.DecisionOption, target string, phases []results.PhaseSummary, prefer int, slo *results.SLOSpec) {
	if len(phases) == 0 {
		o.SLO = results.SLONotMeasured
		return
	}
	best := 0
	for i, p := range phases[:max(1, min(prefer, len(phases)))] {
		if p.Requests > phases[best].Requests {
			best = i
		}
	}
	p99 := phases[best].LatencyMs.P99
	o.P99Ms, o.P99From = &p99, phaseLabel(target, phases[best])
	if slo == nil || slo.IsZero() {
		o.SLO = results.SLONone
		return
	}
	o.SLO = results.SLOPass
	for _, p := range phases {
		if r := slo.Evaluate(p); !r.Passed {
			o.SLO = results.SLOFail
			for _, v := range r.Violations {
				if len(phases) > 1 {
					v = phaseLabel(target, p) + ": " + v
				}
				o.SLOViolations = append(o.SLOViolations, v)
			}
		}
	}
}

// phaseLabel names a target's phase and step: "fn / sweep memory_mb=1024".
func phaseLabel(target string, p results.PhaseSummary) string {
	s := target + " / " + p.Name
	if p.Step != "" {
		s += " " + p.Step
	}
	return s
}

func targetSummary(sum *results.Summary, name string) *results.TargetSummary {
	for i := range sum.Targets {
		if sum.Targets[i].Name == name {
			return &sum.Targets[i]
		}
	}
	return nil
}
