package loadgen

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/benchctl/benchctl/scenarios"
)

// CheckScenario checks what only the load generator knows about a parsed
// scenario, before anything is sent: every phase's schedule can be built
// (PlannedHits: at most MaxScheduledHits requests, MaxScheduleSegments
// segments, a readable and well-formed trace that plans at least one
// request), and the capacity search's fastest step fits in a schedule.
// Problems are positioned at their field (scenarios.FieldErrorAt), like
// the parser's. benchctl validate and benchctl run call it. It stops
// between phases once ctx is done.
func CheckScenario(ctx context.Context, s *scenarios.Scenario) []scenarios.FieldError {
	var errs []scenarios.FieldError
	for i, ph := range s.Phases {
		if ctx.Err() != nil {
			return errs
		}
		p := fmt.Sprintf("phases[%d].traffic", i)
		opts := ScheduleOptions{Seed: PhaseSeed(s.Seed, ph.Name), ReadFile: s.ReadFile}
		hits, err := PlannedHits(ph.Traffic, ph.Duration, opts)
		trace := strings.EqualFold(ph.Traffic.Model, ModelTrace)
		switch {
		case err != nil && trace && errors.Is(err, ErrTrace):
			errs = append(errs, s.FieldErrorAt(p+".file", "%s", strings.TrimPrefix(err.Error(), "schedule: ")))
		case err != nil:
			errs = append(errs, s.FieldErrorAt(p, "%s", strings.TrimPrefix(err.Error(), "schedule: ")))
		case trace && hits < 1:
			errs = append(errs, s.FieldErrorAt(p+".file", "trace %s plans no request within the phase's %s (time_scale %g): every minute or timestamp in that window is empty", ph.Traffic.File, ph.Duration, timeScale(ph.Traffic)))
		}
	}
	if c := s.Experiments.Capacity; c != nil && c.StepDuration > 0 {
		// The longest step: an extended one runs CapacityExtensionSteps step
		// durations at the highest rate.
		d := c.StepDuration * scenarios.CapacityExtensionSteps
		tr := scenarios.Traffic{Model: ModelPoisson, Rate: c.MaxRPS}
		if _, err := PlannedHits(tr, d, ScheduleOptions{}); err != nil {
			errs = append(errs, s.FieldErrorAt("experiments.capacity.max_rps", "a step at max_rps %g for %s: %s", c.MaxRPS, d, strings.TrimPrefix(err.Error(), "schedule: ")))
		}
	}
	return errs
}

func timeScale(tr scenarios.Traffic) float64 {
	if tr.TimeScale == 0 {
		return 1
	}
	return tr.TimeScale
}
