package loadgen

import (
	"fmt"
	"strings"

	"github.com/benchctl/benchctl/scenarios"
)

// TargetEnv is what a run resolved before building its targets: the base
// URLs of the services benchctl started itself.
type TargetEnv struct {
	// ServerURLs maps a scenario server name to its base URL
	// ("http://127.0.0.1:PORT"); an http target with server: NAME gets
	// base URL + its url path.
	ServerURLs map[string]string
	// FunctionEndpoints maps a local-lambda function name to the Invoke
	// API endpoint of the local platform serving it.
	FunctionEndpoints map[string]string
}

// TargetKinds lists the target kinds NewTarget builds.
var TargetKinds = []string{scenarios.KindHTTP, scenarios.KindAWSLambda, scenarios.KindLocalLambda, scenarios.KindLambdaURL}

// NewTarget builds the Target for one scenario target entry.
func NewTarget(spec scenarios.Target, env TargetEnv) (Target, error) {
	switch spec.Kind {
	case "", scenarios.KindHTTP:
		u := ""
		if spec.Server != "" {
			base, ok := env.ServerURLs[spec.Server]
			if !ok {
				return nil, fmt.Errorf("target %s: server %q was not started", spec.Name, spec.Server)
			}
			u = strings.TrimRight(base, "/") + "/" + strings.TrimLeft(spec.URL, "/")
		}
		return NewHTTPTarget(spec, u)
	case scenarios.KindAWSLambda, scenarios.KindLocalLambda, scenarios.KindLambdaURL:
		return newServerlessTarget(spec, env)
	default:
		return nil, fmt.Errorf("target %s: kind %q isn't one of [%s]", spec.Name, spec.Kind, strings.Join(TargetKinds, " "))
	}
}
