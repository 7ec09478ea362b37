package summary

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
)

// TestLoadFoldsPendingJoins: a lambda-url run killed after a phase's Logs
// join was written to joins.jsonl but before the run's end folded it in
// is read with its REPORT fields by every command that loads it (report,
// compare, pricing breakeven --run), not only by `benchctl summary`.
func TestLoadFoldsPendingJoins(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	scenario := []byte("version: 1\nname: url\ntargets:\n  - name: url\n    kind: lambda-url\n    url: https://abc.lambda-url.us-east-1.on.aws/\n    function: fn\nphases:\n  - name: p\n    targets: [url]\n    duration: 1s\n    traffic: {model: constant, rate: 2}\n")
	w, err := results.CreateRun(dir, scenario, results.RunInfo{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, id := range []string{"a", "b"} {
		r := results.Record{Target: "url", Phase: "p", Attack: "p", Seq: uint64(i), Code: 200, Timestamp: t0.Add(time.Duration(i) * 500 * time.Millisecond),
			Intended: t0.Add(time.Duration(i) * 500 * time.Millisecond), Latency: 20 * time.Millisecond, CorrectedLatency: 20 * time.Millisecond, RequestID: id}
		if err := w.Encoder()(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.CloseRecords(); err != nil {
		t.Fatal(err)
	}
	billed, dur, mem := 12.0, 11.5, 512
	if err := results.AppendJoins(dir, []results.Record{
		{Target: "url", RequestID: "a", BilledDurationMs: &billed, DurationMs: &dur, MemorySizeMB: &mem},
		{Target: "url", RequestID: "b", BilledDurationMs: &billed, DurationMs: &dur, MemorySizeMB: &mem},
	}); err != nil {
		t.Fatal(err)
	}

	run, err := Load(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, results.JoinsFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s left after Load: %v", results.JoinsFile, err)
	}
	var found bool
	for _, ts := range run.Summary.Targets {
		for _, p := range ts.Phases {
			if ts.Name == "url" && p.Name == "p" {
				found = true
				if p.BilledDurationMs == nil || p.BilledDurationMs.Count != 2 {
					t.Errorf("billed duration %+v, want both joined REPORTs", p.BilledDurationMs)
				}
			}
		}
	}
	if !found {
		t.Fatalf("no url/p phase in %+v", run.Summary.Targets)
	}
}
