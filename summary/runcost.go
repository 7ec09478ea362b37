package summary

import (
	"context"

	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
)

// runCost is pricing.RunCost as a Merger: the run's costs, break-even and
// memory sweep prices from the price book, in bounded memory (see
// pricing.RunCost for the CI method and its order-dependent parts).
type runCost struct{ c *pricing.RunCost }

var _ Merger = runCost{}

func (r runCost) Add(rec *results.Record)                             { r.c.Add(rec) }
func (r runCost) Apply(ctx context.Context, s *results.Summary) error { return r.c.Apply(ctx, s) }
func (r runCost) Fork() Merger                                        { return runCost{r.c.Fork()} }
func (r runCost) Merge(later Merger)                                  { r.c.Merge(later.(runCost).c) }
