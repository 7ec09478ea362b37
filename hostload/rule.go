package hostload

import (
	"fmt"

	"github.com/benchctl/benchctl/results"
)

// host_busy thresholds.
const (
	// DefaultBusyCoresLocal is the foreign CPU (cores, mean over a phase)
	// above which a phase is host_busy when the run starts its own
	// services: they share the cores with the generator, and a quarter of
	// a core taken by others already moved the quickstart's verdicts.
	DefaultBusyCoresLocal = 0.25
	// DefaultBusyCoresRemote is the threshold when every target is
	// elsewhere: only the generator competes with the other processes.
	DefaultBusyCoresRemote = 0.5
	// BurstFactor: a phase is also busy when the p95 of its one-second
	// buckets exceeds BurstFactor × the threshold (short bursts that the
	// mean hides but a p99 latency sees).
	BurstFactor = 4
	// DefaultStealFraction is the hypervisor steal above which a phase is busy.
	DefaultStealFraction = 0.05
	// DefaultMemoryStallFraction is the PSI memory stall share ("some")
	// above which a phase is busy.
	DefaultMemoryStallFraction = 0.10
	// Without PSI: busy when MemAvailable fell below LowMemoryFraction of
	// MemTotal or major faults exceeded MajorFaultsPerS per second.
	LowMemoryFraction = 0.05
	MajorFaultsPerS   = 100
)

// Rule is the host_busy rule: a window is busy when processes outside the
// run's tree used more than ForeignCores on average (or more than
// BurstFactor × ForeignCores in its p95 second), when the hypervisor stole
// more than StealFraction of the CPU time, or when the host was short of
// memory (PSI "some" stall share above MemoryStallFraction; without PSI,
// MemAvailable below LowMemoryFraction of MemTotal or more than
// MajorFaultsPerS major faults per second).
type Rule struct {
	ForeignCores        float64
	StealFraction       float64
	MemoryStallFraction float64
}

// DefaultRule is the rule with the default thresholds: DefaultBusyCoresLocal
// foreign cores when the run starts its own services (localServices),
// DefaultBusyCoresRemote otherwise.
func DefaultRule(localServices bool) Rule {
	r := Rule{ForeignCores: DefaultBusyCoresRemote, StealFraction: DefaultStealFraction, MemoryStallFraction: DefaultMemoryStallFraction}
	if localServices {
		r.ForeignCores = DefaultBusyCoresLocal
	}
	return r
}

// Validate checks the thresholds: ForeignCores > 0, fractions in (0, 1].
func (r Rule) Validate() error {
	if !(r.ForeignCores > 0) {
		return fmt.Errorf("hostload: foreign cores threshold %v: must be > 0", r.ForeignCores)
	}
	if !(r.StealFraction > 0 && r.StealFraction <= 1) {
		return fmt.Errorf("hostload: steal fraction threshold %v: must be in (0, 1]", r.StealFraction)
	}
	if !(r.MemoryStallFraction > 0 && r.MemoryStallFraction <= 1) {
		return fmt.Errorf("hostload: memory stall threshold %v: must be in (0, 1]", r.MemoryStallFraction)
	}
	return nil
}

// Judge sets l.Busy, l.BusyReasons and l.BusyThresholdCores; memTotalMB
// is the host's memory (0 when unknown: the low-memory fallback is then
// not applied).
func (r Rule) Judge(l *results.HostLoad, memTotalMB float64) {
	var why []string
	if m := l.ForeignCPUCores.Mean; m > r.ForeignCores {
		why = append(why, fmt.Sprintf("other processes used %.2f cores on average (threshold %.2g)", m, r.ForeignCores))
	} else if p := l.ForeignCPUCores.P95; p > BurstFactor*r.ForeignCores {
		why = append(why, fmt.Sprintf("other processes used %.2f cores in the p95 second (threshold %.2g)", p, BurstFactor*r.ForeignCores))
	}
	if l.StealFraction > r.StealFraction {
		why = append(why, fmt.Sprintf("the hypervisor stole %.1f%% of the CPU time (threshold %.3g%%)", 100*l.StealFraction, 100*r.StealFraction))
	}
	switch {
	case l.MemoryStallFraction != nil:
		if v := *l.MemoryStallFraction; v > r.MemoryStallFraction {
			why = append(why, fmt.Sprintf("tasks waited for memory %.1f%% of the time (PSI; threshold %.3g%%)", 100*v, 100*r.MemoryStallFraction))
		}
	default:
		if memTotalMB > 0 && l.MemoryAvailableMinMB > 0 && l.MemoryAvailableMinMB < LowMemoryFraction*memTotalMB {
			why = append(why, fmt.Sprintf("available memory fell to %.0f MB of %.0f MB", l.MemoryAvailableMinMB, memTotalMB))
		}
		if l.MajorFaultsPerS > MajorFaultsPerS {
			why = append(why, fmt.Sprintf("%.0f major page faults per second (threshold %d)", l.MajorFaultsPerS, MajorFaultsPerS))
		}
	}
	l.Busy, l.BusyReasons, l.BusyThresholdCores = len(why) > 0, why, r.ForeignCores
}
