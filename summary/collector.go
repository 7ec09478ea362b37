package summary

import (
	"context"

	"github.com/benchctl/benchctl/results"
)

// Collector consumes the records of one run. The pipeline (Pass over a
// saved results.jsonl, Live while a run writes it) calls Add once per
// record, then Apply once, in the order the collectors were given, so a
// collector may read what an earlier one applied (pricing reads the
// experiment sections).
//
// Add must not keep r or anything it points to: the pipeline reuses the
// record. A collector that finds a problem in a record keeps it and
// returns it from Apply. Apply gets the command's context: a long
// computation (the break-even searches) stops with its error once it is
// cancelled.
type Collector interface {
	Add(r *results.Record)
	Apply(ctx context.Context, s *results.Summary) error
}

// Merger is a Collector the pipeline can split across the chunks of a
// file to parse them on every core: Fork returns an empty collector with
// the same configuration, which is fed the records of one chunk; Merge
// folds such a fork into its receiver. The pipeline folds chunk k+1's
// fork into the collector that holds chunks 0..k, so Merge's argument
// always saw the records that follow the receiver's, and a collector whose
// result depends on record order (the first records of a phase, a running
// "last value", every N-th record) stays exact by keeping, in the fork,
// the per-record inputs of that part (bounded by the chunk's size) and
// replaying them in Merge. Collectors that only count, sum or histogram
// merge their state directly.
//
// Forks never see Apply. A collector that is not a Merger makes the
// pipeline read the file in one sequential pass.
type Merger interface {
	Collector
	Fork() Merger
	Merge(later Merger)
}

// CollectorFunc adapts a function to a Collector without state to apply
// (e.g. a counter the caller reads afterwards).
type CollectorFunc func(r *results.Record)

// Add calls f(r).
func (f CollectorFunc) Add(r *results.Record) { f(r) }

// Apply does nothing.
func (f CollectorFunc) Apply(context.Context, *results.Summary) error { return nil }

var _ Collector = CollectorFunc(nil)

// allMergers reports whether every collector can be split across chunks.
func allMergers(cs []Collector) bool {
	for _, c := range cs {
		if _, ok := c.(Merger); !ok {
			return false
		}
	}
	return true
}

// forkAll returns a fork of every collector (all Mergers).
func forkAll(cs []Collector) []Merger {
	out := make([]Merger, len(cs))
	for i, c := range cs {
		out[i] = c.(Merger).Fork()
	}
	return out
}

// mergeAll folds forks (a forkAll of cs fed a later chunk) into cs.
func mergeAll(cs []Collector, forks []Merger) {
	for i, c := range cs {
		c.(Merger).Merge(forks[i])
	}
}
