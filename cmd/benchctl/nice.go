package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// reniceSelf sets the nice value of every thread of this process to nice.
// On Linux nice is per thread and a new thread inherits its creator's, so
// once every existing thread is set, the threads the Go runtime starts
// later are set too; passes repeat until one finds no new thread (bounded).
// Raising nice needs no privilege; lowering it below 0 does.
func reniceSelf(nice int) error {
	done := map[int]bool{}
	for range 10 {
		entries, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return fmt.Errorf("renice: %w", err)
		}
		fresh := 0
		for _, e := range entries {
			tid, err := strconv.Atoi(e.Name())
			if err != nil || done[tid] {
				continue
			}
			if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice); err != nil && !errors.Is(err, syscall.ESRCH) {
				return fmt.Errorf("renice thread %d to %d: %w", tid, nice, err)
			}
			done[tid] = true
			fresh++
		}
		if fresh == 0 {
			return nil
		}
	}
	return nil
}
