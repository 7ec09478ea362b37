package report

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/benchctl/benchctl/summary"
)

// CompareRunOptions are the inputs of one `benchctl compare`.
type CompareRunOptions struct {
	// RunA is the baseline run directory, RunB the run judged against it.
	RunA, RunB string
	// Formats are the output formats (ParseCompareFormats).
	Formats []string
	// OutDir is where files go. Empty: a single text, md or json format
	// goes to Out; anything else is written into the current directory.
	OutDir string
	// FailOnRegression is the relative threshold (0.10 = 10 %); negative
	// means off (the comparison is then judged at its default threshold,
	// for display).
	FailOnRegression float64
	// ErrorRateThreshold is the absolute error-rate increase a
	// significant change must exceed to count (DefaultErrorRateThreshold
	// unless set).
	ErrorRateThreshold float64
	// Out receives the comparison or the paths written, Err the verdict
	// line when files are written.
	Out, Err io.Writer
	// Open opens results.jsonl (summary.OpenFile when nil).
	Open summary.Opener
}

// ToStdout reports whether the comparison is printed rather than written
// to files: one text, md or json format and no OutDir.
func (o CompareRunOptions) ToStdout() bool {
	return o.OutDir == "" && len(o.Formats) == 1 && slices.Contains([]string{"text", "md", "json"}, o.Formats[0])
}

// CompareRuns is `benchctl compare`: it compares the runs (Compare),
// judges them at FailOnRegression when given and with ErrorRateThreshold,
// prints the comparison on Out or writes its files (listing them on Out
// and the verdict on Err), and returns the regressions beyond
// FailOnRegression (none when it is off).
func CompareRuns(ctx context.Context, o CompareRunOptions) (regressions []string, err error) {
	c, err := Compare(ctx, o.RunA, o.RunB, WithOpener(o.Open))
	if err != nil {
		return nil, err
	}
	c.ErrorRateThreshold = o.ErrorRateThreshold
	threshold := c.Threshold
	if o.FailOnRegression >= 0 {
		threshold, c.FailOnRegression = o.FailOnRegression, true
	}
	c.Judge(threshold)
	if o.ToStdout() {
		if err := WriteComparison(o.Out, c, o.Formats[0]); err != nil {
			return nil, err
		}
	} else {
		out := o.OutDir
		if out == "" {
			out = "."
		}
		files, err := WriteComparisonFiles(ctx, c, out, o.Formats)
		for _, f := range files {
			fmt.Fprintln(o.Out, f)
		}
		if err != nil {
			return nil, fmt.Errorf("compare: %w", err)
		}
		fmt.Fprintf(o.Err, "verdict: %s\n", c.verdictLine())
	}
	if o.FailOnRegression < 0 {
		return nil, nil
	}
	return c.Regressions(o.FailOnRegression), nil
}

// verdictLine is the comparison's verdict in one line, for stderr.
func (c *Comparison) verdictLine() string {
	var parts []string
	for _, d := range c.Targets {
		parts = append(parts, d.Target+" "+strings.ReplaceAll(d.Verdict, "_", " "))
	}
	return fmt.Sprintf("%s (%s; threshold %.4g%%, error-rate threshold %.4g pp)", strings.ReplaceAll(c.Overall(), "_", " "),
		strings.Join(parts, ", "), 100*c.Threshold, 100*c.ErrorRateThreshold)
}
