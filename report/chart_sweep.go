package report

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/benchctl/benchctl/results"
)

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
	for _, r := range rows {
		if r.CostPerMillionUSD != nil && *r.CostPerMillionUSD > 0 {
			haveCost = true
		}
	}
	caption := "Top: platform-measured duration p50/p95/p99 per memory size. "
	if haveCost {
		caption += "Bottom: cost per 1M requests against p99 duration, each point labelled by memory; the Pareto frontier is the grey line, the cheapest configuration meeting the SLO is ringed."
	} else {
		caption += "The cost panel is omitted: the sweep has no cost figures (pricing did not run)."
	}
	draw := func(dc draw.Canvas) {
		top := newPlot("Memory sweep: duration by memory size", "memory (MB)", "duration (ms)")
		maxP99 := 0.0
		targets := map[string][]results.MemorySweepRow{}
		var order []string
		for _, r := range rows {
			if _, ok := targets[r.Target]; !ok {
				order = append(order, r.Target)
			}
			targets[r.Target] = append(targets[r.Target], r)
		}
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
			addLine(top, p50, col, 2, nil, prefix+"p50")
			addLine(top, p95, col, 1.5, dashed(), prefix+"p95")
			addLine(top, p99, col, 1.5, dotted(), prefix+"p99")
			addScatter(top, p99, col, draw.CircleGlyph{}, 2, "")
			for _, xy := range p99 {
				maxP99 = math.Max(maxP99, xy.Y)
			}
		}
		top.Legend.Left = false
		top.Y.Min = 0
		if !haveCost {
			drawPlots(dc, top)
			return
		}
		bot := newPlot("Cost per 1M requests vs p99 duration", "p99 duration (ms)", "cost per 1M requests (USD)")
		var all plotter.XYs
		sweepLabels := newLabelLayer()
		for _, t := range order {
			col := hexColour(m.colour(t))
			var xs plotter.XYs
			var labels []string
			for _, r := range targets[t] {
				if r.CostPerMillionUSD == nil {
					continue
				}
				xy := plotter.XY{X: r.DurationMs.P99, Y: *r.CostPerMillionUSD}
				xs = append(xs, xy)
				all = append(all, xy)
				labels = append(labels, fmt.Sprintf("%d MB", r.MemoryMB))
				if r.CheapestWithSLO {
					addScatter(bot, plotter.XYs{xy}, red(), draw.RingGlyph{}, 8, "cheapest meeting SLO")
				}
			}
			addScatter(bot, xs, col, draw.CircleGlyph{}, 3, t)
			for i, xy := range xs {
				sweepLabels.add(xy.X, xy.Y, labels[i])
			}
		}
		front := paretoFrontier(all)
		addLine(bot, front, grey(), 1, dashed(), "Pareto frontier")
		sweepLabels.avoid = []plotter.XYs{front}
		bot.Add(sweepLabels)
		bot.Legend.Left = false
		maxCost := 0.0
		for _, xy := range all {
			maxCost = math.Max(maxCost, xy.Y)
		}
		bot.Y.Min, bot.Y.Max = 0, maxCost*1.3
		drawPlots(dc, top, bot)
	}
	h := 4 * vg.Inch
	if haveCost {
		h = 8 * vg.Inch
	}
	return &Chart{Name: ChartMemorySweep, Title: "Memory sweep", Caption: caption, Width: 8 * vg.Inch, Height: h, draw: draw}, ""
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
