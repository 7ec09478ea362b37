package report

import (
	"bufio"
	"bytes"
	"context"
	"image/png"
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

// TestBrowserRendersReport loads report.html in headless Chromium, takes a
// screenshot, and checks that the page is not blank and logged nothing to
// the console (the page has no script, so any console line is an error:
// a blocked resource, a script that should not be there).
func TestBrowserRendersReport(t *testing.T) {
	t.Parallel()
	bin := chromiumPath()
	if bin == "" {
		t.Skip("chromium not installed (apt-get install -y chromium); the browser check is skipped")
	}
	_, out, _ := renderSynthetic(t, defaultSynth(), []string{"html"})
	page := filepath.Join(out, "report.html")
	shot := filepath.Join(t.TempDir(), "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--no-first-run", "--disable-extensions", "--user-data-dir="+t.TempDir(),
		"--enable-logging=stderr", "--v=0", "--window-size=1280,3000", "--screenshot="+shot, "file://"+page)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), ":CONSOLE") {
			t.Errorf("console message: %s", sc.Text())
		}
	}
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
