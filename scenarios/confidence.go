package scenarios

import "fmt"

// untilMetrics are the metrics an until: block can watch.
var untilMetrics = []string{"p50", "p99", "cost_per_million"}

// UntilMetrics lists the metrics an until: block can watch.
func UntilMetrics() []string { return append([]string(nil), untilMetrics...) }

// validateConfidence checks the blocks that decide how far a run's figures
// can be trusted: host_busy thresholds and the until: stopping rules of
// phases and of the capacity search.
func (v *validator) validateConfidence() {
	if h := v.s.HostBusy; h != nil {
		const p = "host_busy"
		if v.has(p+".foreign_cores") && !(h.ForeignCores > 0) {
			v.errf(p+".foreign_cores", "must be > 0 cores (got %s)", num(h.ForeignCores))
		}
		for _, f := range []struct {
			name string
			val  float64
		}{{"steal_fraction", h.StealFraction}, {"memory_stall_fraction", h.MemoryStallFraction}} {
			if v.has(p+"."+f.name) && !(f.val > 0 && f.val <= 1) {
				v.errf(p+"."+f.name, "must be a fraction in (0, 1] (got %s)", num(f.val))
			}
		}
	}
	if v.has("trials") && (v.s.Trials < 1 || v.s.Trials > MaxTrials) {
		v.errf("trials", "must be between 1 and %d (got %d)", MaxTrials, v.s.Trials)
	}
	if v.s.Distributed != nil && v.s.Trials > 1 {
		v.errf("trials", "not supported with distributed: (run trials with one generator)")
	}
	for i, ph := range v.s.Phases {
		if ph.Until == nil {
			continue
		}
		p := fmt.Sprintf("phases[%d]", i)
		if v.s.Distributed != nil {
			v.errf(p+".until", "not supported with distributed: (each worker would stop on its own share's interval)")
		}
		if v.has(p + ".duration") {
			v.errf(p+".duration", "not with until: until.max_duration bounds the phase, which stops earlier once its interval is narrow enough")
		}
		v.validateUntil(p+".until", *ph.Until)
	}
	if c := v.s.Experiments.Capacity; c != nil && c.Until != nil {
		const p = "experiments.capacity"
		if v.has(p + ".step_duration") {
			v.errf(p+".step_duration", "not with until: until.max_duration bounds each step")
		}
		v.validateUntil(p+".until", *c.Until)
	}
}

func (v *validator) validateUntil(p string, u Until) {
	if v.required(p+".ci_rel_width", "(the relative half-width to reach, e.g. 0.10 for ±10%)") && !(u.CIRelWidth > 0 && u.CIRelWidth < 1) {
		v.errf(p+".ci_rel_width", "must be a fraction in (0, 1) (got %s)", num(u.CIRelWidth))
	}
	if v.has(p + ".metric") {
		v.enum(p+".metric", u.Metric, untilMetrics)
	}
	if v.required(p+".max_duration", "(the most the phase or step may run)") {
		v.positiveDur(p+".max_duration", u.MaxDuration)
		v.maxDur(p+".max_duration", u.MaxDuration, MaxPhaseDuration)
	}
	v.nonNegative(p+".min_requests", float64(u.MinRequests))
}

// applyConfidenceDefaults fills the until: blocks: the metric, and the
// phase duration (or capacity step duration) from max_duration, so that
// schedules, dry runs and the spend estimate plan for the limit.
func (v *validator) applyConfidenceDefaults() {
	s := v.s
	if s.Trials == 0 {
		s.Trials = DefaultTrials
	}
	fill := func(u *Until) {
		if u.Metric == "" {
			u.Metric = DefaultUntilMetric
		}
	}
	for i := range s.Phases {
		if u := s.Phases[i].Until; u != nil {
			fill(u)
			s.Phases[i].Duration = u.MaxDuration
		}
	}
	if c := s.Experiments.Capacity; c != nil && c.Until != nil {
		fill(c.Until)
		c.StepDuration = c.Until.MaxDuration
	}
}
