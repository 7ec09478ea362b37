package report

import (
	"fmt"
	"io"
	"strings"
)

// Chart names, in the order the report shows them.
const (
	ChartBreakEven   = "break_even"
	ChartMemorySweep = "memory_sweep"
	ChartLatencyCDF  = "latency_cdf"
	ChartLatencyHDR  = "latency_percentiles"
	ChartLatencyTime = "latency_over_time"
	ChartCapacity    = "capacity"
	ChartColdStarts  = "cold_starts"
)

// buildCharts builds every chart whose data the run has, and a note for
// every chart it skips.
func (m *Model) buildCharts() {
	builders := []func() (*Chart, string){
		m.breakEvenChart, m.memorySweepChart, m.latencyCDFChart, m.latencyHDRChart,
		m.latencyTimeChart, m.capacityChart, m.coldStartChart,
	}
	for _, b := range builders {
		c, skip := b()
		if c == nil {
			if skip != "" {
				m.Skipped = append(m.Skipped, skip)
			}
			continue
		}
		// A trial draw: gonum/plot panics on some degenerate data (a log
		// axis with nothing positive); such a chart becomes a note instead
		// of failing the whole report.
		if err := c.WriteSVG(io.Discard); err != nil {
			m.Skipped = append(m.Skipped, fmt.Sprintf("%s: skipped, it could not be drawn from this run's data (%v).", c.Title, err))
			continue
		}
		m.Charts = append(m.Charts, c)
	}
}

func (m *Model) colour(target string) string { return colourFor(m.colourIndex(target)) }

// curveColour gives a serverless curve its target's colour when its name
// starts with a target name.
func (m *Model) curveColour(name string, i int) string {
	best := ""
	for _, t := range m.targetNames() {
		if strings.HasPrefix(name, t) && len(t) > len(best) {
			best = t
		}
	}
	if best != "" {
		return m.colour(best)
	}
	return colourFor(len(m.targetNames()) + i)
}
