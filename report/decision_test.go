package report

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/results"
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
	m, err := Load(context.Background(), runDir, WithPricing("", false))
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

// TestHeadlineCases writes the headline of decisions of every shape.
func TestHeadlineCases(t *testing.T) {
	t.Parallel()
	p99 := func(v float64) *float64 { return &v }
	serverless := results.DecisionOption{Option: "fn 1024 MB arm64", Kind: results.OptionServerless, Platform: "aws-lambda", MemoryMB: 1024,
		Architecture: "arm64", Target: "fn", MonthlyCostUSD: 4.16, SLO: results.SLOPass, P99Ms: p99(150)}
	fleet := results.DecisionOption{Option: "t3.medium fleet (…)", Kind: results.OptionFleet, Instance: "t3.medium", MonthlyCostUSD: 30.37, SLO: results.SLOPass}
	lmi := results.DecisionOption{Option: "m7g.large LMI (…)", Kind: results.OptionLambdaManaged, Instance: "m7g.large", MonthlyCostUSD: 207.51, SLO: results.SLOPass}
	below := &results.DecisionBreakEven{Outcome: results.BreakEvenServerlessBelow, MonthlyRequests: 59.9e6, AverageRPS: 22.8,
		MonthlyRequestsLow: 44.7e6, MonthlyRequestsHigh: 98.6e6, AlwaysOn: fleet.Option}
	dec := func(rec, serverlessName, alwaysOn string, flip *results.DecisionBreakEven, opts ...results.DecisionOption) *results.Summary {
		for i := range opts {
			opts[i].Recommended = opts[i].Option == rec
		}
		return &results.Summary{Decision: &results.Decision{MonthlyRequests: 5e6, Recommended: rec, Serverless: serverlessName, AlwaysOn: alwaysOn,
			Flip: flip, Options: opts, BreakEvenMaxMonthlyRequests: 1e11}}
	}
	failing := fleet
	failing.SLO, failing.SLOViolations = results.SLOFail, []string{"p99 317.8 ms > 300 ms"}
	cheapFailing := serverless
	cheapFailing.SLO, cheapFailing.SLOViolations, cheapFailing.MonthlyCostUSD = results.SLOFail, []string{"p99 778.3 ms > 300 ms"}, 2.5
	tests := []struct {
		name string
		sum  *results.Summary
		want string
	}{
		{"serverless wins", dec(serverless.Option, serverless.Option, fleet.Option, below, serverless, fleet, lmi),
			"At 5.0 M requests/month: Lambda 1,024 MB arm64 $4.16/month vs t3.medium $30.37 (7.3× cheaper). Serverless stays cheaper up to 59.9 M requests/month (95% CI 44.7–98.6 M), 22.8 requests/s on average."},
		{"another instance flips first", dec(serverless.Option, serverless.Option, fleet.Option,
			&results.DecisionBreakEven{Outcome: results.BreakEvenServerlessBelow, MonthlyRequests: 30e6, AverageRPS: 11.4, AlwaysOn: lmi.Option}, serverless, fleet, lmi),
			"Serverless stays cheaper up to 30.0 M requests/month, 11.4 requests/s on average, where m7g.large Lambda Managed Instances becomes cheaper."},
		{"never crosses", dec(serverless.Option, serverless.Option, fleet.Option, &results.DecisionBreakEven{Outcome: results.BreakEvenServerlessAlways}, serverless, fleet),
			"Serverless stays cheaper at every volume up to 100 B requests/month."},
		{"always-on fails the SLO too", dec(serverless.Option, serverless.Option, failing.Option, below, serverless, failing),
			"(7.3× cheaper; t3.medium failed the SLO in this run: p99 317.8 ms > 300 ms)."},
		{"the cheaper fails the SLO", dec(fleet.Option, cheapFailing.Option, fleet.Option, below, fleet, cheapFailing),
			"At 5.0 M requests/month: t3.medium at $30.37/month is the cheapest option meeting the SLO; the cheapest serverless configuration, Lambda 1,024 MB arm64, would cost $2.50 but does not meet it (p99 778.3 ms > 300 ms)."},
		{"nothing meets the SLO", dec("", cheapFailing.Option, failing.Option, nil, cheapFailing, failing),
			"At 5.0 M requests/month: no option met the SLO; the cheapest, Lambda 1,024 MB arm64, costs $2.50/month (p99 150 ms)."},
		{"no always-on option", dec(serverless.Option, serverless.Option, "", nil, serverless),
			"Lambda 1,024 MB arm64 at $4.16/month is the only serverless option meeting the SLO; no always-on option was priced (no instance capacity)."},
		{"no profile", &results.Summary{Decision: &results.Decision{Options: []results.DecisionOption{}}, BreakEven: []results.BreakEvenRow{{}}},
			"No traffic profile to price the options at"},
		{"not priced", &results.Summary{}, "No decision: nothing was priced"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := headlineText(tc.sum); !strings.Contains(got, tc.want) {
				t.Errorf("headline\n got %s\nwant …%s…", got, tc.want)
			}
		})
	}
}
