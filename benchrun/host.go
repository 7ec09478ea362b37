package benchrun

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/benchctl/benchctl/hostload"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// hostRule is the host_busy rule of a scenario: the defaults for a run
// that starts its own services (or not), with the scenario's host_busy
// thresholds over them.
func hostRule(s *scenarios.Scenario) hostload.Rule {
	r := hostload.DefaultRule(len(s.Servers) > 0 || len(s.Functions) > 0)
	if h := s.HostBusy; h != nil {
		if h.ForeignCores > 0 {
			r.ForeignCores = h.ForeignCores
		}
		if h.StealFraction > 0 {
			r.StealFraction = h.StealFraction
		}
		if h.MemoryStallFraction > 0 {
			r.MemoryStallFraction = h.MemoryStallFraction
		}
	}
	return r
}

// startHostSampler starts measuring host interference for the run's
// phases (this process's tree: the generator and every service it
// started). Where it cannot (no Linux /proc) the run goes on without it
// and says so.
func (st *runState) startHostSampler(ctx context.Context) {
	s, err := hostload.New(hostload.WithRule(hostRule(st.scenario)))
	if err != nil {
		st.env.Notes = append(st.env.Notes, "host interference not measured: "+err.Error())
		return
	}
	s.Start(ctx)
	st.host = s
}

// stopHostSampler stops the sampler and records in run.json what it cost.
func (st *runState) stopHostSampler() {
	if st.host == nil {
		return
	}
	st.host.Stop()
	per, cores := st.host.Overhead()
	r := st.host.Rule()
	st.mu.Lock()
	st.info.HostSampling = &results.HostSampling{IntervalMs: float64(hostload.DefaultInterval) / 1e6,
		ReadingUs: float64(per) / 1e3, OverheadCores: cores, ForeignCoresThreshold: r.ForeignCores,
		StealFractionThreshold: r.StealFraction, MemoryStallFractionThreshold: r.MemoryStallFraction}
	st.mu.Unlock()
}

// hostLoad is the host's load over a phase as run (nil without a sampler).
func (st *runState) hostLoad(info results.PhaseRunInfo) *results.HostLoad {
	if st.host == nil || info.Start.IsZero() {
		return nil
	}
	return st.host.Window(info.Start, info.Start.Add(time.Duration(info.DurationS*float64(time.Second))))
}

// hostWarning is the run's closing warning about host interference ("" when
// the host was quiet or not measured).
func hostWarning(sum *results.Summary) string {
	hi := sum.HostInterference
	if hi == nil || !hi.Busy {
		return ""
	}
	phases := hi.BusyPhases
	more := ""
	if len(phases) > 4 {
		more = fmt.Sprintf(" and %d more", len(phases)-4)
		phases = phases[:4]
	}
	return fmt.Sprintf("host busy during %d of %d phases (%s%s): %s; figures derived from them are flagged host_busy",
		len(hi.BusyPhases), hi.PhasesMeasured, strings.Join(phases, ", "), more, strings.Join(hi.Reasons, "; "))
}

// distributedConfidence refuses what a distributed run cannot do yet:
// trials (the workers would not interleave them) and until: rules (each
// worker would stop on its own share's interval).
func distributedConfidence(s *scenarios.Scenario) error {
	if s.Trials > 1 {
		return &InputError{Err: fmt.Errorf("trials: %d: not supported in distributed runs (run trials with one generator)", s.Trials)}
	}
	for _, ph := range s.Phases {
		if ph.Until != nil {
			return &InputError{Err: fmt.Errorf("phase %s: until: not supported in distributed runs (each worker would stop on its own share's interval)", ph.Name)}
		}
	}
	if c := s.Experiments.Capacity; c != nil && c.Until != nil {
		return &InputError{Err: errors.New("experiments.capacity.until: not supported in distributed runs")}
	}
	return nil
}
