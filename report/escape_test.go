package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEscaping renders a run whose target name and error text carry markup:
// the HTML must contain it only escaped, and the Markdown must not pass raw
// tags through.
func TestEscaping(t *testing.T) {
	t.Parallel()
	o := defaultSynth()
	o.Server = `evil<script>alert(1)</script>`
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
}
