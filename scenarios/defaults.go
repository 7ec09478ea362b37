package scenarios

import "time"

// Version is the scenario file format version this package reads.
const Version = 1

// Defaults applied after validation to fields left out (or left 0) in a
// scenario or functions file. docs/scenario-reference.md lists them too.
const (
	// DefaultSeed seeds every random choice (Poisson arrivals, random
	// payload order) when the scenario gives no seed.
	DefaultSeed uint64 = 1

	// DefaultMethodWithBody is a target's HTTP method when requests carry a
	// body (a payload or a body template); DefaultMethodNoBody otherwise.
	DefaultMethodWithBody = "POST"
	// DefaultMethodNoBody is a target's HTTP method when requests carry no body.
	DefaultMethodNoBody = "GET"
	// DefaultTimeout is a target's per-request timeout.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxBodyBytes caps how much of each response is read (1 MiB);
	// the rest is counted as body-too-large, never buffered.
	DefaultMaxBodyBytes int64 = 1 << 20
	// DefaultArchitecture is the architecture of functions, serverless
	// targets and billing blocks that do not name one.
	DefaultArchitecture = "x86_64"

	// DefaultOrder is how requests draw items from the payload corpus.
	DefaultOrder = "sequential"
	// DefaultBody is the body template when payloads give none: the whole
	// item as a JSON object (a .txt line becomes {"text": "..."}).
	DefaultBody = "{{json .}}"

	// DefaultMaxInFlight bounds requests in flight per phase and target;
	// scheduled requests beyond it are recorded as dropped.
	DefaultMaxInFlight = 1000
	// DefaultArrivals spreads arrivals of the rate-shaped models
	// (constant, ramp, step, sine, burst) evenly.
	DefaultArrivals = "uniform"
	// DefaultTraceArrivals spreads a trace's per-minute counts within each
	// minute as a Poisson process.
	DefaultTraceArrivals = "poisson"
	// DefaultTimeScale replays a trace at its recorded speed.
	DefaultTimeScale = 1.0

	// DefaultFunctionMemorySize is a function's memory in MB (as on AWS).
	DefaultFunctionMemorySize = 128
	// DefaultFunctionTimeout is a function's invocation timeout (as on AWS).
	DefaultFunctionTimeout = 3 * time.Second
	// DefaultIdleTimeout is how long an idle function instance lives
	// before the local platform reaps it.
	DefaultIdleTimeout = 10 * time.Minute

	// DefaultColdStartSamples is the number of forced cold starts.
	DefaultColdStartSamples = 20
	// DefaultCapacityStepDuration is how long each capacity-search step runs.
	DefaultCapacityStepDuration = 10 * time.Second
	// DefaultCapacityTolerance stops the capacity search once the bracket
	// is narrower than this fraction of the passing rate.
	DefaultCapacityTolerance = 0.05
	// DefaultCapacityMinSamples is the fewest requests a capacity step
	// needs for its p99 to mean something; shorter steps are extended.
	DefaultCapacityMinSamples = 300
	// DefaultCapacityMaxSteps bounds the candidate rates a capacity search
	// probes (the load generator's budget, shared with the spend guard).
	DefaultCapacityMaxSteps = 24
	// DefaultCapacityMaxExtensions bounds how often a capacity step with
	// too few samples is extended.
	DefaultCapacityMaxExtensions = 3
	// CapacityExtensionSteps is the longest one extension runs, in step
	// durations.
	CapacityExtensionSteps = 2
	// DefaultCapacityWarmup is the unrecorded probe at min_rps before the
	// first capacity step.
	DefaultCapacityWarmup = 2 * time.Second

	// DefaultUntilMetric is what an until: block watches when it names no metric.
	DefaultUntilMetric = "p99"
	// DefaultTrials is how often each recorded phase, sweep step and
	// capacity search runs: once, so intervals cover one run only.
	DefaultTrials = 1
	// MaxTrials bounds trials.
	MaxTrials = 100

	// DefaultPricingRegion is the region prices are taken from.
	DefaultPricingRegion = "us-east-1"
	// DefaultMaxSpendUSD is the most a run against a real cloud endpoint
	// may be estimated to cost before benchctl refuses to start it.
	DefaultMaxSpendUSD = 5.0
	// DefaultFleet sizes the always-on fleet for the peak hour.
	DefaultFleet = "fixed"
	// DefaultTargetUtilisation is the share of measured capacity an
	// instance is loaded to when sizing a fleet.
	DefaultTargetUtilisation = 0.7
	// DefaultProfileShape is the monthly traffic profile's shape.
	DefaultProfileShape = "constant"

	// DefaultOutputDir is where run directories are created.
	DefaultOutputDir = "results"
)

// DefaultFormats are the report formats written when output.formats is
// not set. It is a function so callers cannot modify a shared slice.
func DefaultFormats() []string { return []string{"html", "md", "json", "png"} }

// DefaultArchitectures are the Lambda architectures priced when
// pricing.architectures is not set.
func DefaultArchitectures() []string { return []string{"x86_64"} }

// Target kinds (Target.Kind): the one list every package uses.
const (
	// KindHTTP is a plain HTTP endpoint (the reference server, or any URL).
	KindHTTP = "http"
	// KindAWSLambda is an AWS Lambda function called through the Invoke API.
	KindAWSLambda = "aws-lambda"
	// KindLocalLambda is a function on benchctl's local Lambda-compatible
	// platform, called through the same Invoke API.
	KindLocalLambda = "local-lambda"
	// KindLambdaURL is a Lambda function URL (plain HTTPS, REPORT lines
	// joined from CloudWatch Logs).
	KindLambdaURL = "lambda-url"
)

// Runtime kinds of a function target (Target.RuntimeKind): they decide
// whether a cold start's INIT was billed before 2025-08-01.
const (
	// RuntimeManagedZip is a ZIP package on an AWS-managed runtime: its
	// on-demand INIT was not billed before 2025-08-01.
	RuntimeManagedZip = "managed-zip"
	// RuntimeCustom is an OS-only runtime (provided.al2023, as benchctl
	// function deploys): INIT was always billed.
	RuntimeCustom = "custom"
	// RuntimeContainer is a container image: INIT was always billed.
	RuntimeContainer = "container"
	// RuntimeProvisioned is a function run on Provisioned Concurrency:
	// INIT was always billed.
	RuntimeProvisioned = "provisioned"
)

// RuntimeKinds lists the allowed runtime_kind values.
func RuntimeKinds() []string {
	return []string{RuntimeManagedZip, RuntimeCustom, RuntimeContainer, RuntimeProvisioned}
}

// Allowed values of the enumerated fields.
var (
	targetKinds    = []string{KindHTTP, KindAWSLambda, KindLocalLambda, KindLambdaURL}
	functionKinds  = []string{KindAWSLambda, KindLocalLambda, KindLambdaURL}
	httpMethods    = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
	architectures  = []string{"x86_64", "arm64"}
	orders         = []string{"sequential", "random"}
	trafficModels  = []string{"constant", "poisson", "ramp", "step", "sine", "burst", "trace"}
	traceFormats   = []string{"per-minute-counts", "timestamps", "azure-functions"}
	arrivalKinds   = []string{"uniform", "poisson"}
	billingPlans   = map[string][]string{"aws-lambda": {"on-demand", "provisioned"}, "cloud-run": {"request", "instance"}, "azure-functions": {"consumption", "flex-consumption"}, "sagemaker-serverless": {"on-demand"}}
	billingPlatfms = []string{"aws-lambda", "cloud-run", "azure-functions", "sagemaker-serverless"}
	fleets         = []string{"fixed", "autoscaled"}
	apiGateways    = []string{"http"}
	profileShapes  = []string{"constant", "diurnal", "trace"}
	outputFormats  = []string{"html", "md", "json", "png", "svg"}
)

// modelFields lists the traffic fields each model uses (besides model).
var modelFields = map[string][]string{
	"constant": {"rate", "arrivals"},
	"poisson":  {"rate"},
	"ramp":     {"from", "to", "arrivals"},
	"step":     {"start", "step", "every", "max", "arrivals"},
	"sine":     {"mean", "amplitude", "period", "arrivals"},
	"burst":    {"base", "peak", "every", "length", "arrivals"},
	"trace":    {"file", "format", "time_scale", "arrivals"},
}

// TargetKinds returns the allowed target kinds.
func TargetKinds() []string { return append([]string(nil), targetKinds...) }

// TrafficModels returns the allowed traffic models.
func TrafficModels() []string { return append([]string(nil), trafficModels...) }

// TraceFormats returns the allowed trace formats.
func TraceFormats() []string { return append([]string(nil), traceFormats...) }

// OutputFormats returns the allowed output formats.
func OutputFormats() []string { return append([]string(nil), outputFormats...) }

// IsFunctionKind reports whether a target kind invokes a function
// (aws-lambda, local-lambda, lambda-url), as memory sweeps and cold starts need.
func IsFunctionKind(kind string) bool { return contains(functionKinds, kind) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
