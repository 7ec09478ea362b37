package main

import (
	"os"
	"runtime/debug"
)

// pipelineMemoryLimit is the soft memory limit (runtime/debug.SetMemoryLimit)
// of the commands that read a saved run through the summary pipeline:
// summary, report, compare and pricing breakeven --run. Their live heap is
// a few tens of MB however many records the run holds (the pass is bounded
// in memory), but left alone the garbage collector lets the heap grow to
// twice the live size before it collects, and the report's charts double
// a large live size; near the limit it collects sooner instead (it never
// fails an allocation: a heap that needs more gets more).
const pipelineMemoryLimit = 96 << 20

// limitMemory sets pipelineMemoryLimit unless GOMEMLIMIT is set (which then
// rules) and returns the function that restores the previous limit.
func limitMemory() (restore func()) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	prev := debug.SetMemoryLimit(pipelineMemoryLimit)
	return func() { debug.SetMemoryLimit(prev) }
}
