package summary

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"github.com/benchctl/benchctl/results"
)

// ResummarizeOptions are the inputs of Resummarize.
type ResummarizeOptions struct {
	// Dir is the run directory.
	Dir string
	// Prices is the --prices flag (see Book), used when the run is priced.
	Prices string
	// JSON prints summary.json's content instead of the table.
	JSON bool
	// Write rewrites summary.json and histograms.hlog (they are always
	// written when summary.json is missing).
	Write bool
	// Out gets the table or the JSON; Err the notes.
	Out, Err io.Writer
	// Open opens results.jsonl (OpenFile when nil).
	Open Opener
}

// Resummarize is `benchctl summary`: it recomputes the phase summaries of
// a saved run from its records in one pass (and, for a run killed before
// it wrote summary.json, every other section too: experiments, capacity,
// costs), writes summary.json and histograms.hlog when the run had none or
// when asked to, and prints the table (or the JSON).
func Resummarize(ctx context.Context, o ResummarizeOptions) error {
	run, err := Load(ctx, o.Dir, Options{Prices: o.Prices, Resummarize: true, Open: o.Open})
	if err != nil {
		return err
	}
	sum := run.Summary
	if run.Saved != nil && run.Scenario != nil {
		s := run.Scenario
		sum.Scenario = results.ScenarioInfo{Name: s.Name, Description: s.Description, Seed: s.Seed, File: s.Path}
	}
	for _, n := range run.Notes {
		if !slices.Contains(sum.Notes, n) {
			sum.Notes = append(sum.Notes, n)
		}
	}
	if run.Saved == nil || o.Write {
		if err := results.WriteJSONFile(filepath.Join(o.Dir, results.SummaryFile), sum); err != nil {
			return err
		}
		if err := WriteHistograms(o.Dir, run.Phases.Histograms()); err != nil {
			return err
		}
	}
	if o.JSON {
		enc := json.NewEncoder(o.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	if err := WriteTable(o.Out, sum); err != nil {
		return err
	}
	for _, n := range sum.Notes {
		fmt.Fprintln(o.Err, "note:", n)
	}
	return nil
}
