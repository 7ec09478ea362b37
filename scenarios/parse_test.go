package scenarios

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// valid is a small valid scenario; malformed cases are written out in full
// so that every expected line:col can be checked by eye.
const valid = `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`

func TestParseValid(t *testing.T) {
	t.Parallel()
	s, err := Parse("scenario.yaml", []byte(valid))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	tg := s.Targets[0]
	if got, want := tg.Method, DefaultMethodNoBody; got != want {
		t.Errorf("method = %q, want %q", got, want)
	}
	if got, want := tg.Timeout, DefaultTimeout; got != want {
		t.Errorf("timeout = %v, want %v", got, want)
	}
	if got, want := tg.MaxBodyBytes, DefaultMaxBodyBytes; got != want {
		t.Errorf("max_body_bytes = %d, want %d", got, want)
	}
	if got, want := s.Seed, DefaultSeed; got != want {
		t.Errorf("seed = %d, want %d", got, want)
	}
	ph := s.Phases[0]
	if got, want := ph.Duration, time.Second; got != want {
		t.Errorf("duration = %v, want %v", got, want)
	}
	if got, want := ph.Traffic.Arrivals, DefaultArrivals; got != want {
		t.Errorf("arrivals = %q, want %q", got, want)
	}
	if got, want := ph.MaxInFlight, DefaultMaxInFlight; got != want {
		t.Errorf("max_in_flight = %d, want %d", got, want)
	}
	if !ph.Recorded() {
		t.Error("phase not recorded by default")
	}
	if got, want := strings.Join(s.Output.Formats, ","), "html,md,json,png"; got != want {
		t.Errorf("formats = %q, want %q", got, want)
	}
	if s.Pricing.MaxSpend == nil || *s.Pricing.MaxSpend != DefaultMaxSpendUSD {
		t.Errorf("max_spend_usd = %v, want %v", s.Pricing.MaxSpend, DefaultMaxSpendUSD)
	}
	if string(s.Raw) != valid {
		t.Error("Raw is not the exact input")
	}
}

func TestParseDefaultsWithBody(t *testing.T) {
	t.Parallel()
	src := `version: 1
name: t
seed: 0
functions:
  - {name: f, command: [x], architecture: arm64}
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
  - {name: b, kind: local-lambda, function: f}
payloads: {inline: [hello, {text: bye}]}
phases:
  - {name: p, targets: [a, b], duration: 1s, traffic: {model: trace, file: data/trace-per-minute.csv, format: azure-functions}}
experiments:
  memory_sweep: {target: b, memory_sizes: [256, 512]}
  cold_starts: {target: b}
`
	s, err := Parse("scenario.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"seed explicitly 0", s.Seed, uint64(0)},
		{"http method with body", s.Targets[0].Method, DefaultMethodWithBody},
		{"lambda arch from function", s.Targets[1].Architecture, "arm64"},
		{"function memory", s.Functions[0].MemorySize, DefaultFunctionMemorySize},
		{"function timeout", s.Functions[0].Timeout, DefaultFunctionTimeout},
		{"function idle", s.Functions[0].IdleTimeout, DefaultIdleTimeout},
		{"payload body", s.Payloads.Body, DefaultBody},
		{"payload order", s.Payloads.Order, DefaultOrder},
		{"inline string item", s.Payloads.Inline[0]["text"], "hello"},
		{"inline map item", s.Payloads.Inline[1]["text"], "bye"},
		{"trace arrivals", s.Phases[0].Traffic.Arrivals, DefaultTraceArrivals},
		{"trace time scale", s.Phases[0].Traffic.TimeScale, DefaultTimeScale},
		{"sweep phases", strings.Join(s.Experiments.MemorySweep.Phases, ","), "p"},
		{"cold samples", s.Experiments.ColdStarts.Samples, DefaultColdStartSamples},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestParseMalformed is the table of malformed scenarios: each produces
// exactly the listed errors, in order.
func TestParseMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "unknown top-level key",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phase:
  - {name: p}
`,
			want: []string{
				"scenario.yaml:1:1: phases: at least one phase is required",
				"scenario.yaml:5:1: phase: unknown field (did you mean phases?)",
			},
		},
		{
			name: "unknown target field",
			src: `version: 1
name: t
targets:
  - name: a
    kind: http
    urll: "http://127.0.0.1:1/x"
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:4:5: targets[0].url: required for kind http",
				"scenario.yaml:6:5: targets[0].urll: unknown field (did you mean url?)",
			},
		},
		{
			name: "unknown field far from any",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
colour: blue
`,
			want: []string{
				"scenario.yaml:7:1: colour: unknown field (allowed: description, distributed, experiments, functions, host_busy, name, output, payloads, phases, pricing, seed, servers, slo, targets, trials, version)",
			},
		},
		{
			name: "rate wrong type",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - name: p
    targets: [a]
    duration: 1s
    traffic: {model: constant, rate: fast}
`,
			want: []string{
				"scenario.yaml:9:38: phases[0].traffic.rate: must be a number (got \"fast\")",
			},
		},
		{
			name: "negative rate",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: w, targets: [a], duration: 1s, traffic: {model: constant, rate: 1}}
  - name: p
    targets: [a]
    duration: 1s
    traffic:
      model: poisson
      rate: -3
`,
			want: []string{
				"scenario.yaml:12:13: phases[1].traffic.rate: must be > 0 (got -3)",
			},
		},
		{
			name: "duration does not parse",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 10 seconds, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:6:39: phases[0].duration: must be a duration like 30s or 2m (got \"10 seconds\")",
			},
		},
		{
			name: "duration without unit",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 30, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:6:39: phases[0].duration: must be a duration like 30s or 2m (got 30)",
			},
		},
		{
			name: "target name used twice",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
  - {name: a, kind: http, url: "http://127.0.0.1:2/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:5:12: targets[1].name: target name \"a\" used twice",
			},
		},
		{
			name: "phase names a missing target",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a, b], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:6:28: phases[0].targets[1]: no target named \"b\" (targets: a)",
			},
		},
		{
			name: "kind outside enum",
			src: `version: 1
name: t
targets:
  - {name: a, kind: grpc, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:4:21: targets[0].kind: must be one of http, aws-lambda, local-lambda, lambda-url (got \"grpc\")",
			},
		},
		{
			name: "model outside enum",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - name: p
    targets: [a]
    duration: 1s
    traffic: {model: linear, rate: 5}
`,
			want: []string{
				"scenario.yaml:9:22: phases[0].traffic.model: must be one of constant, poisson, ramp, step, sine, burst, trace (got \"linear\")",
			},
		},
		{
			name: "version missing",
			src: `name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:1:1: version: required (this benchctl reads version: 1)",
			},
		},
		{
			name: "version unsupported",
			src: `version: 2
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:1:10: version: unsupported version (got 2; this benchctl reads version 1)",
			},
		},
		{
			name: "name not a file name",
			src: `version: 1
name: my run
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:2:7: name: must be letters, digits, '.', '_' or '-', starting with a letter or digit (got \"my run\")",
			},
		},
		{
			name: "http url relative without server",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: /v1/sentiment}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:4:32: targets[0].url: must be an absolute http:// or https:// URL (got \"/v1/sentiment\")",
			},
		},
		{
			name: "server unknown and url absolute",
			src: `version: 1
name: t
servers:
  - {name: ref, model: tinybert-4l-312}
targets:
  - {name: a, kind: http, server: reff, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:6:35: targets[0].server: no server named \"reff\" in servers",
				"scenario.yaml:6:46: targets[0].url: must be a path like /v1/sentiment when server is set (got \"http://127.0.0.1:1/x\")",
			},
		},
		{
			name: "aws-lambda without function and region",
			src: `version: 1
name: t
targets:
  - {name: a, kind: aws-lambda, endpoint: "localhost:9001"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:4:5: targets[0].function: required for kind aws-lambda",
				"scenario.yaml:4:5: targets[0].region: required for kind aws-lambda",
				"scenario.yaml:4:43: targets[0].endpoint: must be an absolute http:// or https:// URL (got \"localhost:9001\")",
			},
		},
		{
			name: "local-lambda names a missing function",
			src: `version: 1
name: t
functions:
  - {name: f, command: [benchctl, function]}
targets:
  - {name: a, kind: local-lambda, function: g, url: "http://x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:6:45: targets[0].function: no function named \"g\" in functions",
				"scenario.yaml:6:53: targets[0].url: does not apply to kind local-lambda",
			},
		},
		{
			name: "lambda-url needs url and function",
			src: `version: 1
name: t
targets:
  - {name: a, kind: lambda-url, region: Frankfurt}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:4:5: targets[0].url: required for kind lambda-url",
				"scenario.yaml:4:5: targets[0].function: required for kind lambda-url (its logs give the billed duration)",
				"scenario.yaml:4:41: targets[0].region: must be an AWS region like us-east-1 (got \"Frankfurt\")",
			},
		},
		{
			name: "method timeout and body cap",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x", method: FETCH, timeout: -1s, max_body_bytes: -1}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:4:64: targets[0].method: must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS (got \"FETCH\")",
				"scenario.yaml:4:80: targets[0].timeout: must be > 0 (got -1s)",
				"scenario.yaml:4:101: targets[0].max_body_bytes: must be >= 0 (got -1)",
			},
		},
		{
			name: "billing enums",
			src: `version: 1
name: t
targets:
  - name: a
    kind: http
    url: "http://127.0.0.1:1/x"
    billing: {platform: azure-functions, plan: premium, memory_mb: 64, architecture: arm}
  - name: b
    kind: http
    url: "http://127.0.0.1:1/x"
    billing: {platform: heroku}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:7:48: targets[0].billing.plan: must be one of consumption, flex-consumption (got \"premium\")",
				"scenario.yaml:7:68: targets[0].billing.memory_mb: must be between 128 and 32768 (got 64)",
				"scenario.yaml:7:86: targets[0].billing.architecture: must be one of x86_64, arm64 (got \"arm\")",
				"scenario.yaml:11:25: targets[1].billing.platform: must be one of aws-lambda, cloud-run, azure-functions, sagemaker-serverless (got \"heroku\")",
			},
		},
		{
			name: "payloads",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
payloads: {file: data/reviews.csv, order: shuffle, body: '{"text": {{json .text}'}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:5:18: payloads.file: must be a .txt or .jsonl file (got \"data/reviews.csv\")",
				"scenario.yaml:5:43: payloads.order: must be one of sequential, random (got \"shuffle\")",
				"scenario.yaml:5:58: payloads.body: parse body template: template: payloads:1: bad character U+007D '}'",
			},
		},
		{
			name: "payload file missing",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
payloads:
  file: data/nope.txt
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:6:9: payloads.file: cannot read data/nope.txt: no such file or directory",
			},
		},
		{
			name: "phase name twice and zero duration",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
  - {name: p, targets: [a], duration: 0s, max_in_flight: -1, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:7:12: phases[1].name: phase name \"p\" used twice",
				"scenario.yaml:7:39: phases[1].duration: must be > 0 (got 0s)",
				"scenario.yaml:7:58: phases[1].max_in_flight: must be >= 0 (got -1)",
			},
		},
		{
			name: "field not applicable to model",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - name: p
    targets: [a]
    duration: 1s
    traffic: {model: constant, rate: 5, from: 1, period: 1m}
`,
			want: []string{
				"scenario.yaml:9:47: phases[0].traffic.from: does not apply to model constant (its fields: rate, arrivals)",
				"scenario.yaml:9:58: phases[0].traffic.period: does not apply to model constant (its fields: rate, arrivals)",
			},
		},
		{
			name: "ramp missing to",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - name: p
    targets: [a]
    duration: 1s
    traffic: {model: ramp, from: 1}
`,
			want: []string{
				"scenario.yaml:9:14: phases[0].traffic.to: required for model ramp",
			},
		},
		{
			name: "step max below start",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - name: p
    targets: [a]
    duration: 1s
    traffic: {model: step, start: 10, step: 5, every: 1s, max: 5}
`,
			want: []string{
				"scenario.yaml:9:64: phases[0].traffic.max: must be >= start (got 5 < 10)",
			},
		},
		{
			name: "sine amplitude not below mean",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - name: p
    targets: [a]
    duration: 1s
    traffic: {model: sine, mean: 10, amplitude: 10, period: 0s}
`,
			want: []string{
				"scenario.yaml:9:49: phases[0].traffic.amplitude: must be < mean (got 10 >= 10)",
				"scenario.yaml:9:61: phases[0].traffic.period: must be > 0 (got 0s)",
			},
		},
		{
			name: "burst peak and length",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - name: p
    targets: [a]
    duration: 1s
    traffic: {model: burst, base: 10, peak: 5, every: 10s, length: 10s}
`,
			want: []string{
				"scenario.yaml:9:45: phases[0].traffic.peak: must be > base (got 5 <= 10)",
				"scenario.yaml:9:68: phases[0].traffic.length: must be < every (got 10s >= 10s)",
			},
		},
		{
			name: "trace without file and bad format",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - name: p
    targets: [a]
    duration: 1s
    traffic: {model: trace, format: csv, time_scale: -1}
`,
			want: []string{
				"scenario.yaml:9:14: phases[0].traffic.file: required for model trace",
				"scenario.yaml:9:37: phases[0].traffic.format: must be one of per-minute-counts, timestamps, azure-functions (got \"csv\")",
				"scenario.yaml:9:54: phases[0].traffic.time_scale: must be > 0 (got -1)",
			},
		},
		{
			name: "arrivals outside enum",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - name: p
    targets: [a]
    duration: 1s
    traffic: {model: ramp, from: 0, to: 10, arrivals: bursty}
`,
			want: []string{
				"scenario.yaml:9:55: phases[0].traffic.arrivals: must be one of uniform, poisson (got \"bursty\")",
			},
		},
		{
			name: "slo bounds",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
slo: {p99_ms: 0, error_rate: 1.5}
`,
			want: []string{
				"scenario.yaml:7:15: slo.p99_ms: must be > 0 (got 0)",
				"scenario.yaml:7:30: slo.error_rate: must be between 0 and 1 (got 1.5)",
			},
		},
		{
			name: "function fields",
			src: `version: 1
name: t
functions:
  - name: f
    command: []
    memory_size: 64
    timeout: 20m
    reserved_concurrency: -1
    architecture: x86
    idle_timeout: -1s
  - {name: f, command: [x]}
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:5:14: functions[0].command: required: the argv list that starts an instance, e.g. [benchctl, function, --model, tinybert-4l-312]",
				"scenario.yaml:6:18: functions[0].memory_size: must be between 128 and 10240 MB (got 64)",
				"scenario.yaml:7:14: functions[0].timeout: must be between 1s and 15m (got 20m0s)",
				"scenario.yaml:8:27: functions[0].reserved_concurrency: must be >= 0 (got -1)",
				"scenario.yaml:9:19: functions[0].architecture: must be one of x86_64, arm64 (got \"x86\")",
				"scenario.yaml:10:19: functions[0].idle_timeout: must be >= 0 (got -1s)",
				"scenario.yaml:11:12: functions[1].name: function name \"f\" used twice",
			},
		},
		{
			name: "server fields",
			src: `version: 1
name: t
servers:
  - {name: s, workers: -1, max_batch: -2}
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:4:5: servers[0].model: required (e.g. tinybert-4l-312)",
				"scenario.yaml:4:24: servers[0].workers: must be >= 0 (got -1)",
				"scenario.yaml:4:39: servers[0].max_batch: must be >= 0 (got -2)",
			},
		},
		{
			name: "memory sweep",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
experiments:
  memory_sweep: {target: a, memory_sizes: [64, 512, 512], phases: [p, q]}
`,
			want: []string{
				"scenario.yaml:8:26: experiments.memory_sweep.target: target \"a\" is of kind http; needs one of aws-lambda, local-lambda, lambda-url",
				"scenario.yaml:8:44: experiments.memory_sweep.memory_sizes[0]: must be between 128 and 10240 MB (got 64)",
				"scenario.yaml:8:53: experiments.memory_sweep.memory_sizes[2]: memory size 512 listed twice",
				"scenario.yaml:8:71: experiments.memory_sweep.phases[1]: no phase named \"q\" (phases: p)",
			},
		},
		{
			name: "cold starts and capacity",
			src: `version: 1
name: t
functions:
  - {name: f, command: [x]}
targets:
  - {name: a, kind: local-lambda, function: f}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
experiments:
  cold_starts: {target: a, samples: 0}
  capacity: {target: zz, min_rps: 10, max_rps: 10, tolerance: 1, step_duration: 0s}
`,
			want: []string{
				"scenario.yaml:10:37: experiments.cold_starts.samples: must be between 1 and 1000 (got 0)",
				"scenario.yaml:11:13: experiments.capacity.slo: needs a latency objective (p50_ms, p95_ms or p99_ms) here or in the top-level slo",
				"scenario.yaml:11:22: experiments.capacity.target: no target named \"zz\" (targets: a)",
				"scenario.yaml:11:48: experiments.capacity.max_rps: must be > min_rps (got 10 <= 10)",
				"scenario.yaml:11:63: experiments.capacity.tolerance: must be between 0 and 1, exclusive (got 1)",
				"scenario.yaml:11:81: experiments.capacity.step_duration: must be > 0 (got 0s)",
			},
		},
		{
			name: "pricing",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
pricing:
  region: US East
  fleet: elastic
  target_utilisation: 0
  architectures: [x86_64, amd64]
  max_spend_usd: -1
  profile: {monthly_requests: 1000, average_rps: 2, shape: weekly, peak_to_average: 0.5}
`,
			want: []string{
				"scenario.yaml:8:11: pricing.region: must be a region like us-east-1 or eu-west-1 (got \"US East\")",
				"scenario.yaml:9:10: pricing.fleet: must be one of fixed, autoscaled (got \"elastic\")",
				"scenario.yaml:10:23: pricing.target_utilisation: must be in (0, 1] (got 0)",
				"scenario.yaml:11:27: pricing.architectures[1]: must be one of x86_64, arm64 (got \"amd64\")",
				"scenario.yaml:12:18: pricing.max_spend_usd: must be >= 0 (got -1)",
				"scenario.yaml:13:50: pricing.profile.average_rps: set monthly_requests or average_rps, not both",
				"scenario.yaml:13:60: pricing.profile.shape: must be one of constant, diurnal, trace (got \"weekly\")",
				"scenario.yaml:13:85: pricing.profile.peak_to_average: must be >= 1 (got 0.5)",
			},
		},
		{
			name: "output formats",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
output: {formats: [html, pdf, html]}
`,
			want: []string{
				"scenario.yaml:7:26: output.formats[1]: must be one of html, md, json, png, svg (got \"pdf\")",
				"scenario.yaml:7:31: output.formats[2]: format \"html\" listed twice",
			},
		},
		{
			name: "duplicate key",
			src: `version: 1
name: t
name: u
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:3:1: name: duplicate key (first at line 2)",
			},
		},
		{
			name: "yaml syntax error",
			src: `version: 1
name: t
targets: [a, b
`,
			want: []string{
				"scenario.yaml:3: yaml syntax: did not find expected ',' or ']'",
			},
		},
		{
			name: "targets is a mapping",
			src: `version: 1
name: t
targets: {name: a}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:3:10: targets: must be a list (got a mapping)",
			},
		},
		{
			name: "record is not a bool",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, record: "no", traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:6:51: phases[0].record: must be true or false (got \"no\")",
			},
		},
		{
			name: "empty file",
			src:  ``,
			want: []string{
				"scenario.yaml:1:1: empty file (expected a mapping starting with version: 1)",
			},
		},
		{
			name: "two documents",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
---
version: 1
`,
			want: []string{
				"scenario.yaml:7:1: more than one YAML document (only one is allowed)",
			},
		},
		{
			name: "seed negative",
			src: `version: 1
name: t
seed: -1
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:3:7: seed: must be a non-negative integer (got -1)",
			},
		},
		{
			name: "string field given a list",
			src: `version: 1
name: [t]
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:2:7: name: must be a string (got a list)",
			},
		},
		{
			name: "integer field given a fraction",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, max_in_flight: 1.5, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:6:58: phases[0].max_in_flight: must be an integer (got 1.5)",
			},
		},
		{
			name: "headers not a mapping",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x", headers: [x]}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:4:65: targets[0].headers: must be a mapping (got a list)",
			},
		},
		{
			name: "file and inline both, pairs without a and b",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
payloads:
  file: data/pairs.jsonl
  inline: [{a: x}]
  pairs: true
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:7:11: payloads.inline: set either file or inline, not both",
				"scenario.yaml:7:12: payloads.inline[0]: pairs needs non-empty string fields a and b",
			},
		},
		{
			name: "pairs from a txt corpus without tabs",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
payloads: {file: data/reviews.txt, pairs: true}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:5:18: payloads.file: data/reviews.txt:1: pairs in a .txt file need a tab between a and b",
			},
		},
		{
			name: "phase without targets duration and traffic",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - name: p
`,
			want: []string{
				"scenario.yaml:6:5: phases[0].targets: required",
				"scenario.yaml:6:5: phases[0].duration: required",
				"scenario.yaml:6:5: phases[0].traffic: required",
			},
		},
		{
			name: "fields of another kind",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x", function: f, region: us-east-1}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:4:66: targets[0].function: does not apply to kind http",
				"scenario.yaml:4:77: targets[0].region: does not apply to kind http",
			},
		},
		{
			name: "profile trace fields",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
pricing:
  profile: {shape: trace, trace_format: per-minute-counts}
`,
			want: []string{
				"scenario.yaml:8:12: pricing.profile.trace: required for shape trace",
			},
		},
		{
			name: "experiment further targets",
			src: `version: 1
name: t
functions:
  - {name: f, command: [x]}
targets:
  - {name: a, kind: local-lambda, function: f}
  - {name: h, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
slo: {p99_ms: 100}
experiments:
  memory_sweep: {target: a, memory_sizes: [512], targets: [a, h]}
  capacity: {target: h, targets: [x], min_rps: 1, max_rps: 2}
`,
			want: []string{
				"scenario.yaml:12:60: experiments.memory_sweep.targets[0]: target \"a\" listed twice (target included)",
				"scenario.yaml:12:63: experiments.memory_sweep.targets[1]: target \"h\" is of kind http; needs one of aws-lambda, local-lambda, lambda-url",
				"scenario.yaml:13:35: experiments.capacity.targets[0]: no target named \"x\" (targets: a, h)",
			},
		},
		{
			name: "swept phase does not send to the function",
			src: `version: 1
name: t
functions:
  - {name: f, command: [x]}
targets:
  - {name: a, kind: local-lambda, function: f}
  - {name: h, kind: http, url: "http://127.0.0.1:1/x", headers: {"Bad Header": x}}
phases:
  - {name: p, targets: [h], duration: 1s, traffic: {model: constant, rate: 5}}
experiments:
  memory_sweep: {target: a, memory_sizes: [512], phases: [p]}
`,
			want: []string{
				"scenario.yaml:7:66: targets[1].headers.Bad Header: not a valid header name (letters, digits and !#$%&'*+-.^_`|~)",
				"scenario.yaml:11:59: experiments.memory_sweep.phases[0]: phase \"p\" does not send to swept target \"a\"",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("scenario.yaml", []byte(tt.src))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a *ValidationError", err)
			}
			var got []string
			for _, fe := range ve.Errors {
				got = append(got, fe.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestCapacitySLOInheritsGlobal(t *testing.T) {
	t.Parallel()
	src := valid + `slo: {p99_ms: 200, p50_ms: 50, error_rate: 0.02}
experiments:
  capacity: {target: a, min_rps: 1, max_rps: 10, slo: {p99_ms: 100}}
`
	s, err := Parse("scenario.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c := s.Experiments.Capacity
	if got, want := c.SLO, (SLO{P50Ms: 50, P99Ms: 100, ErrorRate: 0.02}); got != want {
		t.Errorf("capacity slo = %+v, want %+v", got, want)
	}
	if c.StepDuration != DefaultCapacityStepDuration || c.Tolerance != DefaultCapacityTolerance || c.MinSamples != DefaultCapacityMinSamples {
		t.Errorf("capacity defaults not applied: %+v", c)
	}
}

func TestParseDistributed(t *testing.T) {
	t.Parallel()
	base := "version: 1\nname: d\ntargets:\n  - {name: a, kind: http, url: 'http://127.0.0.1:9/x'}\nphases:\n  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}\n"
	tests := []struct {
		name, block string
		wantErr     []string
	}{
		{"local default", "distributed: {workers: 4}\n", nil},
		{"lambda with regions", "distributed: {engine: lambda, workers: 4, store: 's3://b/p', regions: {us-east-1: 0.5, eu-west-1: 0.5}}\n", nil},
		{"unknown engine", "distributed: {engine: fargate}\n", []string{"distributed.engine: must be one of local-lambda, lambda, kubernetes"}},
		{"lambda needs a store", "distributed: {engine: lambda, workers: 2}\n", []string{"distributed.store: required for engine lambda"}},
		{"bad store", "distributed: {store: 'http://x'}\n", []string{"distributed.store: must be s3://bucket"}},
		{"too many workers", "distributed: {workers: 2000}\n", []string{"distributed.workers: must be between 1 and 1024"}},
		{"regions need lambda", "distributed: {workers: 2, regions: {us-east-1: 1}}\n", []string{"distributed.regions: applies to engine lambda only"}},
		{"more regions than workers", "distributed: {engine: lambda, store: 's3://b', workers: 1, regions: {us-east-1: 1, eu-west-1: 1}}\n", []string{"want at least one worker per region"}},
		{"timeout beyond lambda", "distributed: {timeout: 20m}\n", []string{"distributed.timeout: must be between 3s and 15m"}},
		{"kubernetes", "distributed: {engine: kubernetes, workers: 8, store: 's3://b/p', store_endpoint: 'https://minio.internal:9000', kubernetes: {image: 'r/benchctl:1', namespace: load, cpu: 500m, memory: 2Gi, node_selector: {pool: load}, credentials_secret: s3-creds}}\n", nil},
		{"kubernetes needs an image", "distributed: {engine: kubernetes, store: 's3://b/p', kubernetes: {namespace: load}}\n", []string{"distributed.kubernetes.image: required"}},
		{"kubernetes needs its block", "distributed: {engine: kubernetes, store: 's3://b/p'}\n", []string{"engine kubernetes needs distributed.kubernetes.image"}},
		{"kubernetes fields", "distributed: {engine: kubernetes, store: 's3://b/p', kubernetes: {image: i, namespace: Load_Test, cpu: lots, memory: '0', image_pull_policy: Sometimes}}\n",
			[]string{"distributed.kubernetes.namespace: must be a Kubernetes namespace name", "distributed.kubernetes.cpu: must be a positive Kubernetes quantity", "distributed.kubernetes.memory: must be a positive", "distributed.kubernetes.image_pull_policy: must be one of"}},
		{"kubernetes block needs its engine", "distributed: {engine: lambda, store: 's3://b/p', kubernetes: {image: i}}\n", []string{"distributed.kubernetes: applies to engine kubernetes only"}},
		{"lambda deploy fields", "distributed: {engine: lambda, store: 's3://b/p', role: 'arn:aws:iam::123456789012:role/w', architecture: arm64}\n", nil},
		{"missing zip", "distributed: {engine: lambda, store: 's3://b/p', zip: no-such-worker.zip}\n", []string{"distributed.zip: cannot read no-such-worker.zip"}},
		{"missing kubeconfig", "distributed: {engine: kubernetes, store: 's3://b/p', kubernetes: {image: i, kubeconfig: no-such-kubeconfig}}\n", []string{"distributed.kubernetes.kubeconfig: cannot read no-such-kubeconfig"}},
		{"bad role", "distributed: {engine: lambda, store: 's3://b/p', role: worker}\n", []string{"distributed.role: must be an IAM role ARN"}},
		{"role needs lambda", "distributed: {role: 'arn:aws:iam::123456789012:role/w'}\n", []string{"distributed.role: applies to engine lambda only"}},
		{"bad architecture", "distributed: {engine: lambda, store: 's3://b/p', architecture: amd64}\n", []string{"distributed.architecture: must be one of x86_64, arm64"}},
		{"bad store endpoint", "distributed: {engine: lambda, store: 's3://b/p', store_endpoint: 'minio:9000'}\n", []string{"distributed.store_endpoint: must be an http(s) URL"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("scenario.yaml", []byte(base+tc.block))
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted; want %v", tc.wantErr)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
