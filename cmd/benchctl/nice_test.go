package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const reniceChildEnv = "BENCHCTL_TEST_RENICE_CHILD"

// threadNices returns the nice value of every thread of this process
// (field 19 of /proc/self/task/<tid>/stat).
func threadNices() (map[string]int, error) {
	entries, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, e := range entries {
		raw, err := os.ReadFile("/proc/self/task/" + e.Name() + "/stat")
		if err != nil {
			continue // the thread exited
		}
		s := string(raw)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) < 17 { // fields[0] is field 3, the state
			return nil, fmt.Errorf("short stat line for thread %s", e.Name())
		}
		n, err := strconv.Atoi(fields[16])
		if err != nil {
			return nil, err
		}
		out[e.Name()] = n
	}
	return out, nil
}

// TestReniceSelfChild is the process TestReniceSelf starts: it renices
// itself, then makes the Go runtime start more threads (goroutines locked
// to their threads) and prints every thread's nice value.
func TestReniceSelfChild(t *testing.T) {
	if os.Getenv(reniceChildEnv) == "" {
		t.Skip("helper process for TestReniceSelf")
	}
	if err := reniceSelf(7); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	var started, release sync.WaitGroup
	release.Add(1)
	for range 6 {
		started.Add(1)
		go func() {
			runtime.LockOSThread() // a new goroutine here needs a thread of its own
			started.Done()
			release.Wait()
		}()
	}
	started.Wait()
	nices, err := threadNices()
	release.Done()
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	for tid, n := range nices {
		fmt.Printf("%s %d\n", tid, n)
	}
	os.Exit(0)
}

// TestReniceSelf checks that every thread, also those started after the
// renice, runs at the new nice value.
func TestReniceSelf(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("per-thread nice values are read from /proc")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestReniceSelfChild$")
	cmd.Env = append(os.Environ(), reniceChildEnv+"=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	threads := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var tid string
		var nice int
		if _, err := fmt.Sscanf(line, "%s %d", &tid, &nice); err != nil {
			continue // go test's own output lines
		}
		threads++
		if nice != 7 {
			t.Errorf("thread %s runs at nice %d, want 7", tid, nice)
		}
	}
	if threads < 7 {
		t.Errorf("child reported %d threads, want at least 7 (6 locked goroutines + main):\n%s", threads, out)
	}
}
