package loadgen

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

func TestTrialOrder(t *testing.T) {
	t.Parallel()
	a, b := TrialOrder(7, 4, 5), TrialOrder(7, 4, 5)
	distinct := map[string]bool{}
	for r := range a {
		if !slices.Equal(a[r], b[r]) {
			t.Fatalf("round %d differs for the same seed", r)
		}
		sorted := slices.Sorted(slices.Values(a[r]))
		if !slices.Equal(sorted, []int{0, 1, 2, 3, 4}) {
			t.Errorf("round %d = %v: not a permutation of the 5 configurations", r, a[r])
		}
		distinct[fmt.Sprint(a[r])] = true
	}
	if len(distinct) < 2 {
		t.Errorf("every round visits in the same order: %v", a)
	}
	if slices.Equal(TrialOrder(8, 1, 5)[0], a[0]) && slices.Equal(TrialOrder(9, 1, 5)[0], a[0]) {
		t.Errorf("the order does not depend on the seed")
	}
}

// TestRunSweepTrials runs a memory sweep of two functions as 3 trials
// against the fake Lambda API: every round visits all six configurations
// once (interleaved, not one target then the other), each step runs at its
// memory with records labelled by trial, and both functions are restored.
func TestRunSweepTrials(t *testing.T) {
	t.Parallel()
	f := newFakeLambda(t, &fakeFn{name: "a", mode: "ok", memory: 1536}, &fakeFn{name: "b", mode: "ok", memory: 640})
	var sweeps []SweepTarget
	for _, name := range []string{"a", "b"} {
		ctl, err := NewLambdaControl(context.Background(), f.options(name), WithUpdatePoll(5*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		tgt, err := NewLambdaTarget(context.Background(), f.options(name))
		if err != nil {
			t.Fatal(err)
		}
		sweeps = append(sweeps, SweepTarget{Name: name, Target: tgt, Control: ctl})
	}
	var c collect
	r := &Runner{Encoder: c.enc, Seed: 3}
	phases := []scenarios.Phase{shortPhase("steady", 20, 150*time.Millisecond)}
	type visit struct {
		target string
		mb     int
		trial  int
	}
	var visits []visit
	err := RunSweepTrials(context.Background(), sweeps, []int{512, 1024, 2048}, 3, 11, func(ctx context.Context, sw SweepTarget, st ExperimentStep, trial int) error {
		visits = append(visits, visit{sw.Name, st.MemoryMB, trial})
		if got := f.fn(sw.Name).memory; got != st.MemoryMB {
			t.Errorf("%s trial %d runs at %d MB, want %d", sw.Name, trial, got, st.MemoryMB)
		}
		return runSweepPhases(ctx, func(ctx context.Context, run PhaseRun) (PhaseOutcome, error) { return r.RunPhase(ctx, run) },
			phases, sw.Target, st, trial)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(visits) != 18 {
		t.Fatalf("%d visits, want 2 targets × 3 sizes × 3 trials", len(visits))
	}
	for round := range 3 {
		seen := map[visit]bool{}
		for _, v := range visits[round*6 : round*6+6] {
			if v.trial != round+1 {
				t.Errorf("visit %+v in round %d", v, round+1)
			}
			seen[visit{v.target, v.mb, 0}] = true
		}
		if len(seen) != 6 {
			t.Errorf("round %d visits %d distinct configurations, want all 6", round+1, len(seen))
		}
	}
	if f.fn("a").memory != 1536 || f.fn("b").memory != 640 {
		t.Errorf("not restored: a %d MB, b %d MB", f.fn("a").memory, f.fn("b").memory)
	}
	perTrial := map[int]int{}
	for _, rec := range c.all() {
		if rec.Experiment != results.ExperimentMemorySweep || rec.Trial < 1 || rec.Trial > 3 {
			t.Fatalf("record %s/%s trial %d", rec.Experiment, rec.Step, rec.Trial)
		}
		perTrial[rec.Trial]++
	}
	if len(perTrial) != 3 {
		t.Errorf("records per trial %v", perTrial)
	}
}
