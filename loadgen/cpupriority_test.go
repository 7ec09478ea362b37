package loadgen

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRaiseCPUPriorityFakeHierarchy checks the files written on a fake
// cgroup-v1 tree: the generator's folder, its cpu.shares, this pid moved in
// and back, the folder removed, and a dead run's folder cleaned up.
func TestRaiseCPUPriorityFakeHierarchy(t *testing.T) {
	own, err := ownCPUCgroup()
	if err != nil {
		t.Skipf("no cgroup-v1 cpu line in /proc/self/cgroup: %v", err)
	}
	root := t.TempDir()
	base := filepath.Join(root, "cpu", own)
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"cpu.shares", "cgroup.procs"} {
		if err := os.WriteFile(filepath.Join(base, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A generator folder of a process that no longer exists (pid above
	// the kernel's pid_max), and one of a live process (this test's parent).
	stale := filepath.Join(base, "benchctl-99999999-generator")
	live := filepath.Join(base, "benchctl-"+strconv.Itoa(os.Getppid())+"-generator")
	for _, d := range []string{stale, live} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	p, err := RaiseCPUPriority(root, 4096)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "benchctl-"+strconv.Itoa(os.Getpid())+"-generator")
	for file, want := range map[string]string{"cpu.shares": "4096", "cgroup.procs": strconv.Itoa(os.Getpid())} {
		got, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q (%v), want %q", file, got, err, want)
		}
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale generator folder of a dead process kept (%v)", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("generator folder of a live process removed: %v", err)
	}
	if got := p.String(); got != "cgroup-v1 cpu.shares 4096" {
		t.Errorf("String() = %q", got)
	}

	// The fake folder holds regular files, so rmdir cannot succeed: remove
	// them as the kernel would on an empty cgroup, then Restore.
	for _, f := range []string{"cpu.shares", "cgroup.procs"} {
		_ = os.Remove(filepath.Join(dir, f))
	}
	if err := p.Restore(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(base, "cgroup.procs")); string(got) != strconv.Itoa(os.Getpid()) {
		t.Errorf("origin cgroup.procs = %q after Restore, want this pid", got)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("generator folder left after Restore (%v)", err)
	}
}

func TestRaiseCPUPriorityRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		root   string
		shares int
		want   string
	}{
		{"shares too small", t.TempDir(), 1, "outside the kernel's 2..262144"},
		{"shares too large", t.TempDir(), 300000, "outside the kernel's 2..262144"},
		{"no cpu controller", t.TempDir(), 8192, "no cgroup-v1 cpu controller"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := RaiseCPUPriority(tt.root, tt.shares)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestRaiseCPUPriorityRealCgroup moves the test process into a real
// cgroup-v1 cpu cgroup and back (root on a v1 host only).
func TestRaiseCPUPriorityRealCgroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create cgroups")
	}
	if _, err := os.Stat("/sys/fs/cgroup/cpu/cpu.shares"); err != nil {
		t.Skip("no cgroup-v1 cpu controller at /sys/fs/cgroup/cpu")
	}
	p, err := RaiseCPUPriority("/sys/fs/cgroup", GeneratorCPUShares)
	if err != nil {
		t.Fatal(err)
	}
	restored := false
	defer func() {
		if !restored {
			_ = p.Restore()
		}
	}()
	own, err := ownCPUCgroup()
	if err != nil {
		t.Fatal(err)
	}
	if want := "-generator"; !strings.HasSuffix(own, want) {
		t.Errorf("after raising, /proc/self/cgroup cpu = %q, want a ...%s folder", own, want)
	}
	shares, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/cpu", own, "cpu.shares"))
	if err != nil || strings.TrimSpace(string(shares)) != strconv.Itoa(GeneratorCPUShares) {
		t.Errorf("cpu.shares = %q (%v), want %d", shares, err, GeneratorCPUShares)
	}
	restored = true
	if err := p.Restore(); err != nil {
		t.Fatal(err)
	}
	back, err := ownCPUCgroup()
	if err != nil {
		t.Fatal(err)
	}
	if back == own {
		t.Errorf("still in %s after Restore", own)
	}
	if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/cpu", own)); !os.IsNotExist(err) {
		t.Errorf("generator cgroup %s left after Restore (%v)", own, err)
	}
}
