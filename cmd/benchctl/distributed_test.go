package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/benchctl/benchctl/distributed"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/summary"
)

const distScenario = `version: 1
name: dist-e2e
seed: 5
targets:
  - {name: noop, kind: http, url: 'URL', method: POST, timeout: 5s}
payloads: {inline: [{text: a}, {text: b}], body: '{"text": {{json .text}}}'}
phases:
  - {name: warm, targets: [noop], duration: 300ms, record: false, traffic: {model: constant, rate: 40}}
  - {name: main, targets: [noop], duration: DURATION, traffic: {model: poisson, rate: RATE}}
DISTRIBUTED`

// distRun runs the scenario through runRun (this test binary is the
// worker function's benchctl) and returns the exit code and output.
func distRun(t testing.TB, dir, url, duration, block string, mutate func(*RunOptions)) (ExitCode, string, string) {
	t.Helper()
	rate := "400"
	if r := os.Getenv("BENCH_DIST_RATE"); r != "" && strings.HasPrefix(t.Name(), "Benchmark") {
		rate = r
	}
	raw := strings.NewReplacer("URL", url, "DURATION", duration, "DISTRIBUTED", block, "RATE", rate).Replace(distScenario)
	path := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(path, []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	opts := &RunOptions{Stdout: &out, Stderr: &errb, Scenario: path,
		Dir: filepath.Join(dir, "run"), Quiet: true, WorkerEnv: map[string]string{asBinaryEnv: "1"}}
	if mutate != nil {
		mutate(opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := runRun(ctx, opts)
	code := ExitOK
	if err != nil {
		code = exitCodeFor(err)
		errb.WriteString("error: " + err.Error() + "\n")
	}
	return code, out.String(), errb.String()
}

func readDistRecords(t *testing.T, dir string) []results.Record {
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

func readSummary(t *testing.T, dir string) results.Summary {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, results.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var s results.Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

type seqOffset struct {
	seq uint64
	off time.Duration
}

// offsets is the set of (seq, intended offset from its phase's start).
func offsets(recs []results.Record, info results.RunInfo) []seqOffset {
	start := map[string]time.Time{}
	for _, p := range info.Phases {
		start[p.Name] = p.Start
	}
	var out []seqOffset
	for _, r := range recs {
		out = append(out, seqOffset{r.Seq, r.Intended.Sub(start[r.Phase])})
	}
	slices.SortFunc(out, func(a, b seqOffset) int { return int(a.seq) - int(b.seq) })
	return out
}

// TestDistributedLocalLambdaMatchesSingleGenerator is the acceptance run:
// the same seeded scenario from one generator and from 4 local-lambda
// workers against a loopback target gives the same set of (seq, intended
// offset), equal counts, histograms.hlog equal to the histograms of the
// merged records, a results.jsonl vegeta decodes, and workers[] in
// summary.json with run.json's distributed section.
func TestDistributedLocalLambdaMatchesSingleGenerator(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	single, dist := t.TempDir(), t.TempDir()
	if code, stdout, stderr := distRun(t, single, srv.URL, "2s", "", nil); code != ExitOK {
		t.Fatalf("single run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr := distRun(t, dist, srv.URL, "2s", "", func(o *RunOptions) { o.Engine, o.Workers = "local-lambda", 4 })
	if code != ExitOK {
		t.Fatalf("distributed run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	one, four := filepath.Join(single, "run"), filepath.Join(dist, "run")
	sumOne, sumFour := readSummary(t, one), readSummary(t, four)
	recOne, recFour := readDistRecords(t, one), readDistRecords(t, four)
	if len(recOne) != len(recFour) || len(recOne) == 0 {
		t.Fatalf("records: single %d, distributed %d", len(recOne), len(recFour))
	}
	if a, b := offsets(recOne, sumOne.Run), offsets(recFour, sumFour.Run); !slices.Equal(a, b) {
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("(seq, intended offset) differ at %d: single %+v, distributed %+v", i, a[i], b[i])
			}
		}
	}
	if got, want := sumFour.Targets[0].Phases[0].Requests, sumOne.Targets[0].Phases[0].Requests; got != want {
		t.Errorf("summary requests: distributed %d, single %d", got, want)
	}
	// histograms.hlog = the histograms of the merged records, exactly.
	hf, err := os.Open(filepath.Join(four, distributed.HistogramsFile))
	if err != nil {
		t.Fatal(err)
	}
	merged, err := distributed.ReadHistograms(hf)
	hf.Close()
	if err != nil {
		t.Fatal(err)
	}
	phases := summary.NewPhases(summary.PhasesOptions{})
	for i := range recFour {
		phases.Add(&recFour[i])
	}
	fromRecords := phases.Histograms()
	if ok, why := merged.Equal(fromRecords); !ok {
		t.Errorf("histograms.hlog differs from the merged records' histograms: %s", why)
	}
	vf, _ := os.Open(filepath.Join(four, results.ResultsFile))
	defer vf.Close()
	dec := vegeta.NewJSONDecoder(vf)
	n := 0
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("vegeta decoder: %v", err)
		}
		n++
	}
	if n != len(recFour) {
		t.Errorf("vegeta decoded %d of %d results", n, len(recFour))
	}
	if d := sumFour.Run.Distributed; d == nil || d.Engine != "local-lambda" || d.Workers != 4 || d.T0.IsZero() || !strings.HasPrefix(d.Store, "s3://") {
		t.Errorf("run.json distributed = %+v", d)
	}
	if len(sumFour.Workers) != 4 {
		t.Fatalf("workers[] = %+v", sumFour.Workers)
	}
	var total int64
	for _, w := range sumFour.Workers {
		total += w.Requests
		if w.Status == results.WorkerFailed || w.GeneratorCostUSD == nil || w.ClockMethod == "" {
			t.Errorf("worker %+v", w)
		}
	}
	if total != int64(len(recFour)) {
		t.Errorf("workers' requests sum to %d, records %d", total, len(recFour))
	}
	if !strings.Contains(stdout, "WORKER") {
		t.Errorf("no worker table on stdout:\n%s", stdout)
	}
	for _, f := range []string{"report.md", "report.html"} {
		b, err := os.ReadFile(filepath.Join(four, f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "Load generators") || !strings.Contains(string(b), "4 workers on local-lambda") {
			t.Errorf("%s has no load-generator section", f)
		}
	}
}

// workerPIDs lists the processes running `<this binary> worker` as the
// local platform's function fn.
func workerPIDs(t *testing.T, fn string) []int {
	exe, _ := os.Executable()
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(cmd), "\x00"), "\x00")
		if len(args) != 2 || args[1] != "worker" || filepath.Base(args[0]) != filepath.Base(exe) {
			continue
		}
		env, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if slices.Contains(strings.Split(string(env), "\x00"), "AWS_LAMBDA_FUNCTION_NAME="+fn) && descendsFrom(pid, os.Getpid()) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// descendsFrom reports whether pid is a descendant of ancestor (so a test
// only touches the workers of its own run, not those of another test
// binary running the same test on the same host).
func descendsFrom(pid, ancestor int) bool {
	for i := 0; i < 64 && pid > 1; i++ {
		stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			return false
		}
		// Fields after the parenthesised command: state ppid ...
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
		f := strings.Fields(rest)
		if len(f) < 2 {
			return false
		}
		if pid, err = strconv.Atoi(f[1]); err != nil {
			return false
		}
		if pid == ancestor {
			return true
		}
	}
	return false
}

// TestDistributedKilledWorkerIsAGap kills one worker process (SIGKILL)
// mid-phase: the run exits non-zero, summary.json lists that worker as
// failed with its missing seqs as ranges of stride 4, and the records of
// the other workers are all there. --allow-partial makes the same exit 0.
func TestDistributedKilledWorkerIsAGap(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	// A function name of this process alone: test binaries of other
	// checkouts on the host look for their own workers by name.
	fn := fmt.Sprintf("killme-%d", os.Getpid())
	for _, partial := range []bool{false, true} {
		dir := t.TempDir()
		killed := make(chan int, 1)
		// Instances of the previous iteration may still be exiting: only
		// this iteration's workers are candidates.
		stale := workerPIDs(t, fn)
		go func() {
			// Kill one worker once the main phase is under way.
			deadline := time.Now().Add(60 * time.Second)
			for time.Now().Before(deadline) {
				if _, err := os.Stat(filepath.Join(dir, "main-started")); err == nil {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			var pids []int
			for _, pid := range workerPIDs(t, fn) {
				if !slices.Contains(stale, pid) {
					pids = append(pids, pid)
				}
			}
			if len(pids) == 0 {
				killed <- 0
				return
			}
			_ = syscall.Kill(pids[0], syscall.SIGKILL)
			killed <- pids[0]
		}()
		code, stdout, stderr := distRun(t, dir, srv.URL, "3s", "distributed: {function: "+fn+"}\n", func(o *RunOptions) {
			o.Engine, o.Workers, o.AllowPartial = "local-lambda", 4, partial
			o.OnGo = func(t0 time.Time) {
				go func() {
					time.Sleep(time.Until(t0.Add(1300 * time.Millisecond))) // into the main phase
					_ = os.WriteFile(filepath.Join(dir, "main-started"), nil, 0o644)
				}()
			}
		})
		if pid := <-killed; pid == 0 {
			t.Fatal("found no worker process to kill")
		}
		want := ExitRunFailed
		if partial {
			want = ExitOK
		}
		if code != want {
			t.Fatalf("allow-partial=%v: exit %d, want %d\n%s\n%s", partial, code, want, stdout, stderr)
		}
		sum := readSummary(t, filepath.Join(dir, "run"))
		failed := 0
		for _, w := range sum.Workers {
			if w.Status != results.WorkerFailed {
				continue
			}
			failed++
			if w.Missing == 0 || len(w.Gaps) == 0 {
				t.Errorf("failed worker %d: no gap reported: %+v", w.Index, w)
			}
			for _, g := range w.Gaps {
				if g.Phase != "main" || g.Every != 4 || int(g.FirstSeq%4) != w.Index {
					t.Errorf("worker %d gap %+v: want main-phase seqs of its stripe (every 4)", w.Index, g)
				}
			}
		}
		if failed != 1 {
			t.Errorf("allow-partial=%v: %d failed workers, want the killed one: %+v", partial, failed, sum.Workers)
		}
		if !sum.Run.Distributed.Partial {
			t.Error("run.json distributed.partial not set")
		}
	}
}

// TestDistributedWindowHandover gives the worker function a 3 s timeout,
// so a 4 s phase spans several windows: every seq is recorded exactly
// once, no gap at a handover, no duplicate.
func TestDistributedWindowHandover(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	dir := t.TempDir()
	code, stdout, stderr := distRun(t, dir, srv.URL, "4s", "distributed: {engine: local-lambda, workers: 2, timeout: 3s, lead_time: 300ms}\n", nil)
	if code != ExitOK {
		if b, err := os.ReadFile(filepath.Join(dir, "run", results.SummaryFile)); err == nil {
			var s results.Summary
			_ = json.Unmarshal(b, &s)
			for _, w := range s.Workers {
				t.Logf("worker %d gaps %+v: %s", w.Index, w.Gaps, w.Error)
			}
		}
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	run := filepath.Join(dir, "run")
	sum := readSummary(t, run)
	if d := sum.Run.Distributed; d == nil || d.Windows < 3 {
		t.Fatalf("distributed = %+v, want ≥ 3 windows for a 3 s function timeout", d)
	}
	recs := readDistRecords(t, run)
	seqs := map[uint64]int{}
	for _, r := range recs {
		seqs[r.Seq]++
	}
	want := sum.Run.Phases[1].Scheduled
	if int64(len(seqs)) != want || int64(len(recs)) != want {
		t.Fatalf("%d records over %d distinct seqs, want %d each", len(recs), len(seqs), want)
	}
	for _, w := range sum.Workers {
		if w.Windows != sum.Run.Distributed.Windows || w.Missing != 0 {
			t.Errorf("worker %d: %d windows, %d missing", w.Index, w.Windows, w.Missing)
		}
	}
}

// BenchmarkDistributedLocal8k offers 8,000 requests/s (BENCH_DIST_RATE;
// BENCH_DIST_MEMORY_MB sets the worker function's memory, hence its CPU
// quota)
// of Poisson arrivals for 5 s to a loopback no-op server from one
// generator and from 4 local-lambda workers, and reports the combined
// achieved rate and the worst per-worker dispatch-lag p99 next to the
// single generator's (the goal: 4 workers hold the rate with every
// worker's p99 < 5 ms).
func BenchmarkDistributedLocal8k(b *testing.B) {
	if os.Getenv("BENCH_DIST_RATE") == "" {
		os.Setenv("BENCH_DIST_RATE", "8000")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	for b.Loop() {
		single, dist := b.TempDir(), b.TempDir()
		block := "distributed: {workers: 4}\n"
		if mb := os.Getenv("BENCH_DIST_MEMORY_MB"); mb != "" {
			// A larger worker function gets a larger CPU quota (1769 MB = 1 vCPU).
			block = "distributed: {workers: 4, memory_mb: " + mb + "}\n"
		}
		if code, out, errs := distRun(b, dist, srv.URL, "5s", block, func(o *RunOptions) {}); code != ExitOK {
			b.Fatalf("distributed: exit %d\n%s\n%s", code, out, errs)
		}
		if code, out, errs := distRun(b, single, srv.URL, "5s", "", nil); code != ExitOK {
			b.Fatalf("single: exit %d\n%s\n%s", code, out, errs)
		}
		sd, ss := readSummaryTB(b, filepath.Join(dist, "run")), readSummaryTB(b, filepath.Join(single, "run"))
		worst := 0.0
		for _, w := range sd.Workers {
			worst = max(worst, w.DispatchLagP99Ms)
			b.Logf("worker %d: %d requests, dispatch-lag p99 %.2f ms, status %s", w.Index, w.Requests, w.DispatchLagP99Ms, w.Status)
		}
		pd, ps := sd.Targets[0].Phases[0], ss.Targets[0].Phases[0]
		b.ReportMetric(pd.AchievedRPS, "dist_rps")
		b.ReportMetric(pd.OfferedRPS, "offered_rps")
		b.ReportMetric(worst, "dist_worst_worker_lag_p99_ms")
		b.ReportMetric(pd.DispatchLagMs.P99, "dist_merged_lag_p99_ms")
		b.ReportMetric(ps.AchievedRPS, "single_rps")
		b.ReportMetric(ps.DispatchLagMs.P99, "single_lag_p99_ms")
	}
}

func readSummaryTB(t testing.TB, dir string) results.Summary {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, results.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var s results.Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}
