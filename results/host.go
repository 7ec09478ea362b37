package results

import "slices"

// HostLoad is what the host did during one phase (or experiment step)
// besides the run: run.json's phases[].host and summary.json's per-phase
// host. CPU figures are in cores (1 = one CPU busy for the whole window).
// Package hostload measures it; see hostload.Sampler for the method.
type HostLoad struct {
	// ForeignCPUCores is the CPU used by processes outside the run's own
	// process tree (benchctl, the services it started, the local
	// platform's function instances): the mean over the window and the
	// p95 of its one-second buckets.
	ForeignCPUCores CoresStat `json:"foreign_cpu_cores"`
	// OwnCPUCores is the mean CPU of the run's own process tree, and
	// GeneratorCPUCores that of the benchctl process alone (the load
	// generator; the rest of OwnCPUCores is its children: the services).
	OwnCPUCores       float64 `json:"own_cpu_cores"`
	GeneratorCPUCores float64 `json:"generator_cpu_cores"`
	// StealFraction is the share of the host's CPU time the hypervisor
	// gave to other guests while this one was runnable (0–1).
	StealFraction float64 `json:"steal_fraction"`
	// MemoryStallFraction is the share of the window during which at
	// least one task waited for memory (PSI "some", /proc/pressure/memory);
	// nil where the kernel has no PSI (MemoryPressureSource "meminfo").
	MemoryStallFraction *float64 `json:"memory_stall_fraction,omitempty"`
	// MemoryAvailableMinMB is the lowest MemAvailable seen in the window,
	// and MajorFaultsPerS the rate of major page faults (pages read back
	// from disk or swap): the fallback evidence of memory pressure.
	MemoryAvailableMinMB float64 `json:"memory_available_min_mb"`
	MajorFaultsPerS      float64 `json:"major_faults_per_s"`
	// MemoryPressureSource is "psi" or "meminfo" (no PSI on this kernel).
	MemoryPressureSource string `json:"memory_pressure_source"`
	// Cores is the host's CPU count; Samples how many readings the window
	// holds (10 per second by default).
	Cores   int `json:"cores"`
	Samples int `json:"samples"`
	// Busy is the host_busy rule's verdict for the window, BusyReasons
	// why, and BusyThresholdCores the foreign-CPU threshold applied.
	Busy               bool     `json:"host_busy"`
	BusyReasons        []string `json:"busy_reasons,omitempty"`
	BusyThresholdCores float64  `json:"busy_threshold_cores"`
}

// CoresStat is a CPU figure in cores over a window.
type CoresStat struct {
	Mean float64 `json:"mean"`
	P95  float64 `json:"p95"`
}

// MergeHostLoads combines the host loads of the entries of one phase or
// step that ran more than once (an extended capacity step, a memory-sweep
// step run per swept target, trials): means and fractions weighted by the
// entries' durations, the p95 their maximum (an upper bound of the merged
// window's p95), the lowest available memory, busy when any entry was. Entries without a
// host load are skipped; nil when none has one.
func MergeHostLoads(loads []*HostLoad, durations []float64) *HostLoad {
	var out *HostLoad
	var wsum float64
	for i, l := range loads {
		if l == nil {
			continue
		}
		w := 1.0
		if i < len(durations) && durations[i] > 0 {
			w = durations[i]
		}
		if out == nil {
			c := *l
			c.BusyReasons = slices.Clone(l.BusyReasons)
			if l.MemoryStallFraction != nil {
				v := *l.MemoryStallFraction
				c.MemoryStallFraction = &v
			}
			out, wsum = &c, w
			continue
		}
		mix := func(a, b float64) float64 { return (a*wsum + b*w) / (wsum + w) }
		out.ForeignCPUCores.Mean = mix(out.ForeignCPUCores.Mean, l.ForeignCPUCores.Mean)
		out.ForeignCPUCores.P95 = max(out.ForeignCPUCores.P95, l.ForeignCPUCores.P95)
		out.OwnCPUCores = mix(out.OwnCPUCores, l.OwnCPUCores)
		out.GeneratorCPUCores = mix(out.GeneratorCPUCores, l.GeneratorCPUCores)
		out.StealFraction = mix(out.StealFraction, l.StealFraction)
		out.MajorFaultsPerS = mix(out.MajorFaultsPerS, l.MajorFaultsPerS)
		if l.MemoryStallFraction != nil {
			v := *l.MemoryStallFraction
			if out.MemoryStallFraction != nil {
				v = mix(*out.MemoryStallFraction, v)
			}
			out.MemoryStallFraction = &v
		}
		if l.MemoryAvailableMinMB > 0 && (out.MemoryAvailableMinMB == 0 || l.MemoryAvailableMinMB < out.MemoryAvailableMinMB) {
			out.MemoryAvailableMinMB = l.MemoryAvailableMinMB
		}
		out.Samples += l.Samples
		out.Busy = out.Busy || l.Busy
		for _, r := range l.BusyReasons {
			if !slices.Contains(out.BusyReasons, r) {
				out.BusyReasons = append(out.BusyReasons, r)
			}
		}
		wsum += w
	}
	return out
}
