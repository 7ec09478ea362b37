package pricing

import (
	"errors"
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

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
	if err := checkSettings(sc); err != nil {
		return nil, fmt.Errorf("pricing analysis: %w", err)
	}
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
		c := Curve{Name: s.Name, Kind: results.OptionServerless}
		for _, v := range grid {
			c.Points = append(c.Points, CurvePoint{MonthlyRequests: v,
				USD:     s.monthly(v, a.Profile, 1).InexactFloat64(),
				LowUSD:  s.monthly(v, a.Profile, s.CILow).InexactFloat64(),
				HighUSD: s.monthly(v, a.Profile, s.CIHigh).InexactFloat64()})
		}
		out = append(out, c)
	}
	for _, f := range a.Fleets {
		c := Curve{Name: f.Name, Kind: f.Kind()}
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

// MonthlyCosts prices every serverless configuration and fleet for a month
// of monthlyRequests shaped by the analysis profile, and flags the cheapest.
func (a *Analysis) MonthlyCosts(monthlyRequests float64) []results.MonthlyCostRow {
	var rows []results.MonthlyCostRow
	for _, s := range a.Serverless {
		row := results.MonthlyCostRow{Option: s.Name, Kind: results.OptionServerless, MonthlyRequests: monthlyRequests,
			Target: s.Target, Platform: s.Platform, Architecture: s.Architecture, MemoryMB: s.MemoryMB,
			AverageRPS: AverageRPS(monthlyRequests), Profile: a.Profile.Label, PriceConfidence: confidenceOf(s.Entry, s.APIGW),
			MonthlyCostUSD:  s.monthly(monthlyRequests, a.Profile, 1).InexactFloat64(),
			MonthlyCostLow:  s.monthly(monthlyRequests, a.Profile, s.CILow).InexactFloat64(),
			MonthlyCostHigh: s.monthly(monthlyRequests, a.Profile, s.CIHigh).InexactFloat64(),
			Components:      s.MonthlyComponents(monthlyRequests, a.Profile), HostBusy: s.HostBusy}
		if s.APIGW != nil {
			row.APIGateway = "http"
		}
		rows = append(rows, row)
	}
	for _, f := range a.Fleets {
		_, peak := f.slotCounts(a.Profile.Rates(monthlyRequests))
		row := results.MonthlyCostRow{Option: f.Name, Kind: f.Kind(), MonthlyRequests: monthlyRequests,
			Instance: f.Instance, Platform: f.platform(), PriceConfidence: confidenceOf(f.entries()...),
			AverageRPS: AverageRPS(monthlyRequests), Profile: a.Profile.Label, PeakInstances: peak,
			MonthlyCostUSD: f.Monthly(monthlyRequests, a.Profile).InexactFloat64(),
			Components:     f.MonthlyComponents(monthlyRequests, a.Profile), HostBusy: f.HostBusy}
		row.MonthlyCostLow, row.MonthlyCostHigh = row.MonthlyCostUSD, row.MonthlyCostUSD
		if f.CapacityHigh > 0 {
			row.MonthlyCostLow = f.withCapacity(f.CapacityHigh).Monthly(monthlyRequests, a.Profile).InexactFloat64()
		}
		if f.CapacityLow > 0 {
			row.MonthlyCostHigh = f.withCapacity(f.CapacityLow).Monthly(monthlyRequests, a.Profile).InexactFloat64()
		}
		if mv := f.maxVolume(a.Profile); mv > 0 && monthlyRequests > mv {
			a.Notes = appendOnce(a.Notes, fmt.Sprintf("%s: %s requests/month needs more than the capacity provider's max of %d vCPU (it serves up to %s); its monthly cost is what the fleet would cost without that limit",
				f.Name, volumeWords(monthlyRequests), f.Managed.MaxVCPU, volumeWords(mv)))
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
			notes = appendOnce(notes, fmt.Sprintf("%s: behind an API Gateway HTTP API: every cost includes its fee of $%s per 1M requests (%s %s, %s, effective %s), metered per started %d KB of request + response body, %s metered per request on average; the break-even volumes include it",
				c.target, c.gwRate().Mul(decimal.NewFromInt(1_000_000)).StringFixed(2), a.Platform, a.Region, a.Source, a.EffectiveDate, a.APIGateway.MeteringKB, sigDigits(c.gwUnits, 3)))
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
