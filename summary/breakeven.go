package summary

import (
	"context"
	"fmt"
	"strings"

	"github.com/benchctl/benchctl/results"
)

// ErrNoScenario marks a saved run whose scenario.yaml is missing or does
// not validate here, for a question only the scenario answers.
var ErrNoScenario = fmt.Errorf("no usable %s", results.ScenarioFile)

// BookError is a price book by the rule (Book) that could not be loaded,
// when the question needs one.
type BookError struct{ Err error }

func (e *BookError) Error() string { return e.Err.Error() }

// Unwrap returns the loading error.
func (e *BookError) Unwrap() error { return e.Err }

// BreakEven is `pricing breakeven --run DIR`: the run loaded (Load) and
// its records priced again by the book rule, returning summary.json's
// break_even rows and the notes pricing added. A run without a usable
// scenario wraps ErrNoScenario; a price book that cannot be loaded is a
// *BookError, and pricing that fails an error (unlike Load, which keeps the
// measurements and notes the failure).
func BreakEven(ctx context.Context, dir string, o Options) ([]results.BreakEvenRow, []string, error) {
	o.Reprice = true
	run, err := Load(ctx, dir, o)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case run.Scenario == nil:
		return nil, nil, fmt.Errorf("%s: %w: %s", dir, ErrNoScenario, strings.Join(run.Notes, "; "))
	case run.BookErr != nil:
		return nil, nil, &BookError{run.BookErr}
	case run.PricingErr != nil:
		return nil, nil, run.PricingErr
	}
	return run.Summary.BreakEven, run.PricingNotes, nil
}
