package scenarios

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestUntilDefaults(t *testing.T) {
	t.Parallel()
	s, err := Parse("scenario.yaml", []byte(`version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], traffic: {model: constant, rate: 5}, until: {ci_rel_width: 0.1, max_duration: 2m}}
experiments:
  capacity: {target: a, slo: {p99_ms: 100}, min_rps: 1, max_rps: 10, until: {ci_rel_width: 0.2, metric: p50, max_duration: 30s, min_requests: 50}}
host_busy: {foreign_cores: 0.5}
`))
	if err != nil {
		t.Fatal(err)
	}
	ph := s.Phases[0]
	if ph.Duration != 2*time.Minute || ph.Until.Metric != DefaultUntilMetric {
		t.Errorf("phase duration %v metric %q, want max_duration and %q", ph.Duration, ph.Until.Metric, DefaultUntilMetric)
	}
	if c := s.Experiments.Capacity; c.StepDuration != 30*time.Second || c.Until.Metric != "p50" || c.Until.MinRequests != 50 {
		t.Errorf("capacity %+v until %+v", c, c.Until)
	}
	if s.HostBusy == nil || s.HostBusy.ForeignCores != 0.5 {
		t.Errorf("host_busy %+v", s.HostBusy)
	}
}

func TestUntilAndHostBusyErrors(t *testing.T) {
	t.Parallel()
	src := `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}, until: {ci_rel_width: 1.5, metric: p90, max_duration: 0s, min_requests: -1}}
  - {name: q, targets: [a], traffic: {model: constant, rate: 5}, until: {metric: p50}}
experiments:
  capacity: {target: a, slo: {p99_ms: 100}, min_rps: 1, max_rps: 10, step_duration: 5s, until: {ci_rel_width: 0.1, max_duration: 10s}}
host_busy: {foreign_cores: 0, steal_fraction: 2}
`
	want := []string{
		"scenario.yaml:6:39: phases[0].duration: not with until: until.max_duration bounds the phase, which stops earlier once its interval is narrow enough",
		"scenario.yaml:6:102: phases[0].until.ci_rel_width: must be a fraction in (0, 1) (got 1.5)",
		"scenario.yaml:6:115: phases[0].until.metric: must be one of p50, p99, cost_per_million (got \"p90\")",
		"scenario.yaml:6:134: phases[0].until.max_duration: must be > 0 (got 0s)",
		"scenario.yaml:6:152: phases[0].until.min_requests: must be >= 0 (got -1)",
		"scenario.yaml:7:73: phases[1].until.ci_rel_width: required (the relative half-width to reach, e.g. 0.10 for ±10%)",
		"scenario.yaml:7:73: phases[1].until.max_duration: required (the most the phase or step may run)",
		"scenario.yaml:9:85: experiments.capacity.step_duration: not with until: until.max_duration bounds each step",
		"scenario.yaml:10:28: host_busy.foreign_cores: must be > 0 cores (got 0)",
		"scenario.yaml:10:47: host_busy.steal_fraction: must be a fraction in (0, 1] (got 2)",
	}
	_, err := Parse("scenario.yaml", []byte(src))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a *ValidationError", err)
	}
	var got []string
	for _, fe := range ve.Errors {
		got = append(got, fe.Error())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestTrialsAndUntilNotDistributed: a distributed run cannot interleave
// trials or stop on one interval across workers yet.
func TestTrialsAndUntilNotDistributed(t *testing.T) {
	t.Parallel()
	_, err := Parse("scenario.yaml", []byte(`version: 1
name: t
trials: 3
distributed: {workers: 2}
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x"}
phases:
  - {name: p, targets: [a], traffic: {model: constant, rate: 5}, until: {ci_rel_width: 0.1, max_duration: 10s}}
`))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a *ValidationError", err)
	}
	got := ve.Error()
	for _, want := range []string{"trials: not supported with distributed", "phases[0].until: not supported with distributed"} {
		if !strings.Contains(got, want) {
			t.Errorf("errors %q lack %q", got, want)
		}
	}
}
