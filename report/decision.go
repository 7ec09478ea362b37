package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/benchctl/benchctl/results"
)

// DecisionView is the decision table as every document shows it: one row
// per option priced at the profile (summary.decision.options), the
// recommended one first and marked, those meeting the SLO, then (folded)
// those failing it.
type DecisionView struct {
	*results.Decision
	// Rows meet the SLO (or have none, or assume it); Failing do not or
	// were not measured.
	Rows, Failing []DecisionRow
	// Versus names the serverless configuration every break-even cell is
	// against ("Lambda 1,024 MB arm64").
	Versus string
	// Recalled marks that some row is priced from a recalled price,
	// HostBusy that some row rests on a measurement on a busy host.
	Recalled, HostBusy bool
	// ManyTargets is set when the serverless rows come from several
	// targets (different models or tasks: rows compare within a target).
	ManyTargets bool
	// NoneMeets is set when no option meets the SLO: Rows then holds every
	// option (and Failing none), so that the table still shows the costs.
	NoneMeets bool
}

// DecisionRow is one option of the decision table, formatted.
type DecisionRow struct {
	// Label is the option's short name ("Lambda 1,024 MB arm64",
	// "t3.medium"); Option its full name (a tooltip).
	Label, Option string
	// Kind is the option's family as a reader names it: serverless, fleet,
	// managed instances.
	Kind        string
	Recommended bool
	// Monthly is the monthly cost, Interval its 95% interval ("" when the
	// cost has none), PerMillion the cost per 1M requests of the profile.
	Monthly, Interval, PerMillion string
	// P99 is the measured p99 ("157 ms", "–"), P99From where it comes from.
	P99, P99From string
	// SLO is "pass", "fail", "no SLO", "assumed" or "not measured";
	// SLOClass the CSS class (pass, fail or ""); SLOWhy the violations.
	SLO, SLOClass, SLOWhy string
	// BreakEven is the break-even volume against DecisionView.Versus ("65.5
	// M/month (25 rps)"), or the outcome in words; BreakEvenCI its interval.
	BreakEven, BreakEvenCI string
	// Recalled is set when a recalled (U) price is behind the figures;
	// HostBusy when a figure behind it was measured on a busy host.
	Recalled, HostBusy bool
}

// kindLabel names an option kind for readers.
func kindLabel(kind string) string {
	switch kind {
	case results.OptionServerless, "":
		return "serverless"
	case results.OptionFleet:
		return "fleet"
	case results.OptionLambdaManaged:
		return "managed instances"
	}
	return strings.ReplaceAll(kind, "-", " ")
}

// platformLabel names a serverless platform for readers.
func platformLabel(p string) string {
	switch p {
	case "aws-lambda":
		return "Lambda"
	case "cloud-run":
		return "Cloud Run"
	case "azure-functions":
		return "Azure Functions"
	case "sagemaker-serverless":
		return "SageMaker Serverless"
	}
	return p
}

// optionLabel is an option's short name: the platform, memory and
// architecture of a serverless configuration (with its target when the
// decision has several serverless targets, and " + HTTP API" when that fee
// is included), the instance type of a fleet, "<instance> LMI" for Lambda
// Managed Instances; the option's own name when the summary does not
// describe it (priced before these fields existed).
func optionLabel(o results.DecisionOption, manyTargets bool) string {
	switch o.Kind {
	case results.OptionServerless, "":
		if o.Platform == "" || o.MemoryMB == 0 {
			return o.Option
		}
		parts := []string{platformLabel(o.Platform)}
		if manyTargets {
			parts = append(parts, o.Target)
		}
		parts = append(parts, fmtMB(o.MemoryMB))
		if o.Architecture != "" {
			parts = append(parts, o.Architecture)
		}
		s := strings.Join(parts, " ")
		if o.APIGateway != "" {
			s += HTTPAPISuffix
		}
		return s
	case results.OptionLambdaManaged:
		if o.Instance != "" {
			return o.Instance + " LMI"
		}
	default:
		if o.Instance != "" {
			return o.Instance
		}
	}
	return o.Option
}

// headlineLabel is an option's name in the headline: its short label, with
// what it is when that is not obvious ("m7g.large Lambda Managed Instances").
func headlineLabel(o results.DecisionOption, manyTargets bool) string {
	l := optionLabel(o, manyTargets)
	if o.Kind == results.OptionLambdaManaged && o.Instance != "" {
		return o.Instance + " Lambda Managed Instances"
	}
	return l
}

// manyServerlessTargets reports whether the decision's serverless options
// come from more than one target (their labels then name the target).
func manyServerlessTargets(d *results.Decision) bool {
	seen := map[string]bool{}
	for _, o := range d.Options {
		if o.Kind == results.OptionServerless && o.Target != "" {
			seen[o.Target] = true
		}
	}
	return len(seen) > 1
}

// sloLabel is an SLO outcome in words and its CSS class.
func sloLabel(s string) (text, class string) {
	switch s {
	case results.SLOPass:
		return "pass", "pass"
	case results.SLOFail:
		return "fail", "fail"
	case results.SLONone:
		return "no SLO", ""
	case results.SLOAssumed:
		return "assumed", ""
	case results.SLONotMeasured:
		return "not measured", "fail"
	}
	return s, ""
}

// breakEvenText says a decision break-even in words: the volume (with its
// average rate) where the answer flips, or the outcome when it never does
// in the searched range; ci is its 95% interval when known.
func breakEvenText(be *results.DecisionBreakEven, maxMonthly float64) (text, ci string) {
	if be == nil {
		return "–", ""
	}
	upTo := "≤ " + fmtVolume(maxMonthly) + "/month"
	if maxMonthly <= 0 {
		upTo = "in the range searched"
	}
	switch be.Outcome {
	case results.BreakEvenServerlessBelow:
		text = fmt.Sprintf("%s/month (%s rps)", fmtVolume(be.MonthlyRequests), fmtRate(be.AverageRPS))
		ci = fmtVolumeCI(be.MonthlyRequestsLow, be.MonthlyRequestsHigh, maxMonthly)
	case results.BreakEvenServerlessAbove:
		text = fmt.Sprintf("serverless cheaper above %s/month (%s rps)", fmtVolume(be.MonthlyRequests), fmtRate(be.AverageRPS))
	case results.BreakEvenServerlessAlways:
		text = "never " + upTo
	case results.BreakEvenAlwaysOnAlways:
		text = "never " + upTo + " (always cheaper)"
	default:
		text = "no crossing " + upTo
	}
	return text, ci
}

// buildDecision builds the decision table from summary.decision (nothing
// when the summary has none: not priced, or priced by an older benchctl).
func (m *Model) buildDecision() {
	d := m.Summary.Decision
	if d == nil {
		return
	}
	many := manyServerlessTargets(d)
	v := &DecisionView{Decision: d, ManyTargets: many}
	for _, o := range d.Options {
		if o.Option == d.Serverless && o.Kind == results.OptionServerless {
			v.Versus = optionLabel(o, many)
		}
	}
	for _, o := range d.Options {
		r := DecisionRow{Label: optionLabel(o, many), Option: o.Option, Kind: kindLabel(o.Kind), Recommended: o.Recommended,
			Monthly: fmtUSD(o.MonthlyCostUSD), PerMillion: fmtUSD(o.CostPerMillionUSD), P99: "–", P99From: o.P99From,
			Recalled: o.PriceConfidence == results.PriceRecalled, HostBusy: o.HostBusy}
		if o.MonthlyCostLow > 0 && o.MonthlyCostHigh > 0 && o.MonthlyCostLow != o.MonthlyCostHigh {
			r.Interval = fmtUSD(o.MonthlyCostLow) + "–" + fmtUSD(o.MonthlyCostHigh)
		}
		if o.P99Ms != nil {
			r.P99 = fmtMs(*o.P99Ms) + " ms"
		}
		r.SLO, r.SLOClass = sloLabel(o.SLO)
		r.SLOWhy = strings.Join(o.SLOViolations, "; ")
		if o.Kind != results.OptionServerless {
			r.BreakEven, r.BreakEvenCI = breakEvenText(o.BreakEven, d.BreakEvenMaxMonthlyRequests)
		} else if o.Option == d.Serverless {
			r.BreakEven = "reference"
		} else {
			r.BreakEven = "–"
		}
		v.Recalled = v.Recalled || r.Recalled
		v.HostBusy = v.HostBusy || r.HostBusy
		if o.MeetsSLO() {
			v.Rows = append(v.Rows, r)
		} else {
			v.Failing = append(v.Failing, r)
		}
	}
	if len(v.Rows) == 0 && len(v.Failing) > 0 {
		v.Rows, v.Failing, v.NoneMeets = v.Failing, nil, true
	}
	m.Decision = v
}

// option returns the decision's option named name (nil when absent).
func decisionOption(d *results.Decision, name string) *results.DecisionOption {
	if d == nil || name == "" {
		return nil
	}
	for i := range d.Options {
		if d.Options[i].Option == name {
			return &d.Options[i]
		}
	}
	return nil
}

// BreakEvenMatrix is the break-even as a matrix: one row per serverless
// configuration, one column per always-on option, each cell the volume
// where the answer flips (with its average rate) or, when it never does in
// the searched range, that in words.
type BreakEvenMatrix struct {
	// Columns name the always-on options (instance types).
	Columns []string
	Rows    []MatrixRow
	// MaxMonthly is the top of the searched range (0 when unknown).
	MaxMonthly float64
}

// MatrixRow is one serverless configuration's break-even volumes.
type MatrixRow struct {
	Label string
	// Recommended marks the decision's recommended option; Reference the
	// serverless configuration the decision's break-even volumes are
	// against (the cheapest meeting the SLO).
	Recommended, Reference bool
	// FailsSLO marks a configuration that fails the SLO (or was not
	// measured): its break-even volumes are costs only.
	FailsSLO bool
	// Cells align with BreakEvenMatrix.Columns; "–" where no pair was priced.
	Cells []MatrixCell
}

// MatrixCell is one pair's break-even.
type MatrixCell struct {
	// Text is the volume ("65.5 M (25 rps)") or the outcome in words;
	// Title the interval and the number of crossings (a tooltip).
	Text, Title string
	// Never is set when the costs do not cross in the searched range.
	Never bool
}

// buildMatrix arranges summary.break_even as a matrix. A pair without a
// crossing takes its outcome from the monthly costs at the profile (which
// option is cheaper there is cheaper throughout the searched range).
func (m *Model) buildMatrix() {
	s := m.Summary
	if len(s.BreakEven) == 0 {
		return
	}
	mx := &BreakEvenMatrix{}
	d := s.Decision
	many := false
	if d != nil {
		mx.MaxMonthly = d.BreakEvenMaxMonthlyRequests
		many = manyServerlessTargets(d)
	}
	monthly := map[string]float64{}
	for _, r := range s.MonthlyCost {
		monthly[r.Option] = r.MonthlyCostUSD
	}
	colOf, rowOf := map[string]int{}, map[string]int{}
	maxMonthly := 0.0
	if d != nil {
		maxMonthly = d.BreakEvenMaxMonthlyRequests
	}
	for _, br := range s.BreakEven {
		col := br.Instance
		if br.InstanceKind == results.OptionLambdaManaged {
			col += " LMI"
		}
		if _, ok := colOf[col]; !ok {
			colOf[col] = len(mx.Columns)
			mx.Columns = append(mx.Columns, col)
		}
		if _, ok := rowOf[br.Serverless]; !ok {
			rowOf[br.Serverless] = len(mx.Rows)
			label := br.Serverless
			if o := decisionOption(d, br.Serverless); o != nil {
				label = optionLabel(*o, many)
			}
			row := MatrixRow{Label: label, Recommended: d != nil && br.Serverless == d.Recommended,
				Reference: d != nil && br.Serverless == d.Serverless}
			if o := decisionOption(d, br.Serverless); o != nil {
				row.FailsSLO = !o.MeetsSLO()
			}
			mx.Rows = append(mx.Rows, row)
		}
	}
	for i := range mx.Rows {
		mx.Rows[i].Cells = make([]MatrixCell, len(mx.Columns))
		for j := range mx.Rows[i].Cells {
			mx.Rows[i].Cells[j] = MatrixCell{Text: "–"}
		}
	}
	for _, br := range s.BreakEven {
		col := br.Instance
		if br.InstanceKind == results.OptionLambdaManaged {
			col += " LMI"
		}
		sv, okS := monthly[br.Serverless]
		fv, okF := monthly[br.Fleet]
		be := results.BreakEvenOutcome(br, sv < fv, okS && okF && m.profileInRange())
		c := MatrixCell{}
		switch be.Outcome {
		case results.BreakEvenServerlessBelow:
			c.Text = fmt.Sprintf("%s (%s rps)", fmtVolume(be.MonthlyRequests), fmtRate(be.AverageRPS))
			var t []string
			if ci := fmtVolumeCI(be.MonthlyRequestsLow, be.MonthlyRequestsHigh, maxMonthly); ci != "" {
				t = append(t, "95% CI "+ci)
			}
			if be.Crossings > 1 {
				t = append(t, fmt.Sprintf("the costs cross %d times", be.Crossings))
			}
			c.Title = strings.Join(t, "; ")
		case results.BreakEvenServerlessAbove:
			c.Text = fmt.Sprintf("above %s (%s rps)", fmtVolume(be.MonthlyRequests), fmtRate(be.AverageRPS))
			c.Title = "the instance is cheaper below this volume, serverless above it"
		default:
			c.Never = true
			up := "never"
			if mx.MaxMonthly > 0 {
				up = "never ≤ " + fmtVolume(mx.MaxMonthly) + "/month"
			}
			switch be.Outcome {
			case results.BreakEvenServerlessAlways:
				c.Text, c.Title = up, "serverless is cheaper at every volume searched"
			case results.BreakEvenAlwaysOnAlways:
				c.Text, c.Title = up+" (instance cheaper)", "the instance is cheaper at every volume searched"
			default:
				c.Text = up
			}
		}
		mx.Rows[rowOf[br.Serverless]].Cells[colOf[col]] = c
	}
	// The decision's reference configuration first, the others in the
	// decision's order (meeting the SLO, cheapest first), else in summary
	// order.
	rank := map[string]int{}
	if d != nil {
		for i, o := range d.Options {
			rank[optionLabel(o, many)] = i + 1
		}
	}
	sort.SliceStable(mx.Rows, func(i, j int) bool {
		a, b := mx.Rows[i], mx.Rows[j]
		if a.Reference != b.Reference {
			return a.Reference
		}
		ra, rb := rank[a.Label], rank[b.Label]
		return ra != 0 && (rb == 0 || ra < rb)
	})
	m.Matrix = mx
}

// profileInRange reports whether the profile's volume lies inside the
// break-even search range, so that the option cheaper there is cheaper
// throughout when the costs never cross.
func (m *Model) profileInRange() bool {
	d := m.Summary.Decision
	if d == nil {
		return len(m.Summary.MonthlyCost) > 0
	}
	return d.MonthlyRequests > 0 && d.MonthlyRequests >= d.BreakEvenMinMonthlyRequests && d.MonthlyRequests <= d.BreakEvenMaxMonthlyRequests
}

// CrossingRow is one break-even pair in the folded detail under the matrix.
type CrossingRow struct {
	Serverless, Instance, BreakEven, Interval, Capacity, Crossings, Notes string
	Recalled                                                              bool
}

// crossingRows lists every break-even pair with every crossing.
func (m *Model) crossingRows() []CrossingRow {
	var out []CrossingRow
	max := 0.0
	if d := m.Summary.Decision; d != nil {
		max = d.BreakEvenMaxMonthlyRequests
	}
	for _, br := range m.Summary.BreakEven {
		r := CrossingRow{Serverless: br.Serverless, Instance: br.Instance, Recalled: br.PriceConfidence == results.PriceRecalled}
		if br.MonthlyRequests > 0 {
			r.BreakEven = fmt.Sprintf("%s (%s rps)", fmtVolume(br.MonthlyRequests), fmtRate(br.AverageRPS))
		} else if len(br.Crossings) == 0 {
			r.BreakEven = "none"
			if max > 0 {
				r.BreakEven = "none ≤ " + fmtVolume(max)
			}
		} else {
			c := br.Crossings[0]
			r.BreakEven = fmt.Sprintf("serverless cheaper above %s (%s rps)", fmtVolume(c.MonthlyRequests), fmtRate(c.AverageRPS))
		}
		r.Interval = fmtVolumeCI(br.MonthlyRequestsLow, br.MonthlyRequestsHigh, max)
		if br.CapacityRPS > 0 {
			r.Capacity = fmtRate(br.CapacityRPS) + " rps"
		}
		if br.CapacityAssumption != "" {
			r.Capacity = strings.TrimSpace(r.Capacity + " (" + br.CapacityAssumption + ")")
		}
		r.Crossings = crossingsText(br)
		r.Notes = br.Note
		if br.MostSensitive != "" {
			r.Notes = strings.TrimSpace(r.Notes + " Most sensitive to: " + br.MostSensitive + ".")
		}
		out = append(out, r)
	}
	return out
}

// crossingsText lists a pair's crossings: all of them up to six, else the
// first three and the last two with the count between.
func crossingsText(br results.BreakEvenRow) string {
	one := func(c results.Crossing) string {
		return fmt.Sprintf("%s (%s rps, %s)", fmtVolume(c.MonthlyRequests), fmtRate(c.AverageRPS), strings.ReplaceAll(c.Direction, "_", " "))
	}
	cs := br.Crossings
	n := max(br.CrossingsCount, len(cs))
	var parts []string
	if len(cs) <= 6 {
		for _, c := range cs {
			parts = append(parts, one(c))
		}
		return strings.Join(parts, "; ")
	}
	for _, c := range cs[:3] {
		parts = append(parts, one(c))
	}
	parts = append(parts, fmt.Sprintf("… %d more …", n-5))
	for _, c := range cs[len(cs)-2:] {
		parts = append(parts, one(c))
	}
	return strings.Join(parts, "; ")
}

// failingSummary is the summary line of the folded options failing the SLO.
func failingSummary(n int) string {
	if n == 1 {
		return "1 option that fails the SLO or was not measured"
	}
	return fmt.Sprintf("%d options that fail the SLO or were not measured", n)
}
