package report

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/benchctl/benchctl/confidence"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/summary"
)

// Unit kinds (UnitDelta.Kind).
const (
	// UnitPhase is a plain (non-experiment) phase both runs ran by name.
	UnitPhase = "phase"
	// UnitMemorySize is one memory size of a memory sweep.
	UnitMemorySize = "memory_sweep"
	// UnitColdStarts is the forced cold starts' latency.
	UnitColdStarts = "cold_starts"
	// UnitCapacity is one capacity search's result.
	UnitCapacity = "capacity"
)

// OfferedLoadTolerance is how far (relative) the offered rates of two
// phases may differ for them to count as equal offered load.
const OfferedLoadTolerance = 0.10

// UnitDelta compares one like-with-like unit of a target across two runs:
// a plain phase at equal offered load, a memory-sweep size, the cold
// starts (latency samples: LatencyDelta), or a capacity search (its
// capacity and 95% interval: Value*).
type UnitDelta struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	LatencyDelta
	// OfferedRPSA and OfferedRPSB are the phases' offered rates.
	OfferedRPSA float64 `json:"offered_rps_a,omitempty"`
	OfferedRPSB float64 `json:"offered_rps_b,omitempty"`
	// ValueA/B with [LowA, HighA] and [LowB, HighB]: a capacity search's
	// capacity (rps) and its interval; ValueDelta is (B − A) / A.
	ValueA     float64 `json:"value_a,omitempty"`
	ValueB     float64 `json:"value_b,omitempty"`
	LowA       float64 `json:"low_a,omitempty"`
	HighA      float64 `json:"high_a,omitempty"`
	LowB       float64 `json:"low_b,omitempty"`
	HighB      float64 `json:"high_b,omitempty"`
	ValueDelta float64 `json:"value_delta,omitempty"`
	// HostBusyA/B: the unit ran while that run's host was host_busy; it
	// is then shown but not judged.
	HostBusyA bool `json:"host_busy_a,omitempty"`
	HostBusyB bool `json:"host_busy_b,omitempty"`
	// Compared is false when the unit could not be compared like with
	// like (NotCompared says why: the offered load differs, no samples).
	Compared    bool   `json:"compared"`
	NotCompared string `json:"not_compared,omitempty"`
	// Verdict and VerdictReasons as for a target.
	Verdict        string   `json:"verdict"`
	VerdictReasons []string `json:"verdict_reasons,omitempty"`
}

// judged reports whether the unit counts toward its target's verdict.
func (u UnitDelta) judged() bool { return u.Compared && !u.HostBusyA && !u.HostBusyB }

// isTest reports whether the unit runs a latency significance test (the
// tests a target's Bonferroni alpha is divided among).
func (u UnitDelta) isTest() bool { return u.judged() && u.Kind != UnitCapacity }

type unitKey struct{ target, phase, step, experiment string }

// unitSamples is what compare keeps of one (target, phase, step) of a run:
// request and error counts and the successful requests' latencies from the
// intended send, every stride-th one (the stride doubles, dropping every
// other kept value, whenever max are kept).
type unitSamples struct {
	requests, errors int64
	lat              []float64
	stride, seen     int64
}

func (u *unitSamples) add(v float64, max int) {
	if u.stride == 0 {
		u.stride = 1
	}
	if u.seen%u.stride == 0 {
		u.lat = append(u.lat, v)
		if len(u.lat) >= max {
			n := 0
			for i := 0; i < len(u.lat); i += 2 {
				u.lat[n] = u.lat[i]
				n++
			}
			u.lat = u.lat[:n]
			u.stride *= 2
		}
	}
	u.seen++
}

// unitCollector keeps unitSamples per (target, phase, step) of a run: the
// summary pipeline feeds it in its one pass over results.jsonl (Load's
// Collectors), so compare reads each run once.
type unitCollector struct {
	max   int
	units map[unitKey]*unitSamples
}

var _ summary.Merger = (*unitCollector)(nil)

func newUnitCollector(max int) *unitCollector {
	return &unitCollector{max: max, units: map[unitKey]*unitSamples{}}
}

// Add takes one record.
func (c *unitCollector) Add(r *results.Record) {
	phase := r.Phase
	if phase == "" {
		phase = r.Attack
	}
	k := unitKey{r.Target, phase, r.Step, r.Experiment}
	u := c.units[k]
	if u == nil {
		u = &unitSamples{}
		c.units[k] = u
	}
	u.requests++
	if r.Error != "" || r.ErrorClass != "" || r.Code == 0 || r.Code >= 400 || r.FunctionError != "" {
		u.errors++
		return
	}
	lat := r.CorrectedLatency
	if lat == 0 {
		lat = r.Latency
	}
	u.add(float64(lat)/1e6, c.max)
}

// Apply does nothing: compare reads the units.
func (c *unitCollector) Apply(context.Context, *results.Summary) error { return nil }

// Fork returns an empty collector.
func (c *unitCollector) Fork() summary.Merger { return newUnitCollector(c.max) }

// Merge folds a fork that saw later records (their kept samples appended,
// thinned again past max).
func (c *unitCollector) Merge(later summary.Merger) {
	for k, b := range later.(*unitCollector).units {
		a := c.units[k]
		if a == nil {
			c.units[k] = b
			continue
		}
		a.requests += b.requests
		a.errors += b.errors
		for _, v := range b.lat {
			a.add(v, c.max)
		}
	}
}

// pooled merges the samples of several units.
func pooled(us []*unitSamples) (requests, errs int64, lat []float64) {
	for _, u := range us {
		if u == nil {
			continue
		}
		requests += u.requests
		errs += u.errors
		lat = append(lat, u.lat...)
	}
	return requests, errs, lat
}

// side is one run's view of a unit: its samples, its phase summaries.
type side struct {
	requests, errors int64
	lat              []float64
	phases           []results.PhaseSummary
}

func (s side) hostBusy() bool {
	for _, p := range s.phases {
		if p.HostBusy {
			return true
		}
	}
	return false
}

// trialP50s are the per-trial p50s of a unit run as trials (one phase).
func (s side) trialP50s() []float64 {
	if len(s.phases) != 1 || len(s.phases[0].Trials) < 2 {
		return nil
	}
	var out []float64
	for _, t := range s.phases[0].Trials {
		if t.LatencyP50Ms > 0 {
			out = append(out, t.LatencyP50Ms)
		}
	}
	return out
}

// p99CI is the unit's p99 interval when it has exactly one phase.
func (s side) p99CI() *results.Interval {
	if len(s.phases) != 1 || s.phases[0].LatencyCI == nil {
		return nil
	}
	iv := s.phases[0].LatencyCI.P99
	return &iv
}

// compareLatency fills a LatencyDelta from two sides: percentiles from
// the samples (type 7), or the trials' geometric means; the test is
// Mann-Whitney on the samples, or Welch's t on the per-trial log p50s when
// both sides ran as trials.
func compareLatency(a, b side) LatencyDelta {
	d := LatencyDelta{RequestsA: a.requests, RequestsB: b.requests, ErrorsA: a.errors, ErrorsB: b.errors, Shift: "none", PValue: 1}
	if a.requests > 0 {
		d.ErrorRateA = float64(a.errors) / float64(a.requests)
	}
	if b.requests > 0 {
		d.ErrorRateB = float64(b.errors) / float64(b.requests)
	}
	d.ErrorRateDelta = d.ErrorRateB - d.ErrorRateA
	d.ErrorPValue, d.ErrorTest = ErrorRateTest(a.errors, a.requests, b.errors, b.requests)
	sa, sb := slices.Sorted(slices.Values(a.lat)), slices.Sorted(slices.Values(b.lat))
	d.SamplesA, d.SamplesB = len(sa), len(sb)
	if len(sa) > 0 && len(sb) > 0 {
		d.P50AMs, d.P50BMs = confidence.Type7(sa, 0.5), confidence.Type7(sb, 0.5)
		d.P99AMs, d.P99BMs = confidence.Type7(sa, 0.99), confidence.Type7(sb, 0.99)
	}
	n99 := confidence.SupportMin(0.99)
	d.P99Known = len(sa) >= n99 && len(sb) >= n99
	if ia, ib := a.p99CI(), b.p99CI(); ia != nil && ib != nil && ia.Bound != "at_least" && ib.Bound != "at_least" &&
		(ia.High < ib.Low || ib.High < ia.Low) {
		d.P99Known = true
	}
	if ta, tb := a.trialP50s(), b.trialP50s(); len(ta) >= 2 && len(tb) >= 2 {
		d.LatencyTest, d.TrialsA, d.TrialsB = LatencyTestWelchTrials, len(ta), len(tb)
		la, lb := logs(ta), logs(tb)
		t, _, p := WelchT(la, lb)
		d.Z, d.PValue = t, p
		d.P50AMs, d.P50BMs = math.Exp(confidence.Mean(la)), math.Exp(confidence.Mean(lb))
		if ci := a.phases[0].LatencyCI; ci != nil {
			d.P99AMs = ci.P99.Value
		}
		if ci := b.phases[0].LatencyCI; ci != nil {
			d.P99BMs = ci.P99.Value
		}
	} else if len(sa) > 1 && len(sb) > 1 {
		d.LatencyTest = LatencyTestMannWhitney
		d.U, d.Z, d.PValue = MannWhitneyU(sa, sb)
	}
	d.P50Delta, d.P99Delta = relDelta(d.P50AMs, d.P50BMs), relDelta(d.P99AMs, d.P99BMs)
	// The direction of the shift; judge keeps it only where the test is
	// significant at the target's alpha.
	switch {
	case d.Z > 0:
		d.Shift = "b_slower"
	case d.Z < 0:
		d.Shift = "b_faster"
	}
	return d
}

func logs(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = math.Log(x)
	}
	return out
}

// phasesOf returns target's recorded phase summaries matching keep.
func phasesOf(s *results.Summary, target string, keep func(results.PhaseSummary) bool) []results.PhaseSummary {
	var out []results.PhaseSummary
	for _, t := range s.Targets {
		if t.Name != target {
			continue
		}
		for _, p := range t.Phases {
			if keep(p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// sideOf gathers one run's side of a unit: the summaries keep selects and
// the samples of their (phase, step, experiment).
func sideOf(s *results.Summary, units map[unitKey]*unitSamples, target string, keep func(results.PhaseSummary) bool) side {
	ph := phasesOf(s, target, keep)
	var us []*unitSamples
	for _, p := range ph {
		us = append(us, units[unitKey{target, p.Name, p.Step, p.Experiment}])
	}
	sd := side{phases: ph}
	sd.requests, sd.errors, sd.lat = pooled(us)
	return sd
}

// offered is the phases' offered rate (requests planned per second).
func offered(ph []results.PhaseSummary) float64 {
	var n, d float64
	for _, p := range ph {
		n += p.OfferedRPS * p.DurationS
		d += p.DurationS
	}
	if d == 0 {
		return 0
	}
	return n / d
}

// compareTarget compares target across the two runs, like with like.
func compareTarget(target string, sa, sb *results.Summary, ua, ub map[unitKey]*unitSamples) TargetDelta {
	d := TargetDelta{Target: target}
	// Plain phases by name, at equal offered load.
	var plainA, plainB []string
	for _, p := range phasesOf(sa, target, func(p results.PhaseSummary) bool { return p.Experiment == "" }) {
		if !slices.Contains(plainA, p.Name) {
			plainA = append(plainA, p.Name)
		}
	}
	for _, p := range phasesOf(sb, target, func(p results.PhaseSummary) bool { return p.Experiment == "" }) {
		plainB = append(plainB, p.Name)
	}
	var matchedA, matchedB []*unitSamples
	var matchedPhases []string
	for _, name := range plainA {
		if !slices.Contains(plainB, name) {
			d.Units = append(d.Units, UnitDelta{Kind: UnitPhase, Name: name, NotCompared: "only in run A", Verdict: VerdictNoChange})
			continue
		}
		keep := func(p results.PhaseSummary) bool { return p.Experiment == "" && p.Name == name }
		a, b := sideOf(sa, ua, target, keep), sideOf(sb, ub, target, keep)
		u := UnitDelta{Kind: UnitPhase, Name: name, OfferedRPSA: offered(a.phases), OfferedRPSB: offered(b.phases),
			HostBusyA: a.hostBusy(), HostBusyB: b.hostBusy()}
		u.LatencyDelta = compareLatency(a, b)
		u.Compared = true
		if math.Abs(relDelta(u.OfferedRPSA, u.OfferedRPSB)) > OfferedLoadTolerance {
			u.Compared = false
			u.NotCompared = fmt.Sprintf("offered load differs: %s vs %s rps", fmtRate(u.OfferedRPSA), fmtRate(u.OfferedRPSB))
		}
		d.Units = append(d.Units, u)
		if u.Compared {
			for _, p := range a.phases {
				matchedA = append(matchedA, ua[unitKey{target, p.Name, p.Step, p.Experiment}])
			}
			for _, p := range b.phases {
				matchedB = append(matchedB, ub[unitKey{target, p.Name, p.Step, p.Experiment}])
			}
			matchedPhases = append(matchedPhases, name)
		}
	}
	// The target's headline figures: the matched plain phases pooled.
	var pa, pb side
	pa.requests, pa.errors, pa.lat = pooled(matchedA)
	pb.requests, pb.errors, pb.lat = pooled(matchedB)
	d.LatencyDelta = compareLatency(pa, pb)

	// Memory-sweep sizes.
	sizes := map[int]bool{}
	for _, r := range sa.Experiments.MemorySweep {
		if r.Target == target {
			sizes[r.MemoryMB] = true
		}
	}
	for _, r := range sb.Experiments.MemorySweep {
		if r.Target != target || !sizes[r.MemoryMB] {
			continue
		}
		step := results.MemoryStep(r.MemoryMB)
		keep := func(p results.PhaseSummary) bool {
			return p.Experiment == results.ExperimentMemorySweep && p.Step == step
		}
		a, b := sideOf(sa, ua, target, keep), sideOf(sb, ub, target, keep)
		u := UnitDelta{Kind: UnitMemorySize, Name: fmt.Sprintf("%d MB", r.MemoryMB), HostBusyA: a.hostBusy(), HostBusyB: b.hostBusy()}
		u.LatencyDelta = compareLatency(a, b)
		u.Compared, u.NotCompared = hasRecords(a, b)
		d.Units = append(d.Units, u)
	}

	// Cold starts.
	if sa.Experiments.ColdStarts != nil && sb.Experiments.ColdStarts != nil &&
		sa.Experiments.ColdStarts.Target == target && sb.Experiments.ColdStarts.Target == target {
		keep := func(p results.PhaseSummary) bool {
			return p.Experiment == results.ExperimentColdStarts && p.Step == results.StepColdStart
		}
		a, b := sideOf(sa, ua, target, keep), sideOf(sb, ub, target, keep)
		u := UnitDelta{Kind: UnitColdStarts, Name: "cold starts", HostBusyA: a.hostBusy(), HostBusyB: b.hostBusy()}
		u.LatencyDelta = compareLatency(a, b)
		u.Compared, u.NotCompared = hasRecords(a, b)
		d.Units = append(d.Units, u)
	}

	// Capacity searches, by configuration.
	for _, ca := range sa.Experiments.Capacity {
		if ca.Target != target {
			continue
		}
		for _, cb := range sb.Experiments.Capacity {
			if cb.Target != target || cb.Config != ca.Config {
				continue
			}
			u := UnitDelta{Kind: UnitCapacity, Name: strings.TrimSpace("capacity " + ca.Config), Compared: true,
				ValueA: ca.CapacityRPS, ValueB: cb.CapacityRPS, LowA: ca.CapacityRPSLow, HighA: ca.CapacityRPSHi,
				LowB: cb.CapacityRPSLow, HighB: cb.CapacityRPSHi, HostBusyA: ca.HostBusy, HostBusyB: cb.HostBusy,
				ValueDelta: relDelta(ca.CapacityRPS, cb.CapacityRPS)}
			d.Units = append(d.Units, u)
		}
	}

	// Cost: the first priced plain phase both runs share.
	for _, name := range matchedPhases {
		ca, cb := costRowOf(sa, target, name), costRowOf(sb, target, name)
		if ca == nil || cb == nil {
			continue
		}
		a, b := ca.CostPerMillionUSD, cb.CostPerMillionUSD
		d.CostPerMillionAUSD, d.CostPerMillionBUSD = &a, &b
		x := relDelta(a, b)
		d.CostDelta = &x
		d.CostHostBusy = ca.HostBusy || cb.HostBusy
		if ca.CostPerMillionHi > 0 && cb.CostPerMillionHi > 0 {
			d.CostCIA, d.CostCIB = &[2]float64{ca.CostPerMillionLow, ca.CostPerMillionHi}, &[2]float64{cb.CostPerMillionLow, cb.CostPerMillionHi}
		}
		break
	}
	return d
}

// hasRecords says whether both sides of a unit have records (and why not).
func hasRecords(a, b side) (bool, string) {
	switch {
	case a.requests == 0 && b.requests == 0:
		return false, "no records in either run"
	case a.requests == 0:
		return false, "no records in run A"
	case b.requests == 0:
		return false, "no records in run B"
	}
	return true, ""
}

// costRowOf is the first priced cost row of target's plain phase.
func costRowOf(s *results.Summary, target, phase string) *results.CostRow {
	for i, c := range s.Cost {
		if c.Target == target && c.Phase == phase && c.Step == "" && c.CostPerMillionUSD > 0 {
			return &s.Cost[i]
		}
	}
	return nil
}

// judgeUnit sets a unit's verdict at alpha (already divided among the
// target's tests), the relative threshold and the error-rate threshold.
func (u *UnitDelta) judgeUnit(alpha, threshold, errThreshold float64) {
	switch {
	case !u.Compared:
		u.Verdict, u.VerdictReasons = VerdictNoChange, []string{"not compared: " + u.NotCompared}
		return
	case u.HostBusyA || u.HostBusyB:
		which := "A"
		if u.HostBusyB {
			which = "B"
			if u.HostBusyA {
				which = "A and B"
			}
		}
		u.Verdict, u.VerdictReasons = VerdictNoChange, []string{"not judged: the host was busy (host_busy) during it in run " + which}
		return
	case u.Kind == UnitCapacity:
		u.Verdict, u.VerdictReasons = judgeInterval("capacity", u.ValueA, u.ValueB, u.LowA, u.HighA, u.LowB, u.HighB, threshold, "rps", true)
		return
	}
	worse, better, notes := u.LatencyDelta.judgeLatency(alpha, threshold, errThreshold)
	switch {
	case len(worse) > 0:
		u.Verdict, u.VerdictReasons = VerdictRegression, worse
	case len(better) > 0:
		u.Verdict, u.VerdictReasons = VerdictImprovement, better
	default:
		u.Verdict, u.VerdictReasons = VerdictNoChange, notes
	}
}

// judgeInterval judges a figure known with an interval in each run: a
// change counts when it exceeds threshold and the two intervals do not
// overlap. higherIsBetter says which way is an improvement.
func judgeInterval(name string, a, b, loA, hiA, loB, hiB, threshold float64, unit string, higherIsBetter bool) (string, []string) {
	delta := relDelta(a, b)
	desc := fmt.Sprintf("%s %s → %s %s (%+.1f%%; 95%% CI %s–%s vs %s–%s)", name, fmtRate(a), fmtRate(b), unit, 100*delta,
		fmtRate(loA), fmtRate(hiA), fmtRate(loB), fmtRate(hiB))
	disjoint := hiB < loA || hiA < loB
	switch {
	case !disjoint:
		return VerdictNoChange, []string{desc + ": the intervals overlap"}
	case math.Abs(delta) <= threshold:
		return VerdictNoChange, []string{desc + ": within ±" + fmtThreshold(threshold)}
	case (delta > 0) == higherIsBetter:
		return VerdictImprovement, []string{desc}
	}
	return VerdictRegression, []string{desc}
}
