package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
)

// fakeExit records the exit code the rule asks for.
type fakeExit struct {
	mu   sync.Mutex
	code int
	n    int
	ch   chan struct{}
}

func newFakeExit() *fakeExit { return &fakeExit{code: -1, ch: make(chan struct{}, 4)} }

func (f *fakeExit) exit(code int) {
	f.mu.Lock()
	f.code, f.n = code, f.n+1
	f.mu.Unlock()
	f.ch <- struct{}{}
}

func (f *fakeExit) calls() (int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n, f.code
}

// TestInterruptRule: the first interrupt cancels the context; a command
// that does not return within the grace is ended with 130; one that holds
// a drain is not, and a second interrupt aborts it and exits at once.
func TestInterruptRule(t *testing.T) {
	t.Parallel()
	const grace = 50 * time.Millisecond
	tests := []struct {
		name string
		// script drives the rule; it returns the number of exits expected.
		script func(t *testing.T, ctx context.Context, in *interrupts, aborted *bool) int
	}{
		{"command that ignores the context is ended after the grace", func(t *testing.T, ctx context.Context, in *interrupts, _ *bool) int {
			in.interrupt()
			if ctx.Err() == nil {
				t.Error("first interrupt did not cancel the context")
			}
			time.Sleep(4 * grace)
			return 1
		}},
		{"command that returns is not ended", func(t *testing.T, ctx context.Context, in *interrupts, _ *bool) int {
			in.interrupt()
			<-ctx.Done()
			in.done()
			time.Sleep(4 * grace)
			return 0
		}},
		{"draining command outlives the grace", func(t *testing.T, ctx context.Context, in *interrupts, _ *bool) int {
			release := drainOnInterrupt(ctx, func() string { return "draining" }, nil)
			defer release()
			in.interrupt()
			time.Sleep(4 * grace)
			in.done()
			return 0
		}},
		{"second interrupt aborts the drain and exits", func(t *testing.T, ctx context.Context, in *interrupts, aborted *bool) int {
			release := drainOnInterrupt(ctx, nil, func() { *aborted = true })
			defer release()
			in.interrupt()
			in.interrupt()
			if !*aborted {
				t.Error("second interrupt did not run the drain's abort")
			}
			return 1
		}},
		{"released drain starts the grace", func(t *testing.T, ctx context.Context, in *interrupts, _ *bool) int {
			release := drainOnInterrupt(ctx, nil, nil)
			in.interrupt()
			time.Sleep(2 * grace)
			release()
			time.Sleep(4 * grace)
			return 1
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fe := newFakeExit()
			var errb bytes.Buffer
			ctx, in := newInterrupts(context.Background(), &syncWriter{w: &errb}, fe.exit)
			in.grace = grace
			aborted := false
			want := tc.script(t, ctx, in, &aborted)
			n, code := fe.calls()
			if n != want || (n > 0 && code != int(ExitInterrupted)) {
				t.Fatalf("exit called %d times (code %d), want %d with 130; stderr:\n%s", n, code, want, errb.String())
			}
		})
	}
}

// TestDrainWithoutRule: Main called directly (no rule in the context) makes
// drains no-ops.
func TestDrainWithoutRule(t *testing.T) {
	t.Parallel()
	release := drainOnInterrupt(context.Background(), nil, func() { t.Error("abort called") })
	release()
	release()
}

// hangingTarget is an http server whose handler never answers before the
// test ends; it remembers the schedule index of every request it received.
type hangingTarget struct {
	*httptest.Server
	mu   sync.Mutex
	seen map[uint64]bool
}

func newHangingTarget(t *testing.T) *hangingTarget {
	h := &hangingTarget{seen: map[uint64]bool{}}
	stop := make(chan struct{})
	h.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seq, err := strconv.ParseUint(r.Header.Get("X-Vegeta-Seq"), 10, 64)
		if err == nil {
			h.mu.Lock()
			h.seen[seq] = true
			h.mu.Unlock()
		}
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	h.Start()
	t.Cleanup(func() {
		close(stop)
		h.CloseClientConnections()
		h.Close()
	})
	return h
}

func (h *hangingTarget) received() map[uint64]bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[uint64]bool, len(h.seen))
	for k := range h.seen {
		out[k] = true
	}
	return out
}

// TestRunInterruptHangingTarget: Ctrl-C while every request hangs. With
// one Ctrl-C the run drains for its bound (10 s) and records the requests
// still in flight as interrupted; with two it records them at once and
// exits. Either way every request the target received is in
// results.jsonl, and the target is in summary.json when it is written.
func TestRunInterruptHangingTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the 10 s drain bound: skipped with -short")
	}
	t.Parallel()
	tests := []struct {
		name        string
		signals     int
		within      time.Duration
		wantSummary bool
	}{
		{"one ctrl-c drains for its bound", 1, 25 * time.Second, true},
		{"second ctrl-c exits at once", 2, 3 * time.Second, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newHangingTarget(t)
			dir := t.TempDir()
			// The target's timeout (60 s) outlasts the drain bound.
			scenario := filepath.Join(dir, "hang.yaml")
			if err := os.WriteFile(scenario, []byte(`version: 1
name: hang
targets:
  - {name: echo, kind: http, url: "`+srv.URL+`/v1/sentiment", timeout: 60s}
phases:
  - {name: long, targets: [echo], duration: 30s, traffic: {model: constant, rate: 50}}
`), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "run")
			cmd := exec.Command(os.Args[0], "-test.run=^TestRunChild$")
			cmd.Env = append(os.Environ(), runChildEnv+"="+strings.Join([]string{"run", scenario, "--out", out, "--quiet"}, "\x1f"))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			deadline := time.Now().Add(20 * time.Second)
			for len(srv.received()) < 30 {
				if time.Now().After(deadline) {
					t.Fatalf("the target received %d requests within 20 s\nstderr:\n%s", len(srv.received()), stderr.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			for i := 0; i < tc.signals; i++ {
				if err := cmd.Process.Signal(os.Interrupt); err != nil {
					t.Fatal(err)
				}
				time.Sleep(100 * time.Millisecond)
			}
			signalled := time.Now()
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(tc.within):
				t.Fatalf("benchctl did not exit within %v of the interrupt\nstderr:\n%s", tc.within, stderr.String())
			}
			t.Logf("exited %v after the last signal", time.Since(signalled).Round(time.Millisecond))
			if code := cmd.ProcessState.ExitCode(); code != int(ExitInterrupted) {
				t.Fatalf("exit %d, want 130\nstderr:\n%s", code, stderr.String())
			}
			sent := srv.received()
			recs := readRecords(t, out)
			bySeq := map[uint64]results.Record{}
			for _, r := range recs {
				bySeq[r.Seq] = r
			}
			for seq := range sent {
				r, ok := bySeq[seq]
				if !ok {
					t.Errorf("request %d reached the target but is not in results.jsonl", seq)
				} else if r.ErrorClass != results.ErrorClassInterrupted {
					t.Errorf("request %d: error_class %q, want interrupted", seq, r.ErrorClass)
				}
			}
			t.Logf("target received %d requests; results.jsonl holds %d records", len(sent), len(recs))
			raw, err := os.ReadFile(filepath.Join(out, results.SummaryFile))
			if gotSummary := err == nil; gotSummary != tc.wantSummary {
				t.Fatalf("summary.json written = %v, want %v\nstderr:\n%s", gotSummary, tc.wantSummary, stderr.String())
			}
			if tc.wantSummary {
				var sum results.Summary
				if err := json.Unmarshal(raw, &sum); err != nil {
					t.Fatal(err)
				}
				if len(sum.Targets) != 1 || len(sum.Targets[0].Phases) != 1 || sum.Targets[0].Phases[0].Errors[results.ErrorClassInterrupted] < int64(len(sent)) || !sum.Run.Interrupted {
					t.Fatalf("summary targets %+v, run interrupted %v; want the target with %d interrupted requests", sum.Targets, sum.Run.Interrupted, len(sent))
				}
			}
		})
	}
}

// readRecords decodes every record of a run directory's results.jsonl.
func readRecords(t *testing.T, dir string) []results.Record {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, results.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := results.NewJSONDecoder(f)
	var out []results.Record
	for {
		var r results.Record
		err := dec(&r)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
}

// TestRunKilledDuringLambdaURLPhase kills `benchctl run` with SIGKILL in
// the middle of a lambda-url phase: records are streamed at once (their
// REPORT lines are joined afterwards), so results.jsonl holds every
// request the function URL answered except at most those of the last
// 200 ms.
func TestRunKilledDuringLambdaURLPhase(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	arrived := map[uint64]time.Time{}
	fnURL := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seq, err := strconv.ParseUint(r.Header.Get("X-Vegeta-Seq"), 10, 64)
		if err == nil {
			mu.Lock()
			arrived[seq] = time.Now()
			mu.Unlock()
		}
		w.Header().Set("X-Amzn-RequestId", fmt.Sprintf("00000000-0000-4000-8000-%012d", seq))
		io.WriteString(w, `{"label":"POSITIVE"}`)
	}))
	defer fnURL.Close()
	dir := t.TempDir()
	scenario := filepath.Join(dir, "url.yaml")
	if err := os.WriteFile(scenario, []byte(`version: 1
name: url-kill
targets:
  - {name: url, kind: lambda-url, url: "`+fnURL.URL+`/", function: sentiment, region: us-east-1}
payloads: {inline: [{text: "great"}]}
phases:
  - {name: long, targets: [url], duration: 30s, traffic: {model: constant, rate: 200}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run")
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunChild$")
	cmd.Env = append(os.Environ(), runChildEnv+"="+strings.Join([]string{"run", scenario, "--out", out, "--quiet", "--max-spend", "1000"}, "\x1f"),
		"AWS_ACCESS_KEY_ID=AKIDLOCAL", "AWS_SECRET_ACCESS_KEY=secretlocal", "AWS_CONFIG_FILE="+os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "AWS_EC2_METADATA_DISABLED=true")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(arrived)
	}
	deadline := time.Now().Add(20 * time.Second)
	for count() < 400 {
		if time.Now().After(deadline) {
			t.Fatalf("the function URL got %d requests within 20 s\nstderr:\n%s", count(), stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	killed := time.Now()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	recs := readRecords(t, out)
	have := map[uint64]bool{}
	for _, r := range recs {
		have[r.Seq] = true
		if r.RequestID == "" {
			t.Errorf("record %d has no request id (the join needs it)", r.Seq)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	lost, oldest := 0, time.Duration(0)
	for seq, at := range arrived {
		if have[seq] {
			continue
		}
		lost++
		if age := killed.Sub(at); age > oldest {
			oldest = age
		}
	}
	t.Logf("killed after %d requests: %d records in results.jsonl, %d lost, the oldest lost one answered %v before the kill",
		len(arrived), len(recs), lost, oldest.Round(time.Millisecond))
	if oldest > 200*time.Millisecond {
		t.Errorf("a request answered %v before SIGKILL has no record; want at most the last 200 ms lost", oldest)
	}
	if len(recs) < len(arrived)/2 {
		t.Errorf("only %d of %d requests recorded", len(recs), len(arrived))
	}
}
