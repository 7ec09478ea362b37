package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
)

// signalInputRecords is the size of the deliberately large runs the
// interrupted commands work on (about 300 MB of results.jsonl: uninterrupted
// on this project's 2-core machine, summary takes 3.6 s, report 7.5 s; the
// run breakeven reads is 5/3 as large, as it reads faster: 1.4 s at this
// size).
const signalInputRecords = 900_000

// writeLargeRun writes a run directory of n records (half to a local-lambda
// target with REPORT fields, half to an http target) without summary.json.
func writeLargeRun(t *testing.T, dir string, n int) {
	t.Helper()
	scen := []byte(`version: 1
name: big
functions:
  - {name: senti, command: [benchctl, function]}
targets:
  - {name: fn, kind: local-lambda, function: senti}
  - {name: web, kind: http, url: "http://127.0.0.1:9/"}
phases:
  - {name: steady, targets: [fn, web], duration: 10m, traffic: {model: constant, rate: 1250}}
pricing: {region: us-east-1, instances: [c7g.large], capacity_rps: 50, profile: {monthly_requests: 5000000}}
`)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	info := results.RunInfo{Start: start, End: start.Add(10 * time.Minute), EndState: results.EndCompleted, Seed: 1,
		Phases: []results.PhaseRunInfo{{Name: "steady", Targets: []string{"fn", "web"}, Model: "constant", Recorded: true,
			DurationS: 600, Scheduled: int64(n / 2), Start: start}}}
	w, err := results.CreateRun(dir, scen, info)
	if err != nil {
		t.Fatal(err)
	}
	mem := 1024
	for i := 0; i < n; i++ {
		ts := start.Add(time.Duration(i) * 400 * time.Microsecond)
		lat := time.Duration(5+i%50) * time.Millisecond
		r := results.Record{Attack: "steady", Phase: "steady", Seq: uint64(i / 2), Code: 200, Timestamp: ts, Intended: ts,
			Latency: lat, CorrectedLatency: lat, Method: "POST", URL: "http://x/", Target: "web"}
		if i%2 == 0 {
			b, d := float64(6+i%40), 5.5+float64(i%40)
			r.Target, r.BilledDurationMs, r.DurationMs, r.MemorySizeMB, r.MaxMemoryUsedMB = "fn", &b, &d, &mem, &mem
			r.RequestID = fmt.Sprintf("%036d", i)
		}
		if err := w.Encoder()(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.CloseRecords(); err != nil {
		t.Fatal(err)
	}
}

// TestSignalExits130WithinASecond sends SIGINT to report, summary, pricing
// breakeven and validate in the middle of long work (deliberately large
// inputs) in a child process running benchctl's signal rule, and requires
// exit 130 within a second. Each must stop by itself, its loop watching
// the cancelled context (ownLoop), not be ended by the rule's grace
// (InterruptGrace), the backstop for a loop that does not.
func TestSignalExits130WithinASecond(t *testing.T) {
	if testing.Short() {
		t.Skip("writes about 0.9 GB of deliberately large inputs: skipped with -short")
	}
	work := t.TempDir()
	run := filepath.Join(work, "run")
	writeLargeRun(t, run, 5*signalInputRecords/3) // breakeven reads faster than summary
	// A summary.json for breakeven (it re-prices the records; the targets
	// here come from a small run of the same shape).
	small := filepath.Join(work, "small")
	writeLargeRun(t, small, 2000)
	if code, _, stderr := runTestMain(t.Context(), "summary", small); code != ExitOK {
		t.Fatalf("summary of the small run: exit %d: %s", code, stderr)
	}
	priced := filepath.Join(work, "priced")
	if err := os.Rename(run, priced); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(small, results.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(priced, results.SummaryFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	unpriced := filepath.Join(work, "unpriced")
	writeLargeRun(t, unpriced, signalInputRecords)

	// A scenario whose payload corpus validate must parse and render item
	// by item.
	corpus := filepath.Join(work, "corpus.jsonl")
	f, err := os.Create(corpus)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	for i := 0; i < 1_500_000; i++ {
		fmt.Fprintf(bw, `{"text": "review number %d: the battery lasts for days and the screen is bright"}`+"\n", i)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	scenario := filepath.Join(work, "big.yaml")
	if err := os.WriteFile(scenario, []byte(`version: 1
name: bigcorpus
targets:
  - {name: web, kind: http, url: "http://127.0.0.1:9/v1/sentiment"}
payloads: {file: corpus.jsonl, body: '{"text": {{json .text}}}'}
phases:
  - {name: p, targets: [web], duration: 10s, traffic: {model: constant, rate: 10}}
`), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		args []string
		// ownLoop: the command's loop watches the context, so it must stop
		// by itself (not be ended by the rule's grace).
		ownLoop bool
	}{
		{"validate", []string{"validate", scenario}, true},
		{"summary", []string{"summary", unpriced}, true},
		{"report", []string{"report", priced, "--out", filepath.Join(work, "report")}, true},
		{"pricing breakeven", []string{"pricing", "breakeven", "--run", priced}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestRunChild$")
			cmd.Env = append(os.Environ(), runChildEnv+"="+strings.Join(tc.args, "\x1f"))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
				t.Fatalf("%s finished within 400 ms (exit %d): the input is not large enough to interrupt it\nstderr:\n%s", tc.name, cmd.ProcessState.ExitCode(), stderr.String())
			case <-time.After(400 * time.Millisecond):
			}
			sent := time.Now()
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatalf("%s still running 5 s after SIGINT\nstderr:\n%s", tc.name, stderr.String())
			}
			took := time.Since(sent)
			code := cmd.ProcessState.ExitCode()
			byRule := strings.Contains(stderr.String(), "did not stop within")
			t.Logf("%s: exit %d %v after SIGINT (%s)", tc.name, code, took.Round(time.Millisecond),
				map[bool]string{true: "ended by the 0.8 s rule: its loop does not watch the context", false: "stopped by itself"}[byRule])
			if code != int(ExitInterrupted) {
				t.Errorf("exit %d, want 130\nstderr:\n%s", code, stderr.String())
			}
			if took > time.Second {
				t.Errorf("exited %v after SIGINT, want within a second", took)
			}
			if tc.ownLoop && byRule {
				t.Errorf("%s did not stop by itself: its loop must watch the context\nstderr:\n%s", tc.name, stderr.String())
			}
		})
	}
}
