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
	units                           []float64
	sumLatencyS                     float64
	tMin, tMax                      time.Time
	warmU                           float64
	nWarm                           int64
	estimate                        bool
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

// AnalyzeRun prices a run. From the records it computes, per target, phase,
// step and priced architecture, the exact run cost (per request: the
// platform's rule on its billed duration; throttled requests are counted
// but cost nothing; function errors are billed), the mean cost per request
// and per 1M requests with a bootstrap 95% CI, and the share of cost from
// cold starts (INIT). It fills sum.Cost, sum.BreakEven, sum.BenchmarkCostUSD
// (what the real-cloud targets of the run cost), the cost fields and flags
// of sum.Experiments.MemorySweep, and adds notes. records may be nil: the
// costs are then estimated from the phase summaries.
func AnalyzeRun(book *Book, records RecordReader, sum *results.Summary, sc *scenarios.Scenario) error {
	return AnalyzeRunWith(book, records, sum, sc, AnalyzeOptions{})
}

// AnalyzeOptions tunes AnalyzeRunWith.
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
	switch opts.InitRule {
	case "", InitRuleAuto, InitRuleBilled, InitRuleLegacy:
	default:
		return fmt.Errorf("analyze run: init rule %q isn't one of [auto billed legacy]", opts.InitRule)
	}
	if book == nil || sum == nil {
		return errors.New("analyze run: book and summary are required")
	}
	var stats []*configStat
	var notes []string
	var accs []*rowAcc
	if records == nil {
		var err error
		stats, notes, err = statsFromSummary(book, sum, sc, opts.FunctionEphemeralMB)
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
				Estimate: true, PriceSource: c.entry.Source, PriceEffective: c.entry.EffectiveDate}
			c.describe(&row)
			n := decimal.NewFromInt(c.n)
			row.Components = c.components(n, n.Mul(meanU), n.Mul(decimal.NewFromFloat(c.gwUnits)))
			row.CostPerMillionLow, row.CostPerMillionHi = row.CostPerMillionUSD*c.ciLow, row.CostPerMillionUSD*c.ciHigh
			if per.IsPositive() {
				row.ColdStartShare = c.perUnit.Mul(decimal.NewFromFloat(c.coldFrac * c.coldExtraU)).Div(per).InexactFloat64()
			}
			sum.Cost = append(sum.Cost, row)
		}
	} else {
		rows, accNotes, err := accumulate(book, records, sc, opts.InitRule, opts.FunctionEphemeralMB)
		if err != nil {
			return err
		}
		accs = rows
		notes = append(notes, accNotes...)
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
		stats = configsFromRows(rows)
	}
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
	notes = append(notes, componentNotes(stats, sc)...)
	for _, n := range append(notes, a.Notes...) {
		sum.Notes = appendOnce(sum.Notes, n)
	}
	return nil
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

func accumulate(book *Book, records RecordReader, sc *scenarios.Scenario, initRuleName string, platformEphMB map[string]int) ([]*rowAcc, []string, error) {
	ps := settings(sc)
	archs := ps.Architectures
	type cfgKey struct {
		target, arch string
		mem          int
	}
	type rowKey struct {
		cfgKey
		phase, step, experiment string
	}
	rows := map[rowKey]*rowAcc{}
	var order []rowKey
	cfgs := map[cfgKey]*configStat{}
	lastMem := map[string]int{}
	noMem := map[string]int64{}
	// The INIT rule: billed from the book's date; before it by the
	// target's runtime kind (see initRules).
	initRule := newInitRules(initRuleName)
	var rec results.Record
	for i := 0; ; i++ {
		rec = results.Record{}
		err := records.Read(&rec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("analyze run: read record %d: %w", i+1, err)
		}
		t, ok := targetByName(sc, rec.Target)
		if !ok {
			// No scenario: price records with billed durations as Lambda.
			if rec.BilledDurationMs == nil && rec.DurationMs == nil {
				continue
			}
			t = scenarios.Target{Name: rec.Target, Kind: "aws-lambda"}
		}
		if !serverlessKind(t.Kind) && t.Billing == nil {
			continue
		}
		mem := 0
		if rec.MemorySizeMB != nil {
			mem = *rec.MemorySizeMB
		}
		if mem == 0 {
			mem = memoryFromStep(rec.Step)
		}
		if mem == 0 {
			if fn, ok := functionFor(sc, t); ok {
				mem = fn.MemorySize
			}
		}
		if mem == 0 && t.Billing != nil {
			mem = t.Billing.MemoryMB
		}
		if mem == 0 {
			mem = lastMem[t.Name]
		}
		if mem == 0 {
			// Typically a throttle or a failure before any REPORT: nothing
			// tells its memory size, and it is not billed or not billable.
			noMem[t.Name]++
			continue
		}
		lastMem[t.Name] = mem
		tArchs := archs
		if len(tArchs) == 0 {
			tArchs = []string{ArchX86}
			if t.Architecture != "" {
				tArchs = []string{t.Architecture}
			}
		}
		if !serverlessKind(t.Kind) {
			tArchs = []string{""}
		} else if realCloudKind(t) {
			// A real function is also priced at its own architecture: that
			// row is what the run actually cost.
			own := t.Architecture
			if own == "" {
				own = ArchX86
			}
			if !slices.Contains(tArchs, own) {
				tArchs = append(slices.Clone(tArchs), own)
			}
		}
		for _, arch := range tArchs {
			ck := cfgKey{t.Name, arch, mem}
			c, ok := cfgs[ck]
			if !ok {
				c, err = pricer(book, sc, t, mem, arch, platformEphMB)
				if err != nil {
					return nil, nil, fmt.Errorf("analyze run: %w", err)
				}
				cfgs[ck] = c
			}
			key := rowKey{ck, rec.Phase, rec.Step, rec.Experiment}
			r, ok := rows[key]
			if !ok {
				r = &rowAcc{target: rec.Target, phase: rec.Phase, step: rec.Step, experiment: rec.Experiment, cfg: c}
				rows[key] = r
				order = append(order, key)
			}
			r.requests++
			if rec.ErrorClass == results.ErrorClassThrottle || rec.Code == 429 {
				r.throttled++
				continue
			}
			rule := func(time.Time) bool { return true }
			if c.entry.Lambda != nil {
				if rule, err = initRule.forTarget(c.entry, t); err != nil {
					return nil, nil, fmt.Errorf("analyze run: %w", err)
				}
			}
			u, ce, ok := unitOf(c, &rec, rule)
			if !ok {
				r.unpriced++
				continue
			}
			if c.platform != PlatformLambda || (rec.DurationMs == nil && rec.BilledDurationMs == nil) {
				r.estimate = true
			}
			r.n++
			r.addU(u)
			r.units = append(r.units, u)
			r.trials.add(rec.Trial, u)
			if c.metered() {
				r.sumGW += c.meteredUnits(rec.BytesOut + rec.BytesIn)
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
	out := make([]*rowAcc, 0, len(order))
	for _, k := range order {
		r := rows[k]
		// Cloud Run: instance time is shared by the achieved concurrency
		// (Little's law: mean in flight = Σ latency / span), capped by the
		// configured per-instance concurrency.
		if r.cfg.platform == PlatformCloudRun {
			conc := 1.0
			if span := r.tMax.Sub(r.tMin).Seconds(); span > 0 {
				conc = math.Max(1, r.sumLatencyS/span)
			}
			maxC := 80.0
			if t, ok := targetByName(sc, r.target); ok && t.Billing != nil && t.Billing.Concurrency > 0 {
				maxC = float64(t.Billing.Concurrency)
			}
			conc = math.Min(conc, maxC)
			c := *r.cfg
			c.perUnit = c.perUnit.Div(decimal.NewFromFloat(conc))
			r.cfg = &c
		}
		out = append(out, r)
	}
	var notes []string
	for name, n := range noMem {
		notes = append(notes, fmt.Sprintf("%s: %d requests with no memory size (no REPORT, e.g. throttled before any other request) are not priced", name, n))
	}
	sort.Strings(notes)
	return out, append(notes, initRule.notes()...), nil
}

// costRow turns an accumulator into its summary row; the CI is a bootstrap
// over records (200 resamples, seeded) for up to 5,000 records, else the
// normal approximation mean ± 1.96 s/√n.
func (r *rowAcc) costRow(seed uint64) results.CostRow {
	c := r.cfg
	row := results.CostRow{Target: r.target, Phase: r.phase, Step: r.step, Platform: c.platform, Architecture: c.arch,
		MemoryMB: c.memMB, Requests: r.requests, Estimate: r.estimate,
		PriceSource: c.entry.Source, PriceEffective: c.entry.EffectiveDate}
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
	lo, hi := meanCI(r.units, seed)
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

// meanCI is the 95% CI of the mean of xs.
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
