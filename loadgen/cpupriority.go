package loadgen

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// GeneratorCPUShares is the cgroup-v1 cpu.shares RaiseCPUPriority gives the
// load generator: eight times a default process's 1024. The generator needs
// little CPU, but needs it at once: when the local services it measures
// saturate the cores, a generator at the default weight wakes late and its
// dispatch lag describes the host, not the targets.
const GeneratorCPUShares = 8192

// generatorCgroupSuffix ends the generator's cgroup folder name,
// benchctl-<pid>-generator (the local Lambda platform's stale-folder cleanup
// recognises the benchctl-<pid>- prefix too).
const generatorCgroupSuffix = "-generator"

// CPUPriority is this process's raised CPU weight: it lives in a cgroup of
// its own, a child of the one it came from. Restore moves it back.
type CPUPriority struct {
	// dir is the generator's cgroup folder.
	dir string
	// origin is the cgroup folder the process came from.
	origin string
	shares int
}

// RaiseCPUPriority moves this process (all its threads) into a new cgroup-v1
// cpu cgroup below its own, with cpu.shares = shares, so that it competes
// for the CPU with that weight against the services it shares the host
// with. Call it after starting the local services: processes started
// afterwards inherit the cgroup unless they leave it (local Lambda instances
// join their own cgroups before exec). cgroupRoot is where the cgroup file
// systems are mounted ("/sys/fs/cgroup"). It returns an error, and changes
// nothing, where the v1 cpu controller is absent or not writable (cgroup v2
// hosts, no root).
func RaiseCPUPriority(cgroupRoot string, shares int) (*CPUPriority, error) {
	if shares < 2 || shares > 262144 {
		return nil, fmt.Errorf("cpu.shares %d outside the kernel's 2..262144", shares)
	}
	own, err := ownCPUCgroup()
	if err != nil {
		return nil, fmt.Errorf("raise generator CPU priority: %w", err)
	}
	base := filepath.Join(cgroupRoot, "cpu", own)
	if _, err := os.Stat(filepath.Join(base, "cpu.shares")); err != nil {
		return nil, fmt.Errorf("raise generator CPU priority: no cgroup-v1 cpu controller at %s", base)
	}
	removeStaleGeneratorCgroups(base)
	p := &CPUPriority{dir: filepath.Join(base, "benchctl-"+strconv.Itoa(os.Getpid())+generatorCgroupSuffix), origin: base, shares: shares}
	if err := os.Mkdir(p.dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("raise generator CPU priority: %w", err)
	}
	if err := writeCgroupFile(filepath.Join(p.dir, "cpu.shares"), strconv.Itoa(shares)); err != nil {
		_ = os.Remove(p.dir)
		return nil, fmt.Errorf("raise generator CPU priority: %w", err)
	}
	// Writing the process id to cgroup.procs moves every thread at once.
	if err := writeCgroupFile(filepath.Join(p.dir, "cgroup.procs"), strconv.Itoa(os.Getpid())); err != nil {
		_ = os.Remove(p.dir)
		return nil, fmt.Errorf("raise generator CPU priority: %w", err)
	}
	return p, nil
}

// String describes the priority for run.json, e.g. "cgroup-v1 cpu.shares 8192".
func (p *CPUPriority) String() string {
	return "cgroup-v1 cpu.shares " + strconv.Itoa(p.shares)
}

// Restore moves this process back to the cgroup it came from and removes
// the generator's cgroup.
func (p *CPUPriority) Restore() error {
	if err := writeCgroupFile(filepath.Join(p.origin, "cgroup.procs"), strconv.Itoa(os.Getpid())); err != nil {
		return fmt.Errorf("restore generator CPU priority: %w", err)
	}
	// A child started while the generator was in the folder may still be
	// leaving it; give it a moment (bounded) before giving up.
	var err error
	for range 20 {
		if err = os.Remove(p.dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("restore generator CPU priority: %w", err)
}

// ownCPUCgroup is this process's cgroup-v1 cpu controller path, from
// /proc/self/cgroup (the controller may be listed as "cpu,cpuacct").
func ownCPUCgroup() (string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == "cpu" {
				return parts[2], nil
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", errors.New("no cgroup-v1 cpu controller in /proc/self/cgroup")
}

// removeStaleGeneratorCgroups removes generator folders under base whose
// process is gone (a run killed with SIGKILL cannot remove its own).
func removeStaleGeneratorCgroups(base string) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "benchctl-")
		if !ok || !e.IsDir() {
			continue
		}
		pidText, ok := strings.CutSuffix(rest, generatorCgroupSuffix)
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); err == nil || errors.Is(err, syscall.EPERM) {
			continue // alive
		}
		_ = os.Remove(filepath.Join(base, e.Name())) // fails while not empty
	}
}

func writeCgroupFile(path, value string) error {
	if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
		return fmt.Errorf("writing %q to %s: %w", value, path, err)
	}
	return nil
}
