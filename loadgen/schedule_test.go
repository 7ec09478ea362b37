package loadgen

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/benchctl/benchctl/scenarios"
)

func TestPoissonSchedule(t *testing.T) {
	t.Parallel()
	const rate = 1000.0
	s, err := NewSchedule(scenarios.Traffic{Model: "poisson", Rate: rate}, 20*time.Second+500*time.Millisecond, ScheduleOptions{Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() < 20_000 {
		t.Fatalf("got %d arrivals, want ≥ 20000", s.Len())
	}
	offs := s.Offsets[:20_000]
	var sum, sum2 float64
	prev := time.Duration(0)
	for _, o := range offs {
		gap := (o - prev).Seconds()
		prev = o
		sum += gap
		sum2 += gap * gap
	}
	n := float64(len(offs))
	mean := sum / n
	sd := math.Sqrt(sum2/n - mean*mean)
	cv := sd / mean
	if math.Abs(mean-1/rate)/(1/rate) > 0.02 {
		t.Errorf("mean inter-arrival %.6f s, want %.6f ±2%%", mean, 1/rate)
	}
	if math.Abs(cv-1) > 0.05 {
		t.Errorf("coefficient of variation %.4f, want 1 ±0.05", cv)
	}
	again, _ := NewSchedule(scenarios.Traffic{Model: "poisson", Rate: rate}, 20*time.Second+500*time.Millisecond, ScheduleOptions{Seed: 42})
	if !slices.Equal(s.Offsets, again.Offsets) {
		t.Error("same seed gave a different schedule")
	}
	other, _ := NewSchedule(scenarios.Traffic{Model: "poisson", Rate: rate}, 20*time.Second+500*time.Millisecond, ScheduleOptions{Seed: 43})
	if slices.Equal(s.Offsets[:100], other.Offsets[:100]) {
		t.Error("different seeds gave the same schedule")
	}
}

func TestModelCountsPerWindow(t *testing.T) {
	t.Parallel()
	trace := map[string][]byte{
		"minutes.csv":    []byte("minute,count\n0,60\n1,0\n2,600\n"),
		"azure.csv":      []byte("HashOwner,HashApp,HashFunction,Trigger,1,2,3\no,a,f1,http,10,0,5\no,a,f2,timer,20,30,0\n"),
		"timestamps.csv": []byte("app,func,end_timestamp,duration\na,f,10.5,0.5\na,f,11.0,0\na,f,12.25,0.25\na,f,14,0\n"),
	}
	read := func(name string) ([]byte, error) { return trace[name], nil }
	type window struct {
		from, to time.Duration
		want     int
		tol      int
	}
	sec := time.Second
	tests := []struct {
		name    string
		traffic scenarios.Traffic
		dur     time.Duration
		windows []window
	}{
		{"constant", scenarios.Traffic{Model: "constant", Rate: 50}, 4 * sec,
			[]window{{0, sec, 50, 0}, {sec, 2 * sec, 50, 0}, {0, 4 * sec, 200, 0}}},
		{"constant poisson arrivals", scenarios.Traffic{Model: "constant", Rate: 200, Arrivals: "poisson"}, 10 * sec,
			[]window{{0, 10 * sec, 2000, 150}}},
		{"ramp 0→100 over 10 s", scenarios.Traffic{Model: "ramp", From: 0, To: 100}, 10 * sec,
			// Λ(t) = 5 t²: [0,5) → 125, [5,10) → 375.
			[]window{{0, 5 * sec, 125, 1}, {5 * sec, 10 * sec, 375, 1}}},
		{"ramp down", scenarios.Traffic{Model: "ramp", From: 100, To: 20}, 4 * sec,
			[]window{{0, 4 * sec, 240, 1}, {0, 2 * sec, 160, 1}}},
		{"step", scenarios.Traffic{Model: "step", Start: 10, Step: 10, Every: 2 * sec, Max: 30}, 8 * sec,
			[]window{{0, 2 * sec, 20, 0}, {2 * sec, 4 * sec, 40, 0}, {4 * sec, 6 * sec, 60, 0}, {6 * sec, 8 * sec, 60, 0}}},
		{"sine", scenarios.Traffic{Model: "sine", Mean: 100, Amplitude: 50, Period: 4 * sec}, 4 * sec,
			// ∫ over the rising half = 100·2 + 50·4/π ≈ 263.7; falling half ≈ 136.3.
			[]window{{0, 2 * sec, 264, 1}, {2 * sec, 4 * sec, 136, 1}, {0, 4 * sec, 400, 1}}},
		{"burst", scenarios.Traffic{Model: "burst", Base: 10, Peak: 100, Every: 5 * sec, Length: sec}, 10 * sec,
			[]window{{0, sec, 100, 0}, {sec, 5 * sec, 40, 0}, {5 * sec, 6 * sec, 100, 0}, {0, 10 * sec, 280, 0}}},
		{"trace per-minute counts, 60× faster", scenarios.Traffic{Model: "trace", File: "minutes.csv", TimeScale: 60}, 3 * sec,
			[]window{{0, sec, 60, 0}, {sec, 2 * sec, 0, 0}, {2 * sec, 3 * sec, 600, 0}}},
		{"trace azure 2019 rows summed", scenarios.Traffic{Model: "trace", File: "azure.csv", Format: "azure-functions", TimeScale: 60}, 3 * sec,
			[]window{{0, sec, 30, 0}, {sec, 2 * sec, 30, 0}, {2 * sec, 3 * sec, 5, 0}}},
		{"trace timestamps azure 2021", scenarios.Traffic{Model: "trace", File: "timestamps.csv", Format: "azure-functions", TimeScale: 2}, 10 * sec,
			// arrivals 10, 11, 12, 14 → offsets 0, 0.5, 1, 2 s.
			[]window{{0, 600 * time.Millisecond, 2, 0}, {600 * time.Millisecond, 10 * sec, 2, 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewSchedule(tc.traffic, tc.dur, ScheduleOptions{Seed: 7, ReadFile: read})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.IsSorted(s.Offsets) {
				t.Fatal("offsets not sorted")
			}
			for _, w := range tc.windows {
				if got := s.CountIn(w.from, w.to); abs(got-w.want) > w.tol {
					t.Errorf("[%s, %s): %d hits, want %d ±%d", w.from, w.to, got, w.want, w.tol)
				}
			}
			if s.Len() > 0 && s.Offsets[s.Len()-1] >= tc.dur {
				t.Errorf("last hit %s beyond duration %s", s.Offsets[s.Len()-1], tc.dur)
			}
		})
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestScheduleErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tr   scenarios.Traffic
	}{
		{"unknown model", scenarios.Traffic{Model: "zigzag"}},
		{"no model", scenarios.Traffic{}},
		{"zero rate", scenarios.Traffic{Model: "constant"}},
		{"negative rate", scenarios.Traffic{Model: "poisson", Rate: -3}},
		{"sine amplitude above mean", scenarios.Traffic{Model: "sine", Mean: 10, Amplitude: 20, Period: time.Second}},
		{"step without every", scenarios.Traffic{Model: "step", Start: 1}},
		{"burst longer than period", scenarios.Traffic{Model: "burst", Peak: 10, Every: time.Second, Length: 2 * time.Second}},
		{"trace without file", scenarios.Traffic{Model: "trace"}},
		{"bad arrivals", scenarios.Traffic{Model: "constant", Rate: 1, Arrivals: "gamma"}},
		{"too large", scenarios.Traffic{Model: "constant", Rate: 1e9}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := NewSchedule(tc.tr, 10*time.Second, ScheduleOptions{}); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

func TestSchedulePacer(t *testing.T) {
	t.Parallel()
	s, _ := NewSchedule(scenarios.Traffic{Model: "constant", Rate: 10}, time.Second, ScheduleOptions{})
	p := s.Pacer()
	if w, stop := p.Pace(0, 0); w != 0 || stop {
		t.Fatalf("hit 0: wait %s stop %v", w, stop)
	}
	if p.Began().IsZero() {
		t.Fatal("pacer did not record the start")
	}
	if w, _ := p.Pace(50*time.Millisecond, 1); w != 50*time.Millisecond {
		t.Fatalf("hit 1: wait %s, want 50ms", w)
	}
	if w, _ := p.Pace(300*time.Millisecond, 2); w != 0 {
		t.Fatalf("behind schedule: wait %s, want 0", w)
	}
	if _, stop := p.Pace(time.Second, 10); !stop {
		t.Fatal("want stop after the last hit")
	}
	if r := p.Rate(0); r != 10 {
		t.Fatalf("rate %v", r)
	}
}

func BenchmarkNewSchedulePoisson(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewSchedule(scenarios.Traffic{Model: "poisson", Rate: 5000}, 10*time.Second, ScheduleOptions{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewScheduleSine(b *testing.B) {
	for b.Loop() {
		if _, err := NewSchedule(scenarios.Traffic{Model: "sine", Mean: 1000, Amplitude: 500, Period: 10 * time.Second}, 10*time.Second, ScheduleOptions{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
