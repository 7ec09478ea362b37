package benchrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/benchctl/benchctl/distributed"
	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// CollectOptions are the inputs of Collect (`benchctl collect`).
type CollectOptions struct {
	// Stdout receives the table and workers; Stderr warnings.
	Stdout, Stderr io.Writer
	// RunID names the run in the store; Store is the store's root
	// (s3://bucket/prefix), StoreEndpoint and Region locate it.
	RunID, Store, StoreEndpoint, Region string
	// Dir is the run directory to write (default results/<run id>).
	Dir string
	// AllowPartial merges a run with gaps without failing.
	AllowPartial bool
	// Prices is a price-book file.
	Prices string
}

// Collect merges (or re-merges) a distributed run from its store into a
// run directory, as Run does at the end of a distributed run, and prints
// its table and workers.
func Collect(ctx context.Context, opts *CollectOptions) error {
	if opts.Store == "" {
		return &InputError{Err: errors.New("collect: --store is required")}
	}
	if strings.ContainsAny(opts.RunID, "/\\") || opts.RunID == "" {
		return &InputError{Err: fmt.Errorf("collect: %q is not a run id", opts.RunID)}
	}
	root, err := distributed.OpenStore(ctx, distributed.StoreRef{URL: opts.Store, Endpoint: opts.StoreEndpoint, Region: opts.Region})
	if err != nil {
		return &InputError{Err: err}
	}
	st := root.Sub(opts.RunID)
	plan, g, err := distributed.ReadPlan(ctx, st)
	if err != nil {
		return fmt.Errorf("collect %s: %w", opts.RunID, err)
	}
	dir := opts.Dir
	if dir == "" {
		dir = filepath.Join(results.DefaultRoot, opts.RunID)
	}
	if _, err := os.Stat(filepath.Join(dir, results.ResultsFile)); err == nil {
		return &InputError{Err: fmt.Errorf("collect: %s: %w", dir, results.ErrRunExists)}
	}
	s, err := scenarios.Parse(filepath.Join(dir, results.ScenarioFile), plan.Scenario, scenarios.WithoutFileChecks())
	if err != nil {
		return fmt.Errorf("collect: the plan's scenario: %w", err)
	}
	s.Seed = plan.Seed
	book, err := pricing.LoadBookFor(s, opts.Prices)
	if err != nil {
		fmt.Fprintln(opts.Stderr, "benchctl: warning: price book:", err)
		book = nil
	}
	info := HostInfo()
	info.Seed, info.Start, info.End = plan.Seed, g.T0, g.T0.Add(plan.Length())
	info.Distributed = &results.DistributedInfo{Engine: plan.Engine, Workers: plan.Workers, T0: g.T0, Store: st.URL(),
		RunID: plan.RunID, Windows: plan.Windows, LeadTimeS: plan.LeadTime.Seconds(), LateBoundMs: float64(plan.LateBound) / 1e6}
	merged, mergeErr := distributed.Merge(ctx, distributed.MergeOptions{Store: st, Plan: plan, Go: g, Dir: dir, Info: info,
		AllowPartial: opts.AllowPartial})
	if merged == nil {
		return mergeErr
	}
	d := &scenarios.Distributed{Engine: plan.Engine, MemoryMB: defaultWorkerMemoryMB}
	state := &runState{opts: &Options{Stdout: opts.Stdout, Stderr: opts.Stderr}, scenario: s, book: book, info: merged.Info, dir: dir,
		env: &runEnv{}}
	if err := state.finishDistributed(merged, &distributed.Outcome{Go: g}, plan, d, mergeErr); err != nil && state.summary == nil {
		return err
	}
	state.printTable()
	printWorkerTable(opts.Stdout, state.summary.Workers)
	fmt.Fprintf(opts.Stdout, "results: %s\n", dir)
	return mergeErr
}
