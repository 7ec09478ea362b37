package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/summary"
)

func runTestEchoServer(t *testing.T, delay time.Duration) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		w.Header().Set("Server-Timing", "inference;dur=1.5")
		fmt.Fprint(w, `{"label":"POSITIVE"}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func runTestScenario(t *testing.T, dir, url, phases, slo string) string {
	t.Helper()
	y := fmt.Sprintf(`version: 1
name: cmd-test
seed: 5
targets:
  - {name: echo, kind: http, url: "%s/v1/sentiment", method: POST, headers: {Content-Type: application/json}, timeout: 5s}
payloads: {inline: [{text: "great"}, {text: "awful"}], order: random, body: '{"text": {{json .text}}}'}
phases:
%s
slo: %s
`, url, phases, slo)
	path := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runTestMain(ctx context.Context, args ...string) (ExitCode, string, string) {
	var out, errb bytes.Buffer
	code := Main(ctx, args, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

func TestRunCommandEndToEnd(t *testing.T) {
	t.Parallel()
	srv := runTestEchoServer(t, 0)
	dir := t.TempDir()
	scenario := runTestScenario(t, dir, srv.URL, `  - {name: warmup, targets: [echo], duration: 300ms, traffic: {model: constant, rate: 20}, record: false}
  - {name: steady, targets: [echo], duration: 1s, traffic: {model: poisson, rate: 50}, max_in_flight: 20}`, "{p99_ms: 2000, error_rate: 0.01}")
	out := filepath.Join(dir, "run")
	code, stdout, stderr := runTestMain(context.Background(), "run", scenario, "--out", out, "--quiet", "--fail-on-slo")
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, f := range []string{results.ScenarioFile, results.RunInfoFile, results.ResultsFile, results.SummaryFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	raw, _ := os.ReadFile(filepath.Join(out, results.ScenarioFile))
	orig, _ := os.ReadFile(scenario)
	if !bytes.Equal(raw, orig) {
		t.Error("scenario.yaml is not the exact input")
	}
	var sum results.Summary
	b, _ := os.ReadFile(filepath.Join(out, results.SummaryFile))
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Targets) != 1 || len(sum.Targets[0].Phases) != 1 {
		t.Fatalf("summary targets: %+v", sum.Targets)
	}
	p := sum.Targets[0].Phases[0]
	if p.Name != "steady" || p.Requests < 20 || p.OK != p.Requests || p.SLO == nil || !p.SLO.Passed || p.OfferedRPS == 0 {
		t.Fatalf("steady phase: %+v", p)
	}
	if len(sum.Run.Phases) != 2 || sum.Run.Phases[0].Recorded || sum.Run.End.IsZero() || sum.Scenario.Seed != 5 {
		t.Fatalf("run info: %+v", sum.Run)
	}
	if !strings.Contains(stdout, "TARGET") || !strings.Contains(stdout, "steady") || !strings.Contains(stdout, "pass") {
		t.Errorf("no table on stdout:\n%s", stdout)
	}
	if stderr != "" {
		t.Errorf("stderr not empty with --quiet and no terminal:\n%s", stderr)
	}

	// A second run into the same folder is refused (exit 2), the first kept.
	if code, _, stderr := runTestMain(context.Background(), "run", scenario, "--out", out, "--quiet"); code != ExitBadInput ||
		!strings.Contains(stderr, "already holds a run") {
		t.Errorf("rerun into %s: exit %d, stderr %s", out, code, stderr)
	}

	// benchctl summary DIR gives the same numbers.
	code, stdout, stderr = runTestMain(context.Background(), "summary", out, "--json")
	if code != ExitOK {
		t.Fatalf("summary exit %d: %s", code, stderr)
	}
	var again results.Summary
	if err := json.Unmarshal([]byte(stdout), &again); err != nil {
		t.Fatal(err)
	}
	if again.Targets[0].Phases[0].LatencyMs != p.LatencyMs || again.Targets[0].Phases[0].Requests != p.Requests {
		t.Errorf("summary differs from run's: %+v vs %+v", again.Targets[0].Phases[0].LatencyMs, p.LatencyMs)
	}
}

func TestRunCommandExitCodes(t *testing.T) {
	t.Parallel()
	srv := runTestEchoServer(t, 20*time.Millisecond)
	tests := []struct {
		name    string
		phases  string
		slo     string
		args    []string
		timeout time.Duration
		want    ExitCode
	}{
		{"slo violated", `  - {name: p, targets: [echo], duration: 300ms, traffic: {model: constant, rate: 20}}`,
			"{p50_ms: 1}", []string{"--fail-on-slo"}, 0, ExitSLOViolated},
		{"slo violated without flag", `  - {name: p, targets: [echo], duration: 300ms, traffic: {model: constant, rate: 20}}`,
			"{p50_ms: 1}", nil, 0, ExitOK},
		{"interrupted", `  - {name: p, targets: [echo], duration: 1m, traffic: {model: constant, rate: 20}}`,
			"{p99_ms: 1000}", nil, 500 * time.Millisecond, ExitInterrupted},
		{"unknown flag", `  - {name: p, targets: [echo], duration: 300ms, traffic: {model: constant, rate: 20}}`,
			"{p99_ms: 1000}", []string{"--bogus"}, 0, ExitBadInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			scenario := runTestScenario(t, dir, srv.URL, tc.phases, tc.slo)
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			args := append([]string{"run", scenario, "--out", filepath.Join(dir, "run"), "--quiet"}, tc.args...)
			code, stdout, stderr := runTestMain(ctx, args...)
			if code != tc.want {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.want, stdout, stderr)
			}
			if tc.want == ExitInterrupted {
				b, err := os.ReadFile(filepath.Join(dir, "run", results.SummaryFile))
				if err != nil || !bytes.Contains(b, []byte(`"interrupted": true`)) {
					t.Fatalf("interrupted run: summary %s err %v", b, err)
				}
			}
		})
	}
}

func TestRunCommandBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\nname: x\nphases: [{name: p, traffic: {model: constant, rate: -3}}]\n"), 0o644)
	for _, args := range [][]string{{"run"}, {"run", "no-such-scenario-name"}, {"run", bad}, {"summary", dir}} {
		if code, _, stderr := runTestMain(context.Background(), args...); code != ExitBadInput {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr)
		}
	}
}

func TestRunDryRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	scenario := runTestScenario(t, dir, "http://127.0.0.1:9", `  - {name: ramp, targets: [echo], duration: 10s, traffic: {model: ramp, from: 0, to: 100}}`, "{p99_ms: 1}")
	code, stdout, stderr := runTestMain(context.Background(), "run", scenario, "--dry-run", "--seed", "3")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "seed 3") || !strings.Contains(stdout, "500") || !strings.Contains(stdout, "ramp") {
		t.Fatalf("dry run output:\n%s", stdout)
	}
}

func TestNewRunCmdFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want RunOptions
	}{
		{"defaults", []string{"quickstart"}, RunOptions{Scenario: "quickstart"}},
		{"all", []string{"x.yaml", "--out", "d", "--seed", "7", "--dry-run", "--quiet", "--fail-on-slo"},
			RunOptions{Scenario: "x.yaml", Dir: "d", Seed: 7, SeedSet: true, DryRun: true, Quiet: true, FailOnSLO: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got *RunOptions
			cmd := newRunCmd(&IOStreams{}, func(o *RunOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if got.Scenario != tc.want.Scenario || got.Dir != tc.want.Dir || got.Seed != tc.want.Seed || got.SeedSet != tc.want.SeedSet ||
				got.DryRun != tc.want.DryRun || got.Quiet != tc.want.Quiet || got.FailOnSLO != tc.want.FailOnSLO {
				t.Fatalf("got %+v, want %+v", *got, tc.want)
			}
		})
	}
}

const runChildEnv = "BENCHCTL_RUN_CHILD"

// TestRunChild is the child of TestRunKilledWithSIGKILL: a long run.
func TestRunChild(t *testing.T) {
	args := os.Getenv(runChildEnv)
	if args == "" {
		t.Skip("helper process for TestRunKilledWithSIGKILL")
	}
	// As main does: benchctl's signal rule.
	os.Exit(int(mainWithSignals(strings.Split(args, "\x1f"), &IOStreams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})))
}

// startRunChild starts `benchctl run` on a 30 s phase (the server answers
// after delay) in a child process and waits until results.jsonl holds at
// least minLines records.
func startRunChild(t *testing.T, minLines int, delay time.Duration) (cmd *exec.Cmd, out string, stderr *bytes.Buffer) {
	t.Helper()
	srv := runTestEchoServer(t, delay)
	dir := t.TempDir()
	scenario := runTestScenario(t, dir, srv.URL, `  - {name: long, targets: [echo], duration: 30s, traffic: {model: poisson, rate: 200}}`, "{p99_ms: 1000}")
	out = filepath.Join(dir, "run")
	cmd = exec.Command(os.Args[0], "-test.run=^TestRunChild$")
	cmd.Env = append(os.Environ(), runChildEnv+"="+strings.Join([]string{"run", scenario, "--out", out, "--quiet"}, "\x1f"))
	stderr = &bytes.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		if b, err := os.ReadFile(filepath.Join(out, results.ResultsFile)); err == nil && bytes.Count(b, []byte("\n")) > minLines {
			return cmd, out, stderr
		}
		if time.Now().After(deadline) {
			t.Fatal("no records within 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRunInterruptSignals: one SIGINT stops sending, saves everything and
// exits 130; two SIGINTs exit at once with results.jsonl still readable.
func TestRunInterruptSignals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		signals     int
		wantSummary bool
	}{
		{"first ctrl-c drains and saves", 1, true},
		{"second ctrl-c exits at once", 2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Responses take 1 s, so requests are in flight when the
			// signals arrive and the drain outlasts the second one.
			cmd, out, stderr := startRunChild(t, 50, time.Second)
			for i := 0; i < tc.signals; i++ {
				if err := cmd.Process.Signal(os.Interrupt); err != nil {
					t.Fatal(err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("benchctl did not exit within 20 s of the interrupt")
			}
			if code := cmd.ProcessState.ExitCode(); code != int(ExitInterrupted) {
				t.Fatalf("exit %d, want 130\nstderr:\n%s", code, stderr)
			}
			_, err := os.Stat(filepath.Join(out, results.SummaryFile))
			if gotSummary := err == nil; gotSummary != tc.wantSummary {
				t.Fatalf("summary.json written = %v, want %v\nstderr:\n%s", gotSummary, tc.wantSummary, stderr)
			}
			run, err := summary.Load(context.Background(), out, summary.Options{Resummarize: true})
			if err != nil {
				t.Fatal(err)
			}
			if targets := run.Summary.Targets; len(targets) != 1 || targets[0].Phases[0].Requests < 50 {
				t.Fatalf("records after interrupt: %+v", targets)
			}
		})
	}
}

// TestRunKilledWithSIGKILL kills `benchctl run` mid-phase with SIGKILL:
// results.jsonl stays readable and `benchctl summary DIR` works on it.
func TestRunKilledWithSIGKILL(t *testing.T) {
	t.Parallel()
	cmd, out, _ := startRunChild(t, 100, 0)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if _, err := os.Stat(filepath.Join(out, results.SummaryFile)); err == nil {
		t.Fatal("a killed run wrote summary.json")
	}
	code, stdout, stderr := runTestMain(context.Background(), "summary", out)
	if code != ExitOK {
		t.Fatalf("summary after SIGKILL: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "long") {
		t.Fatalf("summary table:\n%s", stdout)
	}
	raw, err := os.ReadFile(filepath.Join(out, results.SummaryFile))
	if err != nil {
		t.Fatal("summary did not write summary.json for the killed run")
	}
	// The summary says the run was killed and the cut phase is incomplete,
	// instead of presenting it as a finished run.
	var sum results.Summary
	if err := json.Unmarshal(raw, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Run.EndState != results.EndKilled || !sum.Run.Interrupted {
		t.Errorf("run end_state %q interrupted %v, want killed, true", sum.Run.EndState, sum.Run.Interrupted)
	}
	if len(sum.Targets) != 1 || len(sum.Targets[0].Phases) != 1 || !sum.Targets[0].Phases[0].Incomplete {
		t.Errorf("targets %+v: want the cut phase marked incomplete", sum.Targets)
	}
}

func TestRunProgressOnlyOnTerminal(t *testing.T) {
	t.Parallel()
	srv := runTestEchoServer(t, 0)
	tests := []struct {
		name     string
		terminal bool
		quiet    bool
		want     bool
	}{
		{"terminal", true, false, true},
		{"terminal quiet", true, true, false},
		{"not a terminal", false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			scenario := runTestScenario(t, dir, srv.URL, `  - {name: p, targets: [echo], duration: 600ms, traffic: {model: constant, rate: 20}}`, "{p99_ms: 1000}")
			var out, errb bytes.Buffer
			opts := &RunOptions{Stdout: &out, Stderr: &errb, Scenario: scenario, Dir: filepath.Join(dir, "run"),
				Quiet: tc.quiet, IsTerminal: func(io.Writer) bool { return tc.terminal }}
			if err := runRun(context.Background(), opts); err != nil {
				t.Fatal(err)
			}
			got := strings.Contains(errb.String(), "in flight")
			if got != tc.want {
				t.Fatalf("progress shown = %v, want %v; stderr:\n%s", got, tc.want, errb.String())
			}
			if !strings.Contains(out.String(), "LAG P99 MS") {
				t.Fatalf("no table:\n%s", out.String())
			}
		})
	}
}

func TestRunCommandLineRecordsFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"s.yaml"}, "benchctl run s.yaml"},
		{[]string{"s.yaml", "--out", "runs/a b", "--quiet", "--seed", "7"}, "benchctl run --out=runs/a b --quiet --seed=7 s.yaml"},
		{[]string{"--fail-on-slo", "quickstart", "--quiet=false"}, "benchctl run --fail-on-slo --quiet=false quickstart"},
	}
	for _, tt := range tests {
		streams := &IOStreams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard}
		var got *RunOptions
		root := &cobra.Command{Use: "benchctl", SilenceUsage: true, SilenceErrors: true}
		root.AddCommand(newRunCmd(streams, func(o *RunOptions) error { got = o; return nil }))
		root.SetArgs(append([]string{"run"}, tt.args...))
		if err := root.Execute(); err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if line := strings.Join(got.Args, " "); line != tt.want {
			t.Errorf("%v: recorded command %q, want %q", tt.args, line, tt.want)
		}
	}
}
