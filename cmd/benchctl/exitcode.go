package main

import (
	"context"
	"errors"

	"github.com/benchctl/benchctl/benchrun"
)

// ExitCode is benchctl's process exit status. The codes are decided here
// and only here, and listed in `benchctl --help`.
type ExitCode int

// Exit codes.
const (
	ExitOK           ExitCode = 0   // success
	ExitRunFailed    ExitCode = 1   // the run (or command) failed
	ExitBadInput     ExitCode = 2   // bad input or usage: scenario, flags, files
	ExitSLOViolated  ExitCode = 3   // --fail-on-slo and an SLO was violated
	ExitRegression   ExitCode = 4   // compare --fail-on-regression found a regression
	ExitInterference ExitCode = 5   // --fail-on-interference and the host was busy
	ExitInterrupted  ExitCode = 130 // interrupted; results recorded so far are saved
)

// exitCodesHelp is appended to the root command's help.
const exitCodesHelp = `Exit codes:
  0    success
  1    the run or command failed
  2    bad input or usage (scenario file, flags, missing files)
  3    an SLO was violated (with --fail-on-slo)
  4    a regression was found (compare --fail-on-regression)
  5    the host was busy during a recorded phase (with --fail-on-interference)
  130  interrupted (Ctrl-C); everything recorded so far is saved
`

// FlagError marks bad input or usage; it exits with ExitBadInput.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// RegressionError reports a regression found by compare.
type RegressionError struct{ Msg string }

func (e *RegressionError) Error() string { return "regression: " + e.Msg }

func exitCodeFor(err error) ExitCode {
	var flagErr *FlagError
	var inputErr *benchrun.InputError
	var sloErr *benchrun.SLOError
	var regErr *RegressionError
	var intErr *benchrun.InterruptedError
	var ifErr *benchrun.InterferenceError
	switch {
	case errors.As(err, &intErr), errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &flagErr), errors.As(err, &inputErr):
		return ExitBadInput
	case errors.As(err, &sloErr):
		return ExitSLOViolated
	case errors.As(err, &regErr):
		return ExitRegression
	case errors.As(err, &ifErr):
		return ExitInterference
	default:
		return ExitRunFailed
	}
}
