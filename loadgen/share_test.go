package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/benchctl/benchctl/scenarios"
)

// TestRunPhaseShare runs two halves of one schedule as two shares anchored
// to the same start and checks that together they are the whole schedule:
// every global seq once, each intended exactly Start + Offsets[seq], and
// each body the one a single generator would have sent for that seq.
func TestRunPhaseShare(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	bodies := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 64)
		n, _ := r.Body.Read(b)
		mu.Lock()
		bodies[string(b[:n])]++
		mu.Unlock()
	}))
	defer srv.Close()
	target := newTestTarget(t, "t", srv.URL, 0)
	defer target.Close()
	pl, err := NewPayloads(scenarios.Payloads{Inline: []map[string]any{{"text": "a"}, {"text": "b"}, {"text": "c"}},
		Body: `{"text": {{json .text}}}`}, nil, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	ph := phase("p", 400*time.Millisecond, scenarios.Traffic{Model: "poisson", Rate: 200}, 0)
	enc := &memEncoder{}
	r := &Runner{Encoder: enc.encode, Payloads: pl, Seed: 7}
	full, err := r.Schedule(PhaseRun{Phase: ph})
	if err != nil {
		t.Fatal(err)
	}
	var even, odd []uint64
	for i := range full.Offsets {
		if i%2 == 0 {
			even = append(even, uint64(i))
		} else {
			odd = append(odd, uint64(i))
		}
	}
	now := time.Now()
	start := now.Add(50 * time.Millisecond)
	var wg sync.WaitGroup
	for _, seqs := range [][]uint64{even, odd} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := r.RunPhase(context.Background(), PhaseRun{Phase: ph, Targets: []Target{target},
				Share: &Share{Seqs: seqs, Start: start}})
			if err != nil {
				t.Error(err)
				return
			}
			if got := out.Info.Scheduled; got != int64(len(seqs)) {
				t.Errorf("scheduled = %d, want the share's %d", got, len(seqs))
			}
			if !out.Info.Start.Equal(start) {
				t.Errorf("phase start = %v, want the anchor %v", out.Info.Start, start)
			}
		}()
	}
	wg.Wait()
	if len(enc.recs) != len(full.Offsets) {
		t.Fatalf("got %d records, want %d", len(enc.recs), len(full.Offsets))
	}
	var seen []uint64
	for _, rec := range enc.recs {
		seen = append(seen, rec.Seq)
		if got, want := rec.Intended.Sub(start), full.Offsets[rec.Seq]; got != want {
			t.Errorf("seq %d: intended offset %v, want %v", rec.Seq, got, want)
		}
		if rec.ErrorClass != "" {
			t.Errorf("seq %d: %s", rec.Seq, rec.Error)
		}
		if lag := rec.Timestamp.Sub(rec.Intended); lag < -time.Millisecond {
			t.Errorf("seq %d sent %v before its intended time", rec.Seq, -lag)
		}
	}
	slices.Sort(seen)
	for i, s := range seen {
		if s != uint64(i) {
			t.Fatalf("seqs %v…: want 0..%d once each", seen[:min(len(seen), 10)], len(full.Offsets)-1)
		}
	}
	// Bodies follow the global seq, as with one generator.
	want := map[string]int{}
	for i := range full.Offsets {
		want[string(pl.For("t").At(uint64(i)))]++
	}
	mu.Lock()
	defer mu.Unlock()
	for b, n := range want {
		if bodies[b] != n {
			t.Errorf("body %s sent %d times, want %d", b, bodies[b], n)
		}
	}
}

func TestShareRejectsBadSeqs(t *testing.T) {
	t.Parallel()
	full := &Schedule{Offsets: []time.Duration{0, 1, 2}, Duration: time.Second}
	for name, seqs := range map[string][]uint64{"beyond": {0, 3}, "unsorted": {1, 0}, "repeated": {1, 1}} {
		if _, err := (&Share{Seqs: seqs}).of(full); err == nil {
			t.Errorf("%s: seqs %v accepted", name, seqs)
		}
	}
}
