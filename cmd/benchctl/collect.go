package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/distributed"
	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// CollectOptions are the inputs of `benchctl collect`.
type CollectOptions struct {
	IO *IOStreams
	// RunID names the run in the store; Store is the store's root
	// (s3://bucket/prefix), StoreEndpoint and Region locate it.
	RunID, Store, StoreEndpoint, Region string
	// Out is the run directory to write (default results/<run id>).
	Out string
	// AllowPartial merges a run with gaps without failing.
	AllowPartial bool
	// Prices is a price-book file.
	Prices string
}

func newCollectCmd(streams *IOStreams, runF func(*CollectOptions) error) *cobra.Command {
	opts := &CollectOptions{IO: streams}
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
			return collectRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Store, "store", "", "store root (s3://bucket/prefix)")
	cmd.Flags().StringVar(&opts.StoreEndpoint, "store-endpoint", "", "S3-compatible endpoint")
	cmd.Flags().StringVar(&opts.Region, "region", "", "store region")
	cmd.Flags().StringVar(&opts.Out, "out", "", "run directory")
	cmd.Flags().BoolVar(&opts.AllowPartial, "allow-partial", false, "merge a run with gaps without failing")
	cmd.Flags().StringVar(&opts.Prices, "prices", "", "price-book file")
	return cmd
}

func collectRun(ctx context.Context, opts *CollectOptions) error {
	if opts.Store == "" {
		return &FlagError{Err: errors.New("collect: --store is required")}
	}
	if strings.ContainsAny(opts.RunID, "/\\") || opts.RunID == "" {
		return &FlagError{Err: fmt.Errorf("collect: %q is not a run id", opts.RunID)}
	}
	root, err := distributed.OpenStore(ctx, distributed.StoreRef{URL: opts.Store, Endpoint: opts.StoreEndpoint, Region: opts.Region})
	if err != nil {
		return &FlagError{Err: err}
	}
	st := root.Sub(opts.RunID)
	plan, g, err := distributed.ReadPlan(ctx, st)
	if err != nil {
		return fmt.Errorf("collect %s: %w", opts.RunID, err)
	}
	dir := opts.Out
	if dir == "" {
		dir = filepath.Join(results.DefaultRoot, opts.RunID)
	}
	if _, err := os.Stat(filepath.Join(dir, results.ResultsFile)); err == nil {
		return &FlagError{Err: fmt.Errorf("collect: %s: %w", dir, results.ErrRunExists)}
	}
	s, err := scenarios.Parse(filepath.Join(dir, results.ScenarioFile), plan.Scenario, scenarios.WithoutFileChecks())
	if err != nil {
		return fmt.Errorf("collect: the plan's scenario: %w", err)
	}
	s.Seed = plan.Seed
	book, err := pricing.LoadBookFor(s, opts.Prices)
	if err != nil {
		fmt.Fprintln(opts.IO.Err, "benchctl: warning: price book:", err)
		book = nil
	}
	info := runHostInfo()
	info.Seed, info.Start, info.End = plan.Seed, g.T0, g.T0.Add(plan.Length())
	info.Distributed = &results.DistributedInfo{Engine: plan.Engine, Workers: plan.Workers, T0: g.T0, Store: st.URL(),
		RunID: plan.RunID, Windows: plan.Windows, LeadTimeS: plan.LeadTime.Seconds(), LateBoundMs: float64(plan.LateBound) / 1e6}
	merged, mergeErr := distributed.Merge(ctx, distributed.MergeOptions{Store: st, Plan: plan, Go: g, Dir: dir, Info: info,
		AllowPartial: opts.AllowPartial})
	if merged == nil {
		return mergeErr
	}
	d := &scenarios.Distributed{Engine: plan.Engine, MemoryMB: defaultWorkerMemoryMB}
	state := &runState{opts: &RunOptions{IO: opts.IO}, scenario: s, book: book, info: merged.Info, dir: dir,
		env: &runEnv{}}
	if err := state.finishDistributed(merged, &distributed.Outcome{Go: g}, plan, d, mergeErr); err != nil && state.summary == nil {
		return err
	}
	state.printTable()
	printWorkerTable(opts.IO.Out, state.summary.Workers)
	fmt.Fprintf(opts.IO.Out, "results: %s\n", dir)
	return mergeErr
}
