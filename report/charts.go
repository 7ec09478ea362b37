package report

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/benchctl/benchctl/results"
)

// Chart names, in the order the report shows them.
const (
	ChartBreakEven   = "break_even"
	ChartMemorySweep = "memory_sweep"
	ChartLatencyCDF  = "latency_cdf"
	ChartLatencyHDR  = "latency_percentiles"
	ChartLatencyTime = "latency_over_time"
	ChartCapacity    = "capacity"
	ChartColdStarts  = "cold_starts"
)

// buildCharts builds every chart whose data the run has, and a note for
// every chart it skips.
func (m *Model) buildCharts() {
	builders := []func() (*Chart, string){
		m.breakEvenChart, m.memorySweepChart, m.latencyCDFChart, m.latencyHDRChart,
		m.latencyTimeChart, m.capacityChart, m.coldStartChart,
	}
	for _, b := range builders {
		c, skip := b()
		if c == nil {
			if skip != "" {
				m.Skipped = append(m.Skipped, skip)
			}
			continue
		}
		// A trial draw: gonum/plot panics on some degenerate data (a log
		// axis with nothing positive); such a chart becomes a note instead
		// of failing the whole report.
		if err := c.WriteSVG(io.Discard); err != nil {
			m.Skipped = append(m.Skipped, fmt.Sprintf("%s: skipped, it could not be drawn from this run's data (%v).", c.Title, err))
			continue
		}
		m.Charts = append(m.Charts, c)
	}
}

func (m *Model) colour(target string) string { return colourFor(m.colourIndex(target)) }

// curveColour gives a serverless curve its target's colour when its name
// starts with a target name.
func (m *Model) curveColour(name string, i int) string {
	best := ""
	for _, t := range m.targetNames() {
		if strings.HasPrefix(name, t) && len(t) > len(best) {
			best = t
		}
	}
	if best != "" {
		return m.colour(best)
	}
	return colourFor(len(m.targetNames()) + i)
}

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
			if c.Kind == "fleet" {
				continue
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
		if c.Kind == "fleet" {
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
		w := vg.Points(14)
		var names []string
		for i, r := range rows {
			col := hexColour(m.colour(r.name))
			vals := plotter.Values{r.warm[0], r.warm[1], r.cold[0], r.cold[1]}
			bc, err := plotter.NewBarChart(vals, w)
			if err != nil {
				continue
			}
			bc.Color = withAlpha(col, 200)
			bc.Offset = vg.Length(i-len(rows)/2) * w
			bot.Add(bc)
			bot.Legend.Add(r.name, bc)
			names = append(names, r.name)
		}
		bot.NominalX("warm p50", "warm p99", "cold p50", "cold p99")
		bot.Y.Min = 0
		maxBar := 0.0
		for _, r := range rows {
			maxBar = math.Max(maxBar, math.Max(r.cold[1], r.warm[1]))
		}
		bot.Y.Max = maxBar * 1.25 // headroom for the legend
		bot.Legend.Left = false
		_ = names
		plots = append(plots, bot)
		drawPlots(dc, plots...)
	}
	caption := "Top: distribution of platform-reported init durations (when present). Bottom: latency p50/p99 of requests that started a new instance (cold) against the rest (warm)."
	var parts []string
	for _, r := range rows {
		parts = append(parts, fmt.Sprintf("%s: %d cold, %d warm samples", r.name, int64(r.cold[2]), int64(r.warm[2])))
	}
	caption += " " + strings.Join(parts, "; ") + "."
	return &Chart{Name: ChartColdStarts, Title: "Cold starts", Caption: caption, Width: 8 * vg.Inch, Height: 8 * vg.Inch, draw: draw}, ""
}
