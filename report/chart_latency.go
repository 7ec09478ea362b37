package report

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// latencyTargets are the targets with successful latencies recorded.
func (m *Model) latencyTargets() []*targetData {
	if m.data == nil {
		return nil
	}
	var out []*targetData
	for _, t := range m.data.Targets {
		if t.Latency.TotalCount() > 0 {
			out = append(out, t)
		}
	}
	return out
}

// cdfQuantiles are the quantiles at which the CDF is drawn.
func cdfQuantiles() []float64 {
	var qs []float64
	for i := 0; i < 100; i++ {
		qs = append(qs, float64(i)/100)
	}
	return append(qs, 0.995, 0.999, 0.9995, 0.9999, 1)
}

// cdfPoints are t's latency CDF at cdfQuantiles, (ms, quantile), without
// the points a log-latency axis cannot show.
func cdfPoints(t *targetData) plotter.XYs {
	var xys plotter.XYs
	for _, q := range cdfQuantiles() {
		xys = append(xys, plotter.XY{X: quantileMs(t.Latency, q), Y: q})
	}
	return positive(xys, true, false)
}

func (m *Model) latencyCDFChart() (*Chart, string) {
	ts := m.latencyTargets()
	if len(ts) == 0 {
		return nil, "Latency distribution: skipped, results.jsonl has no successful requests."
	}
	draw := func(dc draw.Canvas) {
		p := newPlot("Latency CDF", "latency (ms, log scale)", "fraction of requests ≤ latency")
		setLog(&p.X, nil)
		cdfLabels := newLabelLayer()
		for _, t := range ts {
			col := hexColour(m.colour(t.Name))
			xys := cdfPoints(t)
			addLine(p, xys, col, 2, nil, t.Name)
			cdfLabels.avoid = append(cdfLabels.avoid, xys)
			var marks plotter.XYs
			var labels []string
			for _, q := range []struct {
				q float64
				n string
			}{{0.5, "p50"}, {0.99, "p99"}, {0.999, "p99.9"}} {
				v := quantileMs(t.Latency, q.q)
				marks = append(marks, plotter.XY{X: v, Y: q.q})
				labels = append(labels, fmt.Sprintf("%s %s ms", q.n, fmtMs(v)))
			}
			marks = positive(marks, true, false)
			addScatter(p, marks, col, draw.CircleGlyph{}, 3, "")
			if len(marks) == len(labels) {
				// Tail labels go left (the curves end at the right edge),
				// stacked down when close; p50 to the right.
				cdfLabels.add(marks[0].X, marks[0].Y, labels[0], dirNE, dirSE, dirNW, dirSW)
				cdfLabels.add(marks[1].X, marks[1].Y, labels[1], dirSW, dirNW, dirSE)
				cdfLabels.add(marks[2].X, marks[2].Y, labels[2], dirSW, dirNW, dirSE)
			}
		}
		p.Add(cdfLabels)
		p.Y.Min, p.Y.Max = 0, 1.05
		drawPlots(dc, p)
	}
	return &Chart{Name: ChartLatencyCDF, Title: "Latency distribution (CDF)",
		Caption: "Cumulative distribution of successful requests' latency (send to end of body) per target, log-latency axis, with p50, p99 and p99.9 marked. HDR histogram, 3 significant digits.",
		Width:   8 * vg.Inch, Height: 4.5 * vg.Inch, draw: draw}, ""
}

func (m *Model) latencyHDRChart() (*Chart, string) {
	ts := m.latencyTargets()
	if len(ts) == 0 {
		return nil, ""
	}
	draw := func(dc draw.Canvas) {
		p := newPlot("Latency by percentile (HDR)", "percentile", "latency (ms)")
		setLog(&p.X, func(v float64) string {
			// x = 1/(1-q): 10 → 90%, 100 → 99%.
			return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.4f", 100*(1-1/v)), "0"), ".") + "%"
		})
		maxX := 10.0
		for _, t := range ts {
			col := hexColour(m.colour(t.Name))
			n := float64(t.Latency.TotalCount())
			var xys plotter.XYs
			for e := 0.0; e <= 6; e += 0.05 {
				x := math.Pow(10, e)
				if x > n {
					break
				}
				q := 1 - 1/x
				xys = append(xys, plotter.XY{X: x, Y: quantileMs(t.Latency, q)})
				maxX = math.Max(maxX, x)
			}
			addLine(p, xys, col, 2, nil, t.Name)
		}
		p.X.Min, p.X.Max = 1, maxX
		p.Y.Min = 0
		drawPlots(dc, p)
	}
	return &Chart{Name: ChartLatencyHDR, Title: "Latency by percentile (HDR plot)",
		Caption: "Latency against percentile on a 1/(1−q) axis, which stretches the tail: 90%, 99%, 99.9% are equally spaced. Drawn up to the percentile the sample size supports.",
		Width:   8 * vg.Inch, Height: 4.5 * vg.Inch, draw: draw}, ""
}

func (m *Model) latencyTimeChart() (*Chart, string) {
	if m.data == nil || m.data.Records == 0 {
		return nil, "Latency over time: skipped, results.jsonl has no records."
	}
	var notes []string
	for _, t := range m.data.Targets {
		pts, n := t.Points()
		if n > 1 {
			notes = append(notes, fmt.Sprintf("%s: 1 in %d shown (%d of %d requests)", t.Name, n, len(pts), t.Requests))
		} else {
			notes = append(notes, fmt.Sprintf("%s: all %d requests shown", t.Name, t.Requests))
		}
	}
	caption := "Top: each request's latency by send time (log scale); cold starts are triangles, failures crosses; phases are shaded and named. " +
		"Bottom: achieved request rate and errors per second. " + strings.Join(notes, "; ") + "."
	draw := func(dc draw.Canvas) {
		title := "Latency over time"
		var shown []string
		for _, t := range m.data.Targets {
			if _, n := t.Points(); n > 1 {
				shown = append(shown, fmt.Sprintf("%s: 1 in %d shown", t.Name, n))
			}
		}
		if len(shown) > 0 {
			title += " (" + strings.Join(shown, "; ") + ")"
		}
		top := newPlot(title, "time since start (s)", "latency (ms, log scale)")
		topLeg, botLeg := newFlowLegend(), newFlowLegend()
		setLog(&top.Y, nil)
		yMin, yMax := math.Inf(1), math.Inf(-1)
		xMin, xMax := math.Inf(1), math.Inf(-1)
		for _, t := range m.data.Targets {
			pts, _ := t.Points()
			for _, pt := range append(pts, t.ColdPoints()...) {
				if pt.Ms > 0 {
					yMin, yMax = math.Min(yMin, pt.Ms), math.Max(yMax, pt.Ms)
				}
				xMin, xMax = math.Min(xMin, pt.T), math.Max(xMax, pt.T)
			}
		}
		if math.IsInf(yMin, 0) {
			yMin, yMax = 1, 10
		}
		yMin, yMax = yMin/1.5, yMax*4 // headroom for the phase names
		phaseLabels := newLabelLayer()
		phaseLabels.ignoreAnchors, phaseLabels.noLeaders = true, true
		for i, ph := range m.data.Phases {
			if i%2 == 0 && ph.End > ph.Start {
				addVBand(top, ph.Start, ph.End, yMin, yMax, withAlpha(grey(), 30))
			}
			// Names of short, adjacent phases stack downwards.
			phaseLabels.add(ph.Start, yMax/1.4, ph.Name, dirSE)
		}
		top.Add(phaseLabels)
		for _, t := range m.data.Targets {
			col := hexColour(m.colour(t.Name))
			pts, _ := t.Points()
			var ok, bad, cold plotter.XYs
			for _, pt := range pts {
				xy := plotter.XY{X: pt.T, Y: math.Max(pt.Ms, yMin*1.01)}
				switch {
				case pt.Err:
					bad = append(bad, xy)
				case !pt.Cold:
					ok = append(ok, xy)
				}
			}
			for _, pt := range t.ColdPoints() {
				cold = append(cold, plotter.XY{X: pt.T, Y: math.Max(pt.Ms, yMin*1.01)})
			}
			if sc := addScatter(top, ok, withAlpha(col, 140), draw.CircleGlyph{}, 1, ""); sc != nil {
				// A bigger thumbnail than the 1-point dots, to be legible.
				th, _ := plotter.NewScatter(plotter.XYs{{}})
				th.GlyphStyle = sc.GlyphStyle
				th.GlyphStyle.Radius = vg.Points(2.5)
				topLeg.Add(t.Name, th)
			}
			topLeg.Add(t.Name+" cold start", addScatter(top, cold, col, draw.TriangleGlyph{}, 3.5, ""))
			topLeg.Add(t.Name+" failed", addScatter(top, bad, red(), draw.CrossGlyph{}, 2.5, ""))
		}
		top.Y.Min, top.Y.Max = yMin, yMax
		top.Legend.Left = false
		bot := newPlot("Achieved rate and errors", "time since start (s)", "requests/s")
		maxRate := 0.0
		for _, t := range m.data.Targets {
			col := hexColour(m.colour(t.Name))
			secs, bins := t.Bins()
			var sent, errs plotter.XYs
			anyErr := false
			for i, s := range secs {
				if i > 0 && s > secs[i-1]+1 {
					// No request in these seconds: the rate drops to 0
					// rather than bridging the gap (e.g. a target idle
					// while another's experiment runs).
					sent = append(sent, plotter.XY{X: float64(secs[i-1] + 1), Y: 0})
					errs = append(errs, plotter.XY{X: float64(secs[i-1] + 1), Y: 0})
				}
				sent = append(sent, plotter.XY{X: float64(s), Y: float64(bins[i].Sent)})
				maxRate = math.Max(maxRate, float64(bins[i].Sent))
				errs = append(errs, plotter.XY{X: float64(s), Y: float64(bins[i].Errors)})
				anyErr = anyErr || bins[i].Errors > 0
			}
			if l := addLine(bot, sent, col, 1.5, nil, ""); l != nil {
				l.StepStyle = plotter.PostStep
				botLeg.Add(t.Name+" sent", l)
			}
			if anyErr {
				if l := addLine(bot, errs, red(), 1.2, dashed(), ""); l != nil {
					l.StepStyle = plotter.PostStep
					botLeg.Add(t.Name+" errors", l)
				}
			}
		}
		bot.Y.Min = 0
		bot.Legend.Left = false
		if maxRate > 0 {
			bot.Y.Max = maxRate * 1.05
		}
		if !math.IsInf(xMin, 0) {
			top.X.Min, top.X.Max = xMin, xMax+1
			bot.X.Min, bot.X.Max = xMin, xMax+1
		}
		drawPanels(dc, panel{p: top, legend: topLeg}, panel{p: bot, legend: botLeg})
	}
	return &Chart{Name: ChartLatencyTime, Title: "Latency over time", Caption: caption, Width: 9 * vg.Inch, Height: 7 * vg.Inch, draw: draw}, ""
}
