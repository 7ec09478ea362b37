package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/benchctl/benchctl/results"
)

// benchScenario is the saved run of BenchmarkSummaryReport10M: an http
// target and a local-lambda function (REPORT fields, priced), one long
// Poisson phase each.
const benchScenario = `version: 1
name: bench
seed: 1
functions:
  - {name: fnf, command: [benchctl, function], memory_size: 1024}
targets:
  - {name: api, kind: http, url: "http://127.0.0.1:8080/v1/sentiment", method: POST}
  - {name: fn, kind: local-lambda, function: fnf}
phases:
  - {name: steady, targets: [api, fn], duration: 1h, traffic: {model: poisson, rate: 1000}}
slo: {p99_ms: 100, error_rate: 0.02}
pricing:
  instances: [c7g.large]
  capacity_rps: 200
  profile: {monthly_requests: 20000000}
`

// writeBenchRun writes a run directory with n records (about 300 bytes
// each, as benchctl writes them) and no summary.json.
func writeBenchRun(tb testing.TB, dir string, n int) {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	start := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	info := results.RunInfo{BenchctlVersion: "bench", GoVersion: "go1.26.8", OS: "linux", Arch: "amd64", Cores: 2, Start: start, Seed: 1,
		Phases: []results.PhaseRunInfo{{Name: "steady", Targets: []string{"api", "fn"}, Model: "poisson", Recorded: true,
			DurationS: float64(n/2) / 1000, Scheduled: int64(n / 2), Start: start}}}
	info.End = start.Add(time.Duration(n/2) * time.Millisecond)
	if err := os.WriteFile(filepath.Join(dir, results.ScenarioFile), []byte(benchScenario), 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := results.WriteJSONFile(filepath.Join(dir, results.RunInfoFile), info); err != nil {
		tb.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, results.ResultsFile))
	if err != nil {
		tb.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	enc := results.NewJSONEncoder(bw)
	rng := rand.New(rand.NewPCG(1, 2))
	dur, billed, mem, maxMem, initMs := 0.0, 0.0, 1024, 210, 0.0
	for i := range n {
		it := start.Add(time.Duration(i/2) * time.Millisecond)
		lag := time.Duration(rng.ExpFloat64() * 2e5)
		r := results.Record{Attack: "steady", Seq: uint64(i / 2), Code: 200, Timestamp: it.Add(lag), BytesOut: 72, BytesIn: 48,
			Method: "POST", URL: "http://127.0.0.1:8080/v1/sentiment", Target: "api", Phase: "steady", Intended: it}
		ms := 20 * math.Exp(0.4*rng.NormFloat64())
		if i%2 == 1 {
			r.Target, r.URL = "fn", "http://127.0.0.1:9001/2015-03-31/functions/fnf/invocations"
			r.RequestID = fmt.Sprintf("7d9f%012x", i)
			dur = math.Round(ms*0.9*100) / 100
			billed = math.Ceil(dur)
			r.DurationMs, r.BilledDurationMs, r.MemorySizeMB, r.MaxMemoryUsedMB = &dur, &billed, &mem, &maxMem
			if i%1999 == 1 {
				initMs = 250 + 50*rng.NormFloat64()
				r.Cold, r.InitDurationMs = true, &initMs
				ms += initMs
			}
		}
		if i%97 == 3 {
			r.Code, r.Error, r.ErrorClass, r.BytesIn = 0, "dial tcp 127.0.0.1:8080: connect: connection refused", results.ErrorClassConnRefused, 0
			r.DurationMs, r.BilledDurationMs, r.MemorySizeMB, r.MaxMemoryUsedMB, r.InitDurationMs, r.Cold = nil, nil, nil, nil, nil, false
		}
		r.Latency = time.Duration(ms * 1e6)
		r.CorrectedLatency = r.Latency + lag
		if err := enc(&r); err != nil {
			tb.Fatal(err)
		}
	}
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

const benchVegetaEnv = "BENCHCTL_BENCH_VEGETA"

// TestBenchVegetaChild is `vegeta report FILE` as a child of
// BenchmarkSummaryReport10M: vegeta's JSON decoder, Metrics and text
// reporter, as vegeta's report command runs them.
func TestBenchVegetaChild(t *testing.T) {
	path := os.Getenv(benchVegetaEnv)
	if path == "" {
		t.Skip("helper process for BenchmarkSummaryReport10M")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := vegeta.DecoderFor(f)
	if dec == nil {
		t.Fatal("vegeta cannot detect the encoding")
	}
	var m vegeta.Metrics
	rep := vegeta.NewTextReporter(&m)
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if err == io.EOF {
				break
			}
			t.Fatal(err)
		}
		m.Add(&r)
	}
	m.Close()
	if err := rep(os.Stdout); err != nil {
		t.Fatal(err)
	}
	os.Exit(0)
}

// childResult is how one child process went.
type childResult struct {
	wall   time.Duration
	cpu    time.Duration
	rssMB  float64
	code   int
	stdout string
	stderr string
}

// runBenchChild runs the test binary as a child with env set and waits
// for it; interruptAfter > 0 sends SIGINT then and returns how long the
// child took to exit after it.
func runBenchChild(b *testing.B, env []string, interruptAfter time.Duration, testName string) (childResult, time.Duration) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+testName+"$")
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	var sigToExit time.Duration
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if interruptAfter > 0 {
		select {
		case err := <-done:
			// Finished before the interrupt: the caller retries earlier.
			_ = err
		case <-time.After(interruptAfter):
			sent := time.Now()
			_ = cmd.Process.Signal(syscall.SIGINT)
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				<-done
				b.Fatalf("the child did not exit within 30 s of SIGINT")
			}
			sigToExit = time.Since(sent)
		}
	} else {
		<-done
	}
	res := childResult{wall: time.Since(start), code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.rssMB = float64(ru.Maxrss) / 1024 // KiB on Linux
		res.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return res, sigToExit
}

// BenchmarkSummaryReport10M measures benchctl against vegeta on one
// results.jsonl of 10 M records (about 3 GB, generated in a temp
// directory; BENCH_RECORDS overrides the count), each tool in its own
// process in the same run: vegeta's report (vegeta-s); benchctl report of
// the run killed before it wrote summary.json (onepass-s: the summary and
// the report from one pass); benchctl summary of that run (summary-s:
// every section recomputed, summary.json and histograms.hlog written)
// followed by benchctl report (report-s: html, md and json, the records
// re-priced and the report's series). It reports (summary-s + report-s) /
// vegeta-s as x-vegeta and onepass-s / vegeta-s as x-vegeta-onepass (goal
// ≤ 0.4), CPU seconds of each, the largest peak RSS of benchctl's
// processes (goal < 150 MB), and the time from SIGINT to exit of a report
// interrupted mid-pass (goal < 1 s, exit 130). Run it with -benchtime=1x.
func BenchmarkSummaryReport10M(b *testing.B) {
	n := 10_000_000
	if v, err := strconv.Atoi(os.Getenv("BENCH_RECORDS")); err == nil && v > 0 {
		n = v
	}
	dir := filepath.Join(b.TempDir(), "run")
	t0 := time.Now()
	writeBenchRun(b, dir, n)
	fi, err := os.Stat(filepath.Join(dir, results.ResultsFile))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d records (%.2f GB) in %v", n, float64(fi.Size())/1e9, time.Since(t0).Round(time.Millisecond))
	benchctl := func(args ...string) string { return runChildEnv + "=" + strings.Join(args, "\x1f") }
	// The children are started by vfork, so their peak RSS starts at this
	// process's: give the generator's memory back first.
	debug.FreeOSMemory()
	b.ResetTimer()
	for b.Loop() {
		for _, f := range []string{results.SummaryFile, results.HistogramsFile} {
			_ = os.Remove(filepath.Join(dir, f))
		}
		b.Cleanup(func() { _ = os.RemoveAll(filepath.Join(filepath.Dir(dir), "out1")) })
		// Warm the page cache for both tools alike (streamed, for the
		// same reason).
		if f, err := os.Open(filepath.Join(dir, results.ResultsFile)); err == nil {
			_, _ = io.Copy(io.Discard, f)
			f.Close()
		}
		veg, _ := runBenchChild(b, []string{benchVegetaEnv + "=" + filepath.Join(dir, results.ResultsFile)}, 0, "TestBenchVegetaChild")
		if veg.code != 0 || !strings.Contains(veg.stdout, "Requests") {
			b.Fatalf("vegeta report: exit %d\n%s\n%s", veg.code, veg.stdout, veg.stderr)
		}
		// One pass: the report of the run killed before it wrote
		// summary.json computes the summary and the report together.
		one, _ := runBenchChild(b, []string{benchctl("report", dir, "--format", "html,md,json", "--out", filepath.Join(filepath.Dir(dir), "out1"))}, 0, "TestRunChild")
		if one.code != 0 {
			b.Fatalf("benchctl report (one pass): exit %d\n%s", one.code, one.stderr)
		}
		sum, _ := runBenchChild(b, []string{benchctl("summary", dir)}, 0, "TestRunChild")
		if sum.code != 0 {
			b.Fatalf("benchctl summary: exit %d\n%s", sum.code, sum.stderr)
		}
		out := filepath.Join(filepath.Dir(dir), "out")
		rep, _ := runBenchChild(b, []string{benchctl("report", dir, "--format", "html,md,json", "--out", out)}, 0, "TestRunChild")
		if rep.code != 0 {
			b.Fatalf("benchctl report: exit %d\n%s", rep.code, rep.stderr)
		}
		// Ctrl-C during the pass (the first third of the report's time).
		var intr childResult
		var sigToExit time.Duration
		for after := rep.wall / 3; ; after /= 2 {
			intr, sigToExit = runBenchChild(b, []string{benchctl("report", dir, "--format", "html", "--out", out)}, after, "TestRunChild")
			if intr.code != 0 || after < 50*time.Millisecond {
				break
			}
		}
		if intr.code != int(ExitInterrupted) {
			b.Fatalf("interrupted report: exit %d, want %d\n%s", intr.code, ExitInterrupted, intr.stderr)
		}
		ours := sum.wall + rep.wall
		b.ReportMetric(veg.wall.Seconds(), "vegeta-s")
		b.ReportMetric(sum.wall.Seconds(), "summary-s")
		b.ReportMetric(rep.wall.Seconds(), "report-s")
		b.ReportMetric(ours.Seconds()/veg.wall.Seconds(), "x-vegeta")
		b.ReportMetric(one.wall.Seconds(), "onepass-s")
		b.ReportMetric(one.wall.Seconds()/veg.wall.Seconds(), "x-vegeta-onepass")
		b.ReportMetric(max(sum.rssMB, rep.rssMB, intr.rssMB, one.rssMB), "rss-MB")
		b.ReportMetric(sum.rssMB, "summary-rss-MB")
		b.ReportMetric(veg.rssMB, "vegeta-rss-MB")
		b.ReportMetric(float64(sigToExit.Milliseconds()), "sigint-exit-ms")
		b.ReportMetric(float64(n)/sum.wall.Seconds()/1e6, "summary-Mrec/s")
		b.ReportMetric(veg.cpu.Seconds(), "vegeta-cpu-s")
		b.ReportMetric(sum.cpu.Seconds(), "summary-cpu-s")
		b.ReportMetric(rep.cpu.Seconds(), "report-cpu-s")
	}
}
