package report

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
)

// TestRenderDegenerateRuns renders runs with little or odd data in every
// format: nothing may panic or fail, and charts without data are skipped.
func TestRenderDegenerateRuns(t *testing.T) {
	t.Parallel()
	t0 := fixedStart()
	rec := func(target string, ms float64, code uint16, errText string) results.Record {
		return results.Record{Target: target, Phase: "p", Code: code, Error: errText, Timestamp: t0, Intended: t0,
			Latency: time.Duration(ms * float64(time.Millisecond))}
	}
	zero := 0.0
	tests := []struct {
		name    string
		records []results.Record
		sum     results.Summary
	}{
		{"no records", nil, results.Summary{SchemaVersion: 1}},
		{"one record", []results.Record{rec("a", 5, 200, "")}, results.Summary{SchemaVersion: 1, Targets: []results.TargetSummary{{Name: "a", Kind: "http", Phases: []results.PhaseSummary{{Name: "p", Requests: 1, OK: 1}}}}}},
		{"all failed, zero latency", []results.Record{rec("a", 0, 0, "refused"), rec("a", 0, 0, "refused")}, results.Summary{SchemaVersion: 1}},
		{"identical latencies", []results.Record{rec("a", 7, 200, ""), rec("a", 7, 200, ""), rec("a", 7, 200, "")}, results.Summary{SchemaVersion: 1}},
		{"zero costs and empty experiments", []results.Record{rec("a", 5, 200, "")}, results.Summary{SchemaVersion: 1,
			Cost:      []results.CostRow{{Target: "a", Platform: "aws-lambda"}},
			BreakEven: []results.BreakEvenRow{{Serverless: "a", Instance: "c7i.large", Crossings: []results.Crossing{{}}}},
			Experiments: results.Experiments{
				MemorySweep: []results.MemorySweepRow{{Target: "a", MemoryMB: 128, CostPerMillionUSD: &zero}},
				Capacity:    []results.CapacityResult{{Target: "a"}},
				ColdStarts:  &results.ColdStartSummary{Target: "a"},
			}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "run")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			f, err := os.Create(filepath.Join(dir, results.ResultsFile))
			if err != nil {
				t.Fatal(err)
			}
			enc := json.NewEncoder(f)
			for i := range tc.records {
				if err := enc.Encode(&tc.records[i]); err != nil {
					t.Fatal(err)
				}
			}
			f.Close()
			if err := results.WriteJSONFile(filepath.Join(dir, results.SummaryFile), &tc.sum); err != nil {
				t.Fatal(err)
			}
			if _, err := Render(context.Background(), dir, t.TempDir(), []string{"all"}); err != nil {
				t.Fatalf("Render: %v", err)
			}
			m, err := Load(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range m.Skipped {
				if strings.Contains(s, "could not be drawn") {
					t.Errorf("chart failed its trial draw: %s", s)
				}
			}
		})
	}
}

// TestScatterSaysDecimation checks a run larger than the scatter bound says
// "1 in N shown" in the chart itself and in its caption.
func TestScatterSaysDecimation(t *testing.T) {
	t.Parallel()
	o := defaultSynth()
	o.PerTarget = 200
	base := t.TempDir()
	dir := filepath.Join(base, "run")
	writeSyntheticRun(t, dir, o)
	m, err := Load(context.Background(), dir, WithMaxScatterPoints(100))
	if err != nil {
		t.Fatal(err)
	}
	var c *Chart
	for _, ch := range m.Charts {
		if ch.Name == ChartLatencyTime {
			c = ch
		}
	}
	if c == nil {
		t.Fatal("no latency-over-time chart")
	}
	// 400 requests per target, at most 100 kept: every 8th (50 points).
	want := "1 in 8 shown"
	if !strings.Contains(c.Caption, want) {
		t.Errorf("caption %q lacks %q", c.Caption, want)
	}
	var svg strings.Builder
	if err := c.WriteSVG(&svg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(svg.String(), want) {
		t.Errorf("chart lacks %q", want)
	}
}
