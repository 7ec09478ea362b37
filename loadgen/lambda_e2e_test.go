package loadgen_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/benchctl/benchctl/loadgen"
	"github.com/benchctl/benchctl/locallambda"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
	"github.com/benchctl/benchctl/summary"
)

// buildTestFn builds locallambda's aws-lambda-go test function once per
// test binary run.
var buildTestFn = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "loadgen-testfn-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "bootstrap")
	out, err := exec.Command("go", "build", "-o", path, "../locallambda/testdata/testfn").CombinedOutput()
	if err != nil {
		return "", &buildError{err: err, out: string(out)}
	}
	return path, nil
})

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "build testfn: " + e.err.Error() + "\n" + e.out }

type sink struct {
	mu   sync.Mutex
	recs []results.Record
}

func (s *sink) enc(r *results.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = append(s.recs, *r)
	return nil
}

// TestLocalLambdaEndToEnd runs the serverless path against the real local
// platform (locallambda) with a real aws-lambda-go function: a phase
// through the Runner (billed duration on every successful request, first
// request cold), a memory sweep that changes the platform's memory and
// restores it, and forced cold starts giving exactly N cold samples.
func TestLocalLambdaEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts real function processes")
	}
	bin, err := buildTestFn()
	if err != nil {
		t.Fatal(err)
	}
	fn := scenarios.Function{Name: "echo", Command: []string{bin}, MemorySize: 1024, Timeout: 10 * time.Second,
		Environment: map[string]string{"TESTFN_MODE": "echo"}}
	reserved := 3
	sleeper := scenarios.Function{Name: "sleeper", Command: []string{bin}, MemorySize: 256, Timeout: 10 * time.Second,
		Environment: map[string]string{"TESTFN_MODE": "sleep"}, ReservedConcurrency: &reserved}
	p, err := locallambda.New([]scenarios.Function{fn, sleeper}, locallambda.WithLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	endpoint, err := p.Start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer ccancel()
		_ = p.Close(cctx)
	}()

	spec := scenarios.Target{Name: "fn", Kind: scenarios.KindLocalLambda, Function: "echo"}
	tgt, err := loadgen.NewTarget(spec, loadgen.TargetEnv{FunctionEndpoints: map[string]string{"echo": endpoint}})
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := loadgen.NewLambdaControl(ctx, loadgen.LambdaOptionsFromScenario(spec, endpoint), loadgen.WithUpdatePoll(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	var s sink
	coll := summary.NewExperiments(summary.ExperimentsOptions{})
	r := &loadgen.Runner{Encoder: teeTo(coll, s.enc), Seed: 7}
	steady := scenarios.Phase{Name: "steady", Duration: 600 * time.Millisecond, Traffic: scenarios.Traffic{Model: "constant", Rate: 20}}

	t.Run("phase", func(t *testing.T) {
		if _, err := r.RunPhase(ctx, loadgen.PhaseRun{Phase: steady, Targets: []loadgen.Target{tgt}}); err != nil {
			t.Fatal(err)
		}
		recs := slices.Clone(s.recs)
		slices.SortFunc(recs, func(a, b results.Record) int { return a.Timestamp.Compare(b.Timestamp) })
		if len(recs) < 8 {
			t.Fatalf("%d records", len(recs))
		}
		for i, rec := range recs {
			if rec.ErrorClass != "" {
				t.Errorf("record %d failed: %s %s", i, rec.ErrorClass, rec.Error)
				continue
			}
			if rec.BilledDurationMs == nil || rec.DurationMs == nil || rec.MemorySizeMB == nil || *rec.MemorySizeMB != 1024 || rec.RequestID == "" || rec.ReportError != "" {
				t.Errorf("record %d lacks REPORT fields: %+v", i, rec)
			}
		}
		if !recs[0].Cold || recs[0].InitDurationMs == nil {
			t.Errorf("first request not cold: %+v", recs[0])
		}
	})

	t.Run("memory sweep", func(t *testing.T) {
		warm := scenarios.Phase{Name: "warm", Duration: 150 * time.Millisecond, Traffic: scenarios.Traffic{Model: "constant", Rate: 20}, Record: new(bool)}
		seen := map[int]int{}
		inner := loadgen.PhasesStep(r, []scenarios.Phase{warm, steady}, []loadgen.Target{tgt}, nil)
		err := loadgen.RunMemorySweep(ctx, ctl, []int{512, 2048}, func(ctx context.Context, st loadgen.ExperimentStep) error {
			fc, err := ctl.Configuration(ctx)
			if err != nil {
				return err
			}
			seen[st.MemoryMB] = fc.MemorySizeMB
			return inner(ctx, st)
		})
		if err != nil {
			t.Fatal(err)
		}
		if seen[512] != 512 || seen[2048] != 2048 {
			t.Errorf("platform memory during steps = %v", seen)
		}
		fc, err := ctl.Configuration(ctx)
		if err != nil || fc.MemorySizeMB != 1024 || fc.Environment["TESTFN_MODE"] != "echo" {
			t.Errorf("after sweep: %+v, %v; want 1024 MB and the original env", fc, err)
		}
		rows := coll.MemorySweep()
		if len(rows) != 2 || rows[0].MemoryMB != 512 || rows[1].MemoryMB != 2048 {
			t.Fatalf("rows = %+v", rows)
		}
		for _, row := range rows {
			if row.Requests < 8 || row.BilledDurationMs.Count != row.Requests || row.GBSecondsPerRequest <= 0 {
				t.Errorf("row %+v", row)
			}
		}
	})

	t.Run("cold starts", func(t *testing.T) {
		const n = 3
		st, err := loadgen.RunColdStarts(ctx, ctl, tgt, loadgen.ColdStartOptions{Samples: n, Payload: []byte(`{}`), Encoder: teeTo(coll, s.enc)})
		if err != nil {
			t.Fatal(err)
		}
		if st.Samples != n || st.ColdObserved != n || st.Failed != 0 {
			t.Errorf("stats = %+v, want %d cold samples", st, n)
		}
		cs := coll.ColdStarts()
		if cs == nil || cs.Samples != n || cs.ColdObserved != n || cs.InitDurationMs.Count != n || cs.WarmLatencyMs.Count != n {
			t.Errorf("summary = %+v", cs)
		}
		fc, err := ctl.Configuration(ctx)
		if err != nil || fc.Environment[loadgen.ColdEnvVar] != "" {
			t.Errorf("after cold starts: env %v, %v", fc.Environment, err)
		}
	})

	t.Run("concurrency scaling", func(t *testing.T) {
		spec := scenarios.Target{Name: "sl", Kind: scenarios.KindLocalLambda, Function: "sleeper", Body: `{"ms": 150}`}
		sl, err := loadgen.NewTarget(spec, loadgen.TargetEnv{FunctionEndpoints: map[string]string{"sleeper": endpoint}})
		if err != nil {
			t.Fatal(err)
		}
		pl, err := loadgen.NewPayloads(scenarios.Payloads{Inline: []map[string]any{{"text": "x"}}}, []scenarios.Target{spec}, nil, 1)
		if err != nil {
			t.Fatal(err)
		}
		ph := scenarios.Phase{Name: "ramp", Targets: []string{"sl"}, Duration: 1400 * time.Millisecond,
			Traffic: scenarios.Traffic{Model: "step", Start: 3, Step: 37, Every: 700 * time.Millisecond, Max: 40}}
		sc := &scenarios.Scenario{Targets: []scenarios.Target{spec}, Phases: []scenarios.Phase{ph}}
		coll := summary.NewExperiments(summary.ExperimentsOptionsFor(sc))
		var s2 sink
		r2 := &loadgen.Runner{Encoder: teeTo(coll, s2.enc), Payloads: pl, Seed: 7}
		if _, err := r2.RunPhase(ctx, loadgen.PhaseRun{Phase: ph, Targets: []loadgen.Target{sl}}); err != nil {
			t.Fatal(err)
		}
		steps := coll.Scaling()
		if len(steps) != 2 {
			t.Fatalf("steps = %+v", steps)
		}
		for _, st := range steps {
			t.Logf("step %d: offered %.0f rps, %d requests, %d cold, %d instances, %d throttles", st.Step, st.OfferedRPS, st.Requests, st.ColdStarts, st.InstancesObserved, st.Throttles)
		}
		if steps[0].InstancesObserved < 1 || steps[0].Throttles != 0 {
			t.Errorf("step 0 = %+v, want ≥ 1 instance and no throttles", steps[0])
		}
		if steps[1].InstancesObserved <= steps[0].InstancesObserved || steps[1].InstancesObserved > int64(reserved) || steps[1].Throttles == 0 {
			t.Errorf("step 1 = %+v, want more instances (at most %d) and throttles", steps[1], reserved)
		}
	})
}

// teeTo feeds c every record passed on to next, one at a time.
func teeTo(c summary.Collector, next results.Encoder) results.Encoder {
	var mu sync.Mutex
	return func(r *results.Record) error {
		mu.Lock()
		c.Add(r)
		mu.Unlock()
		return next(r)
	}
}
