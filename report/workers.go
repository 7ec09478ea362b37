package report

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/benchctl/benchctl/results"
)

// WorkersView is the load-generator section of a distributed run: one row
// per worker and one per region (index, region, status, requests, start
// lag, clock offset, dispatch-lag p99, generator cost), and what the
// generators cost next to what the system under test cost, never mixed.
type WorkersView struct {
	// Engine and Count describe the run (run.json distributed).
	Engine string
	Count  int
	Rows   []WorkerRow
	// Regions has one row per region, when the workers had regions.
	Regions []RegionRow
	// GeneratorUSD is the generators' total (nil when none was priced:
	// kubernetes, no price book); SUTUSD the system under test's
	// (benchmark_cost_usd), nil when not priced.
	GeneratorUSD, SUTUSD *float64
	// CostNotes are the summary's notes about the generators' cost.
	CostNotes []string
	// Missing counts the scheduled requests no worker recorded (gaps).
	Missing int64
}

// WorkerRow is one worker of a distributed run.
type WorkerRow struct {
	Index                     int
	Region, Status            string
	Requests, Missing, Unsent int64
	StartLagMs, ClockOffsetMs float64
	// Clock is how the offset was measured (sntp:…, store-date).
	Clock    string
	LagP99Ms float64
	// Cost is the generator cost, "–" when unknown.
	Cost  string
	Error string
}

// RegionRow sums the workers of one region.
type RegionRow struct {
	Region                  string
	Workers, Failed         int
	Requests                int64
	WorstStartLagMs, LagP99 float64
	Cost                    string
}

// newWorkersView builds the section from summary.json's workers[] (nil for
// a single-generator run).
func newWorkersView(s *results.Summary) *WorkersView {
	if len(s.Workers) == 0 {
		return nil
	}
	v := &WorkersView{Count: len(s.Workers), SUTUSD: s.BenchmarkCostUSD}
	if d := s.Run.Distributed; d != nil {
		v.Engine, v.Count = d.Engine, d.Workers
	}
	regions := map[string]*RegionRow{}
	regionCost := map[string]float64{}
	regionPriced := map[string]bool{}
	var total float64
	priced := false
	for _, w := range s.Workers {
		row := WorkerRow{Index: w.Index, Region: w.Region, Status: w.Status, Requests: w.Requests, Missing: w.Missing, Unsent: w.Unsent,
			StartLagMs: w.StartLagMs, ClockOffsetMs: w.ClockOffsetMs, Clock: w.ClockMethod, LagP99Ms: w.DispatchLagP99Ms, Cost: "–", Error: w.Error}
		if w.GeneratorCostUSD != nil {
			row.Cost = fmtUSD(*w.GeneratorCostUSD)
			total += *w.GeneratorCostUSD
			priced = true
		}
		v.Rows = append(v.Rows, row)
		v.Missing += w.Missing
		if w.Status == results.WorkerDuplicate || w.Region == "" {
			continue
		}
		r := regions[w.Region]
		if r == nil {
			r = &RegionRow{Region: w.Region}
			regions[w.Region] = r
		}
		r.Workers++
		if w.Status == results.WorkerFailed {
			r.Failed++
		}
		r.Requests += w.Requests
		r.WorstStartLagMs = max(r.WorstStartLagMs, w.StartLagMs)
		r.LagP99 = max(r.LagP99, w.DispatchLagP99Ms)
		if w.GeneratorCostUSD != nil {
			regionCost[w.Region] += *w.GeneratorCostUSD
			regionPriced[w.Region] = true
		}
	}
	if priced {
		v.GeneratorUSD = &total
	}
	if len(regions) > 1 || (len(regions) == 1 && v.Engine == "lambda") {
		for _, r := range regions {
			r.Cost = "–"
			if regionPriced[r.Region] {
				r.Cost = fmtUSD(regionCost[r.Region])
			}
			v.Regions = append(v.Regions, *r)
		}
		sort.Slice(v.Regions, func(i, j int) bool { return v.Regions[i].Region < v.Regions[j].Region })
	}
	for _, n := range s.Notes {
		if strings.HasPrefix(n, "load generators:") || strings.HasPrefix(n, "generator cost") {
			v.CostNotes = append(v.CostNotes, n)
		}
	}
	return v
}

// CostLine says what the generators cost beside the system under test.
func (v *WorkersView) CostLine() string {
	gen := "not priced"
	if v.GeneratorUSD != nil {
		gen = fmtUSD(*v.GeneratorUSD)
		if v.Engine == "local-lambda" {
			gen += " on AWS Lambda ($0 spent: they ran on this machine)"
		}
	}
	sut := "not priced"
	if v.SUTUSD != nil {
		sut = fmtUSD(*v.SUTUSD)
	}
	return fmt.Sprintf("Load generators: %s; system under test: %s. The generators' cost is never part of the system's cost per 1M or of any break-even.", gen, sut)
}

// writeMarkdownWorkers writes the section into report.md.
func writeMarkdownWorkers(b *bytes.Buffer, m *Model) {
	v := m.Workers
	if v == nil {
		return
	}
	fmt.Fprintf(b, "## Load generators\n\n%d workers on %s. %s\n\n", v.Count, mdEscape(v.Engine), mdEscape(v.CostLine()))
	b.WriteString("| worker | region | status | requests | start lag ms | clock offset ms | lag p99 ms | generator cost |\n|---:|---|---|---:|---:|---:|---:|---:|\n")
	for _, r := range v.Rows {
		status := r.Status
		if r.Missing > 0 {
			status += fmt.Sprintf(" (%s missing)", fmtInt(r.Missing))
		}
		fmt.Fprintf(b, "| %d | %s | %s | %s | %s | %s (%s) | %s | %s |\n", r.Index, mdEscape(r.Region), mdEscape(status), fmtInt(r.Requests),
			fmtMs(r.StartLagMs), fmtSignedMs(r.ClockOffsetMs), mdEscape(r.Clock), fmtMs(r.LagP99Ms), r.Cost)
	}
	b.WriteString("\n")
	if len(v.Regions) > 0 {
		b.WriteString("| region | workers | failed | requests | worst start lag ms | worst lag p99 ms | generator cost |\n|---|---:|---:|---:|---:|---:|---:|\n")
		for _, r := range v.Regions {
			fmt.Fprintf(b, "| %s | %d | %d | %s | %s | %s | %s |\n", mdEscape(r.Region), r.Workers, r.Failed, fmtInt(r.Requests), fmtMs(r.WorstStartLagMs), fmtMs(r.LagP99), r.Cost)
		}
		b.WriteString("\n")
	}
	for _, n := range v.CostNotes {
		fmt.Fprintf(b, "- %s\n", mdEscape(n))
	}
	if len(v.CostNotes) > 0 {
		b.WriteString("\n")
	}
}

// fmtSignedMs formats a clock offset with its sign.
func fmtSignedMs(v float64) string {
	if v > 0 {
		return "+" + fmtMs(v)
	}
	if v < 0 {
		return "−" + fmtMs(-v)
	}
	return "0"
}
