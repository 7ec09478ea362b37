package report

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/summary"
)

// Run directory file names (the results package's).
const (
	SummaryFile  = results.SummaryFile
	ScenarioFile = results.ScenarioFile
)

// missingSummaryNote is shown on the report of a run killed before it
// wrote summary.json.
const missingSummaryNote = "summary.json was missing (the run was stopped before writing it); the summary was recomputed from results.jsonl"

// load reads a run directory into a Model without its charts (Load and
// Render build them, Compare draws only its own): the summary pipeline's
// one pass over results.jsonl with the report's series and the extra
// collectors (compare's units).
func load(ctx context.Context, runDir string, cfg *config, extra ...summary.Collector) (*Model, error) {
	run, err := summary.Load(ctx, runDir, summary.Options{
		Prices:     cfg.prices,
		Reprice:    cfg.reprice,
		Series:     &summary.SeriesOptions{MaxScatterPoints: cfg.maxScatter, MaxSamples: cfg.maxSamples},
		Open:       cfg.open,
		Collectors: extra,
	})
	if err != nil {
		return nil, err
	}
	return fromRun(runDir, run, cfg), nil
}

// FromRun builds the Model of a run the summary pipeline has already
// turned into results (benchctl run, which fed it live), charts included;
// nothing is read.
func FromRun(run *summary.Run, opts ...Option) (*Model, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	m := fromRun(run.Dir, run, cfg)
	m.buildCharts()
	return m, nil
}

// fromRun derives the Model of run; with pricing on, the break-even
// chart's curves come from the run's price book.
func fromRun(runDir string, run *summary.Run, cfg *config) *Model {
	notes := append([]string(nil), run.Notes...)
	if run.Recomputed() {
		notes = append(notes, missingSummaryNote)
	}
	var curves []Curve
	if cfg.pricing && run.Book != nil {
		var err error
		curves, err = bookCurves(run.Book, run.Summary, run.Scenario, 1e4, 1e10, 241)
		if err != nil {
			notes = append(notes, fmt.Sprintf("break-even curves unavailable (%v); the chart uses the summary's rows", err))
			curves = nil
		}
	}
	return buildModel(filepath.Base(filepath.Clean(runDir)), run, notes, curves)
}
