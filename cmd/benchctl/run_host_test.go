package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
)

// startForeignHogs starts n CPU hogs outside this process's tree: a shell
// backgrounds `timeout 20 sh -c 'while :; do :; done'` and exits, so each
// hog is reparented away from the test (and so from the run's tree). They
// end by themselves after 20 s; the returned function kills them (by the
// pids the shell printed) and runs at cleanup too.
func startForeignHogs(t *testing.T, n int) func() {
	t.Helper()
	if _, err := exec.LookPath("timeout"); err != nil {
		t.Skip("needs timeout(1) to bound the CPU hogs")
	}
	var pids []int
	for range n {
		out, err := exec.Command("sh", "-c", `timeout 20 sh -c 'while :; do :; done' >/dev/null 2>&1 & echo $!`).Output()
		if err != nil {
			t.Fatalf("start hog: %v", err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
		if err != nil {
			t.Fatalf("hog pid %q: %v", out, err)
		}
		pids = append(pids, pid)
	}
	stop := func() {
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGTERM) // timeout passes it on to its busy loop
		}
		pids = nil
	}
	t.Cleanup(stop)
	return stop
}

// selfCPU is this process's CPU time so far, its reaped children included.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		if syscall.Getrusage(who, &ru) == nil {
			total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return total
}

// TestRunFlagsHostBusy runs a short scenario in this process twice: beside
// two CPU hogs that are not the run's, its phase is host_busy, summary.json
// says so, the report's verdict and stdout warn, and --fail-on-interference
// exits 5; without them (on a host that an independent reading finds
// quiet) nothing is flagged.
func TestRunFlagsHostBusy(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("host interference is measured from Linux /proc")
	}
	srv := runTestEchoServer(t, 2*time.Millisecond)
	dir := t.TempDir()
	scenario := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(scenario, []byte(fmt.Sprintf(`version: 1
name: host-busy
seed: 3
targets:
  - {name: echo, kind: http, url: "%s/v1/sentiment", method: POST, timeout: 5s}
payloads: {inline: [{text: "great"}], body: '{"text": {{json .text}}}'}
phases:
  - {name: steady, targets: [echo], duration: 2s, traffic: {model: poisson, rate: 30}}
output: {formats: [md]}
`, srv.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	read := func(t *testing.T, out string) (results.Summary, string) {
		t.Helper()
		var sum results.Summary
		b, err := os.ReadFile(filepath.Join(out, results.SummaryFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &sum); err != nil {
			t.Fatal(err)
		}
		md, _ := os.ReadFile(filepath.Join(out, "report.md"))
		return sum, string(md)
	}

	t.Run("beside two CPU hogs", func(t *testing.T) {
		stop := startForeignHogs(t, 2)
		time.Sleep(300 * time.Millisecond) // reparented and spinning
		out := filepath.Join(dir, "busy")
		code, stdout, stderr := runTestMain(context.Background(), "run", scenario, "--out", out, "--quiet", "--fail-on-interference")
		stop()
		if code != ExitInterference {
			t.Errorf("exit %d, want %d (ExitInterference)\nstdout:\n%s\nstderr:\n%s", code, ExitInterference, stdout, stderr)
		}
		sum, md := read(t, out)
		p := sum.Targets[0].Phases[0]
		if p.Host == nil || !p.HostBusy {
			t.Fatalf("phase not host_busy: %+v", p.Host)
		}
		t.Logf("foreign CPU %.2f cores (p95 %.2f): %v", p.Host.ForeignCPUCores.Mean, p.Host.ForeignCPUCores.P95, p.Host.BusyReasons)
		var info results.RunInfo
		b, _ := os.ReadFile(filepath.Join(out, results.RunInfoFile))
		if err := json.Unmarshal(b, &info); err != nil {
			t.Fatal(err)
		}
		if len(info.Phases) != 1 || info.Phases[0].Host == nil || !info.Phases[0].Host.Busy || info.HostSampling == nil {
			t.Errorf("run.json phases[].host / host_sampling: %+v %+v", info.Phases, info.HostSampling)
		}
		if hi := sum.HostInterference; hi == nil || !hi.Busy || len(hi.BusyPhases) != 1 {
			t.Errorf("summary host_interference: %+v", hi)
		}
		head := md
		if i := strings.Index(md, "\n## "); i >= 0 {
			head = md[:i] // the headline box, before the first section
		}
		if !strings.Contains(head, "**Host busy:**") {
			t.Errorf("report.md's headline box does not warn of the busy host:\n%s", head)
		}
		if !strings.Contains(stdout, "host busy during 1 of 1 phases") || !strings.Contains(stdout, "(host busy)") {
			t.Errorf("stdout does not warn:\n%s", stdout)
		}
	})

	t.Run("without them", func(t *testing.T) {
		out := filepath.Join(dir, "quiet")
		busy0, ok0 := hostBusy()
		self0, t0 := selfCPU(), time.Now()
		code, stdout, stderr := runTestMain(context.Background(), "run", scenario, "--out", out, "--quiet", "--fail-on-interference")
		busy1, ok1 := hostBusy()
		others := -1.0
		if ok0 && ok1 {
			others = max(0, (busy1-busy0-(selfCPU()-self0)).Seconds()/time.Since(t0).Seconds())
		}
		sum, md := read(t, out)
		p := sum.Targets[0].Phases[0]
		if p.Host == nil {
			t.Fatal("phase has no host measurement")
		}
		t.Logf("foreign CPU %.2f cores (p95 %.2f); independent reading over the run %.2f", p.Host.ForeignCPUCores.Mean, p.Host.ForeignCPUCores.P95, others)
		if others < 0 || others > 0.3 {
			t.Skipf("not judged: other processes kept %.2f cores busy during the run (another build or test)", others)
		}
		if code != ExitOK || p.HostBusy || sum.HostInterference == nil || sum.HostInterference.Busy {
			t.Errorf("quiet host flagged: exit %d, phase %+v\nstdout:\n%s\nstderr:\n%s", code, p.Host, stdout, stderr)
		}
		if strings.Contains(md, "Host busy") || strings.Contains(stdout, "host busy") {
			t.Errorf("report or stdout warns of a busy host on a quiet one")
		}
	})
}
