package pricing

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/benchctl/benchctl/results"
)

// Crossing directions.
const (
	DirDearer  = "serverless_becomes_dearer"
	DirCheaper = "serverless_becomes_cheaper"
)

// Default search range of break-even volumes (requests per month): one
// request to 10^11 (about 38,000 requests/s on average).
const (
	DefaultMinMonthlyRequests = 1.0
	DefaultMaxMonthlyRequests = 1e11
)

// maxBreakpoints bounds the fleet steps examined per break-even search.
const maxBreakpoints = 20000

// DefaultIdleTimeoutS is the assumed idle time after which a serverless
// instance is reclaimed (AWS does not document it; 5–15 minutes is commonly
// observed), used by the Poisson cold-start model when the scenario gives none.
const DefaultIdleTimeoutS = 600.0

// ColdModel predicts the share of requests that start a new instance at an
// average arrival rate λ (requests/s), for Poisson arrivals and an idle
// timeout T: a request is cold when the previous one came more than T
// earlier, with probability e^(−λT). A floor f0, calibrated so that the
// model reproduces the run's measured cold-start fraction m at its measured
// rate λm, accounts for cold starts from scaling out and recycling:
//
//	f(λ) = e^(−λT) + (1 − e^(−λT)) × f0,   f0 = max(0, (m − e^(−λm T)) / (1 − e^(−λm T)))
//
// Scale multiplies the result (sensitivity analysis), clamped to [0, 1].
// With IdleTimeoutS = 0 the fraction is the constant Floor.
type ColdModel struct {
	IdleTimeoutS float64
	Floor        float64
	Scale        float64
}

// NewColdModel calibrates the floor from a measured cold fraction at a
// measured rate (see ColdModel).
func NewColdModel(idleTimeoutS, measuredFraction, measuredRPS float64) ColdModel {
	m := ColdModel{IdleTimeoutS: idleTimeoutS, Scale: 1}
	if idleTimeoutS <= 0 {
		m.Floor = clamp01(measuredFraction)
		return m
	}
	p := math.Exp(-measuredRPS * idleTimeoutS)
	if p < 1 {
		m.Floor = clamp01((measuredFraction - p) / (1 - p))
	}
	return m
}

// Fraction is f(λ), the expected share of cold requests at rate λ.
func (c ColdModel) Fraction(rate float64) float64 {
	f := c.Floor
	if c.IdleTimeoutS > 0 {
		p := math.Exp(-rate * c.IdleTimeoutS)
		f = p + (1-p)*c.Floor
	}
	s := c.Scale
	if s == 0 {
		s = 1
	}
	return clamp01(f * s)
}

func clamp01(x float64) float64 { return math.Max(0, math.Min(1, x)) }

// Serverless is one serverless configuration's monthly cost model, built
// from measured per-request costs.
//
// AWS Lambda (Entry has lambda rates): the month's GB-s = Σ_slots N_k ×
// (g_warm + f(λ_k) × g_cold_extra) go through the marginal duration
// brackets; requests pay the request fee; ephemeral storage above 512 MB
// pays GB-s × (EphemeralMB − 512)/MemoryMB at its rate (the same billed
// seconds); the optional free tier is subtracted at tier-1 rates (it does
// not cover storage). Other platforms: cost = Σ_slots N_k × (c_warm +
// f(λ_k) × c_cold_extra). Behind API Gateway (APIGW set), V × units
// metered requests go through the gateway's marginal request brackets.
type Serverless struct {
	Name         string
	Target       string
	Platform     string
	Architecture string
	MemoryMB     int
	Entry        *Entry
	// APIGW is the API Gateway HTTP API entry when the function sits
	// behind one (nil: no gateway fee).
	APIGW *Entry
	// GatewayUnits is the mean metered API Gateway requests per request
	// (one per started 512 KB of request + response body, so >= 1;
	// APIGatewayRates.MeteredRequests); 0 means 1.
	GatewayUnits float64
	// EphemeralMB is the function's ephemeral storage (512 and below: no charge).
	EphemeralMB int
	// Lambda: GB-s per warm request and extra GB-s per cold start.
	WarmGBs, ColdExtraGBs decimal.Decimal
	// Other platforms: USD per warm request and extra USD per cold start.
	WarmUSD, ColdExtraUSD decimal.Decimal
	Cold                  ColdModel
	FreeTier              bool
	// CILow and CIHigh scale the monthly cost to the bounds of the per-request
	// cost's 95% confidence interval (1 when unknown).
	CILow, CIHigh float64
	// HostBusy: a phase the costs were measured in was host_busy.
	HostBusy bool
}

// Monthly is the configuration's cost for a month of monthlyRequests shaped
// by p.
func (s *Serverless) Monthly(monthlyRequests float64, p Profile) decimal.Decimal {
	return s.monthly(monthlyRequests, p, 1)
}

func (s *Serverless) monthly(v float64, p Profile, factor float64) decimal.Decimal {
	total := decimal.Zero
	for _, c := range s.parts(v, p) {
		total = total.Add(c.usd)
	}
	if factor != 1 {
		total = total.Mul(decimal.NewFromFloat(factor))
	}
	if total.IsNegative() {
		return decimal.Zero
	}
	return total
}

// monthlyPart is one labelled part of a month's serverless cost.
type monthlyPart struct {
	name  string
	usd   decimal.Decimal
	entry *Entry
}

// gatewayUnits is the mean metered API Gateway requests per request.
func (s *Serverless) gatewayUnits() decimal.Decimal {
	if s.GatewayUnits > 0 {
		return decimal.NewFromFloat(s.GatewayUnits)
	}
	return decimal.NewFromInt(1)
}

// ephemeralPerGBs is the storage GB-s per compute GB-s: (EphemeralMB −
// 512) / MemoryMB (zero at or below 512 MB or without a memory size).
func (s *Serverless) ephemeralPerGBs() decimal.Decimal {
	if s.EphemeralMB <= IncludedEphemeralMB || s.MemoryMB <= 0 {
		return decimal.Zero
	}
	return decimal.NewFromInt(int64(s.EphemeralMB - IncludedEphemeralMB)).Div(decimal.NewFromInt(int64(s.MemoryMB)))
}

// parts is the month's cost at volume v split into the results.Cost*
// components (free tier subtracted from the parts it covers).
func (s *Serverless) parts(v float64, p Profile) []monthlyPart {
	if v <= 0 {
		return nil
	}
	colds := 0.0
	for k, r := range p.Rates(v) {
		colds += v * p.Weights[k] * s.Cold.Fraction(r)
	}
	V := decimal.NewFromFloat(v)
	C := decimal.NewFromFloat(colds)
	var out []monthlyPart
	if s.Entry != nil && s.Entry.Lambda != nil {
		l := s.Entry.Lambda
		gbs := V.Mul(s.WarmGBs).Add(C.Mul(s.ColdExtraGBs))
		req := V.Mul(l.RequestUSD)
		compute := TieredCost(l.tiers(), gbs)
		if s.FreeTier {
			req = req.Sub(decimal.Min(V, l.FreeRequests).Mul(l.RequestUSD))
			compute = compute.Sub(decimal.Min(gbs, l.FreeGBSeconds).Mul(l.DurationTiers[0].USD))
		}
		out = append(out, monthlyPart{results.CostRequests, req, s.Entry}, monthlyPart{results.CostCompute, compute, s.Entry})
		if e := s.ephemeralPerGBs(); e.IsPositive() {
			out = append(out, monthlyPart{results.CostEphemeralStorage, gbs.Mul(e).Mul(l.EphemeralGBSecondUSD), s.Entry})
		}
	} else {
		out = append(out, monthlyPart{results.CostRequestsAndCompute, V.Mul(s.WarmUSD).Add(C.Mul(s.ColdExtraUSD)), s.Entry})
	}
	if s.APIGW != nil && s.APIGW.APIGateway != nil {
		out = append(out, monthlyPart{results.CostAPIGatewayHTTP, TieredCost(s.APIGW.APIGateway.RequestTiers, V.Mul(s.gatewayUnits())), s.APIGW})
	}
	return out
}

// MonthlyComponents is Monthly split into its labelled parts (request
// fee, compute, ephemeral storage, API Gateway), each with its price-book
// entry; they add up to Monthly (before its clamp at zero).
func (s *Serverless) MonthlyComponents(monthlyRequests float64, p Profile) []results.MonthlyCostComponent {
	var out []results.MonthlyCostComponent
	for _, c := range s.parts(monthlyRequests, p) {
		mc := results.MonthlyCostComponent{Name: c.name, MonthlyCostUSD: c.usd.InexactFloat64()}
		if c.entry != nil {
			mc.PriceSource, mc.PriceEffective = c.entry.Source, c.entry.EffectiveDate
		}
		out = append(out, mc)
	}
	return out
}

// Fleet is an always-on fleet of one instance type sized from measured
// capacity: in each slot of the profile
//
//	n_k = max(min, 1, ceil(rate_k / (capacity_rps × utilisation))) [+1 for N+1]
//
// An autoscaled fleet pays Σ_k n_k × hourly × 730/K; a fixed fleet is sized
// for the peak slot and pays max_k n_k × hourly × 730. Burstable types add
// surplus CPU credits by AWS's 24-hour rule (see surplusVCPUSlots), taking
// CPU utilisation as rate_k / (n_k × capacity).
//
// With Managed set it is a Lambda Managed Instances fleet (see
// ManagedPricing): autoscaled hour by hour, never below its capacity
// provider's minimum, pre-scaled for the documented scaling rate, at the
// on-demand price plus the management fee, plus a fee per request.
type Fleet struct {
	Name        string
	Instance    string
	Entry       *Entry
	CapacityRPS float64
	// CapacityLow/High bound the capacity (its CI); 0 when unknown.
	CapacityLow, CapacityHigh float64
	Utilisation               float64
	MinInstances              int
	NPlusOne                  bool
	Autoscaled                bool
	CapacityAssumption        string
	// PriceScale multiplies the hourly price (sensitivity analysis; 0 = 1).
	PriceScale float64
	// Managed makes the fleet a Lambda Managed Instances fleet (nil: a
	// self-run fleet).
	Managed *ManagedPricing
	// HostBusy: the capacity search the capacity comes from ran while the
	// host was host_busy.
	HostBusy bool
}

// Kind is the option kind of the fleet's rows and curves:
// results.OptionLambdaManaged or results.OptionFleet.
func (f *Fleet) Kind() string {
	if f.Managed != nil {
		return results.OptionLambdaManaged
	}
	return results.OptionFleet
}

// Count is the number of instances needed for a slot at rate requests/s.
func (f *Fleet) Count(rate float64) int {
	per := f.CapacityRPS * f.util()
	n := 0
	if per > 0 && rate > 0 {
		n = int(math.Min(math.Ceil(rate/per-1e-12), maxFleetInstances))
	}
	n = max(n, f.MinInstances, 1)
	if f.NPlusOne {
		n++
	}
	return n
}

// maxFleetInstances caps an instance count (a checked input keeps counts
// far below; the cap keeps the int conversion defined whatever happens).
const maxFleetInstances = 1 << 40

// slotCounts is the instance count held in each slot and the peak. A
// self-run fleet holds Count(rate_k). A Lambda Managed Instances fleet
// scales asynchronously and absorbs traffic that at most doubles within
// its scaling period (5 minutes): a step of the profile to more than twice
// the rate must find at least half of the next slot's instances already
// running, so slot k holds max(Count(rate_k), Count(rate_{k+1} / 2)) (the
// profile repeats, so the last slot is followed by the first).
func (f *Fleet) slotCounts(rates []float64) ([]int, int) {
	counts := make([]int, len(rates))
	for k, r := range rates {
		counts[k] = f.Count(r)
	}
	if f.Managed != nil && len(rates) > 1 {
		held := make([]int, len(rates))
		for k := range rates {
			held[k] = max(counts[k], f.Count(rates[(k+1)%len(rates)]/2))
		}
		counts = held
	}
	peak := 0
	for _, c := range counts {
		peak = max(peak, c)
	}
	return counts, peak
}

func (f *Fleet) util() float64 {
	if f.Utilisation <= 0 || f.Utilisation > 1 {
		return 1
	}
	return f.Utilisation
}

// autoscaled reports whether the fleet follows the profile slot by slot
// (a Lambda Managed Instances fleet always does).
func (f *Fleet) autoscaled() bool { return f.Autoscaled || f.Managed != nil }

// hourlyUSD is one instance-hour: the on-demand price (× PriceScale for
// the sensitivity analysis), plus the management fee for a managed fleet.
func (f *Fleet) hourlyUSD() decimal.Decimal {
	hourly := f.Entry.EC2.HourlyUSD
	if f.PriceScale > 0 && f.PriceScale != 1 {
		hourly = hourly.Mul(decimal.NewFromFloat(f.PriceScale))
	}
	if f.Managed != nil {
		hourly = hourly.Mul(decimal.NewFromInt(1).Add(f.Managed.Entry.LambdaManaged.ManagementFee))
	}
	return hourly
}

// instanceSlots is Σ_k n_k (autoscaled) or K × max_k n_k (fixed), the
// instance-slots a month of the profile's rates holds.
func (f *Fleet) instanceSlots(rates []float64) (slots int64, counts []int, peak int) {
	counts, peak = f.slotCounts(rates)
	for k := range rates {
		if f.autoscaled() {
			slots += int64(counts[k])
		} else {
			slots += int64(peak)
		}
	}
	return slots, counts, peak
}

// Monthly is the fleet's cost for a month of monthlyRequests shaped by p.
func (f *Fleet) Monthly(monthlyRequests float64, p Profile) decimal.Decimal {
	total := decimal.Zero
	for _, c := range f.monthlyParts(monthlyRequests, p) {
		total = total.Add(c.usd)
	}
	return total
}

// monthlyParts is the month's cost split into the instances' on-demand
// price, burstable surplus credits, and for a managed fleet its management
// fee and request fee, each with its price-book entry.
func (f *Fleet) monthlyParts(monthlyRequests float64, p Profile) []monthlyPart {
	v := math.Max(0, monthlyRequests)
	rates := p.Rates(v)
	slots, counts, peak := f.instanceSlots(rates)
	// Σ_k n_k × hourly × 730/K, summed exactly: instance-slots first.
	K := decimal.NewFromInt(int64(len(rates)))
	month := decimal.NewFromInt(HoursPerMonth)
	onDemand := f.Entry.EC2.HourlyUSD
	if f.PriceScale > 0 && f.PriceScale != 1 {
		onDemand = onDemand.Mul(decimal.NewFromFloat(f.PriceScale))
	}
	instances := decimal.NewFromInt(slots).Mul(onDemand).Mul(month).Div(K)
	out := []monthlyPart{{results.CostInstances, instances, f.Entry}}
	if e := f.Entry.EC2; e.Burstable && f.CapacityRPS > 0 {
		// Surplus credits by the 24-hour rule (surplusVCPUSlots): a
		// quantity in vCPU-slots, priced once: × credit rate × 730/K.
		held := counts
		if !f.autoscaled() {
			held = make([]int, len(rates))
			for k := range held {
				held[k] = peak
			}
		}
		surplus := surplusVCPUSlots(rates, held, f.CapacityRPS, e.BaselinePerVCPU.InexactFloat64(), e.VCPU, p.SlotHours())
		if surplus > 0 {
			out = append(out, monthlyPart{results.CostSurplusCredits, decimal.NewFromFloat(surplus).Mul(e.SurplusCreditVCPUHourUSD).Mul(month).Div(K), f.Entry})
		}
	}
	if m := f.Managed; m != nil {
		r := m.Entry.LambdaManaged
		out = append(out,
			monthlyPart{results.CostManagementFee, instances.Mul(r.ManagementFee), m.Entry},
			monthlyPart{results.CostRequests, decimal.NewFromFloat(v).Mul(r.RequestUSD), m.Entry})
	}
	return out
}

// MonthlyComponents is Monthly split into its labelled parts (instances,
// surplus credits, management fee, requests), each with its entry.
func (f *Fleet) MonthlyComponents(monthlyRequests float64, p Profile) []results.MonthlyCostComponent {
	var out []results.MonthlyCostComponent
	for _, c := range f.monthlyParts(monthlyRequests, p) {
		out = append(out, results.MonthlyCostComponent{Name: c.name, MonthlyCostUSD: c.usd.InexactFloat64(),
			PriceSource: c.entry.Source, PriceEffective: c.entry.EffectiveDate})
	}
	return out
}

// maxVolume is the monthly volume above which a managed fleet would need
// more instances than its capacity provider's max vCPU allows (0: no
// limit); break-even searches stop there.
func (f *Fleet) maxVolume(p Profile) float64 {
	if f.Managed == nil || f.Managed.MaxInstances <= 0 {
		return 0
	}
	wmax := 0.0
	for _, w := range p.Weights {
		wmax = math.Max(wmax, w)
	}
	per := f.CapacityRPS * f.util()
	if wmax <= 0 || per <= 0 {
		return 0
	}
	return float64(f.Managed.MaxInstances) * per * p.SlotHours() * 3600 / wmax
}

// breakpoints are the volumes in (lo, hi) at which some slot's instance
// count steps up (the fleet cost jumps just after each), ascending. At most
// maxBreakpoints are returned, the lowest ones; truncated is true when there
// were more. The work is bounded whatever the inputs: each slot weight
// contributes at most maxBreakpoints candidates below the running cut-off,
// and steps closer together than float64 can tell apart (a capacity so small
// that j × step exceeds 2^52) end the enumeration as truncated.
func (f *Fleet) breakpoints(p Profile, lo, hi float64) ([]float64, bool) {
	per := f.CapacityRPS * f.util()
	if !(per > 0) || math.IsInf(per, 0) || !(hi > lo) {
		return nil, false
	}
	slotS := p.SlotHours() * 3600
	weights := f.stepWeights(p)
	var out []float64
	truncated := false
	cut := hi
	seenW := map[float64]bool{}
	for _, w := range weights {
		if !(w > 0) || seenW[w] {
			continue
		}
		seenW[w] = true
		// V at which rate = j × per: V = j × per × slotS / w.
		step := per * slotS / w
		if !(step > 0) || math.IsInf(step, 0) {
			continue
		}
		j0 := math.Max(1, math.Floor(lo/step))
		if j0 > 1<<52 {
			// Consecutive steps are closer than float64 resolves.
			truncated = true
			continue
		}
		for n := 0; n <= maxBreakpoints; n++ {
			v := (j0 + float64(n)) * step
			if v >= cut {
				break
			}
			if n == maxBreakpoints {
				truncated = true
				break
			}
			if v > lo {
				out = append(out, v)
			}
		}
		if len(out) > maxBreakpoints {
			sort.Float64s(out)
			out = out[:maxBreakpoints]
			cut = out[len(out)-1]
			truncated = true
		}
	}
	sort.Float64s(out)
	out = dedupSorted(out)
	if len(out) > maxBreakpoints {
		out, truncated = out[:maxBreakpoints], true
	}
	return mergeNear(out), truncated
}

// stepWeights are the slot weights at which the fleet's count steps: the
// profile's weights (autoscaled), or the peak weight alone (fixed).
func (f *Fleet) stepWeights(p Profile) []float64 {
	if f.Managed != nil {
		// Each slot's count also steps with half the next slot's rate.
		ws := append([]float64(nil), p.Weights...)
		for _, w := range p.Weights {
			ws = append(ws, w/2)
		}
		return ws
	}
	if f.Autoscaled {
		return p.Weights
	}
	wmax := 0.0
	for _, w := range p.Weights {
		wmax = math.Max(wmax, w)
	}
	return []float64{wmax}
}

// dedupSorted drops exact duplicates from an ascending slice.
func dedupSorted(vs []float64) []float64 {
	out := vs[:0]
	for i, v := range vs {
		if i == 0 || v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

// stepMergeRel is the relative distance within which fleet steps count as
// one. Slots whose weights are in an integer ratio (a diurnal base and peak
// of 1:3, say) step at the same volume, but j × per × slotS / w computed for
// each weight can land a few ulps apart; kept apart, the search would see
// the serverless cost squeezed between two sub-steps an ulp wide and report
// a spurious cheaper/dearer/cheaper triplet at one volume.
const stepMergeRel = 1e-9

// mergeNear collapses runs of ascending volumes closer than stepMergeRel
// (relative) to their largest member, so a search starting just past the
// merged step is past all of them.
func mergeNear(vs []float64) []float64 {
	out := vs[:0]
	for _, v := range vs {
		if n := len(out); n > 0 && v-out[n-1] <= stepMergeRel*v {
			out[n-1] = v
			continue
		}
		out = append(out, v)
	}
	return out
}

// Pair is one serverless configuration against one fleet under a profile.
type Pair struct {
	S       *Serverless
	F       *Fleet
	Profile Profile
	// SFactor scales the serverless cost (CI bounds, sensitivity; 0 = 1).
	SFactor float64
}

func (pr Pair) diff(v float64) decimal.Decimal {
	f := pr.SFactor
	if f == 0 {
		f = 1
	}
	return pr.S.monthly(v, pr.Profile, f).Sub(pr.F.Monthly(v, pr.Profile))
}

// Crossings finds every volume in [lo, hi] at which the serverless and
// fleet monthly costs cross. The fleet cost is a step function of volume:
// between two steps it is constant (or continuous, for burstable credits)
// and the serverless cost is continuous, so each piece is sampled (densely
// where it spans decades, where the cold-start model bends the serverless
// curve) and every sign change of the difference is bisected to a relative
// width of 1e-9; a step of the fleet that jumps over the serverless curve is
// a crossing at the step. Steps closer than a relative 1e-9 are merged into
// one (see stepMergeRel). truncated is true when the fleet had more steps
// than examined. Crossings returns every crossing found; Analysis.BreakEven
// lists at most MaxCrossings of them in a row.
//
// The work is bounded (at most maxBreakpoints pieces, 64 samples and 200
// bisection steps each) and Crossings returns ctx's error as soon as it is
// cancelled, with the crossings found so far.
func (pr Pair) Crossings(ctx context.Context, lo, hi float64) (out []results.Crossing, truncated bool, err error) {
	if !(lo > 0) || !(hi > lo) || math.IsInf(hi, 0) {
		return nil, false, fmt.Errorf("break-even search range [%g, %g] requests/month: want 0 < low < high < +Inf", lo, hi)
	}
	if mv := pr.F.maxVolume(pr.Profile); mv > 0 && mv < hi {
		// A managed fleet cannot grow past its provider's max vCPU.
		if mv <= lo {
			return nil, false, nil
		}
		hi = mv
	}
	bps, truncated := pr.F.breakpoints(pr.Profile, lo, hi)
	if truncated && len(bps) > 0 {
		hi = bps[len(bps)-1]
	}
	edges := append([]float64{lo}, bps...)
	edges = append(edges, hi)
	neg := func(d decimal.Decimal) bool { return d.IsNegative() }
	add := func(v float64, becameDearer bool) {
		dir := DirCheaper
		if becameDearer {
			dir = DirDearer
		}
		// The serverless cost at the crossing: equal to the fleet's at a
		// bisected crossing, and the level the fleet's step jumps over at a step.
		f := pr.SFactor
		if f == 0 {
			f = 1
		}
		cost := pr.S.monthly(v, pr.Profile, f)
		out = append(out, results.Crossing{MonthlyRequests: v, AverageRPS: AverageRPS(v), Direction: dir, CostUSD: cost.InexactFloat64()})
	}
	var prevNeg bool
	for i := 0; i+1 < len(edges); i++ {
		if err := ctx.Err(); err != nil {
			return out, truncated, err
		}
		a, b := edges[i], edges[i+1]
		if b <= a {
			continue
		}
		start := a
		if i > 0 {
			start = a * (1 + 1e-9) // just past the step (Count tolerates 1e-12)
		}
		startNeg := neg(pr.diff(start))
		if i > 0 && startNeg != prevNeg {
			add(a, !startNeg)
		}
		samples := 2
		if ratio := b / start; ratio > 2 {
			samples = min(64, 4*int(math.Ceil(math.Log2(ratio))))
		}
		x0, n0 := start, startNeg
		for s := 1; s <= samples; s++ {
			x1 := b
			if s < samples {
				x1 = start * math.Pow(b/start, float64(s)/float64(samples))
			}
			n1 := neg(pr.diff(x1))
			if n1 != n0 {
				l, r := x0, x1
				for it := 0; it < 200 && (r-l) > 1e-9*r; it++ {
					if it%32 == 31 && ctx.Err() != nil {
						return out, truncated, ctx.Err()
					}
					m := l + (r-l)/2
					if neg(pr.diff(m)) == n0 {
						l = m
					} else {
						r = m
					}
				}
				add(r, n0 && !n1)
			}
			x0, n0 = x1, n1
		}
		prevNeg = n0
		if pr.settled(b) {
			break
		}
	}
	return out, truncated, nil
}

// settled reports whether no crossing can follow volume v. With
// slope = P × shape / (capacity × utilisation × 730 h × 3600) per request
// (P the instance-month, shape the peak-to-average ratio for a fixed fleet
// and 1 for an autoscaled one) the fleet's cost is bounded by
//
//	slope × V ≤ F(V) ≤ (slope + credit) × V + P × (1 + N+1 + min_instances)
//
// (credit: the most surplus CPU credits add per request, for burstable
// types). In the cold-start model's linear regime (e^(−λT) < 1e-9 in every
// busy slot) the serverless cost grows by at least mMin and at most mMax per
// request. So serverless stays dearer once S(v) exceeds the upper bound and
// mMin > slope + credit, and stays cheaper once S(v) is below slope × v and
// mMax < slope.
func (pr Pair) settled(v float64) bool {
	f := pr.F
	per := f.CapacityRPS * f.util()
	if per <= 0 {
		return false
	}
	s := pr.S
	for k, r := range pr.Profile.Rates(v) {
		if pr.Profile.Weights[k] > 0 && s.Cold.IdleTimeoutS > 0 && math.Exp(-r*s.Cold.IdleTimeoutS) > 1e-9 {
			return false
		}
	}
	factor := pr.SFactor
	if factor == 0 {
		factor = 1
	}
	fd := decimal.NewFromFloat(factor)
	coldShare := decimal.NewFromFloat(s.Cold.Fraction(math.Inf(1)))
	var mMin, mMax decimal.Decimal
	if s.Entry != nil && s.Entry.Lambda != nil {
		l := s.Entry.Lambda
		lo, hi := tierRange(l.tiers())
		gbs := s.WarmGBs.Add(s.ColdExtraGBs.Mul(coldShare))
		eph := gbs.Mul(s.ephemeralPerGBs()).Mul(l.EphemeralGBSecondUSD)
		mMin, mMax = l.RequestUSD.Add(gbs.Mul(lo)).Add(eph), l.RequestUSD.Add(gbs.Mul(hi)).Add(eph)
	} else {
		mMin = s.WarmUSD.Add(s.ColdExtraUSD.Mul(coldShare))
		mMax = mMin
	}
	if a := s.APIGW; a != nil && a.APIGateway != nil {
		alo, ahi := tierRange(a.APIGateway.RequestTiers)
		u := s.gatewayUnits()
		mMin, mMax = mMin.Add(alo.Mul(u)), mMax.Add(ahi.Mul(u))
	}
	mMin, mMax = mMin.Mul(fd), mMax.Mul(fd)
	lo, hi, fixed := f.costBounds(pr.Profile)
	V := decimal.NewFromFloat(v)
	sv := s.monthly(v, pr.Profile, factor)
	switch {
	case sv.GreaterThan(hi.Mul(V).Add(fixed)) && mMin.GreaterThan(hi):
		return true
	case sv.LessThan(lo.Mul(V)) && mMax.LessThan(lo):
		return true
	}
	return false
}

// costBounds bounds the fleet's monthly cost F(V) for every volume V:
//
//	lo × V ≤ F(V) ≤ hi × V + fixed
//
// With P the instance-month (hourly × 730, the management fee included for
// a managed fleet), c = capacity × utilisation and shape the peak-to-average
// ratio for a fixed fleet (1 when autoscaled), slope = P × shape / (c × 730 h
// × 3600 s) per request. A self-run fleet: lo = slope, hi = slope + the
// most burstable credits add per request, fixed = P × (1 + min + N+1). A
// managed fleet holds max(n_k, n(rate_{k+1}/2)) ≤ min + 1 + (rate_k +
// rate_{k+1}/2)/c in each slot: lo = slope + request fee, hi = 1.5 × slope
// + request fee, fixed = P × (1 + min).
func (f *Fleet) costBounds(p Profile) (lo, hi, fixed decimal.Decimal) {
	per := f.CapacityRPS * f.util()
	instMonth := f.hourlyUSD().Mul(decimal.NewFromInt(HoursPerMonth))
	shape := 1.0
	if !f.autoscaled() {
		shape = p.PeakToAverage()
	}
	slope := instMonth.Mul(decimal.NewFromFloat(shape / (per * HoursPerMonth * 3600)))
	if m := f.Managed; m != nil {
		req := m.Entry.LambdaManaged.RequestUSD
		return slope.Add(req), slope.Mul(decimal.NewFromFloat(1.5)).Add(req), instMonth.Mul(decimal.NewFromInt(int64(1 + f.MinInstances)))
	}
	credit := decimal.Zero
	if e := f.Entry.EC2; e.Burstable && f.CapacityRPS > 0 {
		credit = e.SurplusCreditVCPUHourUSD.Mul(decimal.NewFromInt(int64(e.VCPU))).Div(decimal.NewFromFloat(3600 * f.CapacityRPS))
	}
	extra := 1 + f.MinInstances
	if f.NPlusOne {
		extra++
	}
	return slope, slope.Add(credit), instMonth.Mul(decimal.NewFromInt(int64(extra)))
}

// tierRange is the lowest and highest marginal price of ts (not empty).
func tierRange(ts []Tier) (lo, hi decimal.Decimal) {
	lo, hi = ts[0].USD, ts[0].USD
	for _, t := range ts[1:] {
		lo, hi = decimal.Min(lo, t.USD), decimal.Max(hi, t.USD)
	}
	return lo, hi
}

// firstDearer is the first volume at which serverless becomes dearer than
// the fleet (0 when none in range).
func firstDearer(cs []results.Crossing) float64 {
	for _, c := range cs {
		if c.Direction == DirDearer {
			return c.MonthlyRequests
		}
	}
	return 0
}

// Curve is one cost curve of the break-even chart: monthly cost against
// monthly requests, for one serverless configuration (Kind
// results.OptionServerless), one self-run instance fleet
// (results.OptionFleet) or one Lambda Managed Instances fleet
// (results.OptionLambdaManaged); fleets of either kind are step functions
// sampled on both sides of every step in range.
type Curve struct {
	Name   string
	Kind   string
	Points []CurvePoint
}

// CurvePoint is one point of a Curve; LowUSD and HighUSD bound it (cost CI
// for serverless, capacity CI for fleets; equal to USD when unknown).
type CurvePoint struct {
	MonthlyRequests, USD, LowUSD, HighUSD float64
}

// Describe labels a fleet for reports.
func (f *Fleet) Describe() string {
	if m := f.Managed; m != nil {
		return fmt.Sprintf("%s Lambda Managed Instances (autoscaled hour by hour, %s rps/instance at %.0f%% utilisation, at least %d instances, at most %d vCPU, pre-scaled for steps over 2x)",
			f.Instance, sigDigits(f.CapacityRPS, 3), f.util()*100, f.MinInstances, m.MaxVCPU)
	}
	mode := "fixed for peak"
	if f.Autoscaled {
		mode = "autoscaled"
	}
	s := fmt.Sprintf("%s fleet (%s, %s rps/instance at %.0f%% utilisation", f.Instance, mode, sigDigits(f.CapacityRPS, 3), f.util()*100)
	if f.NPlusOne {
		s += ", N+1"
	}
	return s + ")"
}

func (f *Fleet) withCapacity(c float64) *Fleet {
	g := *f
	g.CapacityRPS = c
	return &g
}

func logSpace(lo, hi float64, n int) []float64 {
	if n < 2 {
		n = 2
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = lo * math.Pow(hi/lo, float64(i)/float64(n-1))
	}
	return out
}
