package report

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/pricing"
)

// TestDecisionPageRestsOn renders a paper-fig3-shaped run (synthetic
// weights; t3.micro, recalled in the embedded book): the headline box flags
// both, "what this rests on" names the services' weights and the recalled
// entry, the price-book table marks it, and summary.json's notes say the
// weights were synthetic.
func TestDecisionPageRestsOn(t *testing.T) {
	t.Parallel()
	runDir, out := renderShaped(t, paperShape(), "html", "md")
	md := readFile(t, filepath.Join(out, "report.md"))
	html := readFile(t, filepath.Join(out, "report.html"))
	summary := readFile(t, filepath.Join(runDir, "summary.json"))
	head := md[:strings.Index(md, "\n## ")]
	restsOn := between(md, "### What this rests on", "## Break-even")
	tests := []struct{ name, doc, want string }{
		{"headline flags synthetic weights", head, "⚠ **Synthetic weights:**"},
		{"headline flags recalled prices", head, "⚠ **Recalled prices:** 1 of 2 prices used is recalled"},
		{"recalled entry named in the flag", head, "ec2 us-east-1 x86\\_64 t3.micro"},
		{"rests on: services", restsOn, "tinybert-sentiment, tinybert-similarity (local functions): tinybert-4l-312, synthetic weights"},
		{"rests on: prices", restsOn, "1 of 2 price-book entries are recalled (U), not confirmed: ec2 us-east-1 x86\\_64 t3.micro"},
		{"rests on: price book", restsOn, "| price book | version "},
		{"decision row marked", between(md, "## Decision", "### What this rests on"), "$7.59 †"},
		{"price-book table", between(md, "## Price-book entries used", "## Environment"), "| ec2 t3.micro | x86\\_64 |"},
		{"html price-book table", between(html, `<section id="prices">`, `</section>`), `<td class="fail">recalled</td>`},
		{"summary notes", summary, "served synthetic weights"},
		{"summary price confidence", summary, `"price_confidence": "recalled"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(tc.doc, tc.want) {
				t.Errorf("missing %q in:\n%.3000s", tc.want, tc.doc)
			}
		})
	}
}

// TestWriteTerminal checks what `benchctl run` prints: the headline first,
// its flags, then the decision table aligned by tabwriter with the
// recommended row marked, and the options failing the SLO named.
func TestWriteTerminal(t *testing.T) {
	t.Parallel()
	runDir, _ := renderShaped(t, quickstartShape(), "md")
	book, err := pricing.LoadBook("")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(context.Background(), runDir, WithCurves(PricingCurves(book)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteTerminal(&buf, m); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "At 5.0 M requests/month: ") {
		t.Errorf("first line is not the headline: %q", lines[0])
	}
	for _, l := range lines {
		if n := len([]rune(l)); n > TerminalWidth && !strings.Contains(l, "  ") {
			t.Errorf("sentence line longer than %d: %q", TerminalWidth, l)
		}
	}
	hdr := -1
	for i, l := range lines {
		if strings.Contains(l, "OPTION") && strings.Contains(l, "BREAK-EVEN VS ") {
			hdr = i
		}
	}
	if hdr < 0 || hdr+1 >= len(lines) || !strings.HasPrefix(lines[hdr+1], "✔") {
		t.Fatalf("no decision table with the recommended row first:\n%s", out)
	}
	col := strings.Index(lines[hdr], "KIND")
	for _, l := range lines[hdr+1:] {
		if l == "" || !strings.Contains(l, "serverless") && !strings.Contains(l, "fleet") {
			break
		}
		if r := []rune(l); len(r) <= col || (r[col-1] != ' ' && r[col-1] != '\t') {
			t.Errorf("row not aligned with the KIND column: %q", l)
		}
	}
	if !strings.Contains(out, "⚠ Synthetic weights: ") {
		t.Errorf("no synthetic-weights flag:\n%s", out)
	}
}
