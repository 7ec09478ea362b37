// Package hostload measures host interference during a run: how much CPU
// processes outside the run's own process tree used, how much the
// hypervisor stole, and whether the host was short of memory, per phase.
//
// A Sampler reads, about ten times a second, the "cpu" line of /proc/stat
// (the host's busy, steal and total clock ticks), /proc/<pid>/stat of every
// process in the run's tree (its root, by default this process, and all its
// descendants: the reference servers, the local platform and its function
// instances), /proc/pressure/memory (PSI) where the kernel has it, and
// MemAvailable and pgmajfault from /proc/meminfo and /proc/vmstat.
// Window turns the readings between two times into a results.HostLoad:
//
//	foreign cores = (Δ host busy ticks − Δ tree ticks) / (UserHZ × Δt)
//	steal fraction = Δ steal ticks / Δ total ticks
//	memory stall fraction = Δ PSI "some" µs / Δt µs
//
// with busy = user + nice + system + irq + softirq, and the tree's ticks
// utime + stime + cutime + cstime of each member (a member that exits and is
// reaped by its parent moves its time into the parent's cutime, so the sum
// stays continuous). The whole /proc is scanned for new descendants once a
// second (WithRescan); in between only the tree's members are read, so a
// reading costs tens of microseconds (BenchmarkSample).
//
// Rule decides host_busy from a window's figures.
package hostload

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/benchctl/benchctl/results"
)

// Sampling defaults.
const (
	// DefaultInterval is the time between readings (10 Hz).
	DefaultInterval = 100 * time.Millisecond
	// DefaultRescan is how often the whole of /proc is scanned for new
	// descendants of the root.
	DefaultRescan = time.Second
	// BucketWidth is the width of the buckets whose foreign CPU the p95 is
	// taken over.
	BucketWidth = time.Second
)

// ErrUnsupported is returned by New where there is no Linux /proc.
var ErrUnsupported = errors.New("host interference is measured from Linux /proc only")

// sample is one reading; every counter is cumulative.
type sample struct {
	at       time.Time
	cpu      cpuTimes
	own, gen uint64 // ticks of the tree and of its root alone
	mem      memory
}

// Sampler reads the host's CPU, steal and memory counters at a fixed rate
// and summarises any window of them (Window). Start it before the first
// phase and Stop it after the last; it is safe for concurrent use.
type Sampler struct {
	interval, rescan time.Duration
	root             int
	rule             Rule
	cores            int
	memTotalMB       float64

	mu       sync.Mutex
	fs       procFS
	samples  []sample
	members  map[int]procStat
	lastScan time.Time
	spent    time.Duration
	reads    int
	cancel   context.CancelFunc
	done     chan struct{}
}

// Option configures a Sampler.
type Option func(*Sampler) error

// WithInterval sets the time between readings (DefaultInterval).
func WithInterval(d time.Duration) Option {
	return func(s *Sampler) error {
		if d < 10*time.Millisecond {
			return fmt.Errorf("hostload: interval %v: must be at least 10ms", d)
		}
		s.interval = d
		return nil
	}
}

// WithRescan sets how often /proc is scanned for new descendants of the
// root (DefaultRescan; at most every reading).
func WithRescan(d time.Duration) Option {
	return func(s *Sampler) error {
		if d <= 0 {
			return fmt.Errorf("hostload: rescan %v: must be > 0", d)
		}
		s.rescan = d
		return nil
	}
}

// WithRoot makes the process tree rooted at pid the run's own (default:
// this process).
func WithRoot(pid int) Option {
	return func(s *Sampler) error {
		if pid <= 0 {
			return fmt.Errorf("hostload: root pid %d: must be > 0", pid)
		}
		s.root = pid
		return nil
	}
}

// WithRule sets the host_busy rule (default DefaultRule(true)).
func WithRule(r Rule) Option {
	return func(s *Sampler) error {
		if err := r.Validate(); err != nil {
			return err
		}
		s.rule = r
		return nil
	}
}

// withProcRoot reads another /proc mount (tests).
func withProcRoot(dir string) Option {
	return func(s *Sampler) error { s.fs.root = dir; return nil }
}

// New returns a Sampler that has taken its first reading. It fails with
// ErrUnsupported where /proc/stat cannot be read.
func New(opts ...Option) (*Sampler, error) {
	s := &Sampler{interval: DefaultInterval, rescan: DefaultRescan, root: os.Getpid(), rule: DefaultRule(true),
		cores: runtime.NumCPU(), fs: procFS{root: "/proc"}}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if _, err := s.fs.cpu(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	s.memTotalMB = float64(s.fs.memTotalKB()) / 1024
	s.mu.Lock()
	s.readLocked(time.Now())
	s.mu.Unlock()
	return s, nil
}

// Rule returns the host_busy rule the Sampler judges windows with.
func (s *Sampler) Rule() Rule { return s.rule }

// Start takes readings every interval until ctx ends or Stop is called.
func (s *Sampler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done != nil {
		return
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		t := time.NewTicker(s.interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				s.mu.Lock()
				s.readLocked(now)
				s.mu.Unlock()
			}
		}
	}(s.done)
}

// Stop ends the readings and waits for the sampling goroutine.
func (s *Sampler) Stop() {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// Overhead is the mean wall time one reading took, and the share of one
// core the Sampler uses at its interval (reads are CPU-bound).
func (s *Sampler) Overhead() (perReading time.Duration, cores float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reads == 0 {
		return 0, 0
	}
	per := s.spent / time.Duration(s.reads)
	return per, per.Seconds() / s.interval.Seconds()
}

// readLocked takes one reading at now.
func (s *Sampler) readLocked(now time.Time) {
	start := time.Now()
	cpu, err := s.fs.cpu()
	if err != nil {
		return // /proc went away: the window gets fewer readings
	}
	own, gen := s.treeLocked(now)
	smp := sample{at: now, cpu: cpu, own: own, gen: gen, mem: s.fs.memory()}
	s.samples = append(s.samples, smp)
	s.spent += time.Since(start)
	s.reads++
}

// treeLocked returns the ticks of the tree and of its root, rescanning
// /proc for descendants when the last scan is older than the rescan
// interval.
func (s *Sampler) treeLocked(now time.Time) (own, gen uint64) {
	if s.members == nil || now.Sub(s.lastScan) >= s.rescan {
		s.scanLocked()
		s.lastScan = now
	} else {
		for pid := range s.members {
			st, err := s.fs.pidStat(pid)
			if err != nil {
				delete(s.members, pid) // exited (and reaped: its time is in its parent's cutime)
				continue
			}
			s.members[pid] = st
		}
	}
	for pid, st := range s.members {
		own += st.self + st.reaped
		if pid == s.root {
			gen = st.self
		}
	}
	return own, gen
}

// scanLocked reads every process's parent and rebuilds the tree's members.
func (s *Sampler) scanLocked() {
	pids, err := s.fs.pids()
	if err != nil {
		return
	}
	all := make(map[int]procStat, len(pids))
	children := map[int][]int{}
	for _, pid := range pids {
		st, err := s.fs.pidStat(pid)
		if err != nil {
			continue
		}
		all[pid] = st
		children[st.ppid] = append(children[st.ppid], pid)
	}
	members := map[int]procStat{}
	queue := []int{s.root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		st, ok := all[pid]
		if !ok {
			continue
		}
		if _, seen := members[pid]; seen {
			continue
		}
		members[pid] = st
		queue = append(queue, children[pid]...)
	}
	s.members = members
}

// Window summarises the readings from from to to (taking a reading now
// when the last one is older than to) and judges it with the Sampler's
// rule. It returns nil when the window holds fewer than two readings.
func (s *Sampler) Window(from, to time.Time) *results.HostLoad {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.samples); n == 0 || s.samples[n-1].at.Before(to) {
		s.readLocked(time.Now())
	}
	l := s.windowLocked(from, to)
	if l != nil {
		s.rule.Judge(l, s.memTotalMB)
	}
	return l
}

func (s *Sampler) windowLocked(from, to time.Time) *results.HostLoad {
	ss := s.samples
	// a: the last reading at or before from (the baseline); b: the first
	// at or after to (else the last).
	a := sortSearch(ss, from)
	if a == len(ss) || ss[a].at.After(from) {
		a--
	}
	a = max(a, 0)
	b := sortSearch(ss, to)
	if b >= len(ss) {
		b = len(ss) - 1
	}
	if b <= a {
		return nil
	}
	w := ss[a : b+1]
	first, last := w[0], w[len(w)-1]
	dt := last.at.Sub(first.at).Seconds()
	if dt <= 0 {
		return nil
	}
	l := &results.HostLoad{Cores: s.cores, Samples: len(w) - 1, MemoryPressureSource: "meminfo"}
	l.ForeignCPUCores.Mean = foreignCores(first, last)
	l.OwnCPUCores = float64(sub(last.own, first.own)) / UserHZ / dt
	l.GeneratorCPUCores = float64(sub(last.gen, first.gen)) / UserHZ / dt
	if tot := sub(last.cpu.total, first.cpu.total); tot > 0 {
		l.StealFraction = float64(sub(last.cpu.steal, first.cpu.steal)) / float64(tot)
	}
	if first.mem.psi && last.mem.psi {
		v := math.Min(1, float64(sub(last.mem.stallUs, first.mem.stallUs))/(dt*1e6))
		l.MemoryStallFraction = &v
		l.MemoryPressureSource = "psi"
	}
	l.MajorFaultsPerS = float64(sub(last.mem.majorFaults, first.mem.majorFaults)) / dt
	minAvail := uint64(math.MaxUint64)
	for _, x := range w {
		if x.mem.availableKB > 0 {
			minAvail = min(minAvail, x.mem.availableKB)
		}
	}
	if minAvail != math.MaxUint64 {
		l.MemoryAvailableMinMB = float64(minAvail) / 1024
	}
	// p95 over one-second buckets (a trailing bucket of at least half a
	// second counts); the mean when the window is shorter than a bucket.
	var buckets []float64
	start := first
	for i := 1; i < len(w); i++ {
		width := w[i].at.Sub(start.at)
		if width >= BucketWidth || (i == len(w)-1 && width >= BucketWidth/2) {
			buckets = append(buckets, foreignCores(start, w[i]))
			start = w[i]
		}
	}
	l.ForeignCPUCores.P95 = l.ForeignCPUCores.Mean
	if len(buckets) > 0 {
		slices.Sort(buckets)
		k := int(math.Ceil(0.95*float64(len(buckets)))) - 1
		l.ForeignCPUCores.P95 = buckets[min(max(k, 0), len(buckets)-1)]
	}
	return l
}

// foreignCores is the CPU outside the tree between two readings, in cores
// (never negative: the kernel's host and per-process accounting round
// differently).
func foreignCores(a, b sample) float64 {
	dt := b.at.Sub(a.at).Seconds()
	if dt <= 0 {
		return 0
	}
	busy := float64(sub(b.cpu.busy, a.cpu.busy))
	own := float64(sub(b.own, a.own))
	return math.Max(0, (busy-own)/UserHZ/dt)
}

// sub is b − a for cumulative counters (0 if a counter went backwards: a
// member left the tree unreaped).
func sub(b, a uint64) uint64 {
	if b < a {
		return 0
	}
	return b - a
}

// sortSearch is the index of the first reading at or after t.
func sortSearch(ss []sample, t time.Time) int {
	i, _ := slices.BinarySearchFunc(ss, t, func(x sample, t time.Time) int { return x.at.Compare(t) })
	return i
}
