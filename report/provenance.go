package report

import (
	"fmt"
	"strings"

	"github.com/benchctl/benchctl/results"
)

// buildRestsOn fills the "what this rests on" box: the model and weights of
// every service the run started, the instance capacity the fleets are sized
// from, the price book and how many of the prices used are recalled (and
// which), the host, and how the run went.
func (m *Model) buildRestsOn() {
	s := m.Summary
	add := func(k, v string) {
		if v != "" {
			m.RestsOn = append(m.RestsOn, KV{k, v})
		}
	}
	add("services", servicesText(s.Run.Services))
	add("instance capacity", capacityText(s))
	add("price book", priceBookText(s.Decision))
	add("prices used", pricesUsedText(s))
	add("host", hostText(s.Run))
	add("measurement", measurementText(m))
}

// servicesText describes the services the run started, grouped by what
// they served: names and kind, model, and weights (synthetic, or the file
// and its SHA-256).
func servicesText(ss []results.ServiceInfo) string {
	if len(ss) == 0 {
		return "none started by benchctl: the targets' model and weights are not recorded"
	}
	type group struct {
		names []string
		what  string
	}
	var groups []*group
	byWhat := map[string]*group{}
	for _, sv := range ss {
		kind := sv.Kind
		switch kind {
		case "server":
			kind = "reference server"
		case "function":
			kind = "local function"
		}
		model := sv.Model
		if model == "" {
			model = "model not recorded"
		}
		what := kind + "|" + model + ", "
		switch {
		case sv.Weights == results.WeightsSynthetic:
			what += "synthetic weights"
		case sv.Weights != "":
			what += "weights " + sv.Weights
			if sv.WeightsSHA256 != "" {
				what += " (SHA-256 " + sv.WeightsSHA256 + ")"
			}
		default:
			what += "weights not recorded"
		}
		g := byWhat[what]
		if g == nil {
			g = &group{what: what}
			byWhat[what] = g
			groups = append(groups, g)
		}
		g.names = append(g.names, sv.Name)
	}
	var parts []string
	for _, g := range groups {
		kind, rest, _ := strings.Cut(g.what, "|")
		if len(g.names) > 1 {
			kind += "s"
		}
		parts = append(parts, strings.Join(g.names, ", ")+" ("+kind+"): "+rest)
	}
	return strings.Join(parts, "; ")
}

// capacityText says what the always-on options are sized from.
func capacityText(s *results.Summary) string {
	for _, c := range s.Experiments.Capacity {
		if c.CapacityRPS <= 0 {
			continue
		}
		t := fmt.Sprintf("%s: %s rps at p99 ≤ %s ms", c.Target, fmtRate(c.CapacityRPS), fmtMs(c.SLOP99Ms))
		if c.CapacityRPSLow > 0 && c.CapacityRPSHi > 0 {
			t += fmt.Sprintf(" (95%% CI %s–%s rps)", fmtRate(c.CapacityRPSLow), fmtRate(c.CapacityRPSHi))
		}
		if c.LimitedBy != "" {
			t += ", limited by " + c.LimitedBy
		}
		return t + ", measured by the capacity search; each instance type priced is assumed to serve as much unless the break-even detail says otherwise"
	}
	for _, br := range s.BreakEven {
		if br.CapacityRPS > 0 {
			return fmt.Sprintf("%s rps per instance (%s)", fmtRate(br.CapacityRPS), br.CapacityAssumption)
		}
	}
	return ""
}

// priceBookText names the price book of the decision.
func priceBookText(d *results.Decision) string {
	if d == nil || d.PriceBook == nil {
		return ""
	}
	t := fmt.Sprintf("version %d of %s", d.PriceBook.Version, d.PriceBook.Date)
	if len(d.PriceBook.Files) > 0 {
		t += " (" + strings.Join(d.PriceBook.Files, ", ") + ")"
	}
	return t
}

// pricesUsedText says how many of the prices behind the figures are
// recalled rather than confirmed from a source, and which.
func pricesUsedText(s *results.Summary) string {
	if d := s.Decision; d != nil && len(d.PricesUsed) > 0 {
		var recalled []string
		for _, p := range d.PricesUsed {
			if p.Confidence == results.PriceRecalled {
				recalled = append(recalled, p.Entry)
			}
		}
		if len(recalled) == 0 {
			return fmt.Sprintf("%d price-book entries, all confirmed from a source (P or S)", len(d.PricesUsed))
		}
		return fmt.Sprintf("%d of %d price-book entries are recalled (U), not confirmed: %s; the figures that use them are marked †",
			len(recalled), len(d.PricesUsed), strings.Join(recalled, ", "))
	}
	n, recalled, recorded := 0, 0, false
	for _, c := range s.Cost {
		n++
		recorded = recorded || c.PriceConfidence != ""
		if c.PriceConfidence == results.PriceRecalled {
			recalled++
		}
	}
	switch {
	case n == 0:
		return ""
	case !recorded:
		return "the confidence of the prices was not recorded (priced by an older benchctl)"
	}
	return fmt.Sprintf("%d of %d cost rows rest on a recalled (U) price", recalled, n)
}

// hostText describes the machine that ran the load and the services.
func hostText(r results.RunInfo) string {
	var parts []string
	cpu := ""
	if r.Cores > 0 {
		cpu = fmt.Sprintf("%d cores", r.Cores)
	}
	if r.CPUModel != "" {
		cpu = strings.TrimSpace(cpu + " (" + r.CPUModel + ")")
	}
	if cpu != "" {
		parts = append(parts, cpu)
	}
	if r.CPUIsolation != "" {
		parts = append(parts, "CPU isolation "+r.CPUIsolation)
	}
	if r.ServiceCPUPriority != "" {
		parts = append(parts, "service priority "+r.ServiceCPUPriority)
	}
	return strings.Join(parts, "; ")
}

// measurementText summarises the run's own health: the SLO and the load
// generator, and whether the run finished.
func measurementText(m *Model) string {
	var parts []string
	plain := 0
	for _, l := range m.SLO {
		if l.Counts {
			plain++
		}
	}
	switch {
	case len(m.SLO) == 0:
		parts = append(parts, "no SLO set")
	case plain == 0:
		parts = append(parts, "SLO judged per configuration (every phase ran inside an experiment)")
	case m.SLOPassed():
		parts = append(parts, "SLO met in every plain phase")
	default:
		parts = append(parts, "SLO failed in a plain phase")
	}
	n, behind := 0, 0
	for _, t := range m.Targets {
		for _, p := range t.Phases {
			n++
			if p.GeneratorFellBehind {
				behind++
			}
		}
	}
	if behind == 0 {
		parts = append(parts, "the load generator kept its schedule")
	} else {
		parts = append(parts, fmt.Sprintf("the load generator fell behind in %d of %d phases and steps", behind, n))
	}
	if m.Summary.Run.Interrupted {
		parts = append(parts, "interrupted")
	}
	return strings.Join(parts, "; ")
}
