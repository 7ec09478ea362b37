package report

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
	"github.com/benchctl/benchctl/summary"
)

// Runs shaped like the shipped scenarios' (quickstart, paper-fig3): their
// scenario blocks, targets, memory sizes and phases, with synthetic records
// whose durations scale with memory as the local platform's do, summarised
// and priced by the summary pipeline (phases, experiments, capacity, run
// cost, decision) with the embedded price book, as `benchctl summary` does
// for a run without summary.json, so the report renders exactly the rows,
// notes and break-even outcomes a real run of that shape gets.

// shapedFunc is one function target of a shaped run.
type shapedFunc struct {
	target string
	// baseMs is the median duration at a full vCPU (1,769 MB and above).
	baseMs float64
	// sigma is the spread of the lognormal durations.
	sigma float64
}

// shape describes a shaped run.
type shape struct {
	name     string
	scenario string
	funcs    []shapedFunc
	mems     []int
	// sweepPhase names the recorded sweep phase; perStep its records per
	// memory size.
	sweepPhase string
	perStep    int
	// server is the reference server target ("" for none), capacity its
	// measured capacity (requests/s).
	server   string
	capacity float64
	// diurnal adds a plain phase against every target at defaultMem.
	diurnal    bool
	defaultMem int
	services   []results.ServiceInfo
	// flags are added to the decision's (a run on a busy host).
	flags []results.Flag
}

// quickstartShape is scenarios/quickstart.yaml's shape, with a measured
// capacity (60 rps) at which some pairs cross once, some many times as the
// fleet grows, and some never in the searched range.
func quickstartShape() shape {
	return shape{
		name: "quickstart", sweepPhase: "sweep", perStep: 73, mems: []int{256, 512, 1024, 1769, 2048},
		funcs:  []shapedFunc{{target: "fn", baseMs: 13, sigma: 0.6}},
		server: "ref", capacity: 60, diurnal: true, defaultMem: 1769,
		services: []results.ServiceInfo{
			{Name: "ref", Kind: "server", Model: "tinybert-4l-312", Weights: results.WeightsSynthetic},
			{Name: "sentiment", Kind: "function", Model: "tinybert-4l-312", Weights: results.WeightsSynthetic},
		},
		scenario: `version: 1
name: quickstart
description: >-
  TinyBERT-shaped encoder (synthetic weights) served from the local Lambda-compatible
  platform and from the reference server: memory sweep, cold starts, capacity at the p99 SLO,
  one diurnal profile against both, cost and break-even against c7g.large, c7i.large, t3.medium.
seed: 42
servers:
  - {name: ref, model: tinybert-4l-312, workers: 2, instance: c7g.large}
functions:
  - name: sentiment
    command: [benchctl, function, --model, tinybert-4l-312, --task, sentiment]
    memory_size: 1769
    timeout: 30s
    architecture: x86_64
    idle_timeout: 2m
targets:
  - {name: ref, kind: http, server: ref, url: /v1/sentiment, method: POST, timeout: 10s}
  - {name: fn, kind: local-lambda, function: sentiment, timeout: 35s}
payloads: {inline: [{text: "great phone"}], body: '{"text": {{json .text}}}'}
phases:
  - {name: sweep-warmup, targets: [fn], duration: 4s, traffic: {model: constant, rate: 4}, record: false}
  - {name: sweep, targets: [fn], duration: 8s, traffic: {model: poisson, rate: 8}, max_in_flight: 64}
  - {name: warmup, targets: [ref, fn], duration: 3s, traffic: {model: poisson, rate: 18}, record: false}
  - name: diurnal
    targets: [ref, fn]
    duration: 20s
    traffic: {model: sine, mean: 10, amplitude: 8, period: 20s, arrivals: poisson}
slo: {p99_ms: 300, error_rate: 0.01}
experiments:
  memory_sweep:
    target: fn
    memory_sizes: [256, 512, 1024, 1769, 2048]
    phases: [sweep-warmup, sweep]
  cold_starts: {target: fn, samples: 5}
  capacity:
    target: ref
    slo: {p99_ms: 300, error_rate: 0.01}
    min_rps: 10
    max_rps: 400
    step_duration: 3s
pricing:
  region: us-east-1
  architectures: [x86_64, arm64]
  instances: [c7g.large, c7i.large, t3.medium]
  scale_capacity_by_vcpu: false
  fleet: autoscaled
  target_utilisation: 0.7
  min_instances: 1
  profile:
    monthly_requests: 5000000
    shape: diurnal
    peak_to_average: 3
    peak_hours: 8
output:
  formats: [html, md, json, png]
`,
	}
}

// busyQuickstartShape is the quickstart's shape with every flag a busy
// 2-core host raises, worded as a real run words them: the longest
// headline box the decision table has to fit under.
func busyQuickstartShape() shape {
	sh := quickstartShape()
	sh.name = "quickstart-busy"
	sh.flags = []results.Flag{
		{Name: results.FlagHostBusy, Detail: "other load on this host in 15 of 17 measured phases (ref / diurnal, ref / capacity (8 of 10 steps), fn / diurnal, fn / sweep (5 of 5 steps)): other processes used up to 1.90 cores on average in a phase (threshold 0.25); the 48 figures derived from them are flagged host_busy and may describe the host as much as the targets: rerun on a quiet host"},
		{Name: results.FlagSLOFailed, Detail: "SLO failed in ref / diurnal: p99 317.8 ms > 300 ms, fn / diurnal: p99 6114.2 ms > 300 ms"},
		{Name: results.FlagGeneratorBehind, Detail: "the load generator fell behind its schedule in ref / diurnal, ref / capacity (7 of 10 steps), fn / diurnal, fn / sweep (3 of 5 steps): latencies there include dispatch lag"},
		{Name: results.FlagRecalledPrices, Detail: "1 of 5 prices used is recalled, not confirmed from a source (ec2 us-east-1 x86_64 t3.medium); refresh them with benchctl pricing update"},
	}
	return sh
}

// paperShape is scenarios/paper-fig3.yaml's shape: four functions swept
// over five memory sizes, no server (an assumed 20 rps per t3.micro, a
// price the book marks recalled), a constant 4.3 M requests/month.
func paperShape() shape {
	return shape{
		name: "paper-fig3", sweepPhase: "steady", perStep: 60, mems: []int{256, 512, 1024, 1536, 2048},
		funcs: []shapedFunc{
			{target: "tinybert-sentiment", baseMs: 9, sigma: 0.4}, {target: "tinybert-similarity", baseMs: 14, sigma: 0.4},
			{target: "mobilebert-sentiment", baseMs: 38, sigma: 0.35}, {target: "mobilebert-similarity", baseMs: 70, sigma: 0.35},
		},
		defaultMem: 1024,
		services: []results.ServiceInfo{
			{Name: "tinybert-sentiment", Kind: "function", Model: "tinybert-4l-312", Weights: results.WeightsSynthetic},
			{Name: "tinybert-similarity", Kind: "function", Model: "tinybert-4l-312", Weights: results.WeightsSynthetic},
			{Name: "mobilebert-sentiment", Kind: "function", Model: "mobilebert-sized-24l-256", Weights: results.WeightsSynthetic},
			{Name: "mobilebert-similarity", Kind: "function", Model: "mobilebert-sized-24l-256", Weights: results.WeightsSynthetic},
		},
		scenario: `version: 1
name: paper-fig3
description: >-
  The seed paper's Fig. 3 study on the local Lambda-compatible platform.
seed: 2103
functions:
  - {name: tinybert-sentiment, command: [benchctl, function, --model, tinybert-4l-312, --task, sentiment], memory_size: 1024, timeout: 60s}
  - {name: tinybert-similarity, command: [benchctl, function, --model, tinybert-4l-312, --task, similarity], memory_size: 1024, timeout: 60s}
  - {name: mobilebert-sentiment, command: [benchctl, function, --model, tinybert-4l-312, --task, sentiment], memory_size: 1024, timeout: 60s}
  - {name: mobilebert-similarity, command: [benchctl, function, --model, tinybert-4l-312, --task, similarity], memory_size: 1024, timeout: 60s}
targets:
  - {name: tinybert-sentiment, kind: local-lambda, function: tinybert-sentiment, timeout: 65s}
  - {name: tinybert-similarity, kind: local-lambda, function: tinybert-similarity, timeout: 65s}
  - {name: mobilebert-sentiment, kind: local-lambda, function: mobilebert-sentiment, timeout: 65s}
  - {name: mobilebert-similarity, kind: local-lambda, function: mobilebert-similarity, timeout: 65s}
payloads: {inline: [{text: "great phone"}], body: '{"text": {{json .text}}}'}
phases:
  - name: warmup
    targets: [tinybert-sentiment, tinybert-similarity, mobilebert-sentiment, mobilebert-similarity]
    duration: 5s
    traffic: {model: constant, rate: 2}
    record: false
  - name: steady
    targets: [tinybert-sentiment, tinybert-similarity, mobilebert-sentiment, mobilebert-similarity]
    duration: 30s
    traffic: {model: poisson, rate: 5}
slo: {p99_ms: 100, error_rate: 0.01}
experiments:
  memory_sweep:
    target: tinybert-sentiment
    targets: [tinybert-similarity, mobilebert-sentiment, mobilebert-similarity]
    memory_sizes: [256, 512, 1024, 1536, 2048]
    phases: [warmup, steady]
  cold_starts: {target: tinybert-sentiment, samples: 10}
pricing:
  region: us-east-1
  architectures: [x86_64]
  instances: [t3.micro]
  capacity_rps: 20
  fleet: fixed
  min_instances: 1
  profile:
    monthly_requests: 4300000
    shape: constant
output:
  formats: [html, md, json, png]
`,
	}
}

// writeShapedRun writes a complete, priced run directory of shape sh.
func writeShapedRun(tb testing.TB, dir string, sh shape) {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	sc, err := scenarios.Parse(filepath.Join(dir, results.ScenarioFile), []byte(sh.scenario))
	if err != nil {
		tb.Fatalf("shaped scenario %s: %v", sh.name, err)
	}
	rng := rand.New(rand.NewPCG(7, uint64(len(sh.name))))
	start := fixedStart()
	var recs []results.Record
	at := start
	add := func(target, phase, step, experiment string, n int, rps float64, mem int, fn *shapedFunc, latency func() float64) {
		for i := 0; i < n; i++ {
			intended := at.Add(time.Duration(float64(i) / rps * float64(time.Second)))
			lag := time.Duration(rng.ExpFloat64() * float64(300*time.Microsecond))
			r := results.Record{Attack: phase, Seq: uint64(i), Code: 200, Timestamp: intended.Add(lag), Intended: intended,
				BytesOut: 40, BytesIn: 60, Method: "POST", URL: "http://127.0.0.1:9001/", Target: target, Phase: phase, Step: step, Experiment: experiment}
			var ms float64
			if fn != nil {
				d := fn.baseMs * math.Max(1, 1769/float64(mem)) * math.Exp(fn.sigma*rng.NormFloat64())
				r.DurationMs, r.BilledDurationMs, r.MemorySizeMB, r.MaxMemoryUsedMB = f64(math.Round(d*100)/100), f64(math.Ceil(d)), intp(mem), intp(90)
				ms = d + 2
				if i == 0 && experiment != results.ExperimentMemorySweep {
					initMs := 300 + 80*rng.Float64()
					r.Cold, r.InitDurationMs = true, f64(math.Round(initMs*100)/100)
					r.BilledDurationMs = f64(math.Ceil(d + initMs))
					ms += initMs
				}
			} else {
				ms = latency()
			}
			r.Latency = time.Duration(ms * float64(time.Millisecond))
			r.CorrectedLatency = r.Latency + lag
			recs = append(recs, r)
		}
		at = at.Add(time.Duration(float64(n)/rps*float64(time.Second)) + time.Second)
	}
	for i := range sh.funcs {
		f := &sh.funcs[i]
		for _, mem := range sh.mems {
			add(f.target, sh.sweepPhase, results.MemoryStep(mem), results.ExperimentMemorySweep, sh.perStep, 9, mem, f, nil)
		}
	}
	if len(sh.funcs) > 0 {
		f := &sh.funcs[0]
		add(f.target, "cold_starts", "cold_start", "cold_starts", 3, 1, sh.defaultMem, f, nil)
	}
	serverMs := func() float64 { return 12 * math.Exp(0.7*rng.NormFloat64()) }
	if sh.server != "" {
		// The capacity search's steps: every rate up to sh.capacity holds
		// the SLO, the next one does not.
		for _, rps := range []float64{10, 20, 40, sh.capacity} {
			add(sh.server, "capacity", results.CapacityStepLabel(rps), results.ExperimentCapacity, 160, rps, 0, nil, serverMs)
		}
		add(sh.server, "capacity", results.CapacityStepLabel(sh.capacity*1.5), results.ExperimentCapacity, 160, sh.capacity*1.5, 0, nil,
			func() float64 { return 450 + 100*rng.Float64() })
	}
	if sh.diurnal {
		if sh.server != "" {
			add(sh.server, "diurnal", "", "", 200, 10, 0, nil, serverMs)
		}
		for i := range sh.funcs {
			add(sh.funcs[i].target, "diurnal", "", "", 200, 10, sh.defaultMem, &sh.funcs[i], nil)
		}
	}
	writeRecords(tb, filepath.Join(dir, results.ResultsFile), recs)

	info := results.RunInfo{BenchctlVersion: "v0.0.0-test", GoVersion: "go1.26.8", OS: "linux", Arch: "amd64", CPUModel: "Synthetic CPU",
		Cores: 2, Hostname: "testhost", Start: start, End: at, Seed: sc.Seed, CPUIsolation: "cgroup-v1",
		ServiceCPUPriority: "lowered: servers nice 10; function instances cpu.shares 128 (cgroup-v1)", Services: sh.services,
		Command: []string{"benchctl", "run", sh.name}}
	if err := os.WriteFile(filepath.Join(dir, results.ScenarioFile), []byte(sh.scenario), 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := results.WriteJSONFile(filepath.Join(dir, results.RunInfoFile), info); err != nil {
		tb.Fatal(err)
	}
	// Summarised and priced by the summary pipeline, as `benchctl summary`
	// does for a run without summary.json (the embedded price book).
	run, err := summary.Load(context.Background(), dir, summary.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	sum := run.Summary
	if sum.Decision == nil {
		tb.Fatalf("shaped run %s: not priced (%v)", sh.name, run.PricingErr)
	}
	sum.Decision.Flags = append(sum.Decision.Flags, sh.flags...)
	if err := results.WriteJSONFile(filepath.Join(dir, results.SummaryFile), sum); err != nil {
		tb.Fatal(err)
	}
}

// writeRecords writes recs as results.jsonl.
func writeRecords(tb testing.TB, path string, recs []results.Record) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	enc := json.NewEncoder(f)
	for i := range recs {
		if err := enc.Encode(&recs[i]); err != nil {
			tb.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// renderShaped writes a shaped run and renders it as `benchctl run` does
// (the price book's curves for the break-even chart) in formats.
func renderShaped(t *testing.T, sh shape, formats ...string) (runDir, outDir string) {
	t.Helper()
	base := t.TempDir()
	runDir = filepath.Join(base, sh.name+"-run")
	writeShapedRun(t, runDir, sh)
	outDir = filepath.Join(base, "out")
	if _, err := Render(context.Background(), runDir, outDir, formats, WithPricing("", false)); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return runDir, outDir
}
