package hostload

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// UserHZ is the unit of the CPU times in /proc (clock ticks per second).
// It is part of Linux's user-space ABI and 100 on every architecture
// benchctl builds for (sysconf(_SC_CLK_TCK)).
const UserHZ = 100

// cpuTimes is the first ("cpu") line of /proc/stat: the whole host's CPU
// time in clock ticks since boot, summed over all CPUs.
type cpuTimes struct {
	// busy is user + nice + system + irq + softirq (guest time is part of
	// user already); idle and iowait are not busy.
	busy uint64
	// steal is the time the hypervisor ran something else while this VM
	// had a runnable vCPU.
	steal uint64
	// total is the sum of the first eight fields (user … steal).
	total uint64
}

// procFS reads the files of one /proc mount (root "/proc" except in tests).
type procFS struct {
	root string
	buf  []byte
}

// read reads a file below the root into a reused buffer (the returned
// slice is valid until the next call).
func (p *procFS) read(rel string) ([]byte, error) {
	f, err := os.Open(filepath.Join(p.root, rel))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if cap(p.buf) == 0 {
		p.buf = make([]byte, 0, 8192)
	}
	b := p.buf[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil || n == 0 {
			break
		}
	}
	p.buf = b
	return b, nil
}

// errFormat reports a /proc file that does not look like the kernel's.
var errFormat = errors.New("unexpected format")

// cpu reads the "cpu" line of /proc/stat.
func (p *procFS) cpu() (cpuTimes, error) {
	b, err := p.read("stat")
	if err != nil {
		return cpuTimes{}, err
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return cpuTimes{}, fmt.Errorf("/proc/stat: %w", errFormat)
	}
	var v [8]uint64
	for i := range v {
		n, err := strconv.ParseUint(string(f[i+1]), 10, 64)
		if err != nil {
			return cpuTimes{}, fmt.Errorf("/proc/stat: %w", errFormat)
		}
		v[i] = n
	}
	// user nice system idle iowait irq softirq steal
	t := cpuTimes{busy: v[0] + v[1] + v[2] + v[5] + v[6], steal: v[7]}
	for _, x := range v {
		t.total += x
	}
	return t, nil
}

// procStat is what the sampler needs of /proc/<pid>/stat.
type procStat struct {
	ppid int
	// self is utime + stime of every thread of the process; reaped is
	// cutime + cstime, the time of its children that it waited for.
	self, reaped uint64
}

// pidStat reads /proc/<pid>/stat. The command name (field 2) may hold
// spaces and parentheses, so the fields are counted from the last ')'.
func (p *procFS) pidStat(pid int) (procStat, error) {
	b, err := p.read(strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %w", pid, errFormat)
	}
	// After ")": state(3) ppid(4) pgrp session tty tpgid flags minflt
	// cminflt majflt cmajflt utime(14) stime(15) cutime(16) cstime(17).
	f := bytes.Fields(b[i+1:])
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %w", pid, errFormat)
	}
	num := func(j int) uint64 {
		n, _ := strconv.ParseUint(string(f[j]), 10, 64)
		return n
	}
	ppid, _ := strconv.Atoi(string(f[1]))
	return procStat{ppid: ppid, self: num(11) + num(12), reaped: num(13) + num(14)}, nil
}

// pids lists the numeric entries of the /proc root.
func (p *procFS) pids() ([]int, error) {
	ents, err := os.ReadDir(p.root)
	if err != nil {
		return nil, err
	}
	out := make([]int, 0, len(ents))
	for _, e := range ents {
		name := e.Name()
		if name == "" || name[0] < '0' || name[0] > '9' {
			continue
		}
		if pid, err := strconv.Atoi(name); err == nil {
			out = append(out, pid)
		}
	}
	return out, nil
}

// memory is one reading of the host's memory state.
type memory struct {
	// availableKB is MemAvailable of /proc/meminfo.
	availableKB uint64
	// stallUs is the "some" total of /proc/pressure/memory: microseconds
	// during which at least one task waited for memory (PSI).
	stallUs uint64
	psi     bool
	// majorFaults is pgmajfault of /proc/vmstat (cumulative).
	majorFaults uint64
}

// field returns the number after key in b ("MemAvailable:", "total=").
func field(b []byte, key string) (uint64, bool) {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0, false
	}
	rest := bytes.TrimLeft(b[i+len(key):], " \t")
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	n, err := strconv.ParseUint(string(rest[:j]), 10, 64)
	return n, err == nil
}

// memory reads MemAvailable, the PSI memory stall total when the kernel
// has PSI (Linux ≥ 4.20 with CONFIG_PSI), and the major page faults.
func (p *procFS) memory() memory {
	var m memory
	if b, err := p.read("meminfo"); err == nil {
		m.availableKB, _ = field(b, "MemAvailable:")
	}
	if b, err := p.read("pressure/memory"); err == nil {
		line, _, _ := bytes.Cut(b, []byte("\n"))
		if bytes.HasPrefix(line, []byte("some")) {
			m.stallUs, m.psi = field(line, "total=")
		}
	}
	if b, err := p.read("vmstat"); err == nil {
		m.majorFaults, _ = field(b, "\npgmajfault ")
	}
	return m
}

// memTotalKB reads MemTotal of /proc/meminfo (0 when unknown).
func (p *procFS) memTotalKB() uint64 {
	b, err := p.read("meminfo")
	if err != nil {
		return 0
	}
	n, _ := field(b, "MemTotal:")
	return n
}
