package loadgen

import (
	"context"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
	"github.com/benchctl/benchctl/summary"
)

// TestRunColdStarts forces N cold starts against the fake Lambda API (real
// SDK control client): exactly N cold samples, warm samples not cold, the
// environment restored, and the collector's summary.
func TestRunColdStarts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		samples int
		warm    int
		cancel  bool
	}{
		{name: "five", samples: 5, warm: 2},
		{name: "one no warm", samples: 1, warm: -1},
		{name: "cancelled", samples: 3, cancel: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeLambda(t, &fakeFn{name: "cs", mode: "ok", env: map[string]string{"KEEP": "1", ColdEnvVar: "1"}})
			ctl, err := NewLambdaControl(context.Background(), f.options("cs"), WithUpdatePoll(5*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			tgt, err := NewLambdaTarget(context.Background(), f.options("cs"))
			if err != nil {
				t.Fatal(err)
			}
			// Warm the function first so the first sample is cold only
			// because of the forced update.
			if rec := InvokeOnce(context.Background(), tgt, nil, time.Second); !rec.Cold {
				t.Fatal("first invoke not cold")
			}
			var c collect
			coll := summary.NewExperiments(summary.ExperimentsOptions{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			enc := teeTo(coll, c.enc)
			if tt.cancel {
				enc = teeTo(coll, func(r *results.Record) error { cancel(); return c.enc(r) })
			}
			st, err := RunColdStarts(ctx, ctl, tgt, ColdStartOptions{Samples: tt.samples, WarmPerSample: tt.warm, Payload: []byte(`{}`), Encoder: enc})
			fn := f.fn("cs")
			if fn.env["KEEP"] != "1" || fn.env[ColdEnvVar] != "1" || len(fn.env) != 2 {
				t.Errorf("environment after the experiment = %v, want the original", fn.env)
			}
			if tt.cancel {
				if err == nil || st.Samples != 1 {
					t.Fatalf("cancelled: err %v samples %d, want an error after 1 sample", err, st.Samples)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantWarm := max(tt.warm, 0) * tt.samples
			if st.Samples != tt.samples || st.ColdObserved != tt.samples || st.Failed != 0 || st.Warm != wantWarm {
				t.Errorf("stats = %+v, want %d cold samples and %d warm", st, tt.samples, wantWarm)
			}
			recs := c.all()
			if len(recs) != tt.samples+wantWarm {
				t.Fatalf("%d records, want %d", len(recs), tt.samples+wantWarm)
			}
			for i, r := range recs {
				wantCold := r.Step == StepColdStart
				if r.Cold != wantCold || r.Experiment != ExperimentColdStarts || r.Phase != DefaultColdStartPhase || r.Seq != uint64(i) {
					t.Errorf("record %d: step %q cold %v experiment %q phase %q seq %d", i, r.Step, r.Cold, r.Experiment, r.Phase, r.Seq)
				}
			}
			cs := coll.ColdStarts()
			if cs == nil || cs.Samples != tt.samples || cs.ColdObserved != tt.samples || cs.InitDurationMs.Count != int64(tt.samples) ||
				cs.ColdLatencyMs.Count != int64(tt.samples) || cs.WarmLatencyMs.Count != int64(wantWarm) || cs.InitDurationMs.P50 != 120.5 {
				t.Errorf("summary = %+v", cs)
			}
		})
	}
}

func TestScalingCollector(t *testing.T) {
	t.Parallel()
	p := scenarios.Phase{Name: "ramp", Duration: 3 * time.Second,
		Traffic: scenarios.Traffic{Model: "step", Start: 10, Step: 10, Every: time.Second, Max: 25}}
	spec, ok := summary.ScalingSpecFromPhase("fn", p)
	if !ok {
		t.Fatal("step phase not recognised")
	}
	c := summary.NewExperiments(summary.ExperimentsOptions{Scaling: []summary.ScalingSpec{spec}})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	add := func(at time.Duration, cold bool, class string) {
		c.Add(&results.Record{Target: "fn", Phase: "ramp", Intended: t0.Add(at), Cold: cold, ErrorClass: class, Latency: 10 * time.Millisecond})
	}
	add(0, true, "")
	add(500*time.Millisecond, false, "")
	add(1100*time.Millisecond, true, "")
	add(1200*time.Millisecond, true, "")
	add(1300*time.Millisecond, false, results.ErrorClassThrottle)
	add(2500*time.Millisecond, false, results.ErrorClassThrottle)
	c.Add(&results.Record{Target: "other", Phase: "ramp", Intended: t0, Cold: true})
	got := c.Scaling()
	want := []results.ScalingStep{
		{Target: "fn", Phase: "ramp", Step: 0, StartS: 0, OfferedRPS: 10, Requests: 2, AchievedRPS: 2, ColdStarts: 1, InstancesObserved: 1, LatencyP99Ms: 10},
		{Target: "fn", Phase: "ramp", Step: 1, StartS: 1, OfferedRPS: 20, Requests: 3, AchievedRPS: 3, ColdStarts: 2, InstancesObserved: 3, Throttles: 1, ThrottleRate: 1.0 / 3, Errors: 1, LatencyP99Ms: 10},
		{Target: "fn", Phase: "ramp", Step: 2, StartS: 2, OfferedRPS: 25, Requests: 1, AchievedRPS: 1, InstancesObserved: 3, Throttles: 1, ThrottleRate: 1, Errors: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d steps: %+v", len(got), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("step %d = %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if _, ok := summary.ScalingSpecFromPhase("fn", shortPhase("x", 1, time.Second)); ok {
		t.Error("constant phase accepted as a step profile")
	}
}
