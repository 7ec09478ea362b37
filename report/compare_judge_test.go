package report

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestErrorRateTest checks the p-values against hand computations:
// Fisher's exact test from hypergeometric terms (two-sided: the tables no
// likelier than the observed one), the z-test from
// z = (p_B − p_A)/√(p̂(1−p̂)(1/n_A+1/n_B)), p = erfc(|z|/√2).
func TestErrorRateTest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name               string
		errA, nA, errB, nB int64
		wantP              float64
		wantTest           string
	}{
		// Fisher's tea tasting: 3/4 vs 1/4, p = (1+16+16+1)/70.
		{"tea tasting", 3, 4, 1, 4, 34.0 / 70, ErrorTestFisher},
		// 0/10 vs 5/10: x=0 and x=5 each C(15,5)/C(20,10) = 3003/184756.
		{"0 of 10 vs 5 of 10", 0, 10, 5, 10, 2 * 3003.0 / 184756, ErrorTestFisher},
		// 0/20 vs 6/20: 2·C(34,14)/C(40,20) = 2·1391975640/137846528820.
		{"0 of 20 vs 6 of 20", 0, 20, 6, 20, 2 * 1391975640.0 / 137846528820, ErrorTestFisher},
		// 0/50 vs 9/50 (expected 4.5 < 5): 2·C(91,41)/C(100,50).
		{"0 of 50 vs 9 of 50", 0, 50, 9, 50, 0.002634204400259045, ErrorTestFisher},
		// 0/1000 vs 43/1000: p̂ = 0.0215, SE = 0.0064866, z = 6.6291.
		{"0% vs 4.3% of 1000", 0, 1000, 43, 1000, 3.3776618732576785e-11, ErrorTestZ},
		{"4.3% vs 0% of 1000", 43, 1000, 0, 1000, 3.3776618732576785e-11, ErrorTestZ},
		// 1% vs 1.3% of 10,000: p̂ = 0.0115, SE = 0.0015078, z = 1.9896.
		{"1% vs 1.3% of 10000", 100, 10000, 130, 10000, 0.04663338603916142, ErrorTestZ},
		{"no errors", 0, 100, 0, 100, 1, ErrorTestNone},
		{"all failed", 5, 5, 7, 7, 1, ErrorTestNone},
		{"no requests in A", 0, 0, 1, 10, 1, ErrorTestNone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, test := ErrorRateTest(tc.errA, tc.nA, tc.errB, tc.nB)
			if test != tc.wantTest {
				t.Errorf("test = %q, want %q", test, tc.wantTest)
			}
			if math.Abs(p-tc.wantP) > 1e-9*math.Max(tc.wantP, 1e-300) && math.Abs(p-tc.wantP) > 1e-15 {
				t.Errorf("p = %.12g, want %.12g", p, tc.wantP)
			}
		})
	}
}

// TestErrorRateVerdicts judges hand-made error-rate changes: significant
// and beyond the threshold (regression, improvement), not significant
// (few requests), significant but within the threshold, and a threshold
// raised above the change.
func TestErrorRateVerdicts(t *testing.T) {
	t.Parallel()
	mk := func(errA, nA, errB, nB int64) TargetDelta {
		d := TargetDelta{Target: "t", LatencyDelta: LatencyDelta{RequestsA: nA, RequestsB: nB, ErrorsA: errA, ErrorsB: errB,
			P50AMs: 10, P50BMs: 10, P99AMs: 20, P99BMs: 20, SamplesA: 100, SamplesB: 100, PValue: 0.5, Shift: "none"}}
		d.ErrorRateA, d.ErrorRateB = float64(errA)/float64(nA), float64(errB)/float64(nB)
		d.ErrorRateDelta = d.ErrorRateB - d.ErrorRateA
		d.ErrorPValue, d.ErrorTest = ErrorRateTest(errA, nA, errB, nB)
		return d
	}
	tests := []struct {
		name      string
		d         TargetDelta
		threshold float64
		want      string
		reason    string
	}{
		{"0% → 4.3%", mk(0, 1000, 43, 1000), 0.01, VerdictRegression, "error rate 0.00% → 4.30% (+4.30 pp, two-proportion z p=3.4e-11)"},
		{"4.3% → 0%", mk(43, 1000, 0, 1000), 0.01, VerdictImprovement, "error rate 4.30% → 0.00% (-4.30 pp"},
		{"0 of 50 → 9 of 50, Fisher", mk(0, 50, 9, 50), 0.01, VerdictRegression, "Fisher exact p=0.0026"},
		{"0 of 10 → 5 of 10, not significant", mk(0, 10, 5, 10), 0.01, VerdictNoChange, "(+50.00 pp, Fisher exact p=0.033): not significant"},
		{"1% → 1.5%, significant within 1 pp", mk(1000, 100000, 1500, 100000), 0.01, VerdictNoChange, "significant but within ±1 pp"},
		{"0% → 4.3% under a 5 pp threshold", mk(0, 1000, 43, 1000), 0.05, VerdictNoChange, "within ±5 pp"},
		{"no errors either side", mk(0, 1000, 0, 1000), 0.01, VerdictNoChange, "no significant latency shift"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, reasons := tc.d.judge(DefaultAlpha, 0.10, tc.threshold)
			if got != tc.want {
				t.Errorf("verdict = %q (%q), want %q", got, reasons, tc.want)
			}
			if !strings.Contains(strings.Join(reasons, "; "), tc.reason) {
				t.Errorf("reasons %q lack %q", reasons, tc.reason)
			}
		})
	}
}

// TestCompareErrorsOnly compares two synthetic runs drawn from one seed
// that differ only in B's Lambda errors (every 20th request: 5%): the
// latency test sees no shift and the costs are equal, so the error rate
// alone makes the Lambda target a regression (and the mirror image an
// improvement), while the server is unchanged.
func TestCompareErrorsOnly(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	clean, failing := defaultSynth(), defaultSynth()
	failing.LambdaErrorEvery = 20
	a, b := filepath.Join(base, "a"), filepath.Join(base, "b")
	writeSyntheticRun(t, a, clean)
	writeSyntheticRun(t, b, failing)
	tests := []struct {
		name, a, b string
		want       string
	}{
		{"B fails more", a, b, VerdictRegression},
		{"B fails less", b, a, VerdictImprovement},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Compare(context.Background(), tc.a, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range c.Targets {
				want := VerdictNoChange
				if d.Target == clean.Lambda {
					want = tc.want
					if d.Shift != "none" {
						t.Errorf("%s: latency shift %q (p=%.3g), want none: only errors differ", d.Target, d.Shift, d.PValue)
					}
					if d.ErrorTest != ErrorTestZ || d.ErrorPValue >= DefaultAlpha {
						t.Errorf("%s: error test %s p=%.3g, want a significant z-test", d.Target, d.ErrorTest, d.ErrorPValue)
					}
					if e := d.ErrorsA + d.ErrorsB; e != 30 {
						t.Errorf("%s: %d errors in both runs, want 30 (every 20th of 600)", d.Target, e)
					}
				}
				if d.Verdict != want {
					t.Errorf("%s: verdict %q (%q), want %q", d.Target, d.Verdict, d.VerdictReasons, want)
				}
			}
			regs := c.Regressions(0.10)
			if (len(regs) > 0) != (tc.want == VerdictRegression) || (len(regs) > 0 && !strings.Contains(regs[0], "error rate")) {
				t.Errorf("Regressions = %q for %s", regs, tc.want)
			}
			// A 10 pp threshold absorbs the 5 pp change.
			c.ErrorRateThreshold = 0.10
			c.Judge(0.10)
			if got := c.Overall(); got != VerdictNoChange {
				t.Errorf("at a 10 pp error-rate threshold: overall %q, want %q", got, VerdictNoChange)
			}
		})
	}
}

// TestCompareMarkdownLinksChart: compare.md written with the PNG into one
// folder links it; written alone, or printed, it does not.
func TestCompareMarkdownLinksChart(t *testing.T) {
	t.Parallel()
	c := compareFixture(t, t.TempDir(), shiftedSynth(1, 1), shiftedSynth(3, 1.25))
	link := "](" + ChartDir + "/" + ChartCompareCDF + ".png)"
	tests := []struct {
		name     string
		formats  []string
		wantLink string
	}{
		{"md then png", []string{"md", "png"}, link},
		{"png then md", []string{"png", "md"}, link},
		{"svg only", []string{"md", "svg"}, "](" + ChartDir + "/" + ChartCompareCDF + ".svg)"},
		{"md alone", []string{"md"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			if _, err := WriteComparisonFiles(context.Background(), c, out, tc.formats); err != nil {
				t.Fatal(err)
			}
			md, err := os.ReadFile(filepath.Join(out, CompareFileName("md")))
			if err != nil {
				t.Fatal(err)
			}
			has := strings.Contains(string(md), "![")
			if tc.wantLink == "" && has {
				t.Errorf("compare.md links a chart that was not written:\n%s", md)
			}
			if tc.wantLink != "" {
				if !strings.Contains(string(md), tc.wantLink) {
					t.Errorf("compare.md lacks %q:\n%s", tc.wantLink, md)
				}
				target := strings.TrimSuffix(strings.TrimPrefix(tc.wantLink, "]("), ")")
				if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(target))); err != nil {
					t.Errorf("linked chart missing: %v", err)
				}
			}
		})
	}
	var printed bytes.Buffer
	if err := WriteComparison(&printed, c, "md"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(printed.String(), "![") {
		t.Errorf("printed compare md links a chart file")
	}
}

func BenchmarkErrorRateTest(b *testing.B) {
	for b.Loop() {
		ErrorRateTest(0, 50, 9, 50)
		ErrorRateTest(100, 10000, 130, 10000)
	}
}
