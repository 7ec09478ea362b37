package distributed

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/benchctl/benchctl/loadgen"
	"github.com/benchctl/benchctl/scenarios"
)

// drawTraffic draws one traffic model with parameters small enough that a
// schedule has at most a few thousand hits.
func drawTraffic(t *rapid.T) (scenarios.Traffic, map[string][]byte) {
	sec := time.Second
	arrivals := rapid.SampledFrom([]string{"", "uniform", "poisson"}).Draw(t, "arrivals")
	rate := func(name string) float64 { return rapid.Float64Range(1, 400).Draw(t, name) }
	files := map[string][]byte{}
	var tr scenarios.Traffic
	switch model := rapid.SampledFrom(loadgen.Models).Draw(t, "model"); model {
	case loadgen.ModelConstant, loadgen.ModelPoisson:
		tr = scenarios.Traffic{Model: model, Rate: rate("rate")}
	case loadgen.ModelRamp:
		tr = scenarios.Traffic{Model: model, From: rate("from"), To: rapid.Float64Range(0, 400).Draw(t, "to")}
	case loadgen.ModelStep:
		tr = scenarios.Traffic{Model: model, Start: rate("start"), Step: rapid.Float64Range(0, 50).Draw(t, "step"),
			Every: time.Duration(rapid.IntRange(1, 4).Draw(t, "every")) * sec / 2, Max: rapid.Float64Range(0, 400).Draw(t, "max")}
	case loadgen.ModelSine:
		m := rate("mean")
		tr = scenarios.Traffic{Model: model, Mean: m, Amplitude: rapid.Float64Range(0, m).Draw(t, "amplitude"),
			Period: time.Duration(rapid.IntRange(1, 6).Draw(t, "period")) * sec}
	case loadgen.ModelBurst:
		every := time.Duration(rapid.IntRange(2, 8).Draw(t, "every")) * sec / 4
		tr = scenarios.Traffic{Model: model, Base: rapid.Float64Range(0, 100).Draw(t, "base"), Peak: rate("peak"),
			Every: every, Length: time.Duration(rapid.Int64Range(1, int64(every)).Draw(t, "length"))}
	case loadgen.ModelTrace:
		if rapid.Bool().Draw(t, "timestamps") {
			csv := "app,func,end_timestamp,duration\n"
			ts := 0.0
			for i := range rapid.IntRange(1, 300).Draw(t, "hits") {
				ts += rapid.Float64Range(0, 0.05).Draw(t, fmt.Sprint("gap", i))
				csv += fmt.Sprintf("a,f,%.4f,0\n", ts)
			}
			files["trace.csv"] = []byte(csv)
		} else {
			csv := "minute,count\n"
			for m := range rapid.IntRange(1, 4).Draw(t, "minutes") {
				csv += fmt.Sprintf("%d,%d\n", m, rapid.IntRange(0, 600).Draw(t, fmt.Sprint("count", m)))
			}
			files["trace.csv"] = []byte(csv)
		}
		tr = scenarios.Traffic{Model: model, File: "trace.csv", TimeScale: 60}
	}
	if tr.Model != loadgen.ModelTrace && tr.Model != loadgen.ModelPoisson {
		tr.Arrivals = arrivals
	}
	return tr, files
}

// TestPartitionPropertyUnionIsTheSchedule is the partition's contract: for
// every traffic model and N in 1..16 (equal or drawn weights), the workers'
// shares are disjoint, their union is exactly the single-generator
// schedule (every seq once, with its offset), and at every prefix of the
// schedule each worker's count is within one request of its exact share
// (so over the whole schedule equal workers differ by at most one request).
func TestPartitionPropertyUnionIsTheSchedule(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		tr, files := drawTraffic(t)
		dur := time.Duration(rapid.IntRange(1, 8).Draw(t, "duration_halfsec")) * time.Second / 2
		seed := rapid.Uint64().Draw(t, "seed")
		read := func(name string) ([]byte, error) { return files[name], nil }
		sched, err := loadgen.NewSchedule(tr, dur, loadgen.ScheduleOptions{Seed: seed, ReadFile: read})
		if err != nil {
			t.Skipf("model rejected the drawn parameters: %v", err)
		}
		n := rapid.IntRange(1, 16).Draw(t, "workers")
		weights := make([]int, n)
		equal := rapid.Bool().Draw(t, "equal")
		for k := range weights {
			weights[k] = 1
			if !equal {
				weights[k] = rapid.IntRange(1, 9).Draw(t, fmt.Sprint("w", k))
			}
		}
		p, err := NewPartition(weights)
		if err != nil {
			t.Fatal(err)
		}
		hits := sched.Len()
		owner := make([]int, hits)
		for i := range owner {
			owner[i] = -1
		}
		total := 0
		for k := range n {
			seqs := p.Seqs(hits, k)
			if !slices.IsSorted(seqs) {
				t.Fatalf("worker %d's seqs are not ascending", k)
			}
			for _, s := range seqs {
				if owner[s] != -1 {
					t.Fatalf("seq %d is in the shares of workers %d and %d", s, owner[s], k)
				}
				owner[s] = k
				if p.Owner(s) != k {
					t.Fatalf("Owner(%d) = %d, but it is in worker %d's share", s, p.Owner(s), k)
				}
			}
			total += len(seqs)
		}
		if total != hits {
			t.Fatalf("shares hold %d hits, the schedule %d", total, hits)
		}
		for s, k := range owner {
			if k == -1 {
				t.Fatalf("seq %d is in no share", s)
			}
		}
		// Balance at every prefix: |c_k(m) − m·W_k/L| < 1.
		L := float64(p.Cycle())
		counts := make([]int, n)
		for m, k := range owner {
			counts[k]++
			for j := range n {
				exact := float64(m+1) * float64(p.Weight(j)) / L
				if d := math.Abs(float64(counts[j]) - exact); d >= 1 {
					t.Fatalf("after %d hits worker %d has %d, exact share %.3f (weights %v)", m+1, j, counts[j], exact, weights)
				}
			}
		}
		if equal && hits > 0 {
			lo, hi := slices.Min(counts), slices.Max(counts)
			if hi-lo > 1 {
				t.Fatalf("equal workers got %v hits: more than one apart", counts)
			}
			for s, k := range owner {
				if k != s%n {
					t.Fatalf("equal partition: seq %d went to %d, want %d", s, k, s%n)
				}
			}
		}
		// Each share hashes the same when recomputed, and differently
		// when one offset moves by a nanosecond.
		if hits > 0 {
			seqs := p.Seqs(hits, p.Owner(0))
			h := ShareHash(seqs, sched.Offsets)
			again, _ := loadgen.NewSchedule(tr, dur, loadgen.ScheduleOptions{Seed: seed, ReadFile: read})
			if ShareHash(seqs, again.Offsets) != h {
				t.Fatal("recomputed schedule hashes differently")
			}
			moved := slices.Clone(sched.Offsets)
			moved[0]++
			if ShareHash(seqs, moved) == h {
				t.Fatal("a 1 ns change did not change the share hash")
			}
		}
	})
}

func TestPartitionReducesWeights(t *testing.T) {
	t.Parallel()
	p, err := NewPartition([]int{2, 2, 4})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.pattern; !slices.Equal(got, []uint16{2, 0, 1, 2}) && !slices.Equal(got, []uint16{0, 2, 1, 2}) {
		t.Errorf("pattern %v for weights 1:1:2", got)
	}
	for _, bad := range [][]int{nil, {0}, {1, -1}} {
		if _, err := NewPartition(bad); err == nil {
			t.Errorf("weights %v accepted", bad)
		}
	}
}

func TestRanges(t *testing.T) {
	t.Parallel()
	got := Ranges([]uint64{3, 7, 11, 12, 20, 21, 22})
	want := []SeqRange{{3, 11, 4, 3}, {12, 20, 8, 2}, {21, 22, 1, 2}}
	if !slices.Equal(got, want) {
		t.Errorf("Ranges = %+v, want %+v", got, want)
	}
	if got := Ranges([]uint64{5}); !slices.Equal(got, []SeqRange{{5, 5, 1, 1}}) {
		t.Errorf("single = %+v", got)
	}
}
