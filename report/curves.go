package report

import (
	"fmt"

	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// bookCurves returns the break-even chart's cost curves from the price
// book: every serverless configuration (with its CI band) and every
// instance fleet (step line), from pricing.NewAnalysis(book, sum, sc).Curves.
func bookCurves(book *pricing.Book, sum *results.Summary, sc *scenarios.Scenario, minMonthly, maxMonthly float64, points int) ([]Curve, error) {
	a, err := pricing.NewAnalysis(book, sum, sc)
	if err != nil {
		return nil, fmt.Errorf("price curves: %w", err)
	}
	return a.Curves(minMonthly, maxMonthly, points), nil
}
