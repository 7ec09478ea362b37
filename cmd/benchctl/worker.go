package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/benchrun"
	"github.com/benchctl/benchctl/distributed"
)

// workerUploadMargin is kept before a Lambda invocation's deadline for
// the worker to upload what it sent.
const workerUploadMargin = 10 * time.Second

// WorkerOptions are the inputs of `benchctl worker`.
type WorkerOptions struct {
	IO *IOStreams
	// Store, StoreEndpoint and Region locate the run's folder (the plan).
	Store, StoreEndpoint, Region string
	// Index is the worker index (IndexSet when given by flag); Window the
	// window.
	Index    int
	IndexSet bool
	Window   int
	// Getenv reads the environment (os.Getenv when nil).
	Getenv func(string) string
	// startLambda serves Lambda events (lambda.StartWithOptions when nil).
	startLambda func(ctx context.Context, handler any)
}

func newWorkerCmd(streams *IOStreams, runF func(*WorkerOptions) error) *cobra.Command {
	opts := &WorkerOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run one worker of a distributed run (launched by benchctl run's engines)",
		Long: `Usage:
  benchctl worker --store s3://BUCKET/PREFIX/RUN_ID [--index N] [--window W] [--store-endpoint URL] [--region R]
  benchctl worker            (under a Lambda runtime: the event carries store, index and window)

The one worker binary of every engine. It reads plan.json from the run's
folder in the store, recomputes every phase's schedule and checks the hash
of its share (a mismatch aborts it), warms up, writes ready/<index> with a
conditional put (a second instance of the same index finds it and sends
nothing), waits for the coordinator's go object, sleeps to T0 by the wall
clock, sends exactly its share paced by the monotonic clock, and uploads its
records, histograms.hlog and manifest.json. See docs/distributed.md.

The index comes from --index, else JOB_COMPLETION_INDEX (Kubernetes Indexed
Job), else AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch array job), else the Lambda
event. The store comes from --store, --store-endpoint and --region, else
BENCHCTL_STORE, BENCHCTL_STORE_ENDPOINT and BENCHCTL_STORE_REGION (the
Kubernetes engine's ConfigMap). Without a store and with
AWS_LAMBDA_RUNTIME_API set it serves Lambda events. A SIGTERM stops the
worker's sending; it uploads what it sent, then exits.

Options:
  --store URL            the run's folder: s3://bucket/prefix/run-id
  --store-endpoint URL   an S3-compatible endpoint (path-style), e.g. the loopback store
  --region R             the store's region (default us-east-1)
  --index N              worker index (0-based)
  --window W             window of the timeline to run (default 0)`,
		Example: `  benchctl worker --store s3://my-bucket/benchctl/20261127T143005Z-smoke --index 3`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IndexSet = cmd.Flags().Changed("index")
			if runF != nil {
				return runF(opts)
			}
			return workerRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Store, "store", "", "the run's folder in the store (s3://bucket/prefix/run-id)")
	cmd.Flags().StringVar(&opts.StoreEndpoint, "store-endpoint", "", "S3-compatible endpoint (path-style)")
	cmd.Flags().StringVar(&opts.Region, "region", "", "the store's region")
	cmd.Flags().IntVar(&opts.Index, "index", 0, "worker index")
	cmd.Flags().IntVar(&opts.Window, "window", 0, "window to run")
	return cmd
}

// workerIndex resolves the worker index: the flag, else the Kubernetes or
// AWS Batch array index.
func workerIndex(opts *WorkerOptions) (int, bool, error) {
	if opts.IndexSet {
		return opts.Index, true, nil
	}
	for _, name := range []string{"JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"} {
		if v := opts.Getenv(name); v != "" {
			k, err := strconv.Atoi(v)
			if err != nil || k < 0 {
				return 0, false, &FlagError{Err: fmt.Errorf("worker: %s=%q is not a worker index", name, v)}
			}
			return k, true, nil
		}
	}
	return 0, false, nil
}

func workerRun(ctx context.Context, opts *WorkerOptions) error {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	// The Kubernetes engine's ConfigMap gives the store as environment.
	for _, f := range []struct {
		v   *string
		env string
	}{{&opts.Store, distributed.EnvStore}, {&opts.StoreEndpoint, distributed.EnvStoreEndpoint}, {&opts.Region, distributed.EnvStoreRegion}} {
		if *f.v == "" {
			*f.v = opts.Getenv(f.env)
		}
	}
	if opts.Store == "" {
		if opts.Getenv("AWS_LAMBDA_RUNTIME_API") == "" {
			return &FlagError{Err: errors.New("worker: give --store (or run under a Lambda runtime, whose event names the store)")}
		}
		start := opts.startLambda
		if start == nil {
			start = func(ctx context.Context, h any) { lambda.StartWithOptions(h, lambda.WithContext(ctx)) }
		}
		start(ctx, func(ctx context.Context, ev distributed.Event) (json.RawMessage, error) {
			return workerLambdaHandle(ctx, opts, ev)
		})
		return nil
	}
	k, ok, err := workerIndex(opts)
	if err != nil {
		return err
	}
	if !ok {
		return &FlagError{Err: errors.New("worker: no index: give --index, or set JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX")}
	}
	if _, _, err := distributed.ParseStoreURL(opts.Store); err != nil {
		return &FlagError{Err: fmt.Errorf("worker: --store: %w", err)}
	}
	// A SIGTERM (a pod evicted or deleted) cancels ctx: the worker stops
	// sending and uploads what it sent before it exits.
	release := drainOnInterrupt(ctx, func() string { return "worker: stopping: uploading what was sent" }, nil)
	defer release()
	m, err := distributed.RunWorker(ctx, distributed.WorkerOptions{
		Store: distributed.StoreRef{URL: opts.Store, Endpoint: opts.StoreEndpoint, Region: opts.Region},
		Index: k, Window: opts.Window, Log: opts.IO.Err, Version: benchrun.HostInfo().BenchctlVersion})
	if m != nil {
		fmt.Fprintf(opts.IO.Out, "worker %d window %d: %s, %d requests\n", m.Index, m.Window, m.Status, m.Requests)
	}
	if err != nil {
		return fmt.Errorf("worker %d: %w", k, err)
	}
	return nil
}

// workerLambdaHandle runs one Lambda event: the worker stops sending
// workerUploadMargin before the invocation's deadline so that what it
// sent is uploaded. A failed worker is a function error (never retried:
// the engine invokes with retries off).
func workerLambdaHandle(ctx context.Context, opts *WorkerOptions, ev distributed.Event) (json.RawMessage, error) {
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-min(workerUploadMargin, time.Until(dl)/4)))
		defer cancel()
	}
	m, err := distributed.RunWorker(ctx, distributed.WorkerOptions{Store: ev.Store, Index: ev.Index, Window: ev.Window,
		Log: opts.IO.Err, Version: benchrun.HostInfo().BenchctlVersion})
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(map[string]any{"index": m.Index, "window": m.Window, "status": m.Status, "requests": m.Requests})
	return b, nil
}
