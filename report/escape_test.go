package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEscaping renders a run whose target names and error text carry
// markup: the HTML must contain it only escaped, and the Markdown must not
// pass raw tags through. The names reach every string the decision page
// builds from a scenario or a target: the headline's flags (an SLO failure
// and synthetic weights name the target and the service), the decision
// table's option titles and p99 sources, the "what this rests on" box
// (services), the break-even matrix and its crossings, and the notes.
func TestEscaping(t *testing.T) {
	t.Parallel()
	o := defaultSynth()
	o.Server = `evil<script>alert(1)</script>`
	o.Lambda = `fn"><img src=x onerror=alert(3)>`
	o.ErrorText = `<script>document.title="pwned"</script><img src=x onerror=alert(2)>`
	o.ErrorBody = `<html><body><script>alert("body")</script></body></html>`
	_, out, _ := renderSynthetic(t, o, []string{"html", "md", "svg"})
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	// The page's one inline script is the table sorter; markup from the
	// run must not add another.
	html = []byte(withoutSortScript(t, string(html)))
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	svg, err := os.ReadFile(filepath.Join(out, ChartDir, ChartLatencyCDF+".svg"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, doc, bad string
	}{
		{"svg script tag", string(svg), "<script"},
		{"html script tag", string(html), "<script"},
		{"html img onerror", string(html), "<img src=x"},
		{"md script tag", string(md), "<script"},
		{"md img onerror", string(md), "<img src=x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if i := strings.Index(strings.ToLower(tc.doc), tc.bad); i >= 0 {
				t.Fatalf("found %q at %d: %.120s", tc.bad, i, tc.doc[max(0, i-40):])
			}
		})
	}
	for _, want := range []string{"evil&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;script&gt;document.title=", "&lt;script&gt;alert(&#34;body&#34;)"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("escaped text %q missing from report.html", want)
		}
	}
	const server, lambda = "evil&lt;script&gt;alert(1)&lt;/script&gt;", "fn&#34;&gt;&lt;img src=x onerror=alert(3)&gt;"
	page := string(html)
	for _, tc := range []struct{ where, part, want string }{
		{"headline flags", between(page, `<div class="headline`, `</div>`), lambda},
		{"headline flags (synthetic weights)", between(page, `<div class="headline`, `</div>`), server},
		{"decision table (p99 source)", between(page, `<table class="num decision"`, `</table>`), server},
		{"decision table, failing options", between(page, `<details class="failing">`, `</details>`), lambda},
		{"what this rests on", between(page, `<section id="rests-on">`, `</section>`), server},
		{"break-even crossings", between(page, `<section id="break-even">`, `</section>`), lambda},
	} {
		if tc.part == "" {
			t.Errorf("%s: section missing", tc.where)
		} else if !strings.Contains(tc.part, tc.want) {
			t.Errorf("%s: escaped target name %q missing", tc.where, tc.want)
		}
	}
}
