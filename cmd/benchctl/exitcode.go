package main

import (
	"context"
	"errors"
	"fmt"
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

// SLOError reports violated SLOs; it exits with ExitSLOViolated.
type SLOError struct{ Violations []string }

func (e *SLOError) Error() string { return fmt.Sprintf("SLO violated: %v", e.Violations) }

// RegressionError reports a regression found by compare.
type RegressionError struct{ Msg string }

func (e *RegressionError) Error() string { return "regression: " + e.Msg }

// InterferenceError reports a run during which the host was busy
// (host_busy); it exits with ExitInterference.
type InterferenceError struct{ Msg string }

func (e *InterferenceError) Error() string { return "host interference: " + e.Msg }

// InterruptedError reports a run stopped by the user with its results saved.
type InterruptedError struct{ Dir string }

func (e *InterruptedError) Error() string {
	return "interrupted; results recorded so far are saved in " + e.Dir
}

func exitCodeFor(err error) ExitCode {
	var flagErr *FlagError
	var sloErr *SLOError
	var regErr *RegressionError
	var intErr *InterruptedError
	var ifErr *InterferenceError
	switch {
	case errors.As(err, &intErr), errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &flagErr):
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
