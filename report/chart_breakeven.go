package report

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
)

// The break-even chart: monthly cost against monthly requests (log-log) for
// the recommended serverless configuration (bold, with its CI band), every
// other configuration (thin grey), and every always-on option (a dashed
// step line each), with the scenario's traffic marked by a vertical line
// ("your traffic") and each instance type's break-even against the bold
// configuration ringed and labelled. It is built in parts: the lines
// (serverlessLines, alwaysOnLines), the marks (breakEvenMarks), the visible
// range (breakEvenRange), the caption and the drawing.

// volumeTick labels a monthly volume with its average rate.
func volumeTick(v float64) string {
	return fmtTick(v) + "\n" + fmtRate(pricing.AverageRPS(v)) + " rps"
}

// beLine is one serverless configuration of the break-even chart.
type beLine struct {
	name, arch  string
	mid, lo, hi plotter.XYs
	headline    bool
	colour      color.RGBA
	dashes      []vg.Length
}

// beFleet is one always-on option of the break-even chart.
type beFleet struct {
	// name is the legend entry ("t3.medium fleet: break-even 65.5 M/month").
	name   string
	mid    plotter.XYs
	colour color.RGBA
}

// beMarks are the crossings of the bold configurations: every crossing a
// dot, each break-even (where serverless becomes dearer) a ring, one label
// per instance type, and the table under the chart.
type beMarks struct {
	dots, rings plotter.XYs
	labels      []beLabel
	table       *ChartTable
	// breakEven is each instance type's break-even volume against the bold
	// configurations (the lowest), for the legend; 0 when they never cross.
	breakEven map[string]float64
}

// beLabel is the label of one instance type's break-even.
type beLabel struct {
	instance string
	anchor   plotter.XY
	loV, hiV float64
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

// headlineServerless lists the serverless configurations drawn bold, and
// whether they are a recommendation (other configurations exist) rather
// than every configuration: the decision's serverless configuration; for a
// summary without a decision, the memory sweep's cheapest configuration
// meeting the SLO at each priced architecture; else every configuration.
func (m *Model) headlineServerless() (map[string]bool, bool) {
	names := map[string]bool{}
	all := map[string]bool{}
	for _, br := range m.Summary.BreakEven {
		all[br.Serverless] = true
	}
	for _, r := range m.Summary.MonthlyCost {
		if r.Kind == results.OptionServerless {
			all[r.Option] = true
		}
	}
	if d := m.Summary.Decision; d != nil && d.Serverless != "" {
		names[d.Serverless] = true
	} else {
		for _, r := range m.Summary.Experiments.MemorySweep {
			if !r.CheapestWithSLO {
				continue
			}
			for n := range all {
				if strings.HasPrefix(n, fmt.Sprintf("%s %d MB", r.Target, r.MemoryMB)) {
					names[n] = true
				}
			}
		}
	}
	if len(names) == 0 {
		return names, false
	}
	return names, len(all) > len(names)
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

// serverlessLines are the serverless configurations to draw: from the price
// book's curves, or, without them, from the summary's cost per 1M (one line
// per target, architecture and memory: the row with most requests). A bold
// line keeps its target's colour; a second bold architecture is a darker
// shade, dash-dotted. isHead reports whether a configuration is bold;
// matches whether a cost row's configuration is.
func (m *Model) serverlessLines(isHead func(string) bool, matches func(results.CostRow) bool) []beLine {
	var lines []beLine
	if len(m.curves) > 0 {
		for _, c := range m.curves {
			if c.Kind != results.OptionServerless {
				continue // fleets and Lambda Managed Instances: step curves
			}
			l := beLine{name: c.Name, arch: archOf(c.Name), headline: isHead(c.Name)}
			for _, pt := range c.Points {
				l.mid = append(l.mid, plotter.XY{X: pt.MonthlyRequests, Y: pt.USD})
				l.lo = append(l.lo, plotter.XY{X: pt.MonthlyRequests, Y: pt.LowUSD})
				l.hi = append(l.hi, plotter.XY{X: pt.MonthlyRequests, Y: pt.HighUSD})
			}
			l.mid, l.lo, l.hi = positive(l.mid, true, true), positive(l.lo, true, true), positive(l.hi, true, true)
			lines = append(lines, l)
		}
	} else {
		lines = m.costRowLines(matches)
	}
	// Styles: a bold line keeps its target's colour; a second architecture
	// among the bold ones is a darker shade, dash-dotted; a clash gets a
	// free palette colour.
	nextFree := len(m.targetNames()) + len(m.curves)
	type style struct {
		c string
		d bool
	}
	used := map[style]bool{}
	archs := map[string]bool{}
	for _, l := range lines {
		if l.headline {
			archs[l.arch] = true
		}
	}
	for i := range lines {
		l := &lines[i]
		if !l.headline {
			continue
		}
		st := style{m.curveColour(l.name, i), len(archs) > 1 && l.arch == "arm64"}
		for used[st] {
			st.c = colourFor(nextFree)
			nextFree++
		}
		used[st] = true
		l.colour = hexColour(st.c)
		if st.d {
			l.colour, l.dashes = darken(l.colour, 0.4), dashDot()
		}
	}
	return lines
}

// costRowLines draws serverless configurations from the summary's cost per
// 1M requests when the price book's curves are not at hand.
func (m *Model) costRowLines(matches func(results.CostRow) bool) []beLine {
	s := m.Summary
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
	var lines []beLine
	for _, k := range order {
		c := s.Cost[best[k]]
		name := c.Target
		if c.MemoryMB > 0 {
			name += fmt.Sprintf(" %d MB", c.MemoryMB)
		}
		if c.Architecture != "" {
			name += " " + c.Architecture
		}
		l := beLine{name: name, arch: c.Architecture, headline: matches(c)}
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
	}
	return lines
}

// alwaysOnLines are the always-on options' step curves (fleets and Lambda
// Managed Instances), named for the legend with their break-even against
// the bold configuration, and the parenthetical every fleet shares (for
// the caption).
func (m *Model) alwaysOnLines(breakEven map[string]float64, maxMonthly float64) ([]beFleet, string) {
	var curves []Curve
	var fleetNames []string
	for _, c := range m.curves {
		if c.Kind != results.OptionServerless {
			curves = append(curves, c)
		}
		if c.Kind == results.OptionFleet {
			fleetNames = append(fleetNames, c.Name)
		}
	}
	// The fleets' shared parenthetical moves to the caption.
	short, note := fleetLegendNames(fleetNames)
	var out []beFleet
	for i, c := range curves {
		var mid plotter.XYs
		for _, pt := range c.Points {
			mid = append(mid, plotter.XY{X: pt.MonthlyRequests, Y: pt.USD})
		}
		name := c.Name
		if c.Kind == results.OptionFleet {
			name, short = short[0], short[1:]
		}
		if c.Kind == results.OptionLambdaManaged && !strings.Contains(name, "Managed") {
			name += " (Lambda Managed Instances)"
		} else if !strings.Contains(name, "fleet") && c.Kind == results.OptionFleet {
			name += " fleet"
		}
		if v, ok := breakEven[instanceOf(c.Name)]; ok {
			if v > 0 {
				name += ": break-even " + fmtVolume(v) + "/month"
			} else if maxMonthly > 0 {
				name += ": no break-even ≤ " + fmtVolume(maxMonthly)
			}
		}
		out = append(out, beFleet{name: name, mid: positive(mid, true, true), colour: hexColour(colourFor(len(m.targetNames()) + i))})
	}
	return out, note
}

// instanceOf is the instance type a fleet's name starts with
// ("t3.medium fleet (…)" → "t3.medium").
func instanceOf(fleet string) string {
	name, _, _ := strings.Cut(fleet, " ")
	return name
}

// breakEvenMarks collects the crossings of the bold configurations with
// the always-on options (see beMarks).
func (m *Model) breakEvenMarks(isHead func(string) bool) beMarks {
	mk := beMarks{breakEven: map[string]float64{},
		table: &ChartTable{Header: []string{"serverless", "instance", "break-even requests/month", "average rps", "all crossings"}}}
	maxMonthly := 0.0
	if d := m.Summary.Decision; d != nil {
		maxMonthly = d.BreakEvenMaxMonthlyRequests
	}
	for _, br := range m.Summary.BreakEven {
		if !isHead(br.Serverless) {
			continue
		}
		var be *results.Crossing
		for i, c := range br.Crossings {
			if c.MonthlyRequests <= 0 || c.CostUSD <= 0 {
				continue
			}
			mk.dots = append(mk.dots, plotter.XY{X: c.MonthlyRequests, Y: c.CostUSD})
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
		if _, seen := mk.breakEven[br.Instance]; !seen {
			mk.breakEven[br.Instance] = 0
		}
		if be != nil {
			vol, rps = be.MonthlyRequests, be.AverageRPS
			if cur := mk.breakEven[br.Instance]; cur == 0 || vol < cur {
				mk.breakEven[br.Instance] = vol
			}
			xy := plotter.XY{X: be.MonthlyRequests, Y: be.CostUSD}
			mk.rings = append(mk.rings, xy)
			k := -1
			for i := range mk.labels {
				if mk.labels[i].instance == br.Instance {
					k = i
				}
			}
			if k < 0 {
				mk.labels = append(mk.labels, beLabel{instance: br.Instance, anchor: xy, loV: vol, hiV: vol})
			} else {
				if vol < mk.labels[k].loV {
					mk.labels[k].anchor = xy
				}
				mk.labels[k].loV, mk.labels[k].hiV = math.Min(mk.labels[k].loV, vol), math.Max(mk.labels[k].hiV, vol)
			}
		}
		volS, rpsS := "none", "–"
		if maxMonthly > 0 {
			volS = "none ≤ " + fmtVolume(maxMonthly)
		}
		if vol > 0 {
			volS, rpsS = fmtVolume(vol), fmtRate(rps)
		}
		cs := crossingsText(br)
		if cs == "" {
			cs = br.Note
		}
		mk.table.Rows = append(mk.table.Rows, []string{br.Serverless, br.Instance, volS, rpsS, cs})
	}
	if len(mk.table.Rows) == 0 {
		mk.table = nil
	} else {
		mk.table.Caption = "Crossings of the configuration drawn bold (every pair is under Break-even):"
	}
	return mk
}

// profileVolume is the scenario's monthly volume the decision priced (0
// when there is none).
func (m *Model) profileVolume() float64 {
	if d := m.Summary.Decision; d != nil && d.MonthlyRequests > 0 {
		return d.MonthlyRequests
	}
	if len(m.Summary.MonthlyCost) > 0 {
		return m.Summary.MonthlyCost[0].MonthlyRequests
	}
	return 0
}

// breakEvenRange is the volume range shown: from a twentieth of the
// smallest of the profile and the break-evens to twenty times the largest
// (at least three decades, inside the curves' 10 k–10 B), so the profile
// and every labelled break-even are in view and the rest is not.
func breakEvenRange(profile float64, mk beMarks) (lo, hi float64) {
	lo, hi = math.Inf(1), 0.0
	for _, v := range append([]float64{profile}, valuesOf(mk.breakEven)...) {
		if v > 0 {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if hi == 0 {
		return 1e4, 1e10
	}
	lo, hi = lo/20, hi*20
	if hi/lo < 1e3 {
		mid := math.Sqrt(lo * hi)
		lo, hi = mid/math.Sqrt(1e3), mid*math.Sqrt(1e3)
	}
	return math.Max(lo, 1e4), math.Min(hi, 1e10)
}

func valuesOf(m map[string]float64) []float64 {
	var out []float64
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// costRange is the cost range of the lines inside [lo, hi], padded a little.
func costRange(lo, hi float64, lines ...plotter.XYs) (float64, float64) {
	ymin, ymax := math.Inf(1), 0.0
	for _, l := range lines {
		for _, p := range l {
			if p.X >= lo && p.X <= hi && p.Y > 0 {
				ymin, ymax = math.Min(ymin, p.Y), math.Max(ymax, p.Y)
			}
		}
	}
	if ymax == 0 {
		return 0, 0
	}
	return ymin / 1.5, ymax * 1.5
}

func (m *Model) breakEvenChart() (*Chart, string) {
	headNames, recommended := m.headlineServerless()
	isHead := func(name string) bool { return len(headNames) == 0 || headNames[name] }
	matches := func(c results.CostRow) bool {
		if len(headNames) == 0 {
			return true
		}
		for hn := range headNames {
			if configMatches(hn, c.Target, c.Architecture, c.MemoryMB) {
				return true
			}
		}
		return false
	}
	lines := m.serverlessLines(isHead, matches)
	marks := m.breakEvenMarks(isHead)
	maxMonthly := 0.0
	if d := m.Summary.Decision; d != nil {
		maxMonthly = d.BreakEvenMaxMonthlyRequests
	}
	fleets, fleetNote := m.alwaysOnLines(marks.breakEven, maxMonthly)
	drawable := len(marks.dots) > 0 || len(fleets) > 0
	for _, l := range lines {
		drawable = drawable || len(l.mid) > 0
	}
	if !drawable {
		return nil, "Break-even curves: skipped, the run has no cost or break-even figures (pricing did not run)."
	}
	profile := m.profileVolume()
	var head, other []beLine
	for _, l := range lines {
		if l.headline {
			head = append(head, l)
		} else {
			other = append(other, l)
		}
	}
	if len(other) == 0 {
		recommended = false
	}
	caption := breakEvenCaption(head, len(other), recommended, len(m.curves) > 0, fleetNote, profile)
	draw := func(dc draw.Canvas) { drawBreakEven(dc, head, other, fleets, marks, profile, recommended) }
	return &Chart{Name: ChartBreakEven, Title: "Break-even curves", Caption: caption, Table: marks.table,
		Width: 9 * vg.Inch, Height: 6 * vg.Inch, draw: draw}, ""
}

// breakEvenCaption explains the chart.
func breakEvenCaption(head []beLine, others int, recommended, haveCurves bool, fleetNote string, profile float64) string {
	var names []string
	archs := map[string]bool{}
	for _, l := range head {
		names = append(names, l.name)
		archs[l.arch] = true
	}
	var b strings.Builder
	b.WriteString("Monthly cost against monthly requests (log-log; x labels also give the average rate over a 730-hour month). ")
	if recommended {
		b.WriteString("Bold, with its 95% CI band: the recommended serverless configuration (the cheapest meeting the SLO at your traffic), ")
	} else {
		b.WriteString("Bold, with 95% CI bands: ")
	}
	b.WriteString(strings.Join(names, " and "))
	if len(archs) > 1 {
		b.WriteString("; x86_64 solid in the target's colour, arm64 darker and dash-dotted")
	}
	b.WriteString(". ")
	if others > 0 {
		fmt.Fprintf(&b, "The other %d configurations are thin grey lines, without crossings or labels (every pair is in the break-even matrix). ", others)
	}
	if haveCurves {
		b.WriteString("Always-on options are dashed step lines (each step an added instance)")
		if fleetNote != "" {
			fmt.Fprintf(&b, "; fleets %s", fleetNote)
		}
		b.WriteString(". ")
	} else {
		b.WriteString("The price book's fleet curves were not available, so fleet step lines are not drawn; the lines come from the summary's cost per 1M requests. ")
	}
	if profile > 0 {
		fmt.Fprintf(&b, "The vertical line marks your traffic, %s requests/month. ", fmtVolume(profile))
	}
	b.WriteString("Crossings of the bold line are dots, the break-even ringed and labelled once per instance type.")
	return b.String()
}

// drawBreakEven draws the chart into dc.
func drawBreakEven(dc draw.Canvas, head, other []beLine, fleets []beFleet, mk beMarks, profile float64, recommended bool) {
	p := newPlot("Break-even: monthly cost vs volume", "monthly requests (average requests/s)", "monthly cost (USD)")
	setLog(&p.X, volumeTick)
	setLog(&p.Y, func(v float64) string { return "$" + fmtTick(v) })
	lo, hi := breakEvenRange(profile, mk)
	var all []plotter.XYs
	for _, l := range head {
		all = append(all, l.mid, l.lo, l.hi)
	}
	for _, f := range fleets {
		all = append(all, f.mid)
	}
	ylo, yhi := costRange(lo, hi, all...)
	leg := newFlowLegend()
	var avoid []plotter.XYs
	var otherThumb *plotter.Line
	for _, l := range other {
		if ln := addLine(p, l.mid, color.RGBA{R: 180, G: 180, B: 180, A: 255}, 0.8, nil, ""); ln != nil && otherThumb == nil {
			otherThumb = ln
		}
		avoid = append(avoid, l.mid)
	}
	var fleetThumbs []*plotter.Line
	for _, f := range fleets {
		l := addLine(p, f.mid, f.colour, 1.9, dashed(), "")
		if l != nil {
			l.StepStyle = plotter.PostStep
		}
		fleetThumbs = append(fleetThumbs, l)
		avoid = append(avoid, f.mid)
	}
	for _, l := range head {
		var band *plotter.Polygon
		if len(l.lo) == len(l.hi) && len(l.lo) == len(l.mid) && len(l.lo) > 1 {
			band = addBand(p, l.lo, l.hi, withAlpha(l.colour, 55))
			avoid = append(avoid, l.lo, l.hi)
		}
		ln := addLine(p, l.mid, l.colour, 2.8, l.dashes, "")
		avoid = append(avoid, l.mid)
		name := l.name
		if recommended {
			name += " (recommended)"
		}
		if band != nil {
			leg.Add(name+", 95% CI", band, ln)
		} else {
			leg.Add(name, ln)
		}
	}
	for i, f := range fleets {
		leg.Add(f.name, fleetThumbs[i])
	}
	if otherThumb != nil {
		name := "other configurations"
		if recommended {
			name = "other serverless configurations"
		}
		leg.Add(name, otherThumb)
	}
	ll := newLabelLayer()
	if profile > 0 && ylo > 0 {
		t := addLine(p, plotter.XYs{{X: profile, Y: ylo}, {X: profile, Y: yhi}}, grey(), 1.2, nil, "")
		leg.Add("your traffic", t)
		ll.add(profile, yhi, "your traffic: "+fmtVolume(profile)+"/month", dirSE, dirSW)
	}
	d := addScatter(p, mk.dots, red(), draw.CircleGlyph{}, 2.2, "")
	r := addScatter(p, mk.rings, red(), draw.RingGlyph{}, 5.5, "")
	leg.Add("crossing", d)
	leg.Add("break-even", r)
	ll.avoid, ll.markers, ll.maxSteps = avoid, mk.dots, 30
	ll.backdrop = color.RGBA{R: 255, G: 255, B: 255, A: 255}
	for _, lb := range mk.labels {
		txt := fmt.Sprintf("vs %s: %s/month (%s rps)", lb.instance, fmtVolume(lb.loV), fmtRate(pricing.AverageRPS(lb.loV)))
		if lb.hiV > lb.loV*1.0005 {
			txt = fmt.Sprintf("vs %s: %s/month (%s–%s rps)", lb.instance, fmtVolumeRange(lb.loV, lb.hiV), fmtRate(pricing.AverageRPS(lb.loV)), fmtRate(pricing.AverageRPS(lb.hiV)))
		}
		ll.add(lb.anchor.X, lb.anchor.Y, txt, dirNW, dirSE, dirNE, dirSW)
	}
	p.Add(ll)
	p.X.Min, p.X.Max = lo, hi
	if ylo > 0 {
		p.Y.Min, p.Y.Max = ylo, yhi
	}
	drawPanels(dc, panel{p: p, legend: leg})
}
