package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/benchrun"
	"github.com/benchctl/benchctl/scenarios"
)

// ValidateOptions are the inputs of `benchctl validate`.
type ValidateOptions struct {
	IO *IOStreams
	// Scenarios are files or shipped scenario names.
	Scenarios []string
	// Shipped validates every shipped scenario as well.
	Shipped bool
}

func newValidateCmd(streams *IOStreams, runF func(*ValidateOptions) error) *cobra.Command {
	opts := &ValidateOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "validate FILE|NAME...",
		Short: "Check scenario files without sending anything",
		Long: `Usage:
  benchctl validate FILE|NAME... [--shipped]

Decodes each scenario strictly and checks every block (targets, payloads,
phases and traffic models, slo, functions, servers, experiments, pricing,
output). Nothing is started and no request is sent.

Arguments:
  FILE|NAME   a scenario file, or the name of a shipped scenario
              (e.g. quickstart) when no such file exists

Options:
  --shipped   also validate every scenario shipped in the binary

Output:
  "ok: NAME: N targets, M phases (total phase time), ..." per valid
  scenario on stdout (experiments add their own time); for an
  invalid one every problem on stderr as FILE:LINE:COL: FIELD: MESSAGE.
  Exit status 2 when any scenario is invalid.`,
		Example: `  benchctl validate scenarios/http-smoke.yaml
  benchctl validate quickstart
  benchctl validate --shipped`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Scenarios = args
			if len(args) == 0 && !opts.Shipped {
				return &FlagError{Err: fmt.Errorf("validate: give a scenario FILE or NAME (shipped: %s)", strings.Join(scenarios.Shipped(), ", "))}
			}
			if runF != nil {
				return runF(opts)
			}
			return validateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Shipped, "shipped", false, "also validate every shipped scenario")
	return cmd
}

// validateRun validates each scenario, printing a one-line summary for a
// valid one and every problem of an invalid one.
func validateRun(ctx context.Context, opts *ValidateOptions) error {
	args := append([]string(nil), opts.Scenarios...)
	if opts.Shipped {
		args = append(args, scenarios.Shipped()...)
	}
	bad := 0
	var last error
	for _, arg := range args {
		if err := ctx.Err(); err != nil {
			return err
		}
		s, err := scenarios.Open(arg, scenarios.WithContext(ctx))
		if err == nil {
			// What the scenario package cannot know alone: schedules,
			// traces and servers, and the pricing block against the price
			// book it would use.
			_, perr := benchrun.CheckPricing(s, "")
			err = joinValidation(benchrun.CheckScenario(ctx, s, checkServers), perr)
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr // Ctrl-C: exit 130, not "invalid"
		}
		if err != nil {
			bad++
			var ve *scenarios.ValidationError
			if errors.As(err, &ve) {
				for _, fe := range ve.Errors {
					fmt.Fprintln(opts.IO.Err, fe.Error())
				}
				last = fmt.Errorf("%s: %s", arg, validateCount(len(ve.Errors), "problem"))
			} else {
				fmt.Fprintln(opts.IO.Err, err)
				last = err
			}
			continue
		}
		fmt.Fprintln(opts.IO.Out, validateSummaryLine(s))
	}
	switch {
	case bad == 0:
		return nil
	case len(args) == 1:
		return &FlagError{Err: last}
	default:
		return &FlagError{Err: fmt.Errorf("%d of %d scenarios are invalid", bad, len(args))}
	}
}

// joinValidation merges the problems of two checks of one file into one
// *scenarios.ValidationError; any other error wins as it is.
func joinValidation(a, b error) error {
	var va, vb *scenarios.ValidationError
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case errors.As(a, &va) && errors.As(b, &vb):
		return scenarios.NewValidationError(append(append([]scenarios.FieldError(nil), va.Errors...), vb.Errors...))
	case errors.As(a, &va):
		return b
	}
	return a
}

// validateSummaryLine is the one-line description of a valid scenario.
func validateSummaryLine(s *scenarios.Scenario) string {
	var total time.Duration
	for _, ph := range s.Phases {
		total += ph.Duration
	}
	parts := []string{
		validateCount(len(s.Targets), "target"),
		validateCount(len(s.Phases), "phase") + " (" + total.String() + ")",
	}
	if n := len(s.Servers); n > 0 {
		parts = append(parts, validateCount(n, "server"))
	}
	if n := len(s.Functions); n > 0 {
		parts = append(parts, validateCount(n, "function"))
	}
	var exps []string
	if s.Experiments.MemorySweep != nil {
		exps = append(exps, "memory_sweep")
	}
	if s.Experiments.ColdStarts != nil {
		exps = append(exps, "cold_starts")
	}
	if s.Experiments.Capacity != nil {
		exps = append(exps, "capacity")
	}
	if len(exps) > 0 {
		parts = append(parts, "experiments: "+strings.Join(exps, ", "))
	}
	src := s.Path
	if s.Embedded() {
		src = "shipped " + s.Path
	}
	return fmt.Sprintf("ok: %s: %s (%s)", s.Name, strings.Join(parts, ", "), src)
}

func validateCount(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
