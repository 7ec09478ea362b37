package report

import (
	"fmt"
	"html/template"
	"io"
	"strconv"
	"time"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// compareHTMLData is the template data of compare.html.
type compareHTMLData struct {
	*Comparison
	CSS    template.CSS
	Script template.JS
	// Chart is the overlaid CDFs (nil when there is none; Skipped says why).
	Chart   *chartImage
	Skipped string
	// Priced is true when some target has a cost or a break-even.
	Priced bool
	// Source says where the threshold came from.
	Source string
	// Reproduce is the command that writes this page again.
	Reproduce string
}

// compareTemplateFuncs extends templateFuncs with the comparison's
// formatters: nil-able figures print "–", deltas are signed percentages.
func compareTemplateFuncs() template.FuncMap {
	f := templateFuncs()
	f["delta"] = fmtDelta
	f["optdelta"] = func(v *float64) string { return fmtOpt(fmtDelta, v) }
	f["optusd"] = func(v *float64) string { return fmtOpt(fmtUSD, v) }
	f["optvol"] = func(v *float64) string { return fmtOpt(fmtVolume, v) }
	f["label"] = verdictLabel
	f["threshold"] = fmtThreshold
	f["date"] = func(t time.Time) string {
		if t.IsZero() {
			return "–"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	f["shell"] = shellJoin
	f["colour"] = func(c *Comparison, target string) string {
		if col, ok := c.colours[target]; ok {
			return col
		}
		return "transparent"
	}
	f["p"] = func(v float64) string { return fmt.Sprintf("%.3g", v) }
	f["pp"] = fmtPP
	f["ppdelta"] = fmtPPDelta
	f["errp"] = errorP
	f["errtest"] = func(d TargetDelta) string {
		if (d.ErrorTest == ErrorTestNone || d.ErrorTest == "") && d.ErrorsA == 0 && d.ErrorsB == 0 {
			return "none (no errors)"
		}
		return errorTestName(d.ErrorTest)
	}
	f["errchange"] = func(d TargetDelta, alpha, threshold float64) string {
		switch d.errorChange(alpha, threshold) {
		case errMore:
			return "B more errors"
		case errFewer:
			return "B fewer errors"
		case errWithin:
			return "significant, within ±" + fmtPP(threshold)
		}
		return "none"
	}
	f["num"] = func(v float64) string { return fmt.Sprintf("%.2f", v) }
	f["unitfig"] = unitFigures
	f["unittest"] = unitTest
	return f
}

// unitFigures is a unit's figures in A and B: capacity with its
// intervals, else p50 and p99 with their changes.
func unitFigures(u UnitDelta) string {
	if u.Kind == UnitCapacity {
		return fmt.Sprintf("%s (%s–%s) → %s (%s–%s) rps, %s", fmtRate(u.ValueA), fmtRate(u.LowA), fmtRate(u.HighA),
			fmtRate(u.ValueB), fmtRate(u.LowB), fmtRate(u.HighB), fmtDelta(u.ValueDelta))
	}
	if u.SamplesA == 0 || u.SamplesB == 0 {
		return "–"
	}
	p99 := fmt.Sprintf("p99 %s → %s ms (%s)", fmtMs(u.P99AMs), fmtMs(u.P99BMs), fmtDelta(u.P99Delta))
	if !u.P99Known {
		p99 += " [too few samples to count]"
	}
	return fmt.Sprintf("p50 %s → %s ms (%s); %s", fmtMs(u.P50AMs), fmtMs(u.P50BMs), fmtDelta(u.P50Delta), p99)
}

// unitTest names a unit's test and its p-value.
func unitTest(u UnitDelta) string {
	switch {
	case u.Kind == UnitCapacity:
		return "95% intervals"
	case u.LatencyTest == LatencyTestWelchTrials:
		return fmt.Sprintf("Welch t, %d vs %d trials, p=%.3g", u.TrialsA, u.TrialsB, u.PValue)
	case u.LatencyTest == LatencyTestMannWhitney:
		return fmt.Sprintf("Mann-Whitney, p=%.3g", u.PValue)
	}
	return "–"
}

// WriteCompareHTML writes compare.html: one self-contained page with the
// verdict first, then the per-target tables, the overlaid latency CDFs
// (an inline SVG data URI) and both runs' provenance. It shares
// report.html's style sheet (light and dark, print) and needs no
// JavaScript; a small inline script only makes the tables sortable.
func WriteCompareHTML(w io.Writer, c *Comparison) error {
	css, js, err := readAssets()
	if err != nil {
		return err
	}
	d := compareHTMLData{Comparison: c, CSS: css, Script: js, Skipped: c.chartSkipped, Source: thresholdSource(c)}
	args := []string{"benchctl", "compare", c.ProvenanceA.Dir, c.ProvenanceB.Dir, "--format", "html"}
	if c.FailOnRegression {
		args = append(args, "--fail-on-regression", fmtThreshold(c.Threshold))
	}
	if c.ErrorRateThreshold != DefaultErrorRateThreshold {
		args = append(args, "--error-rate-threshold", strconv.FormatFloat(c.ErrorRateThreshold, 'g', -1, 64))
	}
	d.Reproduce = shellJoin(args)
	for _, t := range c.Targets {
		if t.CostPerMillionAUSD != nil || t.CostPerMillionBUSD != nil || t.BreakEvenA != nil || t.BreakEvenB != nil {
			d.Priced = true
		}
	}
	if c.chart != nil {
		img, err := inlineChart(c.chart)
		if err != nil {
			return err
		}
		d.Chart = &img
	} else if d.Skipped == "" {
		d.Skipped = "No chart: the comparison holds no latencies."
	}
	return writePage(w, "compare.html.tmpl", compareTemplateFuncs(), d, "compare html")
}

// compareCDFChart overlays the latency CDFs of the targets both runs share:
// one colour per target (run A's colour rules, as in its report), run A
// dashed and run B solid, p50 and p99 marked on each line. It returns a
// note instead when no shared target has latencies in both runs.
func compareCDFChart(ma, mb *Model, c *Comparison) (*Chart, string) {
	type pair struct {
		name   string
		colour string
		a, b   *targetData
	}
	var pairs []pair
	if ma.data == nil || mb.data == nil {
		return nil, "Latency CDFs: skipped, the runs' records were not read."
	}
	for _, d := range c.Targets {
		ta, tb := ma.data.Target(d.Target), mb.data.Target(d.Target)
		if ta == nil || tb == nil || ta.Latency.TotalCount() == 0 || tb.Latency.TotalCount() == 0 {
			continue
		}
		pairs = append(pairs, pair{name: d.Target, colour: c.colours[d.Target], a: ta, b: tb})
	}
	if len(pairs) == 0 {
		return nil, "Latency CDFs: skipped, no shared target has successful requests in both runs."
	}
	runA, runB := c.RunA, c.RunB
	drawFn := func(dc draw.Canvas) {
		p := newPlot("Latency CDF: A dashed, B solid", "latency (ms, log scale)", "fraction of requests ≤ latency")
		setLog(&p.X, nil)
		labels := newLabelLayer()
		for _, pr := range pairs {
			col := hexColour(pr.colour)
			for _, run := range []struct {
				td     *targetData
				tag    string
				width  float64
				dashes []vg.Length
				glyph  draw.GlyphDrawer
			}{
				{pr.a, "A", 1.5, dashed(), draw.RingGlyph{}},
				{pr.b, "B", 2, nil, draw.CircleGlyph{}},
			} {
				xys := cdfPoints(run.td)
				legend := pr.name + " — A (" + runA + ")"
				if run.tag == "B" {
					legend = pr.name + " — B (" + runB + ")"
				}
				addLine(p, xys, col, run.width, run.dashes, legend)
				labels.avoid = append(labels.avoid, xys)
				marks := positive(plotter.XYs{
					{X: quantileMs(run.td.Latency, 0.5), Y: 0.5},
					{X: quantileMs(run.td.Latency, 0.99), Y: 0.99},
				}, true, false)
				addScatter(p, marks, col, run.glyph, 3, "")
				if len(marks) == 2 {
					labels.add(marks[0].X, marks[0].Y, fmt.Sprintf("%s p50 %s ms", run.tag, fmtMs(marks[0].X)), dirSE, dirNW, dirNE, dirSW)
					labels.add(marks[1].X, marks[1].Y, fmt.Sprintf("%s p99 %s ms", run.tag, fmtMs(marks[1].X)), dirSW, dirNW, dirSE)
				}
			}
		}
		p.Add(labels)
		p.Y.Min, p.Y.Max = 0, 1.05
		drawPlots(dc, p)
	}
	ch := &Chart{Name: ChartCompareCDF, Title: "Latency distribution, A vs B (CDF)",
		Caption: "Cumulative distribution of successful requests' latency (send to end of body) per target, run A dashed, run B solid, log-latency axis, p50 and p99 marked. HDR histograms, 3 significant digits; a curve further right is slower.",
		Width:   8 * vg.Inch, Height: 4.5 * vg.Inch, draw: drawFn}
	if err := ch.WriteSVG(io.Discard); err != nil {
		return nil, fmt.Sprintf("Latency CDFs: skipped, the chart could not be drawn (%v).", err)
	}
	return ch, ""
}
