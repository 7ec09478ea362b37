package distributed

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/benchctl/benchctl/loadgen"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
	"github.com/benchctl/benchctl/summary"
)

// goroutineEngine runs each invocation's RunWorker in this process (the
// protocol's test bench; the real engines run processes).
type goroutineEngine struct {
	ref StoreRef
	// before runs before an invocation's worker (e.g. to launch a duplicate).
	before func(inv Invocation)
	// fail makes these indexes' invocations fail before they start.
	fail map[int]bool
	mu   sync.Mutex
	runs []Invocation
}

func (e *goroutineEngine) Launch(ctx context.Context, invs []Invocation, exits chan<- Exit) error {
	for _, inv := range invs {
		e.mu.Lock()
		e.runs = append(e.runs, inv)
		e.mu.Unlock()
		go func() {
			if e.fail[inv.Index] {
				exits <- Exit{Invocation: inv, Err: errors.New("instance crashed during init")}
				return
			}
			if e.before != nil {
				e.before(inv)
			}
			_, err := RunWorker(ctx, WorkerOptions{Store: e.ref, Index: inv.Index, Window: inv.Window, Version: "test"})
			exits <- Exit{Invocation: inv, Err: err}
		}()
	}
	return nil
}

func (e *goroutineEngine) Close(context.Context) error { return nil }

const testScenario = `version: 1
name: dist
seed: 11
targets:
  - name: a
    kind: http
    url: URL
    method: POST
  - name: b
    kind: http
    url: URL
    method: POST
payloads:
  inline: [{text: one}, {text: two}]
  body: '{"text": {{json .text}}}'
phases:
  - name: warm
    targets: [a]
    duration: 300ms
    record: false
    traffic: {model: constant, rate: 50}
  - name: main
    targets: [a, b]
    duration: 1s
    traffic: {model: poisson, rate: 300}
`

func parseTestScenario(t *testing.T, url string) *scenarios.Scenario {
	t.Helper()
	raw := []byte(replaceAll(testScenario, "URL", url))
	s, err := scenarios.Parse("dist.yaml", raw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func replaceAll(s, old, repl string) string {
	out := ""
	for {
		i := indexOf(s, old)
		if i < 0 {
			return out + s
		}
		out += s[:i] + repl
		s = s[i+len(old):]
	}
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

type runResult struct {
	dir   string
	plan  *Plan
	out   *Outcome
	merge *MergeResult
	err   error
}

func runDistributed(t *testing.T, s *scenarios.Scenario, workers int, window, handover time.Duration, engine func(ref StoreRef) *goroutineEngine) runResult {
	t.Helper()
	ctx := context.Background()
	st := newTestStore(t).Sub("run-" + t.Name())
	plan, err := NewPlan(s, PlanOptions{RunID: "r", Engine: "test", Workers: workers, Store: st.Ref(), Seed: s.Seed,
		Window: window, LeadTime: 300 * time.Millisecond, ReadyTimeout: 10 * time.Second, PhaseGap: 200 * time.Millisecond,
		ChunkInterval: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	eng := engine(st.Ref())
	out, err := Coordinate(ctx, CoordinatorOptions{Store: st, Plan: plan, Engine: eng, Handover: handover, Drain: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	m, err := Merge(ctx, MergeOptions{Store: st, Plan: plan, Go: out.Go, Dir: dir, Exits: out.Exits})
	return runResult{dir: dir, plan: plan, out: out, merge: m, err: err}
}

func readRecords(t *testing.T, dir string) []results.Record {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, results.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := results.NewJSONDecoder(f)
	var recs []results.Record
	for {
		var r results.Record
		if err := dec(&r); err != nil {
			if errors.Is(err, io.EOF) {
				return recs
			}
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
}

// TestProtocolMergesToTheSingleSchedule runs 3 in-process workers through
// the whole protocol against a loopback server and checks the merge: each
// (target, seq) of the recorded phase once, intended offsets equal to the
// single-generator schedule, records in intended-time order, the merged
// histograms equal to those of the merged records, vegeta's decoder
// reading the file, and workers[] complete.
func TestProtocolMergesToTheSingleSchedule(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	s := parseTestScenario(t, srv.URL)
	r := runDistributed(t, s, 3, 0, 0, func(ref StoreRef) *goroutineEngine { return &goroutineEngine{ref: ref} })
	if r.err != nil {
		t.Fatal(r.err)
	}
	single, err := (&loadgen.Runner{Seed: s.Seed}).Schedule(loadgen.PhaseRun{Phase: s.Phases[1]})
	if err != nil {
		t.Fatal(err)
	}
	recs := readRecords(t, r.dir)
	if want := 2 * single.Len(); len(recs) != want {
		t.Fatalf("merged %d records, want %d (2 targets × %d)", len(recs), want, single.Len())
	}
	start := r.out.Go.T0.Add(r.plan.Phases[1].Start)
	seen := map[string][]uint64{}
	for i, rec := range recs {
		if rec.Phase != "main" {
			t.Fatalf("record of phase %s: unrecorded phases must not be merged", rec.Phase)
		}
		if got, want := rec.Intended.Sub(start), single.Offsets[rec.Seq]; got != want {
			t.Fatalf("%s seq %d: intended offset %v, the single schedule's %v", rec.Target, rec.Seq, got, want)
		}
		if i > 0 && rec.Intended.Before(recs[i-1].Intended) {
			t.Fatalf("record %d is earlier than record %d: not in intended-time order", i, i-1)
		}
		if rec.ErrorClass != "" {
			t.Errorf("%s seq %d failed: %s", rec.Target, rec.Seq, rec.Error)
		}
		seen[rec.Target] = append(seen[rec.Target], rec.Seq)
	}
	for tg, seqs := range seen {
		slices.Sort(seqs)
		for i, q := range seqs {
			if q != uint64(i) {
				t.Fatalf("target %s: seqs not 0..n-1 exactly once (at %d: %d)", tg, i, q)
			}
		}
	}
	// Histograms merged from the workers = histograms of the merged records.
	phases := summary.NewPhases(summary.PhasesOptions{})
	for i := range recs {
		phases.Add(&recs[i])
	}
	fromRecords := phases.Histograms()
	f, err := os.Open(filepath.Join(r.dir, HistogramsFile))
	if err != nil {
		t.Fatal(err)
	}
	merged, err := ReadHistograms(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if ok, why := merged.Equal(fromRecords); !ok {
		t.Errorf("merged histograms.hlog differs from the records' histograms: %s", why)
	}
	// vegeta reads the merged file.
	vf, _ := os.Open(filepath.Join(r.dir, results.ResultsFile))
	defer vf.Close()
	dec := vegeta.NewJSONDecoder(vf)
	n := 0
	for {
		var vr vegeta.Result
		if err := dec.Decode(&vr); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("vegeta decoder: %v", err)
		}
		n++
	}
	if n != len(recs) {
		t.Errorf("vegeta decoded %d results, want %d", n, len(recs))
	}
	if len(r.merge.Workers) != 3 {
		t.Fatalf("workers[] has %d entries", len(r.merge.Workers))
	}
	for _, w := range r.merge.Workers {
		if w.Status != results.WorkerOK && w.Status != results.WorkerLate {
			t.Errorf("worker %d: status %s (%s)", w.Index, w.Status, w.Error)
		}
		if w.Requests < int64(2*single.Len()/3)-2 || w.ClockMethod == "" {
			t.Errorf("worker %d: %+v", w.Index, w)
		}
	}
	if got := r.merge.Info.Phases[1]; !got.Start.Equal(start) || got.Scheduled != int64(single.Len()) {
		t.Errorf("run.json phase %+v, want start T0+offset %v and %d scheduled", got, start, single.Len())
	}
}

// TestProtocolDuplicateInvocation launches a second instance of worker 1:
// its conditional ready put fails, it sends nothing, and the merge lists
// it as a duplicate while every seq is still there exactly once.
func TestProtocolDuplicateInvocation(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	s := parseTestScenario(t, srv.URL)
	r := runDistributed(t, s, 2, 0, 0, func(ref StoreRef) *goroutineEngine {
		e := &goroutineEngine{ref: ref}
		e.before = func(inv Invocation) {
			if inv.Index == 1 && inv.Window == 0 {
				go func() {
					time.Sleep(150 * time.Millisecond) // the original is ready first
					m, err := RunWorker(context.Background(), WorkerOptions{Store: ref, Index: 1, Window: 0, Version: "test"})
					if err != nil || m.Status != results.WorkerDuplicate || m.Requests != 0 {
						t.Errorf("duplicate: status %s, %d requests, %v", m.Status, m.Requests, err)
					}
				}()
			}
		}
		return e
	})
	if r.err != nil {
		t.Fatal(r.err)
	}
	var dups int
	for _, w := range r.merge.Workers {
		if w.Status == results.WorkerDuplicate {
			dups++
			if w.Index != 1 {
				t.Errorf("duplicate of index %d, want 1", w.Index)
			}
		}
	}
	if dups != 1 || r.merge.Missing != 0 {
		t.Errorf("%d duplicates, %d missing; want 1 and 0 (workers %+v)", dups, r.merge.Missing, r.merge.Workers)
	}
}

// TestProtocolWindows cuts the timeline into 400 ms windows, each
// invocation started 150 ms before its window: together they send every
// seq exactly once (no gap at a handover, no duplicate).
func TestProtocolWindows(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	s := parseTestScenario(t, srv.URL)
	var eng *goroutineEngine
	r := runDistributed(t, s, 2, 400*time.Millisecond, 150*time.Millisecond, func(ref StoreRef) *goroutineEngine {
		eng = &goroutineEngine{ref: ref}
		return eng
	})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.plan.Windows < 3 {
		t.Fatalf("%d windows for a %v timeline", r.plan.Windows, r.plan.Length())
	}
	if got, want := len(eng.runs), 2*r.plan.Windows; got != want {
		t.Errorf("%d invocations, want %d", got, want)
	}
	recs := readRecords(t, r.dir)
	single, _ := (&loadgen.Runner{Seed: s.Seed}).Schedule(loadgen.PhaseRun{Phase: s.Phases[1]})
	if len(recs) != 2*single.Len() || r.merge.Missing != 0 {
		t.Fatalf("%d records (%d missing), want %d and none", len(recs), r.merge.Missing, 2*single.Len())
	}
	for _, w := range r.merge.Workers {
		if w.Windows != r.plan.Windows {
			t.Errorf("worker %d ran %d windows, want %d", w.Index, w.Windows, r.plan.Windows)
		}
	}
}

// TestProtocolFailedWorkerIsAGap: worker 1's invocation fails before it
// is ready; the others start without it, and the merge reports its seqs
// as a gap (ErrGaps, seq ranges of stride 3) unless partial runs are allowed.
func TestProtocolFailedWorkerIsAGap(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	s := parseTestScenario(t, srv.URL)
	r := runDistributed(t, s, 3, 0, 0, func(ref StoreRef) *goroutineEngine {
		return &goroutineEngine{ref: ref, fail: map[int]bool{1: true}}
	})
	if !errors.Is(r.err, ErrGaps) {
		t.Fatalf("merge error %v, want ErrGaps", r.err)
	}
	w := r.merge.Workers[1]
	if w.Status != results.WorkerFailed || w.Missing == 0 || len(w.Gaps) == 0 || w.Requests != 0 {
		t.Fatalf("worker 1: %+v, want failed with its whole share missing", w)
	}
	for _, g := range w.Gaps {
		if g.Every != 3 || g.FirstSeq%3 != 1 {
			t.Errorf("gap %+v: want worker 1's stripe (seq %% 3 = 1, every 3)", g)
		}
	}
	for _, k := range []int{0, 2} {
		if st := r.merge.Workers[k].Status; st == results.WorkerFailed {
			t.Errorf("worker %d: %s", k, r.merge.Workers[k].Error)
		}
	}
	if r.merge.Missing != w.Missing {
		t.Errorf("missing %d in all, %d of them worker 1's", r.merge.Missing, w.Missing)
	}
}
