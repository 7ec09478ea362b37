package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// SummaryOptions are the inputs of `benchctl summary`.
type SummaryOptions struct {
	IO *IOStreams
	// Dir is the run directory.
	Dir string
	// JSON prints summary.json's content instead of the table.
	JSON bool
	// Write rewrites DIR/summary.json (it is always written when missing).
	Write bool
}

func newSummaryCmd(streams *IOStreams, runF func(*SummaryOptions) error) *cobra.Command {
	opts := &SummaryOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "summary DIR",
		Short: "Re-summarise a saved run from its results.jsonl",
		Long: `Usage:
  benchctl summary DIR [--json] [--write]

Streams DIR/results.jsonl (constant memory, tolerating a torn last line as
left by a killed run) into per target and phase summaries, with the SLOs of
DIR/scenario.yaml, and prints the table run prints. A run killed before it
wrote summary.json gets one.

Arguments:
  DIR   a run directory written by benchctl run

Options:
  --json    print the summary as JSON (summary.json's format) on stdout
  --write   rewrite DIR/summary.json with the recomputed target sections`,
		Example: `  benchctl summary results/20261127T143005Z-http-smoke
  benchctl summary runs/today --json | jq '.targets[0].phases[0].latency_ms.p99'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &FlagError{Err: fmt.Errorf("summary: give exactly one run directory")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dir = args[0]
			if runF != nil {
				return runF(opts)
			}
			return summaryRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON instead of the table")
	cmd.Flags().BoolVar(&opts.Write, "write", false, "rewrite DIR/summary.json")
	return cmd
}

// summaryRun recomputes the target summaries of a run directory.
func summaryRun(ctx context.Context, opts *SummaryOptions) error {
	run, err := results.OpenRun(opts.Dir)
	if err != nil {
		return &FlagError{Err: err}
	}
	saved, info, raw := run.Summary, run.Info, run.Scenario
	run.Close()
	// A run.json without an end: the run was killed; its last phase is
	// marked incomplete.
	info.InferEnd()
	// REPORT lines a killed lambda-url run read but did not fold in yet.
	if _, err := results.ApplyJoins(opts.Dir); err != nil {
		return err
	}

	var s *scenarios.Scenario
	var note string
	if len(raw) > 0 {
		// The scenario's payload and trace files need not sit next to a
		// saved run: check the schema, not the files.
		s, err = scenarios.Parse(filepath.Join(opts.Dir, results.ScenarioFile), raw, scenarios.WithoutFileChecks())
		if err != nil {
			note = "scenario.yaml did not validate here (" + summaryFirstLine(err.Error()) + "); SLOs and target kinds are not applied"
			s = nil
		}
	}
	sum, err := summarizeRunDir(opts.Dir, s, info)
	if err != nil {
		return err
	}
	if saved != nil {
		// Keep what other steps added (experiments, cost, notes); replace the
		// sections recomputed from the records.
		saved.Targets = sum.Targets
		if s != nil {
			saved.Scenario = sum.Scenario
		}
		sum = saved
	}
	if saved == nil && s != nil {
		// A run killed before it wrote summary.json: rebuild the experiment
		// sections and the costs from the records, as benchctl run does.
		book, err := pricing.LoadBookFor(s, "")
		if err != nil {
			note = strings.TrimSpace(note + " price book: " + err.Error() + "; costs not computed")
			book = nil
		}
		if err := completeSummary(opts.Dir, s, sum, book, nil); err != nil {
			return err
		}
	}
	if note != "" {
		sum.Notes = append(sum.Notes, note)
	}
	if saved == nil || opts.Write {
		if err := results.WriteJSONFile(filepath.Join(opts.Dir, results.SummaryFile), sum); err != nil {
			return err
		}
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	printSummaryTable(opts.IO.Out, sum)
	for _, n := range sum.Notes {
		fmt.Fprintln(opts.IO.Err, "note:", n)
	}
	return nil
}

func summaryFirstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i] + " …"
		}
	}
	return s
}
