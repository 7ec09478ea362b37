package benchrun

import "fmt"

// InputError marks bad input: the scenario, the options, files the run
// needs. The command line exits 2 with it.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// SLOError reports violated SLOs (Options.FailOnSLO).
type SLOError struct{ Violations []string }

func (e *SLOError) Error() string { return fmt.Sprintf("SLO violated: %v", e.Violations) }

// InterferenceError reports a run during which the host was busy
// (host_busy; Options.FailOnInterference).
type InterferenceError struct{ Msg string }

func (e *InterferenceError) Error() string { return "host interference: " + e.Msg }

// InterruptedError reports a run stopped by the user with its results saved.
type InterruptedError struct{ Dir string }

func (e *InterruptedError) Error() string {
	return "interrupted; results recorded so far are saved in " + e.Dir
}
