package loadgen

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/scenarios"
)

// TestPlannedHitsMatchesSchedule: the bound validate computes without
// building a schedule is the count NewSchedule builds (exactly for
// uniform arrivals and traces, within 5 standard deviations for Poisson).
func TestPlannedHitsMatchesSchedule(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{
		"counts.csv": []byte("60\n120\n0\n30\n"),
		"ts.csv":     []byte("timestamp\n10\n10.5\n11\n40\n70\n"),
	}
	read := func(name string) ([]byte, error) { return files[name], nil }
	tests := []struct {
		name    string
		tr      scenarios.Traffic
		d       time.Duration
		poisson bool
	}{
		{"constant", scenarios.Traffic{Model: "constant", Rate: 37}, 10 * time.Second, false},
		{"poisson", scenarios.Traffic{Model: "poisson", Rate: 200}, 10 * time.Second, true},
		{"ramp", scenarios.Traffic{Model: "ramp", From: 5, To: 95}, 20 * time.Second, false},
		{"step", scenarios.Traffic{Model: "step", Start: 10, Step: 10, Every: 2 * time.Second, Max: 50}, 15 * time.Second, false},
		{"sine", scenarios.Traffic{Model: "sine", Mean: 50, Amplitude: 20, Period: 4 * time.Second}, 10 * time.Second, false},
		{"burst", scenarios.Traffic{Model: "burst", Base: 2, Peak: 80, Every: 5 * time.Second, Length: time.Second}, 20 * time.Second, false},
		{"trace counts", scenarios.Traffic{Model: "trace", File: "counts.csv", Format: "per-minute-counts", TimeScale: 60}, 3 * time.Second, false},
		{"trace timestamps", scenarios.Traffic{Model: "trace", File: "ts.csv", Format: "timestamps", TimeScale: 10}, 5 * time.Second, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := ScheduleOptions{Seed: 7, ReadFile: read}
			got, err := PlannedHits(tc.tr, tc.d, opts)
			if err != nil {
				t.Fatal(err)
			}
			s, err := NewSchedule(tc.tr, tc.d, opts)
			if err != nil {
				t.Fatal(err)
			}
			n := float64(s.Len())
			tol := 1.0 // uniform: the hit at t=0 and the cut at the end
			if tc.poisson {
				tol = 5 * math.Sqrt(got)
			}
			if math.Abs(n-got) > tol {
				t.Errorf("PlannedHits = %.2f, schedule has %d hits (tolerance %.1f)", got, s.Len(), tol)
			}
		})
	}
}

// TestPlannedHitsRefuses: what would exhaust memory or time is refused
// before anything is built, as NewSchedule refuses it.
func TestPlannedHitsRefuses(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{"nan.csv": []byte("5\nNaN\n"), "empty.csv": nil}
	read := func(name string) ([]byte, error) { return files[name], nil }
	tests := []struct {
		name string
		tr   scenarios.Traffic
		d    time.Duration
		want error
	}{
		{"1e6 rps for 10 min", scenarios.Traffic{Model: "constant", Rate: 1e6}, 10 * time.Minute, ErrScheduleTooLarge},
		{"1e300 rps", scenarios.Traffic{Model: "poisson", Rate: 1e300}, time.Second, ErrScheduleTooLarge},
		{"step every 1ns", scenarios.Traffic{Model: "step", Start: 1, Step: 1, Every: 1, Max: 2}, time.Minute, ErrScheduleTooLarge},
		{"burst every 2ns", scenarios.Traffic{Model: "burst", Base: 1, Peak: 2, Every: 2, Length: 1}, time.Minute, ErrScheduleTooLarge},
		{"NaN count", scenarios.Traffic{Model: "trace", File: "nan.csv", Format: "per-minute-counts"}, time.Minute, ErrTrace},
		{"empty trace", scenarios.Traffic{Model: "trace", File: "empty.csv", Format: "per-minute-counts"}, time.Minute, ErrTrace},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			begin := time.Now()
			_, err := PlannedHits(tc.tr, tc.d, ScheduleOptions{ReadFile: read})
			if !errors.Is(err, tc.want) {
				t.Fatalf("PlannedHits: %v, want %v", err, tc.want)
			}
			if el := time.Since(begin); el > 100*time.Millisecond {
				t.Errorf("took %v", el)
			}
			if _, err := NewSchedule(tc.tr, tc.d, ScheduleOptions{ReadFile: read}); !errors.Is(err, tc.want) {
				t.Errorf("NewSchedule: %v, want %v", err, tc.want)
			}
		})
	}
}

// TestCheckScenarioPositions: problems come back at the field a user edits.
func TestCheckScenarioPositions(t *testing.T) {
	t.Parallel()
	s, err := scenarios.Parse("s.yaml", []byte(`version: 1
name: x
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/"}
phases:
  - {name: ok, targets: [a], duration: 10s, traffic: {model: constant, rate: 5}}
  - {name: big, targets: [a], duration: 10m, traffic: {model: constant, rate: 1000000}}
experiments:
  capacity: {target: a, min_rps: 1, max_rps: 1e12, step_duration: 10s, slo: {p99_ms: 100}}
`))
	if err != nil {
		t.Fatal(err)
	}
	errs := CheckScenario(context.Background(), s)
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := []string{
		"s.yaml:7:55: phases[1].traffic: 6e+08 hits planned in 10m0s: schedule too large",
		"s.yaml:9:46: experiments.capacity.max_rps: a step at max_rps 1e+12 for 20s",
	}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %d problems", got, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d = %q, want prefix %q", i, got[i], want[i])
		}
	}
}
