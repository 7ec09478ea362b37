package report

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/benchctl/benchctl/results"
)

// memorySweepChart draws the memory sweep: platform duration p50/p95/p99
// per memory size (x ticks at the sizes swept, on a log scale so that 256
// and 512 MB do not crowd), and cost per 1M requests against the client
// p99 latency the SLO judges, each point labelled by memory, the Pareto
// frontier, the SLO's p99 limit and the cheapest size meeting it ringed.
func (m *Model) memorySweepChart() (*Chart, string) {
	rows := m.Summary.Experiments.MemorySweep
	if len(rows) == 0 {
		return nil, "Memory sweep: skipped, no memory sweep ran."
	}
	rows = append([]results.MemorySweepRow(nil), rows...)
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Target != rows[j].Target {
			return rows[i].Target < rows[j].Target
		}
		return rows[i].MemoryMB < rows[j].MemoryMB
	})
	haveCost := false
	var sizes []float64
	seen := map[int]bool{}
	for _, r := range rows {
		if r.CostPerMillionUSD != nil && *r.CostPerMillionUSD > 0 {
			haveCost = true
		}
		if r.MemoryMB > 0 && !seen[r.MemoryMB] {
			seen[r.MemoryMB] = true
			sizes = append(sizes, float64(r.MemoryMB))
		}
	}
	sort.Float64s(sizes)
	targets := map[string][]results.MemorySweepRow{}
	var order []string
	for _, r := range rows {
		if _, ok := targets[r.Target]; !ok {
			order = append(order, r.Target)
		}
		targets[r.Target] = append(targets[r.Target], r)
	}
	slo := 0.0
	for _, t := range order {
		if v := m.sloP99(t); v > 0 {
			slo = v
		}
	}
	caption := "Top: platform-measured duration p50/p95/p99 per memory size (log scale, a tick at each size swept). "
	if haveCost {
		caption += "Bottom: cost per 1M requests against the client p99 latency (from the intended send, what the SLO judges), each point labelled by memory; the Pareto frontier is the grey line, the cheapest size meeting the SLO is ringed"
		if slo > 0 {
			caption += fmt.Sprintf(", and the dashed red line is the SLO's p99 limit (%s ms)", fmtMs(slo))
		}
		caption += "."
	} else {
		caption += "The cost panel is omitted: the sweep has no cost figures (pricing did not run)."
	}
	memAxis := func(p *plot.Plot) {
		if len(sizes) > 1 && sizes[0] > 0 {
			p.X.Scale = plot.LogScale{}
			p.X.Min, p.X.Max = sizes[0]/1.12, sizes[len(sizes)-1]*1.12
		}
		p.X.Tick.Marker = valueTicks{values: sizes, label: func(v float64) string { return fmtInt(int64(v)) }}
	}
	draw := func(dc draw.Canvas) {
		top := newPlot("Memory sweep: duration by memory size", "memory (MB)", "duration (ms)")
		memAxis(top)
		top.Y.Tick.Marker = plainTicks{}
		topLeg := newFlowLegend()
		for _, t := range order {
			col := hexColour(m.colour(t))
			var p50, p95, p99 plotter.XYs
			for _, r := range targets[t] {
				x := float64(r.MemoryMB)
				p50 = append(p50, plotter.XY{X: x, Y: r.DurationMs.P50})
				p95 = append(p95, plotter.XY{X: x, Y: r.DurationMs.P95})
				p99 = append(p99, plotter.XY{X: x, Y: r.DurationMs.P99})
			}
			prefix := ""
			if len(order) > 1 {
				prefix = t + " "
			}
			topLeg.Add(prefix+"p50", addLine(top, p50, col, 2, nil, ""))
			topLeg.Add(prefix+"p95", addLine(top, p95, col, 1.5, dashed(), ""))
			topLeg.Add(prefix+"p99", addLine(top, p99, col, 1.5, dotted(), ""), addScatter(top, p99, col, draw.CircleGlyph{}, 2, ""))
		}
		top.Y.Min = 0
		if !haveCost {
			drawPanels(dc, panel{p: top, legend: topLeg})
			return
		}
		bot := newPlot("Cost per 1M requests vs client p99 latency", "p99 latency (ms)", "cost per 1M requests (USD)")
		bot.Y.Tick.Marker = plainTicks{prefix: "$"}
		bot.X.Tick.Marker = plainTicks{}
		botLeg := newFlowLegend()
		var all plotter.XYs
		sweepLabels := newLabelLayer()
		var ring plotter.XYs
		for _, t := range order {
			col := hexColour(m.colour(t))
			var xs plotter.XYs
			for _, r := range targets[t] {
				if r.CostPerMillionUSD == nil {
					continue
				}
				xy := plotter.XY{X: r.LatencyMs.P99, Y: *r.CostPerMillionUSD}
				xs = append(xs, xy)
				all = append(all, xy)
				sweepLabels.add(xy.X, xy.Y, fmtMB(r.MemoryMB))
				if r.CheapestWithSLO {
					ring = append(ring, xy)
				}
			}
			botLeg.Add(t, addScatter(bot, xs, col, draw.CircleGlyph{}, 3, ""))
		}
		front := paretoFrontier(all)
		botLeg.Add("Pareto frontier", addLine(bot, front, grey(), 1, dashed(), ""))
		botLeg.Add("cheapest meeting the SLO", addScatter(bot, ring, red(), draw.RingGlyph{}, 8, ""))
		maxCost, maxX := 0.0, 0.0
		for _, xy := range all {
			maxCost, maxX = math.Max(maxCost, xy.Y), math.Max(maxX, xy.X)
		}
		if slo > 0 {
			botLeg.Add(fmt.Sprintf("SLO p99 %s ms", fmtMs(slo)), addLine(bot, plotter.XYs{{X: slo, Y: 0}, {X: slo, Y: maxCost * 1.3}}, red(), 1, dashed(), ""))
			maxX = math.Max(maxX, slo)
		}
		sweepLabels.avoid = []plotter.XYs{front}
		bot.Add(sweepLabels)
		bot.X.Min, bot.X.Max = 0, maxX*1.08
		bot.Y.Min, bot.Y.Max = 0, maxCost*1.3
		drawPanels(dc, panel{p: top, legend: topLeg}, panel{p: bot, legend: botLeg})
	}
	h := 4.4 * vg.Inch
	if haveCost {
		h = 8.8 * vg.Inch
	}
	return &Chart{Name: ChartMemorySweep, Title: "Memory sweep", Caption: caption, Width: 8 * vg.Inch, Height: h, draw: draw}, ""
}

// sloP99 is the p99 limit of a target's SLO (its own, else the
// scenario's), 0 when none is set or the scenario is unknown.
func (m *Model) sloP99(target string) float64 {
	if m.Scenario == nil {
		return 0
	}
	for _, t := range m.Scenario.Targets {
		if t.Name == target && t.SLO != nil && t.SLO.P99Ms > 0 {
			return t.SLO.P99Ms
		}
	}
	return m.Scenario.SLO.P99Ms
}

// paretoFrontier returns the points not dominated in (x, y), both lower
// better, sorted by x.
func paretoFrontier(pts plotter.XYs) plotter.XYs {
	s := append(plotter.XYs(nil), pts...)
	sort.Slice(s, func(i, j int) bool {
		if s[i].X != s[j].X {
			return s[i].X < s[j].X
		}
		return s[i].Y < s[j].Y
	})
	var out plotter.XYs
	best := math.Inf(1)
	for _, p := range s {
		if p.Y < best {
			out = append(out, p)
			best = p.Y
		}
	}
	return out
}
