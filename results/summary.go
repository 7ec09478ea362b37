package results

import "time"

// SchemaVersion is the version of summary.json's schema. Fields are added
// freely; none is renamed or removed without bumping it.
const SchemaVersion = 1

// Summary is summary.json: the machine interface of a run. Keys are
// snake_case and carry their unit (_ms, _usd, _rps).
type Summary struct {
	SchemaVersion int             `json:"schema_version"`
	Scenario      ScenarioInfo    `json:"scenario"`
	Run           RunInfo         `json:"run"`
	Targets       []TargetSummary `json:"targets"`
	// Experiments holds experiment sections; each is nil when not run.
	Experiments Experiments `json:"experiments"`
	// Cost, BreakEven and BenchmarkCostUSD are filled by pricing.
	Cost             []CostRow      `json:"cost,omitempty"`
	BreakEven        []BreakEvenRow `json:"break_even,omitempty"`
	BenchmarkCostUSD *float64       `json:"benchmark_cost_usd,omitempty"`
	// MonthlyCost prices every serverless configuration and fleet for the
	// scenario's monthly traffic profile (pricing.profile); filled by pricing.
	MonthlyCost []MonthlyCostRow `json:"monthly_cost,omitempty"`
	// Decision is the answer at the scenario's traffic profile, with what
	// it rests on (results.Decision); filled by pricing.
	Decision *Decision `json:"decision,omitempty"`
	// HostInterference says whether the host was busy while the run's
	// phases ran and which figures that touches; nil when not measured.
	HostInterference *HostInterference `json:"host_interference,omitempty"`
	// Notes are human-readable caveats (estimates, missing log access, no cgroups).
	Notes []string `json:"notes,omitempty"`
	// Workers lists the load generators of a distributed run, one entry
	// per worker index (then any duplicate instances).
	Workers []WorkerSummary `json:"workers,omitempty"`
}

// ScenarioInfo identifies the scenario a run executed.
type ScenarioInfo struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Seed        uint64 `json:"seed"`
	File        string `json:"file,omitempty"`
}

// RunInfo is run.json: the environment and timing of a run.
type RunInfo struct {
	BenchctlVersion string    `json:"benchctl_version"`
	GoVersion       string    `json:"go_version"`
	OS              string    `json:"os"`
	Arch            string    `json:"arch"`
	CPUModel        string    `json:"cpu_model,omitempty"`
	Cores           int       `json:"cores"`
	Hostname        string    `json:"hostname,omitempty"`
	Start           time.Time `json:"start"`
	End             time.Time `json:"end"`
	Seed            uint64    `json:"seed"`
	Interrupted     bool      `json:"interrupted"`
	// EndState is how the run ended: EndCompleted, EndInterrupted
	// (Ctrl-C: what was recorded is saved), or EndKilled (inferred by
	// benchctl summary from a run.json without an end: the process died).
	EndState string `json:"end_state,omitempty"`
	// CPUIsolation is how function instances were limited: cgroup-v1,
	// cgroup-v2 or none (local platform only).
	CPUIsolation string `json:"cpu_isolation,omitempty"`
	// ServiceCPUPriority is the CPU priority of the local services the run
	// started, below the load generator's by default so that its schedule
	// holds when they saturate the cores: e.g. "lowered: servers nice 10;
	// function instances cpu.shares 128 (cgroup-v1)", or "default (reason)".
	ServiceCPUPriority string `json:"service_cpu_priority,omitempty"`
	// FunctionConfigs are the aws-lambda targets' function configurations
	// as read (GetFunctionConfiguration) before the run: re-pricing the
	// run later uses them without calling AWS again.
	FunctionConfigs []FunctionConfigInfo `json:"function_configs,omitempty"`
	// Command is the command line that produced the run.
	Command []string `json:"command,omitempty"`
	// Services are the services the run started itself (reference servers,
	// local-platform functions): what model and weights they served.
	Services []ServiceInfo `json:"services,omitempty"`
	// Distributed describes a distributed run (engine, workers, T0, store).
	Distributed *DistributedInfo `json:"distributed,omitempty"`
	// Phases lists the phases (and experiment steps) in the order they ran,
	// with what their schedules planned; Summarize uses it for offered_rps.
	Phases []PhaseRunInfo `json:"phases,omitempty"`
	// HostSampling says how the host's load was sampled (phases[].host)
	// and what the sampling cost; nil when it was not (no Linux /proc).
	HostSampling *HostSampling `json:"host_sampling,omitempty"`
}

// KnownColdStarts is the number of cold starts REPORT lines showed: 0 when
// unknown (ColdStarts is nil).
func (p PhaseSummary) KnownColdStarts() int64 {
	if p.ColdStarts == nil {
		return 0
	}
	return *p.ColdStarts
}

// Run end states (RunInfo.EndState).
const (
	EndCompleted   = "completed"
	EndInterrupted = "interrupted"
	EndKilled      = "killed"
)

// InferEnd fills EndState for a run.json written before the run ended: a
// run without an end time was killed (SIGKILL, a crash, power loss).
func (r *RunInfo) InferEnd() {
	if r.EndState != "" {
		return
	}
	switch {
	case r.End.IsZero():
		r.EndState, r.Interrupted = EndKilled, true
	case r.Interrupted:
		r.EndState = EndInterrupted
	default:
		r.EndState = EndCompleted
	}
}

// ServiceInfo is one service a run started itself.
type ServiceInfo struct {
	// Name is the scenario's server or function name.
	Name string `json:"name"`
	// Kind is "server" (a reference server) or "function" (on the local
	// Lambda-compatible platform).
	Kind string `json:"kind"`
	// Model is the model preset or shape served (e.g. tinybert-4l-312).
	Model string `json:"model,omitempty"`
	// Weights is "synthetic" (deterministic synthetic weights: latency-
	// equivalent, outputs meaningless) or the weights file's path, with its
	// SHA-256 in WeightsSHA256.
	Weights       string `json:"weights,omitempty"`
	WeightsSHA256 string `json:"weights_sha256,omitempty"`
}

// WeightsSynthetic is ServiceInfo.Weights for synthetic weights.
const WeightsSynthetic = "synthetic"

// FunctionConfigInfo is one aws-lambda target's function configuration
// read before the run.
type FunctionConfigInfo struct {
	// Target is the scenario target's name.
	Target string `json:"target"`
	// Function is the function name or ARN the target invokes.
	Function           string  `json:"function"`
	MemorySizeMB       int     `json:"memory_size_mb"`
	TimeoutS           float64 `json:"timeout_s"`
	EphemeralStorageMB int     `json:"ephemeral_storage_mb"`
}

// PhaseRunInfo is one executed phase or experiment step of a run.
type PhaseRunInfo struct {
	Name       string   `json:"name"`
	Step       string   `json:"step,omitempty"`
	Experiment string   `json:"experiment,omitempty"`
	Targets    []string `json:"targets"`
	Model      string   `json:"model"`
	Recorded   bool     `json:"recorded"`
	// DurationS is how long the phase ran (less than planned when interrupted).
	DurationS float64 `json:"duration_s"`
	// Scheduled is the number of hits per target the schedule planned within DurationS.
	Scheduled int64 `json:"scheduled"`
	// Start is when the phase's schedule began.
	Start time.Time `json:"start"`
	// Interrupted is true when the phase was stopped before its end.
	Interrupted bool `json:"interrupted,omitempty"`
	// Host is what the host did besides the run while the phase ran
	// (foreign CPU, steal, memory pressure, host_busy); nil when not
	// measured (no Linux /proc).
	Host *HostLoad `json:"host,omitempty"`
	// Stopped says how a phase with an until: rule ended: StoppedCI
	// ("ci_reached": its interval was narrow enough before max_duration)
	// or StoppedMaxDuration ("max_duration"); empty without a rule.
	// UntilMetric is what it watched and UntilRelWidth the widest
	// relative half-width over its targets at the end (absent when some
	// target had no two-sided interval yet).
	Stopped       string   `json:"stopped,omitempty"`
	UntilMetric   string   `json:"until_metric,omitempty"`
	UntilRelWidth *float64 `json:"until_rel_width,omitempty"`
	// Trial is the trial (1..N) this entry ran as, in a run with trials:
	// N > 1 (absent otherwise).
	Trial int `json:"trial,omitempty"`
}

// TargetSummary is one target's results, per recorded phase.
type TargetSummary struct {
	Name   string         `json:"name"`
	Kind   string         `json:"kind"`
	Phases []PhaseSummary `json:"phases"`
}

// PhaseSummary aggregates the records of one target in one phase (and
// experiment step, when Step is set).
type PhaseSummary struct {
	Name       string `json:"name"`
	Step       string `json:"step,omitempty"`
	Experiment string `json:"experiment,omitempty"`
	Requests   int64  `json:"requests"`
	OK         int64  `json:"ok"`
	// Errors counts failures by class (see the ErrorClass constants).
	Errors              map[string]int64 `json:"errors"`
	ErrorRate           float64          `json:"error_rate"`
	DurationS           float64          `json:"duration_s"`
	OfferedRPS          float64          `json:"offered_rps"`
	AchievedRPS         float64          `json:"achieved_rps"`
	LatencyMs           Distribution     `json:"latency_ms"`
	ServiceLatencyMs    Distribution     `json:"service_latency_ms"`
	DispatchLagMs       LagSummary       `json:"dispatch_lag_ms"`
	GeneratorFellBehind bool             `json:"generator_fell_behind"`
	SLO                 *SLOResult       `json:"slo,omitempty"`
	// Host is the host's load while the phase ran (its run.json entries
	// merged, MergeHostLoads); HostBusy is set when it was host_busy.
	Host     *HostLoad `json:"host,omitempty"`
	HostBusy bool      `json:"host_busy,omitempty"`
	// Incomplete is set when the phase was cut short: interrupted, or
	// still running when the run was killed (its duration is then taken
	// from its records).
	Incomplete bool `json:"incomplete,omitempty"`
	// Stopped is run.json's stopped for a phase with an until: rule
	// ("max_duration" when any of its entries ran to the limit).
	Stopped string `json:"stopped,omitempty"`
	// LatencyCI holds the latency p50 and p99 with their 95% intervals:
	// over the trials when the phase ran as trials (scope "trials"), else
	// the order-statistic intervals of this run (scope "run"); a
	// percentile with fewer than 100/(1−q) samples is a bound (Bound).
	LatencyCI *LatencyIntervals `json:"latency_ci_ms,omitempty"`
	// Trials lists each trial of a phase run trials: N > 1 times.
	Trials []TrialSummary `json:"trials,omitempty"`

	// Serverless additions (present when the target reports them).
	BilledDurationMs *Distribution `json:"billed_duration_ms,omitempty"`
	DurationMs       *Distribution `json:"duration_ms,omitempty"`
	InitDurationMs   *Distribution `json:"init_duration_ms,omitempty"`
	// ColdStarts and ColdStartRate count the requests that started an
	// instance, as REPORT lines say (Init Duration); null when no record
	// of the phase carried a REPORT line (an http target, or a function
	// endpoint that returned no log tail): unknown, not 0.
	ColdStarts    *int64   `json:"cold_starts"`
	ColdStartRate *float64 `json:"cold_start_rate"`
	// BillingMissing counts the requests of a function target that got a
	// response but no REPORT line (no billed duration: the endpoint
	// returned no log tail, or the CloudWatch Logs join missed it); their
	// cost is an estimate from client latency. Absent for http targets.
	BillingMissing  *int64 `json:"billing_missing,omitempty"`
	Throttles       int64  `json:"throttles"`
	FunctionErrors  int64  `json:"function_errors"`
	MaxMemoryUsedMB int    `json:"max_memory_used_mb,omitempty"`
	MemorySizeMB    int    `json:"memory_size_mb,omitempty"`
	// GBSeconds is the sum over records of billed ms/1000 × memory MB/1024.
	GBSeconds float64 `json:"gb_seconds,omitempty"`
}

// Distribution is a latency or duration distribution in milliseconds,
// computed from all samples (HDR histogram, 3 significant digits, or exact
// for small sets; Method says which).
type Distribution struct {
	Count  int64   `json:"count"`
	Min    float64 `json:"min"`
	Mean   float64 `json:"mean"`
	Stdev  float64 `json:"stdev"`
	P50    float64 `json:"p50"`
	P90    float64 `json:"p90"`
	P95    float64 `json:"p95"`
	P99    float64 `json:"p99"`
	P999   float64 `json:"p999"`
	Max    float64 `json:"max"`
	Method string  `json:"method,omitempty"`
}

// LagSummary is the dispatch lag (actual − intended send time) in ms.
type LagSummary struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
	// LateFraction is the share of requests sent more than the lateness
	// threshold after their intended time.
	LateFraction float64 `json:"late_fraction"`
}

// SLOResult says whether a phase met its SLO.
type SLOResult struct {
	Passed     bool     `json:"passed"`
	Violations []string `json:"violations,omitempty"`
}

// Experiments holds the experiment sections of a summary.
type Experiments struct {
	MemorySweep []MemorySweepRow  `json:"memory_sweep,omitempty"`
	ColdStarts  *ColdStartSummary `json:"cold_starts,omitempty"`
	Capacity    []CapacityResult  `json:"capacity,omitempty"`
	// ConcurrencyScaling is the per-step view of a step-profile phase
	// against a function target (instances observed, throttles).
	ConcurrencyScaling []ScalingStep `json:"concurrency_scaling,omitempty"`
}

// ScalingStep is one step of a step-profile phase against a function:
// instances observed are the distinct instances the platform started (each
// shows as one cold start), cumulative since the phase began.
type ScalingStep struct {
	Target      string  `json:"target"`
	Phase       string  `json:"phase"`
	Step        int     `json:"step"`
	StartS      float64 `json:"start_s"`
	OfferedRPS  float64 `json:"offered_rps,omitempty"`
	Requests    int64   `json:"requests"`
	AchievedRPS float64 `json:"achieved_rps"`
	ColdStarts  int64   `json:"cold_starts"`
	// InstancesObserved is the cumulative number of cold starts up to and
	// including this step (a lower bound of concurrent instances when the
	// platform did not reap any).
	InstancesObserved int64   `json:"instances_observed"`
	Throttles         int64   `json:"throttles"`
	ThrottleRate      float64 `json:"throttle_rate"`
	Errors            int64   `json:"errors"`
	LatencyP99Ms      float64 `json:"latency_p99_ms"`
}

// MemorySweepRow is one memory size of a memory sweep.
type MemorySweepRow struct {
	Target              string       `json:"target"`
	MemoryMB            int          `json:"memory_mb"`
	Requests            int64        `json:"requests"`
	DurationMs          Distribution `json:"duration_ms"`
	BilledDurationMs    Distribution `json:"billed_duration_ms"`
	LatencyMs           Distribution `json:"latency_ms"`
	ColdStarts          int64        `json:"cold_starts"`
	GBSecondsPerRequest float64      `json:"gb_seconds_per_request"`
	// Errors counts failed requests at this memory size (any error class).
	Errors int64 `json:"errors"`
	// Cost fields are filled by pricing when it ran.
	CostPerRequestUSD *float64 `json:"cost_per_request_usd,omitempty"`
	CostPerMillionUSD *float64 `json:"cost_per_million_usd,omitempty"`
	// Best flags set on the row that minimises cost, minimises p99, or is the
	// cheapest meeting the SLO.
	Cheapest        bool `json:"cheapest,omitempty"`
	FastestP99      bool `json:"fastest_p99,omitempty"`
	CheapestWithSLO bool `json:"cheapest_meeting_slo,omitempty"`
	// HostBusy is set when a phase of this memory size was host_busy.
	HostBusy bool `json:"host_busy,omitempty"`
	// LatencyCI is the latency p50/p99 with their intervals (the step's
	// recorded phase's: over the trials when it ran as trials), and
	// CostPerMillionCI the cost per 1M with its interval (FillSweepIntervals).
	LatencyCI        *LatencyIntervals `json:"latency_ci_ms,omitempty"`
	CostPerMillionCI *Interval         `json:"cost_per_million_ci_usd,omitempty"`
}

// ColdStartSummary is the forced cold start experiment.
type ColdStartSummary struct {
	Target         string       `json:"target"`
	Samples        int          `json:"samples"`
	InitDurationMs Distribution `json:"init_duration_ms"`
	ColdLatencyMs  Distribution `json:"cold_latency_ms"`
	WarmLatencyMs  Distribution `json:"warm_latency_ms"`
	// ColdObserved counts forced samples whose REPORT showed a cold start;
	// Failed counts samples that got no successful response.
	ColdObserved int `json:"cold_observed"`
	Failed       int `json:"failed"`
}

// CapacityResult is one capacity search.
type CapacityResult struct {
	Target         string         `json:"target"`
	Config         string         `json:"config,omitempty"`
	SLOP99Ms       float64        `json:"slo_p99_ms"`
	CapacityRPS    float64        `json:"capacity_rps"`
	CapacityRPSLow float64        `json:"capacity_rps_low"`
	CapacityRPSHi  float64        `json:"capacity_rps_high"`
	Steps          []CapacityStep `json:"steps"`
	// Search settings as applied (defaults filled in).
	SLOErrorRate  float64 `json:"slo_error_rate,omitempty"`
	MinRPS        float64 `json:"min_rps,omitempty"`
	MaxRPS        float64 `json:"max_rps,omitempty"`
	StepDurationS float64 `json:"step_duration_s,omitempty"`
	Tolerance     float64 `json:"tolerance,omitempty"`
	MinSamples    int     `json:"min_samples,omitempty"`
	CILevel       float64 `json:"ci_level,omitempty"`
	WarmupS       float64 `json:"warmup_s,omitempty"`
	// LimitedBy is set when the search hit an edge: max_rps (capacity may
	// be higher), min_rps (even the lowest rate failed), max_steps.
	LimitedBy string `json:"limited_by,omitempty"`
	// Method says how steps were measured and scored.
	Method string `json:"method,omitempty"`
	// HostBusy is set when any step of the search was host_busy.
	HostBusy bool `json:"host_busy,omitempty"`
	// Trials lists each trial's search when the search ran trials: N > 1
	// times; CapacityRPS and its bounds then combine them, and CapacityCI
	// holds that interval with the trials' values.
	Trials     []CapacityTrial `json:"trials,omitempty"`
	CapacityCI *Interval       `json:"capacity_ci_rps,omitempty"`
}

// CapacityTrial is one trial's capacity search.
type CapacityTrial struct {
	Trial          int     `json:"trial"`
	CapacityRPS    float64 `json:"capacity_rps"`
	CapacityRPSLow float64 `json:"capacity_rps_low"`
	CapacityRPSHi  float64 `json:"capacity_rps_high"`
	LimitedBy      string  `json:"limited_by,omitempty"`
}

// CapacityStep is one candidate rate of a capacity search.
type CapacityStep struct {
	OfferedRPS  float64 `json:"offered_rps"`
	AchievedRPS float64 `json:"achieved_rps"`
	Requests    int64   `json:"requests"`
	P50Ms       float64 `json:"p50_ms"`
	P99Ms       float64 `json:"p99_ms"`
	P99LowMs    float64 `json:"p99_ci_low_ms"`
	P99HighMs   float64 `json:"p99_ci_high_ms"`
	Errors      int64   `json:"errors"`
	ErrorRate   float64 `json:"error_rate"`
	FellBehind  bool    `json:"generator_fell_behind"`
	Passed      bool    `json:"passed"`
	// Samples is the number of latencies behind the percentiles.
	Samples int64 `json:"samples,omitempty"`
	// P99CILevel is the coverage the p99 interval attains (below the
	// requested level when samples are too few).
	P99CILevel float64 `json:"p99_ci_level,omitempty"`
	// DurationS is the time the step ran, extensions included.
	DurationS float64 `json:"duration_s,omitempty"`
	// Extensions counts how often the step was extended for lack of samples.
	Extensions int `json:"extensions,omitempty"`
	// FailReasons says why a step failed.
	FailReasons []string `json:"fail_reasons,omitempty"`
	// DispatchLagP99Ms is the generator's dispatch lag p99 in the step.
	DispatchLagP99Ms float64 `json:"dispatch_lag_p99_ms,omitempty"`
	// HostBusy is set when the step (or one of its extensions) ran while
	// the host was host_busy.
	HostBusy bool `json:"host_busy,omitempty"`
	// Trial is the trial the step belongs to in a search run as trials.
	Trial int `json:"trial,omitempty"`
}

// CostRow is the cost of one target/phase/memory configuration.
type CostRow struct {
	Target            string  `json:"target"`
	Phase             string  `json:"phase,omitempty"`
	Step              string  `json:"step,omitempty"`
	Platform          string  `json:"platform"`
	Architecture      string  `json:"architecture,omitempty"`
	MemoryMB          int     `json:"memory_mb,omitempty"`
	Requests          int64   `json:"requests"`
	RunCostUSD        float64 `json:"run_cost_usd"`
	CostPerRequestUSD float64 `json:"cost_per_request_usd"`
	CostPerMillionUSD float64 `json:"cost_per_million_usd"`
	CostPerMillionLow float64 `json:"cost_per_million_usd_ci_low"`
	CostPerMillionHi  float64 `json:"cost_per_million_usd_ci_high"`
	ColdStartShare    float64 `json:"cold_start_cost_share"`
	Estimate          bool    `json:"estimate,omitempty"`
	PriceSource       string  `json:"price_source"`
	PriceEffective    string  `json:"price_effective_date"`
	// PriceConfidence is PriceSourced when every price-book entry behind
	// the row is confirmed from a primary or secondary source (P or S),
	// PriceRecalled when any is marked U (recalled, not confirmed).
	PriceConfidence string `json:"price_confidence,omitempty"`
	// Components split RunCostUSD (and the cost per request and per 1M)
	// into labelled parts, each priced from its own price-book entry: the
	// platform's request fee, compute (billed duration × memory, INIT
	// included), ephemeral storage above 512 MB, and the API Gateway HTTP
	// API fee. They add up to the row's totals.
	Components []CostComponent `json:"components,omitempty"`
	// APIGateway is the API type the function sits behind ("http"), when
	// its fee is included.
	APIGateway string `json:"api_gateway,omitempty"`
	// EphemeralStorageMB is the /tmp size priced (Lambda), and
	// EphemeralStorageSource where it came from: "scenario" (the target's
	// ephemeral_storage_mb), "function" (the scenario's functions block),
	// "function configuration" (read from the platform), or "default"
	// (512 MB assumed, no charge).
	EphemeralStorageMB     int    `json:"ephemeral_storage_mb,omitempty"`
	EphemeralStorageSource string `json:"ephemeral_storage_source,omitempty"`
	// HostBusy is set when the phase the row prices was host_busy.
	HostBusy bool `json:"host_busy,omitempty"`
	// CostPerMillionTrials is each trial's cost per 1M requests when the
	// phase ran as trials; the CI then combines them (between-trial
	// variation included).
	CostPerMillionTrials []float64 `json:"cost_per_million_usd_trials,omitempty"`
}

// Price confidence (PriceConfidence of cost, monthly-cost and break-even rows).
const (
	// PriceSourced: every price behind the figure is confirmed (P or S).
	PriceSourced = "sourced"
	// PriceRecalled: at least one price behind the figure is recalled, not
	// confirmed from a source (the book's confidence U).
	PriceRecalled = "recalled"
)

// Option kinds (MonthlyCostRow.Kind, BreakEvenRow.InstanceKind).
const (
	// OptionServerless is a per-request serverless configuration (Lambda,
	// Cloud Run, Azure Functions, SageMaker Serverless Inference).
	OptionServerless = "serverless"
	// OptionFleet is a self-run fleet of always-on instances.
	OptionFleet = "fleet"
	// OptionLambdaManaged is a Lambda Managed Instances fleet (EC2
	// instances AWS manages, billed at the on-demand price + a management
	// fee + a per-request fee).
	OptionLambdaManaged = "lambda-managed"
)

// Cost component names (CostComponent.Name).
const (
	CostRequests         = "requests"
	CostCompute          = "compute"
	CostEphemeralStorage = "ephemeral_storage"
	CostAPIGatewayHTTP   = "api_gateway_http"
	// CostRequestsAndCompute is a monthly component of platforms other than
	// AWS Lambda, whose per-request cost is not split.
	CostRequestsAndCompute = "requests_and_compute"
	// CostDataProcessed is SageMaker Serverless Inference's charge per GB
	// of request and response data.
	CostDataProcessed = "data_processed"
	// CostInstances is a fleet's instance-hours at the on-demand price.
	CostInstances = "instances"
	// CostSurplusCredits is a burstable fleet's surplus CPU credits.
	CostSurplusCredits = "surplus_credits"
	// CostManagementFee is Lambda Managed Instances' fee on the instances'
	// on-demand price.
	CostManagementFee = "management_fee"
)

// CostComponent is one labelled part of a cost: Quantity Unit at RateUSD
// (tier-1 rates for per-request costs) comes to RunCostUSD over the row's
// priced requests, CostPerRequestUSD per request.
type CostComponent struct {
	// Name is requests, compute, ephemeral_storage or api_gateway_http.
	Name string `json:"name"`
	// Quantity and Unit: requests; GB-s (compute, ephemeral storage above
	// 512 MB); metered requests (API Gateway: one per started 512 KB of
	// request + response body). Other platforms' compute is in billed ms.
	Quantity          float64 `json:"quantity"`
	Unit              string  `json:"unit"`
	RateUSD           float64 `json:"rate_usd"`
	RunCostUSD        float64 `json:"run_cost_usd"`
	CostPerRequestUSD float64 `json:"cost_per_request_usd"`
	CostPerMillionUSD float64 `json:"cost_per_million_usd"`
	PriceSource       string  `json:"price_source"`
	PriceEffective    string  `json:"price_effective_date"`
}

// BreakEvenRow is the break-even between one serverless configuration and one
// instance type.
type BreakEvenRow struct {
	Serverless string `json:"serverless"`
	Instance   string `json:"instance"`
	// InstanceKind is OptionFleet (a self-run fleet; also when empty) or
	// OptionLambdaManaged.
	InstanceKind    string     `json:"instance_kind,omitempty"`
	MonthlyRequests float64    `json:"monthly_requests"`
	AverageRPS      float64    `json:"average_rps"`
	Crossings       []Crossing `json:"crossings"`
	// CrossingsCount is the number of crossings found in the searched range.
	// When it exceeds the cap (pricing.MaxCrossings, 50), Crossings keeps
	// only the first and the last crossings (the first 25 and the last 25)
	// and CrossingsTruncated is true; Note then gives the range the dropped
	// ones fall in.
	CrossingsCount     int  `json:"crossings_count,omitempty"`
	CrossingsTruncated bool `json:"crossings_truncated,omitempty"`
	// MonthlyRequestsLow/High follow from the cost CIs.
	MonthlyRequestsLow  float64 `json:"monthly_requests_low,omitempty"`
	MonthlyRequestsHigh float64 `json:"monthly_requests_high,omitempty"`
	CapacityRPS         float64 `json:"capacity_rps,omitempty"`
	CapacityAssumption  string  `json:"capacity_assumption,omitempty"`
	Fleet               string  `json:"fleet,omitempty"`
	// Region, PriceSources and Note are filled by pricing: where the prices
	// came from, and why no crossing was found (when so).
	Region       string   `json:"region,omitempty"`
	PriceSources []string `json:"price_sources,omitempty"`
	Note         string   `json:"note,omitempty"`
	// PriceConfidence: PriceSourced or PriceRecalled (see CostRow).
	PriceConfidence string `json:"price_confidence,omitempty"`
	// Sensitivity says how far each single assumption moves the break-even;
	// MostSensitive names the one that moves it most.
	Sensitivity   []Sensitivity `json:"sensitivity,omitempty"`
	MostSensitive string        `json:"most_sensitive,omitempty"`
	// HostBusy is set when a figure the row is derived from (the
	// configuration's cost rows, the capacity used) was host_busy.
	HostBusy bool `json:"host_busy,omitempty"`
}

// Sensitivity is the break-even volume with one assumption moved down
// (Low) and up (High) by the stated factors, everything else unchanged.
// A zero volume means no crossing in the searched range.
type Sensitivity struct {
	Assumption          string  `json:"assumption"`
	LowFactor           float64 `json:"low_factor"`
	HighFactor          float64 `json:"high_factor"`
	MonthlyRequestsLow  float64 `json:"monthly_requests_at_low"`
	MonthlyRequestsHigh float64 `json:"monthly_requests_at_high"`
	// Swing is |MonthlyRequestsHigh − MonthlyRequestsLow| / break-even.
	Swing float64 `json:"swing"`
}

// MonthlyCostRow is one option's cost for a month of the scenario's traffic
// profile (730 hours).
type MonthlyCostRow struct {
	// Option names the serverless configuration or the fleet; Kind is
	// OptionServerless, OptionFleet or OptionLambdaManaged.
	Option string `json:"option"`
	Kind   string `json:"kind"`
	// What the option is: a serverless configuration's target, platform,
	// architecture and memory (and APIGateway, "http", when the API
	// Gateway HTTP API fee is included), or the instance type of a fleet.
	Target          string  `json:"target,omitempty"`
	Platform        string  `json:"platform,omitempty"`
	Architecture    string  `json:"architecture,omitempty"`
	MemoryMB        int     `json:"memory_mb,omitempty"`
	APIGateway      string  `json:"api_gateway,omitempty"`
	Instance        string  `json:"instance,omitempty"`
	MonthlyRequests float64 `json:"monthly_requests"`
	AverageRPS      float64 `json:"average_rps"`
	MonthlyCostUSD  float64 `json:"monthly_cost_usd"`
	// MonthlyCostLow/High follow from the cost CI (serverless) or the
	// capacity CI (fleet).
	MonthlyCostLow  float64 `json:"monthly_cost_usd_low,omitempty"`
	MonthlyCostHigh float64 `json:"monthly_cost_usd_high,omitempty"`
	// PeakInstances is the fleet's instance count in its busiest hour.
	PeakInstances int    `json:"peak_instances,omitempty"`
	Cheapest      bool   `json:"cheapest,omitempty"`
	Profile       string `json:"profile"`
	// PriceConfidence: PriceSourced or PriceRecalled (see CostRow).
	PriceConfidence string `json:"price_confidence,omitempty"`
	// Components split MonthlyCostUSD into its labelled parts (the
	// CostComponent names), tiers and free tier applied to the month: for
	// serverless rows requests, compute, ephemeral storage, API Gateway,
	// data processed; for fleets and Lambda Managed Instances instances,
	// surplus credits, management fee and requests.
	Components []MonthlyCostComponent `json:"components,omitempty"`
	// HostBusy is set when a figure the row is derived from was host_busy.
	HostBusy bool `json:"host_busy,omitempty"`
}

// MonthlyCostComponent is one labelled part of a month's serverless cost.
type MonthlyCostComponent struct {
	Name           string  `json:"name"`
	MonthlyCostUSD float64 `json:"monthly_cost_usd"`
	PriceSource    string  `json:"price_source"`
	PriceEffective string  `json:"price_effective_date"`
}

// Crossing is one volume at which serverless and fleet costs cross.
type Crossing struct {
	MonthlyRequests float64 `json:"monthly_requests"`
	AverageRPS      float64 `json:"average_rps"`
	// Direction is "serverless_becomes_dearer" or "serverless_becomes_cheaper".
	Direction string  `json:"direction"`
	CostUSD   float64 `json:"monthly_cost_usd"`
}
