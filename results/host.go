package results

import (
	"fmt"
	"slices"
	"strings"
)

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

// HostSampling is run.json's host_sampling: how phases[].host was measured.
type HostSampling struct {
	// IntervalMs is the time between readings; ReadingUs the mean time one
	// reading took, and OverheadCores the share of a core that costs.
	IntervalMs    float64 `json:"interval_ms"`
	ReadingUs     float64 `json:"reading_us"`
	OverheadCores float64 `json:"overhead_cores"`
	// Rule is the host_busy rule applied: foreign cores, steal and memory
	// stall thresholds.
	ForeignCoresThreshold        float64 `json:"foreign_cores_threshold"`
	StealFractionThreshold       float64 `json:"steal_fraction_threshold"`
	MemoryStallFractionThreshold float64 `json:"memory_stall_fraction_threshold"`
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

// HostInterference is summary.json's host_interference: whether the host
// was busy (host_busy) during any recorded phase, which phases and which
// derived figures that touches, for the report's headline.
type HostInterference struct {
	// Busy is set when any recorded phase was host_busy.
	Busy bool `json:"host_busy"`
	// PhasesMeasured counts the recorded phases (per target) with a host
	// measurement; BusyPhases names the busy ones ("target/phase[step]").
	PhasesMeasured int      `json:"phases_measured"`
	BusyPhases     []string `json:"busy_phases,omitempty"`
	// MaxForeignCPUCores is the highest per-phase mean of foreign CPU, and
	// BusyThresholdCores the threshold the phases were judged with.
	MaxForeignCPUCores float64 `json:"max_foreign_cpu_cores"`
	BusyThresholdCores float64 `json:"busy_threshold_cores"`
	// Reasons say why, one per kind (foreign CPU, bursts, steal, memory)
	// with its worst value over the busy phases.
	Reasons []string `json:"reasons,omitempty"`
	// BusyFigures names the derived figures flagged host_busy: capacity
	// searches, memory-sweep rows, cost and break-even rows.
	BusyFigures []string `json:"busy_figures,omitempty"`
}

// PhaseHostBusy reports whether any summary of target's phase and step
// (every trial) was host_busy.
func PhaseHostBusy(targets []TargetSummary, target, phase, step string) bool {
	for _, t := range targets {
		if t.Name != target {
			continue
		}
		for _, p := range t.Phases {
			if p.Name == phase && p.Step == step && p.HostBusy {
				return true
			}
		}
	}
	return false
}

// stepHostBusy reports whether any phase of target in experiment with a
// step for which match is true was host_busy (in trial, when trial > 0).
func stepHostBusy(targets []TargetSummary, target, experiment string, trial int, match func(step string) bool) bool {
	for _, t := range targets {
		if t.Name != target {
			continue
		}
		for _, p := range t.Phases {
			if !p.HostBusy || p.Experiment != experiment || !match(p.Step) {
				continue
			}
			if trial <= 0 || len(p.Trials) == 0 {
				return true
			}
			for _, tr := range p.Trials {
				if tr.Trial == trial && tr.HostBusy {
					return true
				}
			}
		}
	}
	return false
}

// PhaseLabel is "target/phase" or "target/phase[step]".
func PhaseLabel(target string, p PhaseSummary) string {
	l := target + "/" + p.Name
	if p.Step != "" {
		l += "[" + p.Step + "]"
	}
	return l
}

// MarkHostBusy carries host_busy from the phase summaries to what is
// derived from them and fills sum.HostInterference (nil when no phase was
// measured). Memory-sweep rows are busy when a phase of their memory size
// was, capacity steps when their rate's phase was, a capacity search when
// any of its steps was. Cost, monthly-cost and break-even rows are flagged
// by pricing (which knows which rows feed which figure) and only listed
// here, so call it once before pricing (pricing reads the capacity flag)
// and once after.
func MarkHostBusy(sum *Summary) {
	if sum.Decision != nil {
		defer sum.Decision.RefreshFlags(sum) // the host-busy flag counts the figures marked here
	}
	for i := range sum.Experiments.MemorySweep {
		r := &sum.Experiments.MemorySweep[i]
		r.HostBusy = stepHostBusy(sum.Targets, r.Target, ExperimentMemorySweep, 0, func(step string) bool {
			mb, ok := ParseMemoryStep(step)
			return ok && mb == r.MemoryMB
		})
	}
	for i := range sum.Experiments.Capacity {
		c := &sum.Experiments.Capacity[i]
		c.HostBusy = false
		for j := range c.Steps {
			st := &c.Steps[j]
			st.HostBusy = stepHostBusy(sum.Targets, c.Target, ExperimentCapacity, st.Trial, func(step string) bool {
				rps, ok := ParseCapacityStepLabel(step)
				return ok && rps == st.OfferedRPS
			})
			c.HostBusy = c.HostBusy || st.HostBusy
		}
	}
	var hi HostInterference
	var busyForeign, busyBurst, steal, stall float64
	var lowMem, faults bool
	for _, t := range sum.Targets {
		for _, p := range t.Phases {
			if p.Host == nil {
				continue
			}
			h := p.Host
			hi.PhasesMeasured++
			hi.MaxForeignCPUCores = max(hi.MaxForeignCPUCores, h.ForeignCPUCores.Mean)
			hi.BusyThresholdCores = h.BusyThresholdCores
			if !p.HostBusy {
				continue
			}
			hi.Busy = true
			hi.BusyPhases = append(hi.BusyPhases, PhaseLabel(t.Name, p))
			for _, r := range h.BusyReasons {
				switch {
				case strings.Contains(r, "on average"):
					busyForeign = max(busyForeign, h.ForeignCPUCores.Mean)
				case strings.Contains(r, "p95 second"):
					busyBurst = max(busyBurst, h.ForeignCPUCores.P95)
				case strings.Contains(r, "hypervisor"):
					steal = max(steal, h.StealFraction)
				case strings.Contains(r, "waited for memory") && h.MemoryStallFraction != nil:
					stall = max(stall, *h.MemoryStallFraction)
				case strings.Contains(r, "available memory"):
					lowMem = true
				default:
					faults = true
				}
			}
		}
	}
	// One reason per kind, with its worst value over the busy phases.
	if busyForeign > 0 {
		hi.Reasons = append(hi.Reasons, fmt.Sprintf("other processes used up to %.2f cores on average over a phase (threshold %.2g)", busyForeign, hi.BusyThresholdCores))
	}
	if busyBurst > 0 {
		hi.Reasons = append(hi.Reasons, fmt.Sprintf("other processes used up to %.2f cores in a phase's p95 second", busyBurst))
	}
	if steal > 0 {
		hi.Reasons = append(hi.Reasons, fmt.Sprintf("the hypervisor stole up to %.1f%% of the CPU time", 100*steal))
	}
	if stall > 0 {
		hi.Reasons = append(hi.Reasons, fmt.Sprintf("tasks waited for memory up to %.1f%% of a phase (PSI)", 100*stall))
	}
	if lowMem {
		hi.Reasons = append(hi.Reasons, "available memory ran low")
	}
	if faults {
		hi.Reasons = append(hi.Reasons, "major page faults beyond the threshold")
	}
	if hi.PhasesMeasured == 0 {
		sum.HostInterference = nil
		return
	}
	for _, c := range sum.Experiments.Capacity {
		if c.HostBusy {
			hi.BusyFigures = append(hi.BusyFigures, strings.TrimSpace("capacity "+c.Target+" "+c.Config))
		}
	}
	for _, r := range sum.Experiments.MemorySweep {
		if r.HostBusy {
			hi.BusyFigures = append(hi.BusyFigures, fmt.Sprintf("memory sweep %s %d MB", r.Target, r.MemoryMB))
		}
	}
	for _, c := range sum.Cost {
		if c.HostBusy {
			hi.BusyFigures = append(hi.BusyFigures, strings.TrimSpace(fmt.Sprintf("cost %s/%s %s %s", c.Target, c.Phase, c.Step, c.Architecture)))
		}
	}
	for _, b := range sum.BreakEven {
		if b.HostBusy {
			hi.BusyFigures = append(hi.BusyFigures, "break-even "+b.Serverless+" vs "+b.Instance)
		}
	}
	hi.Busy = hi.Busy || len(hi.BusyFigures) > 0
	sum.HostInterference = &hi
}

// StallCause says, for a phase whose generator fell behind its schedule,
// what held it up, from the host measurement: "other processes on the
// host" (host_busy), "the run's own processes held the cores" (the run's
// tree used at least 90% of the host's CPUs: its services compete with
// the generator), or "the generator itself" (the host had idle CPU: a
// stall of the generator process, e.g. GC or scheduling). It is "" when
// the generator kept up (a slow phase is then the target's) or the host
// was not measured.
func StallCause(p PhaseSummary) string {
	if !p.GeneratorFellBehind || p.Host == nil {
		return ""
	}
	switch h := p.Host; {
	case p.HostBusy:
		return "other processes on the host"
	case h.Cores > 0 && h.OwnCPUCores >= 0.9*float64(h.Cores):
		return "the run's own processes held the cores"
	}
	return "the generator itself (the host had idle CPU)"
}
