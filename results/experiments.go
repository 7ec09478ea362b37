package results

import (
	"strconv"
	"strings"
)

// Experiment names and step labels stamped on experiment records
// (Record.Experiment, Record.Step). They are part of the record contract:
// the load generator writes them, pricing and reports select by them.
const (
	ExperimentMemorySweep = "memory_sweep"
	ExperimentColdStarts  = "cold_starts"
	ExperimentCapacity    = "capacity"
	// StepColdStart and StepWarm label the forced cold and the warm
	// comparison samples of the cold start experiment.
	StepColdStart = "cold_start"
	StepWarm      = "warm"
	// memoryStepPrefix starts a memory sweep step label: "memory_mb=512".
	memoryStepPrefix = "memory_mb="
	// capacityStepPrefix starts a capacity step label: "capacity_rps=40".
	capacityStepPrefix = "capacity_rps="
)

// CapacityStepLabel is the label of one capacity-search step:
// "capacity_rps=<rps>" (the shortest decimal that reads back as rps).
func CapacityStepLabel(rps float64) string {
	return capacityStepPrefix + strconv.FormatFloat(rps, 'g', -1, 64)
}

// ParseCapacityStepLabel returns the rate of a "capacity_rps=<rps>" label.
func ParseCapacityStepLabel(step string) (float64, bool) {
	v, ok := strings.CutPrefix(step, capacityStepPrefix)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	return f, err == nil
}

// MemoryStep is the label of one memory sweep step: "memory_mb=<mb>".
func MemoryStep(mb int) string { return memoryStepPrefix + strconv.Itoa(mb) }

// ParseMemoryStep returns the memory size of a "memory_mb=<mb>" label.
func ParseMemoryStep(step string) (int, bool) {
	v, ok := strings.CutPrefix(step, memoryStepPrefix)
	if !ok {
		return 0, false
	}
	mb, err := strconv.Atoi(v)
	return mb, err == nil
}

// MarkBestMemory sets the Cheapest, FastestP99 and CheapestWithSLO flags of
// memory sweep rows, separately for each target, judging each target's rows
// against sloFor(target) (nil: no SLO, CheapestWithSLO stays unset). Cost is
// CostPerRequestUSD when every row of the target has it (pricing ran), else
// GBSecondsPerRequest. A row meets the SLO when its client latency
// p50/p95/p99 are within the SLO's non-zero limits and its error rate is
// within ErrorRate (no errors allowed when that is 0). Rows without
// requests are never marked. The load generator (by GB-seconds) and
// pricing (by USD) both use this one rule.
func MarkBestMemory(rows []MemorySweepRow, sloFor func(target string) *SLOSpec) {
	byTarget := map[string][]int{}
	var order []string
	for i := range rows {
		rows[i].Cheapest, rows[i].FastestP99, rows[i].CheapestWithSLO = false, false, false
		if _, ok := byTarget[rows[i].Target]; !ok {
			order = append(order, rows[i].Target)
		}
		byTarget[rows[i].Target] = append(byTarget[rows[i].Target], i)
	}
	for _, target := range order {
		var slo *SLOSpec
		if sloFor != nil {
			slo = sloFor(target)
		}
		markBestMemory(rows, byTarget[target], slo)
	}
}

func markBestMemory(rows []MemorySweepRow, idx []int, slo *SLOSpec) {
	usd := true
	for _, i := range idx {
		if rows[i].CostPerRequestUSD == nil {
			usd = false
		}
	}
	cost := func(r MemorySweepRow) float64 {
		if usd {
			return *r.CostPerRequestUSD
		}
		return r.GBSecondsPerRequest
	}
	best := func(ok func(MemorySweepRow) bool, key func(MemorySweepRow) float64) int {
		b := -1
		for _, i := range idx {
			if rows[i].Requests == 0 || !ok(rows[i]) {
				continue
			}
			if b < 0 || key(rows[i]) < key(rows[b]) {
				b = i
			}
		}
		return b
	}
	all := func(MemorySweepRow) bool { return true }
	if i := best(all, cost); i >= 0 {
		rows[i].Cheapest = true
	}
	if i := best(all, func(r MemorySweepRow) float64 { return r.LatencyMs.P99 }); i >= 0 {
		rows[i].FastestP99 = true
	}
	if slo == nil {
		return
	}
	meets := func(r MemorySweepRow) bool {
		within := func(v, limit float64) bool { return limit <= 0 || v <= limit }
		er := float64(r.Errors) / float64(r.Requests)
		okErr := r.Errors == 0 || slo.ErrorRate > 0 && er <= slo.ErrorRate
		return okErr && within(r.LatencyMs.P50, slo.P50Ms) && within(r.LatencyMs.P95, slo.P95Ms) && within(r.LatencyMs.P99, slo.P99Ms)
	}
	if i := best(meets, cost); i >= 0 {
		rows[i].CheapestWithSLO = true
	}
}
