package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/report"
	"github.com/benchctl/benchctl/summary"
)

// CompareOptions are the inputs of `benchctl compare`.
type CompareOptions struct {
	IO         *IOStreams
	RunA, RunB string
	// Formats are the output formats: text, md, json, html, png, svg.
	Formats []string
	// OutDir is where files go. Empty: a single text, md or json format
	// goes to stdout; anything else is written into the current directory.
	OutDir string
	// FailOnRegression is the relative threshold (0.10 = 10 %); negative
	// means off.
	FailOnRegression float64
	// ErrorRateThreshold is the absolute error-rate increase (0.01 = one
	// percentage point) a significant change must exceed to be a
	// regression (report.DefaultErrorRateThreshold unless set).
	ErrorRateThreshold float64
	// Open opens results.jsonl (a test seam; os.Open when nil).
	Open summary.Opener
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

// parseErrorRateThreshold reads an absolute error-rate threshold: "1%"
// (percent) or "0.01" (a fraction below 1).
func parseErrorRateThreshold(s string) (float64, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(t, "%"), 64)
	if pct {
		v /= 100
	}
	if err != nil || v < 0 || v >= 1 {
		return 0, fmt.Errorf("--error-rate-threshold %q: want an absolute error-rate increase such as 0.01 or 1%% (one percentage point), below 100%%", s)
	}
	return v, nil
}

func newCompareCmd(streams *IOStreams, runF func(*CompareOptions) error) *cobra.Command {
	opts := &CompareOptions{IO: streams, FailOnRegression: -1, ErrorRateThreshold: report.DefaultErrorRateThreshold}
	var threshold, errThreshold string
	cmd := &cobra.Command{
		Use:   "compare RUN_A RUN_B",
		Short: "Compare two saved runs target by target, with a significance test",
		Long: `Usage:
  benchctl compare RUN_A RUN_B [--format text,md,json,html,png,svg] [--out DIR]
                   [--fail-on-regression 10%] [--error-rate-threshold 0.01]

Puts the targets the two runs share side by side: p50 and p99 latency, error
rate, cost per 1M requests and break-even, each with its change (relative
(B − A) / A; absolute, in percentage points, for the error rate). Whether
latency moved is decided by a two-sided Mann-Whitney U test on the requests'
latencies (normal approximation with tie correction, alpha 0.01), whether
the error rate moved by a two-sided two-proportion z-test (Fisher's exact
test when an expected count is below 5, alpha 0.01), so noise between two
runs of the same system is not called a change. Each target gets a verdict:
regression, improvement or no significant change at the --fail-on-regression
threshold (10% when it is not given, for display) and the
--error-rate-threshold.

Arguments:
  RUN_A   the baseline run directory
  RUN_B   the run to judge against it

Options:
  --format LIST               formats, comma-separated or repeated (default text):
                                text  the comparison as plain text
                                md    a Markdown table for a pull request
                                json  the machine form (verdicts included)
                                html  compare.html, one self-contained page:
                                      verdict, tables, both runs' latency CDFs
                                      overlaid, provenance
                                png   charts/compare_latency_cdf.png (192 DPI)
                                svg   charts/compare_latency_cdf.svg
                                all   every one of them
  --out DIR                   write files into DIR (compare.txt, compare.md,
                              compare.json, compare.html, charts/...). Without
                              it one text, md or json format is printed on
                              stdout; html, png, svg or several formats are
                              written into the current directory
  --fail-on-regression PCT    exit 4 when B is worse than A by more than PCT:
                              a p50 or p99 increase the test finds significant,
                              or a cost per 1M increase; or when B's error
                              rate rose significantly by more than the
                              --error-rate-threshold
  --error-rate-threshold X    the absolute error-rate increase a significant
                              change must exceed to count: 0.01 or 1% (one
                              percentage point, the default); a decrease by
                              more than X is an improvement

Output:
  the comparison on stdout, or the path of every file written, one per line.

Exit status 4 marks a regression; 2 bad arguments.`,
		Example: `  benchctl compare results/before results/after
  benchctl compare results/before results/after --format md > compare.md
  benchctl compare results/before results/after --format html,md,json --out /tmp/review
  benchctl compare results/main results/pr --fail-on-regression 10%
  benchctl compare results/main results/pr --fail-on-regression 10% --error-rate-threshold 0.5%`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return &FlagError{Err: fmt.Errorf("compare: give RUN_A and RUN_B (got %d arguments)", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.RunA, opts.RunB = args[0], args[1]
			formats, err := report.ParseCompareFormats(opts.Formats)
			if err != nil {
				return &FlagError{Err: fmt.Errorf("compare: %w", err)}
			}
			opts.Formats = formats
			if threshold != "" {
				v, err := parseThreshold(threshold)
				if err != nil {
					return &FlagError{Err: fmt.Errorf("compare: %w", err)}
				}
				opts.FailOnRegression = v
			}
			if errThreshold != "" {
				v, err := parseErrorRateThreshold(errThreshold)
				if err != nil {
					return &FlagError{Err: fmt.Errorf("compare: %w", err)}
				}
				opts.ErrorRateThreshold = v
			}
			if runF != nil {
				return runF(opts)
			}
			return compareRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringSliceVar(&opts.Formats, "format", nil, "formats: "+strings.Join(report.CompareFormatNames(), ",")+" or all (default text)")
	cmd.Flags().StringVar(&opts.OutDir, "out", "", "write files into DIR (default: stdout for one text/md/json format, else the current directory)")
	cmd.Flags().StringVar(&threshold, "fail-on-regression", "", "exit 4 when B regresses by more than this (e.g. 10%)")
	cmd.Flags().StringVar(&errThreshold, "error-rate-threshold", "", "absolute error-rate increase that counts when significant (default 0.01 = 1 percentage point)")
	return cmd
}

// compareRun is the command: report.CompareRuns, its regressions an
// exit-4 RegressionError.
func compareRun(ctx context.Context, opts *CompareOptions) error {
	regs, err := report.CompareRuns(ctx, report.CompareRunOptions{RunA: opts.RunA, RunB: opts.RunB, Formats: opts.Formats,
		OutDir: opts.OutDir, FailOnRegression: opts.FailOnRegression, ErrorRateThreshold: opts.ErrorRateThreshold,
		Out: opts.IO.Out, Err: opts.IO.Err, Open: opts.Open})
	if err != nil {
		return err
	}
	if len(regs) > 0 {
		return &RegressionError{Msg: strings.Join(regs, "; ")}
	}
	return nil
}
