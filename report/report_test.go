package report

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// renderSynthetic writes a synthetic run under a fixed folder name and
// renders it in formats into <tmp>/out.
func renderSynthetic(t *testing.T, o synthOpts, formats []string, opts ...Option) (runDir, outDir string, files []string) {
	t.Helper()
	base := t.TempDir()
	runDir = filepath.Join(base, "synthetic-run")
	writeSyntheticRun(t, runDir, o)
	outDir = filepath.Join(base, "out")
	files, err := Render(context.Background(), runDir, outDir, formats, opts...)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return runDir, outDir, files
}

func goldenPath(name string) string {
	return filepath.Join("testdata", "golden", filepath.FromSlash(name))
}

// checkGolden compares got with the golden file byte for byte.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := goldenPath(name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run `go test ./report -update` to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		// Show the first differing line.
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs from golden at line %d:\n got: %.200s\nwant: %.200s", name, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs from golden (%d vs %d lines)", name, len(gl), len(wl))
	}
}

// pixelDiff returns the fraction of pixels whose RGBA channels differ by
// more than 16/255 between two images of the same size.
func pixelDiff(a, b image.Image) (float64, error) {
	if a.Bounds() != b.Bounds() {
		return 1, errors.New("image sizes differ: " + a.Bounds().String() + " vs " + b.Bounds().String())
	}
	r := a.Bounds()
	var diff int
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if absDiff(r1, r2) > 16<<8 || absDiff(g1, g2) > 16<<8 || absDiff(b1, b2) > 16<<8 || absDiff(a1, a2) > 16<<8 {
				diff++
			}
		}
	}
	return float64(diff) / float64(r.Dx()*r.Dy()), nil
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	_, out, files := renderSynthetic(t, defaultSynth(), []string{"html,md,json,svg,png"})
	if len(files) == 0 {
		t.Fatal("no files written")
	}
	for _, name := range []string{"report.html", "report.md", "summary.json"} {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, name, got)
	}
	svgs, _ := filepath.Glob(filepath.Join(out, ChartDir, "*.svg"))
	if len(svgs) < 6 {
		t.Fatalf("got %d SVG charts, want at least 6: %v", len(svgs), svgs)
	}
	for _, p := range svgs {
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, ChartDir+"/"+filepath.Base(p), got)
	}
	// PNGs: compared by decoded pixels with a tolerance; goldens are kept
	// for two charts to keep the repository small.
	for _, name := range []string{ChartLatencyCDF, ChartCapacity} {
		got, err := os.ReadFile(filepath.Join(out, ChartDir, name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		gp := ChartDir + "/" + name + ".png"
		if *update {
			checkGolden(t, gp, got)
			continue
		}
		want, err := os.ReadFile(goldenPath(gp))
		if err != nil {
			t.Fatalf("read golden: %v", err)
		}
		gi, err := png.Decode(bytes.NewReader(got))
		if err != nil {
			t.Fatal(err)
		}
		wi, err := png.Decode(bytes.NewReader(want))
		if err != nil {
			t.Fatal(err)
		}
		d, err := pixelDiff(gi, wi)
		if err != nil {
			t.Fatalf("%s: %v", gp, err)
		}
		if d > 0.005 {
			t.Errorf("%s: %.3f%% of pixels differ from golden, want ≤ 0.5%%", gp, 100*d)
		}
	}
}

// TestRenderWithoutSummary renders a run killed before it wrote
// summary.json, with a torn last line: the summary is recomputed from the
// records and the report says so.
func TestRenderWithoutSummary(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "killed-run")
	o := defaultSynth()
	o.PerTarget = 50
	writeSyntheticRun(t, dir, o)
	if err := os.Remove(filepath.Join(dir, SummaryFile)); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "results.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"attack":"steady","seq":9999,"code":200,"tim`); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := t.TempDir()
	if _, err := Render(context.Background(), dir, out, []string{"md"}); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"summary.json was missing", "### bert-server", "200 records"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
}

func TestParseFormats(t *testing.T) {
	t.Parallel()
	report, compare := ParseFormats, ParseCompareFormats
	const reportNames, compareNames = "html, md, json, png, svg", "text, md, json, html, png, svg"
	tests := []struct {
		name    string
		parse   func([]string) ([]string, error)
		names   string // listed in the error
		in      []string
		want    string
		wantErr bool
	}{
		{"default", report, reportNames, nil, "html,md,json", false},
		{"comma list", report, reportNames, []string{"svg,png"}, "svg,png", false},
		{"repeated and deduplicated", report, reportNames, []string{"html", "html,markdown"}, "html,md", false},
		{"all", report, reportNames, []string{"all"}, "html,md,json,png,svg", false},
		{"unknown", report, reportNames, []string{"html,pdf"}, "", true},
		{"compare default", compare, compareNames, nil, "text", false},
		{"compare comma list and markdown", compare, compareNames, []string{"html,markdown", "md"}, "html,md", false},
		{"compare all", compare, compareNames, []string{"json,all"}, "json,text,md,html,png,svg", false},
		{"compare unknown", compare, compareNames, []string{"text,xml"}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.parse(tc.in)
			if tc.wantErr {
				if !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), tc.names) {
					t.Fatalf("err = %v, want ErrUnknownFormat listing the names", err)
				}
				return
			}
			if err != nil || strings.Join(got, ",") != tc.want {
				t.Fatalf("got %v, %v; want %s", got, err, tc.want)
			}
		})
	}
}
