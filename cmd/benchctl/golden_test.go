package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenScenario exercises every collector of a saved run: an http target
// and a local-lambda target with its own SLO, a memory sweep, forced cold
// starts, a capacity search, a step-profile phase against the function
// (concurrency scaling) and a pricing block with a monthly profile.
const goldenScenario = `version: 1
name: golden
description: fixture of the saved-run commands
seed: %d
functions:
  - name: fnf
    command: [benchctl, function, --model, tinybert-4l-312, --task, sentiment]
    memory_size: 1024
    timeout: 30s
    architecture: x86_64
targets:
  - {name: api, kind: http, url: "http://127.0.0.1:8080/v1/sentiment", method: POST}
  - {name: fn, kind: local-lambda, function: fnf, slo: {p99_ms: 90, error_rate: 0.02}}
phases:
  - {name: sweep, targets: [fn], duration: 10s, traffic: {model: poisson, rate: 22}}
  - {name: steady, targets: [api, fn], duration: 60s, traffic: {model: poisson, rate: 25}}
  - {name: scale, targets: [fn], duration: 30s, traffic: {model: step, start: 10, step: 10, every: 10s, max: 30}}
slo: {p99_ms: 60, error_rate: 0.01}
experiments:
  memory_sweep: {target: fn, memory_sizes: [512, 1024], phases: [sweep]}
  cold_starts: {target: fn, samples: 3}
  capacity: {target: api, slo: {p99_ms: 60}, min_rps: 10, max_rps: 80, step_duration: 3s, tolerance: 0.1, min_samples: 30}
pricing:
  region: us-east-1
  architectures: [x86_64, arm64]
  instances: [c7g.large, t3.medium]
%s  profile: {monthly_requests: 5000000, shape: diurnal, peak_to_average: 3, peak_hours: 8}
`

// goldenPrices overrides the embedded Lambda x86_64 rates in us-east-1
// (the price-book rule: a scenario's pricing.prices is used by every
// command that prices the run).
const goldenPrices = `version: 1
entries:
  - platform: aws-lambda
    region: us-east-1
    architecture: x86_64
    source: https://example.com/negotiated-prices
    effective_date: "2026-01-01"
    retrieved: "2026-01-01"
    confidence: "P: the team's negotiated rate"
    lambda:
      request_usd: "0.0000001"
      duration_tiers:
        - {usd: "0.0000100000"}
      ephemeral_storage_gb_s_usd: "0.0000000309"
      init_billed_from: "2025-08-01"
`

// goldenRun writes a run directory of the golden scenario: scenario.yaml,
// run.json (every phase but the last, as a run killed during it leaves
// it) and results.jsonl with deterministic records; no summary.json. scale
// multiplies every latency; prices adds pricing.prices (with prices.yaml
// beside scenario.yaml).
func goldenRun(t *testing.T, dir string, seed uint64, scale float64, prices bool) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	extra := ""
	if prices {
		extra = "  prices: prices.yaml\n"
		if err := os.WriteFile(filepath.Join(dir, "prices.yaml"), []byte(goldenPrices), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw := fmt.Sprintf(goldenScenario, seed, extra)
	rng := rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
	start := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	info := results.RunInfo{BenchctlVersion: "v0.0.0-golden", GoVersion: "go1.26.8", OS: "linux", Arch: "amd64",
		Cores: 2, Hostname: "golden", Start: start, Seed: seed, CPUIsolation: "cgroup-v1",
		Command: []string{"benchctl", "run", "golden.yaml"}}
	f, err := os.Create(filepath.Join(dir, results.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	enc := results.NewJSONEncoder(f)
	f64 := func(v float64) *float64 { return &v }
	ip := func(v int) *int { return &v }
	at := start
	var reqID int
	// emit writes one record of target at intended time it; lambda adds
	// the REPORT fields at memory mem.
	emit := func(target, phase, step, experiment string, seq int, it time.Time, ms float64, mem int, cold bool, fail string) {
		lag := time.Duration(rng.ExpFloat64() * float64(300*time.Microsecond))
		r := results.Record{Attack: phase, Seq: uint64(seq), Code: 200, Timestamp: it.Add(lag), BytesOut: 64, BytesIn: 48,
			Method: "POST", URL: "http://127.0.0.1:8080/v1/sentiment", Target: target, Phase: phase, Step: step,
			Experiment: experiment, Intended: it}
		if mem > 0 {
			reqID++
			r.URL = "http://127.0.0.1:9001/2015-03-31/functions/fnf/invocations"
			r.RequestID = fmt.Sprintf("req-%06d", reqID)
			d := ms * 0.85
			r.DurationMs, r.BilledDurationMs = f64(math.Round(d*100)/100), f64(math.Ceil(d))
			r.MemorySizeMB, r.MaxMemoryUsedMB = ip(mem), ip(180+rng.IntN(40))
			if cold {
				initMs := 250 + 60*rng.NormFloat64()
				r.Cold, r.InitDurationMs = true, f64(math.Round(initMs*100)/100)
				r.BilledDurationMs = f64(math.Ceil(d + initMs))
				ms += initMs
			}
		}
		switch fail {
		case results.ErrorClassConnRefused:
			r.Code, r.Error, r.ErrorClass = 0, "dial tcp 127.0.0.1:8080: connect: connection refused", fail
			r.BytesIn = 0
		case results.ErrorClassThrottle:
			r.Code, r.Error, r.ErrorClass = 429, "429 Too Many Requests", fail
			r.DurationMs, r.BilledDurationMs, r.MemorySizeMB, r.MaxMemoryUsedMB, r.InitDurationMs, r.Cold = nil, nil, nil, nil, nil, false
			r.Body = []byte(`{"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded"}`)
		case results.ErrorClassHTTP5xx:
			r.Code, r.Error, r.ErrorClass = 502, "502 Bad Gateway", fail
		case results.ErrorClassDropped:
			r.Code, r.Error, r.ErrorClass, r.Timestamp = 0, "generator dropped the request", fail, it
			r.BytesOut, r.BytesIn, ms, lag = 0, 0, 0, 0
			r.DurationMs, r.BilledDurationMs, r.MemorySizeMB, r.MaxMemoryUsedMB, r.InitDurationMs, r.Cold = nil, nil, nil, nil, nil, false
		}
		r.Latency = time.Duration(ms * float64(time.Millisecond))
		r.CorrectedLatency = r.Latency + lag
		if err := enc(&r); err != nil {
			t.Fatal(err)
		}
	}
	lognorm := func(base, sigma float64) float64 { return scale * base * math.Exp(sigma*rng.NormFloat64()) }
	phase := func(name, step, experiment string, targets []string, d time.Duration, scheduled int64, model string) {
		info.Phases = append(info.Phases, results.PhaseRunInfo{Name: name, Step: step, Experiment: experiment, Targets: targets,
			Model: model, Recorded: true, DurationS: d.Seconds(), Scheduled: scheduled, Start: at})
	}
	// Memory sweep: 220 requests per size, faster with more memory.
	for _, mem := range []int{512, 1024} {
		step := results.MemoryStep(mem)
		for i := range 220 {
			it := at.Add(time.Duration(i) * 45 * time.Millisecond)
			emit("fn", "sweep", step, results.ExperimentMemorySweep, i, it, lognorm(30*1024/float64(mem), 0.3), mem, i == 0, "")
		}
		phase("sweep", step, results.ExperimentMemorySweep, []string{"fn"}, 10*time.Second, 220, "poisson")
		at = at.Add(12 * time.Second)
	}
	// Steady: 1,500 requests per target (HDR percentiles), errors of
	// several classes, cold starts and throttles on the function.
	for i := range 1500 {
		it := at.Add(time.Duration(i) * 40 * time.Millisecond)
		fail := ""
		if i%97 == 13 {
			fail = results.ErrorClassConnRefused
		}
		if i%500 == 499 {
			fail = results.ErrorClassDropped
		}
		emit("api", "steady", "", "", i, it, lognorm(18, 0.35), 0, false, fail)
		fail = ""
		switch {
		case i%211 == 17:
			fail = results.ErrorClassThrottle
		case i%333 == 100:
			fail = results.ErrorClassHTTP5xx
		}
		emit("fn", "steady", "", "", i, it.Add(150*time.Microsecond), lognorm(32, 0.3), 1024, i%300 == 0, fail)
	}
	phase("steady", "", "", []string{"api", "fn"}, 60*time.Second, 1500, "poisson")
	at = at.Add(62 * time.Second)
	// Forced cold starts: 3 cold samples, each followed by a warm one.
	for n := range 3 {
		it := at.Add(time.Duration(n) * 2 * time.Second)
		emit("fn", "cold_starts", results.StepColdStart, results.ExperimentColdStarts, 2*n, it, lognorm(30, 0.2), 1024, true, "")
		emit("fn", "cold_starts", results.StepWarm, results.ExperimentColdStarts, 2*n+1, it.Add(time.Second), lognorm(30, 0.2), 1024, false, "")
	}
	at = at.Add(8 * time.Second)
	// Capacity search of api: a warm-up, then 10, 20, 40 (fails), 30 rps.
	for _, st := range []struct {
		label string
		rps   float64
		ms    float64
	}{{"capacity_warmup", 10, 18}, {"capacity_rps=10", 10, 18}, {"capacity_rps=20", 20, 22}, {"capacity_rps=40", 40, 70}, {"capacity_rps=30", 30, 35}} {
		n := int(st.rps * 3)
		for i := range n {
			it := at.Add(time.Duration(float64(i) / st.rps * float64(time.Second)))
			emit("api", "capacity", st.label, results.ExperimentCapacity, i, it, lognorm(st.ms, 0.25), 0, false, "")
		}
		if st.label != "capacity_warmup" {
			phase("capacity", st.label, results.ExperimentCapacity, []string{"api"}, 3*time.Second, int64(n), "poisson")
		}
		at = at.Add(4 * time.Second)
	}
	// Step profile against the function: 10, 20, 30 rps for 10 s each;
	// throttles in the last step. The run was killed during this phase:
	// run.json does not list it.
	seq := 0
	for k, rps := range []float64{10, 20, 30} {
		for i := range int(rps * 10) {
			it := at.Add(time.Duration(k)*10*time.Second + time.Duration(float64(i)/rps*float64(time.Second)))
			fail := ""
			if k == 2 && i%9 == 4 {
				fail = results.ErrorClassThrottle
			}
			emit("fn", "scale", "", "", seq, it, lognorm(34, 0.3), 1024, i < k+1, fail)
			seq++
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, results.ScenarioFile), []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := results.WriteJSONFile(filepath.Join(dir, results.RunInfoFile), info); err != nil {
		t.Fatal(err)
	}
}

// goldenMain runs benchctl with args and returns stdout; a non-zero exit
// fails the test.
func goldenMain(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := Main(context.Background(), args, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb}); code != ExitOK {
		t.Fatalf("benchctl %s: exit %d\nstderr:\n%s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

// checkCommandGolden compares got (with base replaced by $TMP) with
// testdata/golden/name, or rewrites it with -update.
func checkCommandGolden(t *testing.T, base, name, got string) {
	t.Helper()
	got = strings.ReplaceAll(got, base, "$TMP")
	if !json.Valid([]byte(got)) {
		t.Fatalf("%s: not JSON:\n%.400s", name, got)
	}
	path := filepath.Join("testdata", "golden", name)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (go test ./cmd/benchctl -run TestSavedRunGolden -update): %v", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Errorf("%s differs from golden at line %d:\n got: %.300s\nwant: %.300s", name, i+1, gl[i], wl[i])
				return
			}
		}
		t.Errorf("%s differs from golden (%d vs %d lines)", name, len(gl), len(wl))
	}
}

func readGoldenFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSavedRunGolden pins what summary, report, compare and pricing
// breakeven --run compute from saved runs: a run killed before it wrote
// summary.json, the same run once summarised, and a run whose scenario
// names its own price book. The files in testdata/golden record the
// outputs; a change to them is a change of benchctl's results.
func TestSavedRunGolden(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	killed, complete, other, priced := filepath.Join(base, "killed"), filepath.Join(base, "complete"),
		filepath.Join(base, "other"), filepath.Join(base, "priced")
	goldenRun(t, killed, 7, 1, false)
	goldenRun(t, complete, 7, 1, false)
	goldenRun(t, other, 8, 1.25, false)
	goldenRun(t, priced, 7, 1, true)

	// summary on a killed run writes summary.json with every section.
	checkCommandGolden(t, base, "summary-killed.json", goldenMain(t, "summary", complete, "--json"))
	// summary on a summarised run recomputes the phases and keeps the rest.
	checkCommandGolden(t, base, "summary-rewrite.json", goldenMain(t, "summary", complete, "--json", "--write"))
	goldenMain(t, "summary", other)

	out := filepath.Join(base, "out")
	goldenMain(t, "report", complete, "--format", "json", "--out", filepath.Join(out, "complete"))
	checkCommandGolden(t, base, "report-complete.json", readGoldenFile(t, filepath.Join(out, "complete", results.SummaryFile)))
	goldenMain(t, "report", complete, "--format", "json", "--no-reprice", "--out", filepath.Join(out, "noreprice"))
	checkCommandGolden(t, base, "report-noreprice.json", readGoldenFile(t, filepath.Join(out, "noreprice", results.SummaryFile)))
	goldenMain(t, "report", killed, "--format", "json", "--out", filepath.Join(out, "killed"))
	checkCommandGolden(t, base, "report-killed.json", readGoldenFile(t, filepath.Join(out, "killed", results.SummaryFile)))

	checkCommandGolden(t, base, "compare.json", goldenMain(t, "compare", complete, other, "--format", "json"))
	checkCommandGolden(t, base, "breakeven.json", goldenMain(t, "pricing", "breakeven", "--run", complete, "--json"))

	// The scenario's own price book.
	checkCommandGolden(t, base, "summary-priced.json", goldenMain(t, "summary", priced, "--json"))
	goldenMain(t, "report", priced, "--format", "json", "--out", filepath.Join(out, "priced"))
	checkCommandGolden(t, base, "report-priced.json", readGoldenFile(t, filepath.Join(out, "priced", results.SummaryFile)))
}

// TestBreakevenRunErrors: pricing breakeven --run needs the saved
// scenario (exit 1, saying why) and a price book it can load (the book the
// scenario names is input: exit 2).
func TestBreakevenRunErrors(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	noScenario, badBook := filepath.Join(base, "noscenario"), filepath.Join(base, "badbook")
	goldenRun(t, noScenario, 7, 1, false)
	if err := os.Remove(filepath.Join(noScenario, results.ScenarioFile)); err != nil {
		t.Fatal(err)
	}
	goldenRun(t, badBook, 7, 1, true)
	if err := os.WriteFile(filepath.Join(badBook, results.PricesFile), []byte("version: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dir  string
		code ExitCode
		want string
	}{
		{noScenario, ExitRunFailed, "no usable scenario.yaml"},
		{badBook, ExitBadInput, "pricing.prices (the copy in"},
	} {
		var out, errb bytes.Buffer
		code := Main(context.Background(), []string{"pricing", "breakeven", "--run", tc.dir, "--json"},
			&IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb})
		if code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("breakeven --run %s: exit %d, stderr %q; want exit %d and %q", filepath.Base(tc.dir), code, errb.String(), tc.code, tc.want)
		}
	}
}
