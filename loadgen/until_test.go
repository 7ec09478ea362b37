package loadgen

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/benchctl/benchctl/confidence"
	"github.com/benchctl/benchctl/hostload"
	"github.com/benchctl/benchctl/scenarios"
)

// TestUntilStopsOnANarrowInterval runs the same until: rule (p99 to ±10%,
// at most 4 s) against a loopback target with a near-constant latency and
// one with Pareto-tailed latencies: the first stops on its interval well
// before the limit, the second runs to it; both say so. Other load on the
// host widens even the first target's tail (scheduling delays of several
// ms): when it did not stop and the host was busy, it is not judged.
func TestUntilStopsOnANarrowInterval(t *testing.T) {
	t.Parallel()
	tight := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(40 * time.Millisecond)
	}))
	t.Cleanup(tight.Close)
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2))
	heavy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		d := time.Duration(2 * float64(time.Millisecond) / (1 - rng.Float64())) // Pareto, α = 1
		mu.Unlock()
		time.Sleep(min(d, 800*time.Millisecond))
	}))
	t.Cleanup(heavy.Close)

	const limit = 4 * time.Second
	until := &scenarios.Until{CIRelWidth: 0.10, Metric: "p99", MaxDuration: limit, MinRequests: 100}
	for _, c := range []struct {
		name, url string
		want      string
	}{
		{"low-variance target", tight.URL, confidence.StoppedCI},
		{"heavy-tailed target", heavy.URL, confidence.StoppedMaxDuration},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tg, err := NewTarget(scenarios.Target{Name: "t", Kind: "http", URL: c.url, Method: "GET", Timeout: 5 * time.Second}, TargetEnv{})
			if err != nil {
				t.Fatal(err)
			}
			host, herr := hostload.New()
			if herr == nil {
				host.Start(context.Background())
				defer host.Stop()
			}
			r := &Runner{Seed: 1}
			ph := scenarios.Phase{Name: "p", Targets: []string{"t"}, Duration: limit,
				Traffic: scenarios.Traffic{Model: "poisson", Rate: 250}, Until: until}
			out, err := r.RunPhase(context.Background(), PhaseRun{Phase: ph, Targets: []Target{tg}})
			if err != nil {
				t.Fatal(err)
			}
			rel := math.Inf(1)
			if out.Info.UntilRelWidth != nil {
				rel = *out.Info.UntilRelWidth
			}
			if e := out.Targets[0].Summary.Errors; len(e) > 0 {
				t.Fatalf("errors: %v", e)
			}
			n := out.Targets[0].Summary.LatencyMs.Count
			t.Logf("stopped %q after %.2f s of %v, %d requests, p99 ±%.1f%%", out.Info.Stopped, out.Info.DurationS, limit, n, 100*rel)
			if c.want == confidence.StoppedCI && out.Info.Stopped != c.want && herr == nil {
				if l := host.Window(out.Info.Start, out.Info.Start.Add(limit)); l != nil && l.Busy {
					t.Skipf("not judged: the host was busy (%v); latency %+v", l.BusyReasons, out.Targets[0].Summary.LatencyMs)
				}
			}
			if out.Info.Stopped != c.want || out.Info.UntilMetric != "p99" {
				t.Errorf("stopped %q (metric %q), want %q", out.Info.Stopped, out.Info.UntilMetric, c.want)
			}
			switch c.want {
			case confidence.StoppedCI:
				if out.Info.DurationS > 0.8*limit.Seconds() || rel > 0.10 {
					t.Errorf("ran %.2f s of %v with p99 ±%.1f%%; want an early stop at ±10%%", out.Info.DurationS, limit, 100*rel)
				}
				if s := out.Targets[0].Summary; s.Requests > out.Info.Scheduled+int64(s.Requests/10) {
					t.Errorf("%d records for %d scheduled within the %.2f s run", s.Requests, out.Info.Scheduled, out.Info.DurationS)
				}
			default:
				if out.Info.DurationS < limit.Seconds()-0.01 || rel <= 0.10 {
					t.Errorf("ran %.2f s with p99 ±%.1f%%; want the full %v without reaching ±10%%", out.Info.DurationS, 100*rel, limit)
				}
			}
		})
	}
}
