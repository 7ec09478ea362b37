package pricing

import (
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

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
