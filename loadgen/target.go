// Package loadgen generates open-loop traffic on vegeta: traffic models
// (pacers), targets, the attack loop and the experiments (memory sweep, cold
// starts, capacity search). It writes results only through results.Encoder.
package loadgen

import (
	"net/http"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/benchctl/benchctl/results"
)

// Target is one system under test as the attack loop sees it. Each scenario
// target kind (http, aws-lambda, local-lambda, lambda-url) implements it.
type Target interface {
	// Name is the scenario target name.
	Name() string
	// Kind is the scenario target kind.
	Kind() string
	// Client is the HTTP client vegeta sends with (its transport may sign
	// requests, e.g. SigV4).
	Client() *http.Client
	// Request fills t for one request with the given payload body. It is
	// called concurrently.
	Request(body []byte, t *vegeta.Target) error
	// Annotate copies target-specific facts from the response (billed
	// duration, function errors, throttles) into rec, and may reclassify
	// rec's error. It is called from the single results goroutine.
	Annotate(res *vegeta.Result, rec *results.Record)
}
