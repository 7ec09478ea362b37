package pricing

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
	"github.com/benchctl/benchctl/traces"
)

// DefaultMaxSpendUSD is the most a run against a real cloud endpoint may be
// estimated to cost before benchctl refuses to start it (--max-spend,
// pricing.max_spend_usd).
const DefaultMaxSpendUSD = 5

// UnknownMemoryMB is assumed for a function whose memory is unknown before
// the run (the Lambda maximum: an upper bound).
const UnknownMemoryMB = 10240

// ErrOverBudget is returned (wrapped) by SpendEstimate.Check when the
// estimate exceeds the limit.
var ErrOverBudget = errors.New("estimated benchmark spend exceeds the limit")

// SpendEstimate is what a run is expected to cost on real cloud endpoints
// before it starts.
type SpendEstimate struct {
	TotalUSD decimal.Decimal `json:"total_usd"`
	Lines    []SpendLine     `json:"lines"`
	Notes    []string        `json:"notes,omitempty"`
	// RealCloud is false when no target costs money (all local).
	RealCloud bool `json:"real_cloud"`
}

// SpendLine is one target × phase (× sweep step) of the estimate:
// Requests scheduled × the per-request cost at AssumedDurationMs.
type SpendLine struct {
	Target            string          `json:"target"`
	Phase             string          `json:"phase"`
	Step              string          `json:"step,omitempty"`
	Platform          string          `json:"platform"`
	MemoryMB          int             `json:"memory_mb"`
	Requests          int64           `json:"requests"`
	AssumedDurationMs float64         `json:"assumed_duration_ms"`
	DurationSource    string          `json:"duration_source"`
	USD               decimal.Decimal `json:"usd"`
	PriceSource       string          `json:"price_source"`
}

// SpendOptions gives what is known about the functions before the run
// (e.g. from GetFunctionConfiguration), keyed by target name.
type SpendOptions struct {
	FunctionMemoryMB map[string]int
	FunctionTimeout  map[string]time.Duration
	// FunctionEphemeralMB is the /tmp size read from the platform, used
	// where the scenario sets none (as AnalyzeOptions.FunctionEphemeralMB).
	FunctionEphemeralMB map[string]int
}

// MaxSpendUSD is the scenario's spend limit, DefaultMaxSpendUSD when unset.
func MaxSpendUSD(sc *scenarios.Scenario) float64 {
	if sc != nil && sc.Pricing.MaxSpend != nil {
		return *sc.Pricing.MaxSpend
	}
	return DefaultMaxSpendUSD
}

// Check returns an error wrapping ErrOverBudget when the estimate exceeds
// limitUSD, saying how to raise the limit.
func (s SpendEstimate) Check(limitUSD float64) error {
	if s.TotalUSD.GreaterThan(decimal.NewFromFloat(limitUSD)) {
		// Small runs and limits need more than cents to be told apart.
		places := int32(2)
		if s.TotalUSD.LessThan(decimal.NewFromFloat(0.01)) || limitUSD < 0.01 {
			places = 6
		}
		return fmt.Errorf("%w: estimated $%s > limit $%s; raise it with --max-spend %s (or pricing.max_spend_usd in the scenario), or see the estimate with --dry-run",
			ErrOverBudget, s.TotalUSD.StringFixed(places), decimal.NewFromFloat(limitUSD).StringFixed(places), decimal.NewFromFloat(math.Ceil(s.TotalUSD.InexactFloat64()*100)/100).String())
	}
	return nil
}

// WriteText prints the estimate as a table.
func (s SpendEstimate) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tPHASE\tSTEP\tMEMORY\tREQUESTS\tASSUMED DURATION\tFROM\tUSD")
	for _, l := range s.Lines {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d MB\t%d\t%.1f ms\t%s\t%s\n", l.Target, l.Phase, l.Step, l.MemoryMB, l.Requests, l.AssumedDurationMs, l.DurationSource, l.USD.StringFixed(4))
	}
	fmt.Fprintf(tw, "TOTAL\t\t\t\t\t\t\t%s\n", s.TotalUSD.StringFixed(4))
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range s.Notes {
		if _, err := fmt.Fprintln(w, "note:", n); err != nil {
			return err
		}
	}
	return nil
}

// EstimateRunSpend estimates what a scenario will cost on its real-cloud
// targets (aws-lambda, lambda-url, and http targets with a billing block
// that benchctl does not serve itself): per phase and memory-sweep step
// (of every swept target: memory_sweep.target and memory_sweep.targets),
// scheduled requests × the cost of one request at an assumed duration — the
// billed duration measured by the prior run of the scenario when given,
// else the target's timeout as the upper bound (memory unknown: 10,240 MB).
func EstimateRunSpend(book *Book, sc *scenarios.Scenario, prior *results.Summary) (SpendEstimate, error) {
	return EstimateRunSpendWith(book, sc, prior, SpendOptions{})
}

// EstimateRunSpendWith is EstimateRunSpend with known function settings.
func EstimateRunSpendWith(book *Book, sc *scenarios.Scenario, prior *results.Summary, opts SpendOptions) (SpendEstimate, error) {
	var est SpendEstimate
	if book == nil || sc == nil {
		return est, errors.New("estimate run spend: book and scenario are required")
	}
	type job struct {
		phase, step string
		t           scenarios.Target
		mem         int
		requests    float64
		cold        bool
	}
	var jobs []job
	sweep := sc.Experiments.MemorySweep
	swept := sweep.AllTargets()
	inSweep := func(target, phase string) bool {
		if sweep == nil || !slices.Contains(swept, target) {
			return false
		}
		if len(sweep.Phases) == 0 {
			return true
		}
		for _, p := range sweep.Phases {
			if p == phase {
				return true
			}
		}
		return false
	}
	// With trials every recorded phase, every sweep step (warm-ups
	// included: each visit of a memory size starts cold) and every capacity
	// search runs trials times; plain warm-ups run once.
	trials := float64(max(sc.Trials, 1))
	if trials > 1 {
		est.Notes = append(est.Notes, fmt.Sprintf("trials: %d: recorded phases, memory-sweep steps and capacity searches counted %d times", sc.Trials, sc.Trials))
	}
	for _, ph := range sc.Phases {
		n, note, err := scheduledRequests(ph, sc)
		if err != nil {
			return est, fmt.Errorf("estimate run spend: phase %s: %w", ph.Name, err)
		}
		if note != "" {
			est.Notes = append(est.Notes, fmt.Sprintf("phase %s: %s", ph.Name, note))
		}
		for _, tn := range ph.Targets {
			t, ok := targetByName(sc, tn)
			if !ok || !realCloudKind(t) {
				continue
			}
			if inSweep(tn, ph.Name) {
				for _, m := range sweep.MemorySizes {
					jobs = append(jobs, job{phase: ph.Name, step: results.MemoryStep(m), t: t, mem: m, requests: n * trials})
				}
				continue
			}
			if ph.Recorded() {
				jobs = append(jobs, job{phase: ph.Name, t: t, requests: n * trials})
				continue
			}
			jobs = append(jobs, job{phase: ph.Name, t: t, requests: n})
		}
	}
	if cs := sc.Experiments.ColdStarts; cs != nil {
		if t, ok := targetByName(sc, cs.Target); ok && realCloudKind(t) {
			jobs = append(jobs, job{phase: "cold_starts", step: "cold_start", t: t, requests: float64(cs.Samples), cold: true})
		}
	}
	if c := sc.Experiments.Capacity; c != nil {
		n, note := CapacitySearchMaxRequests(*c)
		for _, name := range capacityTargets(*c) {
			if t, ok := targetByName(sc, name); ok && realCloudKind(t) {
				jobs = append(jobs, job{phase: "capacity", t: t, requests: n * trials})
				est.Notes = appendOnce(est.Notes, note)
			}
		}
	}
	for _, j := range jobs {
		est.RealCloud = true
		mem := memoryMB(sc, j.t, j.mem, j.step, opts.FunctionMemoryMB)
		durMs, source := priorDuration(prior, j.t.Name, mem, j.cold)
		if mem == 0 && prior != nil {
			mem = priorMemory(prior, j.t.Name)
		}
		if mem == 0 {
			mem = UnknownMemoryMB
			est.Notes = appendOnce(est.Notes, fmt.Sprintf("%s: memory unknown before the run, assumed %d MB (upper bound)", j.t.Name, mem))
		}
		if durMs == 0 {
			timeout := opts.FunctionTimeout[j.t.Name]
			source = "function timeout (upper bound)"
			if timeout == 0 {
				timeout = j.t.Timeout
				source = "target timeout (upper bound)"
			}
			if timeout == 0 {
				timeout = scenarios.DefaultTimeout
			}
			durMs = float64(timeout.Milliseconds())
		}
		arch := j.t.Architecture
		if arch == "" {
			arch = ArchX86
		}
		c, err := pricer(book, sc, j.t, mem, arch, opts.FunctionEphemeralMB)
		if err != nil {
			return est, fmt.Errorf("estimate run spend: %w", err)
		}
		n := int64(math.Ceil(j.requests))
		unit := CeilMs(durMs)
		if c.platform == PlatformCloudRun {
			unit = ceilTo(durMs, c.entry.CloudRun.RoundingMs)
		}
		if c.platform == PlatformAzureFunctions {
			unit = c.entry.Azure.BilledMs(durMs)
		}
		if c.platform == PlatformSageMakerServerless {
			unit = ceilTo(durMs, max(c.entry.SageMaker.RoundingMs, 1))
		}
		per := c.fixed.Add(c.perUnit.Mul(unit))
		if c.apigw == nil && c.metered() {
			// SageMaker data processed, at its largest payloads each way.
			per = per.Add(c.dataRate.Mul(decimal.NewFromInt(2 * SageMakerMaxPayloadBytes)))
			est.Notes = appendOnce(est.Notes, fmt.Sprintf("%s: data processed assumed at the largest payload each way (%d MB in and out, an upper bound)", j.t.Name, SageMakerMaxPayloadBytes>>20))
		}
		if gatewayPaid(j.t) {
			// Requests through an API Gateway URL pay its fee too
			// (assumed one metered request each).
			per = per.Add(c.gwPer())
		}
		usd := per.Mul(decimal.NewFromInt(n))
		est.Lines = append(est.Lines, SpendLine{Target: j.t.Name, Phase: j.phase, Step: j.step, Platform: c.platform, MemoryMB: mem,
			Requests: n, AssumedDurationMs: unit.InexactFloat64(), DurationSource: source, USD: usd, PriceSource: c.entry.Source})
		est.TotalUSD = est.TotalUSD.Add(usd)
	}
	return est, nil
}

// CapacitySearchMaxRequests is the most requests one capacity search of c
// can send, and how that bound is made up. The search (loadgen.RunCapacity)
// probes at most scenarios.DefaultCapacityMaxSteps rates, none above
// max_rps; each step runs step_duration and may be extended
// DefaultCapacityMaxExtensions times by at most CapacityExtensionSteps ×
// step_duration; an unrecorded warm-up runs DefaultCapacityWarmup at
// min_rps first:
//
//	N ≤ min_rps × warm-up + steps × (1 + extensions × 2) × step_duration × max_rps
func CapacitySearchMaxRequests(c scenarios.Capacity) (float64, string) {
	step := c.StepDuration
	if step <= 0 {
		step = scenarios.DefaultCapacityStepDuration
	}
	perStep := step.Seconds() * float64(1+scenarios.DefaultCapacityMaxExtensions*scenarios.CapacityExtensionSteps)
	n := c.MinRPS*scenarios.DefaultCapacityWarmup.Seconds() + float64(scenarios.DefaultCapacityMaxSteps)*perStep*c.MaxRPS
	note := fmt.Sprintf("capacity search on a real endpoint: at most %d steps at up to max_rps (%g requests/s), each up to %g s with its %d extensions, plus a %g s warm-up at min_rps: at most %.0f requests per searched target (an upper bound)",
		scenarios.DefaultCapacityMaxSteps, c.MaxRPS, perStep, scenarios.DefaultCapacityMaxExtensions, scenarios.DefaultCapacityWarmup.Seconds(), math.Ceil(n))
	return n, note
}

// capacityTargets are the targets a capacity block searches, each once.
func capacityTargets(c scenarios.Capacity) []string {
	var out []string
	for _, name := range append([]string{c.Target}, c.Targets...) {
		if name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

func appendOnce(xs []string, s string) []string {
	for _, x := range xs {
		if x == s {
			return xs
		}
	}
	return append(xs, s)
}

// priorDuration is the mean billed duration (or latency, for http targets)
// a prior run measured for target at memory (any memory when 0).
func priorDuration(prior *results.Summary, target string, mem int, cold bool) (float64, string) {
	if prior == nil {
		return 0, ""
	}
	for _, ts := range prior.Targets {
		if ts.Name != target {
			continue
		}
		var sum, n float64
		for _, ph := range ts.Phases {
			m := ph.MemorySizeMB
			if m == 0 {
				m = memoryFromStep(ph.Step)
			}
			if mem != 0 && m != 0 && m != mem {
				continue
			}
			if (ph.Experiment == "cold_starts") != cold {
				continue
			}
			if ph.BilledDurationMs != nil && ph.BilledDurationMs.Count > 0 {
				sum += ph.BilledDurationMs.Mean * float64(ph.BilledDurationMs.Count)
				n += float64(ph.BilledDurationMs.Count)
			} else if ph.LatencyMs.Count > 0 {
				sum += ph.LatencyMs.Mean * float64(ph.LatencyMs.Count)
				n += float64(ph.LatencyMs.Count)
			}
		}
		if n > 0 {
			return sum / n, "measured in the prior run"
		}
	}
	return 0, ""
}

func priorMemory(prior *results.Summary, target string) int {
	for _, ts := range prior.Targets {
		if ts.Name == target {
			for _, ph := range ts.Phases {
				if ph.MemorySizeMB > 0 {
					return ph.MemorySizeMB
				}
			}
		}
	}
	return 0
}

// scheduledRequests is the number of requests a phase's traffic model
// schedules per target over the phase duration.
func scheduledRequests(ph scenarios.Phase, sc *scenarios.Scenario) (float64, string, error) {
	tr := ph.Traffic
	D := ph.Duration.Seconds()
	switch tr.Model {
	case "constant", "poisson", "":
		return tr.Rate * D, "", nil
	case "ramp":
		return (tr.From + tr.To) / 2 * D, "", nil
	case "sine":
		return tr.Mean * D, "", nil
	case "step":
		every := tr.Every.Seconds()
		if every <= 0 {
			return 0, "", errors.New("step traffic needs every > 0")
		}
		return stepTrafficRequests(tr.Start, tr.Step, tr.Max, every, D), "", nil
	case "burst":
		every := tr.Every.Seconds()
		if every <= 0 {
			return tr.Peak * D, "burst without every: assumed peak all along", nil
		}
		bursts := math.Ceil(D / every)
		return tr.Base*D + (tr.Peak-tr.Base)*math.Min(tr.Length.Seconds(), every)*bursts, "", nil
	case "trace":
		path := tr.File
		if !filepath.IsAbs(path) && sc.Path != "" {
			path = filepath.Join(filepath.Dir(sc.Path), path)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return 0, "", fmt.Errorf("read trace: %w", err)
		}
		scale := tr.TimeScale
		if scale <= 0 {
			scale = 1
		}
		limit := D * scale // trace seconds replayed
		format, err := traces.Resolve(tr.Format, raw)
		if err != nil {
			return 0, "", err
		}
		if format == traces.Timestamps {
			ts, err := traces.ParseTimestamps(raw)
			if err != nil {
				return 0, "", err
			}
			n := 0
			for _, t := range ts {
				if t-ts[0] < limit {
					n++
				}
			}
			return float64(n), "", nil
		}
		mins, err := traces.ParseMinuteCounts(raw)
		if err != nil {
			return 0, "", err
		}
		total := 0.0
		for i, c := range mins {
			if float64(i)*60 >= limit {
				break
			}
			total += c * math.Min(1, (limit-float64(i)*60)/60)
		}
		return total, "", nil
	}
	return 0, "", fmt.Errorf("traffic model %q isn't one of [constant poisson ramp step sine burst trace]", tr.Model)
}

// stepTrafficRequests is the requests a step model schedules over D
// seconds: the rate start + i × step, clamped to [0, max] (max 0: no cap),
// held for each interval i of every seconds, the last one partial. It is a
// closed form, so its cost does not grow with D / every.
func stepTrafficRequests(start, step, max, every, D float64) float64 {
	if !(every > 0) || !(D > 0) {
		return 0
	}
	hi := math.Inf(1)
	if max > 0 {
		hi = max
	}
	rate := func(i float64) float64 { return math.Min(hi, math.Max(0, start+step*i)) }
	full := math.Floor(D / every)
	return seriesSum(start, step, hi, full)*every + rate(full)*(D-full*every)
}

// seriesSum is Σ_{i=0}^{k−1} clamp(a + s·i, 0, hi) for k ≥ 0 whole.
func seriesSum(a, s, hi, k float64) float64 {
	if !(k > 0) {
		return 0
	}
	clampCount := func(x float64) float64 { return math.Min(k, math.Max(0, math.Ceil(x))) }
	linear := func(p, q float64) float64 { // Σ_{p ≤ i < q} (a + s·i)
		if q <= p {
			return 0
		}
		n := q - p
		return n*a + s*n*(p+q-1)/2
	}
	switch {
	case s == 0:
		return k * math.Min(hi, math.Max(0, a))
	case s > 0:
		i0 := clampCount(-a / s) // first non-negative term
		i1 := k                  // first term at the cap
		if !math.IsInf(hi, 1) {
			i1 = math.Max(i0, clampCount((hi-a)/s))
		}
		return linear(i0, i1) + (k-i1)*math.Min(hi, math.Max(0, a+s*i1))
	default:
		i0 := 0.0 // first term below the cap
		if !math.IsInf(hi, 1) {
			i0 = clampCount((hi - a) / s)
		}
		i1 := math.Max(i0, clampCount(-a/s)) // first term at or below zero
		return i0*hi + linear(i0, i1)
	}
}
