package pricing

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/benchctl/benchctl/results"
)

// BreakEven computes a row for every (serverless configuration, fleet)
// pair: every crossing in the search range, the first volume at which
// serverless becomes dearer (MonthlyRequests; 0 when none), its interval
// from the per-request cost CI, and the sensitivity to each single
// assumption (±20% on prices and capacity, ×0.5/×2 on the cold-start rate,
// ±20% on the peak-to-average ratio of a shaped profile).
//
// Every crossing found is counted in CrossingsCount. A fleet's cost is a
// staircase (one step each time a slot of the profile needs another
// instance); when the serverless cost per request is within a fraction of
// a percent of the fleet's cost per request at full steps, the staircase
// straddles the serverless line step after step and the two costs cross
// twice per step, a real but economically meaningless oscillation (the
// costs stay within one step, typically well under 1% of the bill, of each
// other). Up to MaxCrossings crossings are listed in full; above that the
// row keeps the first MaxCrossings/2 and the last MaxCrossings/2 (so the
// first and the last crossing are always there), sets CrossingsTruncated,
// and its Note gives the count, the volume range of the oscillation and
// the size of one fleet step relative to the cost.
//
// BreakEven returns ctx's error (and no rows) once ctx is cancelled.
func (a *Analysis) BreakEven(ctx context.Context, withSensitivity bool) ([]results.BreakEvenRow, error) {
	var rows []results.BreakEvenRow
	for _, s := range a.Serverless {
		for _, f := range a.Fleets {
			row, err := a.breakEvenRow(ctx, s, f, withSensitivity)
			if err != nil {
				return nil, fmt.Errorf("break-even %s vs %s: %w", s.Name, f.Instance, err)
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

func (a *Analysis) search(ctx context.Context, s *Serverless, f *Fleet, p Profile, sf float64) ([]results.Crossing, bool, error) {
	return Pair{S: s, F: f, Profile: p, SFactor: sf}.Crossings(ctx, a.MinMonthlyRequests, a.MaxMonthlyRequests)
}

func (a *Analysis) breakEvenRow(ctx context.Context, s *Serverless, f *Fleet, withSensitivity bool) (results.BreakEvenRow, error) {
	cs, truncated, err := a.search(ctx, s, f, a.Profile, 1)
	if err != nil {
		return results.BreakEvenRow{}, err
	}
	if cs == nil {
		cs = []results.Crossing{}
	}
	row := results.BreakEvenRow{Serverless: s.Name, Instance: f.Instance, InstanceKind: f.Kind(), Crossings: cs,
		CapacityRPS: f.CapacityRPS, CapacityAssumption: f.CapacityAssumption, Fleet: f.Name, Region: a.Region,
		PriceConfidence: confidenceOf(append([]*Entry{s.Entry, s.APIGW}, f.entries()...)...),
		PriceSources:    []string{s.Entry.Source + " (" + s.Entry.EffectiveDate + ")", f.Entry.Source + " (" + f.Entry.EffectiveDate + ")"}}
	if g := s.APIGW; g != nil {
		row.PriceSources = append(row.PriceSources, g.Source+" ("+g.EffectiveDate+")")
	}
	if m := f.Managed; m != nil {
		row.PriceSources = append(row.PriceSources, m.Entry.Source+" ("+m.Entry.EffectiveDate+")")
	}
	row.HostBusy = s.HostBusy || f.HostBusy
	row.MonthlyRequests = firstDearer(cs)
	row.AverageRPS = AverageRPS(row.MonthlyRequests)
	switch {
	case len(cs) == 0 && s.Monthly(a.MinMonthlyRequests, a.Profile).LessThan(f.Monthly(a.MinMonthlyRequests, a.Profile)):
		row.Note = "serverless is cheaper at every volume up to " + volumeWords(a.MaxMonthlyRequests) + " requests/month"
	case len(cs) == 0:
		row.Note = "the fleet is cheaper at every volume from " + volumeWords(a.MinMonthlyRequests) + " requests/month"
	case len(cs) > MaxCrossings:
		row.Note = a.oscillationNote(s, f, cs)
	case len(cs) > 1:
		row.Note = fmt.Sprintf("%d crossings: the fleet's cost steps as instances are added", len(cs))
	}
	row.CrossingsCount = len(cs)
	row.Crossings, row.CrossingsTruncated = capCrossings(cs)
	if truncated {
		row.Note = strings.TrimSpace(row.Note + "; search stopped after the fleet's first steps")
	}
	if mv := f.maxVolume(a.Profile); mv > 0 && mv < a.MaxMonthlyRequests {
		row.Note = strings.TrimPrefix(row.Note+"; ", "; ") + fmt.Sprintf("the Lambda Managed Instances fleet reaches its capacity provider's max of %d vCPU (%d × %s) at %s requests/month (%s rps average); larger volumes are not searched",
			f.Managed.MaxVCPU, f.Managed.MaxInstances, f.Instance, volumeWords(mv), sigDigits(AverageRPS(mv), 4))
	}
	if s.CIHigh != 1 || s.CILow != 1 {
		lo, _, err := a.search(ctx, s, f, a.Profile, s.CIHigh)
		if err != nil {
			return results.BreakEvenRow{}, err
		}
		hi, _, err := a.search(ctx, s, f, a.Profile, s.CILow)
		if err != nil {
			return results.BreakEvenRow{}, err
		}
		row.MonthlyRequestsLow, row.MonthlyRequestsHigh = firstDearer(lo), firstDearer(hi)
	}
	if withSensitivity && row.MonthlyRequests > 0 {
		if row.Sensitivity, row.MostSensitive, err = a.sensitivity(ctx, s, f, row.MonthlyRequests); err != nil {
			return results.BreakEvenRow{}, err
		}
	}
	return row, nil
}

// capCrossings keeps every crossing up to MaxCrossings, else the first and
// the last MaxCrossings/2 (see BreakEven).
func capCrossings(cs []results.Crossing) ([]results.Crossing, bool) {
	if len(cs) <= MaxCrossings {
		return cs, false
	}
	h := MaxCrossings / 2
	out := make([]results.Crossing, 0, MaxCrossings)
	out = append(out, cs[:h]...)
	out = append(out, cs[len(cs)-h:]...)
	return out, true
}

// oscillationNote describes a row with more than MaxCrossings crossings:
// how many, over which volumes, and how large one fleet step is there
// against the cost (the most the two options differ by in that range).
func (a *Analysis) oscillationNote(s *Serverless, f *Fleet, cs []results.Crossing) string {
	first, last := cs[0], cs[len(cs)-1]
	note := fmt.Sprintf("%d crossings between %s and %s requests/month (%s–%s rps average): the %s fleet's cost steps over and under a serverless cost that grows almost in parallel with it",
		len(cs), volumeWords(first.MonthlyRequests), volumeWords(last.MonthlyRequests), sigDigits(first.AverageRPS, 4), sigDigits(last.AverageRPS, 4), f.Instance)
	if bps, _ := f.breakpoints(a.Profile, first.MonthlyRequests*(1-1e-6), last.MonthlyRequests*(1+1e-6)); len(bps) > 0 {
		b := bps[0]
		before, after := f.Monthly(b, a.Profile), f.Monthly(b*(1+stepMergeRel), a.Profile)
		if jump := after.Sub(before); jump.IsPositive() && after.IsPositive() {
			note += fmt.Sprintf(", each step $%s (%s%% of the monthly cost there), so the two are within one step of each other, in effect a tie", jump.StringFixed(2), sigDigits(jump.Div(after).InexactFloat64()*100, 2))
		}
	}
	h := MaxCrossings / 2
	return note + fmt.Sprintf("; only the first %d and the last %d crossings are listed (crossings_truncated)", h, h)
}

func (a *Analysis) sensitivity(ctx context.Context, s *Serverless, f *Fleet, base float64) ([]results.Sensitivity, string, error) {
	type variant struct {
		name   string
		lo, hi float64
		run    func(x float64) float64
	}
	var searchErr error
	first := func(s *Serverless, f *Fleet, p Profile, sf float64) float64 {
		if searchErr != nil {
			return 0
		}
		cs, _, err := a.search(ctx, s, f, p, sf)
		searchErr = err
		return firstDearer(cs)
	}
	vs := []variant{
		{"serverless price", 0.8, 1.2, func(x float64) float64 { return first(s, f, a.Profile, x) }},
		{"instance price", 0.8, 1.2, func(x float64) float64 {
			g := *f
			g.PriceScale = x
			return first(s, &g, a.Profile, 1)
		}},
		{"capacity_rps", 0.8, 1.2, func(x float64) float64 { return first(s, f.withCapacity(f.CapacityRPS*x), a.Profile, 1) }},
		{"cold-start rate", 0.5, 2, func(x float64) float64 {
			t := *s
			t.Cold.Scale = x
			return first(&t, f, a.Profile, 1)
		}},
	}
	if len(a.Profile.Weights) > 1 {
		vs = append(vs, variant{"peak-to-average", 0.8, 1.2, func(x float64) float64 { return first(s, f, a.Profile.scalePeak(x), 1) }})
	}
	var out []results.Sensitivity
	most, best := "", -1.0
	for _, v := range vs {
		l, h := v.run(v.lo), v.run(v.hi)
		sw := math.Abs(h-l) / base
		out = append(out, results.Sensitivity{Assumption: v.name, LowFactor: v.lo, HighFactor: v.hi,
			MonthlyRequestsLow: l, MonthlyRequestsHigh: h, Swing: sw})
		if sw > best {
			most, best = v.name, sw
		}
	}
	if searchErr != nil {
		return nil, "", searchErr
	}
	return out, most, nil
}

// volumeWords writes a monthly volume for a note, to 3 significant digits
// and never in e-notation: 100 B, 28.4 M, 350 k, 120.
func volumeWords(v float64) string {
	for _, u := range []struct {
		div  float64
		name string
	}{{1e9, " B"}, {1e6, " M"}, {1e3, " k"}} {
		if math.Abs(v) >= u.div {
			return sigDigits(v/u.div, 3) + u.name
		}
	}
	return sigDigits(v, 3)
}

// sigDigits formats v to n significant digits in plain decimal notation
// (no exponent), dropping trailing zeros: 0.0123, 12.3, 12300.
func sigDigits(v float64, n int) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', n, 64), 64)
	return strconv.FormatFloat(r, 'f', -1, 64)
}
