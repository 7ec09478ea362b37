package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
)

// TestRunUntil runs a scenario whose two phases have an until: rule on the
// p99: against a near-constant loopback target (to ±25%: the host's
// scheduling noise on a 40 ms sleep stays well inside it, and the rule
// still needs enough samples for an upper bound) the phase stops before
// max_duration; against a Pareto-tailed one (to ±10%) it runs to it; and
// run.json, summary.json and stdout say which happened.
func TestRunUntil(t *testing.T) {
	t.Parallel()
	tight := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(40 * time.Millisecond)
	}))
	t.Cleanup(tight.Close)
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(3, 4))
	heavy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		d := time.Duration(2 * float64(time.Millisecond) / (1 - rng.Float64()))
		mu.Unlock()
		time.Sleep(min(d, 500*time.Millisecond))
	}))
	t.Cleanup(heavy.Close)
	dir := t.TempDir()
	scenario := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(scenario, []byte(fmt.Sprintf(`version: 1
name: until
targets:
  - {name: tight, kind: http, url: "%s/", timeout: 5s}
  - {name: heavy, kind: http, url: "%s/", timeout: 5s}
phases:
  - {name: steady, targets: [tight], traffic: {model: poisson, rate: 250}, until: {ci_rel_width: 0.25, metric: p99, max_duration: 4s, min_requests: 100}}
  - {name: tail, targets: [heavy], traffic: {model: poisson, rate: 250}, until: {ci_rel_width: 0.10, max_duration: 2s}}
output: {formats: [json]}
`, tight.URL, heavy.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run")
	code, stdout, stderr := runTestMain(context.Background(), "run", scenario, "--out", out, "--quiet")
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var info results.RunInfo
	b, _ := os.ReadFile(filepath.Join(out, results.RunInfoFile))
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	var sum results.Summary
	b, _ = os.ReadFile(filepath.Join(out, results.SummaryFile))
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	phase := func(target string) results.PhaseSummary {
		for _, ts := range sum.Targets {
			if ts.Name == target {
				return ts.Phases[0]
			}
		}
		t.Fatalf("no summary for %s", target)
		return results.PhaseSummary{}
	}
	if len(info.Phases) != 2 || info.Phases[1].Stopped != results.StoppedMaxDuration || info.Phases[1].DurationS < 1.99 {
		t.Errorf("run.json phases: %+v", info.Phases)
	}
	if p := phase("heavy"); p.Stopped != results.StoppedMaxDuration || !strings.Contains(stdout, "until: heavy/tail ran to max_duration") {
		t.Errorf("heavy-tailed phase: stopped %q\nstdout:\n%s", p.Stopped, stdout)
	}
	p := phase("tight")
	t.Logf("tight: stopped %q after %.2f s, %d requests; heavy ran %.2f s", p.Stopped, p.DurationS, p.Requests, phase("heavy").DurationS)
	if p.Stopped != results.StoppedCI && p.HostBusy {
		t.Skipf("low-variance phase not judged: the host was busy (%v)", p.Host.BusyReasons)
	}
	if p.Stopped != results.StoppedCI && p.GeneratorFellBehind {
		// Intended-time latency includes the generator's lag, so its
		// stalls widen the tail the rule measures: that run says nothing
		// about the rule.
		t.Skipf("low-variance phase not judged: the generator fell behind (dispatch-lag p99 %.2f ms)", p.DispatchLagMs.P99)
	}
	if p.Stopped != results.StoppedCI || info.Phases[0].Stopped != results.StoppedCI || p.DurationS > 3.2 {
		t.Errorf("low-variance phase: stopped %q after %.2f s of 4 s", p.Stopped, p.DurationS)
	}
	if !strings.Contains(stdout, "until: tight/steady stopped early after") {
		t.Errorf("stdout does not say the phase stopped early:\n%s", stdout)
	}
}
