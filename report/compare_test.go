package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

func TestMannWhitneyU(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		a, b  []float64
		wantU float64
		wantZ func(z float64) bool
	}{
		// Every b exceeds every a: U = na·nb.
		{"b all larger", []float64{1, 2, 3}, []float64{4, 5, 6}, 9, func(z float64) bool { return z > 0 }},
		{"b all smaller", []float64{4, 5, 6}, []float64{1, 2, 3}, 0, func(z float64) bool { return z < 0 }},
		// Identical samples: all ties, U = na·nb/2.
		{"all tied", []float64{2, 2, 2}, []float64{2, 2, 2}, 4.5, func(z float64) bool { return z == 0 }},
		// Hand-computed: pairs with b > a: 3>1,3>2, 5>1,5>2,5>4 → 5; ties none.
		{"interleaved", []float64{1, 2, 4}, []float64{3, 5}, 5, func(z float64) bool { return z > 0 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u, z, p := MannWhitneyU(tc.a, tc.b)
			if u != tc.wantU {
				t.Errorf("U = %g, want %g", u, tc.wantU)
			}
			if !tc.wantZ(z) {
				t.Errorf("z = %g has the wrong sign", z)
			}
			if p < 0 || p > 1 {
				t.Errorf("p = %g out of [0, 1]", p)
			}
		})
	}
}

// TestMannWhitneyFalsePositiveRate checks the test's calibration: on pairs
// of samples from one distribution, about alpha of them are significant.
func TestMannWhitneyFalsePositiveRate(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 11))
	const trials, n = 400, 200
	sig := 0
	for range trials {
		a, b := make([]float64, n), make([]float64, n)
		for i := range a {
			a[i] = math.Round(math.Exp(rng.NormFloat64()) * 100) // rounded: ties occur
			b[i] = math.Round(math.Exp(rng.NormFloat64()) * 100)
		}
		if _, _, p := MannWhitneyU(a, b); p < 0.05 {
			sig++
		}
	}
	if rate := float64(sig) / trials; rate < 0.01 || rate > 0.10 {
		t.Errorf("false positive rate at alpha 0.05 = %.3f, want about 0.05", rate)
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	mk := func(name string, seed uint64, scale float64) string {
		o := defaultSynth()
		o.Seed, o.Scale = seed, scale
		dir := filepath.Join(base, name)
		writeSyntheticRun(t, dir, o)
		return dir
	}
	a := mk("a", 1, 1)
	same := mk("same", 2, 1)      // same distribution, different seed
	slower := mk("slow", 3, 1.25) // every latency 25 % higher
	tests := []struct {
		name        string
		b           string
		wantShift   string
		wantRegress bool
	}{
		{"same distribution", same, "none", false},
		{"known shift", slower, "b_slower", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Compare(context.Background(), a, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Targets) != 2 {
				t.Fatalf("got %d targets, want 2", len(c.Targets))
			}
			for _, d := range c.Targets {
				if d.Shift != tc.wantShift {
					t.Errorf("%s: shift %q (p=%.3g, Δp50 %+.3f), want %q", d.Target, d.Shift, d.PValue, d.P50Delta, tc.wantShift)
				}
			}
			regs := c.Regressions(0.10)
			if got := len(regs) > 0; got != tc.wantRegress {
				t.Errorf("regressions = %v, want any = %v", regs, tc.wantRegress)
			}
			for _, f := range CompareFormatNames() {
				if f == "png" {
					continue // pixels; TestCompareHTMLGolden decodes it
				}
				var buf bytes.Buffer
				if err := WriteComparison(&buf, c, f); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				if !strings.Contains(buf.String(), "bert-lambda") {
					t.Errorf("%s output lacks the target name:\n%s", f, buf.String())
				}
				if f == "json" {
					var back Comparison
					if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
						t.Errorf("json output does not decode: %v", err)
					}
					// Provenance holds run.json's fields beside the
					// directory, flat (RunInfo is embedded, not nested).
					var raw struct {
						A map[string]json.RawMessage `json:"provenance_a"`
					}
					if err := json.Unmarshal(buf.Bytes(), &raw); err != nil {
						t.Fatal(err)
					}
					for _, k := range []string{"dir", "scenario", "records", "benchctl_version", "start", "seed", "cpu_isolation"} {
						if _, ok := raw.A[k]; !ok {
							t.Errorf("provenance_a lacks %q: %v", k, raw.A)
						}
					}
					if back.ProvenanceB.BenchctlVersion == "" || back.ProvenanceB.Start != c.ProvenanceB.Start || len(back.ProvenanceB.Phases) != len(c.ProvenanceB.Phases) {
						t.Errorf("provenance_b did not round-trip: %+v", back.ProvenanceB)
					}
				}
			}
		})
	}
	if err := WriteComparison(&bytes.Buffer{}, &Comparison{}, "pdf"); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("format pdf: err = %v, want ErrUnknownFormat", err)
	}
}
