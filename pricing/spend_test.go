package pricing

import (
	"math"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/benchctl/benchctl/scenarios"
)

// TestStepTrafficRequests checks the closed form against the interval-by-
// interval sum it replaces, on random step models.
func TestStepTrafficRequests(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		start := rapid.Float64Range(-50, 500).Draw(t, "start")
		step := rapid.Float64Range(-40, 40).Draw(t, "step")
		max := rapid.SampledFrom([]float64{0, 1, 50, 300, 1000}).Draw(t, "max")
		every := rapid.Float64Range(0.5, 60).Draw(t, "every")
		D := rapid.Float64Range(0, 3600).Draw(t, "D")
		want := 0.0
		for tt := 0.0; tt < D; tt += every {
			r := start + step*(tt/every)
			if max > 0 {
				r = math.Min(r, max)
			}
			want += math.Max(0, r) * math.Min(every, D-tt)
		}
		got := stepTrafficRequests(start, step, max, every, D)
		if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
			t.Fatalf("got %v, want %v", got, want)
		}
	})
	// A 1 ns step over a day would take 8.64e13 iterations as a loop.
	start := time.Now()
	got := stepTrafficRequests(1, 0, 0, 1e-9, 86400)
	if el := time.Since(start); el > 10*time.Millisecond || !near(got, 86400, 1e-9) {
		t.Errorf("1 ns steps over a day: %v in %v, want 86400 at once", got, el)
	}
}

// TestCapacitySearchMaxRequests: the spend guard's bound for a capacity
// search follows the search's own budget (24 steps, 3 extensions of up to
// 2 step durations each, a 2 s warm-up), not 8 steps.
func TestCapacitySearchMaxRequests(t *testing.T) {
	t.Parallel()
	c := scenarios.Capacity{Target: "fn", MinRPS: 1, MaxRPS: 100, StepDuration: 10 * time.Second}
	n, note := CapacitySearchMaxRequests(c)
	// 1 rps × 2 s + 24 × (1 + 3 × 2) × 10 s × 100 rps.
	if want := 2.0 + 24*7*10*100; n != want {
		t.Errorf("bound = %v, want %v", n, want)
	}
	if !strings.Contains(note, "at most 24 steps") || !strings.Contains(note, "168002 requests") {
		t.Errorf("note = %q", note)
	}
	book := mustBook(t)
	sc := &scenarios.Scenario{
		Targets:     []scenarios.Target{{Name: "fn", Kind: "aws-lambda", Function: "f", Timeout: time.Second}, {Name: "fn2", Kind: "aws-lambda", Function: "g", Timeout: time.Second}},
		Experiments: scenarios.Experiments{Capacity: &scenarios.Capacity{Target: "fn", Targets: []string{"fn2"}, MinRPS: 1, MaxRPS: 100, StepDuration: 10 * time.Second}},
	}
	est, err := EstimateRunSpendWith(book, sc, nil, SpendOptions{FunctionMemoryMB: map[string]int{"fn": 1024, "fn2": 1024}})
	if err != nil {
		t.Fatal(err)
	}
	if len(est.Lines) != 2 || est.Lines[0].Requests != 168002 || est.Lines[1].Target != "fn2" {
		t.Fatalf("lines = %+v, want one per searched target with 168002 requests", est.Lines)
	}
	// 168,002 × (2e-7 + 1 GB × 1 s × 0.0000166667) per target.
	if want := d("168002").Mul(d("0.0000168667")).Mul(d("2")); !est.TotalUSD.Equal(want) {
		t.Errorf("total = %s, want %s", est.TotalUSD, want)
	}
}
