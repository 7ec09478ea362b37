package distributed

import (
	"strings"
	"testing"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/summary"
)

// TestCollector counts each worker's records across forks, returns
// workers[] and the notes, and refuses a merge the records contradict.
func TestCollector(t *testing.T) {
	t.Parallel()
	plan := &Plan{Workers: 2, Weights: []int{1, 1}}
	res := &MergeResult{Workers: []results.WorkerSummary{{Index: 0, Requests: 3}, {Index: 1, Requests: 2, Status: results.WorkerFailed},
		{Index: 1, Status: results.WorkerDuplicate}}, Missing: 1,
		Manifests: map[Invocation]*results.WorkerManifest{{Index: 1}: {Index: 1, Phases: []results.WorkerPhase{{Phase: "main", Late: true, StartLagMs: 80}}}}}
	c, err := NewCollector(plan, res, []string{"load generators: $1"})
	if err != nil {
		t.Fatal(err)
	}
	var fork summary.Generators = c.Fork()
	for _, seq := range []uint64{0, 1, 2} {
		c.Add(&results.Record{Seq: seq})
	}
	for _, seq := range []uint64{3, 4} {
		fork.Add(&results.Record{Seq: seq})
	}
	c.Merge(fork)
	workers, ns, err := c.Workers()
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(ns, "\n")
	if len(workers) != 3 || !strings.Contains(notes, "worker 1 (window 0) started 80 ms") || !strings.Contains(notes, "1 scheduled requests were never recorded") || !strings.Contains(notes, "load generators: $1") {
		t.Errorf("workers %+v notes %q", workers, ns)
	}
	c2, _ := NewCollector(plan, res, nil)
	c2.Add(&results.Record{Seq: 0})
	if _, _, err := c2.Workers(); err == nil {
		t.Error("a merge the records contradict was accepted")
	}
}
