package summary

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/benchctl/benchctl/results"
)

// WriteTable prints one row per target and phase: requests, success
// share, achieved rate, latency percentiles from the intended send time,
// dispatch-lag p99 (flagged when the generator fell behind or the host was
// busy) and the SLO verdict, then, for every phase with an until: rule,
// whether it stopped on its interval or ran to max_duration (what
// benchctl run and benchctl summary print).
func WriteTable(w io.Writer, sum *results.Summary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tPHASE\tREQUESTS\tSUCCESS\tACHIEVED RPS\tP50 MS\tP95 MS\tP99 MS\tLAG P99 MS\tSLO")
	for _, t := range sum.Targets {
		for _, p := range t.Phases {
			name := p.Name
			if p.Step != "" {
				name += " [" + p.Step + "]"
			}
			success := 0.0
			if p.Requests > 0 {
				success = float64(p.OK) / float64(p.Requests) * 100
			}
			slo := "-"
			if p.SLO != nil {
				slo = "pass"
				if !p.SLO.Passed {
					slo = "FAIL: " + strings.Join(p.SLO.Violations, "; ")
				}
			}
			lag := fmt.Sprintf("%.2f", p.DispatchLagMs.P99)
			if p.GeneratorFellBehind {
				lag += " (generator fell behind)"
			}
			if p.HostBusy {
				lag += " (host busy)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f%%\t%.1f\t%.1f\t%.1f\t%.1f\t%s\t%s\n", t.Name, name, p.Requests, success,
				p.AchievedRPS, p.LatencyMs.P50, p.LatencyMs.P95, p.LatencyMs.P99, lag, slo)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, t := range sum.Targets {
		for _, p := range t.Phases {
			switch p.Stopped {
			case results.StoppedCI:
				fmt.Fprintf(w, "until: %s stopped early after %.1f s: its interval reached the asked width (%d requests)\n", results.PhaseLabel(t.Name, p), p.DurationS, p.Requests)
			case results.StoppedMaxDuration:
				fmt.Fprintf(w, "until: %s ran to max_duration (%.1f s) without its interval reaching the asked width (%d requests)\n", results.PhaseLabel(t.Name, p), p.DurationS, p.Requests)
			}
		}
	}
	return nil
}
