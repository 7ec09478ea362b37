package report

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// Run directory file names (the results package's).
const (
	SummaryFile  = results.SummaryFile
	ScenarioFile = results.ScenarioFile
)

// runDir is a run directory opened for rendering.
type runDir struct {
	dir      string
	run      *results.Run
	summary  results.Summary
	scenario *scenarios.Scenario
	notes    []string
}

// openRunDir opens dir through results.OpenRun. A run killed before it
// wrote summary.json is re-summarised from its records first.
func openRunDir(dir string) (*runDir, error) {
	run, err := results.OpenRun(dir)
	if err != nil {
		return nil, err
	}
	rd := &runDir{dir: dir, run: run}
	if len(run.Scenario) > 0 {
		sc, err := scenarios.Parse(filepath.Join(dir, ScenarioFile), run.Scenario)
		if err != nil {
			// A scenario that no longer validates (e.g. a payload file
			// moved) still describes the run: decode it leniently.
			var lenient scenarios.Scenario
			if yerr := yaml.Unmarshal(run.Scenario, &lenient); yerr == nil {
				sc = &lenient
			} else {
				rd.notes = append(rd.notes, fmt.Sprintf("%s could not be read (%v); scenario details omitted", ScenarioFile, err))
			}
		}
		rd.scenario = sc
	}
	if run.Summary != nil {
		rd.summary = *run.Summary
		if rd.summary.Run.BenchctlVersion == "" && rd.summary.Run.Start.IsZero() {
			rd.summary.Run = run.Info
		}
		return rd, nil
	}
	// No summary.json: summarise the records (one extra pass), then reopen.
	opts := results.SummarizeOptions{Kinds: map[string]string{}}
	if rd.scenario != nil {
		for _, t := range rd.scenario.Targets {
			opts.Kinds[t.Name] = t.Kind
			opts.TargetOrder = append(opts.TargetOrder, t.Name)
		}
	}
	ts, err := results.Summarize(run.Records, opts)
	run.Close()
	if err != nil {
		return nil, fmt.Errorf("summarise run %s: %w", dir, err)
	}
	if rd.run, err = results.OpenRun(dir); err != nil {
		return nil, err
	}
	rd.summary = results.Summary{SchemaVersion: results.SchemaVersion, Run: run.Info, Targets: ts}
	if rd.scenario != nil {
		rd.summary.Scenario = results.ScenarioInfo{Name: rd.scenario.Name, Description: rd.scenario.Description, Seed: rd.scenario.Seed}
	}
	rd.notes = append(rd.notes, "summary.json was missing (the run was stopped before writing it); the summary was recomputed from results.jsonl")
	return rd, nil
}

// decoder reads records one at a time; it returns io.EOF at the end.
type decoder = results.Decoder

// openRecords returns the run's record decoder and its closer.
func (rd *runDir) openRecords() (decoder, io.Closer, error) {
	if rd.run == nil || rd.run.Records == nil {
		return func(*results.Record) error { return io.EOF }, io.NopCloser(nil), errors.New("run not open")
	}
	return rd.run.Records, rd.run, nil
}
