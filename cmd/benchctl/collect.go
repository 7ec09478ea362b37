package main

import (
	"errors"

	"github.com/benchctl/benchctl/benchrun"
	"github.com/spf13/cobra"
)

// CollectOptions are the inputs of `benchctl collect` (benchrun's,
// which the flags fill).
type CollectOptions = benchrun.CollectOptions

func newCollectCmd(streams *IOStreams, runF func(*CollectOptions) error) *cobra.Command {
	opts := &CollectOptions{Stdout: streams.Out, Stderr: streams.Err}
	cmd := &cobra.Command{
		Use:   "collect RUN_ID --store s3://BUCKET/PREFIX",
		Short: "Merge (or re-merge) a distributed run from its store into a run directory",
		Long: `Usage:
  benchctl collect RUN_ID --store s3://BUCKET/PREFIX [--store-endpoint URL] [--region R] [--out DIR] [--allow-partial] [--prices FILE]

Reads the plan, go signal, worker manifests, record chunks and histograms of
a distributed run from its store and merges them as benchctl run does: every
seq of every recorded phase and target exactly once, records in intended-time
order into DIR/results.jsonl, histograms merged exactly, workers[] in
DIR/summary.json. Use it to resume after the coordinator was stopped, or to
re-merge. The store must still hold the run (the loopback store of a
local-lambda run ends with it).

Arguments:
  RUN_ID   the run's id (printed by benchctl run; run.json distributed.run_id)

Options:
  --store URL            the store root the run was written under (distributed.store)
  --store-endpoint URL   an S3-compatible endpoint (path-style)
  --region R             the store's region (default us-east-1)
  --out DIR              run directory (default results/RUN_ID); it must not hold a run
  --allow-partial        merge a run with gaps without failing (exit 0)
  --prices FILE          price book for the summary's costs`,
		Example: `  benchctl collect 20261127T143005Z-smoke-a1b2c3 --store s3://my-bucket/benchctl`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &FlagError{Err: errors.New("collect: give exactly one RUN_ID")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.RunID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return benchrun.Collect(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Store, "store", "", "store root (s3://bucket/prefix)")
	cmd.Flags().StringVar(&opts.StoreEndpoint, "store-endpoint", "", "S3-compatible endpoint")
	cmd.Flags().StringVar(&opts.Region, "region", "", "store region")
	cmd.Flags().StringVar(&opts.Dir, "out", "", "run directory")
	cmd.Flags().BoolVar(&opts.AllowPartial, "allow-partial", false, "merge a run with gaps without failing")
	cmd.Flags().StringVar(&opts.Prices, "prices", "", "price-book file")
	return cmd
}
