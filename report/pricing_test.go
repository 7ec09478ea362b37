package report

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderWithPricing re-prices an unpriced synthetic run with the
// embedded price book: the decision then prices each instance type at the
// scenario's profile, the break-even matrix has a column per instance
// type, and the break-even chart draws the fleets' step lines.
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
		{"headline prices the profile", string(md), "> **At 20.0 M requests/month: "},
		{"decision table names c7i.large", string(md), "| c7i.large | fleet | $65.15 |"},
		{"decision table recommends c7g.large", string(md), "| **c7g.large** ✔ recommended | fleet | $52.92 |"},
		{"matrix", string(md), "| serverless | c7i.large | c7g.large |"},
		{"price confidence recorded", string(md), "3 price-book entries, all confirmed from a source"},
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
