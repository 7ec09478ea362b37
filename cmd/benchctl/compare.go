package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/report"
)

// CompareOptions are the inputs of `benchctl compare`.
type CompareOptions struct {
	IO         *IOStreams
	RunA, RunB string
	// Format is text, md or json.
	Format string
	// FailOnRegression is the relative threshold (0.10 = 10 %); negative
	// means off.
	FailOnRegression float64
}

// parseThreshold reads "10%", "10" (percent) or "0.1" (fraction below 1).
func parseThreshold(s string) (float64, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(t, "%"), 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("--fail-on-regression %q: want a percentage such as 10%%", s)
	}
	if pct || v >= 1 {
		v /= 100
	}
	return v, nil
}

func newCompareCmd(streams *IOStreams, runF func(*CompareOptions) error) *cobra.Command {
	opts := &CompareOptions{IO: streams, FailOnRegression: -1}
	var threshold string
	cmd := &cobra.Command{
		Use:   "compare RUN_A RUN_B",
		Short: "Compare two saved runs target by target, with a significance test",
		Long: `Usage:
  benchctl compare RUN_A RUN_B [--format text|md|json] [--fail-on-regression 10%]

Puts the targets the two runs share side by side: p50 and p99 latency, cost
per 1M requests and break-even, each with its relative change (B − A) / A.
Whether latency moved is decided by a two-sided Mann-Whitney U test on the
requests' latencies (normal approximation with tie correction, alpha 0.01),
so noise between two runs of the same system is not called a change.

Arguments:
  RUN_A   the baseline run directory
  RUN_B   the run to judge against it

Options:
  --format FORMAT             text (default), md or json
  --fail-on-regression PCT    exit 4 when B is worse than A by more than PCT:
                              a p50 or p99 increase the test finds significant,
                              or a cost per 1M increase

Exit status 4 marks a regression; 2 bad arguments.`,
		Example: `  benchctl compare results/before results/after
  benchctl compare results/before results/after --format md > compare.md
  benchctl compare results/main results/pr --fail-on-regression 10%`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return &FlagError{Err: fmt.Errorf("compare: give RUN_A and RUN_B (got %d arguments)", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.RunA, opts.RunB = args[0], args[1]
			if opts.Format == "markdown" {
				opts.Format = "md"
			}
			if !slices.Contains(report.CompareFormatNames(), opts.Format) {
				return &FlagError{Err: fmt.Errorf("compare: format %q isn't one of [%s]", opts.Format, strings.Join(report.CompareFormatNames(), ", "))}
			}
			if threshold != "" {
				v, err := parseThreshold(threshold)
				if err != nil {
					return &FlagError{Err: fmt.Errorf("compare: %w", err)}
				}
				opts.FailOnRegression = v
			}
			if runF != nil {
				return runF(opts)
			}
			return compareRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output format: "+strings.Join(report.CompareFormatNames(), ", "))
	cmd.Flags().StringVar(&threshold, "fail-on-regression", "", "exit 4 when B regresses by more than this (e.g. 10%)")
	return cmd
}

// compareRun compares the runs, prints the comparison and sorts out the
// regression verdict.
func compareRun(ctx context.Context, opts *CompareOptions) error {
	c, err := report.Compare(ctx, opts.RunA, opts.RunB)
	if err != nil {
		return err
	}
	if err := report.WriteComparison(opts.IO.Out, c, opts.Format); err != nil {
		return err
	}
	if opts.FailOnRegression < 0 {
		return nil
	}
	if regs := c.Regressions(opts.FailOnRegression); len(regs) > 0 {
		return &RegressionError{Msg: strings.Join(regs, "; ")}
	}
	return nil
}
