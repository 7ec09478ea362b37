package report

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// labelDir is a direction a label may be placed in from its anchor: dx and
// dy are −1 or +1 (left/below, right/above); stacking moves a displaced
// label further along dy.
type labelDir struct{ dx, dy int }

var (
	dirNE = labelDir{1, 1}
	dirSE = labelDir{1, -1}
	dirNW = labelDir{-1, 1}
	dirSW = labelDir{-1, -1}
)

// labelSpec is one text label anchored at a data point.
type labelSpec struct {
	X, Y float64
	Text string
	// Dirs are the directions tried, in order of preference (default NE,
	// SE, NW, SW).
	Dirs []labelDir
}

// labelLayer is a plot.Plotter that places text labels next to their
// anchors without overlapping each other, the plot's legend, the anchors'
// markers or (when it can) the given polylines, and inside the data area.
// A label that had to move away from its anchor is joined to it by a thin
// leader line. Placement happens at draw time, in canvas units, so it holds
// for any figure size.
type labelLayer struct {
	labels []labelSpec
	// avoid are polylines (data coordinates) labels should not cover.
	avoid []plotter.XYs
	// markers are points (data coordinates) labels should not cover, in
	// addition to the anchors.
	markers plotter.XYs
	// ignoreAnchors drops the anchors' keep-out boxes (for labels whose
	// anchors are not drawn, like phase starts).
	ignoreAnchors bool
	// noLeaders draws no leader lines (when a label's position already
	// says what it belongs to, like a phase name at its start).
	noLeaders bool
	// maxSteps bounds how far (in label heights) a label may be stacked.
	maxSteps int
	style    text.Style
	// backdrop, when set, is filled behind each label.
	backdrop color.Color
}

var _ plot.Plotter = (*labelLayer)(nil)

// newLabelLayer returns a layer with the plot's default label style.
func newLabelLayer() *labelLayer {
	l, _ := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{}}, Labels: []string{""}})
	st := l.TextStyle[0]
	st.XAlign, st.YAlign = draw.XLeft, draw.YBottom
	return &labelLayer{style: st, maxSteps: 12}
}

// add appends a label anchored at (x, y).
func (l *labelLayer) add(x, y float64, txt string, dirs ...labelDir) {
	l.labels = append(l.labels, labelSpec{X: x, Y: y, Text: txt, Dirs: dirs})
}

// placedLabel is where a label was put: its text box and anchor, and
// whether it needs a leader line back to the anchor.
type placedLabel struct {
	text   string
	box    vg.Rectangle
	anchor vg.Point
	leader bool
	// textAt is the point to pass to FillText.
	textAt vg.Point
}

// Plot implements plot.Plotter.
func (l *labelLayer) Plot(c draw.Canvas, plt *plot.Plot) {
	for _, pl := range l.place(c, plt) {
		if l.backdrop != nil {
			pad := vg.Points(1)
			c.SetColor(l.backdrop)
			c.Fill(vg.Rectangle{Min: vg.Point{X: pl.box.Min.X - pad, Y: pl.box.Min.Y - pad}, Max: vg.Point{X: pl.box.Max.X + pad, Y: pl.box.Max.Y + pad}}.Path())
		}
		if pl.leader {
			end := vg.Point{X: clampLen(pl.anchor.X, pl.box.Min.X, pl.box.Max.X), Y: clampLen(pl.anchor.Y, pl.box.Min.Y, pl.box.Max.Y)}
			c.StrokeLine2(draw.LineStyle{Color: grey(), Width: vg.Points(0.6)}, pl.anchor.X, pl.anchor.Y, end.X, end.Y)
		}
		c.FillText(l.style, pl.textAt, pl.text)
	}
}

// place chooses every label's position in data canvas c: for each label in
// order, the nearest candidate (by stacking distance, then by the label's
// preferred directions) inside c that overlaps no placed label, the legend,
// a marker or a polyline; failing that one that only crosses polylines;
// failing that the nearest inside c. Labels with no candidate inside c are
// dropped.
func (l *labelLayer) place(c draw.Canvas, plt *plot.Plot) []placedLabel {
	if len(l.labels) == 0 {
		return nil
	}
	var out []placedLabel
	trX, trY := plt.Transforms(&c)
	area := c.Rectangle
	var taken []vg.Rectangle
	if lr, ok := legendRect(plt, c); ok {
		taken = append(taken, lr)
	}
	const mark = 3.5 // half-size of a marker's keep-out box, in points
	var marks []vg.Rectangle
	addMark := func(x, y float64) {
		if !finite(x) || !finite(y) {
			return
		}
		p := vg.Point{X: trX(x), Y: trY(y)}
		marks = append(marks, vg.Rectangle{Min: vg.Point{X: p.X - mark, Y: p.Y - mark}, Max: vg.Point{X: p.X + mark, Y: p.Y + mark}})
	}
	if !l.ignoreAnchors {
		for _, s := range l.labels {
			addMark(s.X, s.Y)
		}
	}
	for _, m := range l.markers {
		addMark(m.X, m.Y)
	}
	var segs [][2]vg.Point
	for _, line := range l.avoid {
		for i := 1; i < len(line); i++ {
			a, b := line[i-1], line[i]
			if !finite(a.X) || !finite(a.Y) || !finite(b.X) || !finite(b.Y) {
				continue
			}
			segs = append(segs, [2]vg.Point{{X: trX(a.X), Y: trY(a.Y)}, {X: trX(b.X), Y: trY(b.Y)}})
		}
	}
	gap := vg.Points(4)
	for _, s := range l.labels {
		if !finite(s.X) || !finite(s.Y) || s.Text == "" {
			continue
		}
		anchor := vg.Point{X: trX(s.X), Y: trY(s.Y)}
		r0 := l.style.Rectangle(s.Text) // text box when drawn at (0, 0)
		w, h := r0.Max.X-r0.Min.X, r0.Max.Y-r0.Min.Y
		dirs := s.Dirs
		if len(dirs) == 0 {
			dirs = []labelDir{dirNE, dirSE, dirNW, dirSW}
		}
		var cands []vg.Rectangle
		for k := 0; k <= l.maxSteps; k++ {
			for _, d := range dirs {
				var r vg.Rectangle
				if d.dx > 0 {
					r.Min.X = anchor.X + gap
				} else {
					r.Min.X = anchor.X - gap - w
				}
				shift := vg.Length(k) * (h + vg.Points(2))
				if d.dy > 0 {
					r.Min.Y = anchor.Y + gap/2 + shift
				} else {
					r.Min.Y = anchor.Y - gap/2 - h - shift
				}
				r.Max = vg.Point{X: r.Min.X + w, Y: r.Min.Y + h}
				if inside(r, area) {
					cands = append(cands, r)
				}
			}
		}
		if len(cands) == 0 {
			continue
		}
		best, found := cands[0], false
		// First choice: clear of labels, legend, markers and lines; then
		// clear of labels, legend and markers; else the nearest spot.
		for tier := 0; tier < 2 && !found; tier++ {
			for _, r := range cands {
				if overlapsAny(r, taken) || overlapsAny(r, marks) {
					continue
				}
				if tier == 0 && crossesAny(r, segs) {
					continue
				}
				best, found = r, true
				break
			}
		}
		taken = append(taken, best)
		// A label not touching its anchor's neighbourhood gets a leader.
		near := vg.Rectangle{Min: vg.Point{X: anchor.X - 2*gap, Y: anchor.Y - 2*gap}, Max: vg.Point{X: anchor.X + 2*gap, Y: anchor.Y + 2*gap}}
		out = append(out, placedLabel{text: s.Text, box: best, anchor: anchor, leader: !l.noLeaders && !overlaps(best, near),
			textAt: vg.Point{X: best.Min.X - r0.Min.X, Y: best.Min.Y - r0.Min.Y}})
	}
	return out
}

// DataRange implements plot.DataRanger: labels do not widen the axes.
func (l *labelLayer) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax, ymin, ymax = math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range l.labels {
		if !finite(s.X) || !finite(s.Y) {
			continue
		}
		xmin, xmax = math.Min(xmin, s.X), math.Max(xmax, s.X)
		ymin, ymax = math.Min(ymin, s.Y), math.Max(ymax, s.Y)
	}
	return xmin, xmax, ymin, ymax
}

// legendRect is where gonum/plot draws p's legend inside data canvas c.
func legendRect(p *plot.Plot, c draw.Canvas) (vg.Rectangle, bool) {
	r := p.Legend.Rectangle(c)
	w, h := r.Max.X-r.Min.X, r.Max.Y-r.Min.Y
	if w <= 0 || h <= 0 {
		return vg.Rectangle{}, false
	}
	var out vg.Rectangle
	if p.Legend.Left {
		out.Min.X = c.Min.X
	} else {
		out.Min.X = c.Max.X - w
	}
	if p.Legend.Top {
		out.Min.Y = c.Max.Y - h
	} else {
		out.Min.Y = c.Min.Y
	}
	out.Min.X += p.Legend.XOffs
	out.Min.Y += p.Legend.YOffs
	out.Max = vg.Point{X: out.Min.X + w, Y: out.Min.Y + h}
	return out, true
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func clampLen(v, lo, hi vg.Length) vg.Length { return max(lo, min(v, hi)) }

func inside(r, area vg.Rectangle) bool {
	const tol = 0.5
	return r.Min.X >= area.Min.X-tol && r.Max.X <= area.Max.X+tol && r.Min.Y >= area.Min.Y-tol && r.Max.Y <= area.Max.Y+tol
}

func overlaps(a, b vg.Rectangle) bool {
	return a.Min.X < b.Max.X && b.Min.X < a.Max.X && a.Min.Y < b.Max.Y && b.Min.Y < a.Max.Y
}

func overlapsAny(r vg.Rectangle, rs []vg.Rectangle) bool {
	for _, o := range rs {
		if overlaps(r, o) {
			return true
		}
	}
	return false
}

// crossesAny reports whether any segment passes through r.
func crossesAny(r vg.Rectangle, segs [][2]vg.Point) bool {
	for _, s := range segs {
		if segmentHitsRect(s[0], s[1], r) {
			return true
		}
	}
	return false
}

// segmentHitsRect clips segment ab against r (Liang–Barsky).
func segmentHitsRect(a, b vg.Point, r vg.Rectangle) bool {
	if max(a.X, b.X) < r.Min.X || min(a.X, b.X) > r.Max.X || max(a.Y, b.Y) < r.Min.Y || min(a.Y, b.Y) > r.Max.Y {
		return false
	}
	dx, dy := float64(b.X-a.X), float64(b.Y-a.Y)
	t0, t1 := 0.0, 1.0
	for _, e := range [4][2]float64{
		{-dx, float64(a.X - r.Min.X)}, {dx, float64(r.Max.X - a.X)},
		{-dy, float64(a.Y - r.Min.Y)}, {dy, float64(r.Max.Y - a.Y)},
	} {
		p, q := e[0], e[1]
		if p == 0 {
			if q < 0 {
				return false
			}
			continue
		}
		t := q / p
		if p < 0 {
			t0 = math.Max(t0, t)
		} else {
			t1 = math.Min(t1, t)
		}
		if t0 > t1 {
			return false
		}
	}
	return true
}

// flowLegend is a legend drawn outside a plot's data area: its entries flow
// left to right in rows under the plot, so it never covers data.
type flowLegend struct {
	entries []flowEntry
	style   text.Style
}

type flowEntry struct {
	text   string
	thumbs []plot.Thumbnailer
}

// newFlowLegend returns an empty legend in the plot's legend font, a
// little smaller.
func newFlowLegend() *flowLegend {
	st := plot.NewLegend().TextStyle
	st.Font.Size = vg.Points(10.5)
	return &flowLegend{style: st}
}

// Add adds an entry; its thumbnail is the composite of thumbs (nil thumbs
// are skipped; an entry without any is dropped).
func (l *flowLegend) Add(name string, thumbs ...plot.Thumbnailer) {
	var ts []plot.Thumbnailer
	for _, t := range thumbs {
		if t != nil && !isNilThumb(t) {
			ts = append(ts, t)
		}
	}
	if name == "" || len(ts) == 0 {
		return
	}
	l.entries = append(l.entries, flowEntry{text: name, thumbs: ts})
}

// isNilThumb catches typed nil pointers (addLine returns a nil *Line when
// it has nothing to draw).
func isNilThumb(t plot.Thumbnailer) bool {
	switch v := t.(type) {
	case *plotter.Line:
		return v == nil
	case *plotter.Scatter:
		return v == nil
	case *plotter.Polygon:
		return v == nil
	}
	return false
}

const (
	flowThumb  = 22 // thumbnail width, points
	flowGap    = 5  // thumbnail to text, points
	flowSpace  = 16 // between entries, points
	flowRowPad = 3  // between rows, points
)

// rows splits the entries into rows that fit width.
func (l *flowLegend) rows(width vg.Length) [][]int {
	var rows [][]int
	var cur []int
	x := vg.Length(0)
	for i, e := range l.entries {
		w := vg.Points(flowThumb+flowGap) + l.style.Width(e.text)
		if len(cur) > 0 && x+w > width {
			rows = append(rows, cur)
			cur, x = nil, 0
		}
		cur = append(cur, i)
		x += w + vg.Points(flowSpace)
	}
	if len(cur) > 0 {
		rows = append(rows, cur)
	}
	return rows
}

func (l *flowLegend) rowHeight() vg.Length {
	return l.style.FontExtents().Height + vg.Points(flowRowPad)
}

// height is the space the legend needs at width.
func (l *flowLegend) height(width vg.Length) vg.Length {
	if l == nil || len(l.entries) == 0 {
		return 0
	}
	return vg.Length(len(l.rows(width)))*l.rowHeight() + vg.Points(6)
}

// draw draws the legend into c, rows from the top, left-aligned.
func (l *flowLegend) draw(c draw.Canvas) {
	if l == nil || len(l.entries) == 0 {
		return
	}
	rh := l.rowHeight()
	ext := l.style.FontExtents()
	y := c.Max.Y - vg.Points(4)
	for _, row := range l.rows(c.Max.X - c.Min.X) {
		x := c.Min.X
		top := y
		bottom := y - rh + vg.Points(flowRowPad)
		for _, i := range row {
			e := l.entries[i]
			icon := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: x, Y: bottom}, Max: vg.Point{X: x + vg.Points(flowThumb), Y: top}}}
			for _, t := range e.thumbs {
				t.Thumbnail(&icon)
			}
			c.FillText(l.style, vg.Point{X: x + vg.Points(flowThumb+flowGap), Y: bottom + ext.Descent}, e.text)
			x += vg.Points(flowThumb+flowGap+flowSpace) + l.style.Width(e.text)
		}
		y -= rh
	}
}

// panel is one plot of a figure with, optionally, a legend drawn under it.
type panel struct {
	p      *plot.Plot
	legend *flowLegend
}

// drawPanels lays panels out in rows (one column), each followed by its
// legend strip (aligned with the data area), with the data areas aligned
// as drawPlots does.
func drawPanels(dc draw.Canvas, panels ...panel) {
	right := dc.Max.X - vg.Points(4)
	widths := make([]vg.Length, len(panels))
	for i := range widths {
		widths[i] = right - dc.Min.X
	}
	var cs []draw.Canvas
	var heights []vg.Length
	// The strips' widths depend on the layout (the Y axes' widths), and
	// their heights change the layout: two passes settle it.
	for pass := 0; pass < 3; pass++ {
		heights = make([]vg.Length, len(panels))
		var total vg.Length
		for i, pn := range panels {
			heights[i] = pn.legend.height(widths[i])
			total += heights[i]
		}
		cs = panelCanvases(dc, total, heights, panels)
		settled := true
		for i, pn := range panels {
			w := right - pn.p.DataCanvas(cs[i]).Min.X
			if pn.legend.height(w) != heights[i] {
				settled = false
			}
			widths[i] = w
		}
		if settled {
			break
		}
	}
	for i, pn := range panels {
		c := cs[i]
		drawPlot(pn.p, c)
		if heights[i] > 0 {
			data := pn.p.DataCanvas(c)
			pn.legend.draw(draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: data.Min.X, Y: c.Min.Y - heights[i]},
				Max: vg.Point{X: right, Y: c.Min.Y},
			}})
		}
	}
}

// panelCanvases returns each panel's canvas: the panels tiled (and aligned)
// in dc less the legend strips' total height, each moved down by the strips
// above it.
func panelCanvases(dc draw.Canvas, total vg.Length, heights []vg.Length, panels []panel) []draw.Canvas {
	rest := dc
	rest.Min.Y += total
	var cs []draw.Canvas
	if len(panels) == 1 {
		cs = []draw.Canvas{rest}
	} else {
		rows := make([][]*plot.Plot, len(panels))
		for i, pn := range panels {
			rows[i] = []*plot.Plot{pn.p}
		}
		t := draw.Tiles{Rows: len(panels), Cols: 1, PadY: vg.Points(8), PadTop: vg.Points(2), PadBottom: vg.Points(2), PadLeft: vg.Points(2), PadRight: vg.Points(4)}
		for _, row := range plot.Align(rows, t, rest) {
			cs = append(cs, row[0])
		}
	}
	var above vg.Length
	for i := range cs {
		cs[i].Min.Y -= above
		cs[i].Max.Y -= above
		above += heights[i]
	}
	return cs
}

// drawPlot draws p into c. gonum/plot reserves room above the data for a
// log-scale Y axis's centred label as if it sat at the arithmetic middle of
// the range (near the top), leaving a wide gap under the title; the label
// is therefore drawn here, centred on the data area, with the same space
// reserved beside the axis.
func drawPlot(p *plot.Plot, c draw.Canvas) {
	label := p.Y.Label.Text
	_, isLog := p.Y.Scale.(plot.LogScale)
	if !isLog || label == "" || p.Y.Label.Position != draw.PosCenter {
		p.Draw(c)
		return
	}
	p.Y.Label.Text = " "
	data := p.DataCanvas(c)
	p.Draw(c)
	p.Y.Label.Text = label
	sty := p.Y.Label.TextStyle
	sty.Rotation += math.Pi / 2
	x := c.Min.X + p.Y.Label.TextStyle.Height(label) - p.Y.Label.TextStyle.FontExtents().Descent
	c.FillText(sty, vg.Point{X: x, Y: data.Center().Y}, label)
}
