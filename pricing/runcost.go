package pricing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/shopspring/decimal"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// RecordReader yields a run's records one at a time and returns io.EOF
// after the last one. results.Decoder converts to it with
// RecordReaderFunc(dec).
type RecordReader interface {
	Read(*results.Record) error
}

// RecordReaderFunc adapts a function (such as a results.Decoder) to RecordReader.
type RecordReaderFunc func(*results.Record) error

// Read calls f.
func (f RecordReaderFunc) Read(r *results.Record) error { return f(r) }

var _ RecordReader = RecordReaderFunc(nil)

// rowAcc accumulates one cost row (target, phase, step, architecture).
type rowAcc struct {
	target, phase, step, experiment string
	cfg                             *configStat
	requests, throttled, unpriced   int64
	n, nCold                        int64
	sumU, sumColdExtra              decimal.Decimal
	sumUInt                         int64
	// units holds the statistics of the billed units behind the CI; in a
	// fork, pending holds the units themselves for the replay (Merge).
	units       unitStats
	pending     []float64
	sumLatencyS float64
	tMin, tMax  time.Time
	warmU       float64
	nWarm       int64
	estimate    bool
	// sumGW is Σ metered API Gateway requests over the priced requests.
	sumGW int64
	// hostBusy: the phase (and step) was host_busy.
	hostBusy bool
	// trials sums the billed units per trial of a run with trials.
	trials trialUnits
}

// addU adds one request's billed unit exactly: whole milliseconds (the
// usual case) in an integer, fractions as decimals.
func (r *rowAcc) addU(u float64) {
	if u == math.Trunc(u) && u >= 0 && u < 1<<52 {
		r.sumUInt += int64(u)
		return
	}
	r.sumU = r.sumU.Add(decimal.NewFromFloat(u))
}

// totalU is Σu over the row's billed requests.
func (r *rowAcc) totalU() decimal.Decimal { return r.sumU.Add(decimal.NewFromInt(r.sumUInt)) }

// runCost is the exact cost of the row: n × fixed + Σu × perUnit +
// Σmetered × gateway rate.
func (r *rowAcc) runCost() decimal.Decimal {
	return decimal.NewFromInt(r.n).Mul(r.cfg.fixed).Add(r.totalU().Mul(r.cfg.perUnit)).Add(r.gwCost())
}

// gwCost is the row's API Gateway fee (zero without a gateway).
func (r *rowAcc) gwCost() decimal.Decimal {
	return decimal.NewFromInt(r.sumGW).Mul(r.cfg.gwRate())
}

// paidCost is what the benchmark's own requests of the row cost: runCost
// without the gateway fee unless they went through the gateway (gatewayPaid).
func (r *rowAcc) paidCost(t scenarios.Target) decimal.Decimal {
	if gatewayPaid(t) {
		return r.runCost()
	}
	return r.runCost().Sub(r.gwCost())
}

// merge adds b (a fork's row that saw requests after r's) to r; b's
// units were already replayed.
func (r *rowAcc) merge(b *rowAcc) {
	r.requests += b.requests
	r.throttled += b.throttled
	r.unpriced += b.unpriced
	r.n += b.n
	r.nCold += b.nCold
	r.sumU = r.sumU.Add(b.sumU)
	r.sumColdExtra = r.sumColdExtra.Add(b.sumColdExtra)
	r.sumUInt += b.sumUInt
	r.sumLatencyS += b.sumLatencyS
	if !b.tMin.IsZero() && (r.tMin.IsZero() || b.tMin.Before(r.tMin)) {
		r.tMin = b.tMin
	}
	if b.tMax.After(r.tMax) {
		r.tMax = b.tMax
	}
	r.warmU += b.warmU
	r.nWarm += b.nWarm
	r.estimate = r.estimate || b.estimate
	r.sumGW += b.sumGW
	r.trials.merge(b.trials)
}

// AnalyzeRun prices a run. From the records it computes, per target, phase,
// step and priced architecture, the exact run cost (per request: the
// platform's rule on its billed duration; throttled requests are counted
// but cost nothing; function errors are billed), the mean cost per request
// and per 1M requests with a 95% CI (see RunCost), and the share of cost
// from cold starts (INIT). It fills sum.Cost, sum.BreakEven,
// sum.BenchmarkCostUSD (what the real-cloud targets of the run cost), the
// cost fields and flags of sum.Experiments.MemorySweep, and adds notes.
// records may be nil: the costs are then estimated from the phase
// summaries. A run directory is priced by the summary pipeline, which
// feeds a RunCost in its one pass over results.jsonl; AnalyzeRun is for
// records at hand.
func AnalyzeRun(book *Book, records RecordReader, sum *results.Summary, sc *scenarios.Scenario) error {
	return AnalyzeRunWith(book, records, sum, sc, AnalyzeOptions{})
}

// AnalyzeOptions tunes AnalyzeRunWith and NewRunCost.
type AnalyzeOptions struct {
	// InitRule is InitRuleAuto (default), InitRuleBilled or InitRuleLegacy.
	InitRule string
	// FunctionEphemeralMB is each function target's ephemeral storage
	// size in MB as read from the platform (GetFunctionConfiguration's
	// EphemeralStorage.Size), keyed by target name. It is priced when the
	// scenario sets no ephemeral_storage_mb for the target (source
	// "function configuration"); without either, 512 MB is assumed.
	FunctionEphemeralMB map[string]int
}

// AnalyzeRunWith is AnalyzeRun with options.
func AnalyzeRunWith(book *Book, records RecordReader, sum *results.Summary, sc *scenarios.Scenario, opts AnalyzeOptions) error {
	return AnalyzeRunContext(context.Background(), book, records, sum, sc, opts)
}

// AnalyzeRunContext is AnalyzeRunWith that stops with ctx's error once ctx
// is cancelled (the break-even searches watch it).
func AnalyzeRunContext(ctx context.Context, book *Book, records RecordReader, sum *results.Summary, sc *scenarios.Scenario, opts AnalyzeOptions) error {
	if records == nil {
		if err := checkAnalyze(book, sum, opts); err != nil {
			return err
		}
		return analyzeFromSummary(ctx, book, sum, sc, opts)
	}
	c, err := NewRunCost(book, sc, opts)
	if err != nil {
		return err
	}
	var rec results.Record
	for i := 0; ; i++ {
		rec = results.Record{}
		err := records.Read(&rec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("analyze run: read record %d: %w", i+1, err)
		}
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("analyze run: %w", err)
			}
		}
		c.Add(&rec)
	}
	return c.Apply(ctx, sum)
}

func checkAnalyze(book *Book, sum *results.Summary, opts AnalyzeOptions) error {
	if err := checkPricing(book, opts); err != nil {
		return err
	}
	if sum == nil {
		return errors.New("analyze run: a summary is required")
	}
	return nil
}

// checkPricing checks what every pricing of records needs: a book and a
// known INIT rule.
func checkPricing(book *Book, opts AnalyzeOptions) error {
	switch opts.InitRule {
	case "", InitRuleAuto, InitRuleBilled, InitRuleLegacy:
	default:
		return fmt.Errorf("analyze run: init rule %q isn't one of [auto billed legacy]", opts.InitRule)
	}
	if book == nil {
		return errors.New("analyze run: a price book is required")
	}
	return nil
}

// analyzeFromSummary prices a run from its phase summaries (no records).
func analyzeFromSummary(ctx context.Context, book *Book, sum *results.Summary, sc *scenarios.Scenario, opts AnalyzeOptions) error {
	stats, notes, err := statsFromSummary(book, sum, sc, opts.FunctionEphemeralMB)
	if err != nil {
		return err
	}
	sum.Cost = nil
	for _, c := range stats {
		// Mean cost per request: fixed + gateway + perUnit × (warm + cold share × cold extra).
		meanU := decimal.NewFromFloat(c.warmU + c.coldFrac*c.coldExtraU)
		per := c.fixed.Add(c.gwPer()).Add(c.perUnit.Mul(meanU))
		row := results.CostRow{Target: c.target, Platform: c.platform, Architecture: c.arch,
			MemoryMB: c.memMB, Requests: c.n, RunCostUSD: per.Mul(decimal.NewFromInt(c.n)).InexactFloat64(),
			CostPerRequestUSD: per.InexactFloat64(), CostPerMillionUSD: per.Mul(decimal.NewFromInt(1_000_000)).InexactFloat64(),
			Estimate: true, PriceSource: c.entry.Source, PriceEffective: c.entry.EffectiveDate,
			PriceConfidence: confidenceOf(c.entry, c.apigw)}
		c.describe(&row)
		n := decimal.NewFromInt(c.n)
		row.Components = c.components(n, n.Mul(meanU), n.Mul(decimal.NewFromFloat(c.gwUnits)))
		row.CostPerMillionLow, row.CostPerMillionHi = row.CostPerMillionUSD*c.ciLow, row.CostPerMillionUSD*c.ciHigh
		if per.IsPositive() {
			row.ColdStartShare = c.perUnit.Mul(decimal.NewFromFloat(c.coldFrac * c.coldExtraU)).Div(per).InexactFloat64()
		}
		sum.Cost = append(sum.Cost, row)
	}
	return finishAnalysis(ctx, book, sum, sc, opts, stats, nil, notes)
}

// finishAnalysis derives the monthly model, break-even and memory sweep
// costs from the configurations and adds the notes.
func finishAnalysis(ctx context.Context, book *Book, sum *results.Summary, sc *scenarios.Scenario, opts AnalyzeOptions, stats []*configStat, accs []*rowAcc, notes []string) error {
	a, err := newAnalysis(book, sum, sc, stats)
	if err != nil {
		return err
	}
	if sum.BreakEven, err = a.BreakEven(ctx, true); err != nil {
		return fmt.Errorf("analyze run: %w", err)
	}
	sum.MonthlyCost = nil
	if v := ProfileVolume(sc); v > 0 {
		sum.MonthlyCost = a.MonthlyCosts(v)
	}
	fillMemorySweep(book, accs, sum, sc, opts.FunctionEphemeralMB)
	var used []*Entry
	for _, c := range stats {
		used = append(used, c.entry, c.apigw)
	}
	for _, f := range a.Fleets {
		used = append(used, f.entries()...)
	}
	sum.Decision = Decide(sum, sc, DecideOptions{Book: book, Used: used, MinMonthlyRequests: a.MinMonthlyRequests, MaxMonthlyRequests: a.MaxMonthlyRequests})
	notes = append(notes, componentNotes(stats, sc)...)
	for _, n := range append(notes, a.Notes...) {
		sum.Notes = appendOnce(sum.Notes, n)
	}
	return nil
}

// RunCost prices a run record by record (the records half of AnalyzeRun)
// in memory bounded by the number of cost rows, not by the number of
// requests: per row it keeps exact sums (decimal where billing needs it)
// and the statistics of its billed units behind the CI (unitStats). Feed
// it every record (Add), then Apply.
//
// The 95% CI of a row's cost per request is, for up to bootstrapMaxN
// (5,000) priced requests, a percentile bootstrap over the requests (200
// resamples, seeded by the scenario seed), and beyond that batch means:
// the requests, in the order they were recorded, are cut into 32 to 64
// consecutive batches of equal size (a power of two, doubled as the row
// grows), and the interval is mean ± t(0.975, k−1)·s/√k over the k batch
// means. Consecutive requests are correlated (queueing, cold starts,
// instance reuse), which an interval treating them as independent
// understates; batch means stays honest as long as a batch (≥ 78
// requests at 5,000) is longer than that correlation. A configuration
// priced over several rows (the monthly model) combines them the same way
// when they hold at most 5,000 requests together, and as independent
// strata beyond (SE² = Σ (nᵢ/N)² SEᵢ²). TestCostCICoverage checks the
// coverage of both methods, on independent and on autocorrelated costs.
//
// RunCost is a mergeable collector (Fork, Merge) for the summary
// pipeline's parallel pass. Two parts depend on record order and stay
// exact through the merge by replaying a fork's per-record inputs: the
// units behind the CI (their order decides the bootstrap resamples and
// the batches) and records whose memory size is only known from an
// earlier record of their target (a throttle before any REPORT), which a
// fork keeps until the merge gives it the last size seen before its chunk.
// Row order (first appearance) survives the merge.
type RunCost struct {
	book *Book
	sc   *scenarios.Scenario
	opts AnalyzeOptions
	fork bool

	rows    map[rowKey]*rowAcc
	order   []rowKey
	cfgs    map[cfgKey]*configStat
	lastMem map[string]int
	// noMem counts, per target, the records priced nowhere because no
	// REPORT told their memory size: [0] throttled, [1] others (billing
	// data missing: no log tail, no log access, a failure before any
	// REPORT).
	noMem map[string]*[2]int64
	rules *initRules
	err   error
	// targets and routes cache what Add resolves per target and per run
	// of records (see costRoute).
	targets map[string]*costTarget
	routes  [routeCache]*costRoute
	// recentTargets are the targets of the last records.
	recentTargets [4]*costTarget
	// events is a fork's sequence of new rows and held records, so the
	// merge keeps the order in which rows first appeared.
	events []runCostEvent
}

// countNoMem adds n unpriced records of kind (see RunCost.noMem) for target.
func (c *RunCost) countNoMem(target string, kind int, n int64) {
	if n == 0 {
		return
	}
	if c.noMem[target] == nil {
		c.noMem[target] = new([2]int64)
	}
	c.noMem[target][kind] += n
}

type cfgKey struct {
	target, arch string
	mem          int
}

type rowKey struct {
	cfgKey
	phase, step, experiment string
}

// runCostEvent is a row a fork created (held == nil) or a record it
// held for the merge.
type runCostEvent struct {
	row  rowKey
	held *results.Record
}

// NewRunCost returns an empty RunCost for scenario sc (nil: records with
// billed durations are priced as AWS Lambda).
func NewRunCost(book *Book, sc *scenarios.Scenario, opts AnalyzeOptions) (*RunCost, error) {
	if err := checkPricing(book, opts); err != nil {
		return nil, err
	}
	return &RunCost{book: book, sc: sc, opts: opts, rows: map[rowKey]*rowAcc{}, cfgs: map[cfgKey]*configStat{},
		lastMem: map[string]int{}, noMem: map[string]*[2]int64{}, rules: newInitRules(opts.InitRule),
		targets: map[string]*costTarget{}}, nil
}

// Fork returns an empty RunCost with c's configuration, for records that
// follow c's.
func (c *RunCost) Fork() *RunCost {
	f, _ := NewRunCost(c.book, c.sc, c.opts)
	f.fork = true
	return f
}

// Merge folds f, a Fork fed the records that follow c's, into c.
func (c *RunCost) Merge(f *RunCost) {
	if c.err == nil {
		c.err = f.err
	}
	for _, ev := range f.events {
		if ev.held != nil {
			c.Add(ev.held)
			continue
		}
		if _, ok := c.rows[ev.row]; !ok {
			b := f.rows[ev.row]
			r := *b
			r.units, r.pending, r.trials = unitStats{}, nil, trialUnits{}
			r.requests, r.throttled, r.unpriced, r.n, r.nCold, r.sumUInt, r.nWarm, r.sumGW = 0, 0, 0, 0, 0, 0, 0, 0
			r.sumU, r.sumColdExtra, r.sumLatencyS, r.warmU, r.estimate = decimal.Zero, decimal.Zero, 0, 0, false
			r.tMin, r.tMax = time.Time{}, time.Time{}
			c.rows[ev.row] = &r
			c.order = append(c.order, ev.row)
			if c.fork {
				c.events = append(c.events, runCostEvent{row: ev.row})
			}
		}
	}
	for _, k := range f.order {
		b := f.rows[k]
		r := c.rows[k]
		for _, u := range b.pending {
			r.addUnit(u, c.fork)
		}
		r.merge(b)
	}
	for t, mem := range f.lastMem {
		c.lastMem[t] = mem
		if ct, ok := c.targets[t]; ok {
			ct.lastMem = mem
		}
	}
	for t, n := range f.noMem {
		c.countNoMem(t, 0, n[0])
		c.countNoMem(t, 1, n[1])
	}
	for t := range f.rules.assumed {
		c.rules.assumed[t] = true
	}
}

// addUnit records one priced request's billed unit for the CI.
func (r *rowAcc) addUnit(u float64, fork bool) {
	if fork {
		r.pending = append(r.pending, u)
		return
	}
	r.units.add(u)
}

// memoryMB is the one memory fallback chain: the memory size a function
// target's request (or phase, or planned step) ran at is the size the
// platform reported, else the memory sweep step's ("memory_mb=512"), else
// the scenario's local function's memory_size, else the size read from
// the platform before the run (platformMB, by target name), else the
// target's billing.memory_mb; 0 when none says.
func memoryMB(sc *scenarios.Scenario, t scenarios.Target, reported int, step string, platformMB map[string]int) int {
	if reported > 0 {
		return reported
	}
	if mb := memoryFromStep(step); mb > 0 {
		return mb
	}
	if fn, ok := functionFor(sc, t); ok && fn.MemorySize > 0 {
		return fn.MemorySize
	}
	if mb := platformMB[t.Name]; mb > 0 {
		return mb
	}
	if t.Billing != nil {
		return t.Billing.MemoryMB
	}
	return 0
}

// costTarget is what Add knows about one target name: the scenario
// target (or the Lambda default), whether it is priced, and the
// architectures it is priced at.
type costTarget struct {
	name   string
	t      scenarios.Target
	priced bool
	archs  []string
	// lastMem is the memory size of the target's last record that had one
	// (c.lastMem, kept here too for speed).
	lastMem int
}

// costRoute is where the records of one (target, phase, step,
// experiment, memory) go: a row, its configuration and INIT rule per
// priced architecture. Records come in runs of one route, so Add keeps the
// last few.
type costRoute struct {
	target, phase, step, experiment string
	mem                             int
	rows                            []costRouteRow
}

type costRouteRow struct {
	r    *rowAcc
	cfg  *configStat
	rule func(time.Time) bool
}

// routeCache is how many recent routes Add keeps.
const routeCache = 8

// target resolves a record's target name once per name.
func (c *RunCost) target(name string, rec *results.Record) *costTarget {
	var ct *costTarget
	ok := false
	for _, rt := range c.recentTargets {
		if rt != nil && rt.name == name {
			ct, ok = rt, true
			break
		}
	}
	if !ok {
		ct, ok = c.targets[name]
		if ok {
			copy(c.recentTargets[1:], c.recentTargets[:len(c.recentTargets)-1])
			c.recentTargets[0] = ct
		}
	}
	if ok {
		if ct.t.Name == "" {
			// No scenario target: priced as Lambda when it reported durations.
			if rec.BilledDurationMs == nil && rec.DurationMs == nil {
				return nil
			}
		}
		return ct
	}
	ct = &costTarget{name: name, lastMem: c.lastMem[name]}
	t, ok := targetByName(c.sc, name)
	if ok {
		ct.t = t
	} else {
		ct.t = scenarios.Target{Kind: scenarios.KindAWSLambda}
	}
	ct.priced = serverlessKind(ct.t.Kind) || ct.t.Billing != nil
	tArchs := settings(c.sc).Architectures
	if len(tArchs) == 0 {
		tArchs = []string{ArchX86}
		if ct.t.Architecture != "" {
			tArchs = []string{ct.t.Architecture}
		}
	}
	if !serverlessKind(ct.t.Kind) {
		tArchs = []string{""}
	} else if realCloudKind(ct.t) {
		// A real function is also priced at its own architecture: that
		// row is what the run actually cost.
		own := ct.t.Architecture
		if own == "" {
			own = ArchX86
		}
		if !slices.Contains(tArchs, own) {
			tArchs = append(slices.Clone(tArchs), own)
		}
	}
	ct.archs = tArchs
	c.targets[name] = ct
	return c.target(name, rec)
}

// route returns the route of a record of target ct at memory mem, built
// (rows and configurations created) on first use.
func (c *RunCost) route(ct *costTarget, rec *results.Record, mem int) *costRoute {
	for _, rt := range c.routes {
		if rt != nil && rt.mem == mem && rt.target == rec.Target && rt.phase == rec.Phase && rt.step == rec.Step && rt.experiment == rec.Experiment {
			return rt
		}
	}
	t := ct.t
	if t.Name == "" {
		t.Name = rec.Target
	}
	rt := &costRoute{target: rec.Target, phase: rec.Phase, step: rec.Step, experiment: rec.Experiment, mem: mem}
	for _, arch := range ct.archs {
		ck := cfgKey{t.Name, arch, mem}
		cfg, ok := c.cfgs[ck]
		if !ok {
			var err error
			cfg, err = pricer(c.book, c.sc, t, mem, arch, c.opts.FunctionEphemeralMB)
			if err != nil {
				c.err = fmt.Errorf("analyze run: %w", err)
				return nil
			}
			c.cfgs[ck] = cfg
		}
		key := rowKey{ck, rec.Phase, rec.Step, rec.Experiment}
		r, ok := c.rows[key]
		if !ok {
			r = &rowAcc{target: rec.Target, phase: rec.Phase, step: rec.Step, experiment: rec.Experiment, cfg: cfg}
			c.rows[key] = r
			c.order = append(c.order, key)
			if c.fork {
				c.events = append(c.events, runCostEvent{row: key})
			}
		}
		rule := func(time.Time) bool { return true }
		if cfg.entry.Lambda != nil {
			var err error
			if rule, err = c.rules.forTarget(cfg.entry, t); err != nil {
				c.err = fmt.Errorf("analyze run: %w", err)
				return nil
			}
		}
		rt.rows = append(rt.rows, costRouteRow{r: r, cfg: cfg, rule: rule})
	}
	copy(c.routes[1:], c.routes[:len(c.routes)-1])
	c.routes[0] = rt
	return rt
}

// Add prices one record into its rows (one per priced architecture).
func (c *RunCost) Add(rec *results.Record) {
	if c.err != nil {
		return
	}
	ct := c.target(rec.Target, rec)
	if ct == nil || !ct.priced {
		return
	}
	t := ct.t
	if t.Name == "" {
		t.Name = rec.Target
	}
	reported := 0
	if rec.MemorySizeMB != nil {
		reported = *rec.MemorySizeMB
	}
	mem := memoryMB(c.sc, t, reported, rec.Step, nil)
	if mem == 0 {
		mem = ct.lastMem
	}
	if mem == 0 {
		if c.fork {
			// The last size of an earlier chunk may tell: the merge decides.
			held := rec.Clone()
			c.events = append(c.events, runCostEvent{held: &held})
			return
		}
		// A throttle, a failure before any REPORT, or a platform that
		// sent no billing data: nothing tells its memory size.
		kind := 1
		if rec.ErrorClass == results.ErrorClassThrottle || rec.Code == 429 {
			kind = 0
		}
		c.countNoMem(t.Name, kind, 1)
		return
	}
	if ct.lastMem != mem {
		ct.lastMem = mem
		c.lastMem[t.Name] = mem
	}
	rt := c.route(ct, rec, mem)
	if rt == nil {
		return
	}
	throttled := rec.ErrorClass == results.ErrorClassThrottle || rec.Code == 429
	for _, rr := range rt.rows {
		r, cfg := rr.r, rr.cfg
		r.requests++
		if throttled {
			r.throttled++
			continue
		}
		u, ce, ok := unitOf(cfg, rec, rr.rule)
		if !ok {
			r.unpriced++
			continue
		}
		if cfg.platform != PlatformLambda || (rec.DurationMs == nil && rec.BilledDurationMs == nil) {
			r.estimate = true
		}
		r.n++
		r.addU(u)
		r.addUnit(u, c.fork)
		r.trials.add(rec.Trial, u)
		if cfg.metered() {
			r.sumGW += cfg.meteredUnits(rec.BytesOut + rec.BytesIn)
		}
		if rec.Cold || rec.InitDurationMs != nil {
			r.nCold++
			r.sumColdExtra = r.sumColdExtra.Add(decimal.NewFromFloat(ce))
		} else {
			r.nWarm++
			r.warmU += u
		}
		r.sumLatencyS += rec.Latency.Seconds()
		if r.tMin.IsZero() || rec.Timestamp.Before(r.tMin) {
			r.tMin = rec.Timestamp
		}
		if rec.Timestamp.After(r.tMax) {
			r.tMax = rec.Timestamp
		}
	}
}

// rowsDone returns the rows in order of appearance, Cloud Run rows with
// their instance time shared by the achieved concurrency (Little's law:
// mean in flight = Σ latency / span), capped by the configured
// per-instance concurrency.
func (c *RunCost) rowsDone() []*rowAcc {
	out := make([]*rowAcc, 0, len(c.order))
	for _, k := range c.order {
		r := c.rows[k]
		if r.cfg.platform == PlatformCloudRun {
			conc := 1.0
			if span := r.tMax.Sub(r.tMin).Seconds(); span > 0 {
				conc = math.Max(1, r.sumLatencyS/span)
			}
			maxC := 80.0
			if t, ok := targetByName(c.sc, r.target); ok && t.Billing != nil && t.Billing.Concurrency > 0 {
				maxC = float64(t.Billing.Concurrency)
			}
			conc = math.Min(conc, maxC)
			cfg := *r.cfg
			cfg.perUnit = cfg.perUnit.Div(decimal.NewFromFloat(conc))
			rr := *r
			rr.cfg = &cfg
			r = &rr
		}
		out = append(out, r)
	}
	return out
}

// Apply fills sum's cost sections from what was collected (see
// AnalyzeRun); the break-even searches stop with ctx's error once it is
// cancelled. Cost rows of host_busy phases are flagged (the phase
// summaries must be in sum).
func (c *RunCost) Apply(ctx context.Context, sum *results.Summary) error {
	if c.err != nil {
		return c.err
	}
	if sum == nil {
		return errors.New("analyze run: a summary is required")
	}
	sc := c.sc
	rows := c.rowsDone()
	var notes []string
	for name, n := range c.noMem {
		if n[1] > 0 {
			notes = append(notes, fmt.Sprintf("%s: %d requests have no REPORT line and no known memory size (billing data missing: the endpoint sent no log tail, or the logs could not be read) and are not priced", name, n[1]))
		}
		if n[0] > 0 {
			notes = append(notes, fmt.Sprintf("%s: %d requests were throttled before any REPORT told the memory size and are not priced (Lambda does not bill throttles)", name, n[0]))
		}
	}
	sort.Strings(notes)
	notes = append(notes, c.rules.notes()...)
	var bench decimal.Decimal
	benchSet := false
	sum.Cost = nil
	seed := uint64(1)
	if sc != nil {
		seed = sc.Seed
	}
	for _, r := range rows {
		r.hostBusy = results.PhaseHostBusy(sum.Targets, r.target, r.phase, r.step)
		row := r.costRow(seed)
		row.HostBusy = r.hostBusy
		sum.Cost = append(sum.Cost, row)
		if r.estimate && r.cfg.platform != PlatformLambda {
			notes = appendOnce(notes, fmt.Sprintf("%s: cost estimated from client latency with the %s %s rules (the platform reported no billed duration)", r.target, r.cfg.platform, r.cfg.plan))
		} else if r.estimate {
			notes = appendOnce(notes, fmt.Sprintf("%s: some requests had no REPORT; their cost is estimated from client latency", r.target))
		}
		if r.unpriced > 0 {
			notes = append(notes, fmt.Sprintf("%s %s %s: %d requests had no billed duration and are not priced", r.target, r.phase, r.step, r.unpriced))
		}
	}
	// Benchmark spend: real-cloud targets, priced once at their own architecture.
	done := map[string]bool{}
	for _, r := range rows {
		t, ok := targetByName(sc, r.target)
		if !ok || !realCloudKind(t) || done[r.target+"|"+r.phase+"|"+r.step] {
			continue
		}
		own := t.Architecture
		if own == "" {
			own = ArchX86
		}
		if r.cfg.platform == PlatformLambda && r.cfg.arch != own {
			continue
		}
		done[r.target+"|"+r.phase+"|"+r.step] = true
		bench = bench.Add(r.paidCost(t))
		benchSet = true
	}
	if benchSet {
		v := bench.InexactFloat64()
		sum.BenchmarkCostUSD = &v
	} else {
		zero := 0.0
		sum.BenchmarkCostUSD = &zero
		notes = append(notes, "no real-cloud target: the run itself cost nothing; cost rows are what the measured requests would cost on each platform")
	}
	return finishAnalysis(ctx, c.book, sum, sc, c.opts, configsFromRows(rows), rows, notes)
}

// unitOf returns the billed unit (ms) of one record for the configuration
// and its cold-start extra, and whether the record is priced at all.
func unitOf(c *configStat, r *results.Record, initBilledRule func(time.Time) bool) (u, coldExtra float64, ok bool) {
	if !plausibleRecord(r) {
		return 0, 0, false
	}
	switch c.platform {
	case PlatformLambda:
		if r.DurationMs == nil && r.BilledDurationMs == nil {
			if r.Latency <= 0 {
				return 0, 0, false
			}
			ms := ceilMsF(float64(r.Latency) / 1e6)
			return ms, 0, true
		}
		cold := r.Cold || r.InitDurationMs != nil
		var dur float64
		if r.DurationMs != nil {
			dur = *r.DurationMs
		}
		warm := ceilMsF(dur)
		if r.BilledDurationMs != nil && initBilledRule(r.Timestamp) {
			u = *r.BilledDurationMs
			if r.DurationMs == nil {
				warm = u
			}
		} else {
			u = warm
			if cold && r.InitDurationMs != nil && initBilledRule(r.Timestamp) {
				u = ceilMsF(dur + *r.InitDurationMs)
			}
		}
		if cold {
			coldExtra = math.Max(0, u-warm)
		}
		return u, coldExtra, true
	case PlatformCloudRun:
		if r.Latency <= 0 {
			return 0, 0, false
		}
		return ceilTo(float64(r.Latency)/1e6, c.entry.CloudRun.RoundingMs).InexactFloat64(), 0, true
	case PlatformAzureFunctions:
		if r.Latency <= 0 {
			return 0, 0, false
		}
		return c.entry.Azure.BilledMs(float64(r.Latency) / 1e6).InexactFloat64(), 0, true
	case PlatformSageMakerServerless:
		if r.Latency <= 0 {
			return 0, 0, false
		}
		return ceilTo(float64(r.Latency)/1e6, max(c.entry.SageMaker.RoundingMs, 1)).InexactFloat64(), 0, true
	}
	return 0, 0, false
}

// costRow turns an accumulator into its summary row, with the CI of
// unitStats.interval.
func (r *rowAcc) costRow(seed uint64) results.CostRow {
	c := r.cfg
	row := results.CostRow{Target: r.target, Phase: r.phase, Step: r.step, Platform: c.platform, Architecture: c.arch,
		MemoryMB: c.memMB, Requests: r.requests, Estimate: r.estimate,
		PriceSource: c.entry.Source, PriceEffective: c.entry.EffectiveDate, PriceConfidence: confidenceOf(c.entry, c.apigw)}
	total := r.runCost()
	row.RunCostUSD = total.InexactFloat64()
	c.describe(&row)
	if r.n == 0 {
		return row
	}
	n := decimal.NewFromInt(r.n)
	per := total.Div(n)
	row.CostPerRequestUSD = per.InexactFloat64()
	row.CostPerMillionUSD = per.Mul(decimal.NewFromInt(1_000_000)).InexactFloat64()
	row.Components = c.components(n, r.totalU(), decimal.NewFromInt(r.sumGW))
	if total.IsPositive() {
		row.ColdStartShare = r.sumColdExtra.Mul(c.perUnit).Div(total).InexactFloat64()
	}
	lo, hi := r.units.interval(seed)
	// The gateway fee enters the CI at its mean (payload sizes vary little).
	fixed := c.fixed.Add(r.gwCost().Div(n)).InexactFloat64()
	pu := c.perUnit.InexactFloat64()
	row.CostPerMillionLow = (fixed + pu*lo) * 1e6
	row.CostPerMillionHi = (fixed + pu*hi) * 1e6
	if iv, ok := r.trials.interval(fixed, pu); ok {
		// Trials: the interval over the per-trial costs holds the
		// variation between trials as well as within them.
		row.CostPerMillionLow, row.CostPerMillionHi = iv.Low*1e6, iv.High*1e6
		for _, v := range iv.Values {
			row.CostPerMillionTrials = append(row.CostPerMillionTrials, v*1e6)
		}
	}
	// Float rounding must not leave the exact mean outside its own CI
	// (all requests billed alike: lo = hi = mean).
	row.CostPerMillionLow = math.Min(row.CostPerMillionLow, row.CostPerMillionUSD)
	row.CostPerMillionHi = math.Max(row.CostPerMillionHi, row.CostPerMillionUSD)
	return row
}

// bootstrapMaxN is the largest sample bootstrapped; above it the CI comes
// from batch means.
const bootstrapMaxN = 5000

// minBatches is the fewest batch means behind a batch-means interval; the
// batches are merged pairwise when there are twice as many.
const minBatches = 32

// unitStats holds, in constant memory, what the CI of a mean billed unit
// needs: every unit while there are at most bootstrapMaxN (for the
// bootstrap), the running sum and Welford moments, and consecutive batch
// sums for batch means. Units must be added in record order.
type unitStats struct {
	n        int64
	sum      float64
	mean, m2 float64
	boot     []float64
	// batch is the current batch size (a power of two); sums holds the
	// full batches, cur and curN the one being filled.
	batch int64
	sums  []float64
	cur   float64
	curN  int64
}

func (s *unitStats) add(u float64) {
	s.n++
	s.sum += u
	d := u - s.mean
	s.mean += d / float64(s.n)
	s.m2 += d * (u - s.mean)
	if s.n <= bootstrapMaxN {
		s.boot = append(s.boot, u)
	} else {
		s.boot = nil
	}
	if s.batch == 0 {
		s.batch = 1
	}
	s.cur += u
	s.curN++
	if s.curN == s.batch {
		s.sums = append(s.sums, s.cur)
		s.cur, s.curN = 0, 0
		if len(s.sums) == 2*minBatches {
			for i := range minBatches {
				s.sums[i] = s.sums[2*i] + s.sums[2*i+1]
			}
			s.sums = s.sums[:minBatches]
			s.batch *= 2
		}
	}
}

// interval is the 95% CI of the mean unit: the bootstrap for up to
// bootstrapMaxN units, else batch means.
func (s *unitStats) interval(seed uint64) (lo, hi float64) {
	if s.n <= bootstrapMaxN {
		return meanCI(s.boot, seed)
	}
	mean := s.sum / float64(s.n)
	se, df := s.batchSE()
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.Quantile(0.975)
	return mean - t*se, mean + t*se
}

// batchSE is the batch-means standard error of the mean and its degrees
// of freedom (full batches − 1).
func (s *unitStats) batchSE() (se float64, df int) {
	k := len(s.sums)
	if k < 2 {
		return s.iidSE(), max(int(s.n)-1, 1)
	}
	b := float64(s.batch)
	mean := 0.0
	for _, v := range s.sums {
		mean += v / b
	}
	mean /= float64(k)
	ss := 0.0
	for _, v := range s.sums {
		ss += (v/b - mean) * (v/b - mean)
	}
	return math.Sqrt(ss/float64(k-1)) / math.Sqrt(float64(k)), k - 1
}

// iidSE is the standard error of the mean treating units as independent.
func (s *unitStats) iidSE() float64 {
	if s.n < 2 {
		return 0
	}
	return math.Sqrt(s.m2/float64(s.n-1)) / math.Sqrt(float64(s.n))
}

// combinedInterval is the mean unit of a configuration priced over several
// rows and its 95% CI: with at most bootstrapMaxN units in all, the
// bootstrap over their concatenation (in row order); beyond, the rows as
// independent strata: mean = Σ sumᵢ / N and SE² = Σ (nᵢ/N)² SEᵢ², SEᵢ by
// batch means for rows beyond bootstrapMaxN, else treating their units as
// independent.
func combinedInterval(parts []*unitStats, seed uint64) (mean, lo, hi float64) {
	var n int64
	for _, p := range parts {
		n += p.n
	}
	if n == 0 {
		return 0, 0, 0
	}
	if n <= bootstrapMaxN {
		all := make([]float64, 0, n)
		for _, p := range parts {
			all = append(all, p.boot...)
		}
		for _, u := range all {
			mean += u
		}
		mean /= float64(len(all))
		lo, hi = meanCI(all, seed)
		return mean, lo, hi
	}
	var sum, v float64
	for _, p := range parts {
		sum += p.sum
		se := p.iidSE()
		if p.n > bootstrapMaxN {
			se, _ = p.batchSE()
		}
		w := float64(p.n) / float64(n)
		v += w * w * se * se
	}
	mean = sum / float64(n)
	return mean, mean - 1.96*math.Sqrt(v), mean + 1.96*math.Sqrt(v)
}

// meanCI is the 95% percentile-bootstrap CI of the mean of xs (200
// resamples drawn by a PCG seeded with seed).
func meanCI(xs []float64, seed uint64) (lo, hi float64) {
	n := len(xs)
	if n == 0 {
		return 0, 0
	}
	mean, ss := 0.0, 0.0
	for _, x := range xs {
		mean += x
	}
	mean /= float64(n)
	if n == 1 {
		return mean, mean
	}
	if n > bootstrapMaxN {
		for _, x := range xs {
			ss += (x - mean) * (x - mean)
		}
		se := math.Sqrt(ss/float64(n-1)) / math.Sqrt(float64(n))
		return mean - 1.96*se, mean + 1.96*se
	}
	const B = 200
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	means := make([]float64, B)
	for b := range means {
		s := 0.0
		for range n {
			s += xs[rng.IntN(n)]
		}
		means[b] = s / float64(n)
	}
	sort.Float64s(means)
	return means[int(0.025*B)], means[int(math.Ceil(0.975*B))-1]
}

// FunctionConfigOptions keys the function configurations read before a
// run (run.json's function_configs) by target name: the memory, timeout
// and /tmp size the spend estimate and the run's pricing take from them
// (AnalyzeOptions.FunctionEphemeralMB is its FunctionEphemeralMB).
func FunctionConfigOptions(configs []results.FunctionConfigInfo) SpendOptions {
	known := SpendOptions{FunctionMemoryMB: map[string]int{}, FunctionTimeout: map[string]time.Duration{}, FunctionEphemeralMB: map[string]int{}}
	for _, fc := range configs {
		known.FunctionMemoryMB[fc.Target] = fc.MemorySizeMB
		known.FunctionTimeout[fc.Target] = time.Duration(fc.TimeoutS * float64(time.Second))
		known.FunctionEphemeralMB[fc.Target] = fc.EphemeralStorageMB
	}
	return known
}
