package report

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/benchctl/benchctl/results"
)

// volumeTick labels a monthly volume with its average rate.
func volumeTick(v float64) string {
	return fmtTick(v) + "\n" + fmtRate(v/SecondsPerMonth) + " rps"
}

// beLine is one serverless configuration of the break-even chart.
type beLine struct {
	name, arch  string
	mid, lo, hi plotter.XYs
	headline    bool
	colour      color.RGBA
	dashes      []vg.Length
}

// archOf returns the architecture named in a configuration's name.
func archOf(name string) string {
	switch {
	case strings.Contains(name, "arm64"):
		return "arm64"
	case strings.Contains(name, "x86_64"):
		return "x86_64"
	}
	return ""
}

// headlineServerless lists the serverless configurations of the headline
// verdicts, in verdict order, and whether they are a recommendation (some
// verdicts are not headlines) rather than every configuration.
func (m *Model) headlineServerless() (map[string]bool, bool) {
	names := map[string]bool{}
	for _, v := range m.HeadlineVerdicts() {
		names[v.Serverless] = true
	}
	return names, len(m.OtherVerdicts()) > 0
}

// configMatches reports whether a configuration name (as pricing names it,
// "fn 1024 MB arm64") describes target/arch/memory.
func configMatches(name, target, arch string, mem int) bool {
	if !strings.HasPrefix(name, target) {
		return false
	}
	if arch != "" && !strings.Contains(name, arch) {
		return false
	}
	if mem > 0 && !strings.Contains(name, fmt.Sprintf("%d MB", mem)) && !strings.Contains(name, fmt.Sprintf("%dMB", mem)) {
		return false
	}
	return true
}

// fleetLegendNames shortens fleet names for the legend: a parenthetical
// every fleet shares ("(autoscaled, 85 rps/instance …)") moves to the
// caption, which it returns.
func fleetLegendNames(names []string) ([]string, string) {
	if len(names) == 0 {
		return names, ""
	}
	suffix := ""
	for i, n := range names {
		j := strings.Index(n, " (")
		if j < 0 || !strings.HasSuffix(n, ")") {
			return names, ""
		}
		if i == 0 {
			suffix = n[j:]
		} else if n[j:] != suffix {
			return names, ""
		}
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.TrimSuffix(n, suffix)
	}
	return out, strings.TrimSuffix(strings.TrimPrefix(suffix, " ("), ")")
}

func (m *Model) breakEvenChart() (*Chart, string) {
	s := m.Summary
	haveCurves := len(m.curves) > 0
	headNames, recommended := m.headlineServerless()
	isHead := func(name string) bool { return len(headNames) == 0 || headNames[name] }

	// The serverless lines: from the price book's curves, or from the
	// summary's cost per 1M (one per target/arch/memory, the row with most
	// requests).
	var lines []beLine
	if haveCurves {
		for _, c := range m.curves {
			if c.Kind != results.OptionServerless {
				continue // fleets and Lambda Managed Instances: step curves, below
			}
			var l beLine
			l.name, l.arch, l.headline = c.Name, archOf(c.Name), isHead(c.Name)
			for _, pt := range c.Points {
				l.mid = append(l.mid, plotter.XY{X: pt.MonthlyRequests, Y: pt.USD})
				l.lo = append(l.lo, plotter.XY{X: pt.MonthlyRequests, Y: pt.LowUSD})
				l.hi = append(l.hi, plotter.XY{X: pt.MonthlyRequests, Y: pt.HighUSD})
			}
			l.mid, l.lo, l.hi = positive(l.mid, true, true), positive(l.lo, true, true), positive(l.hi, true, true)
			lines = append(lines, l)
		}
	} else {
		type key struct {
			target, arch string
			mem          int
		}
		best := map[key]int{}
		var order []key
		for i, c := range s.Cost {
			if c.CostPerMillionUSD <= 0 || !strings.Contains(strings.ToLower(c.Platform), "lambda") {
				continue
			}
			k := key{c.Target, c.Architecture, c.MemoryMB}
			j, ok := best[k]
			if !ok {
				order = append(order, k)
			}
			if !ok || c.Requests > s.Cost[j].Requests {
				best[k] = i
			}
		}
		for _, k := range order {
			c := s.Cost[best[k]]
			name := c.Target
			if c.MemoryMB > 0 {
				name += fmt.Sprintf(" %d MB", c.MemoryMB)
			}
			if c.Architecture != "" {
				name += " " + c.Architecture
			}
			l := beLine{name: name, arch: c.Architecture, headline: len(headNames) == 0}
			for hn := range headNames {
				l.headline = l.headline || configMatches(hn, c.Target, c.Architecture, c.MemoryMB)
			}
			for e := 4.0; e <= 10; e += 0.25 {
				v := math.Pow(10, e)
				l.mid = append(l.mid, plotter.XY{X: v, Y: c.CostPerMillionUSD * v / 1e6})
				if c.CostPerMillionLow > 0 && c.CostPerMillionHi > 0 {
					l.lo = append(l.lo, plotter.XY{X: v, Y: c.CostPerMillionLow * v / 1e6})
					l.hi = append(l.hi, plotter.XY{X: v, Y: c.CostPerMillionHi * v / 1e6})
				}
			}
			lines = append(lines, l)
		}
		anyHead := false
		for _, l := range lines {
			anyHead = anyHead || l.headline
		}
		if !anyHead {
			for i := range lines {
				lines[i].headline = true
			}
			recommended = false
		}
	}
	var fleets []Curve
	for _, c := range m.curves {
		if c.Kind != results.OptionServerless {
			fleets = append(fleets, c)
		}
	}
	// The break-even rows of the drawn (headline) configurations.
	var rows []results.BreakEvenRow
	for _, br := range s.BreakEven {
		if isHead(br.Serverless) {
			rows = append(rows, br)
		}
	}

	// Styles: a headline keeps its target's colour; a second architecture
	// is a darker shade, dash-dotted; a clash gets a free palette colour.
	nextFree := len(m.targetNames()) + len(fleets)
	type style struct {
		c string
		d int
	}
	used := map[style]bool{}
	var headLines, otherLines []beLine
	for i, l := range lines {
		if !l.headline {
			otherLines = append(otherLines, l)
			continue
		}
		base := m.curveColour(l.name, i)
		st := style{base, 0}
		if l.arch == "arm64" {
			st.d = 1
		}
		for used[st] {
			st.c = colourFor(nextFree)
			nextFree++
		}
		used[st] = true
		l.colour = hexColour(st.c)
		if st.d == 1 {
			l.colour, l.dashes = darken(l.colour, 0.4), dashDot()
		}
		headLines = append(headLines, l)
	}

	var names []string
	for _, f := range fleets {
		names = append(names, f.Name)
	}
	fleetNames, fleetNote := fleetLegendNames(names)

	// Crossings of the drawn configurations: every one marked, the
	// break-even (where serverless becomes dearer) ringed, and one label
	// per instance type giving the break-even range over the configurations.
	type instLabel struct {
		instance string
		anchor   plotter.XY
		loV, hiV float64
	}
	var dots, rings plotter.XYs
	var labels []instLabel
	table := &ChartTable{Header: []string{"serverless", "instance", "break-even requests/month", "average rps", "all crossings"}}
	for _, br := range rows {
		var be *results.Crossing
		var cs []string
		for i, c := range br.Crossings {
			cs = append(cs, fmt.Sprintf("%s (%s rps, %s)", fmtVolume(c.MonthlyRequests), fmtRate(c.AverageRPS), strings.ReplaceAll(c.Direction, "_", " ")))
			if c.MonthlyRequests <= 0 || c.CostUSD <= 0 {
				continue
			}
			dots = append(dots, plotter.XY{X: c.MonthlyRequests, Y: c.CostUSD})
			if be == nil && c.Direction == "serverless_becomes_dearer" {
				be = &br.Crossings[i]
			}
		}
		if be == nil {
			for i, c := range br.Crossings {
				if c.MonthlyRequests > 0 && c.CostUSD > 0 {
					be = &br.Crossings[i]
					break
				}
			}
		}
		vol, rps := br.MonthlyRequests, br.AverageRPS
		if be != nil {
			vol, rps = be.MonthlyRequests, be.AverageRPS
			xy := plotter.XY{X: be.MonthlyRequests, Y: be.CostUSD}
			rings = append(rings, xy)
			k := -1
			for i := range labels {
				if labels[i].instance == br.Instance {
					k = i
				}
			}
			if k < 0 {
				labels = append(labels, instLabel{instance: br.Instance, anchor: xy, loV: vol, hiV: vol})
			} else {
				if vol < labels[k].loV {
					labels[k].anchor = xy
				}
				labels[k].loV, labels[k].hiV = math.Min(labels[k].loV, vol), math.Max(labels[k].hiV, vol)
			}
		}
		volS, rpsS := "–", "–"
		if vol > 0 {
			volS, rpsS = fmtVolume(vol), fmtRate(rps)
		}
		if len(cs) == 0 && br.Note != "" {
			cs = append(cs, br.Note)
		}
		table.Rows = append(table.Rows, []string{br.Serverless, br.Instance, volS, rpsS, strings.Join(cs, "; ")})
	}
	drawable := len(dots) > 0 || len(fleets) > 0
	for _, l := range lines {
		drawable = drawable || len(l.mid) > 0
	}
	if !drawable {
		return nil, "Break-even curves: skipped, the run has no cost or break-even figures (pricing did not run)."
	}
	if len(table.Rows) == 0 {
		table = nil
	} else {
		table.Caption = "Crossings of the configurations drawn:"
	}

	var headNamesOrdered []string
	for _, l := range headLines {
		headNamesOrdered = append(headNamesOrdered, l.name)
	}
	var cap strings.Builder
	cap.WriteString("Monthly cost against monthly requests (log-log; x labels also give the average rate over a 730-hour month). ")
	if recommended {
		cap.WriteString("Bold, with 95% CI bands: the recommended serverless configuration (the memory sweep's cheapest meeting the SLO), ")
	} else {
		cap.WriteString("Bold, with 95% CI bands: ")
	}
	cap.WriteString(strings.Join(headNamesOrdered, " and "))
	archs := map[bool]bool{}
	for _, l := range headLines {
		archs[l.arch == "arm64"] = true
	}
	if archs[true] && archs[false] {
		cap.WriteString("; x86_64 solid in the target's colour, arm64 darker and dash-dotted")
	}
	cap.WriteString(". ")
	if len(otherLines) > 0 {
		fmt.Fprintf(&cap, "The other %d configurations are thin grey lines, without crossings or labels (every crossing is in the Break-even table). ", len(otherLines))
	}
	if haveCurves {
		cap.WriteString("Instance fleets are dashed step lines")
		if fleetNote != "" {
			fmt.Fprintf(&cap, " (%s)", fleetNote)
		}
		cap.WriteString(". ")
	} else {
		cap.WriteString("The price book's fleet curves were not available, so fleet step lines are not drawn; the lines come from the summary's cost per 1M requests. ")
	}
	cap.WriteString("Crossings of the bold lines are dots, the break-even ringed; one label per instance type gives its break-even (the range over the bold configurations).")

	draw := func(dc draw.Canvas) {
		p := newPlot("Break-even: monthly cost vs volume", "monthly requests (average requests/s)", "monthly cost (USD)")
		setLog(&p.X, volumeTick)
		setLog(&p.Y, func(v float64) string { return "$" + fmtTick(v) })
		leg := newFlowLegend()
		var avoid []plotter.XYs
		var otherThumb *plotter.Line
		for _, l := range otherLines {
			if ln := addLine(p, l.mid, color.RGBA{R: 175, G: 175, B: 175, A: 255}, 0.8, nil, ""); ln != nil && otherThumb == nil {
				otherThumb = ln
			}
			avoid = append(avoid, l.mid)
		}
		type entry struct {
			name   string
			thumbs []plot.Thumbnailer
		}
		var fleetEntries []entry
		for i, f := range fleets {
			var mid plotter.XYs
			for _, pt := range f.Points {
				mid = append(mid, plotter.XY{X: pt.MonthlyRequests, Y: pt.USD})
			}
			mid = positive(mid, true, true)
			l := addLine(p, mid, hexColour(colourFor(len(m.targetNames())+i)), 1.6, dashed(), "")
			if l != nil {
				l.StepStyle = plotter.PostStep
				name := fleetNames[i]
				if !strings.Contains(name, "fleet") {
					name += " fleet"
				}
				fleetEntries = append(fleetEntries, entry{name, []plot.Thumbnailer{l}})
			}
			avoid = append(avoid, mid)
		}
		for _, l := range headLines {
			var band *plotter.Polygon
			if len(l.lo) == len(l.hi) && len(l.lo) == len(l.mid) && len(l.lo) > 1 {
				band = addBand(p, l.lo, l.hi, withAlpha(l.colour, 55))
				avoid = append(avoid, l.lo, l.hi)
			}
			ln := addLine(p, l.mid, l.colour, 2.4, l.dashes, "")
			avoid = append(avoid, l.mid)
			name := l.name
			if band != nil {
				name += " (95% CI)"
			}
			if band != nil {
				leg.Add(name, band, ln)
			} else {
				leg.Add(name, ln)
			}
		}
		if otherThumb != nil {
			other := "other configurations"
			if recommended {
				other = "other memory sizes"
			}
			leg.Add(other, otherThumb)
		}
		for _, e := range fleetEntries {
			leg.Add(e.name, e.thumbs...)
		}
		d := addScatter(p, dots, red(), draw.CircleGlyph{}, 2.2, "")
		r := addScatter(p, rings, red(), draw.RingGlyph{}, 5.5, "")
		leg.Add("crossing", d)
		leg.Add("break-even", r)
		ll := newLabelLayer()
		ll.avoid, ll.markers, ll.maxSteps = avoid, dots, 30
		ll.backdrop = color.RGBA{R: 255, G: 255, B: 255, A: 255}
		for _, lb := range labels {
			txt := fmt.Sprintf("vs %s: %s/mo (%s rps)", lb.instance, fmtVolume(lb.loV), fmtRate(lb.loV/SecondsPerMonth))
			if lb.hiV > lb.loV*1.0005 {
				txt = fmt.Sprintf("vs %s: %s–%s/mo (%s–%s rps)", lb.instance, fmtVolume(lb.loV), fmtVolume(lb.hiV), fmtRate(lb.loV/SecondsPerMonth), fmtRate(lb.hiV/SecondsPerMonth))
			}
			ll.add(lb.anchor.X, lb.anchor.Y, txt, dirNW, dirSE, dirNE, dirSW)
		}
		p.Add(ll)
		minV, maxV := 1e4, 1e10
		for _, x := range dots {
			minV, maxV = math.Min(minV, x.X/10), math.Max(maxV, x.X*10)
		}
		p.X.Min, p.X.Max = math.Max(minV, 1), maxV
		drawPanels(dc, panel{p: p, legend: leg})
	}
	return &Chart{Name: ChartBreakEven, Title: "Break-even curves", Caption: cap.String(), Table: table,
		Width: 9 * vg.Inch, Height: 6 * vg.Inch, draw: draw}, ""
}
