package pricing

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
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

// Target kinds whose records carry platform-billed durations.
func serverlessKind(kind string) bool {
	switch kind {
	case "aws-lambda", "local-lambda", "lambda-url":
		return true
	}
	return false
}

// realCloudKind reports whether requests to a target of this kind cost real money.
func realCloudKind(t scenarios.Target) bool {
	switch t.Kind {
	case "aws-lambda", "lambda-url":
		return true
	case "http":
		return t.Billing != nil && t.Server == "" && !isLoopbackURL(t.URL)
	}
	return false
}

func isLoopbackURL(u string) bool {
	for _, h := range []string{"://127.", "://localhost", "://[::1]"} {
		if strings.Contains(u, h) {
			return true
		}
	}
	return false
}

// Analysis is the monthly cost and break-even model of a run: serverless
// configurations measured in the run, fleets of instance types sized from
// the measured capacity, and the month's traffic profile.
type Analysis struct {
	Book       *Book
	Region     string
	Profile    Profile
	Serverless []*Serverless
	Fleets     []*Fleet
	// MinMonthlyRequests and MaxMonthlyRequests bound break-even searches.
	MinMonthlyRequests, MaxMonthlyRequests float64
	Notes                                  []string
}

// configStat is one serverless configuration's measured per-request cost:
// cost = fixed + perUnit × unit + gwRate × metered per request, unit being
// billed ms (Lambda, Azure) or instance ms divided by the achieved
// concurrency (Cloud Run), metered the API Gateway requests it counts for
// (one per started 512 KB of request + response body; none without a
// gateway). For Lambda perUnit includes ephPerUnit (ephemeral storage
// above 512 MB is billed on the same billed duration).
type configStat struct {
	target, platform, arch, plan string
	memMB                        int
	entry, apigw                 *Entry
	fixed, perUnit, ephPerUnit   decimal.Decimal
	gateway                      string
	ephemeralMB                  int
	ephemeralSource              string
	n                            int64
	warmU, coldExtraU            float64
	coldFrac, rate, idleS        float64
	ciLow, ciHigh                float64
	// gwUnits is the mean metered API Gateway requests per request.
	gwUnits  float64
	estimate bool
}

// gwRate is the API Gateway fee per metered request (tier-1 rate; zero
// without a gateway).
func (c *configStat) gwRate() decimal.Decimal {
	if c.apigw == nil {
		return decimal.Zero
	}
	return c.apigw.APIGateway.RequestTiers[0].USD
}

// gwPer is the mean API Gateway fee per request (tier-1 rate).
func (c *configStat) gwPer() decimal.Decimal {
	return c.gwRate().Mul(decimal.NewFromFloat(c.gwUnits))
}

// gatewayUnitsFrom sets gwUnits, for a configuration behind a gateway, from
// the api_gateway_http components a previous analysis recorded in rows; it
// reports whether it found them.
func (c *configStat) gatewayUnitsFrom(rows []results.CostRow) bool {
	if c.apigw == nil {
		return false
	}
	u, ok := gatewayUnitsFromCost(rows, c.target, c.memMB, c.arch)
	if ok {
		c.gwUnits = u
	}
	return ok
}

func (c *configStat) name() string {
	switch c.platform {
	case PlatformLambda:
		if c.apigw != nil {
			return fmt.Sprintf("%s %d MB %s + HTTP API", c.target, c.memMB, c.arch)
		}
		return fmt.Sprintf("%s %d MB %s", c.target, c.memMB, c.arch)
	default:
		return fmt.Sprintf("%s (%s %s, %d MB)", c.target, c.platform, c.plan, c.memMB)
	}
}

func (c *configStat) serverless(freeTier bool) *Serverless {
	s := &Serverless{Name: c.name(), Target: c.target, Platform: c.platform, Architecture: c.arch, MemoryMB: c.memMB,
		Entry: c.entry, APIGW: c.apigw, GatewayUnits: c.gwUnits, EphemeralMB: c.ephemeralMB, FreeTier: freeTier,
		Cold: NewColdModel(c.idleS, c.coldFrac, c.rate), CILow: c.ciLow, CIHigh: c.ciHigh}
	if c.platform == PlatformLambda {
		gb := GB(c.memMB)
		s.WarmGBs = gb.Mul(decimal.NewFromFloat(c.warmU)).Div(decimal.NewFromInt(1000))
		s.ColdExtraGBs = gb.Mul(decimal.NewFromFloat(c.coldExtraU)).Div(decimal.NewFromInt(1000))
	} else {
		s.WarmUSD = c.fixed.Add(c.perUnit.Mul(decimal.NewFromFloat(c.warmU)))
		s.ColdExtraUSD = c.perUnit.Mul(decimal.NewFromFloat(c.coldExtraU))
	}
	if s.CILow == 0 {
		s.CILow = 1
	}
	if s.CIHigh == 0 {
		s.CIHigh = 1
	}
	return s
}

// NewAnalysis builds the monthly model of a run from its summary (and the
// scenario's pricing block): serverless configurations from the targets'
// phase summaries (their billed-duration means; cost CIs from sum.Cost when
// present) and fleets from the capacity experiment or pricing.capacity_rps.
func NewAnalysis(book *Book, sum *results.Summary, sc *scenarios.Scenario) (*Analysis, error) {
	if book == nil || sum == nil {
		return nil, errors.New("pricing analysis: book and summary are required")
	}
	stats, notes, err := statsFromSummary(book, sum, sc, nil)
	if err != nil {
		return nil, err
	}
	a, err := newAnalysis(book, sum, sc, stats)
	if err != nil {
		return nil, err
	}
	a.Notes = append(notes, a.Notes...)
	return a, nil
}

func settings(sc *scenarios.Scenario) scenarios.PricingSettings {
	if sc == nil {
		return scenarios.PricingSettings{Region: DefaultRegion}
	}
	p := sc.Pricing
	if p.Region == "" {
		p.Region = DefaultRegion
	}
	return p
}

func newAnalysis(book *Book, sum *results.Summary, sc *scenarios.Scenario, stats []*configStat) (*Analysis, error) {
	ps := settings(sc)
	prof, err := ProfileFromScenario(sc)
	if err != nil {
		return nil, fmt.Errorf("pricing analysis: %w", err)
	}
	a := &Analysis{Book: book, Region: ps.Region, Profile: prof,
		MinMonthlyRequests: DefaultMinMonthlyRequests, MaxMonthlyRequests: DefaultMaxMonthlyRequests}
	for _, c := range stats {
		a.Serverless = append(a.Serverless, c.serverless(ps.FreeTier))
	}
	fleets, notes, err := fleetsFor(book, sum, sc)
	if err != nil {
		return nil, err
	}
	a.Fleets = fleets
	a.Notes = append(a.Notes, notes...)
	if len(a.Serverless) > 0 {
		a.Notes = append(a.Notes, fmt.Sprintf("monthly serverless cost models cold starts with a Poisson idle model (idle timeout %.0f s unless the function sets one), calibrated to the measured cold-start rate", a.Serverless[0].Cold.IdleTimeoutS))
	}
	return a, nil
}

// fleetsFor sizes a fleet for each instance type from the measured
// capacity of the reference server.
func fleetsFor(book *Book, sum *results.Summary, sc *scenarios.Scenario) ([]*Fleet, []string, error) {
	ps := settings(sc)
	var capRPS, capLow, capHigh float64
	assumption := ""
	refInstance := ""
	var failed []string // capacity searches that found no passing rate
	for _, c := range sum.Experiments.Capacity {
		if c.CapacityRPS <= 0 {
			failed = append(failed, describeFailedSearch(c))
			continue
		}
		capRPS, capLow, capHigh = c.CapacityRPS, c.CapacityRPSLow, c.CapacityRPSHi
		assumption = fmt.Sprintf("measured: capacity search on %s at p99 ≤ %g ms", c.Target, c.SLOP99Ms)
		if sc != nil {
			for _, t := range sc.Targets {
				if t.Name == c.Target && t.Server != "" {
					for _, s := range sc.Servers {
						if s.Name == t.Server {
							refInstance = s.Instance
						}
					}
				}
			}
		}
		break
	}
	var notes []string
	if capRPS == 0 && ps.CapacityRPS > 0 {
		capRPS = ps.CapacityRPS
		assumption = "given: pricing.capacity_rps in the scenario"
		if len(failed) > 0 {
			assumption += " (the capacity search found no passing rate)"
			notes = append(notes, fmt.Sprintf("%s; fleets are sized from pricing.capacity_rps = %g instead", strings.Join(failed, "; "), ps.CapacityRPS))
		}
	}
	if capRPS == 0 {
		if len(failed) > 0 {
			return nil, []string{fmt.Sprintf("no instance capacity: %s, so no fleet is sized from it (a capacity of 0 prices no fleet) and there are no fleet costs or break-even rows; set pricing.capacity_rps to price fleets with an assumed capacity", strings.Join(failed, "; "))}, nil
		}
		return nil, []string{"no instance capacity: no capacity experiment ran and pricing.capacity_rps is not set, so no fleet costs or break-even rows"}, nil
	}
	instances := ps.Instances
	if len(instances) == 0 && sc != nil {
		for _, s := range sc.Servers {
			if s.Instance != "" {
				instances = append(instances, s.Instance)
			}
		}
	}
	if len(instances) == 0 {
		instances = []string{"c7g.large", "c7i.large"}
	}
	refVCPU := 0
	if ps.ScaleCapacityByVCPU {
		if refInstance == "" && len(instances) > 0 {
			refInstance = instances[0]
		}
		if e, err := book.Find(PlatformEC2, ps.Region, "", "", refInstance); err == nil {
			refVCPU = e.EC2.VCPU
		}
	}
	var out []*Fleet
	for _, in := range instances {
		e, err := book.Find(PlatformEC2, ps.Region, "", "", in)
		if err != nil {
			return nil, nil, fmt.Errorf("pricing analysis: instance %s: %w", in, err)
		}
		f := &Fleet{Instance: in, Entry: e, CapacityRPS: capRPS, CapacityLow: capLow, CapacityHigh: capHigh,
			Utilisation: ps.TargetUtilisation, MinInstances: ps.MinInstances, NPlusOne: ps.NPlusOne,
			Autoscaled: ps.Fleet == "autoscaled", CapacityAssumption: assumption}
		if refVCPU > 0 && e.EC2.VCPU != refVCPU {
			r := float64(e.EC2.VCPU) / float64(refVCPU)
			f.CapacityRPS, f.CapacityLow, f.CapacityHigh = capRPS*r, capLow*r, capHigh*r
			f.CapacityAssumption = assumption + fmt.Sprintf("; scaled by vCPU (%d/%d) from %s, an assumption", e.EC2.VCPU, refVCPU, refInstance)
		} else if refInstance != "" && in != refInstance {
			f.CapacityAssumption = assumption + fmt.Sprintf("; assumed equal to %s's", refInstance)
		} else if refInstance == "" {
			f.CapacityAssumption = assumption + "; the measuring machine stands for this instance type, an assumption"
		}
		if e.EC2.Burstable {
			notes = append(notes, fmt.Sprintf("%s is burstable: sustained inference above its CPU baseline buys surplus credits, included in its fleet cost", in))
		}
		f.Name = f.Describe()
		out = append(out, f)
	}
	return out, notes, nil
}

// describeFailedSearch says what a capacity search that found capacity 0
// did: the SLO it held the server to, the lowest rate it offered and why it
// stopped.
func describeFailedSearch(c results.CapacityResult) string {
	slo := fmt.Sprintf("p99 ≤ %g ms", c.SLOP99Ms)
	if c.SLOErrorRate > 0 {
		slo += fmt.Sprintf(", error rate ≤ %g%%", c.SLOErrorRate*100)
	}
	s := fmt.Sprintf("the capacity search on %s found no rate that passed its SLO (%s)", c.Target, slo)
	lowest := c.MinRPS
	for _, st := range c.Steps {
		if lowest <= 0 || (st.OfferedRPS > 0 && st.OfferedRPS < lowest) {
			lowest = st.OfferedRPS
		}
	}
	switch {
	case len(c.Steps) == 0:
		s += ", measuring no step"
	case lowest > 0:
		s += fmt.Sprintf(", not even its lowest rate, %g requests/s", lowest)
	}
	if c.LimitedBy != "" {
		s += " (limited by " + c.LimitedBy + ")"
	}
	return s
}

// Curves samples every serverless and fleet cost curve at points
// log-spaced monthly volumes in [minMonthlyRequests, maxMonthlyRequests];
// fleet curves also get a point on each side of every step in range (up to
// a few thousand), so a post-step rendering is exact.
func (a *Analysis) Curves(minMonthlyRequests, maxMonthlyRequests float64, points int) []Curve {
	if minMonthlyRequests <= 0 {
		minMonthlyRequests = DefaultMinMonthlyRequests
	}
	if maxMonthlyRequests <= minMonthlyRequests {
		maxMonthlyRequests = minMonthlyRequests * 10
	}
	grid := logSpace(minMonthlyRequests, maxMonthlyRequests, points)
	var out []Curve
	for _, s := range a.Serverless {
		c := Curve{Name: s.Name, Kind: "serverless"}
		for _, v := range grid {
			c.Points = append(c.Points, CurvePoint{MonthlyRequests: v,
				USD:     s.monthly(v, a.Profile, 1).InexactFloat64(),
				LowUSD:  s.monthly(v, a.Profile, s.CILow).InexactFloat64(),
				HighUSD: s.monthly(v, a.Profile, s.CIHigh).InexactFloat64()})
		}
		out = append(out, c)
	}
	for _, f := range a.Fleets {
		c := Curve{Name: f.Name, Kind: "fleet"}
		vs := append([]float64(nil), grid...)
		bps, _ := f.breakpoints(a.Profile, minMonthlyRequests, maxMonthlyRequests)
		if len(bps) > 2000 {
			bps = bps[:2000]
		}
		for _, b := range bps {
			vs = append(vs, b, b*(1+1e-9))
		}
		sort.Float64s(vs)
		lowF, highF := f, f
		if f.CapacityHigh > 0 {
			lowF = f.withCapacity(f.CapacityHigh)
		}
		if f.CapacityLow > 0 {
			highF = f.withCapacity(f.CapacityLow)
		}
		for _, v := range vs {
			if v > maxMonthlyRequests {
				continue
			}
			c.Points = append(c.Points, CurvePoint{MonthlyRequests: v,
				USD:     f.Monthly(v, a.Profile).InexactFloat64(),
				LowUSD:  lowF.Monthly(v, a.Profile).InexactFloat64(),
				HighUSD: highF.Monthly(v, a.Profile).InexactFloat64()})
		}
		out = append(out, c)
	}
	return out
}

// MaxCrossings caps the crossings listed in one break-even row.
const MaxCrossings = 50

// BreakEven computes a row for every (serverless configuration, fleet)
// pair: every crossing in the search range, the first volume at which
// serverless becomes dearer (MonthlyRequests; 0 when none), its interval
// from the per-request cost CI, and the sensitivity to each single
// assumption (±20% on prices and capacity, ×0.5/×2 on the cold-start rate,
// ±20% on the peak-to-average ratio of a shaped profile).
//
// Every crossing found is counted in CrossingsCount. A fleet's cost is a
// staircase (one step each time a slot of the profile needs another
// instance); when the serverless cost per request is within a fraction of
// a percent of the fleet's cost per request at full steps, the staircase
// straddles the serverless line step after step and the two costs cross
// twice per step, a real but economically meaningless oscillation (the
// costs stay within one step, typically well under 1% of the bill, of each
// other). Up to MaxCrossings crossings are listed in full; above that the
// row keeps the first MaxCrossings/2 and the last MaxCrossings/2 (so the
// first and the last crossing are always there), sets CrossingsTruncated,
// and its Note gives the count, the volume range of the oscillation and
// the size of one fleet step relative to the cost.
func (a *Analysis) BreakEven(withSensitivity bool) []results.BreakEvenRow {
	var rows []results.BreakEvenRow
	for _, s := range a.Serverless {
		for _, f := range a.Fleets {
			rows = append(rows, a.breakEvenRow(s, f, withSensitivity))
		}
	}
	return rows
}

func (a *Analysis) search(s *Serverless, f *Fleet, p Profile, sf float64) ([]results.Crossing, bool) {
	return Pair{S: s, F: f, Profile: p, SFactor: sf}.Crossings(a.MinMonthlyRequests, a.MaxMonthlyRequests)
}

func (a *Analysis) breakEvenRow(s *Serverless, f *Fleet, withSensitivity bool) results.BreakEvenRow {
	cs, truncated := a.search(s, f, a.Profile, 1)
	if cs == nil {
		cs = []results.Crossing{}
	}
	row := results.BreakEvenRow{Serverless: s.Name, Instance: f.Instance, Crossings: cs,
		CapacityRPS: f.CapacityRPS, CapacityAssumption: f.CapacityAssumption, Fleet: f.Name, Region: a.Region,
		PriceSources: []string{s.Entry.Source + " (" + s.Entry.EffectiveDate + ")", f.Entry.Source + " (" + f.Entry.EffectiveDate + ")"}}
	if g := s.APIGW; g != nil {
		row.PriceSources = append(row.PriceSources, g.Source+" ("+g.EffectiveDate+")")
	}
	row.MonthlyRequests = firstDearer(cs)
	row.AverageRPS = AverageRPS(row.MonthlyRequests)
	switch {
	case len(cs) == 0 && s.Monthly(a.MinMonthlyRequests, a.Profile).LessThan(f.Monthly(a.MinMonthlyRequests, a.Profile)):
		row.Note = fmt.Sprintf("serverless is cheaper at every volume up to %.3g requests/month", a.MaxMonthlyRequests)
	case len(cs) == 0:
		row.Note = fmt.Sprintf("the fleet is cheaper at every volume from %.3g requests/month", a.MinMonthlyRequests)
	case len(cs) > MaxCrossings:
		row.Note = a.oscillationNote(s, f, cs)
	case len(cs) > 1:
		row.Note = fmt.Sprintf("%d crossings: the fleet's cost steps as instances are added", len(cs))
	}
	row.CrossingsCount = len(cs)
	row.Crossings, row.CrossingsTruncated = capCrossings(cs)
	if truncated {
		row.Note = strings.TrimSpace(row.Note + "; search stopped after the fleet's first steps")
	}
	if s.CIHigh != 1 || s.CILow != 1 {
		lo, _ := a.search(s, f, a.Profile, s.CIHigh)
		hi, _ := a.search(s, f, a.Profile, s.CILow)
		row.MonthlyRequestsLow, row.MonthlyRequestsHigh = firstDearer(lo), firstDearer(hi)
	}
	if withSensitivity && row.MonthlyRequests > 0 {
		row.Sensitivity, row.MostSensitive = a.sensitivity(s, f, row.MonthlyRequests)
	}
	return row
}

// capCrossings keeps every crossing up to MaxCrossings, else the first and
// the last MaxCrossings/2 (see BreakEven).
func capCrossings(cs []results.Crossing) ([]results.Crossing, bool) {
	if len(cs) <= MaxCrossings {
		return cs, false
	}
	h := MaxCrossings / 2
	out := make([]results.Crossing, 0, MaxCrossings)
	out = append(out, cs[:h]...)
	out = append(out, cs[len(cs)-h:]...)
	return out, true
}

// oscillationNote describes a row with more than MaxCrossings crossings:
// how many, over which volumes, and how large one fleet step is there
// against the cost (the most the two options differ by in that range).
func (a *Analysis) oscillationNote(s *Serverless, f *Fleet, cs []results.Crossing) string {
	first, last := cs[0], cs[len(cs)-1]
	note := fmt.Sprintf("%d crossings between %.4g and %.4g requests/month (%.4g–%.4g rps average): the %s fleet's cost steps over and under a serverless cost that grows almost in parallel with it",
		len(cs), first.MonthlyRequests, last.MonthlyRequests, first.AverageRPS, last.AverageRPS, f.Instance)
	if bps, _ := f.breakpoints(a.Profile, first.MonthlyRequests*(1-1e-6), last.MonthlyRequests*(1+1e-6)); len(bps) > 0 {
		b := bps[0]
		before, after := f.Monthly(b, a.Profile), f.Monthly(b*(1+stepMergeRel), a.Profile)
		if jump := after.Sub(before); jump.IsPositive() && after.IsPositive() {
			note += fmt.Sprintf(", each step $%s (%.2g%% of the monthly cost there), so the two are within one step of each other, in effect a tie", jump.StringFixed(2), jump.Div(after).InexactFloat64()*100)
		}
	}
	h := MaxCrossings / 2
	return note + fmt.Sprintf("; only the first %d and the last %d crossings are listed (crossings_truncated)", h, h)
}

func (a *Analysis) sensitivity(s *Serverless, f *Fleet, base float64) ([]results.Sensitivity, string) {
	type variant struct {
		name   string
		lo, hi float64
		run    func(x float64) float64
	}
	first := func(s *Serverless, f *Fleet, p Profile, sf float64) float64 {
		cs, _ := a.search(s, f, p, sf)
		return firstDearer(cs)
	}
	vs := []variant{
		{"serverless price", 0.8, 1.2, func(x float64) float64 { return first(s, f, a.Profile, x) }},
		{"instance price", 0.8, 1.2, func(x float64) float64 {
			g := *f
			g.PriceScale = x
			return first(s, &g, a.Profile, 1)
		}},
		{"capacity_rps", 0.8, 1.2, func(x float64) float64 { return first(s, f.withCapacity(f.CapacityRPS*x), a.Profile, 1) }},
		{"cold-start rate", 0.5, 2, func(x float64) float64 {
			t := *s
			t.Cold.Scale = x
			return first(&t, f, a.Profile, 1)
		}},
	}
	if len(a.Profile.Weights) > 1 {
		vs = append(vs, variant{"peak-to-average", 0.8, 1.2, func(x float64) float64 { return first(s, f, a.Profile.scalePeak(x), 1) }})
	}
	var out []results.Sensitivity
	most, best := "", -1.0
	for _, v := range vs {
		l, h := v.run(v.lo), v.run(v.hi)
		sw := math.Abs(h-l) / base
		out = append(out, results.Sensitivity{Assumption: v.name, LowFactor: v.lo, HighFactor: v.hi,
			MonthlyRequestsLow: l, MonthlyRequestsHigh: h, Swing: sw})
		if sw > best {
			most, best = v.name, sw
		}
	}
	return out, most
}

// memoryFromStep parses "memory_mb=512" step labels.
func memoryFromStep(step string) int {
	for _, part := range strings.Split(step, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "memory_mb="); ok {
			if n, err := strconv.Atoi(v); err == nil {
				return n
			}
		}
	}
	return 0
}

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

// INIT billing rules for AnalyzeOptions.InitRule.
const (
	// InitRuleAuto bills INIT for records from the book's init_billed_from
	// date (2025-08-01) on, and applies the older rule before it.
	InitRuleAuto = "auto"
	// InitRuleBilled bills INIT on every cold start (the rule since 2025-08-01).
	InitRuleBilled = "billed"
	// InitRuleLegacy is the older rule: INIT of ZIP functions on managed
	// runtimes is not billed (billed = ceil(duration)).
	InitRuleLegacy = "legacy"
)

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
			sum.Cost = append(sum.Cost, r.costRow(seed))
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
	sum.BreakEven = a.BreakEven(true)
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

func targetByName(sc *scenarios.Scenario, name string) (scenarios.Target, bool) {
	if sc == nil {
		return scenarios.Target{}, false
	}
	for _, t := range sc.Targets {
		if t.Name == name {
			return t, true
		}
	}
	return scenarios.Target{}, false
}

func functionFor(sc *scenarios.Scenario, t scenarios.Target) (scenarios.Function, bool) {
	if sc == nil || t.Kind != "local-lambda" {
		return scenarios.Function{}, false
	}
	for _, f := range sc.Functions {
		if f.Name == t.Function {
			return f, true
		}
	}
	return scenarios.Function{}, false
}

// Sources of the priced ephemeral storage size (CostRow.EphemeralStorageSource).
const (
	EphemeralFromScenario = "scenario"
	EphemeralFromFunction = "function"
	EphemeralFromPlatform = "function configuration"
	EphemeralDefault      = "default"
)

// IncludedEphemeralMB is the ephemeral storage every Lambda function gets
// at no charge (the smallest size it can have); only the configured size
// above it is billed.
const IncludedEphemeralMB = scenarios.MinEphemeralStorageMB

// ephemeralFor is the /tmp size priced for a function target and where it
// came from: the target's ephemeral_storage_mb, else its local function's,
// else the size read from the platform (platformEphMB, by target name; see
// AnalyzeOptions.FunctionEphemeralMB), else 512 MB (no charge).
func ephemeralFor(sc *scenarios.Scenario, t scenarios.Target, platformEphMB map[string]int) (int, string) {
	if t.EphemeralStorageMB > 0 {
		return t.EphemeralStorageMB, EphemeralFromScenario
	}
	if fn, ok := functionFor(sc, t); ok && fn.EphemeralStorageMB > 0 {
		return fn.EphemeralStorageMB, EphemeralFromFunction
	}
	if mb := platformEphMB[t.Name]; mb > 0 {
		return mb, EphemeralFromPlatform
	}
	return IncludedEphemeralMB, EphemeralDefault
}

// gatewayPaid reports whether the benchmark's own requests to t went
// through the API Gateway it declares: only a lambda-url target whose URL
// is an API Gateway (execute-api) address. Invoke API calls and function
// URLs bypass the gateway, so the run itself did not pay its fee.
func gatewayPaid(t scenarios.Target) bool {
	return t.APIGateway != "" && t.Kind == "lambda-url" && strings.Contains(t.URL, ".execute-api.")
}

// pricer builds the configStat for a target at a memory size and architecture.
func pricer(book *Book, sc *scenarios.Scenario, t scenarios.Target, memMB int, arch string, platformEphMB map[string]int) (*configStat, error) {
	ps := settings(sc)
	c := &configStat{target: t.Name, memMB: memMB, arch: arch, idleS: DefaultIdleTimeoutS}
	if fn, ok := functionFor(sc, t); ok && fn.IdleTimeout > 0 {
		c.idleS = fn.IdleTimeout.Seconds()
	}
	platform, plan := PlatformLambda, ""
	if t.Billing != nil && !serverlessKind(t.Kind) {
		platform, plan = t.Billing.Platform, t.Billing.Plan
		if t.Billing.MemoryMB > 0 && memMB == 0 {
			c.memMB = t.Billing.MemoryMB
		}
		if t.Billing.Architecture != "" {
			c.arch = t.Billing.Architecture
		}
	}
	region := ps.Region
	if t.Billing != nil && t.Billing.Region != "" {
		region = t.Billing.Region
	}
	if c.memMB <= 0 {
		return nil, fmt.Errorf("target %s: memory size unknown (no REPORT memory, step or billing.memory_mb)", t.Name)
	}
	c.platform = platform
	switch platform {
	case PlatformLambda:
		e, err := book.Find(PlatformLambda, region, c.arch, "", "")
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", t.Name, err)
		}
		c.entry = e
		c.fixed = e.Lambda.RequestUSD
		c.ephemeralMB, c.ephemeralSource = IncludedEphemeralMB, EphemeralDefault
		if serverlessKind(t.Kind) {
			c.ephemeralMB, c.ephemeralSource = ephemeralFor(sc, t, platformEphMB)
		}
		if c.ephemeralMB > IncludedEphemeralMB {
			c.ephPerUnit = GB(c.ephemeralMB - IncludedEphemeralMB).Mul(e.Lambda.EphemeralGBSecondUSD).Div(decimal.NewFromInt(1000))
		}
		c.perUnit = GB(c.memMB).Mul(e.Lambda.DurationTiers[0].USD).Div(decimal.NewFromInt(1000)).Add(c.ephPerUnit)
		c.plan = "on-demand"
		if t.APIGateway != "" {
			if t.APIGateway != "http" {
				return nil, fmt.Errorf("target %s: api_gateway %q is not priced (only http, an API Gateway HTTP API)", t.Name, t.APIGateway)
			}
			g, err := book.Find(PlatformAPIGatewayHTTP, region, "", "", "")
			if err != nil {
				return nil, fmt.Errorf("target %s: api gateway http api: %w", t.Name, err)
			}
			c.apigw, c.gateway = g, t.APIGateway
			c.gwUnits = 1
		}
	case PlatformCloudRun:
		if plan != "" && plan != "request" && plan != "request-based" {
			return nil, fmt.Errorf("target %s: cloud-run plan %q is not priced (only request-based billing)", t.Name, plan)
		}
		e, err := book.Find(PlatformCloudRun, region, "", "request-based", "")
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", t.Name, err)
		}
		vcpu := 1.0
		if t.Billing.VCPU > 0 {
			vcpu = t.Billing.VCPU
		}
		c.entry, c.plan = e, "request-based"
		c.fixed = e.CloudRun.RequestUSD
		perS := decimal.NewFromFloat(vcpu).Mul(e.CloudRun.VCPUSecondUSD).Add(GB(c.memMB).Mul(e.CloudRun.GiBSecondUSD))
		c.perUnit = perS.Div(decimal.NewFromInt(1000))
	case PlatformAzureFunctions:
		p := "consumption"
		if plan == "flex" || plan == "flex-consumption" {
			p = "flex"
		}
		e, err := book.Find(PlatformAzureFunctions, region, "", p, "")
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", t.Name, err)
		}
		c.entry, c.plan = e, p
		c.fixed = e.Azure.ExecutionUSD
		mem := c.memMB
		if p == "consumption" {
			a := e.Azure
			if a.MemoryStepMB > 0 {
				mem = (mem + a.MemoryStepMB - 1) / a.MemoryStepMB * a.MemoryStepMB
			}
			mem = max(mem, a.MinMemoryMB)
			if a.MaxMemoryMB > 0 {
				mem = min(mem, a.MaxMemoryMB)
			}
		}
		c.perUnit = GB(mem).Mul(e.Azure.GBSecondUSD).Div(decimal.NewFromInt(1000))
	default:
		return nil, fmt.Errorf("target %s: billing platform %q isn't one of [aws-lambda cloud-run azure-functions]", t.Name, platform)
	}
	return c, nil
}

// unitOf returns the billed unit (ms) of one record for the configuration
// and its cold-start extra, and whether the record is priced at all.
func unitOf(c *configStat, r *results.Record, initBilledRule func(time.Time) bool) (u, coldExtra float64, ok bool) {
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
		ms := CeilMs(float64(r.Latency) / 1e6)
		if c.plan == "consumption" {
			ms = decimal.Max(ms, decimal.NewFromInt(int64(c.entry.Azure.MinDurationMs)))
		}
		return ms.InexactFloat64(), 0, true
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
	// The INIT rule: billed from the book's date; before it only for
	// non-ZIP configurations (the local platform reports which it applied).
	initRule := func(e *Entry) func(time.Time) bool {
		switch initRuleName {
		case InitRuleBilled:
			return func(time.Time) bool { return true }
		case InitRuleLegacy:
			return func(time.Time) bool { return false }
		}
		return func(t time.Time) bool { return e.Lambda.InitBilled(t, true) }
	}
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
				rule = initRule(c.entry)
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
			if c.apigw != nil {
				r.sumGW += c.apigw.APIGateway.MeteredRequests(rec.BytesOut + rec.BytesIn)
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
	return out, notes, nil
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
	// Float rounding must not leave the exact mean outside its own CI
	// (all requests billed alike: lo = hi = mean).
	row.CostPerMillionLow = math.Min(row.CostPerMillionLow, row.CostPerMillionUSD)
	row.CostPerMillionHi = math.Max(row.CostPerMillionHi, row.CostPerMillionUSD)
	return row
}

// describe fills a cost row's gateway and ephemeral-storage labels.
func (c *configStat) describe(row *results.CostRow) {
	if c.apigw != nil {
		row.APIGateway = c.gateway
	}
	if c.platform == PlatformLambda && c.ephemeralMB > 0 {
		row.EphemeralStorageMB, row.EphemeralStorageSource = c.ephemeralMB, c.ephemeralSource
	}
}

// components splits the cost of n requests with Σu billed units and
// Σmetered gateway requests into its labelled parts (results.CostRequests,
// CostCompute, CostEphemeralStorage, CostAPIGatewayHTTP), each at its
// tier-1 rate and with its price-book entry; they add up to
// n × fixed + Σu × perUnit + Σmetered × gateway rate.
func (c *configStat) components(n, sumU, sumGW decimal.Decimal) []results.CostComponent {
	if !n.IsPositive() {
		return nil
	}
	mk := func(name string, qty decimal.Decimal, unit string, rate, usd decimal.Decimal, e *Entry) results.CostComponent {
		per := usd.Div(n)
		return results.CostComponent{Name: name, Quantity: qty.InexactFloat64(), Unit: unit, RateUSD: rate.InexactFloat64(),
			RunCostUSD: usd.InexactFloat64(), CostPerRequestUSD: per.InexactFloat64(),
			CostPerMillionUSD: per.Mul(decimal.NewFromInt(1_000_000)).InexactFloat64(),
			PriceSource:       e.Source, PriceEffective: e.EffectiveDate}
	}
	reqUnit := "requests"
	if c.platform == PlatformAzureFunctions {
		reqUnit = "executions"
	}
	out := []results.CostComponent{mk(results.CostRequests, n, reqUnit, c.fixed, n.Mul(c.fixed), c.entry)}
	thousand := decimal.NewFromInt(1000)
	if c.platform == PlatformLambda {
		l := c.entry.Lambda
		out = append(out, mk(results.CostCompute, GB(c.memMB).Mul(sumU).Div(thousand), "GB-s", l.DurationTiers[0].USD, sumU.Mul(c.perUnit.Sub(c.ephPerUnit)), c.entry))
		if c.ephPerUnit.IsPositive() {
			out = append(out, mk(results.CostEphemeralStorage, GB(c.ephemeralMB-IncludedEphemeralMB).Mul(sumU).Div(thousand), "GB-s",
				l.EphemeralGBSecondUSD, sumU.Mul(c.ephPerUnit), c.entry))
		}
	} else {
		out = append(out, mk(results.CostCompute, sumU, "billed ms", c.perUnit, sumU.Mul(c.perUnit), c.entry))
	}
	if c.apigw != nil {
		out = append(out, mk(results.CostAPIGatewayHTTP, sumGW, "metered requests", c.gwRate(), sumGW.Mul(c.gwRate()), c.apigw))
	}
	return out
}

// bootstrapMaxN is the largest sample bootstrapped; above it the normal
// approximation of the mean is used (indistinguishable at that size).
const bootstrapMaxN = 5000

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

// configsFromRows merges rows into serverless configurations (target,
// memory, architecture) for the monthly model. The cold-start fraction and
// rate come from plain phases (forced cold starts excluded); the cold-start
// extra comes from every cold record.
func configsFromRows(rows []*rowAcc) []*configStat {
	type agg struct {
		c                         configStat
		n, nWarm, nCold, nColdAll int64
		warmU, coldExtra          float64
		rateW                     float64
		units                     []float64
		estimate                  bool
		sumGW                     int64
	}
	m := map[string]*agg{}
	var order []string
	for _, r := range rows {
		k := fmt.Sprintf("%s|%d|%s|%s", r.target, r.cfg.memMB, r.cfg.arch, r.cfg.platform)
		a, ok := m[k]
		if !ok {
			a = &agg{c: *r.cfg}
			m[k] = a
			order = append(order, k)
		}
		a.nColdAll += r.nCold
		a.coldExtra += r.sumColdExtra.InexactFloat64()
		if r.experiment == "cold_starts" || r.step == "cold_start" {
			continue
		}
		a.n += r.n
		a.nWarm += r.nWarm
		a.nCold += r.nCold
		a.warmU += r.warmU
		a.sumGW += r.sumGW
		a.units = append(a.units, r.units...)
		if span := r.tMax.Sub(r.tMin).Seconds(); span > 0 {
			a.rateW += float64(r.n) * float64(r.n) / span
		}
		a.estimate = a.estimate || r.estimate
	}
	var out []*configStat
	for _, k := range order {
		a := m[k]
		if a.n == 0 {
			continue
		}
		c := a.c
		c.n = a.n
		if a.nWarm > 0 {
			c.warmU = a.warmU / float64(a.nWarm)
		} else {
			mean := 0.0
			for _, u := range a.units {
				mean += u
			}
			c.warmU = mean/float64(len(a.units)) - a.coldExtra/math.Max(1, float64(a.nColdAll))
		}
		if a.nColdAll > 0 {
			c.coldExtraU = a.coldExtra / float64(a.nColdAll)
		}
		c.coldFrac = float64(a.nCold) / float64(a.n)
		c.rate = a.rateW / float64(a.n)
		if c.apigw != nil {
			c.gwUnits = float64(a.sumGW) / float64(a.n)
		}
		lo, hi := meanCI(a.units, 7)
		mean := 0.0
		for _, u := range a.units {
			mean += u
		}
		mean /= float64(len(a.units))
		fixed, pu := c.fixed.Add(c.gwPer()).InexactFloat64(), c.perUnit.InexactFloat64()
		if base := fixed + pu*mean; base > 0 {
			c.ciLow, c.ciHigh = (fixed+pu*lo)/base, (fixed+pu*hi)/base
		}
		c.estimate = a.estimate
		out = append(out, &c)
	}
	return out
}

// statsFromSummary estimates serverless configurations from phase
// summaries (billed-duration means), for runs whose records are not at hand.
func statsFromSummary(book *Book, sum *results.Summary, sc *scenarios.Scenario, platformEphMB map[string]int) ([]*configStat, []string, error) {
	ps := settings(sc)
	var out []*configStat
	var notes []string
	for _, ts := range sum.Targets {
		t, ok := targetByName(sc, ts.Name)
		if !ok {
			t = scenarios.Target{Name: ts.Name, Kind: ts.Kind}
		}
		if !serverlessKind(t.Kind) && t.Billing == nil {
			continue
		}
		type agg struct {
			n, colds            int64
			billed, init, lat   float64
			rateW               float64
			coldFromExperiments float64
		}
		byMem := map[int]*agg{}
		var mems []int
		for _, ph := range ts.Phases {
			mem := ph.MemorySizeMB
			if mem == 0 {
				mem = memoryFromStep(ph.Step)
			}
			if mem == 0 {
				if fn, ok := functionFor(sc, t); ok {
					mem = fn.MemorySize
				}
			}
			if mem == 0 && t.Billing != nil {
				mem = t.Billing.MemoryMB
			}
			a, ok := byMem[mem]
			if !ok {
				a = &agg{}
				byMem[mem] = a
				mems = append(mems, mem)
			}
			if ph.Experiment == "cold_starts" {
				if ph.InitDurationMs != nil {
					a.coldFromExperiments = ph.InitDurationMs.Mean
				}
				continue
			}
			n := ph.Requests - ph.Throttles
			if n <= 0 {
				continue
			}
			a.n += n
			a.colds += ph.ColdStarts
			if ph.BilledDurationMs != nil {
				a.billed += ph.BilledDurationMs.Mean * float64(n)
			} else {
				a.billed += math.Ceil(ph.LatencyMs.Mean) * float64(n)
				a.lat += ph.LatencyMs.Mean * float64(n)
			}
			if ph.InitDurationMs != nil {
				a.init += ph.InitDurationMs.Mean * float64(ph.ColdStarts)
			}
			a.rateW += ph.AchievedRPS * float64(n)
		}
		archs := ps.Architectures
		if len(archs) == 0 {
			archs = []string{ArchX86}
			if t.Architecture != "" {
				archs = []string{t.Architecture}
			}
		}
		if !serverlessKind(t.Kind) {
			archs = []string{""}
		}
		sort.Ints(mems)
		for _, mem := range mems {
			a := byMem[mem]
			if a.n == 0 || mem == 0 {
				continue
			}
			for _, arch := range archs {
				c, err := pricer(book, sc, t, mem, arch, platformEphMB)
				if err != nil {
					return nil, nil, fmt.Errorf("pricing analysis: %w", err)
				}
				if c.apigw != nil && !c.gatewayUnitsFrom(sum.Cost) {
					notes = appendOnce(notes, fmt.Sprintf("%s: request and response sizes are not in the summary; each request is assumed to count as 1 API Gateway request (up to 512 KB)", t.Name))
				}
				c.n = a.n
				c.coldFrac = float64(a.colds) / float64(a.n)
				c.rate = a.rateW / float64(a.n)
				if a.colds > 0 {
					c.coldExtraU = a.init / float64(a.colds)
				} else {
					c.coldExtraU = a.coldFromExperiments
				}
				c.warmU = math.Max(0, (a.billed-float64(a.colds)*c.coldExtraU)/float64(a.n))
				if c.platform == PlatformCloudRun {
					// Instance time rounds up to 100 ms and is shared by the
					// achieved concurrency (Little's law), capped by billing.concurrency.
					meanLat := a.lat / float64(a.n)
					c.warmU = ceilTo(meanLat, c.entry.CloudRun.RoundingMs).InexactFloat64()
					conc := math.Max(1, c.rate*meanLat/1000)
					maxC := 80.0
					if t.Billing != nil && t.Billing.Concurrency > 0 {
						maxC = float64(t.Billing.Concurrency)
					}
					c.perUnit = c.perUnit.Div(decimal.NewFromFloat(math.Min(conc, maxC)))
				}
				if c.platform == PlatformAzureFunctions && c.plan == "consumption" {
					c.warmU = math.Max(c.warmU, float64(c.entry.Azure.MinDurationMs))
				}
				c.ciLow, c.ciHigh = 1, 1
				for _, cr := range sum.Cost {
					if cr.Target == t.Name && cr.MemoryMB == mem && cr.Architecture == c.arch && cr.CostPerMillionUSD > 0 {
						c.ciLow, c.ciHigh = cr.CostPerMillionLow/cr.CostPerMillionUSD, cr.CostPerMillionHi/cr.CostPerMillionUSD
						break
					}
				}
				c.estimate = true
				out = append(out, c)
			}
		}
	}
	if len(out) == 0 {
		out = statsFromCostRows(book, sum, sc, platformEphMB)
	}
	if len(out) > 0 {
		notes = append(notes, "serverless monthly costs estimated from summary means (records not read)")
	}
	return out, notes, nil
}

// gatewayUnitsFromCost is the mean metered API Gateway requests per
// request of a configuration from the api_gateway_http components of its
// cost rows, when a previous analysis recorded them.
func gatewayUnitsFromCost(rows []results.CostRow, target string, mem int, arch string) (float64, bool) {
	var q float64
	var n int64
	for _, r := range rows {
		if r.Target != target || r.MemoryMB != mem || r.Architecture != arch {
			continue
		}
		for _, c := range r.Components {
			if c.Name == results.CostAPIGatewayHTTP && r.Requests > 0 {
				q += c.Quantity
				n += r.Requests
			}
		}
	}
	if n == 0 || q == 0 {
		return 0, false
	}
	return q / float64(n), true
}

// statsFromCostRows rebuilds serverless configurations from summary cost
// rows alone (no phase summaries): each row's mean cost per request is
// taken as the warm cost, cold starts included on average.
func statsFromCostRows(book *Book, sum *results.Summary, sc *scenarios.Scenario, platformEphMB map[string]int) []*configStat {
	type agg struct {
		row        results.CostRow
		usd, n, lo float64
		hi         float64
	}
	m := map[string]*agg{}
	var order []string
	for _, r := range sum.Cost {
		if r.Requests == 0 || r.CostPerRequestUSD == 0 {
			continue
		}
		k := fmt.Sprintf("%s|%d|%s|%s", r.Target, r.MemoryMB, r.Architecture, r.Platform)
		a, ok := m[k]
		if !ok {
			a = &agg{row: r}
			m[k] = a
			order = append(order, k)
		}
		n := float64(r.Requests)
		a.usd += r.CostPerRequestUSD * n
		a.lo += r.CostPerMillionLow / 1e6 * n
		a.hi += r.CostPerMillionHi / 1e6 * n
		a.n += n
	}
	var out []*configStat
	for _, k := range order {
		a := m[k]
		t, ok := targetByName(sc, a.row.Target)
		if !ok {
			t = scenarios.Target{Name: a.row.Target, Kind: "aws-lambda"}
		}
		c, err := pricer(book, sc, t, a.row.MemoryMB, a.row.Architecture, platformEphMB)
		if err != nil || c.perUnit.IsZero() {
			continue
		}
		c.gatewayUnitsFrom(sum.Cost)
		mean := a.usd / a.n
		c.n = int64(a.n)
		c.warmU = math.Max(0, (mean-c.fixed.Add(c.gwPer()).InexactFloat64())/c.perUnit.InexactFloat64())
		c.ciLow, c.ciHigh = 1, 1
		if mean > 0 && a.lo > 0 {
			c.ciLow, c.ciHigh = a.lo/a.n/mean, a.hi/a.n/mean
		}
		c.estimate = true
		out = append(out, c)
	}
	return out
}

// fillMemorySweep fills the cost fields of the memory sweep rows and sets
// their flags. A row is priced at the first priced architecture (else its
// target's own, else x86_64) from the records of its own sweep step only
// (experiment memory_sweep, step memory_mb=<n>, the row's target): the run
// cost of those records over their priced requests, as their cost rows
// compute it. Without records (accs nil) the row's own mean billed
// duration is priced. The cheapest, fastest-p99 and cheapest-meeting-SLO
// flags are then set per target by results.MarkBestMemory, each target
// against its own SLO (its slo:, else the global slo:, else none), the
// rule benchctl run applies.
func fillMemorySweep(book *Book, accs []*rowAcc, sum *results.Summary, sc *scenarios.Scenario, platformEphMB map[string]int) {
	rows := sum.Experiments.MemorySweep
	if len(rows) == 0 {
		return
	}
	ps := settings(sc)
	for i := range rows {
		r := &rows[i]
		r.CostPerRequestUSD, r.CostPerMillionUSD = nil, nil
		t, found := targetByName(sc, r.Target)
		if !found {
			t = scenarios.Target{Name: r.Target, Kind: "aws-lambda"}
		}
		arch := t.Architecture
		if len(ps.Architectures) > 0 {
			arch = ps.Architectures[0]
		}
		if arch == "" {
			arch = ArchX86
		}
		var per decimal.Decimal
		if accs != nil {
			step := results.MemoryStep(r.MemoryMB)
			var total decimal.Decimal
			var n int64
			for _, a := range accs {
				if a.target == r.Target && a.experiment == results.ExperimentMemorySweep && a.step == step &&
					a.cfg.platform == PlatformLambda && a.cfg.arch == arch {
					total = total.Add(a.runCost())
					n += a.n
				}
			}
			if n == 0 {
				continue
			}
			per = total.Div(decimal.NewFromInt(n))
		} else {
			if r.BilledDurationMs.Count == 0 {
				continue
			}
			c, err := pricer(book, sc, t, r.MemoryMB, arch, platformEphMB)
			if err != nil || c.platform != PlatformLambda {
				continue
			}
			c.gatewayUnitsFrom(sum.Cost)
			per = c.fixed.Add(c.gwPer()).Add(c.perUnit.Mul(decimal.NewFromFloat(r.BilledDurationMs.Mean)))
		}
		usd, perM := per.InexactFloat64(), per.Mul(decimal.NewFromInt(1_000_000)).InexactFloat64()
		r.CostPerRequestUSD, r.CostPerMillionUSD = &usd, &perM
	}
	results.MarkBestMemory(rows, sloSpecFor(sc))
}

// sloFor returns each target's SLO: its own slo:, else the scenario's
// global slo: when set, else nil (none).
// sloSpecFor is sloFor in the results package's form.
func sloSpecFor(sc *scenarios.Scenario) func(target string) *results.SLOSpec {
	f := sloFor(sc)
	return func(target string) *results.SLOSpec {
		o := f(target)
		if o == nil {
			return nil
		}
		spec := results.SLOSpec(*o)
		return &spec
	}
}

func sloFor(sc *scenarios.Scenario) func(target string) *scenarios.SLO {
	return func(target string) *scenarios.SLO {
		if sc == nil {
			return nil
		}
		if t, ok := targetByName(sc, target); ok && t.SLO != nil {
			return t.SLO
		}
		if sc.SLO != (scenarios.SLO{}) {
			g := sc.SLO
			return &g
		}
		return nil
	}
}

// ProfileVolume is the monthly volume of the scenario's traffic profile
// (monthly_requests, or average_rps × 730 h), 0 when it gives neither.
func ProfileVolume(sc *scenarios.Scenario) float64 {
	if sc == nil {
		return 0
	}
	p := sc.Pricing.Profile
	if p.MonthlyRequests > 0 {
		return p.MonthlyRequests
	}
	return MonthlyRequests(p.AverageRPS)
}

// MonthlyCosts prices every serverless configuration and fleet for a month
// of monthlyRequests shaped by the analysis profile, and flags the cheapest.
func (a *Analysis) MonthlyCosts(monthlyRequests float64) []results.MonthlyCostRow {
	var rows []results.MonthlyCostRow
	for _, s := range a.Serverless {
		rows = append(rows, results.MonthlyCostRow{Option: s.Name, Kind: "serverless", MonthlyRequests: monthlyRequests,
			AverageRPS: AverageRPS(monthlyRequests), Profile: a.Profile.Label,
			MonthlyCostUSD:  s.monthly(monthlyRequests, a.Profile, 1).InexactFloat64(),
			MonthlyCostLow:  s.monthly(monthlyRequests, a.Profile, s.CILow).InexactFloat64(),
			MonthlyCostHigh: s.monthly(monthlyRequests, a.Profile, s.CIHigh).InexactFloat64(),
			Components:      s.MonthlyComponents(monthlyRequests, a.Profile)})
	}
	for _, f := range a.Fleets {
		peak := 0
		for _, r := range a.Profile.Rates(monthlyRequests) {
			peak = max(peak, f.Count(r))
		}
		row := results.MonthlyCostRow{Option: f.Name, Kind: "fleet", MonthlyRequests: monthlyRequests,
			AverageRPS: AverageRPS(monthlyRequests), Profile: a.Profile.Label, PeakInstances: peak,
			MonthlyCostUSD: f.Monthly(monthlyRequests, a.Profile).InexactFloat64()}
		row.MonthlyCostLow, row.MonthlyCostHigh = row.MonthlyCostUSD, row.MonthlyCostUSD
		if f.CapacityHigh > 0 {
			row.MonthlyCostLow = f.withCapacity(f.CapacityHigh).Monthly(monthlyRequests, a.Profile).InexactFloat64()
		}
		if f.CapacityLow > 0 {
			row.MonthlyCostHigh = f.withCapacity(f.CapacityLow).Monthly(monthlyRequests, a.Profile).InexactFloat64()
		}
		rows = append(rows, row)
	}
	best := -1
	for i := range rows {
		if best < 0 || rows[i].MonthlyCostUSD < rows[best].MonthlyCostUSD {
			best = i
		}
	}
	if best >= 0 {
		rows[best].Cheapest = true
	}
	return rows
}

// componentNotes says, once per target, which extra cost components the
// analysis priced: the API Gateway HTTP API fee (rate, metering, the mean
// metered requests per request, the price-book entry) and ephemeral
// storage (the size priced and where it came from). A real-cloud function
// whose storage size is unknown gets a note that 512 MB was assumed.
func componentNotes(stats []*configStat, sc *scenarios.Scenario) []string {
	var notes []string
	for _, c := range stats {
		if c.platform != PlatformLambda {
			continue
		}
		if c.apigw != nil {
			a := c.apigw
			notes = appendOnce(notes, fmt.Sprintf("%s: behind an API Gateway HTTP API: every cost includes its fee of $%s per 1M requests (%s %s, %s, effective %s), metered per started %d KB of request + response body, %.3g metered per request on average; the break-even volumes include it",
				c.target, c.gwRate().Mul(decimal.NewFromInt(1_000_000)).StringFixed(2), a.Platform, a.Region, a.Source, a.EffectiveDate, a.APIGateway.MeteringKB, c.gwUnits))
		}
		switch {
		case c.ephemeralMB > IncludedEphemeralMB:
			notes = appendOnce(notes, fmt.Sprintf("%s: ephemeral storage %d MB (from %s): the %d MB above the included 512 MB are billed at $%s per GB-s of billed duration (%s, effective %s)",
				c.target, c.ephemeralMB, ephemeralSourceText(c.ephemeralSource), c.ephemeralMB-IncludedEphemeralMB, c.entry.Lambda.EphemeralGBSecondUSD.String(), c.entry.Source, c.entry.EffectiveDate))
		case c.ephemeralSource == EphemeralDefault:
			if t, ok := targetByName(sc, c.target); ok && realCloudKind(t) {
				notes = appendOnce(notes, fmt.Sprintf("%s: ephemeral storage not set (ephemeral_storage_mb): 512 MB assumed, no storage charge; set it if the function has more /tmp", c.target))
			}
		}
	}
	return notes
}

func ephemeralSourceText(source string) string {
	switch source {
	case EphemeralFromScenario:
		return "the target's ephemeral_storage_mb"
	case EphemeralFromFunction:
		return "the scenario's functions block"
	case EphemeralFromPlatform:
		return "the function's configuration"
	}
	return "the default"
}
