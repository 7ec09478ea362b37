package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/results"
)

func workersSummary() *results.Summary {
	c := func(v float64) *float64 { return &v }
	return &results.Summary{
		Run: results.RunInfo{Distributed: &results.DistributedInfo{Engine: "lambda", Workers: 3}},
		Workers: []results.WorkerSummary{
			{Index: 0, Region: "eu-west-1", Status: results.WorkerOK, Requests: 1000, StartLagMs: 1.25, ClockOffsetMs: -3.5, ClockMethod: "sntp:pool", DispatchLagP99Ms: 0.8, GeneratorCostUSD: c(0.004)},
			{Index: 1, Region: "us-east-1", Status: results.WorkerLate, Requests: 1000, StartLagMs: 61, ClockOffsetMs: 12, ClockMethod: "store-date", DispatchLagP99Ms: 2.5, GeneratorCostUSD: c(0.005)},
			{Index: 2, Region: "us-east-1", Status: results.WorkerFailed, Requests: 400, Missing: 600, Error: "window 0: killed", DispatchLagP99Ms: 1, GeneratorCostUSD: c(0.002)},
			{Index: 2, Region: "us-east-1", Status: results.WorkerDuplicate},
		},
		BenchmarkCostUSD: c(1.5),
		Notes:            []string{"load generators: $0.011000, what the workers' invocations cost", "unrelated note"},
	}
}

// TestWorkersSection renders the per-worker and per-region tables of a
// distributed run in report.html and report.md, with the generators'
// cost beside (never inside) the system under test's.
func TestWorkersSection(t *testing.T) {
	t.Parallel()
	s := workersSummary()
	m := &Model{Summary: s, Workers: newWorkersView(s)}
	v := m.Workers
	if len(v.Regions) != 2 || v.Regions[1].Region != "us-east-1" || v.Regions[1].Workers != 2 || v.Regions[1].Failed != 1 ||
		v.Regions[1].Requests != 1400 || v.Regions[1].WorstStartLagMs != 61 || v.Regions[1].Cost != "$0.0070" {
		t.Errorf("regions %+v", v.Regions)
	}
	if *v.GeneratorUSD < 0.0109 || *v.GeneratorUSD > 0.0111 || v.Missing != 600 || len(v.CostNotes) != 1 {
		t.Errorf("view %+v", v)
	}
	var h, md bytes.Buffer
	if err := WriteHTML(&h, m); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, m); err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{"html": h.String(), "md": md.String()} {
		for _, want := range []string{"Load generators", "3 workers on lambda", "Load generators: $0.01; system under test: $1.50",
			"eu-west-1", "600 missing", "−3.50", "12.0", "sntp:pool", "61.0", "$0.0070", "duplicate", "worst lag p99 ms"} {
			if !strings.Contains(doc, want) {
				t.Errorf("%s: no %q", name, want)
			}
		}
		if strings.Contains(doc, "unrelated note") && strings.Count(doc, "unrelated note") > 1 {
			t.Errorf("%s: the section repeats notes that are not about the generators", name)
		}
	}
	if !strings.Contains(h.String(), `title="window 0: killed"`) {
		t.Error("html: the failed worker's error is not on its status")
	}
}

// TestNoWorkersSection: a single-generator run has no such section.
func TestNoWorkersSection(t *testing.T) {
	t.Parallel()
	s := &results.Summary{}
	m := &Model{Summary: s, Workers: newWorkersView(s)}
	var h, md bytes.Buffer
	if err := WriteHTML(&h, m); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, m); err != nil {
		t.Fatal(err)
	}
	if m.Workers != nil || strings.Contains(h.String(), `id="workers"`) || strings.Contains(md.String(), "## Load generators") {
		t.Error("a single-generator report has a load-generator section")
	}
}
