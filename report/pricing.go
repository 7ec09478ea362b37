package report

import (
	"context"
	"fmt"

	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// PricingCurves returns a CurveFunc backed by the price book: the
// break-even chart then draws every serverless configuration (with its CI
// band) and every instance fleet (step line) from
// pricing.NewAnalysis(book, sum, sc).Curves.
func PricingCurves(book *pricing.Book) CurveFunc {
	return func(sum *results.Summary, sc *scenarios.Scenario, minMonthly, maxMonthly float64, points int) ([]Curve, error) {
		a, err := pricing.NewAnalysis(book, sum, sc)
		if err != nil {
			return nil, fmt.Errorf("price curves: %w", err)
		}
		var out []Curve
		for _, c := range a.Curves(minMonthly, maxMonthly, points) {
			rc := Curve{Name: c.Name, Kind: c.Kind, Points: make([]CurvePoint, len(c.Points))}
			for i, p := range c.Points {
				rc.Points[i] = CurvePoint{MonthlyRequests: p.MonthlyRequests, USD: p.USD, LowUSD: p.LowUSD, HighUSD: p.HighUSD}
			}
			out = append(out, rc)
		}
		return out, nil
	}
}

// PricingAnalysis returns an AnalyzeFunc that re-prices a saved run with
// pricing.AnalyzeRun over its records (no network), e.g. after a price-book
// update.
func PricingAnalysis(book *pricing.Book) AnalyzeFunc {
	return func(ctx context.Context, runDir string, sum *results.Summary, sc *scenarios.Scenario) error {
		run, err := results.OpenRun(runDir)
		if err != nil {
			return err
		}
		defer run.Close()
		n := 0
		read := pricing.RecordReaderFunc(func(r *results.Record) error {
			if n++; n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			return run.Records(r)
		})
		if err := pricing.AnalyzeRunContext(ctx, book, read, sum, sc, pricing.AnalyzeOptions{}); err != nil {
			return fmt.Errorf("re-price: %w", err)
		}
		return nil
	}
}
