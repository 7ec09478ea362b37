package report

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

func (m *Model) coldStartChart() (*Chart, string) {
	type coldRow struct {
		name       string
		init       []float64
		cold, warm [3]float64 // p50, p99, n
	}
	var rows []coldRow
	if m.data != nil {
		for _, t := range m.data.Targets {
			if t.Cold == 0 && len(t.InitMs) == 0 {
				continue
			}
			r := coldRow{name: t.Name, init: t.InitMs}
			if n := t.ColdLatency.TotalCount(); n > 0 {
				r.cold = [3]float64{quantileMs(t.ColdLatency, 0.5), quantileMs(t.ColdLatency, 0.99), float64(n)}
			}
			if n := t.WarmLatency.TotalCount(); n > 0 {
				r.warm = [3]float64{quantileMs(t.WarmLatency, 0.5), quantileMs(t.WarmLatency, 0.99), float64(n)}
			}
			rows = append(rows, r)
		}
	}
	cs := m.Summary.Experiments.ColdStarts
	if len(rows) == 0 && cs == nil {
		return nil, "Cold starts: skipped, the run recorded no cold starts."
	}
	if len(rows) == 0 && cs != nil {
		rows = append(rows, coldRow{name: cs.Target,
			cold: [3]float64{cs.ColdLatencyMs.P50, cs.ColdLatencyMs.P99, float64(cs.ColdLatencyMs.Count)},
			warm: [3]float64{cs.WarmLatencyMs.P50, cs.WarmLatencyMs.P99, float64(cs.WarmLatencyMs.Count)}})
	}
	draw := func(dc draw.Canvas) {
		var plots []*plot.Plot
		top := newPlot("Init duration distribution", "init duration (ms)", "cold starts")
		haveInit := false
		for _, r := range rows {
			if len(r.init) == 0 {
				continue
			}
			h, err := plotter.NewHist(plotter.Values(r.init), min(30, 1+int(math.Sqrt(float64(len(r.init))))))
			if err != nil {
				continue
			}
			col := hexColour(m.colour(r.name))
			h.FillColor = withAlpha(col, 150)
			h.LineStyle.Color = col
			top.Add(h)
			top.Legend.Add(r.name, h)
			haveInit = true
		}
		top.Legend.Left = false
		if haveInit {
			plots = append(plots, top)
		}
		bot := newPlot("Cold vs warm latency", "", "latency (ms)")
		bot.Y.Tick.Marker = plainTicks{}
		w := vg.Points(34 / float64(max(1, len(rows))))
		var vals []plotter.XY
		var texts []string
		for i, r := range rows {
			col := hexColour(m.colour(r.name))
			bars := plotter.Values{r.warm[0], r.warm[1], r.cold[0], r.cold[1]}
			bc, err := plotter.NewBarChart(bars, w)
			if err != nil {
				continue
			}
			bc.Color = withAlpha(col, 200)
			bc.LineStyle.Width = 0
			bc.Offset = (vg.Length(i) - vg.Length(len(rows)-1)/2) * w
			bot.Add(bc)
			bot.Legend.Add(r.name, bc)
			if len(rows) == 1 {
				for j, v := range bars {
					vals = append(vals, plotter.XY{X: float64(j), Y: v})
					texts = append(texts, fmtMs(v)+" ms")
				}
			}
		}
		bot.NominalX("warm p50", "warm p99", "cold p50", "cold p99")
		// Room for the outer bars: NominalX puts the first and last on the
		// axis ends.
		bot.X.Min, bot.X.Max = -0.6, 3.6
		bot.Y.Min = 0
		maxBar := 0.0
		for _, r := range rows {
			maxBar = math.Max(maxBar, math.Max(r.cold[1], r.warm[1]))
		}
		bot.Y.Max = maxBar * 1.25 // headroom for the legend and the values
		bot.Legend.Left = false
		if len(vals) > 0 {
			// One target: each bar's value above it.
			ll := addLabels(bot, vals, texts, labelDir{1, 1}, labelDir{-1, 1})
			ll.ignoreAnchors = true
		}
		plots = append(plots, bot)
		drawPlots(dc, plots...)
	}
	caption := "Top: distribution of platform-reported init durations (when present). Bottom: latency p50/p99 of requests that started a new instance (cold) against all the others (warm: every phase and memory size of the target, so a memory sweep's smallest size can dominate the warm p99)."
	var parts []string
	for _, r := range rows {
		parts = append(parts, fmt.Sprintf("%s: %d cold, %d warm samples", r.name, int64(r.cold[2]), int64(r.warm[2])))
	}
	caption += " " + strings.Join(parts, "; ") + "."
	return &Chart{Name: ChartColdStarts, Title: "Cold starts", Caption: caption, Width: 8 * vg.Inch, Height: 8 * vg.Inch, draw: draw}, ""
}
