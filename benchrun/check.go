package benchrun

import (
	"context"
	"fmt"

	"github.com/benchctl/benchctl/loadgen"
	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/scenarios"
)

// CheckScenario runs the checks of a parsed scenario that need other
// packages (benchctl validate and Run both call it): every phase's
// schedule and trace (loadgen.CheckScenario) and the servers block
// (servers, the command line's check of serve's arguments, when given).
// Problems come back as one
// *scenarios.ValidationError, each with file:line:col.
func CheckScenario(ctx context.Context, s *scenarios.Scenario, servers func(*scenarios.Scenario) []scenarios.FieldError) error {
	errs := loadgen.CheckScenario(ctx, s)
	if servers != nil {
		errs = append(errs, servers(s)...)
	}
	if ve := scenarios.NewValidationError(errs); ve != nil {
		return ve
	}
	return ctx.Err()
}

// CheckPricing loads the price book s is priced with (the embedded
// book, overridden by prices, else by the scenario's pricing.prices) and
// checks s's pricing inputs against it (pricing.CheckScenario). Problems
// come back as a *scenarios.ValidationError, each with file:line:col, so
// validate and run print them like the parser's; a bad book named by
// pricing.prices is reported at that field, with the book's own file,
// line and field in the message.
func CheckPricing(s *scenarios.Scenario, prices string) (*pricing.Book, error) {
	book, err := pricing.LoadBookFor(s, prices)
	if err != nil {
		if prices == "" && s.Pricing.Prices != "" {
			return nil, &scenarios.ValidationError{Errors: []scenarios.FieldError{s.FieldErrorAt("pricing.prices", "price book %v", err)}}
		}
		return nil, fmt.Errorf("price book: %w", err)
	}
	if errs := pricing.CheckScenario(book, s); len(errs) > 0 {
		return book, &scenarios.ValidationError{Errors: errs}
	}
	return book, nil
}
