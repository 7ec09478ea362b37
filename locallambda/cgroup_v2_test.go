package locallambda

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cgroup2ChildEnv makes the test binary run cgroup2Child: "<mount>,<controller>...".
const cgroup2ChildEnv = "LOCALLAMBDA_CGROUP2_CHILD"

// cgroup2Result is what cgroup2Child reports.
type cgroup2Result struct {
	Mode, Warn, Base, Leaf, Own string
	CPUMax                      string
}

// cgroup2Child runs the platform's cgroup probe from inside a non-root
// cgroup of a real cgroup2 mount (the parent moved it there), so the
// kernel's no-internal-process rule applies, prints the result as JSON and
// waits for stdin to close (the parent inspects the cgroups meanwhile).
func cgroup2Child(spec string) {
	parts := strings.Split(spec, ",")
	in := bufio.NewReader(os.Stdin)
	fmt.Println("ready")
	if _, err := in.ReadString('\n'); err != nil { // moved into the test cgroup
		os.Exit(3)
	}
	m := &cgroupManager{mode: IsolationNone, hostCPUs: 2, v2Controllers: parts[1:]}
	warn := m.probe(parts[0])
	own, _ := ownCgroups()
	res := cgroup2Result{Mode: m.mode, Warn: warn, Base: m.cpuBase, Leaf: m.selfLeaf, Own: own[""]}
	if m.mode == IsolationCgroupV2 && slices.Contains(m.v2Controllers, "cpu") {
		if cg, err := m.create(512); err == nil {
			b, _ := os.ReadFile(filepath.Join(cg.cpu, "cpu.max"))
			res.CPUMax = strings.TrimSpace(string(b))
			cg.remove()
		} else {
			res.Warn = err.Error()
		}
	}
	_ = json.NewEncoder(os.Stdout).Encode(res)
	_, _ = in.ReadString('\n')
	m.close()
	os.Exit(0)
}

// TestCgroupV2DelegationOnRealMount mounts cgroup2 (root only), puts a
// child process in a cgroup of its own below the mount and lets it prepare
// the platform's cgroups: the kernel refuses to enable controllers in a
// cgroup that holds processes, so the platform must first move itself into
// a leaf (as systemd's delegation expects), then enable the controllers for
// its folder. With cpu and memory available it also creates an instance
// cgroup; where they belong to cgroup v1 (a hybrid host, like this
// project's build machine) the mechanics are checked with a controller the
// mount does offer, and the cpu/memory run is skipped with the reason.
func TestCgroupV2DelegationOnRealMount(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting cgroup2 needs root")
	}
	mnt := t.TempDir()
	if err := syscall.Mount("none", mnt, "cgroup2", 0, ""); err != nil {
		t.Skipf("cannot mount cgroup2 here: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(mnt, syscall.MNT_DETACH) })
	own, err := ownCgroups()
	if err != nil {
		t.Skip("no /proc/self/cgroup: ", err)
	}
	// The test's cgroup sits where this process lives in the unified
	// hierarchy, so the child's own path is below its parent's.
	parent := filepath.Join(mnt, own[""])
	offered := strings.Fields(readString(filepath.Join(parent, "cgroup.controllers")))
	domain := ""
	for _, c := range []string{"memory", "cpu", "io", "pids", "hugetlb"} {
		if slices.Contains(offered, c) {
			domain = c
			break
		}
	}
	run := func(t *testing.T, controllers []string, neighbour bool) {
		t.Helper()
		test := filepath.Join(parent, fmt.Sprintf("benchctl-test-%d-%d", os.Getpid(), time.Now().UnixNano()%1e6))
		if err := os.Mkdir(test, 0o755); err != nil {
			t.Skipf("cannot create a cgroup below %s: %v", parent, err)
		}
		if err := writeFile(filepath.Join(parent, "cgroup.subtree_control"), "+"+strings.Join(controllers, " +")); err != nil && !errors.Is(err, syscall.EBUSY) {
			t.Logf("enabling %v in %s: %v", controllers, parent, err)
		}
		t.Cleanup(func() { removeCgroupTree(test) })
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), cgroup2ChildEnv+"="+mnt+","+strings.Join(controllers, ","))
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { stdin.Close(); _ = cmd.Wait() }()
		out := bufio.NewReader(stdout)
		if line, err := out.ReadString('\n'); err != nil || line != "ready\n" {
			t.Fatalf("child said %q (%v)", line, err)
		}
		if err := writeFile(filepath.Join(test, "cgroup.procs"), fmt.Sprint(cmd.Process.Pid)); err != nil {
			t.Fatal(err)
		}
		if neighbour {
			// Another process in the same cgroup (a login shell, say).
			sleep := exec.Command("sleep", "30")
			if err := sleep.Start(); err != nil {
				t.Skip("no sleep(1): ", err)
			}
			defer func() { _ = sleep.Process.Kill(); _ = sleep.Wait() }()
			if err := writeFile(filepath.Join(test, "cgroup.procs"), fmt.Sprint(sleep.Process.Pid)); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Fprintln(stdin, "moved")
		line, err := out.ReadString('\n')
		if err != nil {
			t.Fatalf("child result: %v", err)
		}
		var res cgroup2Result
		if err := json.Unmarshal([]byte(line), &res); err != nil {
			t.Fatalf("child result %q: %v", line, err)
		}
		if neighbour {
			// It cannot delegate, says why and how, and goes back.
			if res.Mode != IsolationNone || !strings.Contains(res.Warn, "holds 1 other processes") || !strings.Contains(res.Warn, "Delegate=yes") ||
				res.Own != strings.TrimPrefix(test, mnt) {
				t.Errorf("with a neighbour: mode %q, own cgroup %q, warning %q; want none, back in %s, and the advice", res.Mode, res.Own, res.Warn, strings.TrimPrefix(test, mnt))
			}
			return
		}
		if res.Mode != IsolationCgroupV2 {
			t.Fatalf("mode %q (%s), want cgroup-v2 after delegation", res.Mode, res.Warn)
		}
		// The child had to leave its cgroup for a leaf of its own, next to
		// the platform folder, and both have the controllers delegated.
		if res.Leaf == "" || filepath.Dir(res.Leaf) != test || !strings.Contains(readString(filepath.Join(res.Leaf, "cgroup.procs")), fmt.Sprint(cmd.Process.Pid)) {
			t.Errorf("leaf %q does not hold the child %d (own cgroup %s)", res.Leaf, cmd.Process.Pid, res.Own)
		}
		for _, d := range []string{test, res.Base} {
			on := readString(filepath.Join(d, "cgroup.subtree_control"))
			for _, c := range controllers {
				if !strings.Contains(on, c) {
					t.Errorf("%s/cgroup.subtree_control = %q, want %s enabled", d, on, c)
				}
			}
		}
		if slices.Contains(controllers, "cpu") && res.CPUMax != "5789 20000" {
			t.Errorf("instance cpu.max = %q, want 5789 20000 (512 MB)", res.CPUMax)
		}
	}
	t.Run("cpu and memory", func(t *testing.T) {
		if !slices.Contains(offered, "cpu") || !slices.Contains(offered, "memory") {
			t.Skipf("the cgroup2 mount offers %q below %s: cpu and memory are bound to the cgroup v1 hierarchies on this host", offered, own[""])
		}
		run(t, []string{"cpu", "memory"}, false)
	})
	t.Run("delegation mechanics", func(t *testing.T) {
		if domain == "" {
			t.Skipf("the cgroup2 mount offers no controller below %s (%q)", own[""], offered)
		}
		run(t, []string{domain}, false)
	})
	t.Run("a cgroup shared with other processes cannot delegate", func(t *testing.T) {
		if domain == "" {
			t.Skipf("the cgroup2 mount offers no controller below %s (%q)", own[""], offered)
		}
		run(t, []string{domain}, true)
	})
}

// TestCleanStaleCgroups: `lambda serve --cleanup` removes the folders of
// dead platforms anywhere below the root (also nested, as below another
// process's cgroup), keeps live ones and everything else; on a real
// cgroup v1 hierarchy (root only) a real stale cgroup is removed too.
func TestCleanStaleCgroups(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	live := fmt.Sprintf("benchctl-%d-live", os.Getpid())
	dead := "benchctl-2147483000-dead" // beyond pid_max: no such process
	for _, d := range []string{
		"cpu/" + dead + "/i1", "cpu/user.slice/session-1.scope/" + dead + "-self",
		"memory/" + dead + "/i1", "memory/" + live + "/i1", "unified/other/benchctl-notapid", "cpu/unrelated",
	} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := CleanStaleCgroups(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 3 {
		t.Errorf("removed %q, want the three folders of the dead platform", removed)
	}
	for d, want := range map[string]bool{
		"cpu/" + dead: false, "cpu/user.slice/session-1.scope/" + dead + "-self": false, "memory/" + dead: false,
		"memory/" + live: true, "unified/other/benchctl-notapid": true, "cpu/unrelated": true, "cpu/user.slice/session-1.scope": true,
	} {
		_, err := os.Stat(filepath.Join(root, d))
		if got := err == nil; got != want {
			t.Errorf("%s exists = %v, want %v", d, got, want)
		}
	}
	if _, err := CleanStaleCgroups(filepath.Join(root, "nope")); err == nil {
		t.Error("a missing root is an error")
	}

	t.Run("real cgroup v1", func(t *testing.T) {
		own, err := ownCgroups()
		base := filepath.Join(DefaultCgroupRoot, "cpu", own["cpu"])
		if err != nil || os.Geteuid() != 0 || !isFile(filepath.Join(base, "cpu.cfs_quota_us")) {
			t.Skip("needs root and a writable cgroup v1 cpu hierarchy")
		}
		stale := filepath.Join(base, fmt.Sprintf("benchctl-2147483001-%d", time.Now().UnixNano()%1e6))
		if err := os.Mkdir(stale, 0o755); err != nil {
			t.Skip("cannot create a cgroup: ", err)
		}
		if err := os.Mkdir(filepath.Join(stale, "i1"), 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { removeCgroupTree(stale) })
		removed, err := CleanStaleCgroups(filepath.Join(DefaultCgroupRoot, "cpu"))
		if err != nil || !slices.Contains(removed, stale) {
			t.Fatalf("removed %q (%v), want %s", removed, err, stale)
		}
		if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there: %v", stale, err)
		}
	})
}
