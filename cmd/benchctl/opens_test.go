package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/summary"
)

// openCounter is an Opener that counts how often each path is opened.
type openCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *openCounter) open(path string) (summary.File, error) {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[path]++
	c.mu.Unlock()
	return os.Open(path)
}

func (c *openCounter) count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[path]
}

// fileEvents counts, with inotify, how often results.jsonl in dir is
// opened, read and closed without writing, whoever does it.
type fileEvents struct {
	fd   int
	mu   sync.Mutex
	seen map[uint32]int
	done chan struct{}
}

func watchRecords(t *testing.T, dir string) *fileEvents {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		t.Skipf("inotify unavailable here (%v): the opener seam alone is checked", err)
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_OPEN|unix.IN_ACCESS|unix.IN_CLOSE_NOWRITE); err != nil {
		unix.Close(fd)
		t.Skipf("inotify watch unavailable here (%v)", err)
	}
	w := &fileEvents{fd: fd, seen: map[uint32]int{}, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		buf := make([]byte, 64<<10)
		for {
			n, err := unix.Read(fd, buf)
			if err == unix.EAGAIN {
				time.Sleep(2 * time.Millisecond)
				continue
			}
			if err != nil || n <= 0 {
				return
			}
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := strings.TrimRight(string(buf[off+unix.SizeofInotifyEvent:off+unix.SizeofInotifyEvent+int(ev.Len)]), "\x00")
				if name == results.ResultsFile {
					w.mu.Lock()
					for _, m := range []uint32{unix.IN_OPEN, unix.IN_ACCESS, unix.IN_CLOSE_NOWRITE} {
						if ev.Mask&m != 0 {
							w.seen[m]++
						}
					}
					w.mu.Unlock()
				}
				off += unix.SizeofInotifyEvent + int(ev.Len)
			}
		}
	}()
	return w
}

// stop ends the watch and returns the counts of opens, reads and
// read-only closes.
func (w *fileEvents) stop() (opens, reads, readCloses int) {
	time.Sleep(50 * time.Millisecond) // let the last events arrive
	unix.Close(w.fd)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seen[unix.IN_OPEN], w.seen[unix.IN_ACCESS], w.seen[unix.IN_CLOSE_NOWRITE]
}

// TestCommandsOpenRecordsOnce checks that summary, report and compare
// read results.jsonl at most once each (through the pipeline's opener,
// and by the kernel's count of opens), on a killed run (everything
// recomputed) and on a summarised one.
func TestCommandsOpenRecordsOnce(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	a, b := filepath.Join(base, "a"), filepath.Join(base, "b")
	goldenRun(t, a, 7, 1, false)
	goldenRun(t, b, 8, 1.25, false)
	ctx := context.Background()
	streams := func() *IOStreams {
		return &IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
	}
	tests := []struct {
		name  string
		dirs  []string
		run   func(open summary.Opener) error
		reads int // per dir
	}{
		{"summary of a killed run", []string{a}, func(open summary.Opener) error {
			return summaryRun(ctx, &SummaryOptions{IO: streams(), Dir: a, JSON: true, Open: open})
		}, 1},
		{"summary --write", []string{a}, func(open summary.Opener) error {
			return summaryRun(ctx, &SummaryOptions{IO: streams(), Dir: a, Write: true, Open: open})
		}, 1},
		{"report", []string{a}, func(open summary.Opener) error {
			return reportRun(ctx, &ReportOptions{IO: streams(), RunDir: a, OutDir: filepath.Join(base, "out"), Formats: []string{"all"}, Open: open})
		}, 1},
		{"report of a killed run", []string{b}, func(open summary.Opener) error {
			return reportRun(ctx, &ReportOptions{IO: streams(), RunDir: b, OutDir: filepath.Join(base, "out-b"), Formats: []string{"html,json"}, Open: open})
		}, 1},
		{"compare", []string{a, b}, func(open summary.Opener) error {
			return compareRun(ctx, &CompareOptions{IO: streams(), RunA: a, RunB: b, Formats: []string{"json"}, FailOnRegression: -1,
				ErrorRateThreshold: 0.01, Open: open})
		}, 1},
	}
	// Sequential: the kernel counts are per directory.
	for _, tc := range tests {
		var watches []*fileEvents
		for _, d := range tc.dirs {
			watches = append(watches, watchRecords(t, d))
		}
		var c openCounter
		if err := tc.run(c.open); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for i, d := range tc.dirs {
			if got := c.count(filepath.Join(d, results.ResultsFile)); got != tc.reads {
				t.Errorf("%s: the pipeline opened %s %d times, want %d", tc.name, d, got, tc.reads)
			}
			opens, reads, closes := watches[i].stop()
			if opens != tc.reads || closes != tc.reads || reads == 0 {
				t.Errorf("%s: the kernel saw %d opens, %d read-only closes (%d reads) of %s/results.jsonl, want %d",
					tc.name, opens, closes, reads, d, tc.reads)
			}
		}
	}
}

// TestRunReadsNoRecordsBack runs a scenario and checks that benchctl run
// never reads results.jsonl (the summary pipeline was fed as the records
// were written: the kernel sees one open, the writer's, and no read), and
// that what it wrote is what benchctl summary recomputes from the file.
func TestRunReadsNoRecordsBack(t *testing.T) {
	t.Parallel()
	srv := runTestEchoServer(t, time.Millisecond)
	dir := t.TempDir()
	scenario := runTestScenario(t, dir, srv.URL, `  - {name: warmup, targets: [echo], duration: 200ms, traffic: {model: constant, rate: 20}, record: false}
  - {name: steady, targets: [echo], duration: 1500ms, traffic: {model: poisson, rate: 400}, max_in_flight: 50}
  - {name: ramp, targets: [echo], duration: 1s, traffic: {model: ramp, from: 50, to: 300}}`, "{p99_ms: 2000, error_rate: 0.01}")
	out := filepath.Join(dir, "run")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	w := watchRecords(t, out)
	code, stdout, stderr := runTestMain(context.Background(), "run", scenario, "--out", out, "--quiet")
	opens, reads, closes := w.stop()
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if opens != 1 || reads != 0 || closes != 0 {
		t.Fatalf("the kernel saw %d opens, %d reads, %d read-only closes of results.jsonl during the run; want 1 (the writer), 0, 0", opens, reads, closes)
	}
	for _, f := range []string{"report.html", "report.md", results.SummaryFile, results.HistogramsFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("run did not write %s: %v", f, err)
		}
	}
	saved, err := os.ReadFile(filepath.Join(out, results.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var live results.Summary
	if err := json.Unmarshal(saved, &live); err != nil {
		t.Fatal(err)
	}
	// The same run directory without summary.json: summary recomputes
	// every section from the file.
	copyDir := filepath.Join(dir, "copy")
	if err := os.MkdirAll(copyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{results.ScenarioFile, results.RunInfoFile, results.ResultsFile} {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(copyDir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr = runTestMain(context.Background(), "summary", copyDir, "--json")
	if code != ExitOK {
		t.Fatalf("summary: exit %d: %s", code, stderr)
	}
	var again results.Summary
	if err := json.Unmarshal([]byte(stdout), &again); err != nil {
		t.Fatal(err)
	}
	again.Scenario.File = live.Scenario.File
	want, _ := json.MarshalIndent(&live, "", "  ")
	got, _ := json.MarshalIndent(&again, "", "  ")
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("summary recomputed from the file differs from run's at line %d:\n got: %s\nwant: %s", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("summary recomputed from the file differs from run's (%d vs %d lines)", len(gl), len(wl))
	}
	// And so do the histograms (summary writes them for a run without
	// summary.json), readable by HdrHistogram's log reader.
	liveH, err := os.ReadFile(filepath.Join(out, results.HistogramsFile))
	if err != nil {
		t.Fatal(err)
	}
	fileH, err := os.ReadFile(filepath.Join(copyDir, results.HistogramsFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(liveH, fileH) {
		t.Fatal("histograms.hlog written by run differs from the one summary writes from the file")
	}
	hs, err := summary.ReadHistograms(bytes.NewReader(liveH))
	if err != nil {
		t.Fatal(err)
	}
	if h := hs.Get(summary.Tag("echo", "steady", "", results.MetricLatency)); h == nil || h.TotalCount() != live.Targets[0].Phases[0].LatencyMs.Count {
		t.Fatalf("histograms.hlog lacks echo/steady latency with %d values", live.Targets[0].Phases[0].LatencyMs.Count)
	}
}
