package report

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
)

// TestLabelLayerPlacesWithoutOverlap piles labels onto the same or nearby
// anchors and checks that every placed box stays inside the data area and
// overlaps no other label.
func TestLabelLayerPlacesWithoutOverlap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		anchors plotter.XYs
		dirs    []labelDir
		log     bool
	}{
		{"same point", plotter.XYs{{X: 5, Y: 5}, {X: 5, Y: 5}, {X: 5, Y: 5}, {X: 5, Y: 5}, {X: 5, Y: 5}}, nil, false},
		{"near the right edge", plotter.XYs{{X: 9.9, Y: 9.9}, {X: 9.8, Y: 9.85}, {X: 9.9, Y: 9.7}}, []labelDir{dirSW, dirNW}, false},
		{"crossing cluster on log axes", plotter.XYs{{X: 3.9e7, Y: 37}, {X: 7.2e7, Y: 68}, {X: 8.9e7, Y: 84}, {X: 8.6e7, Y: 70}, {X: 1.3e8, Y: 110}}, []labelDir{dirNW, dirSE, dirNE, dirSW}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := plot.New()
			if tc.log {
				p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
				p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 1e4, 1e10, 0.01, 1e4
			} else {
				p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 10, 0, 10
			}
			ll := newLabelLayer()
			for i, a := range tc.anchors {
				ll.add(a.X, a.Y, fmt.Sprintf("label number %d (%.3g)", i, a.X), tc.dirs...)
			}
			// A line through the anchors: labels should avoid it when they can.
			ll.avoid = []plotter.XYs{tc.anchors}
			dc := draw.New(vgsvg.New(6*vg.Inch, 4*vg.Inch))
			data := p.DataCanvas(dc)
			got := ll.place(data, p)
			if len(got) != len(tc.anchors) {
				t.Fatalf("placed %d labels, want %d", len(got), len(tc.anchors))
			}
			for i, a := range got {
				if !inside(a.box, data.Rectangle) {
					t.Errorf("label %d box %v outside the data area %v", i, a.box, data.Rectangle)
				}
				for j := range i {
					if overlaps(a.box, got[j].box) {
						t.Errorf("labels %d and %d overlap: %v, %v", j, i, got[j].box, a.box)
					}
				}
			}
		})
	}
}

func TestSegmentHitsRect(t *testing.T) {
	t.Parallel()
	r := vg.Rectangle{Min: vg.Point{X: 0, Y: 0}, Max: vg.Point{X: 10, Y: 10}}
	tests := []struct {
		name string
		a, b vg.Point
		want bool
	}{
		{"through", vg.Point{X: -5, Y: 5}, vg.Point{X: 15, Y: 5}, true},
		{"inside", vg.Point{X: 2, Y: 2}, vg.Point{X: 3, Y: 3}, true},
		{"diagonal miss", vg.Point{X: -5, Y: 8}, vg.Point{X: 2, Y: 20}, false},
		{"above", vg.Point{X: -5, Y: 11}, vg.Point{X: 15, Y: 11}, false},
		{"corner cut", vg.Point{X: -1, Y: 9}, vg.Point{X: 2, Y: 12}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := segmentHitsRect(tc.a, tc.b, r); got != tc.want {
				t.Errorf("segmentHitsRect(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

// breakEvenModel is a quickstart-like priced run: 5 memory sizes × 2
// architectures against 3 autoscaled fleets, 1024 MB the sweep's cheapest
// configuration meeting the SLO.
func breakEvenModel() *Model {
	s := &results.Summary{Targets: []results.TargetSummary{{Name: "ref"}, {Name: "fn"}}}
	var curves []Curve
	mems := []int{256, 512, 1024, 1769, 2048}
	perM := func(mem int, arch string) float64 {
		v := 0.8 + 0.1*math.Abs(math.Log2(float64(mem)/1024))
		if arch == "arm64" {
			v *= 0.84
		}
		return v
	}
	vols := func() []float64 {
		var vs []float64
		for e := 4.0; e <= 10.0001; e += 0.025 {
			vs = append(vs, math.Pow(10, e))
		}
		return vs
	}()
	for _, mem := range mems {
		s.Experiments.MemorySweep = append(s.Experiments.MemorySweep, results.MemorySweepRow{Target: "fn", MemoryMB: mem, CheapestWithSLO: mem == 1024})
		for _, arch := range []string{"x86_64", "arm64"} {
			c := Curve{Name: fmt.Sprintf("fn %d MB %s", mem, arch), Kind: "serverless"}
			for _, v := range vols {
				usd := perM(mem, arch) * v / 1e6
				c.Points = append(c.Points, CurvePoint{MonthlyRequests: v, USD: usd, LowUSD: usd * 0.95, HighUSD: usd * 1.05})
			}
			curves = append(curves, c)
		}
	}
	perInstance := pricing.MonthlyRequests(85 * 0.7)
	for _, f := range []struct {
		name  string
		price float64
	}{{"c7g.large", 52}, {"c7i.large", 64}, {"t3.medium", 30}} {
		c := Curve{Name: f.name + " fleet (autoscaled, 85 rps/instance at 70% utilisation)", Kind: "fleet"}
		for _, v := range vols {
			usd := math.Max(1, math.Ceil(v/perInstance)) * f.price
			c.Points = append(c.Points, CurvePoint{MonthlyRequests: v, USD: usd, LowUSD: usd, HighUSD: usd})
		}
		curves = append(curves, c)
		for _, sc := range curves {
			if sc.Kind != "serverless" {
				continue
			}
			// The serverless line meets the one-instance fleet cost at
			// f.price / perM per million.
			be := f.price / (sc.Points[0].USD / sc.Points[0].MonthlyRequests)
			s.BreakEven = append(s.BreakEven, results.BreakEvenRow{
				Serverless: sc.Name, Instance: f.name, Fleet: c.Name, MonthlyRequests: be, AverageRPS: pricing.AverageRPS(be),
				Crossings: []results.Crossing{{MonthlyRequests: be, AverageRPS: pricing.AverageRPS(be), Direction: "serverless_becomes_dearer", CostUSD: f.price}},
			})
		}
	}
	m := &Model{Summary: s, curves: curves}
	return m
}

// TestBreakEvenDrawsOnlyTheRecommendation checks the quickstart case: of ten
// configurations only the sweep's winner (both architectures) is drawn with
// crossings and labels; one label per instance type; the rest are listed
// as "other memory sizes".
func TestBreakEvenDrawsOnlyTheRecommendation(t *testing.T) {
	t.Parallel()
	m := breakEvenModel()
	c, skip := m.breakEvenChart()
	if c == nil {
		t.Fatalf("no chart: %s", skip)
	}
	if !strings.Contains(c.Caption, "recommended") || !strings.Contains(c.Caption, "fn 1024 MB x86_64 and fn 1024 MB arm64") {
		t.Errorf("caption does not name the recommendation: %q", c.Caption)
	}
	if !strings.Contains(c.Caption, "other 8 configurations") {
		t.Errorf("caption does not say how the other configurations are drawn: %q", c.Caption)
	}
	if c.Table == nil || len(c.Table.Rows) != 6 {
		t.Fatalf("crossings table: got %+v, want 6 rows (2 configurations × 3 instances)", c.Table)
	}
	for _, r := range c.Table.Rows {
		if !strings.HasPrefix(r[0], "fn 1024 MB ") {
			t.Errorf("table row of a configuration not drawn: %v", r)
		}
	}
	var buf bytes.Buffer
	if err := c.WriteSVG(&buf); err != nil {
		t.Fatal(err)
	}
	svg := buf.String()
	for _, inst := range []string{"c7g.large", "c7i.large", "t3.medium"} {
		if n := strings.Count(svg, ">vs "+inst+":"); n != 1 {
			t.Errorf("%s: %d labels on the plot, want 1", inst, n)
		}
		if !strings.Contains(svg, ">"+inst+" fleet: break-even ") {
			t.Errorf("%s: no legend entry with its break-even", inst)
		}
	}
	for _, want := range []string{">fn 1024 MB x86_64 (recommended), 95% CI<", ">fn 1024 MB arm64 (recommended), 95% CI<", ">other serverless configurations<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("legend lacks %q", want)
		}
	}
	if strings.Contains(svg, "fn 256 MB") || strings.Contains(svg, "fn 2048 MB") {
		t.Error("a configuration that is not recommended is named on the chart")
	}
}

// TestBreakEvenWithoutRecommendationDrawsAll: with no sweep winner every
// configuration is a headline and none is greyed out.
func TestBreakEvenWithoutRecommendationDrawsAll(t *testing.T) {
	t.Parallel()
	m := breakEvenModel()
	for i := range m.Summary.Experiments.MemorySweep {
		m.Summary.Experiments.MemorySweep[i].CheapestWithSLO = false
	}
	c, _ := m.breakEvenChart()
	if c == nil {
		t.Fatal("no chart")
	}
	if strings.Contains(c.Caption, "recommended") || strings.Contains(c.Caption, "thin grey") {
		t.Errorf("caption claims a recommendation: %q", c.Caption)
	}
	if c.Table == nil || len(c.Table.Rows) != 30 {
		t.Errorf("crossings table: want all 30 rows")
	}
	var buf bytes.Buffer
	if err := c.WriteSVG(&buf); err != nil {
		t.Fatal(err)
	}
	for _, inst := range []string{"c7g.large", "c7i.large", "t3.medium"} {
		if n := strings.Count(buf.String(), ">vs "+inst+":"); n != 1 {
			t.Errorf("%s: %d labels on the plot, want 1", inst, n)
		}
	}
}

func TestFleetLegendNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in, want []string
		note     string
	}{
		{"shared suffix", []string{"a fleet (x, y)", "b fleet (x, y)"}, []string{"a fleet", "b fleet"}, "x, y"},
		{"different suffixes", []string{"a fleet (x)", "b fleet (y)"}, []string{"a fleet (x)", "b fleet (y)"}, ""},
		{"no suffix", []string{"a", "b (y)"}, []string{"a", "b (y)"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, note := fleetLegendNames(tc.in)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || note != tc.note {
				t.Errorf("fleetLegendNames(%q) = %q, %q; want %q, %q", tc.in, got, note, tc.want, tc.note)
			}
		})
	}
}

// TestBreakEvenMarksYourTraffic: with a decision, only its serverless
// configuration is bold, the profile's volume is a vertical line labelled
// "your traffic", a Lambda Managed Instances curve is drawn as an
// always-on step line beside the fleets, and an instance type that never
// crosses says so in the legend.
func TestBreakEvenMarksYourTraffic(t *testing.T) {
	t.Parallel()
	m := breakEvenModel()
	lmi := Curve{Name: "m7g.large Lambda Managed Instances (3 minimum)", Kind: results.OptionLambdaManaged}
	for e := 4.0; e <= 10.0001; e += 0.5 {
		v := math.Pow(10, e)
		usd := 207.51 * math.Max(1, v/5e8)
		lmi.Points = append(lmi.Points, CurvePoint{MonthlyRequests: v, USD: usd, LowUSD: usd, HighUSD: usd})
	}
	m.curves = append(m.curves, lmi)
	m.Summary.BreakEven = append(m.Summary.BreakEven, results.BreakEvenRow{Serverless: "fn 1024 MB arm64", Instance: "m7g.large",
		InstanceKind: results.OptionLambdaManaged, Fleet: lmi.Name, Crossings: []results.Crossing{}})
	m.Summary.Decision = &results.Decision{MonthlyRequests: 5e6, Serverless: "fn 1024 MB arm64", Recommended: "fn 1024 MB arm64",
		BreakEvenMinMonthlyRequests: 1, BreakEvenMaxMonthlyRequests: 1e11}
	c, skip := m.breakEvenChart()
	if c == nil {
		t.Fatalf("no chart: %s", skip)
	}
	var buf bytes.Buffer
	if err := c.WriteSVG(&buf); err != nil {
		t.Fatal(err)
	}
	svg := buf.String()
	for _, want := range []string{">your traffic: 5.0 M/month<", ">fn 1024 MB arm64 (recommended), 95% CI<",
		">m7g.large Lambda Managed Instances (3 minimum): no break-even ≤ 100 B<", ">c7g.large fleet: break-even "} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if strings.Contains(svg, ">fn 1024 MB x86_64") {
		t.Error("the other architecture is drawn bold although the decision names one configuration")
	}
	if !strings.Contains(c.Caption, "your traffic, 5.0 M requests/month") || len(c.Table.Rows) != 4 {
		t.Errorf("caption %q, table %d rows (want 4: one configuration × 4 options)", c.Caption, len(c.Table.Rows))
	}
}
