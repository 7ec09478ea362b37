package loadgen

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
	"github.com/benchctl/benchctl/summary"
)

// teeTo feeds c every record passed on to next, one at a time (the
// runner's encoder is called from every attack's goroutine; in a run the
// results writer serialises them the same way).
func teeTo(c summary.Collector, next results.Encoder) results.Encoder {
	var mu sync.Mutex
	return func(r *results.Record) error {
		mu.Lock()
		c.Add(r)
		mu.Unlock()
		return next(r)
	}
}

// summarizeExperiments fills sum's experiment sections for scenario s from
// the JSON lines in r, as the summary pipeline does for a saved run.
func summarizeExperiments(r io.Reader, s *scenarios.Scenario, sum *results.Summary) error {
	c := summary.NewExperiments(summary.ExperimentsOptionsFor(s))
	dec := results.NewJSONDecoder(r)
	for {
		var rec results.Record
		err := dec(&rec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		c.Add(&rec)
	}
	return c.Apply(context.Background(), sum)
}
