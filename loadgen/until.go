package loadgen

import (
	"math"
	"time"

	"github.com/benchctl/benchctl/confidence"
	"github.com/benchctl/benchctl/scenarios"
)

// UntilCheckInterval is how often a phase with an until: rule checks
// whether its targets have reached the next look (confidence.StopRule.Next).
const UntilCheckInterval = 100 * time.Millisecond

// StopRule converts a scenario's until: block into the rule it stands for.
func StopRule(u scenarios.Until) confidence.StopRule {
	m := u.Metric
	if m == "" {
		m = scenarios.DefaultUntilMetric
	}
	return confidence.StopRule{Metric: confidence.Metric(m), RelWidth: u.CIRelWidth, MinSamples: u.MinRequests, Level: confidence.DefaultLevel}
}

// untilWatch decides when a phase with an until: rule may stop: when every
// target's interval meets the rule at a look.
type untilWatch struct {
	rule    confidence.StopRule
	attacks []*attack
	next    int
}

func newUntilWatch(u scenarios.Until, attacks []*attack) *untilWatch {
	r := StopRule(u)
	return &untilWatch{rule: r, attacks: attacks, next: r.Next(0)}
}

// check reports whether the phase may stop now. It looks only when the
// target with the fewest completed requests has reached the next look's
// sample count.
func (w *untilWatch) check() bool {
	n := math.MaxInt
	for _, a := range w.attacks {
		a.mu.Lock()
		n = min(n, int(a.agg.Completed()))
		a.mu.Unlock()
	}
	if n < w.next {
		return false
	}
	w.next = w.rule.Next(n)
	for _, a := range w.attacks {
		a.mu.Lock()
		iv := a.agg.StopInterval(w.rule)
		a.mu.Unlock()
		if !w.rule.Met(iv) {
			return false
		}
	}
	return true
}

// widest is the largest relative half-width over the targets (+Inf when
// some target has no two-sided interval).
func (w *untilWatch) widest() float64 {
	worst := 0.0
	for _, a := range w.attacks {
		a.mu.Lock()
		iv := a.agg.StopInterval(w.rule)
		a.mu.Unlock()
		if iv.Bound == confidence.BoundAtLeast {
			return math.Inf(1)
		}
		worst = math.Max(worst, iv.RelHalfWidth())
	}
	return worst
}
