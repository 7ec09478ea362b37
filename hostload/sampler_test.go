package hostload

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
)

// hogEnv makes the test binary a CPU hog: it spins until the duration in
// the variable has passed, then exits (bounded even if the test dies).
const hogEnv = "BENCHCTL_HOSTLOAD_HOG"

func TestMain(m *testing.M) {
	if d, err := time.ParseDuration(os.Getenv(hogEnv)); err == nil {
		end := time.Now().Add(d)
		x := 0
		for time.Now().Before(end) {
			for i := 0; i < 1_000_000; i++ {
				x ^= i
			}
		}
		os.Exit(x & 0)
	}
	os.Exit(m.Run())
}

// hogs are CPU hogs a test started.
type hogs struct {
	cmds []*exec.Cmd
}

// startHogs starts n single-threaded CPU hogs (this test binary re-executed)
// that stop by themselves after d; stop (also run at cleanup) kills them.
func startHogs(t *testing.T, n int, d time.Duration) *hogs {
	t.Helper()
	h := &hogs{}
	for range n {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), hogEnv+"="+d.String(), "GOMAXPROCS=1")
		if err := cmd.Start(); err != nil {
			t.Fatalf("start hog: %v", err)
		}
		h.cmds = append(h.cmds, cmd)
	}
	t.Cleanup(h.stop)
	return h
}

// ticks is the CPU time the hogs have used so far (clock ticks).
func (h *hogs) ticks(t *testing.T) uint64 {
	t.Helper()
	fs := procFS{root: "/proc"}
	var sum uint64
	for _, c := range h.cmds {
		st, err := fs.pidStat(c.Process.Pid)
		if err != nil {
			t.Fatalf("hog %d: %v", c.Process.Pid, err)
		}
		sum += st.self
	}
	return sum
}

func (h *hogs) stop() {
	for _, c := range h.cmds {
		if c.Process != nil && c.ProcessState == nil {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	}
}

// window samples for d with s running and returns the window and the
// cores the hogs used meanwhile.
func window(t *testing.T, s *Sampler, h *hogs, d time.Duration) (*results.HostLoad, float64) {
	t.Helper()
	from, h0 := time.Now(), h.ticks(t)
	time.Sleep(d)
	to, h1 := time.Now(), h.ticks(t)
	l := s.Window(from, to)
	if l == nil {
		t.Fatal("no host load for the window")
	}
	return l, float64(h1-h0) / UserHZ / to.Sub(from).Seconds()
}

// othersCores is the CPU used by processes other than this test process
// and its children between two /proc/stat readings: the independent
// measure the "quiet" case is judged against.
func othersCores(t *testing.T, d time.Duration) float64 {
	t.Helper()
	fs := procFS{root: "/proc"}
	self := func() uint64 {
		st, err := fs.pidStat(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		return st.self + st.reaped
	}
	c0, err := fs.cpu()
	if err != nil {
		t.Fatal(err)
	}
	s0, t0 := self(), time.Now()
	time.Sleep(d)
	c1, _ := fs.cpu()
	s1, dt := self(), time.Since(t0).Seconds()
	return max(0, float64(int64(c1.busy-c0.busy)-int64(s1-s0))/UserHZ/dt)
}

// TestHogsOutsideTheTreeAreForeign starts two CPU hogs beside a stand-in
// "run" (a sleeping child process whose tree is the run's): the window is
// host_busy with about two foreign cores; the same hogs inside the run's
// tree count as its own CPU instead; with no hogs the window is judged
// quiet when an independent reading says the host was.
func TestHogsOutsideTheTreeAreForeign(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux /proc")
	}
	if runtime.NumCPU() < 2 {
		t.Skip("needs 2 CPUs for two hogs")
	}
	run := exec.Command("sleep", "30")
	if err := run.Start(); err != nil {
		t.Skipf("no sleep(1) to stand in for a run: %v", err)
	}
	t.Cleanup(func() { _ = run.Process.Kill(); _ = run.Wait() })

	const d = time.Second
	t.Run("hogs beside the run", func(t *testing.T) {
		s, err := New(WithRoot(run.Process.Pid), WithRule(DefaultRule(true)))
		if err != nil {
			t.Fatal(err)
		}
		s.Start(context.Background())
		defer s.Stop()
		h := startHogs(t, 2, 10*time.Second)
		time.Sleep(200 * time.Millisecond) // the hogs are running
		l, hogCores := window(t, s, h, d)
		h.stop()
		t.Logf("foreign %.2f cores (p95 %.2f), hogs %.2f, own %.2f, steal %.3f, reasons %v", l.ForeignCPUCores.Mean, l.ForeignCPUCores.P95, hogCores, l.OwnCPUCores, l.StealFraction, l.BusyReasons)
		// On a host that other work keeps busy (a parallel go test ./...)
		// the hogs may get little CPU; the window must still count what
		// they got as foreign. Below the busy threshold they prove nothing.
		if hogCores < DefaultRule(true).ForeignCores {
			t.Skipf("the host was too busy for the hogs to run (they got %.2f cores; others %.2f)", hogCores, l.ForeignCPUCores.Mean-hogCores)
		}
		if l.ForeignCPUCores.Mean < hogCores-0.15 {
			t.Errorf("foreign CPU %.2f cores; the hogs alone used %.2f", l.ForeignCPUCores.Mean, hogCores)
		}
		if !l.Busy {
			t.Errorf("not host_busy with two hogs: %+v", l)
		}
		if l.OwnCPUCores > 0.2 {
			t.Errorf("own CPU %.2f cores for a sleeping run", l.OwnCPUCores)
		}
	})

	t.Run("hogs inside the run", func(t *testing.T) {
		// This test process is the run: the hogs are its children.
		s, err := New(WithRescan(200 * time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		s.Start(context.Background())
		defer s.Stop()
		h := startHogs(t, 2, 10*time.Second)
		time.Sleep(400 * time.Millisecond) // a rescan finds them
		l, hogCores := window(t, s, h, d)
		h.stop()
		t.Logf("foreign %.2f cores, own %.2f (generator %.2f), hogs %.2f", l.ForeignCPUCores.Mean, l.OwnCPUCores, l.GeneratorCPUCores, hogCores)
		if l.OwnCPUCores < hogCores-0.15 {
			t.Errorf("own CPU %.2f cores; the tree's hogs alone used %.2f", l.OwnCPUCores, hogCores)
		}
		// Whatever the hogs left of the cores is all others could use.
		if limit := float64(runtime.NumCPU()) - hogCores + 0.15; l.ForeignCPUCores.Mean > limit {
			t.Errorf("foreign CPU %.2f cores; the hogs in the tree left only %.2f", l.ForeignCPUCores.Mean, limit)
		}
	})

	t.Run("no hogs", func(t *testing.T) {
		s, err := New(WithRoot(os.Getpid()))
		if err != nil {
			t.Fatal(err)
		}
		s.Start(context.Background())
		defer s.Stop()
		from := time.Now()
		others := othersCores(t, d)
		l := s.Window(from, time.Now())
		t.Logf("foreign %.2f cores (p95 %.2f); independent reading %.2f", l.ForeignCPUCores.Mean, l.ForeignCPUCores.P95, others)
		if d := l.ForeignCPUCores.Mean - others; d > 0.15 || d < -0.15 {
			t.Errorf("foreign CPU %.2f cores, independent reading %.2f", l.ForeignCPUCores.Mean, others)
		}
		if others >= DefaultBusyCoresLocal/2 {
			t.Skipf("not judged quiet: other processes kept %.2f cores busy (another build or test)", others)
		}
		if l.Busy {
			t.Errorf("host_busy on a quiet host: %v", l.BusyReasons)
		}
	})
}

// fakeProc is a /proc tree written by a test.
type fakeProc struct {
	t    *testing.T
	root string
}

func newFakeProc(t *testing.T) *fakeProc {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "pressure"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &fakeProc{t: t, root: root}
}

func (f *fakeProc) write(rel, content string) {
	f.t.Helper()
	p := filepath.Join(f.root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// host sets /proc/stat (busy split into user and system), PSI and meminfo.
func (f *fakeProc) host(user, system, idle, steal, stallUs, availKB uint64) {
	f.write("stat", fmt.Sprintf("cpu  %d 0 %d %d 0 0 0 %d 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\n", user, system, idle, steal))
	f.write("pressure/memory", fmt.Sprintf("some avg10=0.00 avg60=0.00 avg300=0.00 total=%d\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", stallUs))
	f.write("meminfo", fmt.Sprintf("MemTotal:       1048576 kB\nMemFree:  1 kB\nMemAvailable:   %d kB\n", availKB))
	f.write("vmstat", "nr_free_pages 1\npgmajfault 7\n")
}

// proc writes /proc/<pid>/stat; the command name has a space and a ')'.
func (f *fakeProc) proc(pid, ppid int, utime, stime, cutime, cstime uint64) {
	f.write(strconv.Itoa(pid)+"/stat", fmt.Sprintf("%d (a) b) S %d 1 1 0 -1 0 0 0 0 0 %d %d %d %d 20 0 1 0 100 0 0\n", pid, ppid, utime, stime, cutime, cstime))
}

func (f *fakeProc) gone(pid int) {
	if err := os.RemoveAll(filepath.Join(f.root, strconv.Itoa(pid))); err != nil {
		f.t.Fatal(err)
	}
}

// TestWindowArithmetic checks the window's figures on a fake /proc: the
// tree's time stays continuous when a child exits and is reaped by its
// parent, foreign = host busy − tree, steal and PSI shares, p95 over
// one-second buckets, and unrelated processes are not the tree's.
func TestWindowArithmetic(t *testing.T) {
	t.Parallel()
	f := newFakeProc(t)
	f.host(1000, 0, 1000, 0, 0, 512*1024)
	f.proc(10, 1, 100, 0, 0, 0) // root
	f.proc(11, 10, 50, 0, 0, 0) // child
	f.proc(12, 11, 5, 0, 0, 0)  // grandchild
	f.proc(20, 1, 400, 0, 0, 0) // unrelated
	s, err := New(withProcRoot(f.root), WithRoot(10), WithRescan(time.Hour), WithRule(DefaultRule(true)))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1000, 0)
	s.samples = nil
	s.members = nil
	read := func(at time.Time) {
		s.mu.Lock()
		s.readLocked(at)
		s.mu.Unlock()
	}
	read(t0) // scans: members 10, 11, 12
	// Second 1: host +150 busy ticks (2 cores: 200 total), tree +50 (root
	// +20, child +30): 1.0 foreign core.
	f.host(1150, 0, 1050, 0, 0, 512*1024)
	f.proc(10, 1, 120, 0, 0, 0)
	f.proc(11, 10, 80, 0, 0, 0)
	read(t0.Add(time.Second))
	// Second 2: the grandchild (5 ticks, +3 since) exits and is reaped by
	// the child (cutime 8); host +60, tree +3 + 7 = 10: 0.5 foreign cores;
	// steal 20 of 200 ticks; PSI 0.25 s stall.
	f.gone(12)
	f.proc(11, 10, 87, 0, 8, 0)
	f.host(1210, 0, 1170, 20, 250_000, 100*1024)
	read(t0.Add(2 * time.Second))

	s.mu.Lock()
	l := s.windowLocked(t0, t0.Add(2*time.Second))
	s.mu.Unlock()
	if l == nil {
		t.Fatal("no window")
	}
	s.rule.Judge(l, s.memTotalMB)
	approx := func(name string, got, want float64) {
		t.Helper()
		if d := got - want; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	approx("foreign mean", l.ForeignCPUCores.Mean, 0.75)
	approx("foreign p95", l.ForeignCPUCores.P95, 1.0)
	approx("own", l.OwnCPUCores, 0.30)
	approx("generator", l.GeneratorCPUCores, 0.10)
	approx("steal", l.StealFraction, 20.0/400)
	if l.MemoryStallFraction == nil || *l.MemoryStallFraction != 0.125 {
		t.Errorf("memory stall = %v, want 0.125", l.MemoryStallFraction)
	}
	approx("memory available min", l.MemoryAvailableMinMB, 100)
	if l.MemoryPressureSource != "psi" || l.Samples != 2 {
		t.Errorf("source %q samples %d", l.MemoryPressureSource, l.Samples)
	}
	if !l.Busy || len(l.BusyReasons) != 2 {
		t.Errorf("busy %v reasons %v; want busy for foreign CPU and memory stall", l.Busy, l.BusyReasons)
	}
}

func TestRule(t *testing.T) {
	t.Parallel()
	stall := func(v float64) *float64 { return &v }
	cases := []struct {
		name string
		load results.HostLoad
		mem  float64
		busy bool
	}{
		{"quiet", results.HostLoad{ForeignCPUCores: results.CoresStat{Mean: 0.1, P95: 0.3}}, 1000, false},
		{"mean over threshold", results.HostLoad{ForeignCPUCores: results.CoresStat{Mean: 0.3, P95: 0.4}}, 1000, true},
		{"burst", results.HostLoad{ForeignCPUCores: results.CoresStat{Mean: 0.2, P95: 1.2}}, 1000, true},
		{"steal", results.HostLoad{StealFraction: 0.08}, 1000, true},
		{"psi stall", results.HostLoad{MemoryStallFraction: stall(0.2)}, 1000, true},
		{"psi quiet despite low memory", results.HostLoad{MemoryStallFraction: stall(0.01), MemoryAvailableMinMB: 10}, 1000, false},
		{"no psi, low memory", results.HostLoad{MemoryAvailableMinMB: 10}, 1000, true},
		{"no psi, faults", results.HostLoad{MajorFaultsPerS: 500, MemoryAvailableMinMB: 900}, 1000, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := c.load
			DefaultRule(true).Judge(&l, c.mem)
			if l.Busy != c.busy {
				t.Errorf("busy = %v (%v), want %v", l.Busy, l.BusyReasons, c.busy)
			}
			if l.BusyThresholdCores != DefaultBusyCoresLocal {
				t.Errorf("threshold %v", l.BusyThresholdCores)
			}
		})
	}
	if err := (Rule{ForeignCores: 0, StealFraction: 0.1, MemoryStallFraction: 0.1}).Validate(); err == nil {
		t.Error("a zero foreign-cores threshold validated")
	}
}

// BenchmarkSample measures one reading of the real /proc with this
// process's tree; the ratio to DefaultInterval is the sampler's share of
// one core (reported as core-%).
func BenchmarkSample(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("needs Linux /proc")
	}
	s, err := New(WithRescan(DefaultRescan))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		s.mu.Lock()
		// Every 10th reading rescans, as at 10 Hz with a 1 s rescan.
		if i%10 == 0 {
			s.members = nil
		}
		s.readLocked(time.Now())
		s.mu.Unlock()
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(100*per.Seconds()/DefaultInterval.Seconds(), "core-%")
}
