package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
	"github.com/benchctl/benchctl/summary"
)

// Model is the typed data every format renders: the summary as saved, plus
// what the report derives from it (verdicts, tables, charts). Templates get
// it as their data; every string from a target passes through html/template's
// escaping.
type Model struct {
	// RunDir is the run directory as given to Render (used in commands).
	RunDir   string
	Summary  *results.Summary
	Scenario *scenarios.Scenario
	// Headline is the one sentence every document opens with (from
	// summary.decision), Flags what the figures rest on that a reader must
	// know, in the same box.
	Headline string
	Flags    []FlagView
	// Decision is the decision table (nil when the summary has no
	// decision); RestsOn the "what this rests on" box.
	Decision *DecisionView
	RestsOn  []KV
	// Matrix is the break-even as a matrix of serverless configurations ×
	// instance types; Crossings every pair with every crossing (folded).
	Matrix    *BreakEvenMatrix
	Crossings []CrossingRow
	// SLO lists every phase that had an SLO, passed or not.
	SLO     []SLOLine
	Targets []TargetView
	Phases  []PhaseView
	// CostColumns are the cost components present in any cost row (none
	// for runs priced before components existed); CostRows are the
	// summary's cost rows with their cost per 1M split along them.
	CostColumns []CostColumn
	CostRows    []CostView
	// MonthlyColumns and Monthly are the same for the monthly cost of
	// every option at the scenario's traffic profile (summary.monthly_cost).
	MonthlyColumns []CostColumn
	Monthly        []MonthlyView
	// GatewayNote explains the " + HTTP API" suffix of configurations that
	// include the API Gateway HTTP API fee (empty when none does).
	GatewayNote string
	Prices      []PriceEntry
	Env         []KV
	// Reproduce holds the exact commands that reproduce the run and the report.
	Reproduce []string
	Charts    []*Chart
	// Skipped says which charts were not drawn and why.
	Skipped []string
	Notes   []string
	// Workers is the load-generator section of a distributed run (nil
	// for one generator).
	Workers *WorkersView
	// Records is the number of records streamed from results.jsonl.
	Records int64

	data   *recordData
	curves []Curve
}

// SLOLine is one phase's SLO outcome.
type SLOLine struct {
	Target, Phase string
	// Counts is false for experiment steps, which do not count toward the
	// overall verdict (results.PhaseSummary.CountsTowardSLO).
	Counts     bool
	Passed     bool
	Violations []string
}

// TargetView is one target's table.
type TargetView struct {
	Name   string
	Kind   string
	Colour string
	Phases []PhaseRow
	// ErrorSamples are the target's failures by message, most frequent
	// first; OtherErrors counts those beyond the messages kept.
	ErrorSamples []ErrorSample
	OtherErrors  int64
}

// PhaseRow is one row of a target's table.
type PhaseRow struct {
	results.PhaseSummary
	// Label is the phase name with its experiment step, if any.
	Label string
	// Cost is the matching cost row, if pricing ran.
	Cost *results.CostRow
}

// PhaseView describes one scenario phase's traffic.
type PhaseView struct {
	Name     string
	Targets  string
	Duration string
	Traffic  string
	Recorded bool
}

// PriceEntry is one price-book entry a cost came from.
type PriceEntry struct {
	Platform, Architecture, Source, Effective string
	// Confidence is results.PriceSourced or PriceRecalled ("" when the
	// summary does not record it).
	Confidence string
	// Uses lists the cost components priced from the entry with their
	// first-tier rates ("request fee $0.20 per 1M requests; compute
	// $0.0000166667 per GB-"), when the cost rows carry components.
	Uses []string
}

// KV is one environment fact.
type KV struct{ Key, Value string }

// Curve is one cost curve of the break-even chart: monthly cost against
// monthly requests for one serverless configuration or one instance fleet
// (pricing's Analysis.Curves).
type Curve = pricing.Curve

// CurvePoint is one point of a Curve; LowUSD/HighUSD bound its CI (equal to
// USD when there is none).
type CurvePoint = pricing.CurvePoint

// buildModel derives the view model from a run; notes are the loader's
// caveats, shown after the summary's own.
func buildModel(runDir string, run *summary.Run, notes []string, curves []Curve) *Model {
	s := run.Summary
	m := &Model{RunDir: runDir, Summary: s, Scenario: run.Scenario, data: run.Series, curves: curves}
	seen := map[string]bool{}
	for _, n := range append(append([]string(nil), s.Notes...), notes...) {
		if !seen[n] {
			seen[n] = true
			m.Notes = append(m.Notes, n)
		}
	}
	if run.Series != nil {
		m.Records = run.Series.Records
	}
	m.buildTargets()
	m.buildCosts()
	m.buildPhases()
	m.buildEnv()
	m.buildPrices()
	m.buildReproduce()
	m.buildDecision()
	m.buildMatrix()
	m.Crossings = m.crossingRows()
	m.buildHeadline()
	m.buildRestsOn()
	m.Workers = newWorkersView(s)
	return m
}

// colourFor returns the i-th colour of the Okabe–Ito palette: distinguishable
// for colour-blind readers; a target keeps its colour across every chart.
func colourFor(i int) string {
	palette := [...]string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#999933"}
	return palette[i%len(palette)]
}

// targetNames lists the targets in display order: the summary's order, then
// any that only appear in records.
func (m *Model) targetNames() []string {
	var names []string
	seen := map[string]bool{}
	for _, t := range m.Summary.Targets {
		if !seen[t.Name] {
			seen[t.Name] = true
			names = append(names, t.Name)
		}
	}
	if m.data != nil {
		for _, t := range m.data.Targets {
			if !seen[t.Name] {
				seen[t.Name] = true
				names = append(names, t.Name)
			}
		}
	}
	return names
}

// colourIndex returns a target's fixed colour index.
func (m *Model) colourIndex(name string) int {
	for i, n := range m.targetNames() {
		if n == name {
			return i
		}
	}
	return len(m.targetNames())
}

func (m *Model) buildTargets() {
	for _, t := range m.Summary.Targets {
		tv := TargetView{Name: t.Name, Kind: t.Kind, Colour: colourFor(m.colourIndex(t.Name))}
		if m.data != nil {
			if td := m.data.Target(t.Name); td != nil {
				tv.ErrorSamples, tv.OtherErrors = td.ErrorSamples()
			}
		}
		for _, p := range t.Phases {
			row := PhaseRow{PhaseSummary: p, Label: p.Name}
			if p.Step != "" {
				row.Label = p.Name + " / " + p.Step
			}
			for i := range m.Summary.Cost {
				c := &m.Summary.Cost[i]
				if c.Target == t.Name && c.Phase == p.Name && c.Step == p.Step {
					row.Cost = c
					break
				}
			}
			tv.Phases = append(tv.Phases, row)
			if p.SLO != nil {
				m.SLO = append(m.SLO, SLOLine{Target: t.Name, Phase: row.Label, Counts: p.CountsTowardSLO(), Passed: p.SLO.Passed, Violations: p.SLO.Violations})
			}
		}
		m.Targets = append(m.Targets, tv)
	}
}

// SLOPassed reports whether every phase with an SLO passed it. Experiment
// steps (capacity search, memory sweep, cold starts) are shown but do not
// count: they probe configurations and rates beyond the SLO by design.
func (m *Model) SLOPassed() bool {
	for _, s := range m.SLO {
		if !s.Passed && s.Counts {
			return false
		}
	}
	return true
}

// FellBehind lists the target/phase labels where the generator fell
// behind, each with what stalled it when the host was measured
// (results.StallCause: other processes, the run's own load, or the
// generator itself); a phase slow with the generator on time is the
// target's.
func (m *Model) FellBehind() []string {
	var out []string
	for _, t := range m.Targets {
		for _, p := range t.Phases {
			if p.GeneratorFellBehind {
				label := t.Name + " / " + p.Label
				if cause := results.StallCause(p.PhaseSummary); cause != "" {
					label += " (stalled by " + cause + ")"
				}
				out = append(out, label)
			}
		}
	}
	return out
}

func (m *Model) buildPhases() {
	if m.Scenario == nil {
		return
	}
	for _, p := range m.Scenario.Phases {
		m.Phases = append(m.Phases, PhaseView{
			Name:     p.Name,
			Targets:  strings.Join(p.Targets, ", "),
			Duration: p.Duration.String(),
			Traffic:  describeTraffic(p.Traffic),
			Recorded: p.Recorded(),
		})
	}
}

// describeTraffic renders a traffic model in one line.
func describeTraffic(t scenarios.Traffic) string {
	arr := ""
	if t.Arrivals != "" {
		arr = ", " + t.Arrivals + " arrivals"
	}
	switch t.Model {
	case "constant", "poisson":
		return fmt.Sprintf("%s %g rps%s", t.Model, t.Rate, arr)
	case "ramp":
		return fmt.Sprintf("ramp %g→%g rps%s", t.From, t.To, arr)
	case "step":
		return fmt.Sprintf("step from %g rps by %g every %s up to %g rps%s", t.Start, t.Step, t.Every, t.Max, arr)
	case "sine":
		return fmt.Sprintf("sine mean %g ± %g rps, period %s%s", t.Mean, t.Amplitude, t.Period, arr)
	case "burst":
		return fmt.Sprintf("burst base %g rps, peak %g rps for %s every %s%s", t.Base, t.Peak, t.Length, t.Every, arr)
	case "trace":
		return fmt.Sprintf("trace %s (%s, time scale %g)", t.File, t.Format, t.TimeScale)
	}
	return t.Model
}

func (m *Model) buildEnv() {
	r := m.Summary.Run
	add := func(k, v string) {
		if v != "" {
			m.Env = append(m.Env, KV{k, v})
		}
	}
	add("benchctl", r.BenchctlVersion)
	add("Go", r.GoVersion)
	add("OS/arch", strings.Trim(r.OS+"/"+r.Arch, "/"))
	add("CPU", r.CPUModel)
	if r.Cores > 0 {
		add("cores", fmt.Sprint(r.Cores))
	}
	add("host", r.Hostname)
	iso := r.CPUIsolation
	if iso == "" {
		iso = "not reported"
	}
	add("CPU isolation", iso)
	add("service CPU priority", r.ServiceCPUPriority)
	add("seed", fmt.Sprint(r.Seed))
	if !r.Start.IsZero() {
		add("start", r.Start.UTC().Format("2006-01-02 15:04:05 UTC"))
		add("duration", r.End.Sub(r.Start).Round(1e6).String())
	}
	if r.Interrupted {
		add("interrupted", "yes: partial results")
	}
}

func (m *Model) buildPrices() {
	seen := map[string]int{}     // platform, architecture, source, date → index in m.Prices
	sources := map[string]bool{} // source, date
	add := func(e PriceEntry) int {
		if e.Source == "" {
			return -1
		}
		key := e.Platform + "\x00" + e.Architecture + "\x00" + e.Source + "\x00" + e.Effective
		i, ok := seen[key]
		if !ok {
			i = len(m.Prices)
			seen[key] = i
			sources[e.Source+"\x00"+e.Effective] = true
			m.Prices = append(m.Prices, e)
		}
		return i
	}
	use := func(i int, u string) {
		if i >= 0 && !slices.Contains(m.Prices[i].Uses, u) {
			m.Prices[i].Uses = append(m.Prices[i].Uses, u)
		}
	}
	for _, c := range m.Summary.Cost {
		i := add(PriceEntry{Platform: c.Platform, Architecture: c.Architecture, Source: c.PriceSource, Effective: c.PriceEffective})
		if i >= 0 && c.PriceConfidence == results.PriceRecalled {
			m.Prices[i].Confidence = results.PriceRecalled
		} else if i >= 0 && m.Prices[i].Confidence == "" {
			m.Prices[i].Confidence = c.PriceConfidence
		}
	}
	for _, c := range m.Summary.Cost {
		own := add(PriceEntry{Platform: c.Platform, Architecture: c.Architecture, Source: c.PriceSource, Effective: c.PriceEffective})
		// Each component cites its own entry: the platform's (requests,
		// compute, /tmp storage) or API Gateway's, listed after the
		// platforms'.
		for _, p := range c.Components {
			e := own
			if p.PriceSource != c.PriceSource || p.PriceEffective != c.PriceEffective {
				platform := c.Platform
				arch := c.Architecture
				if p.Name == results.CostAPIGatewayHTTP {
					platform, arch = "API Gateway HTTP API", ""
				}
				e = add(PriceEntry{Platform: platform, Architecture: arch, Source: p.PriceSource, Effective: p.PriceEffective})
			}
			u := componentLabel(p.Name) + " " + fmtPriceRate(p.RateUSD, p.Unit)
			if p.Name == results.CostEphemeralStorage {
				u += " above 512 MB"
			}
			use(e, u)
		}
	}
	// The instances' entries, each with its confidence, from the decision's
	// prices used; for a summary without them, the break-even rows' citations
	// ("source (date)").
	if d := m.Summary.Decision; d != nil && len(d.PricesUsed) > 0 {
		for _, p := range d.PricesUsed {
			if p.Instance == "" {
				listed := false
				for i := range m.Prices {
					if e := &m.Prices[i]; e.Source == p.Source && e.Effective == p.EffectiveDate && (e.Architecture == p.Architecture || p.Architecture == "") {
						listed = true
						if p.Confidence == results.PriceRecalled || e.Confidence == "" {
							e.Confidence = p.Confidence
						}
					}
				}
				if listed {
					continue
				}
			}
			m.Prices = append(m.Prices, PriceEntry{Platform: strings.TrimSpace(p.Platform + " " + p.Instance), Architecture: p.Architecture,
				Source: p.Source, Effective: p.EffectiveDate, Confidence: p.Confidence})
		}
		return
	}
	for _, br := range m.Summary.BreakEven {
		for _, ps := range br.PriceSources {
			e := PriceEntry{Platform: "instances (break-even)", Source: ps}
			if i := strings.LastIndex(ps, " ("); i > 0 && strings.HasSuffix(ps, ")") {
				e.Source, e.Effective = ps[:i], ps[i+2:len(ps)-1]
			}
			if !sources[e.Source+"\x00"+e.Effective] {
				add(e)
			}
		}
	}
}

// PricesUsed reports whether some price-book entry lists the components
// priced from it.
func (m *Model) PricesUsed() bool {
	for _, p := range m.Prices {
		if len(p.Uses) > 0 {
			return true
		}
	}
	return false
}

func (m *Model) buildReproduce() {
	r := m.Summary.Run
	if len(r.Command) > 0 {
		m.Reproduce = append(m.Reproduce, shellJoin(r.Command))
	} else if m.Scenario != nil {
		m.Reproduce = append(m.Reproduce, shellJoin([]string{"benchctl", "run", m.RunDir + "/" + ScenarioFile}))
	}
	m.Reproduce = append(m.Reproduce, shellJoin([]string{"benchctl", "report", m.RunDir}))
}

// shellJoin quotes args for a POSIX shell.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,@%+", r))
		}) < 0 {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}
