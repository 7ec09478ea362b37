package locallambda

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"
)

// CPU isolation modes reported by (*Platform).CPUIsolation.
const (
	IsolationCgroupV1 = "cgroup-v1"
	IsolationCgroupV2 = "cgroup-v2"
	IsolationNone     = "none"
)

// DefaultCgroupRoot is where the cgroup file systems are mounted.
const DefaultCgroupRoot = "/sys/fs/cgroup"

// MBPerVCPU is Lambda's CPU allocation rule: a function gets one vCPU per
// 1,769 MB of configured memory, vcpu = min(memory/1769, MaxVCPU, host cores).
const MBPerVCPU = 1769

// MaxVCPU is the most vCPUs a Lambda function gets (at 10,240 MB).
const MaxVCPU = 6

// cfsPeriodUs is the CFS bandwidth period used for every instance cgroup:
// 20 ms rather than the kernel's default 100 ms, so that a short handler
// cannot run far above its share by starting late in one period and
// continuing into the next (with 100 ms, a 60 ms job at 512 MB used 0.4
// vCPU instead of 0.29). At 128 MB the quota is still above the kernel's
// 1 ms minimum.
const cfsPeriodUs = 20000

// cgroupPrefix names the per-platform cgroup folder: benchctl-<pid>-<random>.
const cgroupPrefix = "benchctl-"

// vcpuFor returns the CPU share of a function with memMB of memory:
// min(memMB/1769, 6, hostCPUs).
func vcpuFor(memMB, hostCPUs int) float64 {
	v := float64(memMB) / MBPerVCPU
	v = math.Min(v, MaxVCPU)
	return math.Min(v, float64(hostCPUs))
}

// cpuQuotaUs returns the CFS quota (µs per cfsPeriodUs) for memMB.
func cpuQuotaUs(memMB, hostCPUs int) int64 {
	q := int64(math.Round(vcpuFor(memMB, hostCPUs) * cfsPeriodUs))
	if q < 1000 {
		q = 1000 // the kernel's minimum quota
	}
	return q
}

// cgroupManager creates one cgroup per function instance under a
// per-platform folder (benchctl-<pid>) placed below the cgroups this process
// already lives in, so limits nest inside whatever confines benchctl itself.
type cgroupManager struct {
	mode     string
	cpuBase  string // v1: .../cpu/<own>/benchctl-<pid>; v2: the one folder
	memBase  string // v1: .../memory/<own>/benchctl-<pid>; v2: same as cpuBase
	hostCPUs int
	seq      atomic.Int64
	// selfLeaf is the cgroup v2 leaf benchctl moved itself into so that
	// the cgroup it lived in could delegate controllers ("" when it did
	// not move); it stays until the process exits (cleanStale removes it).
	selfLeaf string
	// v2Controllers are the cgroup v2 controllers the platform needs
	// (cpu and memory; tests of the delegation use another one).
	v2Controllers []string
}

// newCgroupManager probes root for a writable cgroup v1 (cpu + memory) or
// v2 hierarchy. It never fails: when nothing usable is found it returns a
// manager in mode "none" and the reason in warn.
func newCgroupManager(root string) (m *cgroupManager, warn string) {
	m = &cgroupManager{mode: IsolationNone, hostCPUs: runtime.NumCPU(), v2Controllers: []string{"cpu", "memory"}}
	return m, m.probe(root)
}

// probe finds and prepares the hierarchy under root (see newCgroupManager);
// it returns why there is no isolation, or "".
func (m *cgroupManager) probe(root string) (warn string) {
	if root == "" || root == IsolationNone {
		return "cgroups disabled by configuration"
	}
	own, err := ownCgroups()
	if err != nil {
		return fmt.Sprintf("reading /proc/self/cgroup: %v", err)
	}
	var errs []string
	if cpu, mem := filepath.Join(root, "cpu"), filepath.Join(root, "memory"); isFile(filepath.Join(cpu, "cpu.cfs_quota_us")) && isFile(filepath.Join(mem, "memory.limit_in_bytes")) {
		cpuBase := filepath.Join(cpu, own["cpu"])
		memBase := filepath.Join(mem, own["memory"])
		cleanStale(cpuBase)
		cleanStale(memBase)
		name := platformDirName()
		m.cpuBase, m.memBase = filepath.Join(cpuBase, name), filepath.Join(memBase, name)
		if err := m.probeV1(); err == nil {
			m.mode = IsolationCgroupV1
			return ""
		} else {
			errs = append(errs, "cgroup v1: "+err.Error())
			_ = os.Remove(m.cpuBase)
			_ = os.Remove(m.memBase)
		}
	}
	if isFile(filepath.Join(root, "cgroup.controllers")) {
		base := filepath.Join(root, own[""])
		cleanStale(base)
		m.cpuBase = filepath.Join(base, platformDirName())
		m.memBase = m.cpuBase
		if err := m.probeV2(root, base); err == nil {
			m.mode = IsolationCgroupV2
			return ""
		} else {
			errs = append(errs, "cgroup v2: "+err.Error())
			_ = os.Remove(m.cpuBase)
		}
	}
	if len(errs) == 0 {
		errs = append(errs, "no cgroup v1 cpu+memory or cgroup v2 hierarchy under "+root)
	}
	m.cpuBase, m.memBase = "", ""
	return strings.Join(errs, "; ")
}

// probeV1 creates the platform folders and checks that they are real,
// writable cgroups.
func (m *cgroupManager) probeV1() error {
	for _, d := range []string{m.cpuBase, m.memBase} {
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("creating %s: %w", d, err)
		}
	}
	if !isFile(filepath.Join(m.cpuBase, "cpu.cfs_quota_us")) || !isFile(filepath.Join(m.memBase, "memory.limit_in_bytes")) {
		return fmt.Errorf("%s is not a cgroup (no control files after mkdir)", m.cpuBase)
	}
	// A write that changes nothing proves the files are writable.
	if err := writeFile(filepath.Join(m.cpuBase, "cpu.cfs_quota_us"), "-1"); err != nil {
		return err
	}
	return nil
}

// probeV2 prepares the platform folder m.cpuBase under base (the cgroup
// this process lives in) the way cgroup v2 delegation expects (systemd's
// Delegate=yes): the controllers are enabled in base's
// cgroup.subtree_control, then in the platform folder's, for the instance
// cgroups below it. The kernel's no-internal-process rule refuses the first
// step (EBUSY) while base holds processes, so benchctl first moves itself
// into a leaf cgroup of its own (<platform folder>-self, next to it); when
// base holds other processes too (a login shell's scope), the error says to
// start benchctl in a delegated cgroup of its own. The root cgroup is
// exempt from the rule.
func (m *cgroupManager) probeV2(root, base string) error {
	ctl, err := os.ReadFile(filepath.Join(base, "cgroup.controllers"))
	if err != nil {
		if ctl, err = os.ReadFile(filepath.Join(root, "cgroup.controllers")); err != nil {
			return err
		}
	}
	have := strings.Fields(string(ctl))
	for _, c := range m.v2Controllers {
		if !slices.Contains(have, c) {
			return fmt.Errorf("the %s controller is not available in %s (it offers %q; on a hybrid host cpu and memory belong to the cgroup v1 hierarchies)", c, base, strings.TrimSpace(string(ctl)))
		}
	}
	err = m.enableV2(base)
	if errors.Is(err, syscall.EBUSY) {
		// base holds processes (this one at least): move into a leaf.
		leaf := m.cpuBase + "-self"
		if merr := mkdir(leaf); merr != nil {
			return merr
		}
		if merr := writeFile(filepath.Join(leaf, "cgroup.procs"), strconv.Itoa(os.Getpid())); merr != nil {
			_ = os.Remove(leaf)
			return fmt.Errorf("moving benchctl into its own leaf cgroup: %w", merr)
		}
		m.selfLeaf = leaf
		if err = m.enableV2(base); errors.Is(err, syscall.EBUSY) {
			others := len(strings.Fields(readString(filepath.Join(base, "cgroup.procs"))))
			// Back where it was: nothing was enabled, so base may hold it.
			_ = writeFile(filepath.Join(base, "cgroup.procs"), strconv.Itoa(os.Getpid()))
			_ = os.Remove(leaf)
			m.selfLeaf = ""
			return fmt.Errorf("%s holds %d other processes, so it cannot delegate its controllers to the platform's cgroups (the kernel's no-internal-process rule); start benchctl in a cgroup of its own, e.g. systemd-run --user --scope -p Delegate=yes benchctl ...: %w", base, others, err)
		}
	}
	if err != nil {
		return err
	}
	if err := os.Mkdir(m.cpuBase, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("creating %s: %w", m.cpuBase, err)
	}
	return m.enableV2(m.cpuBase)
}

// enableV2 enables m.v2Controllers for the children of cgroup dir (a no-op
// when they are enabled already).
func (m *cgroupManager) enableV2(dir string) error {
	on := strings.Fields(readString(filepath.Join(dir, "cgroup.subtree_control")))
	var add []string
	for _, c := range m.v2Controllers {
		if !slices.Contains(on, c) && !slices.Contains(on, "+"+c) {
			add = append(add, "+"+c)
		}
	}
	if len(add) == 0 {
		return nil
	}
	return writeFile(filepath.Join(dir, "cgroup.subtree_control"), strings.Join(add, " "))
}

func readString(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

// setCPUShares sets the CPU weight of the platform folder, which holds
// every instance's cgroup.
func (m *cgroupManager) setCPUShares(shares int) error {
	if m.mode == IsolationCgroupV2 {
		return writeFile(filepath.Join(m.cpuBase, "cpu.weight"), strconv.Itoa(max(1, shares*100/1024)))
	}
	return writeFile(filepath.Join(m.cpuBase, "cpu.shares"), strconv.Itoa(shares))
}

// instanceCgroup is the cgroup (one folder per controller) of one instance.
type instanceCgroup struct {
	mode string
	cpu  string
	mem  string
}

// create makes and configures the cgroup of a new instance with memMB of
// memory: memory limit = memMB MiB (swap included), CPU quota per vcpuFor.
func (m *cgroupManager) create(memMB int) (*instanceCgroup, error) {
	if m.mode == IsolationNone {
		return nil, nil
	}
	name := "i" + strconv.FormatInt(m.seq.Add(1), 10) + "-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	cg := &instanceCgroup{mode: m.mode, cpu: filepath.Join(m.cpuBase, name), mem: filepath.Join(m.memBase, name)}
	limit := strconv.FormatInt(int64(memMB)<<20, 10)
	quota := cpuQuotaUs(memMB, m.hostCPUs)
	var err error
	if m.mode == IsolationCgroupV1 {
		err = errors.Join(
			mkdir(cg.cpu), mkdir(cg.mem),
			writeFile(filepath.Join(cg.cpu, "cpu.cfs_period_us"), strconv.Itoa(cfsPeriodUs)),
			writeFile(filepath.Join(cg.cpu, "cpu.cfs_quota_us"), strconv.FormatInt(quota, 10)),
			writeFile(filepath.Join(cg.mem, "memory.limit_in_bytes"), limit),
		)
		if err == nil && isFile(filepath.Join(cg.mem, "memory.memsw.limit_in_bytes")) {
			err = writeFile(filepath.Join(cg.mem, "memory.memsw.limit_in_bytes"), limit)
		}
	} else {
		err = errors.Join(
			mkdir(cg.cpu),
			writeFile(filepath.Join(cg.cpu, "cpu.max"), fmt.Sprintf("%d %d", quota, cfsPeriodUs)),
			writeFile(filepath.Join(cg.cpu, "memory.max"), limit),
		)
		if err == nil && isFile(filepath.Join(cg.cpu, "memory.swap.max")) {
			err = writeFile(filepath.Join(cg.cpu, "memory.swap.max"), "0")
		}
	}
	if err != nil {
		cg.remove()
		return nil, fmt.Errorf("configuring instance cgroup: %w", err)
	}
	return cg, nil
}

// procsFiles are the files a process writes its pid to in order to join.
func (cg *instanceCgroup) procsFiles() []string {
	if cg.mode == IsolationCgroupV1 {
		return []string{filepath.Join(cg.cpu, "cgroup.procs"), filepath.Join(cg.mem, "cgroup.procs")}
	}
	return []string{filepath.Join(cg.cpu, "cgroup.procs")}
}

// peakBytes is the cgroup's peak memory use.
func (cg *instanceCgroup) peakBytes() (int64, error) {
	f := filepath.Join(cg.mem, "memory.max_usage_in_bytes")
	if cg.mode == IsolationCgroupV2 {
		f = filepath.Join(cg.cpu, "memory.peak")
	}
	b, err := os.ReadFile(f)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

// oomKills is how many processes the kernel killed for hitting the limit.
func (cg *instanceCgroup) oomKills() int64 {
	f := filepath.Join(cg.mem, "memory.oom_control")
	if cg.mode == IsolationCgroupV2 {
		f = filepath.Join(cg.cpu, "memory.events")
	}
	b, err := os.ReadFile(f)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "oom_kill "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// remove kills anything left in the cgroup and removes its folders.
func (cg *instanceCgroup) remove() {
	if cg == nil {
		return
	}
	for _, d := range []string{cg.cpu, cg.mem} {
		removeCgroupDir(d)
	}
}

// close removes the platform folders (instances must be removed first).
func (m *cgroupManager) close() {
	if m.mode == IsolationNone {
		return
	}
	for _, d := range []string{m.cpuBase, m.memBase} {
		removeCgroupTree(d)
	}
}

// removeCgroupDir kills the cgroup's processes and removes the folder,
// retrying briefly while the kernel finishes tearing the processes down.
func removeCgroupDir(d string) {
	if d == "" {
		return
	}
	for i := 0; i < 50; i++ {
		killProcs(d)
		err := os.Remove(d)
		if err == nil || errors.Is(err, os.ErrNotExist) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// removeCgroupTree removes a platform folder and its instance folders.
func removeCgroupTree(d string) {
	entries, _ := os.ReadDir(d)
	for _, e := range entries {
		if e.IsDir() {
			removeCgroupDir(filepath.Join(d, e.Name()))
		}
	}
	removeCgroupDir(d)
}

// killProcs sends SIGKILL to every process in cgroup folder d.
func killProcs(d string) {
	b, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// platformDirName is a new platform's cgroup folder name.
func platformDirName() string {
	return cgroupPrefix + strconv.Itoa(os.Getpid()) + "-" + uuid.NewString()[:8]
}

// cleanStale removes benchctl-<pid>-<n> folders under base left by platforms
// whose process no longer exists.
func cleanStale(base string) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && stalePlatformDir(e.Name()) {
			removeCgroupTree(filepath.Join(base, e.Name()))
		}
	}
}

// CleanStaleCgroups removes, anywhere under the cgroup file systems at
// root (each cgroup v1 controller and the v2 hierarchy), the cgroup folders
// of local platforms whose process is gone (benchctl-<pid>-…, with the
// instance cgroups below them and a -self leaf), killing what is left in
// them. Every platform does this below its own cgroup when it starts;
// `benchctl lambda serve --cleanup` does it for the whole hierarchy (a
// platform killed with SIGKILL, or started from another cgroup). It
// returns the folders removed. The walk is bounded (16 levels, 100,000
// folders).
func CleanStaleCgroups(root string) ([]string, error) {
	if root == "" {
		root = DefaultCgroupRoot
	}
	if _, err := os.Stat(root); err != nil {
		return nil, err
	}
	var removed []string
	budget := 100_000
	var walk func(dir string, depth int)
	walk = func(dir string, depth int) {
		if depth > 16 || budget <= 0 {
			return
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range entries {
			if !e.IsDir() || e.Type()&os.ModeSymlink != 0 {
				continue
			}
			if budget--; budget <= 0 {
				return
			}
			p := filepath.Join(dir, e.Name())
			if stalePlatformDir(e.Name()) {
				removeCgroupTree(p)
				if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
					removed = append(removed, p)
				}
				continue
			}
			walk(p, depth+1)
		}
	}
	walk(root, 0)
	return removed, nil
}

// stalePlatformDir reports whether name is a platform folder
// (benchctl-<pid>-…) of a process that no longer exists.
func stalePlatformDir(name string) bool {
	rest, ok := strings.CutPrefix(name, cgroupPrefix)
	if !ok {
		return false
	}
	pidText, _, _ := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(pidText)
	return err == nil && pid > 0 && pid != os.Getpid() && !processAlive(pid)
}

// processAlive reports whether a live (not zombie) process has this pid.
func processAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no procfs: trust kill(0)
	}
	// Field 3, after the parenthesised command name, is the state.
	if i := strings.LastIndexByte(string(b), ')'); i >= 0 && i+2 < len(b) {
		return b[i+2] != 'Z' && b[i+2] != 'X'
	}
	return true
}

// ownCgroups maps controller name ("" for v2) to this process's cgroup path.
func ownCgroups() (map[string]string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			out[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out, sc.Err()
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func mkdir(d string) error {
	if err := os.Mkdir(d, 0o755); err != nil {
		return fmt.Errorf("creating cgroup %s: %w", d, err)
	}
	return nil
}

func writeFile(p, v string) error {
	if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
		return fmt.Errorf("writing %q to %s: %w", v, p, err)
	}
	return nil
}
