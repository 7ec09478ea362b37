package summary

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

const passScenario = `version: 1
name: pass
seed: 3
functions:
  - {name: fnf, command: [benchctl, function], memory_size: 1024}
targets:
  - {name: api, kind: http, url: "http://127.0.0.1:8080/x", method: POST}
  - {name: fn, kind: local-lambda, function: fnf, slo: {p99_ms: 90}}
  - {name: cloud, kind: aws-lambda, function: cloud-fn, region: us-east-1}
phases:
  - {name: sweep, targets: [fn], duration: 10s, traffic: {model: poisson, rate: 20}}
  - {name: steady, targets: [api, fn, cloud], duration: 60s, traffic: {model: poisson, rate: 25}}
  - {name: scale, targets: [fn], duration: 30s, traffic: {model: step, start: 10, step: 10, every: 10s, max: 30}}
slo: {p99_ms: 60}
experiments:
  memory_sweep: {target: fn, memory_sizes: [512, 1024], phases: [sweep]}
  cold_starts: {target: fn, samples: 3}
  capacity: {target: api, slo: {p99_ms: 60}, min_rps: 10, max_rps: 80, step_duration: 3s, tolerance: 0.1, min_samples: 30}
pricing:
  instances: [c7g.large]
  capacity_rps: 40
  profile: {monthly_requests: 5000000}
`

// passRecords writes n-ish records of every kind the collectors read
// (errors, cold starts, throttles without memory, experiment steps) in
// completion order, and returns the encoded file.
func passRecords(t testing.TB, seed uint64, steady int, sweep ...int) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	var buf bytes.Buffer
	enc := results.NewJSONEncoder(&buf)
	t0 := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	f := func(v float64) *float64 { return &v }
	ip := func(v int) *int { return &v }
	emit := func(target, phase, step, exp string, seq int, it time.Time, ms float64, mem int, cold bool, class string) {
		lag := time.Duration(rng.ExpFloat64() * 3e5)
		r := results.Record{Attack: phase, Seq: uint64(seq), Code: 200, Timestamp: it.Add(lag), Target: target, Phase: phase,
			Step: step, Experiment: exp, Intended: it, Method: "POST", URL: "http://127.0.0.1:8080/x", BytesOut: 64, BytesIn: 40}
		if mem > 0 {
			d := ms * 0.8
			r.DurationMs, r.BilledDurationMs, r.MemorySizeMB = f(math.Round(d*100)/100), f(math.Ceil(d)), ip(mem)
			if cold {
				r.Cold, r.InitDurationMs = true, f(200+rng.Float64()*100)
				ms += *r.InitDurationMs
			}
		}
		switch class {
		case results.ErrorClassThrottle:
			r.Code, r.Error, r.ErrorClass = 429, "429 Too Many Requests", class
			r.DurationMs, r.BilledDurationMs, r.MemorySizeMB, r.InitDurationMs, r.Cold = nil, nil, nil, nil, false
		case results.ErrorClassConnRefused:
			r.Code, r.Error, r.ErrorClass = 0, fmt.Sprintf("dial tcp 127.0.0.1:%d: connection refused", 40000+rng.IntN(60)), class
			r.Body = []byte("nope")
		case results.ErrorClassDropped:
			r.Code, r.Error, r.ErrorClass, ms = 0, "dropped", class, 0
		}
		r.Latency = time.Duration(ms * 1e6)
		r.CorrectedLatency = r.Latency + lag
		if err := enc(&r); err != nil {
			t.Fatal(err)
		}
	}
	at := t0
	sweepN := 300
	if len(sweep) > 0 {
		sweepN = sweep[0]
	}
	for _, mem := range []int{512, 1024} {
		for i := range sweepN {
			emit("fn", "sweep", results.MemoryStep(mem), results.ExperimentMemorySweep, i, at.Add(time.Duration(i)*40*time.Millisecond), 30*1024/float64(mem)*math.Exp(0.3*rng.NormFloat64()), mem, i == 0, "")
		}
		at = at.Add(15 * time.Second)
	}
	for i := range steady {
		it := at.Add(time.Duration(i) * 10 * time.Millisecond)
		class := ""
		switch {
		case i%97 == 5:
			class = results.ErrorClassConnRefused
		case i%401 == 7:
			class = results.ErrorClassDropped
		}
		emit("api", "steady", "", "", i, it, 18*math.Exp(0.4*rng.NormFloat64()), 0, false, class)
		emit("fn", "steady", "", "", i, it, 30*math.Exp(0.3*rng.NormFloat64()), 1024, i%500 == 0, "")
		cls := ""
		if i%60 < 8 && i > 0 {
			cls = results.ErrorClassThrottle // bursts: some chunks start inside one
		}
		// The cloud function's throttles carry no memory size: only the
		// size of an earlier record of its target prices them.
		emit("cloud", "steady", "", "", i, it, 40*math.Exp(0.3*rng.NormFloat64()), 2048, i%700 == 1, cls)
	}
	at = at.Add(time.Duration(steady)*10*time.Millisecond + time.Second)
	for n := range 3 {
		emit("fn", "cold_starts", results.StepColdStart, results.ExperimentColdStarts, 2*n, at, 30, 1024, true, "")
		emit("fn", "cold_starts", results.StepWarm, results.ExperimentColdStarts, 2*n+1, at.Add(time.Second), 30, 1024, false, "")
		at = at.Add(2 * time.Second)
	}
	for _, st := range []struct {
		rps, ms float64
	}{{10, 18}, {20, 22}, {40, 80}, {30, 35}} {
		for i := range int(st.rps * 3) {
			emit("api", "capacity", fmt.Sprintf("capacity_rps=%g", st.rps), results.ExperimentCapacity, i, at.Add(time.Duration(float64(i)/st.rps*1e9)), st.ms*math.Exp(0.25*rng.NormFloat64()), 0, false, "")
		}
		at = at.Add(4 * time.Second)
	}
	seq := 0
	for k, rps := range []float64{10, 20, 30} {
		for i := range int(rps * 10) {
			it := at.Add(time.Duration(k)*10*time.Second + time.Duration(float64(i)/rps*1e9))
			cls := ""
			if k == 2 && i%9 == 4 {
				cls = results.ErrorClassThrottle
			}
			emit("fn", "scale", "", "", seq, it, 34*math.Exp(0.3*rng.NormFloat64()), 1024, i < k+1, cls)
			seq++
		}
	}
	return buf.Bytes()
}

// passCollectors is every collector of a saved run.
func passCollectors(t testing.TB, sc *scenarios.Scenario, book *pricing.Book) ([]Collector, *Series) {
	t.Helper()
	cost, err := pricing.NewRunCost(book, sc, pricing.AnalyzeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	series := NewSeries(SeriesOptions{MaxScatterPoints: 500, MaxSamples: 300})
	return []Collector{NewPhases(PhasesOptionsFor(sc, results.RunInfo{})), NewExperiments(ExperimentsOptionsFor(sc)),
		NewCapacity(sc), runCost{cost}, series}, series
}

// outcome is everything the collectors produced, as JSON.
func outcome(t testing.TB, cs []Collector, series *Series) string {
	t.Helper()
	sum := &results.Summary{}
	for _, c := range cs {
		if err := c.Apply(context.Background(), sum); err != nil {
			t.Fatal(err)
		}
	}
	type targetDump struct {
		Name                   string
		Requests, Errors, Cold int64
		P50, P99               int64
		Points                 []Point
		Stride                 int64
		ColdPoints             []Point
		Samples                []float64
		BinKeys                []int64
		Bins                   []RateBin
		ErrorSamples           []ErrorSample
		Other                  int64
		Init                   []float64
	}
	var dump []targetDump
	for _, ts := range series.Targets {
		pts, stride := ts.Points()
		keys, bins := ts.Bins()
		es, other := ts.ErrorSamples()
		dump = append(dump, targetDump{Name: ts.Name, Requests: ts.Requests, Errors: ts.Errors, Cold: ts.Cold,
			P50: ts.Latency.ValueAtQuantile(50), P99: ts.Latency.ValueAtQuantile(99), Points: pts, Stride: stride,
			ColdPoints: ts.ColdPoints(), Samples: ts.Samples(), BinKeys: keys, Bins: bins, ErrorSamples: es, Other: other, Init: ts.InitMs})
	}
	b, err := json.MarshalIndent(struct {
		Summary *results.Summary
		Series  []targetDump
		Phases  []PhaseSpan
		Records int64
	}{sum, dump, series.Phases, series.Records}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func passSetup(t *testing.T, steady int) (*scenarios.Scenario, *pricing.Book, []byte, string) {
	t.Helper()
	sc, err := scenarios.Parse("pass.yaml", []byte(passScenario), scenarios.WithoutFileChecks())
	if err != nil {
		t.Fatal(err)
	}
	book, err := pricing.LoadBook("")
	if err != nil {
		t.Fatal(err)
	}
	data := passRecords(t, 11, steady)
	path := filepath.Join(t.TempDir(), results.ResultsFile)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return sc, book, data, path
}

func runPass(t *testing.T, path string, workers int, chunk int64, cs []Collector) Stats {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	st, err := pass(context.Background(), f, fi.Size(), workers, chunk, cs)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestPassIsAFunctionOfTheBytes feeds every collector the same file cut
// into many chunks, on one and two workers and live (as benchctl run
// does, with the writer's offsets): the outcomes are identical byte for
// byte; and against one chunk (no merging at all) they are equal but for
// the rounding of floating-point sums.
func TestPassIsAFunctionOfTheBytes(t *testing.T) {
	t.Parallel()
	sc, book, data, path := passSetup(t, 4000)
	const chunk = 16 << 10
	if int64(len(data)) < 8*chunk {
		t.Fatalf("file of %d bytes is fewer than 8 chunks", len(data))
	}
	run := func(workers int, chunk int64) string {
		cs, series := passCollectors(t, sc, book)
		st := runPass(t, path, workers, chunk, cs)
		if st.Records != int64(bytes.Count(data, []byte("\n"))) {
			t.Fatalf("%d records, file has %d lines", st.Records, bytes.Count(data, []byte("\n")))
		}
		return outcome(t, cs, series)
	}
	two, one := run(2, chunk), run(1, chunk)
	if two != one {
		t.Fatal("two workers and one worker disagree:\n" + firstDiff(two, one))
	}
	cs, series := passCollectors(t, sc, book)
	live := NewLive(cs...)
	live.size = chunk
	for off := 0; off < len(data); {
		nl := bytes.IndexByte(data[off:], '\n')
		var r results.Record
		if err := results.ParseRecord(data[off:off+nl], &r); err != nil {
			t.Fatal(err)
		}
		live.Observe(int64(off), &r)
		off += nl + 1
	}
	live.Close()
	if got := outcome(t, cs, series); got != two {
		t.Fatal("live and pass disagree:\n" + firstDiff(got, two))
	}
	whole := run(2, 1<<40)
	if err := equalButRounding(t, two, whole); err != nil {
		t.Fatalf("chunked vs one chunk: %v", err)
	}
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n  %s\n  %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d vs %d lines", len(al), len(bl))
}

// equalButRounding compares two JSON documents: equal structure and
// strings, numbers within a relative 1e-9.
func equalButRounding(t *testing.T, a, b string) error {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		return err
	}
	var walk func(path string, x, y any) error
	walk = func(path string, x, y any) error {
		switch xv := x.(type) {
		case map[string]any:
			yv, ok := y.(map[string]any)
			if !ok || len(xv) != len(yv) {
				return fmt.Errorf("%s: %v vs %v", path, x, y)
			}
			for k := range xv {
				if err := walk(path+"."+k, xv[k], yv[k]); err != nil {
					return err
				}
			}
		case []any:
			yv, ok := y.([]any)
			if !ok || len(xv) != len(yv) {
				return fmt.Errorf("%s: lengths differ", path)
			}
			for i := range xv {
				if err := walk(fmt.Sprintf("%s[%d]", path, i), xv[i], yv[i]); err != nil {
					return err
				}
			}
		case float64:
			yv, ok := y.(float64)
			if !ok || math.Abs(xv-yv) > 1e-9*math.Max(math.Abs(xv), math.Abs(yv)) {
				return fmt.Errorf("%s: %v vs %v", path, x, y)
			}
		default:
			if x != y {
				return fmt.Errorf("%s: %v vs %v", path, x, y)
			}
		}
		return nil
	}
	return walk("", x, y)
}

// TestPassErrors: a malformed line is reported with its line number in
// the file whatever chunk it falls in; a torn last line is not a record;
// a cancelled pass stops.
func TestPassErrors(t *testing.T) {
	t.Parallel()
	_, _, data, _ := passSetup(t, 2000)
	lines := bytes.SplitAfter(data, []byte("\n"))
	bad := append([]byte(nil), bytes.Join(lines[:3000], nil)...)
	bad = append(bad, []byte("{\"seq\": oops}\n")...)
	bad = append(bad, bytes.Join(lines[3000:], nil)...)
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		f, _ := os.Open(path)
		_, err := pass(context.Background(), f, int64(len(bad)), workers, 32<<10, []Collector{NewPhases(PhasesOptions{})})
		f.Close()
		if err == nil || !strings.Contains(err.Error(), "line 3001") {
			t.Errorf("%d workers: err = %v, want one naming line 3001", workers, err)
		}
	}
	torn := append(append([]byte(nil), data...), []byte(`{"attack":"steady","seq":9,"cod`)...)
	path = filepath.Join(dir, "torn.jsonl")
	if err := os.WriteFile(path, torn, 0o644); err != nil {
		t.Fatal(err)
	}
	phases := NewPhases(PhasesOptions{})
	st := runPass(t, path, 2, 32<<10, []Collector{phases})
	if !st.Torn || st.Records != int64(len(lines)-1) {
		t.Errorf("torn file: %+v, want %d records and Torn", st, len(lines)-1)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f, _ := os.Open(path)
	defer f.Close()
	if _, err := pass(ctx, f, int64(len(torn)), 2, 32<<10, []Collector{NewPhases(PhasesOptions{})}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled pass: err = %v", err)
	}
}

// TestPassFileCutShort truncates results.jsonl while a pass reads it
// through its memory map: the pass fails with an error, it does not crash.
func TestPassFileCutShort(t *testing.T) {
	t.Parallel()
	_, _, data, path := passSetup(t, 3000)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	size := int64(len(data))
	// The collector truncates the file when the first record arrives.
	trunc := &truncater{path: path, t: t}
	_, err = pass(context.Background(), f, size, 1, 16<<10, []Collector{trunc})
	if err == nil || !strings.Contains(err.Error(), "changed while it was read") {
		t.Fatalf("err = %v, want the file-changed error", err)
	}
}

// truncater truncates a file when it gets its first record.
type truncater struct {
	path string
	t    *testing.T
	done bool
}

func (c *truncater) Add(*results.Record) {
	if !c.done {
		c.done = true
		if err := os.Truncate(c.path, 0); err != nil {
			c.t.Error(err)
		}
	}
}
func (c *truncater) Apply(context.Context, *results.Summary) error { return nil }
func (c *truncater) Fork() Merger                                  { return &truncater{path: c.path, t: c.t, done: true} }
func (c *truncater) Merge(Merger)                                  {}

// BenchmarkPassCollectors runs every collector of a killed run (and the
// report's series) over a 20k-record file per op, on one worker: the
// cost per record of the pass.
func BenchmarkPassCollectors(b *testing.B) {
	sc, err := scenarios.Parse("pass.yaml", []byte(passScenario), scenarios.WithoutFileChecks())
	if err != nil {
		b.Fatal(err)
	}
	book, err := pricing.LoadBook("")
	if err != nil {
		b.Fatal(err)
	}
	data := passRecords(b, 11, 6000)
	path := filepath.Join(b.TempDir(), results.ResultsFile)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	n := bytes.Count(data, []byte("\n"))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		cs, _ := passCollectors(b, sc, book)
		f, _ := os.Open(path)
		if _, err := pass(context.Background(), f, int64(len(data)), 1, ChunkSize, cs); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	b.ReportMetric(float64(n), "records/op")
}
