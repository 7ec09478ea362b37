package results

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestApplyJoins: joins appended while the run went on are folded into
// results.jsonl at the end, by target and request id, through a rename;
// a torn last join line (a crash while appending) is ignored, and
// applying twice changes nothing.
func TestApplyJoins(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w, err := CreateRun(dir, []byte("version: 1\n"), RunInfo{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	recs := []Record{
		{Target: "url", Phase: "p", Seq: 0, Code: 200, Timestamp: t0, RequestID: "a"},
		{Target: "url", Phase: "p", Seq: 1, Code: 200, Timestamp: t0, RequestID: "b"},
		{Target: "url", Phase: "p", Seq: 2, Code: 200, Timestamp: t0, RequestID: "c"},
		{Target: "other", Phase: "p", Seq: 0, Code: 200, Timestamp: t0, RequestID: "a"},
		{Target: "web", Phase: "p", Seq: 0, Code: 200, Timestamp: t0},
	}
	for i := range recs {
		if err := w.Encoder()(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.CloseRecords(); err != nil {
		t.Fatal(err)
	}
	billed, mem := 12.0, 512
	if err := AppendJoins(dir, []Record{
		{Target: "url", RequestID: "a", BilledDurationMs: &billed, MemorySizeMB: &mem, Cold: true},
		{Target: "url", RequestID: "b", ReportError: "no REPORT line joined"},
	}); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, JoinsFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"target":"url","request_id":"c","billed_dur`) // torn
	f.Close()

	n, err := ApplyJoins(dir)
	if err != nil || n != 2 {
		t.Fatalf("ApplyJoins = %d, %v; want 2 records joined", n, err)
	}
	if _, err := os.Stat(filepath.Join(dir, JoinsFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still there after the fold: %v", JoinsFile, err)
	}
	got := readAll(t, dir)
	if len(got) != len(recs) {
		t.Fatalf("%d records after the fold, want %d", len(got), len(recs))
	}
	a := got[0]
	if a.BilledDurationMs == nil || *a.BilledDurationMs != 12 || a.MemorySizeMB == nil || *a.MemorySizeMB != 512 || !a.Cold || a.ReportError != "" {
		t.Errorf("joined record %+v", a)
	}
	if got[1].ReportError != "no REPORT line joined" || got[1].BilledDurationMs != nil {
		t.Errorf("missed record %+v", got[1])
	}
	if got[2].BilledDurationMs != nil || got[3].BilledDurationMs != nil || got[4].BilledDurationMs != nil {
		t.Errorf("records of other ids or targets changed: %+v", got[2:])
	}
	if n, err := ApplyJoins(dir); n != 0 || err != nil {
		t.Errorf("second ApplyJoins = %d, %v; want nothing to do", n, err)
	}
}

func readAll(t *testing.T, dir string) []Record {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := NewJSONDecoder(f)
	var out []Record
	for {
		var r Record
		if err := dec(&r); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
}
