package benchrun

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/benchctl/benchctl/loadgen"
	"github.com/benchctl/benchctl/scenarios"
)

// runCheckControlAPI refuses, before anything is sent, a run whose
// experiments (memory sweep, forced cold starts) change the configuration
// of an aws-lambda target whose endpoint has no control API
// (loadgen.ErrNoControlAPI: an Invoke-only endpoint such as AWS's Lambda
// Runtime Interface Emulator). It asks each such endpoint once
// (GetFunctionConfiguration); other failures are left to the experiment
// itself. local-lambda targets run on benchctl's own platform, which has
// the control API.
func runCheckControlAPI(ctx context.Context, s *scenarios.Scenario) error {
	needs := map[string][]string{} // target -> experiments
	if ms := s.Experiments.MemorySweep; ms != nil {
		for _, t := range ms.AllTargets() {
			needs[t] = append(needs[t], "memory_sweep")
		}
	}
	if cs := s.Experiments.ColdStarts; cs != nil {
		needs[cs.Target] = append(needs[cs.Target], "cold_starts")
	}
	asked := map[string]error{} // endpoint -> answer
	for _, t := range s.Targets {
		exps := needs[t.Name]
		if len(exps) == 0 || t.Kind != scenarios.KindAWSLambda {
			continue
		}
		key := t.Endpoint + "\x00" + t.Region
		err, done := asked[key]
		if !done {
			cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			ctl, cerr := loadgen.NewLambdaControl(cctx, loadgen.LambdaOptionsFromScenario(t, ""), loadgen.WithCallTimeout(10*time.Second))
			if cerr == nil {
				_, cerr = ctl.Configuration(cctx)
			}
			cancel()
			err, asked[key] = cerr, cerr
		}
		if errors.Is(err, loadgen.ErrNoControlAPI) {
			return &InputError{Err: fmt.Errorf("target %s: experiments %v change the function's configuration, but %v; remove them from the scenario or point the target at an endpoint with the Lambda control API", t.Name, exps, err)}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}
