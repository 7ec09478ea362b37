package report

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// compareFixture writes two synthetic runs, A and B, under base and
// compares them.
func compareFixture(t *testing.T, base string, oA, oB synthOpts) *Comparison {
	t.Helper()
	a, b := filepath.Join(base, "a"), filepath.Join(base, "b")
	writeSyntheticRun(t, a, oA)
	writeSyntheticRun(t, b, oB)
	c, err := Compare(context.Background(), a, b)
	if err != nil {
		t.Fatal(err)
	}
	// Fixed directories, so the golden files do not hold temp paths.
	c.ProvenanceA.Dir, c.ProvenanceB.Dir = "runs/a", "runs/b"
	return c
}

func shiftedSynth(seed uint64, scale float64) synthOpts {
	o := defaultSynth()
	o.Seed, o.Scale = seed, scale
	return o
}

// TestCompareHTMLGolden renders compare.html and its chart (SVG byte for
// byte, PNG decoded) for the known-shift fixture of TestCompare.
func TestCompareHTMLGolden(t *testing.T) {
	t.Parallel()
	c := compareFixture(t, t.TempDir(), shiftedSynth(1, 1), shiftedSynth(3, 1.25))
	c.Judge(0.10)
	c.FailOnRegression = true
	var html bytes.Buffer
	if err := WriteComparison(&html, c, "html"); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "compare.html", html.Bytes())
	page := html.String()
	for _, want := range []string{
		"B regresses", "bert-server", "bert-lambda", "threshold 10%, --fail-on-regression",
		`<section id="verdict">`, `id="chart-` + ChartCompareCDF + `"`, `<img src="data:image/svg&#43;xml;base64,`,
		"runs/a", "runs/b", "2026-01-02 03:04:05 UTC", "v0.0.0-test",
		"benchctl compare runs/a runs/b --format html --fail-on-regression 10%",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("compare.html lacks %q", want)
		}
	}
	// The verdict comes before the tables and the chart.
	if v, tab := strings.Index(page, `id="verdict"`), strings.Index(page, `id="latency"`); v < 0 || tab < 0 || v > tab {
		t.Errorf("verdict at %d, latency table at %d: the verdict must come first", v, tab)
	}
	var svg bytes.Buffer
	if err := WriteComparison(&svg, c, "svg"); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, CompareFileName("svg"), svg.Bytes())
	var pngBuf bytes.Buffer
	if err := WriteComparison(&pngBuf, c, "png"); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&pngBuf)
	if err != nil {
		t.Fatalf("decode png: %v", err)
	}
	if w := img.Bounds().Dx(); w != 8*PNGDPI {
		t.Errorf("png width %d px, want %d (8 in at %d DPI)", w, 8*PNGDPI, PNGDPI)
	}
}

// TestCompareVerdicts checks the per-target verdicts on runs with a known
// shift both ways, the same distribution, and a threshold above the shift.
func TestCompareVerdicts(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	dirs := map[string]string{}
	for name, o := range map[string]synthOpts{"a": shiftedSynth(1, 1), "same": shiftedSynth(2, 1), "slow": shiftedSynth(3, 1.25)} {
		dirs[name] = filepath.Join(base, name)
		writeSyntheticRun(t, dirs[name], o)
	}
	tests := []struct {
		name, a, b  string
		threshold   float64
		wantVerdict string
		wantReason  string
	}{
		{"same distribution", "a", "same", 0.10, VerdictNoChange, "no significant latency shift"},
		// 300 samples per phase are too few for a p99 as a number
		// (confidence.SupportMin): the p50 and the test decide.
		{"slower", "a", "slow", 0.10, VerdictRegression, "p50"},
		{"faster", "slow", "a", 0.10, VerdictImprovement, "p50"},
		{"slower within threshold", "a", "slow", 1, VerdictNoChange, "within ±100%"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Compare(context.Background(), dirs[tc.a], dirs[tc.b])
			if err != nil {
				t.Fatal(err)
			}
			c.Judge(tc.threshold)
			if got := c.Overall(); got != tc.wantVerdict {
				t.Errorf("overall = %q, want %q", got, tc.wantVerdict)
			}
			for _, d := range c.Targets {
				if d.Verdict != tc.wantVerdict {
					t.Errorf("%s: verdict %q (%v), want %q", d.Target, d.Verdict, d.VerdictReasons, tc.wantVerdict)
				}
				if !strings.Contains(strings.Join(d.VerdictReasons, "; "), tc.wantReason) {
					t.Errorf("%s: reasons %q lack %q", d.Target, d.VerdictReasons, tc.wantReason)
				}
			}
			if regs := c.Regressions(tc.threshold); (len(regs) > 0) != (tc.wantVerdict == VerdictRegression) {
				t.Errorf("Regressions = %v disagrees with verdict %q", regs, tc.wantVerdict)
			}
		})
	}
}

// TestTargetDeltaJudge covers the verdict rules on hand-made deltas.
func TestTargetDeltaJudge(t *testing.T) {
	t.Parallel()
	usd := func(v float64) *float64 { return &v }
	base := TargetDelta{Target: "t", LatencyDelta: LatencyDelta{P50AMs: 10, P50BMs: 10, P99AMs: 20, P99BMs: 20, SamplesA: 100, SamplesB: 100, PValue: 0.5, Shift: "none", P99Known: true}}
	tests := []struct {
		name   string
		edit   func(d *TargetDelta)
		want   string
		reason string
	}{
		{"nothing moved", func(d *TargetDelta) {}, VerdictNoChange, "no significant latency shift"},
		{"p99 up, significant", func(d *TargetDelta) { d.P99BMs, d.P99Delta, d.PValue, d.Shift = 30, 0.5, 1e-6, "b_slower" }, VerdictRegression, "p99 20.0 → 30.0 ms (+50.0%"},
		{"p50 up only, significant", func(d *TargetDelta) { d.P50BMs, d.P50Delta, d.PValue, d.Shift = 12, 0.2, 1e-6, "b_slower" }, VerdictRegression, "p50 10.0 → 12.0 ms"},
		{"p99 up, not significant", func(d *TargetDelta) { d.P99BMs, d.P99Delta, d.PValue = 30, 0.5, 0.2 }, VerdictNoChange, "no significant"},
		{"p99 down, significant", func(d *TargetDelta) { d.P99BMs, d.P99Delta, d.PValue, d.Shift = 10, -0.5, 1e-6, "b_faster" }, VerdictImprovement, "-50.0%"},
		{"cost up", func(d *TargetDelta) {
			d.CostPerMillionAUSD, d.CostPerMillionBUSD, d.CostDelta = usd(1), usd(1.5), usd(0.5)
		}, VerdictRegression, "cost per 1M $1.00 → $1.50"},
		{"cost down", func(d *TargetDelta) {
			d.CostPerMillionAUSD, d.CostPerMillionBUSD, d.CostDelta = usd(1), usd(0.5), usd(-0.5)
		}, VerdictImprovement, "cost per 1M"},
		{"faster but dearer", func(d *TargetDelta) {
			d.P99BMs, d.P99Delta, d.PValue, d.Shift = 10, -0.5, 1e-6, "b_faster"
			d.CostPerMillionAUSD, d.CostPerMillionBUSD, d.CostDelta = usd(1), usd(1.5), usd(0.5)
		}, VerdictRegression, "cost per 1M"},
		{"no samples", func(d *TargetDelta) { d.SamplesB, d.PValue = 0, 1 }, VerdictNoChange, "too few successful requests"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := base
			tc.edit(&d)
			got, reasons := d.judge(DefaultAlpha, 0.10, DefaultErrorRateThreshold)
			if got != tc.want {
				t.Errorf("verdict = %q (%v), want %q", got, reasons, tc.want)
			}
			if !strings.Contains(strings.Join(reasons, "; "), tc.reason) {
				t.Errorf("reasons %q lack %q", reasons, tc.reason)
			}
		})
	}
}

// TestCompareEscaping compares runs whose target name and run directory
// carry markup: compare.html holds it only escaped.
func TestCompareEscaping(t *testing.T) {
	t.Parallel()
	o := defaultSynth()
	o.Server = `evil<script>alert(1)</script>`
	o.ErrorText = `<script>alert(2)</script>`
	base := filepath.Join(t.TempDir(), `run<script>alert(3)<`)
	a, b := filepath.Join(base, "a"), filepath.Join(base, `b<img src=x onerror=alert(4)>`)
	writeSyntheticRun(t, a, o)
	writeSyntheticRun(t, b, o)
	c, err := Compare(context.Background(), a, b)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteComparison(&out, c, "html"); err != nil {
		t.Fatal(err)
	}
	page := withoutSortScript(t, out.String())
	for _, bad := range []string{"<script", "<img src=x"} {
		if i := strings.Index(strings.ToLower(page), bad); i >= 0 {
			t.Errorf("found %q at %d: %.120s", bad, i, page[max(0, i-40):])
		}
	}
	for _, want := range []string{"evil&lt;script&gt;alert(1)&lt;/script&gt;", "run&lt;script&gt;alert(3)&lt;", "b&lt;img src=x onerror=alert(4)&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("escaped text %q missing from compare.html", want)
		}
	}
	var md bytes.Buffer
	if err := WriteComparison(&md, c, "md"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "<script") {
		t.Errorf("compare md passes a raw <script> through:\n%s", md.String())
	}
}

// withoutSortScript removes the one inline script the templates add (the
// table sorter) and fails when it is missing or there is another.
func withoutSortScript(t *testing.T, page string) string {
	t.Helper()
	js, err := templateFS.ReadFile("templates/sort.js")
	if err != nil {
		t.Fatal(err)
	}
	block := "<script>" + string(js) + "</script>"
	if n := strings.Count(page, block); n != 1 {
		t.Fatalf("page holds the sort script %d times, want once", n)
	}
	return strings.Replace(page, block, "", 1)
}

// TestWriteComparisonFiles writes every compare format into a folder.
func TestWriteComparisonFiles(t *testing.T) {
	t.Parallel()
	c := compareFixture(t, t.TempDir(), shiftedSynth(1, 1), shiftedSynth(2, 1))
	out := filepath.Join(t.TempDir(), "out")
	files, err := WriteComparisonFiles(context.Background(), c, out, CompareFormatNames())
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(CompareFormatNames()) {
		t.Fatalf("wrote %v, want one file per format", files)
	}
	for _, f := range CompareFormatNames() {
		st, err := os.Stat(filepath.Join(out, filepath.FromSlash(CompareFileName(f))))
		if err != nil || st.Size() == 0 {
			t.Errorf("%s: %s missing or empty (%v)", f, CompareFileName(f), err)
		}
	}
	// A comparison without latencies has no chart to write.
	if err := WriteComparison(&bytes.Buffer{}, &Comparison{}, "png"); !errors.Is(err, ErrNoChart) {
		t.Errorf("png of an empty comparison: err = %v, want ErrNoChart", err)
	}
	var html bytes.Buffer
	if err := WriteComparison(&html, &Comparison{}, "html"); err != nil {
		t.Fatalf("html of an empty comparison: %v", err)
	}
	if !strings.Contains(html.String(), "share no target") {
		t.Errorf("empty comparison page does not say there is nothing to compare")
	}
}
