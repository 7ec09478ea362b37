package pricing

import (
	"math"
	"testing"
	"time"

	"github.com/benchctl/benchctl/scenarios"
)

// TestSpendPlansForMaxDuration: a phase and a capacity search with until:
// may stop early, so the pre-run estimate counts their max_duration; with
// trials, every recorded phase and search counts trials times (warm-ups once).
func TestSpendPlansForMaxDuration(t *testing.T) {
	t.Parallel()
	sc, err := scenarios.Parse("s.yaml", []byte(`version: 1
name: until-spend
targets:
  - {name: fn, kind: aws-lambda, function: f, region: us-east-1, timeout: 1s}
phases:
  - {name: p, targets: [fn], traffic: {model: constant, rate: 10}, until: {ci_rel_width: 0.1, max_duration: 60s}}
experiments:
  capacity: {target: fn, slo: {p99_ms: 100}, min_rps: 1, max_rps: 10, until: {ci_rel_width: 0.1, max_duration: 20s}}
`))
	if err != nil {
		t.Fatal(err)
	}
	book, err := LoadBook("")
	if err != nil {
		t.Fatal(err)
	}
	est, err := EstimateRunSpend(book, sc, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, l := range est.Lines {
		got[l.Phase] += l.Requests
	}
	c := *sc.Experiments.Capacity
	if c.StepDuration != 20*time.Second {
		t.Fatalf("capacity step_duration %v, want until.max_duration 20s", c.StepDuration)
	}
	capMax, _ := CapacitySearchMaxRequests(c)
	if got["p"] != 600 || got["capacity"] != int64(math.Round(capMax)) {
		t.Errorf("estimated requests %v, want p: 600 (10 rps × max_duration 60 s), capacity: %.0f (the search's bound at 20 s steps)", got, capMax)
	}

	sc.Trials = 3
	sc.Phases = append(sc.Phases, scenarios.Phase{Name: "warm", Targets: []string{"fn"}, Duration: sc.Phases[0].Duration,
		Traffic: sc.Phases[0].Traffic, Record: new(bool)})
	est, err = EstimateRunSpend(book, sc, nil)
	if err != nil {
		t.Fatal(err)
	}
	got = map[string]int64{}
	for _, l := range est.Lines {
		got[l.Phase] += l.Requests
	}
	if got["p"] != 1800 || got["warm"] != 600 || got["capacity"] != int64(math.Round(3*capMax)) {
		t.Errorf("trials: 3: estimated requests %v, want p: 1800, warm: 600 (once), capacity: %.0f", got, 3*capMax)
	}
}
