package report

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromiumPath finds a Chromium binary (Debian's chromium package).
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless_shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// runChromium runs headless Chromium on a local page with extra flags and
// returns its stdout and its stderr log, failing the test on any console
// message (the pages' only script is the table sorter, which logs nothing;
// any console line is an error: a blocked resource, a script that should
// not be there, an exception).
func runChromium(t *testing.T, bin, page string, flags ...string) (stdout string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--no-first-run", "--disable-extensions", "--user-data-dir=" + t.TempDir(),
		"--enable-logging=stderr", "--v=0"}, flags...)
	cmd := exec.CommandContext(ctx, bin, append(args, "file://"+page)...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), ":CONSOLE") {
			t.Errorf("console message: %s", sc.Text())
		}
	}
	return out.String()
}

// checkScreenshot renders page to a PNG and checks it is not blank.
func checkScreenshot(t *testing.T, bin, page string) {
	t.Helper()
	shot := filepath.Join(t.TempDir(), "shot.png")
	runChromium(t, bin, page, "--window-size=1280,3000", "--screenshot="+shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode screenshot: %v", err)
	}
	b := img.Bounds()
	var ink, total int
	colours := map[uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			total++
			if r < 0xd000 || g < 0xd000 || bl < 0xd000 {
				ink++
			}
			if len(colours) < 1000 {
				colours[(r>>11)<<10|(g>>11)<<5|bl>>11] = true
			}
		}
	}
	if frac := float64(ink) / float64(total); frac < 0.02 {
		t.Errorf("screenshot looks blank: %.2f%% of pixels are ink", 100*frac)
	}
	if len(colours) < 8 {
		t.Errorf("screenshot has only %d distinct colours; charts did not render", len(colours))
	}
}

// TestBrowserRendersReport loads report.html in headless Chromium, takes a
// screenshot, and checks that the page is not blank and logged nothing to
// the console.
func TestBrowserRendersReport(t *testing.T) {
	t.Parallel()
	bin := chromiumPath()
	if bin == "" {
		t.Skip("chromium not installed (apt-get install -y chromium); the browser check is skipped")
	}
	_, out, _ := renderSynthetic(t, defaultSynth(), []string{"html"})
	checkScreenshot(t, bin, filepath.Join(out, "report.html"))
}

// TestBrowserRendersCompare does the same for compare.html.
func TestBrowserRendersCompare(t *testing.T) {
	t.Parallel()
	bin := chromiumPath()
	if bin == "" {
		t.Skip("chromium not installed (apt-get install -y chromium); the browser check is skipped")
	}
	c := compareFixture(t, t.TempDir(), shiftedSynth(1, 1), shiftedSynth(3, 1.25))
	page := filepath.Join(t.TempDir(), "compare.html")
	if err := writeFileAtomic(page, func(w io.Writer) error { return WriteCompareHTML(w, c) }); err != nil {
		t.Fatal(err)
	}
	checkScreenshot(t, bin, page)
}

// TestBrowserSortsTables runs the pages' table sorter in Chromium on a test
// table: numbers with units and separators sort as numbers, "–" last in
// both directions, text in numeric-aware order, and a table whose rows span
// columns is left alone.
func TestBrowserSortsTables(t *testing.T) {
	t.Parallel()
	bin := chromiumPath()
	if bin == "" {
		t.Skip("chromium not installed (apt-get install -y chromium); the browser check is skipped")
	}
	js, err := templateFS.ReadFile("templates/sort.js")
	if err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(t.TempDir(), "sort.html")
	doc := `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>sort</title></head><body>
<table id="t"><thead><tr><th>name</th><th>value</th></tr></thead><tbody>
<tr><td>b10</td><td>$1,234.5</td></tr>
<tr><td>a</td><td>–</td></tr>
<tr><td>b9</td><td>34.9M</td></tr>
<tr><td>c</td><td>+5.0%</td></tr>
<tr><td>d</td><td>-3.0%</td></tr>
<tr><td>e</td><td>900k (2.1 rps)</td></tr>
<tr><td>f</td><td>∞</td></tr>
</tbody></table>
<table id="span"><thead><tr><th>x</th><th>y</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr><tr><td colspan="2">note</td></tr></tbody></table>
<pre id="out"></pre>
<script>` + string(js) + `</script>
<script>
function order(id) { return Array.prototype.map.call(document.getElementById(id).tBodies[0].rows, function (r) { return r.cells[0].textContent; }).join(","); }
var th = document.querySelectorAll("#t th");
th[1].click(); var asc = order("t") + " " + th[1].getAttribute("aria-sort");
th[1].click(); var desc = order("t") + " " + th[1].getAttribute("aria-sort");
th[0].click(); var names = order("t");
document.getElementById("out").textContent = "RESULT[" + [asc, desc, names, document.getElementById("span").classList.contains("sortable"), document.getElementById("t").classList.contains("sortable")].join("|") + "]";
</script></body></html>`
	if err := os.WriteFile(page, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := runChromium(t, bin, page, "--dump-dom")
	i, j := strings.Index(dom, "RESULT["), strings.LastIndex(dom, "]</pre>")
	if i < 0 || j < i {
		t.Fatalf("no result in the page:\n%.2000s", dom)
	}
	got := dom[i+len("RESULT[") : j]
	want := "d,c,b10,e,b9,f,a ascending|f,b9,e,b10,c,d,a descending|a,b9,b10,c,d,e,f|false|true"
	if got != want {
		t.Errorf("sorted orders:\n got %s\nwant %s", got, want)
	}
}

// TestBrowserDecisionFitsOneScreen renders the report of a quickstart-shaped
// run in headless Chromium at 1280×900 (the README screenshot's size) and
// measures in the page that the headline comes first and that the whole
// decision table ends within the first 900 px: a capacity-planning review
// reads the answer without scrolling. The run is the worst case a busy
// 2-core host gives: every option meeting the SLO (13 rows) under a
// headline box with five flags.
func TestBrowserDecisionFitsOneScreen(t *testing.T) {
	t.Parallel()
	bin := chromiumPath()
	if bin == "" {
		t.Skip("chromium not installed (apt-get install -y chromium); the browser check is skipped")
	}
	for _, sh := range []shape{busyQuickstartShape()} {
		t.Run(sh.name, func(t *testing.T) {
			_, out := renderShaped(t, sh, "html")
			html := readFile(t, filepath.Join(out, "report.html"))
			probe := `<pre id="probe"></pre><script>
(function () {
  var h = document.querySelector("#decision .headline").getBoundingClientRect();
  var t = document.getElementById("decision-table").getBoundingClientRect();
  document.getElementById("probe").textContent = "PROBE[" + [Math.round(h.top), Math.round(h.bottom), Math.round(t.top), Math.round(t.bottom), window.innerWidth, window.innerHeight].join(",") + "]";
})();
</script></body>`
			page := filepath.Join(t.TempDir(), "report.html")
			if err := os.WriteFile(page, []byte(strings.Replace(html, "</body>", probe, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			dom := runChromium(t, bin, page, "--window-size=1280,900", "--dump-dom")
			i, j := strings.Index(dom, "PROBE["), strings.Index(dom, "]</pre>")
			if i < 0 || j < i {
				t.Fatalf("no measurement in the page:\n%.2000s", dom)
			}
			var hTop, hBottom, tTop, tBottom, w, h int
			if _, err := fmt.Sscanf(strings.ReplaceAll(dom[i+len("PROBE["):j], ",", " "), "%d %d %d %d %d %d", &hTop, &hBottom, &tTop, &tBottom, &w, &h); err != nil {
				t.Fatalf("measurement %q: %v", dom[i:j], err)
			}
			t.Logf("window %d px wide: headline %d–%d px, decision table %d–%d px from the top of the page", w, hTop, hBottom, tTop, tBottom)
			if w != 1280 {
				t.Errorf("viewport width %d, want 1280", w)
			}
			if hTop > tTop {
				t.Errorf("the headline (top %d px) is not above the decision table (top %d px)", hTop, tTop)
			}
			if tBottom > 900 {
				t.Errorf("the decision table ends at %d px: below the first 900 px, a reader must scroll", tBottom)
			}
		})
	}
}
