package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/benchctl/benchctl/benchrun"
	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/scenarios"
)

// RunOptions are the inputs of `benchctl run` (benchrun's options, which
// the flags fill).
type RunOptions = benchrun.Options

func newRunCmd(streams *IOStreams, runF func(*RunOptions) error) *cobra.Command {
	opts := &RunOptions{Stdout: streams.Out, Stderr: streams.Err}
	cmd := &cobra.Command{
		Use:   "run FILE|NAME",
		Short: "Run a scenario: send the load, record every request, summarise",
		Long: `Usage:
  benchctl run FILE|NAME [--out DIR] [--seed N] [--dry-run] [--quiet] [--fail-on-slo]

Runs every phase of the scenario against its targets on an open-loop
schedule (requests are sent on time whatever the target does; beyond a
phase's max_in_flight they are recorded as dropped), streams one record per
request to DIR/results.jsonl and writes DIR/summary.json.

Arguments:
  FILE|NAME   a scenario file, or the name of a shipped scenario (quickstart)

Options:
  --out DIR       run directory (default <output.dir>/<UTC timestamp>-<name>)
  --seed N        override the scenario seed (Poisson arrivals, random payloads)
  --dry-run       print each phase's schedule (requests, mean and peak rate); send nothing
  --quiet         no progress display (it is only drawn when stderr is a terminal)
  --fail-on-slo   exit 3 when an SLO is violated
  --fail-on-interference
                  exit 5 when the host was busy (host_busy: other processes,
                  steal or memory pressure) during a recorded phase
  --trials N      run each recorded phase, memory-sweep step and capacity
                  search N times, interleaved (default: the scenario's
                  trials, else 1); intervals then include run-to-run spread
  --prices FILE   price book overriding/extending the embedded one
  --max-spend USD refuse to start when the estimated spend on real cloud
                  endpoints exceeds USD (default 5, or pricing.max_spend_usd)
  --engine E      run the phases from many load generators: local-lambda
                  (this machine's local Lambda platform), lambda (AWS),
                  kubernetes (an Indexed Job)
  --workers N     number of generators of a distributed run (default 1, or
                  distributed.workers)
  --allow-partial merge a distributed run with gaps (failed workers) without
                  failing it
  --emit-manifest FILE
                  engine kubernetes: write the worker Job and its ConfigMap
                  as YAML to FILE (- for stdout) and wait for you to apply
                  it, instead of submitting it
  --normal-priority
                  run the local services at the default CPU priority (by
                  default reference servers run at nice 10 and function
                  instances at cpu.shares 128, below the load generator, so
                  its schedule holds when they saturate the cores)

Output:
  DIR/scenario.yaml (the exact input), DIR/run.json, DIR/results.jsonl,
  DIR/summary.json; a table per target and phase on stdout. The first Ctrl-C
  stops sending, waits up to 10 s for requests in flight (those still in
  flight then are recorded as error_class interrupted), saves results.jsonl,
  run.json and summary.json, and exits 130 (benchctl report DIR renders the
  report afterwards); a second Ctrl-C records what is in flight and exits at
  once (results.jsonl stays readable).`,
		Example: `  benchctl run scenarios/http-smoke.yaml
  benchctl run quickstart --dry-run
  benchctl run my.yaml --out runs/today --seed 7 --fail-on-slo`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &FlagError{Err: fmt.Errorf("run: give exactly one scenario FILE or NAME (shipped: %s)", strings.Join(scenarios.Shipped(), ", "))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Scenario = args[0]
			opts.SeedSet = cmd.Flags().Changed("seed")
			opts.MaxSpendSet = cmd.Flags().Changed("max-spend")
			opts.TrialsSet = cmd.Flags().Changed("trials")
			opts.Args = commandLine(cmd, args)
			if runF != nil {
				return runF(opts)
			}
			return runRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Dir, "out", "", "run directory")
	cmd.Flags().Uint64Var(&opts.Seed, "seed", 0, "override the scenario seed")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print the schedule summary and send nothing")
	cmd.Flags().BoolVar(&opts.Quiet, "quiet", false, "no progress display")
	cmd.Flags().BoolVar(&opts.NormalPriority, "normal-priority", false, "run the local services at the default CPU priority (not below the load generator)")
	cmd.Flags().StringVar(&opts.Engine, "engine", "", "run distributed on this engine (local-lambda, lambda, kubernetes)")
	cmd.Flags().IntVar(&opts.Workers, "workers", 0, "number of load generators of a distributed run")
	cmd.Flags().BoolVar(&opts.AllowPartial, "allow-partial", false, "merge a distributed run with gaps without failing it")
	cmd.Flags().StringVar(&opts.EmitManifest, "emit-manifest", "", "engine kubernetes: write the worker Job as YAML to FILE (- for stdout) for kubectl/GitOps instead of submitting it")
	cmd.Flags().BoolVar(&opts.FailOnSLO, "fail-on-slo", false, "exit 3 when an SLO is violated")
	cmd.Flags().BoolVar(&opts.FailOnInterference, "fail-on-interference", false, "exit 5 when the host was busy during a recorded phase")
	cmd.Flags().IntVar(&opts.Trials, "trials", 0, "run each recorded phase, sweep step and capacity search N times, interleaved")
	cmd.Flags().StringVar(&opts.Prices, "prices", "", "price-book file overriding/extending the embedded one")
	cmd.Flags().Float64Var(&opts.MaxSpend, "max-spend", pricing.DefaultMaxSpendUSD, "refuse to start when the estimated spend on real cloud endpoints exceeds this many USD")
	return cmd
}

// commandLine is the command as given, for run.json and the report's
// "reproduce" section: the path of subcommands, the flags that were set
// (in the order cobra lists them) and the arguments.
func commandLine(cmd *cobra.Command, args []string) []string {
	line := strings.Fields(cmd.CommandPath())
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if f.Value.Type() == "bool" && f.Value.String() == "true" {
			line = append(line, "--"+f.Name)
			return
		}
		line = append(line, "--"+f.Name+"="+f.Value.String())
	})
	return append(line, args...)
}

// runRun runs `benchctl run` with the command line's own rules: its
// reading of the services' model flags, its check of the servers block and its interrupt rule (the first Ctrl-C
// drains the run once services are up).
func runRun(ctx context.Context, opts *RunOptions) error {
	if opts.CheckServers == nil {
		opts.CheckServers = checkServers
	}
	if opts.DescribeService == nil {
		opts.DescribeService = describeService
	}
	if opts.DrainOnInterrupt == nil {
		opts.DrainOnInterrupt = drainOnInterrupt
	}
	return benchrun.Run(ctx, opts)
}
