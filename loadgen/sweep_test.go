package loadgen

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
	"github.com/benchctl/benchctl/summary"
)

func TestMemoryStepLabels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		step   string
		want   int
		wantOK bool
	}{
		{results.MemoryStep(512), 512, true},
		{"memory_mb=1769", 1769, true},
		{"memory_mb=x", 0, false},
		{"cold_start", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			t.Parallel()
			got, ok := results.ParseMemoryStep(tt.step)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("results.ParseMemoryStep(%q) = %d, %v; want %d, %v", tt.step, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestValidateMemorySizes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		sizes   []int
		wantErr string
	}{
		{"ok", []int{128, 512, 10240}, ""},
		{"empty", nil, "empty"},
		{"too small", []int{64}, "outside"},
		{"too big", []int{20000}, "outside"},
		{"duplicate", []int{512, 512}, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateMemorySizes(tt.sizes)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestRunMemorySweep runs a sweep through the Runner against the fake
// Lambda API with the real SDK control client: each step runs at its
// memory size, records carry the labels and the configuration is restored
// afterwards, also when a step fails or ctx is cancelled.
func TestRunMemorySweep(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		failStepMB int  // the step at this memory returns an error
		cancelAtMB int  // ctx is cancelled during this step
		failUpdate int  // the n-th configuration update fails on every attempt
		wantErr    bool // RunMemorySweep returns an error
		wantSteps  []int
	}{
		{name: "full", wantSteps: []int{512, 1024, 2048}},
		{name: "step error", failStepMB: 1024, wantErr: true, wantSteps: []int{512, 1024}},
		{name: "cancel", cancelAtMB: 512, wantErr: true, wantSteps: []int{512}},
		{name: "update error", failUpdate: 2, wantErr: true, wantSteps: []int{512}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeLambda(t, &fakeFn{name: "sweep", mode: "ok", memory: 1536})
			f.failUpdate = tt.failUpdate
			ctl, err := NewLambdaControl(context.Background(), f.options("sweep"), WithUpdatePoll(5*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			tgt, err := NewLambdaTarget(context.Background(), f.options("sweep"))
			if err != nil {
				t.Fatal(err)
			}
			var c collect
			coll := summary.NewExperiments(summary.ExperimentsOptions{})
			r := &Runner{Encoder: teeTo(coll, c.enc), Seed: 3}
			warm := shortPhase("warm", 20, 100*time.Millisecond)
			warm.Record = new(bool)
			phases := []scenarios.Phase{warm, shortPhase("steady", 25, 300*time.Millisecond)}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var ran []int
			inner := PhasesStep(r, phases, []Target{tgt}, nil)
			step := func(ctx context.Context, s ExperimentStep) error {
				ran = append(ran, s.MemoryMB)
				if got := f.fn("sweep").memory; got != s.MemoryMB {
					t.Errorf("step %s runs at %d MB", s.Step, got)
				}
				if s.MemoryMB == tt.cancelAtMB {
					cancel()
				}
				if err := inner(ctx, s); err != nil {
					return err
				}
				if s.MemoryMB == tt.failStepMB {
					return errors.New("injected step failure")
				}
				return nil
			}
			err = RunMemorySweep(ctx, ctl, []int{512, 1024, 2048}, step)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !equalInts(ran, tt.wantSteps) && !(tt.failUpdate > 0 && len(ran) == 1) {
				t.Errorf("steps ran %v, want %v", ran, tt.wantSteps)
			}
			fn := f.fn("sweep")
			if fn.memory != 1536 || fn.env["KEEP"] != "1" {
				t.Errorf("after sweep: memory %d env %v, want 1536 and the original env", fn.memory, fn.env)
			}
			if tt.name != "full" {
				return
			}
			rows := coll.MemorySweep()
			if len(rows) != 3 {
				t.Fatalf("rows = %+v, want 3", rows)
			}
			for i, row := range rows {
				if row.MemoryMB != tt.wantSteps[i] || row.Requests < 5 || row.BilledDurationMs.Count != row.Requests {
					t.Errorf("row %d = %+v", i, row)
				}
				if row.ColdStarts > 1 {
					t.Errorf("row %d: %d cold starts; the unrecorded warm-up phase should have taken them", i, row.ColdStarts)
				}
				// Billed ms × MB/1024 / 1000 per request, with ≥ 2 ms billed.
				if min := 2.0 / 1000 * float64(row.MemoryMB) / 1024; row.GBSecondsPerRequest < min {
					t.Errorf("row %d: gb_seconds_per_request %g < %g", i, row.GBSecondsPerRequest, min)
				}
			}
			for _, rec := range c.all() {
				if rec.Phase == "warm" {
					t.Errorf("warm-up record written: %+v", rec)
				}
				if rec.Experiment != ExperimentMemorySweep || !strings.HasPrefix(rec.Step, "memory_mb=") || *rec.MemorySizeMB != mustStep(rec.Step) {
					t.Errorf("record labels %q/%q memory %d", rec.Experiment, rec.Step, *rec.MemorySizeMB)
				}
			}
		})
	}
}

func mustStep(s string) int { mb, _ := results.ParseMemoryStep(s); return mb }

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWaitUpdatedTimeout(t *testing.T) {
	t.Parallel()
	f := newFakeLambda(t, &fakeFn{name: "slow", mode: "ok"})
	f.pendingPoll = 1 << 20
	ctl, err := NewLambdaControl(context.Background(), f.options("slow"), WithUpdatePoll(10*time.Millisecond), WithUpdateWait(150*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	err = ctl.SetMemory(context.Background(), 512)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `"slow"`) {
		t.Fatalf("err = %v, want a wait timeout", err)
	}
}
