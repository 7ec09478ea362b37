package loadgen

import (
	"context"
	"fmt"

	"github.com/benchctl/benchctl/scenarios"
)

// newServerlessTarget builds the aws-lambda, local-lambda and lambda-url
// kinds for NewTarget. A local-lambda target's endpoint comes from
// env.FunctionEndpoints[spec.Function] (the local platform benchctl run
// started). A lambda-url target is a *LambdaURLTarget around an http target
// for spec.URL; when no CloudWatch Logs client can be built (no region or
// credentials) its join is disabled and Flush says so.
func newServerlessTarget(spec scenarios.Target, env TargetEnv) (Target, error) {
	ctx := context.Background()
	switch spec.Kind {
	case scenarios.KindLocalLambda:
		ep := spec.Endpoint
		if e, ok := env.FunctionEndpoints[spec.Function]; ok {
			ep = e
		}
		if ep == "" {
			return nil, fmt.Errorf("target %s: local-lambda function %q is not served by the local platform", spec.Name, spec.Function)
		}
		return NewLambdaTarget(ctx, LambdaOptionsFromScenario(spec, ep))
	case scenarios.KindAWSLambda:
		return NewLambdaTarget(ctx, LambdaOptionsFromScenario(spec, ""))
	case scenarios.KindLambdaURL:
		inner, err := NewHTTPTarget(spec, spec.URL)
		if err != nil {
			return nil, err
		}
		o := LambdaURLOptions{Function: spec.Function, LogGroup: spec.LogGroup}
		if logs, err := NewLogsClient(ctx, LogsClientOptions{Region: spec.Region}); err == nil {
			o.Logs = logs
		}
		return NewLambdaURLTarget(inner, o)
	}
	return nil, fmt.Errorf("target %s: kind %q is not a serverless kind", spec.Name, spec.Kind)
}
