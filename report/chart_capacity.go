package report

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/benchctl/benchctl/results"
)

func (m *Model) capacityChart() (*Chart, string) {
	caps := m.Summary.Experiments.Capacity
	if len(caps) == 0 {
		return nil, "Capacity curve: skipped, no capacity experiment ran."
	}
	var captions []string
	for _, c := range caps {
		captions = append(captions, fmt.Sprintf("%s: capacity %s rps (%s–%s) at p99 ≤ %s ms", c.Target, fmtRate(c.CapacityRPS), fmtRate(c.CapacityRPSLow), fmtRate(c.CapacityRPSHi), fmtMs(c.SLOP99Ms)))
	}
	draw := func(dc draw.Canvas) {
		p := newPlot("Capacity: latency vs offered load", "offered load (requests/s)", "latency (ms)")
		maxY := 0.0
		for _, c := range caps {
			col := hexColour(m.colour(c.Target))
			steps := append([]results.CapacityStep(nil), c.Steps...)
			sort.Slice(steps, func(i, j int) bool { return steps[i].OfferedRPS < steps[j].OfferedRPS })
			var p50, p99, failed plotter.XYs
			errs := make(plotter.YErrors, 0, len(steps))
			for _, s := range steps {
				p50 = append(p50, plotter.XY{X: s.OfferedRPS, Y: s.P50Ms})
				p99 = append(p99, plotter.XY{X: s.OfferedRPS, Y: s.P99Ms})
				lo, hi := s.P99Ms-s.P99LowMs, s.P99HighMs-s.P99Ms
				errs = append(errs, struct{ Low, High float64 }{math.Max(lo, 0), math.Max(hi, 0)})
				if !s.Passed {
					failed = append(failed, plotter.XY{X: s.OfferedRPS, Y: s.P99Ms})
				}
				maxY = math.Max(maxY, math.Max(s.P99Ms, s.P99HighMs))
			}
			addLine(p, p50, col, 1.5, dashed(), c.Target+" p50")
			addLine(p, p99, col, 2, nil, c.Target+" p99")
			addScatter(p, p99, col, draw.CircleGlyph{}, 2.5, "")
			if len(p99) > 0 {
				if eb, err := plotter.NewYErrorBars(struct {
					plotter.XYs
					plotter.YErrors
				}{p99, errs}); err == nil {
					eb.Color = col
					p.Add(eb)
				}
			}
			addScatter(p, failed, red(), draw.CrossGlyph{}, 4, "step failed SLO")
			if c.SLOP99Ms > 0 {
				maxY = math.Max(maxY, c.SLOP99Ms*1.2)
			}
			if c.CapacityRPS > 0 {
				addLine(p, plotter.XYs{{X: c.CapacityRPS, Y: 0}, {X: c.CapacityRPS, Y: maxY}}, col, 1, dotted(), "")
				addLabels(p, plotter.XYs{{X: c.CapacityRPS, Y: maxY * 0.9}}, []string{fmt.Sprintf("capacity %s rps", fmtRate(c.CapacityRPS))})
			}
		}
		for _, c := range caps {
			if c.SLOP99Ms > 0 && len(c.Steps) > 0 {
				lo, hi := math.Inf(1), math.Inf(-1)
				for _, s := range c.Steps {
					lo, hi = math.Min(lo, s.OfferedRPS), math.Max(hi, s.OfferedRPS)
				}
				addLine(p, plotter.XYs{{X: lo, Y: c.SLOP99Ms}, {X: hi, Y: c.SLOP99Ms}}, red(), 1, dashed(), fmt.Sprintf("SLO p99 %s ms", fmtMs(c.SLOP99Ms)))
			}
		}
		p.Y.Min = 0
		p.Y.Max = maxY * 1.05
		drawPlots(dc, p)
	}
	return &Chart{Name: ChartCapacity, Title: "Capacity curve",
		Caption: "p50 and p99 latency (with the p99's CI) against offered Poisson load; the dashed red line is the SLO and the dotted line the capacity found. " + strings.Join(captions, "; ") + ".",
		Width:   8 * vg.Inch, Height: 4.5 * vg.Inch, draw: draw}, ""
}
