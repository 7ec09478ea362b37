package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/locallambda"
	"github.com/benchctl/benchctl/scenarios"
)

// LambdaServeOptions are the inputs of `benchctl lambda serve`.
type LambdaServeOptions struct {
	IO *IOStreams
	// FunctionsFile is the functions.yaml to serve.
	FunctionsFile string
	// Addr is the loopback address to listen on.
	Addr string
	// IdleTimeout is the default idle timeout of instances.
	IdleTimeout time.Duration
	// NoCgroups turns CPU and memory isolation off.
	NoCgroups bool
	// CgroupRoot is where the cgroup file systems are mounted.
	CgroupRoot string
	// NoInitBilling selects the pre-2025-08-01 billing rule (INIT not billed).
	NoInitBilling bool
	// Region is the region in ARNs and AWS_REGION.
	Region string
	// Cleanup removes the cgroups of platforms that died and exits.
	Cleanup bool
}

func newLambdaCmd(streams *IOStreams, runF func(*LambdaServeOptions) error) *cobra.Command {
	parent := &cobra.Command{
		Use:   "lambda",
		Short: "The local AWS Lambda-compatible platform",
		Long: `Usage:
  benchctl lambda serve --functions FILE [--addr 127.0.0.1:9001]

The local Lambda-compatible platform: the Lambda invoke/control API for
SDK clients and the Lambda Runtime API for function processes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &FlagError{Err: errors.New("lambda: give a subcommand (serve)")}
		},
	}
	parent.AddCommand(newLambdaServeCmd(streams, runF))
	return parent
}

func newLambdaServeCmd(streams *IOStreams, runF func(*LambdaServeOptions) error) *cobra.Command {
	opts := &LambdaServeOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "serve --functions FILE [--addr ADDR]",
		Short: "Serve functions.yaml on a local Lambda-compatible endpoint",
		Long: `Usage:
  benchctl lambda serve --functions FILE [--addr 127.0.0.1:9001] [options]
  benchctl lambda serve --cleanup [--cgroup-root DIR]

Serves the functions of FILE like AWS Lambda until Ctrl-C: the Invoke,
GetFunction, GetFunctionConfiguration, UpdateFunctionConfiguration,
ListFunctions and Put/DeleteFunctionConcurrency operations of the Lambda API
(point an AWS SDK or CLI at it with a custom endpoint and any static
credentials; requests must be SigV4-signed), and the Lambda Runtime API for
each function instance (AWS_LAMBDA_RUNTIME_API), so that aws-lambda-go
functions and custom-runtime bootstraps run unchanged.

Each instance is a process started from the function's command, one request
at a time, with a CPU share of memory/1769 vCPU (at most 6 and the host's
cores) and a memory limit of memory_size, enforced with cgroups when they are
writable (root on Linux). Otherwise instances run unthrottled and the
platform says so once on stderr. Every invocation's log (START, the
function's output, END, REPORT) is written to stderr, each line prefixed
with [function].

Arguments:
  none

Options:
  --functions FILE      functions.yaml: a top-level "functions:" list (name,
                        command, memory_size, timeout, environment,
                        reserved_concurrency, architecture, idle_timeout)
  --addr ADDR           loopback address to listen on (default 127.0.0.1:9001)
  --idle-timeout D      default idle timeout of instances (default 10m)
  --no-cgroups          run instances without CPU/memory isolation
  --cgroup-root DIR     where cgroup file systems are mounted (default /sys/fs/cgroup)
  --no-init-billing     bill cold starts as ceil(Duration) (the rule before
                        2025-08-01) instead of ceil(Duration + Init Duration)
  --region REGION       region in ARNs and AWS_REGION (default us-east-1)
  --cleanup             remove the cgroups (benchctl-<pid>-...) that platforms
                        killed with SIGKILL left behind anywhere under
                        --cgroup-root, print them, and exit (every platform
                        also removes those below its own cgroup when it starts)

Output:
  the endpoint (http://127.0.0.1:PORT) and the CPU isolation mode on stdout.`,
		Example: `  benchctl lambda serve --functions functions.yaml
  benchctl lambda serve --cleanup
  # AWS CLI v2 (v1 has no --cli-binary-format: drop it there)
  aws lambda invoke --endpoint-url http://127.0.0.1:9001 --function-name sentiment \
      --cli-binary-format raw-in-base64-out --payload '{"text":"great"}' --log-type Tail out.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Cleanup {
				if runF != nil {
					return runF(opts)
				}
				return lambdaCleanupRun(opts)
			}
			if opts.FunctionsFile == "" {
				return &FlagError{Err: errors.New("lambda serve: --functions FILE is required")}
			}
			if opts.IdleTimeout <= 0 {
				return &FlagError{Err: fmt.Errorf("lambda serve: --idle-timeout must be positive, got %v", opts.IdleTimeout)}
			}
			if runF != nil {
				return runF(opts)
			}
			return lambdaServeRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.FunctionsFile, "functions", "", "functions.yaml to serve")
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:9001", "loopback address to listen on")
	cmd.Flags().DurationVar(&opts.IdleTimeout, "idle-timeout", locallambda.DefaultIdleTimeout, "default idle timeout of instances")
	cmd.Flags().BoolVar(&opts.NoCgroups, "no-cgroups", false, "run instances without CPU/memory isolation")
	cmd.Flags().StringVar(&opts.CgroupRoot, "cgroup-root", locallambda.DefaultCgroupRoot, "where cgroup file systems are mounted")
	cmd.Flags().BoolVar(&opts.NoInitBilling, "no-init-billing", false, "do not bill Init Duration on cold starts")
	cmd.Flags().StringVar(&opts.Region, "region", locallambda.DefaultRegion, "region in ARNs and AWS_REGION")
	cmd.Flags().BoolVar(&opts.Cleanup, "cleanup", false, "remove cgroups left by platforms that died, then exit")
	return cmd
}

// lambdaCleanupRun removes the cgroups of dead platforms and lists them.
func lambdaCleanupRun(opts *LambdaServeOptions) error {
	removed, err := locallambda.CleanStaleCgroups(opts.CgroupRoot)
	if err != nil {
		return &FlagError{Err: fmt.Errorf("lambda serve --cleanup: %w", err)}
	}
	for _, d := range removed {
		fmt.Fprintln(opts.IO.Out, "removed", d)
	}
	fmt.Fprintf(opts.IO.Out, "%d stale cgroup folders removed under %s\n", len(removed), opts.CgroupRoot)
	return nil
}

// lambdaServeRun serves the functions until ctx is cancelled (Ctrl-C),
// then stops every instance and removes the cgroups.
func lambdaServeRun(ctx context.Context, opts *LambdaServeOptions) error {
	fns, err := scenarios.LoadFunctions(opts.FunctionsFile)
	if err != nil {
		return &FlagError{Err: fmt.Errorf("lambda serve: %w", err)}
	}
	popts := []locallambda.Option{
		locallambda.WithLogger(opts.IO.Err),
		locallambda.WithIdleTimeout(opts.IdleTimeout),
		locallambda.WithInitBilling(!opts.NoInitBilling),
		locallambda.WithRegion(opts.Region),
		locallambda.WithCgroupRoot(opts.CgroupRoot),
	}
	if opts.NoCgroups {
		popts = append(popts, locallambda.WithCgroupRoot(""))
	}
	if exe, err := os.Executable(); err == nil {
		popts = append(popts, locallambda.WithSelfExecutable(exe))
	}
	p, err := locallambda.New(fns, popts...)
	if err != nil {
		return &FlagError{Err: fmt.Errorf("lambda serve: %w", err)}
	}
	// Ctrl-C stops the instances and removes their cgroups before exiting
	// (a drain: not cut short after a second; a second Ctrl-C exits at once).
	release := drainOnInterrupt(ctx, func() string { return "stopping the function instances" }, nil)
	defer release()
	endpoint, err := p.Start(ctx, opts.Addr)
	if err != nil {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = p.Close(cctx)
		return &FlagError{Err: fmt.Errorf("lambda serve: %w", err)}
	}
	fmt.Fprintf(opts.IO.Out, "local lambda endpoint: %s\ncpu isolation: %s\nfunctions: %s\n",
		endpoint, p.CPUIsolation(), strings.Join(p.Functions(), ", "))
	<-ctx.Done()
	fmt.Fprintln(opts.IO.Err, "lambda serve: stopping instances")
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Close(cctx); err != nil {
		return fmt.Errorf("lambda serve: %w", err)
	}
	return nil
}
