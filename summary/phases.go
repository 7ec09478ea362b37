package summary

import (
	"context"
	"slices"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// PhasesOptions tells the phase collector about the run beyond its records.
type PhasesOptions struct {
	// Kinds maps target name to kind (scenarios.KindHTTP when missing).
	Kinds map[string]string
	// TargetOrder lists target names in scenario order; others follow in
	// order of appearance.
	TargetOrder []string
	// Phases are the phases as run (run.json): durations and scheduled counts.
	Phases []results.PhaseRunInfo
	// SLO returns the SLO a target's phases are judged against (nil: none).
	SLO func(target string) *scenarios.SLO
	// Killed says the run died before it ended (RunInfo.EndState
	// EndKilled): a phase with records but no Phases entry was still
	// running, and is marked Incomplete.
	Killed bool
}

// PhasesOptionsFor returns the options for a run of scenario s (nil: no
// kinds, order or SLOs) whose run.json is info.
func PhasesOptionsFor(s *scenarios.Scenario, info results.RunInfo) PhasesOptions {
	o := PhasesOptions{Kinds: map[string]string{}, Phases: info.Phases, Killed: info.EndState == results.EndKilled}
	if s != nil {
		for _, t := range s.Targets {
			o.Kinds[t.Name] = t.Kind
			o.TargetOrder = append(o.TargetOrder, t.Name)
		}
		o.SLO = s.SLOFor
	}
	return o
}

// phaseKey identifies one phase summary.
type phaseKey struct{ target, phase, step, experiment string }

// Phases is the collector of the phase summaries (summary.json's targets):
// one results.Aggregator per (target, phase, step), in constant memory in
// the number of records. Targets come in TargetOrder then order of
// appearance; phases in order of appearance. It merges exactly (see
// results.Aggregator.Merge); the order of appearance survives the merge
// because the fork's keys follow the receiver's.
type Phases struct {
	opts PhasesOptions
	aggs map[phaseKey]*results.Aggregator
	keys []phaseKey
	// trials holds each trial's statistics in a run with trials (records
	// with a trial), for the phases' trials[] and intervals.
	trials map[results.TrialKey]*results.TrialStats
	// recent caches the last few keys' aggregators: records come in runs
	// of a few phases.
	recent [4]recentPhase
}

type recentPhase struct {
	k phaseKey
	a *results.Aggregator
}

var _ Merger = (*Phases)(nil)

// NewPhases returns an empty phase collector.
func NewPhases(o PhasesOptions) *Phases {
	return &Phases{opts: o, aggs: map[phaseKey]*results.Aggregator{}, trials: map[results.TrialKey]*results.TrialStats{}}
}

// Add folds one record into its phase's aggregator.
func (p *Phases) Add(r *results.Record) {
	phase := r.Phase
	if phase == "" {
		phase = r.Attack
	}
	p.aggregator(r.Target, phase, r.Step, r.Experiment).Add(r)
	if r.Trial > 0 {
		tk := results.TrialKey{Target: r.Target, Phase: phase, Step: r.Step, Experiment: r.Experiment, Trial: r.Trial}
		t := p.trials[tk]
		if t == nil {
			t = results.NewTrialStats()
			p.trials[tk] = t
		}
		t.Add(r)
	}
}

// aggregator returns the aggregator of a phase, made on first sight.
func (p *Phases) aggregator(target, phase, step, experiment string) *results.Aggregator {
	for _, c := range p.recent {
		if c.a != nil && c.k.target == target && c.k.phase == phase && c.k.step == step && c.k.experiment == experiment {
			return c.a
		}
	}
	k := phaseKey{target, phase, step, experiment}
	a := p.aggs[k]
	if a == nil {
		a = results.NewAggregator(phase, step, experiment)
		p.aggs[k] = a
		p.keys = append(p.keys, k)
	}
	copy(p.recent[1:], p.recent[:len(p.recent)-1])
	p.recent[0] = recentPhase{k, a}
	return a
}

// Fork returns an empty collector with p's options.
func (p *Phases) Fork() Merger { return NewPhases(p.opts) }

// Merge folds a fork that saw the records after p's.
func (p *Phases) Merge(later Merger) {
	q := later.(*Phases)
	for _, k := range q.keys {
		if a := p.aggs[k]; a != nil {
			a.Merge(q.aggs[k])
			q.aggs[k].Release() // the fork is done with it
			continue
		}
		p.aggs[k] = q.aggs[k]
		p.keys = append(p.keys, k)
	}
	for k, t := range q.trials {
		if a := p.trials[k]; a != nil {
			a.Merge(t)
			continue
		}
		p.trials[k] = t
	}
}

// Apply sets s.Targets.
func (p *Phases) Apply(ctx context.Context, s *results.Summary) error {
	s.Targets = p.Targets()
	return nil
}

// targetOrder is the targets in summary order: TargetOrder, then the
// others in order of appearance.
func (p *Phases) targetOrder() []string {
	order := slices.Clone(p.opts.TargetOrder)
	for _, k := range p.keys {
		if !slices.Contains(order, k.target) {
			order = append(order, k.target)
		}
	}
	return order
}

// Targets returns the summaries per target and phase (targets without
// records are left out; never nil).
func (p *Phases) Targets() []results.TargetSummary {
	infos := phaseInfos(p.opts.Phases)
	tinfos := results.TrialPhaseInfos(p.opts.Phases)
	out := []results.TargetSummary{}
	for _, t := range p.targetOrder() {
		kind := p.opts.Kinds[t]
		if kind == "" {
			kind = scenarios.KindHTTP
		}
		ts := results.TargetSummary{Name: t, Kind: kind, Phases: []results.PhaseSummary{}}
		var slo *results.SLOSpec
		if p.opts.SLO != nil {
			if o := p.opts.SLO(t); o != nil {
				spec := results.SLOSpec(*o)
				slo = &spec
			}
		}
		for _, k := range p.keys {
			if k.target != t {
				continue
			}
			s := p.aggs[k].Summary(infos.of(k), slo)
			if p.opts.Killed && !infos.has(k) {
				s.Incomplete = true // still running when the run died
			}
			trials, tin := p.trialsOf(k, tinfos)
			results.AttachIntervals(&s, p.aggs[k].Dist(results.MetricLatency), trials, tin)
			ts.Phases = append(ts.Phases, s)
		}
		if len(ts.Phases) > 0 {
			out = append(out, ts)
		}
	}
	return out
}

// trialsOf returns the trials of phase k and run.json's entries of each.
func (p *Phases) trialsOf(k phaseKey, infos map[results.TrialKey]results.PhaseInfo) (map[int]*results.TrialStats, map[int]results.PhaseInfo) {
	trials, in := map[int]*results.TrialStats{}, map[int]results.PhaseInfo{}
	for tk, t := range p.trials {
		if tk.Target == k.target && tk.Phase == k.phase && tk.Step == k.step && tk.Experiment == k.experiment {
			trials[tk.Trial] = t
			in[tk.Trial] = infos[tk]
		}
	}
	return trials, in
}

// Histograms returns histograms.hlog's content: every recorded
// distribution of every phase (results.Dist.Histogram), tagged
// Tag(target, phase, step, metric), in summary order (targets, phases,
// results.Metrics order), each spanning its phase's intended send times.
// The histograms are copies.
func (p *Phases) Histograms() *Histograms {
	hs := NewHistograms()
	for _, t := range p.targetOrder() {
		for _, k := range p.keys {
			if k.target != t {
				continue
			}
			a := p.aggs[k]
			first, last := a.Span()
			for _, m := range results.Metrics() {
				d := a.Dist(m)
				if d == nil || d.Count() == 0 {
					continue
				}
				h := d.Histogram().Clone()
				if !first.IsZero() {
					h.SetStartTimeMs(first.UnixMilli())
					h.SetEndTimeMs(last.UnixMilli())
				}
				// The histograms share the summary's range: no value drops.
				_ = hs.Add(Tag(k.target, k.phase, k.step, m), h)
			}
		}
	}
	return hs
}

// phaseInfoSet holds the run.json phase entries summed per (phase, step,
// experiment, target); target "" holds entries that list no targets, which
// count for every target.
type phaseInfoSet map[phaseKey]results.PhaseInfo

// phaseInfos sums the entries of phases that share a phase, step,
// experiment and target: a phase or step run more than once (a capacity
// step that was extended, a memory sweep step run once per swept target)
// ran for the sum of its durations and scheduled the sum of its requests.
// Entries for other targets are kept apart, so each target's rates are
// over the time it was sent to.
func phaseInfos(phases []results.PhaseRunInfo) phaseInfoSet {
	infos := phaseInfoSet{}
	for _, p := range phases {
		targets := p.Targets
		if len(targets) == 0 {
			targets = []string{""}
		}
		for i, t := range targets {
			if slices.Contains(targets[:i], t) {
				continue
			}
			k := phaseKey{t, p.Name, p.Step, p.Experiment}
			infos[k] = infos[k].Plus(results.PhaseInfo{DurationS: p.DurationS, Scheduled: p.Scheduled, Host: p.Host, Stopped: p.Stopped,
				Interrupted: p.Interrupted})
		}
	}
	return infos
}

// has reports whether run.json lists k's phase (for k's target or all).
func (s phaseInfoSet) has(k phaseKey) bool {
	_, own := s[k]
	_, all := s[phaseKey{"", k.phase, k.step, k.experiment}]
	return own || all
}

// of returns the summed entry of k's target plus the entries without
// targets.
func (s phaseInfoSet) of(k phaseKey) results.PhaseInfo {
	in := s[k]
	if k.target != "" {
		in = in.Plus(s[phaseKey{"", k.phase, k.step, k.experiment}])
	}
	return in
}
