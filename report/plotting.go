package report

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// PNGDPI is the resolution of PNG charts: 2× the 96 DPI of a screen.
const PNGDPI = 192

// Chart is one figure of the report, drawable as SVG or PNG. Multi-panel
// figures (memory sweep, latency over time, cold starts) are one Chart.
type Chart struct {
	// Name is the file stem (latency_cdf → latency_cdf.png).
	Name string
	// Title is the figure's heading in documents.
	Title string
	// Caption explains the figure, including any downsampling.
	Caption string
	// Width and Height are the figure's size.
	Width, Height vg.Length

	// Table, when set, is shown under the chart in HTML and Markdown (for
	// example the crossings the chart marks, so the plot needs few labels).
	Table *ChartTable

	draw func(dc draw.Canvas)
}

// ChartTable is a small table shown with a chart.
type ChartTable struct {
	// Caption introduces the table.
	Caption string
	Header  []string
	Rows    [][]string
}

// WriteSVG writes the chart as SVG. Output is byte-for-byte deterministic;
// fonts are referenced (Liberation), not embedded.
func (c *Chart) WriteSVG(w io.Writer) (err error) {
	defer recoverPlot(&err, c.Name)
	cv := vgsvg.NewWith(vgsvg.UseWH(c.Width, c.Height))
	c.draw(draw.New(cv))
	if _, err := cv.WriteTo(w); err != nil {
		return fmt.Errorf("write %s.svg: %w", c.Name, err)
	}
	return nil
}

// WritePNG writes the chart as PNG at PNGDPI.
func (c *Chart) WritePNG(w io.Writer) (err error) {
	defer recoverPlot(&err, c.Name)
	cv := vgimg.NewWith(vgimg.UseWH(c.Width, c.Height), vgimg.UseDPI(PNGDPI))
	c.draw(draw.New(cv))
	if _, err := (vgimg.PngCanvas{Canvas: cv}).WriteTo(w); err != nil {
		return fmt.Errorf("write %s.png: %w", c.Name, err)
	}
	return nil
}

// recoverPlot turns a gonum/plot panic (it panics on some degenerate data)
// into an error naming the chart.
func recoverPlot(err *error, name string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("draw chart %s: %v", name, r)
	}
}

// drawPlots lays plots out in rows (one column) and draws them.
func drawPlots(dc draw.Canvas, plots ...*plot.Plot) {
	panels := make([]panel, len(plots))
	for i, p := range plots {
		panels[i] = panel{p: p}
	}
	drawPanels(dc, panels...)
}

// hexColour parses "#RRGGBB".
func hexColour(s string) color.RGBA {
	v, _ := strconv.ParseUint(s[1:], 16, 32)
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}
}

// withAlpha returns c with alpha a (premultiplied, as image/color expects).
func withAlpha(c color.RGBA, a uint8) color.RGBA {
	f := float64(a) / 255
	return color.RGBA{R: uint8(float64(c.R) * f), G: uint8(float64(c.G) * f), B: uint8(float64(c.B) * f), A: a}
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = true
	return p
}

// setLog makes an axis logarithmic with ticks that label 1-2-5 steps when
// the range is narrow (LogTicks alone labels only decades) and decades
// otherwise. Callers keep data > 0 (LogScale panics otherwise).
func setLog(a *plot.Axis, label func(float64) string) {
	a.Scale = plot.LogScale{}
	a.Tick.Marker = logTicks{label: label}
}

// logTicks is a plot.Ticker for log axes.
type logTicks struct{ label func(float64) string }

var _ plot.Ticker = logTicks{}

// Ticks returns major ticks at 1, 2 and 5 × 10^k (labelled when the axis
// spans fewer than four decades, else only decades), minor ticks between.
func (t logTicks) Ticks(min, max float64) []plot.Tick {
	if min <= 0 || max <= 0 || math.IsInf(min, 0) || math.IsInf(max, 0) || min > max {
		return nil
	}
	lo, hi := math.Floor(math.Log10(min)), math.Ceil(math.Log10(max))
	wide := hi-lo > 3
	label := t.label
	if label == nil {
		label = fmtTick
	}
	var ticks []plot.Tick
	for e := lo; e <= hi; e++ {
		base := math.Pow(10, e)
		for m := 1; m <= 9; m++ {
			v := float64(m) * base
			if v < min*0.999 || v > max*1.001 {
				continue
			}
			tk := plot.Tick{Value: v}
			if m == 1 || (!wide && (m == 2 || m == 5)) {
				tk.Label = label(v)
			}
			ticks = append(ticks, tk)
		}
	}
	return ticks
}

// plainTicks is gonum's default linear ticker with plain labels (0, 50,
// 100, 0.5; "$0.60" with a prefix) instead of a fixed precision ("250.00").
type plainTicks struct{ prefix string }

var _ plot.Ticker = plainTicks{}

// Ticks implements plot.Ticker.
func (t plainTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = t.prefix + plainSig(ticks[i].Value, 6)
		}
	}
	return ticks
}

// valueTicks labels exactly the given values (e.g. the memory sizes a sweep
// ran), with label(v).
type valueTicks struct {
	values []float64
	label  func(float64) string
}

var _ plot.Ticker = valueTicks{}

// Ticks implements plot.Ticker.
func (t valueTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for _, v := range t.values {
		if v >= min && v <= max {
			out = append(out, plot.Tick{Value: v, Label: t.label(v)})
		}
	}
	return out
}

// fmtTick labels a tick value compactly, never in e-notation: 0.5, 20,
// 1k, 10M, 2.5B.
func fmtTick(v float64) string {
	for _, u := range volumeUnits {
		if math.Abs(v) >= u.div {
			return plainSig(v/u.div, 3) + u.name
		}
	}
	return plainSig(v, 3)
}

// plainSig writes v to n significant digits without trailing zeros or an
// exponent: 2.5, 120, 0.005.
func plainSig(v float64, n int) string {
	s := sigFigs(v, n)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// positive keeps the points whose X and Y are finite and > 0 (for log-log).
func positive(xys plotter.XYs, logX, logY bool) plotter.XYs {
	out := make(plotter.XYs, 0, len(xys))
	for _, p := range xys {
		if math.IsNaN(p.X) || math.IsNaN(p.Y) || math.IsInf(p.X, 0) || math.IsInf(p.Y, 0) {
			continue
		}
		if (logX && p.X <= 0) || (logY && p.Y <= 0) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// addLine adds a line of xys in colour c (nothing when xys is empty).
func addLine(p *plot.Plot, xys plotter.XYs, c color.Color, width float64, dashes []vg.Length, legend string) *plotter.Line {
	if len(xys) == 0 {
		return nil
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return nil
	}
	l.Color = c
	l.Width = vg.Points(width)
	l.Dashes = dashes
	p.Add(l)
	if legend != "" {
		p.Legend.Add(legend, l)
	}
	return l
}

// addScatter adds points of xys with a glyph (nothing when xys is empty).
func addScatter(p *plot.Plot, xys plotter.XYs, c color.Color, shape draw.GlyphDrawer, radius float64, legend string) *plotter.Scatter {
	if len(xys) == 0 {
		return nil
	}
	s, err := plotter.NewScatter(xys)
	if err != nil {
		return nil
	}
	s.GlyphStyle.Color = c
	s.GlyphStyle.Shape = shape
	s.GlyphStyle.Radius = vg.Points(radius)
	p.Add(s)
	if legend != "" {
		p.Legend.Add(legend, s)
	}
	return s
}

// addLabels adds text labels at points, to their upper right when there is
// room (else another side, see labelLayer), and returns their layer.
func addLabels(p *plot.Plot, xys plotter.XYs, labels []string, dirs ...labelDir) *labelLayer {
	ll := newLabelLayer()
	if len(xys) == len(labels) {
		for i, xy := range xys {
			ll.add(xy.X, xy.Y, labels[i], dirs...)
		}
	}
	p.Add(ll)
	return ll
}

// addBand adds a filled band between lo and hi (same X values) and returns
// it (nil when there is nothing to draw).
func addBand(p *plot.Plot, lo, hi plotter.XYs, c color.Color) *plotter.Polygon {
	if len(lo) < 2 || len(lo) != len(hi) {
		return nil
	}
	ring := make(plotter.XYs, 0, 2*len(lo))
	ring = append(ring, lo...)
	for i := len(hi) - 1; i >= 0; i-- {
		ring = append(ring, hi[i])
	}
	poly, err := plotter.NewPolygon(ring)
	if err != nil {
		return nil
	}
	poly.Color = c
	poly.LineStyle.Width = 0
	p.Add(poly)
	return poly
}

// addVBand shades x in [x0, x1] over y in [y0, y1].
func addVBand(p *plot.Plot, x0, x1, y0, y1 float64, c color.Color) {
	poly, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
	if err != nil {
		return
	}
	poly.Color = c
	poly.LineStyle.Width = 0
	p.Add(poly)
}

// grey is the colour of reference lines (SLOs, capacity).
func grey() color.RGBA { return color.RGBA{R: 90, G: 90, B: 90, A: 255} }

// red is the colour of violations and errors.
func red() color.RGBA { return color.RGBA{R: 200, G: 30, B: 30, A: 255} }

func dashed() []vg.Length { return []vg.Length{vg.Points(5), vg.Points(3)} }

// dashDot is the dash pattern of a second architecture's serverless line,
// distinct from the fleets' dashes.
func dashDot() []vg.Length {
	return []vg.Length{vg.Points(9), vg.Points(2.5), vg.Points(2), vg.Points(2.5)}
}

// darken mixes c with black: f = 0 keeps c, 1 gives black.
func darken(c color.RGBA, f float64) color.RGBA {
	k := 1 - f
	return color.RGBA{R: uint8(float64(c.R) * k), G: uint8(float64(c.G) * k), B: uint8(float64(c.B) * k), A: c.A}
}

func dotted() []vg.Length { return []vg.Length{vg.Points(1.5), vg.Points(2.5)} }
