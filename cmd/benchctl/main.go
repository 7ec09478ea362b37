// Command benchctl benchmarks BERT-style model serving on serverless
// functions and always-on instances, prices both, and finds the traffic at
// which the answer flips.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/benchctl/benchctl/benchrun"
	"github.com/spf13/cobra"
)

// IOStreams are the streams a command reads and writes; tests swap them.
type IOStreams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

func main() {
	streams := &IOStreams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}
	os.Exit(int(mainWithSignals(os.Args[1:], streams)))
}

// newRootCmd builds the command table. Each subcommand lives in its own
// file with its options struct, usage text and xRun function.
func newRootCmd(streams *IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use:           "benchctl",
		Short:         "Benchmark serverless vs always-on model serving, price both, find the break-even",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	root.AddCommand(
		// COMMANDS: one line per subcommand constructor, e.g. newRunCmd(streams, nil),
		newValidateCmd(streams, nil),
		newRunCmd(streams, nil),
		newSummaryCmd(streams, nil),
		newLambdaCmd(streams, nil),
		newFunctionCmd(streams, nil),
		newServeCmd(streams, nil),
		newPricingCmd(streams, nil),
		newReportCmd(streams, nil),
		newCompareCmd(streams, nil),
		newWorkerCmd(streams, nil),
		newCollectCmd(streams, nil),
	)
	return root
}

// Main runs benchctl with args and returns the exit code.
func Main(ctx context.Context, args []string, streams *IOStreams) ExitCode {
	root := newRootCmd(streams)
	root.SetArgs(args)
	root.SetContext(ctx)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &FlagError{Err: err} })
	root.Long = root.Short + "\n\n" + exitCodesHelp
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var intErr *benchrun.InterruptedError
	if errors.Is(err, context.Canceled) && !errors.As(err, &intErr) {
		fmt.Fprintln(streams.Err, "benchctl: interrupted:", err)
	} else {
		fmt.Fprintln(streams.Err, "benchctl:", err)
	}
	return exitCodeFor(err)
}
