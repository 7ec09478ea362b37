package report

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestNumberFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"volume 5 M", fmtVolume(5e6), "5.0 M"},
		{"volume 59.9 M", fmtVolume(59.94e6), "59.9 M"},
		{"volume 121 M", fmtVolume(120.6e6), "121 M"},
		{"volume 100 B", fmtVolume(1e11), "100 B"},
		{"volume rounds up a unit", fmtVolume(999.96e3), "1.0 M"},
		{"volume 3.4 k", fmtVolume(3400), "3.4 k"},
		{"volume 120", fmtVolume(120), "120"},
		{"volume 1.5 T", fmtVolume(1.5e12), "1.5 T"},
		{"volume range one unit", fmtVolumeRange(44.7e6, 98.6e6), "44.7–98.6 M"},
		{"volume range two units", fmtVolumeRange(850e3, 1.2e6), "850 k–1.2 M"},
		{"usd cents", fmtUSD(4.164), "$4.16"},
		{"usd thousands", fmtUSD(12345.6), "$12,346"},
		{"usd sub-cent", fmtUSD(0.0000042), "$0.0000042"},
		{"usd per 1M", fmtPerMillion(0.000004), "$4.00 per 1M"},
		{"rate", fmtRate(22.8), "22.8"},
		{"rate large", fmtRate(1234.5), "1,235"},
		{"rate small", fmtRate(0.0042), "0.0042"},
		{"ratio", fmtRatio(30.37, 4.16), "7.3×"},
		{"ratio large", fmtRatio(300, 4), "75×"},
		{"ratio small", fmtRatio(1.04, 1), "4%"},
		{"ratio not cheaper", fmtRatio(1, 2), ""},
		{"tick", fmtTick(1e12), "1T"},
		{"tick small", fmtTick(0.0005), "0.0005"},
		{"quantity", fmtQuantity(123456.78), "123500"},
		{"memory", fmtMB(1024), "1,024 MB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

// exponent matches a number written in e-notation (1e+11, 2.5E+06).
var exponent = regexp.MustCompile(`\d(\.\d+)?[eE]\+\d`)

// zeroCell matches a bare 0.00 (not $0.00 or 0.00%): what a break-even
// without a crossing used to print.
var zeroCell = regexp.MustCompile(`(^|[^\d.$])0\.00($|[^\d%])`)

// TestNoExponentNoZeroBreakEven renders runs shaped like the quickstart
// and paper-fig3 runs (priced by the real pricing package): report.html,
// report.md and the SVG charts write no number in e-notation, and no
// break-even cell (decision table, matrix, crossings) reads 0.00.
func TestNoExponentNoZeroBreakEven(t *testing.T) {
	t.Parallel()
	for _, sh := range []shape{quickstartShape(), paperShape()} {
		t.Run(sh.name, func(t *testing.T) {
			t.Parallel()
			_, out := renderShaped(t, sh, "html", "md", "svg")
			html := readFile(t, filepath.Join(out, "report.html"))
			md := readFile(t, filepath.Join(out, "report.md"))
			docs := map[string]string{"report.html": withoutDataURIs(html), "report.md": md}
			svgs, _ := filepath.Glob(filepath.Join(out, ChartDir, "*.svg"))
			for _, p := range svgs {
				docs[filepath.Base(p)] = svgText(readFile(t, p))
			}
			for name, doc := range docs {
				if loc := exponent.FindStringIndex(doc); loc != nil {
					t.Errorf("%s: e-notation %q in …%s…", name, doc[loc[0]:loc[1]], doc[max(0, loc[0]-80):min(len(doc), loc[1]+40)])
				}
			}
			for name, part := range map[string]string{
				"html decision":   between(html, `<section id="decision"`, `</section>`),
				"html break-even": between(html, `<section id="break-even"`, `</section>`),
				"md decision":     between(md, "## Decision", "## Break-even"),
				"md break-even":   between(md, "## Break-even", "**SLO"),
			} {
				if part == "" {
					t.Errorf("%s: section not found", name)
					continue
				}
				if loc := zeroCell.FindStringIndex(part); loc != nil {
					t.Errorf("%s: a 0.00 cell: …%s…", name, part[max(0, loc[0]-120):min(len(part), loc[1]+40)])
				}
			}
		})
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// between returns s from the first start to the next end after it ("" when
// start is missing; the rest of s when end is).
func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	j := strings.Index(s[i+len(start):], end)
	if j < 0 {
		return s[i:]
	}
	return s[i : i+len(start)+j]
}

// withoutDataURIs drops the base64 chart images from a page (their bytes
// are not text a reader sees; the SVGs are checked on their own).
func withoutDataURIs(s string) string {
	return regexp.MustCompile(`data:image/svg\+xml;base64,[A-Za-z0-9+/=]+`).ReplaceAllString(s, "data:")
}

// svgText keeps the text elements of an SVG (tick labels, legends,
// annotations), not its path coordinates.
func svgText(s string) string {
	var b strings.Builder
	for _, m := range regexp.MustCompile(`<text[^>]*>([^<]*)</text>`).FindAllStringSubmatch(s, -1) {
		b.WriteString(m[1] + "\n")
	}
	return b.String()
}

// TestVolumeCIWithAnOpenEnd checks that a break-even interval with an end
// where the costs do not cross in the range searched is written as such,
// not dropped and not as "0".
func TestVolumeCIWithAnOpenEnd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lo, hi, max float64
		want        string
	}{
		{44.7e6, 98.6e6, 100e9, "44.7–98.6 M"},
		{54.2e6, 0, 100e9, "54.2 M to beyond 100 B"},
		{54.2e6, 0, 0, "54.2 M to beyond the range searched"},
		{0, 45.5e6, 100e9, "at most 45.5 M"},
		{0, 0, 100e9, ""},
	} {
		if got := fmtVolumeCI(tc.lo, tc.hi, tc.max); got != tc.want {
			t.Errorf("fmtVolumeCI(%g, %g, %g) = %q, want %q", tc.lo, tc.hi, tc.max, got, tc.want)
		}
	}
}
