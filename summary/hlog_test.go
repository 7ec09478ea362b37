package summary

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/benchctl/benchctl/results"
)

// TestHistogramsLogMatchesSummary summarises a run (benchctl summary's
// path), reads the histograms.hlog it wrote with HdrHistogram's own log
// reader, and recomputes every distribution of summary.json from it: the
// counts of all, and the percentiles of every HDR-method one (capped to
// its exact min and max, as summary.json's are); a memory sweep row is
// the merge of its step's phases.
func TestHistogramsLogMatchesSummary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := passRecords(t, 5, 3000, 1100)
	for name, b := range map[string][]byte{results.ResultsFile: data, results.ScenarioFile: []byte(passScenario)} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := Resummarize(context.Background(), ResummarizeOptions{Dir: dir, JSON: true, Out: &out, Err: io.Discard}); err != nil {
		t.Fatal(err)
	}
	var sum results.Summary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, results.HistogramsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	byTag := map[string]*hdr.Histogram{}
	lr := hdr.NewHistogramLogReader(f)
	for {
		h, err := lr.NextIntervalHistogram()
		if err != nil && !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
		if h == nil {
			break
		}
		if _, dup := byTag[h.Tag()]; dup {
			t.Fatalf("tag %s twice", h.Tag())
		}
		byTag[h.Tag()] = h
	}
	hdrChecked := 0
	check := func(what string, h *hdr.Histogram, d results.Distribution) {
		t.Helper()
		if h == nil {
			t.Errorf("%s: no histogram", what)
			return
		}
		if h.TotalCount() != d.Count {
			t.Errorf("%s: histogram counts %d, summary %d", what, h.TotalCount(), d.Count)
		}
		if d.Method != results.MethodHDR {
			return
		}
		hdrChecked++
		for _, q := range []struct {
			q    float64
			want float64
		}{{50, d.P50}, {90, d.P90}, {95, d.P95}, {99, d.P99}, {99.9, d.P999}} {
			if got := results.HDRQuantileMs(h, q.q, d.Min, d.Max); got != q.want {
				t.Errorf("%s: p%g from the log %v, summary %v", what, q.q, got, q.want)
			}
		}
	}
	for _, ts := range sum.Targets {
		for _, p := range ts.Phases {
			tag := func(m string) *hdr.Histogram { return byTag[Tag(ts.Name, p.Name, p.Step, m)] }
			label := ts.Name + "/" + p.Name + "[" + p.Step + "]"
			check(label+" latency", tag(results.MetricLatency), p.LatencyMs)
			check(label+" service latency", tag(results.MetricServiceLatency), p.ServiceLatencyMs)
			for _, d := range []struct {
				m string
				d *results.Distribution
			}{{results.MetricDuration, p.DurationMs}, {results.MetricBilledDuration, p.BilledDurationMs}, {results.MetricInitDuration, p.InitDurationMs}} {
				if d.d != nil {
					check(label+" "+d.m, tag(d.m), *d.d)
				} else if tag(d.m) != nil {
					t.Errorf("%s: histogram %s without a distribution", label, d.m)
				}
			}
			if lag := tag(results.MetricDispatchLag); lag == nil {
				t.Errorf("%s: no dispatch lag histogram", label)
			} else if lag.TotalCount() > results.ExactMaxSamples {
				for _, q := range []struct{ q, want float64 }{{50, p.DispatchLagMs.P50}, {99, p.DispatchLagMs.P99}} {
					if got := results.HDRQuantileMs(lag, q.q, 0, p.DispatchLagMs.Max); math.Abs(got-q.want) > 0.001 {
						t.Errorf("%s: lag p%g from the log %v, summary %v", label, q.q, got, q.want)
					}
				}
			}
		}
	}
	// Memory sweep rows: the merge of their step's phases.
	for _, row := range sum.Experiments.MemorySweep {
		merged := NewHistograms()
		for _, ts := range sum.Targets {
			for _, p := range ts.Phases {
				if ts.Name == row.Target && p.Step == results.MemoryStep(row.MemoryMB) {
					for _, m := range []string{results.MetricLatency, results.MetricDuration} {
						if h := byTag[Tag(ts.Name, p.Name, p.Step, m)]; h != nil {
							if err := merged.Add(m, h); err != nil {
								t.Fatal(err)
							}
						}
					}
				}
			}
		}
		check("sweep row latency", merged.Get(results.MetricLatency), row.LatencyMs)
		check("sweep row duration", merged.Get(results.MetricDuration), row.DurationMs)
	}
	if hdrChecked < 8 {
		t.Fatalf("only %d HDR distributions checked: the fixture does not exercise the HDR method", hdrChecked)
	}
}

// TestHistogramsMergeHalves checks that the histograms of the first and
// the second half of a run's records, merged (either way round, and after
// a trip through the log format), equal the histograms of all of them.
func TestHistogramsMergeHalves(t *testing.T) {
	t.Parallel()
	data := passRecords(t, 9, 2500)
	lines := bytes.SplitAfter(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	phasesOf := func(ls [][]byte) *Histograms {
		p := NewPhases(PhasesOptions{})
		for _, l := range ls {
			var r results.Record
			if err := results.ParseRecord(bytes.TrimSpace(l), &r); err != nil {
				t.Fatal(err)
			}
			p.Add(&r)
		}
		return p.Histograms()
	}
	whole := phasesOf(lines)
	half := len(lines) / 2
	for _, order := range []string{"first then second", "second then first"} {
		a, b := phasesOf(lines[:half]), phasesOf(lines[half:])
		if order == "second then first" {
			a, b = b, a
		}
		var buf bytes.Buffer
		if _, err := b.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		b2, err := ReadHistograms(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Merge(b2); err != nil {
			t.Fatal(err)
		}
		if ok, why := a.Equal(whole); !ok {
			t.Errorf("%s: merged halves differ from the whole: %s", order, why)
		}
	}
}

func TestTagRoundTrip(t *testing.T) {
	t.Parallel()
	for _, c := range [][4]string{{"api", "steady", "", "latency"}, {"fn", "sweep", "memory_mb=512", "duration"},
		{"a b", "p;q", "x,y%z", "latency"}} {
		tag := Tag(c[0], c[1], c[2], c[3])
		got := [4]string{}
		var ok bool
		got[0], got[1], got[2], got[3], ok = ParseTag(tag)
		if !ok || got != c {
			t.Errorf("ParseTag(%q) = %q, %v; want %q", tag, got, ok, c)
		}
	}
	if _, _, _, _, ok := ParseTag("A"); ok {
		t.Error("ParseTag accepted a foreign tag")
	}
}
