package pricing

import (
	"slices"

	"github.com/benchctl/benchctl/confidence"
)

// trialUnits sums billed units per trial (records of a run with trials:
// N > 1 carry their trial; others, trial 0, are not counted).
type trialUnits struct {
	n   map[int]int64
	sum map[int]float64
}

func (t *trialUnits) add(trial int, u float64) {
	if trial <= 0 {
		return
	}
	if t.n == nil {
		t.n, t.sum = map[int]int64{}, map[int]float64{}
	}
	t.n[trial]++
	t.sum[trial] += u
}

func (t *trialUnits) merge(o trialUnits) {
	for k, n := range o.n {
		if t.n == nil {
			t.n, t.sum = map[int]int64{}, map[int]float64{}
		}
		t.n[k] += n
		t.sum[k] += o.sum[k]
	}
}

// interval is the 95% interval of the cost per request over the trials,
// cost_t = fixed + perUnit × mean unit of trial t, combined by
// confidence.Trials (Student t on the log scale): it holds the variation
// between trials as well as the sampling noise within each. ok is false
// with fewer than two trials.
func (t trialUnits) interval(fixed, perUnit float64) (confidence.TrialsInterval, bool) {
	if len(t.n) < 2 {
		return confidence.TrialsInterval{}, false
	}
	trials := make([]int, 0, len(t.n))
	for k := range t.n {
		trials = append(trials, k)
	}
	slices.Sort(trials)
	est := make([]confidence.TrialEstimate, 0, len(trials))
	for _, k := range trials {
		est = append(est, confidence.TrialEstimate{Value: fixed + perUnit*t.sum[k]/float64(t.n[k]), N: int(t.n[k])})
	}
	return confidence.Trials(est, 0, confidence.DefaultLevel)
}
