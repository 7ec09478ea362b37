package pricing

import (
	"fmt"
	"math"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

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
		units                     []*unitStats
		estimate                  bool
		sumGW                     int64
		trials                    trialUnits
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
		a.units = append(a.units, &r.units)
		a.trials.merge(r.trials)
		if span := r.tMax.Sub(r.tMin).Seconds(); span > 0 {
			a.rateW += float64(r.n) * float64(r.n) / span
		}
		a.estimate = a.estimate || r.estimate
		a.c.hostBusy = a.c.hostBusy || r.hostBusy
	}
	var out []*configStat
	for _, k := range order {
		a := m[k]
		if a.n == 0 {
			continue
		}
		c := a.c
		c.n = a.n
		mean, lo, hi := combinedInterval(a.units, 7)
		if a.nWarm > 0 {
			c.warmU = a.warmU / float64(a.nWarm)
		} else {
			c.warmU = mean - a.coldExtra/math.Max(1, float64(a.nColdAll))
		}
		if a.nColdAll > 0 {
			c.coldExtraU = a.coldExtra / float64(a.nColdAll)
		}
		c.coldFrac = float64(a.nCold) / float64(a.n)
		c.rate = a.rateW / float64(a.n)
		if c.metered() {
			c.gwUnits = float64(a.sumGW) / float64(a.n)
		}
		fixed, pu := c.fixed.Add(c.gwPer()).InexactFloat64(), c.perUnit.InexactFloat64()
		if base := fixed + pu*mean; base > 0 {
			c.ciLow, c.ciHigh = (fixed+pu*lo)/base, (fixed+pu*hi)/base
			if iv, ok := a.trials.interval(fixed, pu); ok {
				c.ciLow, c.ciHigh = iv.Low/base, iv.High/base
			}
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
			hostBusy            bool
		}
		byMem := map[int]*agg{}
		var mems []int
		for _, ph := range ts.Phases {
			mem := memoryMB(sc, t, ph.MemorySizeMB, ph.Step, nil)
			a, ok := byMem[mem]
			if !ok {
				a = &agg{}
				byMem[mem] = a
				mems = append(mems, mem)
			}
			a.hostBusy = a.hostBusy || ph.HostBusy && ph.Experiment != "cold_starts"
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
			a.colds += ph.KnownColdStarts()
			if ph.BilledDurationMs != nil {
				a.billed += ph.BilledDurationMs.Mean * float64(n)
			} else {
				a.billed += math.Ceil(ph.LatencyMs.Mean) * float64(n)
				a.lat += ph.LatencyMs.Mean * float64(n)
			}
			if ph.InitDurationMs != nil {
				a.init += ph.InitDurationMs.Mean * float64(ph.KnownColdStarts())
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
				if c.apigw == nil && c.metered() && !c.gatewayUnitsFrom(sum.Cost) {
					notes = appendOnce(notes, fmt.Sprintf("%s: request and response sizes are not in the summary; SageMaker's data-processed charge is not included", t.Name))
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
				if c.platform == PlatformAzureFunctions {
					// The mean latency billed as one execution (each
					// execution's own rounding is not in the summary).
					c.warmU = c.entry.Azure.BilledMs(c.warmU).InexactFloat64()
				}
				c.ciLow, c.ciHigh = 1, 1
				for _, cr := range sum.Cost {
					if cr.Target == t.Name && cr.MemoryMB == mem && cr.Architecture == c.arch && cr.CostPerMillionUSD > 0 {
						c.ciLow, c.ciHigh = cr.CostPerMillionLow/cr.CostPerMillionUSD, cr.CostPerMillionHi/cr.CostPerMillionUSD
						break
					}
				}
				c.estimate = true
				c.hostBusy = a.hostBusy
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
func gatewayUnitsFromCost(rows []results.CostRow, target string, mem int, arch, component string) (float64, bool) {
	var q float64
	var n int64
	for _, r := range rows {
		if r.Target != target || r.MemoryMB != mem || r.Architecture != arch {
			continue
		}
		for _, c := range r.Components {
			if c.Name == component && r.Requests > 0 {
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
