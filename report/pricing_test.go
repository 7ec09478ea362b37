package report

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderWithPricing re-prices an unpriced synthetic run with the
// embedded price book: the verdict then names each instance type with the
// monthly costs at the scenario's profile, and the break-even chart draws
// the fleets' step lines.
func TestRenderWithPricing(t *testing.T) {
	t.Parallel()
	o := defaultSynth()
	o.Priced = false
	o.PerTarget = 100
	base := t.TempDir()
	dir := filepath.Join(base, "run")
	writeSyntheticRun(t, dir, o)
	out := filepath.Join(base, "out")
	if _, err := Render(context.Background(), dir, out, []string{"md", "svg"},
		WithPricing("", true)); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	svg, err := os.ReadFile(filepath.Join(out, ChartDir, ChartBreakEven+".svg"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, doc, want string
	}{
		{"verdict names c7i.large", string(md), "cheaper than c7i.large"},
		{"verdict names c7g.large", string(md), "cheaper than c7g.large"},
		{"verdict prices the profile", string(md), "at your profile of 20.0M requests/month it costs"},
		{"cost table", string(md), "## Cost"},
		{"fleet line in chart", string(svg), "c7i.large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(tc.doc, tc.want) {
				t.Errorf("missing %q", tc.want)
			}
		})
	}
}
