// Package scenarios owns the scenario file: its schema (version 1), strict
// YAML decoding with file:line:col errors, validation, and the shipped example
// scenarios embedded in the binary.
package scenarios

import (
	"io/fs"
	"slices"
	"time"
)

// Scenario is a decoded, validated scenario file (version 1).
type Scenario struct {
	Version     int             `yaml:"version"`
	Name        string          `yaml:"name"`
	Description string          `yaml:"description"`
	Seed        uint64          `yaml:"seed"`
	Functions   []Function      `yaml:"functions"`
	Servers     []Server        `yaml:"servers"`
	Targets     []Target        `yaml:"targets"`
	Payloads    Payloads        `yaml:"payloads"`
	Phases      []Phase         `yaml:"phases"`
	SLO         SLO             `yaml:"slo"`
	Experiments Experiments     `yaml:"experiments"`
	Pricing     PricingSettings `yaml:"pricing"`
	Output      Output          `yaml:"output"`
	// Distributed runs the phases from many load generators (see
	// docs/distributed.md); nil runs them from this process.
	Distributed *Distributed `yaml:"distributed"`
	// HostBusy sets the thresholds of the host_busy rule (nil: defaults).
	HostBusy *HostBusy `yaml:"host_busy"`
	// Trials runs each recorded phase, memory-sweep step and capacity
	// search this many times, interleaved (DefaultTrials when 0).
	Trials int `yaml:"trials"`

	// Path is the file the scenario was read from ("" for inline input);
	// relative paths inside the scenario resolve against its folder.
	Path string `yaml:"-"`
	// Raw is the exact input bytes, copied into the run directory.
	Raw []byte `yaml:"-"`

	// fsys is the embedded file system for shipped scenarios (nil for
	// files on disk); ReadFile resolves relative paths inside it.
	fsys fs.FS
	// pos maps a field path ("pricing.instances[2]") to where its value
	// was found in the file (see FieldErrorAt).
	pos map[string]position
}

// Target is one system under test. Kind selects which fields apply:
// http (url, method, headers, body, billing), aws-lambda (function,
// qualifier, region, endpoint), local-lambda (function: a name from the
// scenario's functions block), lambda-url (url, function, region).
type Target struct {
	Name         string            `yaml:"name"`
	Kind         string            `yaml:"kind"`
	URL          string            `yaml:"url"`
	Method       string            `yaml:"method"`
	Headers      map[string]string `yaml:"headers"`
	Body         string            `yaml:"body"`
	Timeout      time.Duration     `yaml:"timeout"`
	MaxBodyBytes int64             `yaml:"max_body_bytes"`
	// Server names an entry of the scenario's servers block that benchctl
	// starts itself; URL is then relative to that server ("/v1/sentiment").
	Server string `yaml:"server"`

	// Serverless fields.
	Function  string `yaml:"function"`
	Qualifier string `yaml:"qualifier"`
	Region    string `yaml:"region"`
	Endpoint  string `yaml:"endpoint"`
	// Architecture is x86_64 or arm64 (for pricing).
	Architecture string `yaml:"architecture"`
	// LogGroup overrides /aws/lambda/<function> for lambda-url log joins.
	LogGroup string `yaml:"log_group"`
	// APIGateway says the function sits behind an API Gateway API of this
	// type in production ("http": an HTTP API, the only one in the price
	// book), so pricing adds its per-request fee, metered per started
	// 512 KB of request + response bytes.
	APIGateway string `yaml:"api_gateway"`
	// EphemeralStorageMB is the function's /tmp size in MB (512–10240);
	// pricing charges the storage above 512 MB per GB-s of billed
	// duration. 0 = not set (the function's, else 512).
	EphemeralStorageMB int `yaml:"ephemeral_storage_mb"`
	// RuntimeKind is how the function is packaged and run (managed-zip,
	// custom, container, provisioned): it decides whether INIT was billed
	// before 2025-08-01 (only managed-zip was not). "" = managed-zip for
	// aws-lambda and lambda-url, custom for local-lambda.
	RuntimeKind string `yaml:"runtime_kind"`

	// Billing applies a platform's pricing model to an http target's measured latency.
	Billing *Billing `yaml:"billing"`
	// SLO overrides the global SLO for this target.
	SLO *SLO `yaml:"slo"`
}

// Billing says how an http target's platform bills (cloud-run, azure-functions, ...).
type Billing struct {
	Platform     string  `yaml:"platform"`
	Plan         string  `yaml:"plan"`
	Region       string  `yaml:"region"`
	MemoryMB     int     `yaml:"memory_mb"`
	VCPU         float64 `yaml:"vcpu"`
	Concurrency  int     `yaml:"concurrency"`
	Architecture string  `yaml:"architecture"`
}

// Payloads says where request bodies come from and how they are built.
type Payloads struct {
	// File is a corpus: .txt (one text per line) or .jsonl (one object per line).
	File string `yaml:"file"`
	// Inline is a list of items used instead of (or with no) file; each is
	// a string (becomes {text: ...}) or a map of fields.
	Inline []map[string]any `yaml:"inline"`
	// Order is sequential or random (seeded by the scenario seed).
	Order string `yaml:"order"`
	// Body is a Go text/template building the request body from an item,
	// e.g. '{"text": {{json .text}}}'.
	Body string `yaml:"body"`
	// Pairs makes each item a pair of texts (fields a and b) for the similarity task.
	Pairs bool `yaml:"pairs"`
}

// Phase is one stretch of traffic against one or more targets. Several
// targets in one phase receive the same seeded schedule.
type Phase struct {
	Name        string        `yaml:"name"`
	Targets     []string      `yaml:"targets"`
	Duration    time.Duration `yaml:"duration"`
	Traffic     Traffic       `yaml:"traffic"`
	MaxInFlight int           `yaml:"max_in_flight"`
	// Record is true unless set false (warm-up phases are run, not summarised).
	Record *bool `yaml:"record"`
	// Until makes the phase stop as soon as its metric is known to the
	// asked relative width (at most Until.MaxDuration, which is then the
	// phase's Duration).
	Until *Until `yaml:"until"`
}

// Until is a sequential stopping rule: run until the metric's 95%
// interval is within ±CIRelWidth of its estimate (distribution-free
// order-statistic interval for p50/p99, Student-t for the mean billed
// duration behind cost_per_million), with at least MinRequests samples, or
// until MaxDuration.
type Until struct {
	CIRelWidth  float64       `yaml:"ci_rel_width"`
	Metric      string        `yaml:"metric"`
	MaxDuration time.Duration `yaml:"max_duration"`
	MinRequests int           `yaml:"min_requests"`
}

// Recorded reports whether the phase's records go into the summary.
func (p Phase) Recorded() bool { return p.Record == nil || *p.Record }

// Traffic models (Model): constant, poisson, ramp, step, sine, burst, trace.
type Traffic struct {
	Model string `yaml:"model"`
	// constant, poisson
	Rate float64 `yaml:"rate"`
	// ramp
	From float64 `yaml:"from"`
	To   float64 `yaml:"to"`
	// step
	Start float64       `yaml:"start"`
	Step  float64       `yaml:"step"`
	Every time.Duration `yaml:"every"`
	Max   float64       `yaml:"max"`
	// sine
	Mean      float64       `yaml:"mean"`
	Amplitude float64       `yaml:"amplitude"`
	Period    time.Duration `yaml:"period"`
	// burst (also uses Every)
	Base   float64       `yaml:"base"`
	Peak   float64       `yaml:"peak"`
	Length time.Duration `yaml:"length"`
	// trace
	File      string  `yaml:"file"`
	Format    string  `yaml:"format"`
	TimeScale float64 `yaml:"time_scale"`
	// Arrivals is how arrivals are spread for rate-shaped models:
	// uniform (default for constant/ramp/step/sine/burst) or poisson.
	Arrivals string `yaml:"arrivals"`
}

// SLO is a latency/error objective, global or per target. Its fields match
// results.SLOSpec one for one (a direct conversion): keep them in step.
type SLO struct {
	P50Ms     float64 `yaml:"p50_ms"`
	P95Ms     float64 `yaml:"p95_ms"`
	P99Ms     float64 `yaml:"p99_ms"`
	ErrorRate float64 `yaml:"error_rate"`
}

// Function is one function of the local Lambda-compatible platform (the same
// block as a functions.yaml file).
type Function struct {
	Name                string            `yaml:"name"`
	Command             []string          `yaml:"command"`
	MemorySize          int               `yaml:"memory_size"`
	Timeout             time.Duration     `yaml:"timeout"`
	Environment         map[string]string `yaml:"environment"`
	ReservedConcurrency *int              `yaml:"reserved_concurrency"`
	Architecture        string            `yaml:"architecture"`
	IdleTimeout         time.Duration     `yaml:"idle_timeout"`
	// EphemeralStorageMB is the /tmp size (512–10240 MB) priced for the
	// function's local-lambda targets (a pricing label, like Architecture).
	EphemeralStorageMB int `yaml:"ephemeral_storage_mb"`
}

// Server is a reference inference server that benchctl run starts itself
// (benchctl serve with these settings) and stops at the end.
type Server struct {
	Name     string        `yaml:"name"`
	Model    string        `yaml:"model"`
	Workers  int           `yaml:"workers"`
	MaxBatch int           `yaml:"max_batch"`
	MaxWait  time.Duration `yaml:"max_wait"`
	// Instance is the always-on instance type this server stands for in pricing.
	Instance string `yaml:"instance"`
	// Args are extra `benchctl serve` flags (e.g. a custom model shape:
	// [--layers, "12", --hidden, "384"]).
	Args []string `yaml:"args"`
}

// Experiments holds the optional experiment blocks.
type Experiments struct {
	MemorySweep *MemorySweep `yaml:"memory_sweep"`
	ColdStarts  *ColdStarts  `yaml:"cold_starts"`
	Capacity    *Capacity    `yaml:"capacity"`
}

// MemorySweep runs Phases at each memory size of a function target.
type MemorySweep struct {
	Target      string   `yaml:"target"`
	MemorySizes []int    `yaml:"memory_sizes"`
	Phases      []string `yaml:"phases"`
	// Targets lists further function targets swept one after another with
	// the same sizes; while one is swept, the listed phases send only to
	// it (phases name every swept target). Each gives its own rows.
	Targets []string `yaml:"targets"`
}

// ColdStarts forces Samples fresh instances of a function target.
type ColdStarts struct {
	Target  string `yaml:"target"`
	Samples int    `yaml:"samples"`
}

// Capacity searches the highest Poisson rate a target serves within SLO.
type Capacity struct {
	Target       string        `yaml:"target"`
	SLO          SLO           `yaml:"slo"`
	MinRPS       float64       `yaml:"min_rps"`
	MaxRPS       float64       `yaml:"max_rps"`
	StepDuration time.Duration `yaml:"step_duration"`
	Tolerance    float64       `yaml:"tolerance"`
	MinSamples   int           `yaml:"min_samples"`
	// Targets lists further targets searched one after another with the
	// same settings (e.g. the reference server at 1 and at 2 workers);
	// each gives its own experiments.capacity entry.
	Targets []string `yaml:"targets"`
	// Until stops each step once its metric (p99 by default) is known to
	// the asked width; until.max_duration is then the step duration.
	Until *Until `yaml:"until"`
}

// PricingSettings configures the cost and break-even analysis of a run.
type PricingSettings struct {
	// Prices is a user price-book file overriding/extending the embedded one.
	Prices    string   `yaml:"prices"`
	Region    string   `yaml:"region"`
	FreeTier  bool     `yaml:"free_tier"`
	MaxSpend  *float64 `yaml:"max_spend_usd"`
	Instances []string `yaml:"instances"`
	// Architectures prices serverless targets as these Lambda architectures.
	Architectures []string `yaml:"architectures"`
	Profile       Profile  `yaml:"profile"`
	// Fleet is fixed (sized for peak) or autoscaled.
	Fleet             string  `yaml:"fleet"`
	TargetUtilisation float64 `yaml:"target_utilisation"`
	MinInstances      int     `yaml:"min_instances"`
	NPlusOne          bool    `yaml:"n_plus_one"`
	// CapacityRPS gives the instance capacity when no capacity experiment ran.
	CapacityRPS float64 `yaml:"capacity_rps"`
	// ScaleCapacityByVCPU scales the measured capacity per instance type by
	// its vCPU count (an assumption, labelled as such).
	ScaleCapacityByVCPU bool `yaml:"scale_capacity_by_vcpu"`
	// LambdaManaged prices Lambda Managed Instances fleets too (nil: none).
	LambdaManaged *LambdaManaged `yaml:"lambda_managed"`
}

// LambdaManaged prices a measured multi-concurrent target (the reference
// server, or a function target) as a Lambda Managed Instances fleet:
// autoscaled hour by hour between the capacity provider's minimum and its
// max vCPU, at the EC2 on-demand price + the management fee + a fee per
// request.
type LambdaManaged struct {
	// Instances are the instance types priced (C, M, R families; default
	// pricing.instances, else m7g.large).
	Instances []string `yaml:"instances"`
	// MinInstances is the capacity provider's minimum (default 3).
	MinInstances int `yaml:"min_instances"`
	// MaxVCPU is the capacity provider's MaxVCpuCount (default 15000).
	MaxVCPU int `yaml:"max_vcpu"`
	// TargetUtilisation is the share of the measured capacity each
	// instance is run at (default pricing.target_utilisation).
	TargetUtilisation float64 `yaml:"target_utilisation"`
	// CapacityTarget names the capacity search whose result sizes the
	// fleet (a target of experiments.capacity; default the first that
	// found a capacity).
	CapacityTarget string `yaml:"capacity_target"`
}

// Profile is the monthly traffic profile used for monthly costs.
type Profile struct {
	MonthlyRequests float64 `yaml:"monthly_requests"`
	AverageRPS      float64 `yaml:"average_rps"`
	// Shape is constant, diurnal or trace.
	Shape         string  `yaml:"shape"`
	PeakToAverage float64 `yaml:"peak_to_average"`
	PeakHours     float64 `yaml:"peak_hours"`
	Trace         string  `yaml:"trace"`
	TraceFormat   string  `yaml:"trace_format"`
}

// HostBusy sets when a phase counts as host_busy: processes outside the
// run used more than ForeignCores cores on average (or 4× that in the p95
// second), the hypervisor stole more than StealFraction of the CPU time, or
// tasks waited for memory more than MemoryStallFraction of the time (PSI).
// Zero fields keep their defaults (hostload.DefaultRule).
type HostBusy struct {
	ForeignCores        float64 `yaml:"foreign_cores"`
	StealFraction       float64 `yaml:"steal_fraction"`
	MemoryStallFraction float64 `yaml:"memory_stall_fraction"`
}

// Output says where and what benchctl writes.
type Output struct {
	Dir     string   `yaml:"dir"`
	Formats []string `yaml:"formats"`
}

// AllTargets returns the targets the sweep covers, in order: Target, then
// Targets, each once (nil for a nil sweep).
func (m *MemorySweep) AllTargets() []string {
	if m == nil {
		return nil
	}
	var out []string
	for _, name := range append([]string{m.Target}, m.Targets...) {
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// Distributed engines (Distributed.Engine).
const (
	EngineLocalLambda = "local-lambda"
	EngineLambda      = "lambda"
	EngineKubernetes  = "kubernetes"
)

// Engines lists the distributed engines.
func Engines() []string { return []string{EngineLocalLambda, EngineLambda, EngineKubernetes} }

// Distributed runs the same seeded scenario from Workers generators on an
// engine and merges their records into one run directory (the distributed
// block; `benchctl run --engine --workers` override it).
type Distributed struct {
	// Engine is local-lambda (default: the local platform on this machine),
	// lambda or kubernetes.
	Engine string `yaml:"engine"`
	// Workers is the number of generators (1–1024).
	Workers int `yaml:"workers"`
	// Regions weights the workers' regions (lambda), e.g. {us-east-1: 0.5}.
	Regions map[string]float64 `yaml:"regions"`
	// Function is the worker function's name (lambda, local-lambda).
	Function string `yaml:"function"`
	// MemoryMB is the worker function's memory (lambda, local-lambda).
	MemoryMB int `yaml:"memory_mb"`
	// Timeout is the worker function's timeout (lambda, local-lambda; at
	// most 15m): it sets the window length.
	Timeout time.Duration `yaml:"timeout"`
	// Window overrides the window length derived from Timeout.
	Window time.Duration `yaml:"window"`
	// Store is s3://bucket/prefix (lambda, kubernetes; local-lambda uses a
	// loopback store), StoreRegion its region.
	Store       string `yaml:"store"`
	StoreRegion string `yaml:"store_region"`
	// LeadTime, ReadyTimeout, LateBound and PhaseGap tune the start.
	LeadTime     time.Duration `yaml:"lead_time"`
	ReadyTimeout time.Duration `yaml:"ready_timeout"`
	LateBound    time.Duration `yaml:"late_bound"`
	PhaseGap     time.Duration `yaml:"phase_gap"`
	// NTPServer is an SNTP server (host[:port]) for clock offsets.
	NTPServer string `yaml:"ntp_server"`
	// AllowPartial merges a run with gaps without failing it.
	AllowPartial bool `yaml:"allow_partial"`
	// StoreEndpoint is an S3-compatible endpoint for store (MinIO, ...;
	// path-style addressing); empty: AWS S3.
	StoreEndpoint string `yaml:"store_endpoint"`
	// Role is the IAM role ARN engine lambda gives the worker function it
	// creates; Zip a worker package the user built (default: one made from
	// the running binary when it is a Linux one); Architecture the
	// package's (x86_64, arm64; default the running binary's).
	Role         string `yaml:"role"`
	Zip          string `yaml:"zip"`
	Architecture string `yaml:"architecture"`
	// Kubernetes configures engine kubernetes's Indexed Job.
	Kubernetes *KubernetesEngine `yaml:"kubernetes"`
}

// KubernetesEngine is the worker Job of engine kubernetes.
type KubernetesEngine struct {
	// Namespace (default: the kubeconfig context's, else default), Image
	// (required: it must hold benchctl), Command (default [benchctl,
	// worker]), ImagePullPolicy.
	Namespace       string   `yaml:"namespace"`
	Image           string   `yaml:"image"`
	Command         []string `yaml:"command"`
	ImagePullPolicy string   `yaml:"image_pull_policy"`
	// ServiceAccount runs the pods (e.g. bound to an IAM role for the
	// store); CredentialsSecret names an existing Secret of store
	// credentials; CopyCredentials puts the coordinator's AWS credentials
	// into a Secret made for the run (deleted after it).
	ServiceAccount    string `yaml:"service_account"`
	CredentialsSecret string `yaml:"credentials_secret"`
	CopyCredentials   bool   `yaml:"copy_credentials"`
	// CPU and Memory are each pod's requests and limits (Kubernetes
	// quantities); NodeSelector constrains its nodes.
	CPU          string            `yaml:"cpu"`
	Memory       string            `yaml:"memory"`
	NodeSelector map[string]string `yaml:"node_selector"`
	// Kubeconfig and Context pick the cluster (default: $KUBECONFIG or
	// ~/.kube/config and its current context, else in-cluster).
	Kubeconfig string `yaml:"kubeconfig"`
	Context    string `yaml:"context"`
}

// SLOFor returns the SLO a target's phases are judged against: the
// target's own slo: when it has one, else the scenario's global slo: when
// it sets anything, else nil. It is the one rule every summary, experiment
// flag and price analysis uses.
func (s *Scenario) SLOFor(target string) *SLO {
	if s == nil {
		return nil
	}
	for i := range s.Targets {
		if s.Targets[i].Name == target && s.Targets[i].SLO != nil {
			return s.Targets[i].SLO
		}
	}
	if s.SLO != (SLO{}) {
		g := s.SLO
		return &g
	}
	return nil
}
