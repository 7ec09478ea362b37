package report

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/summary"
)

// unitRun describes a run for the like-with-like tests: per (phase, step,
// experiment) of target "ref", how many requests at which offered rate,
// with log-normal latencies of the given median, in trials (0: one trial).
type unitRun struct {
	phases   []unitPhase
	capacity *results.CapacityResult
	trials   int
}

type unitPhase struct {
	name, step, experiment string
	n                      int
	rps, medianMs          float64
}

// writeUnitRun writes a run directory from r: records, run.json with each
// phase's duration and schedule, and summary.json summarised by results.
func writeUnitRun(t *testing.T, dir string, seed uint64, r unitRun) {
	t.Helper()
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	info := results.RunInfo{BenchctlVersion: "test", Start: start, End: start.Add(time.Hour), Seed: seed}
	trials := max(r.trials, 1)
	for _, p := range r.phases {
		for tr := 1; tr <= trials; tr++ {
			label := 0
			if r.trials > 1 {
				label = tr
			}
			dur := float64(p.n) / p.rps
			info.Phases = append(info.Phases, results.PhaseRunInfo{Name: p.name, Step: p.step, Experiment: p.experiment,
				Targets: []string{"ref"}, Model: "poisson", Recorded: true, DurationS: dur, Scheduled: int64(p.n), Start: start, Trial: label})
		}
	}
	w, err := results.CreateRun(dir, []byte("version: 1\nname: units\n"), info)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	enc := w.Encoder()
	for _, p := range r.phases {
		for tr := 1; tr <= trials; tr++ {
			label := 0
			if r.trials > 1 {
				label = tr
			}
			for i := range p.n {
				lat := time.Duration(p.medianMs * math.Exp(0.3*rng.NormFloat64()) * float64(time.Millisecond))
				at := start.Add(time.Duration(float64(i) / p.rps * float64(time.Second)))
				rec := results.Record{Attack: p.name, Seq: uint64(i), Code: 200, Timestamp: at, Latency: lat, Target: "ref",
					Phase: p.name, Step: p.step, Experiment: p.experiment, Intended: at, CorrectedLatency: lat, Trial: label}
				if err := enc(&rec); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := w.CloseRecords(); err != nil {
		t.Fatal(err)
	}
	run, err := summary.Load(context.Background(), dir, summary.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sum := run.Summary
	sum.Scenario = results.ScenarioInfo{Name: "units", Seed: seed}
	if r.capacity != nil {
		sum.Experiments.Capacity = []results.CapacityResult{*r.capacity}
	}
	if err := w.WriteSummary(sum); err != nil {
		t.Fatal(err)
	}
}

// TestCompareLikeWithLike: two runs of the same target whose capacity
// searches ended at different rates (so pooling every step would compare a
// run with a saturated step against one without) compare as no change:
// the plain phase is compared with itself, the capacity steps are not
// pooled and the capacities' intervals overlap. A phase offered at another
// rate is not compared; a real slowdown of the plain phase still counts.
func TestCompareLikeWithLike(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	capStep := func(rps, ms float64) unitPhase {
		return unitPhase{name: "capacity", step: results.CapacityStepLabel(rps), experiment: results.ExperimentCapacity, n: 200, rps: rps, medianMs: ms}
	}
	a := unitRun{phases: []unitPhase{{name: "diurnal", n: 400, rps: 6, medianMs: 30}, {name: "ramp", n: 300, rps: 10, medianMs: 30},
		capStep(20, 30), capStep(40, 60), capStep(80, 900)},
		capacity: &results.CapacityResult{Target: "ref", CapacityRPS: 40, CapacityRPSLow: 20, CapacityRPSHi: 80}}
	b := unitRun{phases: []unitPhase{{name: "diurnal", n: 400, rps: 6, medianMs: 30}, {name: "ramp", n: 300, rps: 20, medianMs: 30},
		capStep(20, 30), capStep(30, 40)},
		capacity: &results.CapacityResult{Target: "ref", CapacityRPS: 30, CapacityRPSLow: 20, CapacityRPSHi: 40}}
	slow := b
	slow.phases = append([]unitPhase{{name: "diurnal", n: 400, rps: 6, medianMs: 40}}, b.phases[1:]...)
	dirs := map[string]unitRun{"a": a, "b": b, "slow": slow}
	for name, r := range dirs {
		writeUnitRun(t, filepath.Join(base, name), 1, r)
	}
	c, err := Compare(context.Background(), filepath.Join(base, "a"), filepath.Join(base, "b"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Targets) != 1 {
		t.Fatalf("targets %+v", c.Targets)
	}
	d := c.Targets[0]
	if d.Verdict != VerdictNoChange {
		t.Errorf("verdict %q (%v), want no change", d.Verdict, d.VerdictReasons)
	}
	units := map[string]UnitDelta{}
	for _, u := range d.Units {
		units[u.Name] = u
	}
	if u := units["ramp"]; u.Compared || !strings.Contains(u.NotCompared, "offered load differs") {
		t.Errorf("ramp at 10 vs 20 rps: %+v", u)
	}
	if u := units["diurnal"]; !u.Compared || u.RequestsA != 400 || u.RequestsB != 400 {
		t.Errorf("diurnal: %+v", u)
	}
	if u := units["capacity"]; !u.Compared || u.Verdict != VerdictNoChange || !strings.Contains(strings.Join(u.VerdictReasons, ""), "overlap") {
		t.Errorf("capacity: %+v", u)
	}
	if d.RequestsA != 400 || d.RequestsB != 400 {
		t.Errorf("pooled plain phases: %d and %d requests, want diurnal's 400 each (no capacity steps, no ramp)", d.RequestsA, d.RequestsB)
	}

	c, err = Compare(context.Background(), filepath.Join(base, "a"), filepath.Join(base, "slow"))
	if err != nil {
		t.Fatal(err)
	}
	if d := c.Targets[0]; d.Verdict != VerdictRegression || !strings.Contains(strings.Join(d.VerdictReasons, ";"), "diurnal: p") {
		t.Errorf("diurnal 33%% slower: verdict %q (%v), want a regression of diurnal", d.Verdict, d.VerdictReasons)
	}
}

// TestCompareWithTrials: when both runs ran the phase as trials, the test
// is Welch's t over the per-trial p50s, so a shift smaller than the
// spread between trials is not called.
func TestCompareWithTrials(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	r := unitRun{phases: []unitPhase{{name: "steady", n: 300, rps: 30, medianMs: 20}}, trials: 3}
	writeUnitRun(t, filepath.Join(base, "a"), 1, r)
	writeUnitRun(t, filepath.Join(base, "b"), 2, r)
	c, err := Compare(context.Background(), filepath.Join(base, "a"), filepath.Join(base, "b"))
	if err != nil {
		t.Fatal(err)
	}
	u := c.Targets[0].Units[0]
	if u.LatencyTest != LatencyTestWelchTrials || u.TrialsA != 3 || u.TrialsB != 3 {
		t.Fatalf("unit %+v: want Welch's t over 3 and 3 trials", u)
	}
	if c.Targets[0].Verdict != VerdictNoChange {
		t.Errorf("same distribution with trials: %q %v", c.Targets[0].Verdict, c.Targets[0].VerdictReasons)
	}
}

func TestWelchT(t *testing.T) {
	t.Parallel()
	// Known case: a = 1..5, b = 3..7: t = 2/√(2.5/5+2.5/5) = 2, df = 8.
	tt, df, p := WelchT([]float64{1, 2, 3, 4, 5}, []float64{3, 4, 5, 6, 7})
	if math.Abs(tt-2) > 1e-12 || math.Abs(df-8) > 1e-9 || math.Abs(p-0.0805) > 0.001 {
		t.Errorf("WelchT = %v, %v, %v; want 2, 8, 0.0805", tt, df, p)
	}
	if _, _, p := WelchT([]float64{1}, []float64{2, 3}); p != 1 {
		t.Errorf("one value: p = %v", p)
	}
}
