package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/report"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/summary"
)

// ReportOptions are the inputs of `benchctl report`.
type ReportOptions struct {
	IO *IOStreams
	// RunDir is the saved run directory.
	RunDir string
	// Formats are the output formats (comma-separated names allowed).
	Formats []string
	// OutDir is where the files go (default: the run directory).
	OutDir string
	// Prices is a price-book file overriding the rule's choice (the
	// scenario's pricing.prices, else the embedded book).
	Prices string
	// NoReprice keeps the costs saved with the run instead of re-pricing
	// its records with the current price book.
	NoReprice bool
	// Open opens results.jsonl (a test seam; os.Open when nil).
	Open summary.Opener
}

func newReportCmd(streams *IOStreams, runF func(*ReportOptions) error) *cobra.Command {
	opts := &ReportOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "report RUN_DIR",
		Short: "Re-render the report of a saved run (no network)",
		Long: `Usage:
  benchctl report RUN_DIR [--format html,md,json,png,svg] [--out DIR] [--prices FILE] [--no-reprice]

Reads a saved run directory (summary.json, run.json, scenario.yaml and
results.jsonl, streamed once) and writes the report again: for instance after
a price-book update, since the run's records are re-priced with the current
book unless --no-reprice is given. Nothing is sent over the network.

Arguments:
  RUN_DIR        a run directory written by benchctl run

Options:
  --format LIST  formats to write, comma-separated or repeated (default
                 html,md,json): ` + strings.Join(report.FormatNames(), ", ") + `, or all
                   html  report.html, one self-contained page (charts inline)
                   md    report.md plus charts/*.png it links to
                   json  summary.json (schema: results/summary.schema.json)
                   png   charts/*.png at 192 DPI
                   svg   charts/*.svg
  --out DIR      write into DIR instead of RUN_DIR
  --prices FILE  a price-book file overriding/extending the embedded book
                 (default: the book the scenario names in pricing.prices,
                 as copied into RUN_DIR when the run started, else the
                 embedded book)
  --no-reprice   keep the costs saved with the run

Output:
  the path of every file written, one per line, on stdout.`,
		Example: `  benchctl report results/20260102T030405Z-quickstart
  benchctl report results/20260102T030405Z-quickstart --format html,svg --out /tmp/review
  benchctl report RUN --prices my-prices.yaml --format md`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &FlagError{Err: fmt.Errorf("report: give exactly one RUN_DIR (got %d arguments)", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.RunDir = args[0]
			if _, err := report.ParseFormats(opts.Formats); err != nil {
				return &FlagError{Err: fmt.Errorf("report: %w", err)}
			}
			if runF != nil {
				return runF(opts)
			}
			return reportRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringSliceVar(&opts.Formats, "format", nil, "formats: "+strings.Join(report.FormatNames(), ",")+" or all (default html,md,json)")
	cmd.Flags().StringVar(&opts.OutDir, "out", "", "output directory (default: RUN_DIR)")
	cmd.Flags().StringVar(&opts.Prices, "prices", "", "price-book file overriding the embedded book")
	cmd.Flags().BoolVar(&opts.NoReprice, "no-reprice", false, "keep the costs saved with the run")
	return cmd
}

// reportRun renders the run and lists the files written.
func reportRun(ctx context.Context, opts *ReportOptions) error {
	defer limitMemory()()
	files, err := report.Render(ctx, opts.RunDir, opts.OutDir, opts.Formats,
		report.WithPricing(opts.Prices, !opts.NoReprice), report.WithOpener(opts.Open))
	if errors.Is(err, report.ErrUnknownFormat) || errors.Is(err, results.ErrNotRunDir) || errors.Is(err, summary.ErrPrices) {
		return &FlagError{Err: err}
	}
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	for _, f := range files {
		fmt.Fprintln(opts.IO.Out, f)
	}
	return nil
}
