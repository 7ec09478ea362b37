package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// synthOpts shapes a synthetic run.
type synthOpts struct {
	Seed uint64
	// PerTarget is the number of records per target and phase.
	PerTarget int
	// Scale multiplies every latency (1 = baseline).
	Scale float64
	// Server and Lambda are the target names.
	Server, Lambda string
	// ErrorText is the error of every 50th server request.
	ErrorText string
	// ErrorBody is the response body of those failed requests.
	ErrorBody string
	// Priced adds cost, break-even, memory-sweep cost and capacity rows.
	Priced bool
	// LambdaErrorEvery makes every n-th Lambda request of each phase fail
	// with a 502 (0: none). The random draws are the same either way, so
	// two runs with one seed differ only in those errors.
	LambdaErrorEvery int
	// OldPricing leaves out what pricing added later: cost components,
	// the API Gateway and /tmp labels, and the monthly cost rows (a run
	// priced before they existed).
	OldPricing bool
}

func defaultSynth() synthOpts {
	return synthOpts{Seed: 42, PerTarget: 300, Scale: 1, Server: "bert-server", Lambda: "bert-lambda",
		ErrorText: "connection refused", Priced: true}
}

// fixedStart is the synthetic runs' fixed clock.
func fixedStart() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

func f64(v float64) *float64 { return &v }
func intp(v int) *int        { return &v }

// writeSyntheticRun writes a complete run directory into dir: scenario.yaml,
// run.json, results.jsonl (lognormal latencies from a fixed seed, cold
// starts, errors) and summary.json (summarised by the results package, plus
// pricing and experiment rows as pricing and the experiments would fill
// them). Nothing depends on the wall clock.
func writeSyntheticRun(tb testing.TB, dir string, o synthOpts) {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	start := fixedStart()
	f, err := os.Create(filepath.Join(dir, results.ResultsFile))
	if err != nil {
		tb.Fatal(err)
	}
	enc := json.NewEncoder(f)
	phases := []struct {
		name string
		dur  time.Duration
	}{{"warm-up", 20 * time.Second}, {"steady", 40 * time.Second}}
	offset := time.Duration(0)
	for _, ph := range phases {
		interval := ph.dur / time.Duration(o.PerTarget)
		for i := 0; i < o.PerTarget; i++ {
			intended := start.Add(offset + time.Duration(i)*interval)
			for ti, target := range []string{o.Server, o.Lambda} {
				lag := time.Duration(rng.ExpFloat64() * float64(200*time.Microsecond))
				base := 20.0
				if ti == 1 {
					base = 35
				}
				ms := o.Scale * base * math.Exp(0.35*rng.NormFloat64())
				r := results.Record{
					Attack: ph.name, Seq: uint64(i), Code: 200, Timestamp: intended.Add(lag),
					BytesOut: 64, BytesIn: 48, Method: "POST", URL: "http://127.0.0.1:8080/v1/sentiment",
					Target: target, Phase: ph.name, Intended: intended,
				}
				if ti == 1 {
					r.URL = "http://127.0.0.1:9001/2015-03-31/functions/bert/invocations"
					cold := i%60 == 0
					d := ms * 0.8
					r.DurationMs = f64(math.Round(d*100) / 100)
					r.BilledDurationMs = f64(math.Ceil(d))
					r.MemorySizeMB = intp(1024)
					r.MaxMemoryUsedMB = intp(300)
					if cold {
						initMs := 400 + 150*rng.NormFloat64()
						r.Cold = true
						r.InitDurationMs = f64(math.Round(initMs*100) / 100)
						ms += initMs
					}
				}
				if ti == 1 && o.LambdaErrorEvery > 0 && i%o.LambdaErrorEvery == 0 {
					r.Code, r.Error, r.ErrorClass = 502, "502 Bad Gateway", results.ErrorClassHTTP5xx
				}
				if ti == 0 && i%50 == 7 {
					r.Code, r.Error, r.ErrorClass = 0, o.ErrorText, results.ErrorClassConnRefused
					if o.ErrorBody != "" {
						r.Body = []byte(o.ErrorBody)
					}
				}
				r.Latency = time.Duration(ms * float64(time.Millisecond))
				r.CorrectedLatency = r.Latency + lag
				if err := enc.Encode(&r); err != nil {
					tb.Fatal(err)
				}
			}
		}
		offset += ph.dur
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	info := results.RunInfo{
		BenchctlVersion: "v0.0.0-test", GoVersion: "go1.26.8", OS: "linux", Arch: "amd64", CPUModel: "Synthetic CPU",
		Cores: 2, Hostname: "testhost", Start: start, End: start.Add(offset), Seed: o.Seed, CPUIsolation: "cgroup-v2",
		Command: []string{"benchctl", "run", "synthetic.yaml", "--out", "synthetic-run"},
		Services: []results.ServiceInfo{
			{Name: o.Server, Kind: "server", Model: "tinybert-4l-312", Weights: results.WeightsSynthetic},
			{Name: o.Lambda, Kind: "function", Model: "distilbert-sst2", Weights: "/models/sst2/model.safetensors",
				WeightsSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		},
	}
	scenario := fmt.Sprintf(`version: 1
name: synthetic
description: a synthetic run for report tests
seed: %d
functions:
  - {name: bert, command: [benchctl, function], memory_size: 1024}
targets:
  - name: %q
    kind: http
    url: http://127.0.0.1:8080/v1/sentiment
  - name: %q
    kind: local-lambda
    function: bert
phases:
  - name: warm-up
    targets: [%q, %q]
    duration: 20s
    traffic: {model: constant, rate: %d}
  - name: steady
    targets: [%q, %q]
    duration: 40s
    traffic: {model: poisson, rate: %d}
slo:
  p99_ms: 120
pricing:
  capacity_rps: 40
  instances: [c7i.large, c7g.large]
  profile:
    monthly_requests: 20000000
`, o.Seed, o.Server, o.Lambda, o.Server, o.Lambda, o.PerTarget/20, o.Server, o.Lambda, o.PerTarget/40)
	if err := os.WriteFile(filepath.Join(dir, results.ScenarioFile), []byte(scenario), 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := results.WriteJSONFile(filepath.Join(dir, results.RunInfoFile), info); err != nil {
		tb.Fatal(err)
	}
	// The summary is computed here, not by results.Summarize, so the golden
	// files do not move when the results package refines its estimators.
	ts := summarizeForTest(tb, dir, []string{o.Server, o.Lambda}, map[string]string{o.Server: "http", o.Lambda: "local-lambda"})
	sum := results.Summary{
		SchemaVersion: results.SchemaVersion,
		Scenario:      results.ScenarioInfo{Name: "synthetic", Description: "a synthetic run for report tests", Seed: o.Seed, File: "synthetic.yaml"},
		Run:           info,
		Targets:       ts,
		Notes:         append([]string{"synthetic run: figures are made up"}, results.ServiceNotes(info.Services)...),
	}
	if o.Priced {
		addPricing(&sum, o)
	}
	if o.Priced && !o.OldPricing {
		addDecision(tb, &sum, scenario)
	}
	if err := results.WriteJSONFile(filepath.Join(dir, results.SummaryFile), &sum); err != nil {
		tb.Fatal(err)
	}
}

// addPricing fills the rows pricing and the experiments would.
func addPricing(s *results.Summary, o synthOpts) {
	s.Cost = []results.CostRow{{
		Target: o.Lambda, Phase: "steady", Platform: "aws-lambda", Architecture: "x86_64", MemoryMB: 1024, Requests: int64(o.PerTarget),
		RunCostUSD: 0.000561, CostPerRequestUSD: 1.87e-6, CostPerMillionUSD: 1.87, CostPerMillionLow: 1.80, CostPerMillionHi: 1.95,
		ColdStartShare: 0.08, PriceSource: "https://aws.amazon.com/lambda/pricing/", PriceEffective: "2026-01-01",
	}, {
		Target: o.Server, Phase: "steady", Platform: "ec2", Architecture: "x86_64", Requests: int64(o.PerTarget),
		RunCostUSD: 0.0012, CostPerRequestUSD: 4e-6, CostPerMillionUSD: 4.0, CostPerMillionLow: 3.9, CostPerMillionHi: 4.1,
		PriceSource: "https://aws.amazon.com/ec2/pricing/on-demand/", PriceEffective: "2026-01-01",
	}}
	s.BreakEven = []results.BreakEvenRow{{
		Serverless: o.Lambda + " x86_64 1024MB", Instance: "c7i.large", MonthlyRequests: 34.9e6, AverageRPS: pricing.AverageRPS(34.9e6),
		MonthlyRequestsLow: 33.4e6, MonthlyRequestsHigh: 36.2e6, CapacityRPS: 40, CapacityAssumption: "measured", Fleet: "fixed",
		Crossings: []results.Crossing{{MonthlyRequests: 34.9e6, AverageRPS: pricing.AverageRPS(34.9e6), Direction: "serverless_becomes_dearer", CostUSD: 65.15}},
	}}
	if !o.OldPricing {
		addCostComponents(s, o)
	}
	s.BenchmarkCostUSD = f64(0.0018)
	for i, mem := range []int{512, 1024, 2048} {
		d := 70.0 / math.Pow(1.7, float64(i))
		row := results.MemorySweepRow{
			Target: o.Lambda, MemoryMB: mem, Requests: 100,
			DurationMs:        results.Distribution{Count: 100, P50: d, P95: d * 1.4, P99: d * 1.8, Max: d * 2},
			BilledDurationMs:  results.Distribution{Count: 100, P50: math.Ceil(d), P95: math.Ceil(d * 1.4), P99: math.Ceil(d * 1.8)},
			LatencyMs:         results.Distribution{Count: 100, P50: d + 3, P95: d*1.4 + 3, P99: d*1.8 + 3},
			CostPerMillionUSD: f64(0.2 + d*float64(mem)/1024*0.0166667), GBSecondsPerRequest: d / 1000 * float64(mem) / 1024,
		}
		row.CostPerRequestUSD = f64(*row.CostPerMillionUSD / 1e6)
		s.Experiments.MemorySweep = append(s.Experiments.MemorySweep, row)
	}
	s.Experiments.MemorySweep[1].CheapestWithSLO = true
	s.Experiments.MemorySweep[0].Cheapest = true
	s.Experiments.MemorySweep[2].FastestP99 = true
	var steps []results.CapacityStep
	for i, rps := range []float64{10, 20, 30, 40, 50} {
		p99 := 30 + 3*math.Pow(float64(i), 2.5)
		steps = append(steps, results.CapacityStep{OfferedRPS: rps, AchievedRPS: rps * 0.99, Requests: 300, P50Ms: 18 + float64(i)*2,
			P99Ms: p99, P99LowMs: p99 * 0.9, P99HighMs: p99 * 1.1, Passed: p99 <= 80})
	}
	s.Experiments.Capacity = []results.CapacityResult{{Target: o.Server, SLOP99Ms: 80, CapacityRPS: 40, CapacityRPSLow: 38, CapacityRPSHi: 44, Steps: steps}}
}

// addCostComponents splits the Lambda cost row into its priced components
// (they add up to its $1.87 per 1M and $0.000561 for 300 requests), puts
// the function behind an API Gateway HTTP API with 2,048 MB of /tmp, and
// adds the monthly cost rows at the 20M-request profile, as pricing fills
// them since components exist.
func addCostComponents(s *results.Summary, o synthOpts) {
	const lambdaSrc, lambdaDate = "https://aws.amazon.com/lambda/pricing/", "2026-01-01"
	const gwSrc, gwDate = "https://aws.amazon.com/api-gateway/pricing/", "2025-05-19"
	n := float64(o.PerTarget)
	comp := func(name string, qty float64, unit string, rate, perMillion float64, src, date string) results.CostComponent {
		return results.CostComponent{Name: name, Quantity: qty, Unit: unit, RateUSD: rate, RunCostUSD: perMillion * n / 1e6,
			CostPerRequestUSD: perMillion / 1e6, CostPerMillionUSD: perMillion, PriceSource: src, PriceEffective: date}
	}
	lambda := &s.Cost[0]
	lambda.Components = []results.CostComponent{
		comp(results.CostRequests, n, "requests", 2e-7, 0.20, lambdaSrc, lambdaDate),
		comp(results.CostCompute, 0.66*n/1e6/1.66667e-5, "GB-s", 1.66667e-5, 0.66, lambdaSrc, lambdaDate),
		comp(results.CostEphemeralStorage, 0.01*n/1e6/3.09e-8, "GB-s", 3.09e-8, 0.01, lambdaSrc, lambdaDate),
		comp(results.CostAPIGatewayHTTP, n, "metered requests", 1e-6, 1.00, gwSrc, gwDate),
	}
	lambda.APIGateway, lambda.EphemeralStorageMB, lambda.EphemeralStorageSource = "http", 2048, "scenario"
	name := o.Lambda + " 1024 MB x86_64" + HTTPAPISuffix
	fleet := "c7i.large fleet (fixed, 40 rps/instance)"
	s.BreakEven[0].Serverless, s.BreakEven[0].Fleet = name, fleet
	const monthly = 20e6
	mc := func(name string, usd float64, src, date string) results.MonthlyCostComponent {
		return results.MonthlyCostComponent{Name: name, MonthlyCostUSD: usd, PriceSource: src, PriceEffective: date}
	}
	s.MonthlyCost = []results.MonthlyCostRow{{
		Option: name, Kind: "serverless", MonthlyRequests: monthly, AverageRPS: pricing.AverageRPS(monthly),
		MonthlyCostUSD: 37.4, MonthlyCostLow: 36, MonthlyCostHigh: 39, Cheapest: true, Profile: "constant",
		Components: []results.MonthlyCostComponent{
			mc(results.CostRequests, 4, lambdaSrc, lambdaDate), mc(results.CostCompute, 13.2, lambdaSrc, lambdaDate),
			mc(results.CostEphemeralStorage, 0.2, lambdaSrc, lambdaDate), mc(results.CostAPIGatewayHTTP, 20, gwSrc, gwDate),
		},
	}, {
		Option: fleet, Kind: "fleet", MonthlyRequests: monthly, AverageRPS: pricing.AverageRPS(monthly),
		MonthlyCostUSD: 65.15, MonthlyCostLow: 65.15, MonthlyCostHigh: 65.15, PeakInstances: 1, Profile: "constant",
	}}
}

// addDecision adds a Lambda Managed Instances option (a third kind, priced
// from an entry marked recalled) to the monthly costs and break-even, and
// the decision pricing.Decide computes from them.
func addDecision(tb testing.TB, s *results.Summary, scenario string) {
	tb.Helper()
	// Decoded as the report decodes a scenario that no longer validates
	// (its local-lambda target names no function).
	var sc scenarios.Scenario
	if err := yaml.Unmarshal([]byte(scenario), &sc); err != nil {
		tb.Fatal(err)
	}
	// Fixed entries (not the embedded book's, whose dates move with every
	// price update), as the fixture's cost rows cite them.
	entry := func(platform, arch, instance, source, date string) *pricing.Entry {
		return &pricing.Entry{Platform: platform, Region: "us-east-1", Architecture: arch, Instance: instance,
			Source: source, EffectiveDate: date, Retrieved: "2026-01-01", Confidence: "S: test entry"}
	}
	lambda := entry(pricing.PlatformLambda, "x86_64", "", "https://aws.amazon.com/lambda/pricing/", "2026-01-01")
	gw := entry(pricing.PlatformAPIGatewayHTTP, "", "", "https://aws.amazon.com/api-gateway/pricing/", "2025-05-19")
	var used []*pricing.Entry
	for _, in := range []string{"c7i.large", "c7g.large"} {
		used = append(used, entry(pricing.PlatformEC2, "", in, "https://aws.amazon.com/ec2/pricing/on-demand/", "2026-01-01"))
	}
	lmi := &pricing.Entry{Platform: "lambda-managed", Region: "us-east-1", Architecture: "arm64", Instance: "m7g.large",
		Source: "https://aws.amazon.com/lambda/pricing/", EffectiveDate: "2025-11-30", Retrieved: "2026-01-01", Confidence: "U: test entry"}
	used = append([]*pricing.Entry{lambda, gw}, append(used, lmi)...)
	const lmiName = "m7g.large Lambda Managed Instances (3 minimum, 60 rps/instance)"
	s.MonthlyCost[0].Target, s.MonthlyCost[0].Platform, s.MonthlyCost[0].Architecture, s.MonthlyCost[0].MemoryMB = s.Cost[0].Target, "aws-lambda", "x86_64", 1024
	s.MonthlyCost[0].APIGateway, s.MonthlyCost[0].PriceConfidence = "http", results.PriceSourced
	s.MonthlyCost[1].Instance, s.MonthlyCost[1].Platform, s.MonthlyCost[1].PriceConfidence = "c7i.large", "ec2", results.PriceSourced
	s.MonthlyCost = append(s.MonthlyCost, results.MonthlyCostRow{Option: lmiName, Kind: results.OptionLambdaManaged, Instance: "m7g.large",
		Platform: "lambda-managed", MonthlyRequests: 20e6, AverageRPS: pricing.AverageRPS(20e6), MonthlyCostUSD: 211.51,
		MonthlyCostLow: 211.51, MonthlyCostHigh: 211.51, PeakInstances: 3, Profile: "constant", PriceConfidence: results.PriceRecalled})
	s.Cost[0].PriceConfidence, s.Cost[1].PriceConfidence = results.PriceSourced, results.PriceSourced
	s.BreakEven[0].PriceConfidence = results.PriceSourced
	s.BreakEven = append(s.BreakEven, results.BreakEvenRow{Serverless: s.BreakEven[0].Serverless, Instance: "m7g.large",
		InstanceKind: results.OptionLambdaManaged, Fleet: lmiName, MonthlyRequests: 0, Crossings: []results.Crossing{},
		Note: "serverless is cheaper at every volume up to 100 B requests/month", PriceConfidence: results.PriceRecalled})
	book := &pricing.Book{Version: 1, BookDate: "2026-01-01", Files: []string{pricing.EmbeddedBookName}}
	s.Decision = pricing.Decide(s, &sc, pricing.DecideOptions{Book: book, Used: used})
}

// exactDist is the exact (type-7) distribution of vs in ms.
func exactDist(vs []float64) results.Distribution {
	if len(vs) == 0 {
		return results.Distribution{}
	}
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	q := func(p float64) float64 {
		h := p * float64(len(s)-1)
		lo := math.Floor(h)
		if int(lo)+1 >= len(s) {
			return s[len(s)-1]
		}
		return s[int(lo)] + (h-lo)*(s[int(lo)+1]-s[int(lo)])
	}
	var sum, sq float64
	for _, v := range s {
		sum += v
	}
	mean := sum / float64(len(s))
	for _, v := range s {
		sq += (v - mean) * (v - mean)
	}
	r := func(v float64) float64 { return math.Round(v*1000) / 1000 }
	return results.Distribution{Count: int64(len(s)), Min: r(s[0]), Mean: r(mean), Stdev: r(math.Sqrt(sq / float64(len(s)))),
		P50: r(q(0.5)), P90: r(q(0.9)), P95: r(q(0.95)), P99: r(q(0.99)), P999: r(q(0.999)), Max: r(s[len(s)-1]), Method: "exact"}
}

// summarizeForTest summarises a synthetic run's records per target and
// phase with exact percentiles and a p99 ≤ 120 ms SLO.
func summarizeForTest(tb testing.TB, dir string, order []string, kinds map[string]string) []results.TargetSummary {
	tb.Helper()
	f, err := os.Open(filepath.Join(dir, results.ResultsFile))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	type acc struct {
		lat, svc, lag, billed []float64
		ok, cold              int64
		errs                  map[string]int64
		first, last           time.Time
		mem, maxMem           int
	}
	accs := map[string]map[string]*acc{}
	var phases []string
	seenPhase := map[string]bool{}
	dec := results.NewJSONDecoder(f)
	for {
		var r results.Record
		err := dec(&r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		if !seenPhase[r.Phase] {
			seenPhase[r.Phase] = true
			phases = append(phases, r.Phase)
		}
		if accs[r.Target] == nil {
			accs[r.Target] = map[string]*acc{}
		}
		a := accs[r.Target][r.Phase]
		if a == nil {
			a = &acc{errs: map[string]int64{}, first: r.Intended}
			accs[r.Target][r.Phase] = a
		}
		a.last = r.Intended
		a.lag = append(a.lag, float64(r.Timestamp.Sub(r.Intended))/1e6)
		if r.Error != "" {
			a.errs[r.ErrorClass]++
			continue
		}
		a.ok++
		a.lat = append(a.lat, float64(r.Latency)/1e6)
		a.svc = append(a.svc, float64(r.Latency)/1e6)
		if r.BilledDurationMs != nil {
			a.billed = append(a.billed, *r.BilledDurationMs)
			a.mem, a.maxMem = *r.MemorySizeMB, *r.MaxMemoryUsedMB
		}
		if r.Cold {
			a.cold++
		}
	}
	var out []results.TargetSummary
	for _, name := range order {
		ts := results.TargetSummary{Name: name, Kind: kinds[name]}
		for _, ph := range phases {
			a := accs[name][ph]
			if a == nil {
				continue
			}
			n := a.ok
			for _, c := range a.errs {
				n += c
			}
			dur := a.last.Sub(a.first).Seconds()
			lag := exactDist(a.lag)
			p := results.PhaseSummary{Name: ph, Requests: n, OK: a.ok, Errors: a.errs, ErrorRate: float64(n-a.ok) / float64(n),
				DurationS: dur, OfferedRPS: math.Round(float64(n)/dur*10) / 10, AchievedRPS: math.Round(float64(n)/dur*10) / 10,
				LatencyMs: exactDist(a.lat), ServiceLatencyMs: exactDist(a.svc),
				DispatchLagMs: results.LagSummary{P50: lag.P50, P99: lag.P99, Max: lag.Max},
				ColdStarts:    new(a.cold), ColdStartRate: new(float64(a.cold) / float64(n)), MemorySizeMB: a.mem, MaxMemoryUsedMB: a.maxMem}
			if len(a.billed) > 0 {
				d := exactDist(a.billed)
				p.BilledDurationMs = &d
			}
			slo := &results.SLOResult{Passed: p.LatencyMs.P99 <= 120}
			if !slo.Passed {
				slo.Violations = []string{fmt.Sprintf("p99 %.1f ms > 120 ms", p.LatencyMs.P99)}
			}
			p.SLO = slo
			ts.Phases = append(ts.Phases, p)
		}
		out = append(out, ts)
	}
	return out
}
