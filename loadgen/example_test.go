package loadgen_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/benchctl/benchctl/loadgen"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// ExampleRunner_RunPhase runs one phase against an http target and decides
// from the in-memory outcome, as the capacity search and memory sweep do.
func ExampleRunner_RunPhase() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"label":"POSITIVE"}`)
	}))
	defer srv.Close()

	target, err := loadgen.NewTarget(scenarios.Target{Name: "echo", Kind: "http", URL: srv.URL, Method: "POST"}, loadgen.TargetEnv{})
	if err != nil {
		panic(err)
	}
	var written int
	r := &loadgen.Runner{
		Seed:    42,
		Encoder: func(*results.Record) error { written++; return nil }, // e.g. RunWriter.Encoder()
	}
	out, err := r.RunPhase(context.Background(), loadgen.PhaseRun{
		Phase: scenarios.Phase{Name: "probe", Duration: 500 * time.Millisecond,
			Traffic: scenarios.Traffic{Model: "constant", Rate: 20}},
		Targets: []loadgen.Target{target},
		Step:    "capacity_rps=20", Experiment: "capacity",
		SLO: &results.SLOSpec{P99Ms: 1000},
	})
	if err != nil {
		panic(err)
	}
	s := out.Targets[0].Summary
	fmt.Println(out.Info.Scheduled, s.Requests, s.OK, written, s.SLO.Passed)
	// Output: 10 10 10 10 true
}
