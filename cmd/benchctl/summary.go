package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/summary"
)

// SummaryOptions are the inputs of `benchctl summary`.
type SummaryOptions struct {
	IO *IOStreams
	// Dir is the run directory.
	Dir string
	// JSON prints summary.json's content instead of the table.
	JSON bool
	// Write rewrites DIR/summary.json and DIR/histograms.hlog (they are
	// always written when summary.json is missing).
	Write bool
	// Prices is a price-book file overriding the rule (the scenario's
	// pricing.prices, else the embedded book), for a run that is priced.
	Prices string
	// Open opens results.jsonl (a test seam; os.Open when nil).
	Open summary.Opener
}

func newSummaryCmd(streams *IOStreams, runF func(*SummaryOptions) error) *cobra.Command {
	opts := &SummaryOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "summary DIR",
		Short: "Re-summarise a saved run from its results.jsonl",
		Long: `Usage:
  benchctl summary DIR [--json] [--write] [--prices FILE]

Reads DIR/results.jsonl once (constant memory, on every core, tolerating a
torn last line as left by a killed run) into per target and phase
summaries, with the SLOs of DIR/scenario.yaml, and prints the table run
prints. A run killed before it wrote summary.json gets one, with every
section run writes (experiments, capacity, costs), and histograms.hlog.

Arguments:
  DIR   a run directory written by benchctl run

Options:
  --json          print the summary as JSON (summary.json's format) on stdout
  --write         rewrite DIR/summary.json with the recomputed target
                  sections, and DIR/histograms.hlog
  --prices FILE   price book for a run that is priced (default: the
                  scenario's pricing.prices, else the embedded book)`,
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
	cmd.Flags().BoolVar(&opts.Write, "write", false, "rewrite DIR/summary.json and DIR/histograms.hlog")
	cmd.Flags().StringVar(&opts.Prices, "prices", "", "price-book file for a run that is priced")
	return cmd
}

// summaryRun recomputes the summary of a run directory.
func summaryRun(ctx context.Context, opts *SummaryOptions) error {
	defer limitMemory()()
	err := summary.Resummarize(ctx, summary.ResummarizeOptions{Dir: opts.Dir, Prices: opts.Prices, JSON: opts.JSON,
		Write: opts.Write, Out: opts.IO.Out, Err: opts.IO.Err, Open: opts.Open})
	if errors.Is(err, results.ErrNotRunDir) || errors.Is(err, summary.ErrPrices) {
		return &FlagError{Err: err}
	}
	return err
}
