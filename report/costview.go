package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/benchctl/benchctl/results"
)

// HTTPAPISuffix ends the name of every serverless configuration priced
// with the API Gateway HTTP API fee (break-even and monthly-cost rows).
const HTTPAPISuffix = " + HTTP API"

// CostColumn is one cost component shown as its own column of the cost
// and monthly-cost tables (results.CostComponent.Name, and its label).
type CostColumn struct {
	Name  string
	Label string
}

// CostCell is one component's share of a cost row: Text is its cost (per
// 1M requests in the cost table, per month in the monthly table, "–" when
// the row has no such component), Share its fraction of the row's total
// ("78%"), Title the priced quantity and rate behind it (a tooltip).
type CostCell struct {
	Text, Share, Title string
}

// CostView is one row of the cost table: the saved cost row, its
// configuration as a reader names it, and its breakdown aligned with
// Model.CostColumns.
type CostView struct {
	results.CostRow
	// PlatformLabel is the platform, with " + HTTP API" when the API
	// Gateway fee is included.
	PlatformLabel string
	// Storage is the /tmp size priced and where it came from ("2048 MB
	// (scenario)"), empty when none is recorded.
	Storage string
	Parts   []CostCell
}

// MonthlyView is one row of the monthly-cost table: an option's cost for
// a month of the scenario's traffic profile, with its breakdown aligned
// with Model.MonthlyColumns (serverless rows only; fleets have none).
type MonthlyView struct {
	results.MonthlyCostRow
	Parts []CostCell
}

// costColumnOrder is the display order of the known components: what
// dominates (compute) first, then the fixed per-request fees, then storage.
func costColumnOrder() []CostColumn {
	return []CostColumn{
		{results.CostCompute, "compute"},
		{results.CostRequests, "request fee"},
		{results.CostRequestsAndCompute, "requests + compute"},
		{results.CostAPIGatewayHTTP, "API Gateway fee"},
		{results.CostEphemeralStorage, "/tmp storage"},
	}
}

// componentLabel is a component name as readers see it.
func componentLabel(name string) string {
	for _, c := range costColumnOrder() {
		if c.Name == name {
			return c.Label
		}
	}
	return strings.ReplaceAll(name, "_", " ")
}

// costColumns lists the components present in names, known ones in
// costColumnOrder and unknown ones (a newer pricing package) after them in
// the order first seen.
func costColumns(names []string) []CostColumn {
	present := map[string]bool{}
	for _, n := range names {
		present[n] = true
	}
	var out []CostColumn
	for _, c := range costColumnOrder() {
		if present[c.Name] {
			out = append(out, c)
			delete(present, c.Name)
		}
	}
	for _, n := range names {
		if present[n] {
			out = append(out, CostColumn{Name: n, Label: componentLabel(n)})
			delete(present, n)
		}
	}
	return out
}

// CostEstimates reports whether some cost row is an estimate (the cost
// table then has an "estimate" column).
func (m *Model) CostEstimates() bool {
	for _, c := range m.Summary.Cost {
		if c.Estimate {
			return true
		}
	}
	return false
}

// fmtPartUSD formats a cost component like fmtUSD, but sub-cent figures
// to two significant digits ($0.0068), which is all a share needs.
func fmtPartUSD(v float64) string {
	if v <= 0 || v >= 0.01 {
		return fmtUSD(v)
	}
	digits := int(math.Ceil(-math.Log10(v))) + 1
	return fmt.Sprintf("$%.*f", digits, v)
}

// fmtShare formats a component's share of a total: "78%", "<1%".
func fmtShare(part, total float64) string {
	if total <= 0 || part < 0 {
		return ""
	}
	f := part / total
	switch {
	case f == 0:
		return "0%"
	case f < 0.01:
		return "<1%"
	}
	return fmt.Sprintf("%.0f%%", 100*f)
}

// fmtPriceRate formats a per-unit rate: per 1M for per-request units
// (requests, executions, metered requests), else per unit with every
// significant digit ($0.0000166667 per GB-s, per billed ms).
func fmtPriceRate(rate float64, unit string) string {
	switch unit {
	case "requests", "executions", "metered requests":
		return fmtUSD(rate*1e6) + " per 1M " + unit
	}
	return "$" + strconv.FormatFloat(rate, 'f', -1, 64) + " per " + unit
}

// fmtQuantity formats a priced quantity to 4 significant digits.
func fmtQuantity(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmtInt(int64(v))
	}
	return plainSig(v, 4)
}

// buildCosts fills CostColumns/CostRows and MonthlyColumns/Monthly from
// the summary's cost rows and their components (absent in runs priced
// before components existed: the tables then have no breakdown columns).
func (m *Model) buildCosts() {
	var names []string
	for _, c := range m.Summary.Cost {
		for _, p := range c.Components {
			names = append(names, p.Name)
		}
	}
	m.CostColumns = costColumns(names)
	for _, c := range m.Summary.Cost {
		v := CostView{CostRow: c, PlatformLabel: c.Platform}
		if c.APIGateway != "" {
			v.PlatformLabel += HTTPAPISuffix
			if c.APIGateway != "http" {
				v.PlatformLabel += " (" + c.APIGateway + ")"
			}
		}
		if c.EphemeralStorageMB > 0 {
			v.Storage = fmt.Sprintf("%d MB", c.EphemeralStorageMB)
			if c.EphemeralStorageSource != "" {
				v.Storage += " (" + c.EphemeralStorageSource + ")"
			}
		}
		name := func(p results.CostComponent) string { return p.Name }
		v.Parts = alignCells(m.CostColumns, c.Components, name, func(p results.CostComponent) CostCell {
			return CostCell{Text: fmtPartUSD(p.CostPerMillionUSD), Share: fmtShare(p.CostPerMillionUSD, c.CostPerMillionUSD),
				Title: fmt.Sprintf("%s %s at %s = %s for %s requests", fmtQuantity(p.Quantity), p.Unit, fmtPriceRate(p.RateUSD, p.Unit),
					fmtUSD(p.RunCostUSD), fmtInt(c.Requests))}
		})
		m.CostRows = append(m.CostRows, v)
	}

	names = names[:0]
	for _, r := range m.Summary.MonthlyCost {
		for _, p := range r.Components {
			names = append(names, p.Name)
		}
	}
	m.MonthlyColumns = costColumns(names)
	for _, r := range m.Summary.MonthlyCost {
		name := func(p results.MonthlyCostComponent) string { return p.Name }
		parts := alignCells(m.MonthlyColumns, r.Components, name, func(p results.MonthlyCostComponent) CostCell {
			return CostCell{Text: fmtPartUSD(p.MonthlyCostUSD), Share: fmtShare(p.MonthlyCostUSD, r.MonthlyCostUSD),
				Title: p.PriceSource + " (" + p.PriceEffective + ")"}
		})
		m.Monthly = append(m.Monthly, MonthlyView{MonthlyCostRow: r, Parts: parts})
	}
	m.GatewayNote = m.gatewayNote()
}

// alignCells lines a row's components up with cols: the cell of the
// component whose name is the column's, "–" where the row has none.
func alignCells[C any](cols []CostColumn, comps []C, name func(C) string, cell func(C) CostCell) []CostCell {
	var out []CostCell
	for _, col := range cols {
		c := CostCell{Text: "–"}
		for _, p := range comps {
			if name(p) == col.Name {
				c = cell(p)
				break
			}
		}
		out = append(out, c)
	}
	return out
}

// gatewayNote explains the " + HTTP API" suffix when some configuration
// includes the API Gateway HTTP API fee, with its tier-1 rate and
// price-book entry (empty when none does).
func (m *Model) gatewayNote() string {
	var targets []string
	var comp *results.CostComponent
	for i := range m.Summary.Cost {
		c := &m.Summary.Cost[i]
		if c.APIGateway == "" {
			continue
		}
		if !slices.Contains(targets, c.Target) {
			targets = append(targets, c.Target)
		}
		for j := range c.Components {
			if c.Components[j].Name == results.CostAPIGatewayHTTP && comp == nil {
				comp = &c.Components[j]
			}
		}
	}
	named := false
	for _, b := range m.Summary.BreakEven {
		named = named || strings.HasSuffix(b.Serverless, HTTPAPISuffix)
	}
	for _, r := range m.Summary.MonthlyCost {
		named = named || strings.HasSuffix(r.Option, HTTPAPISuffix)
	}
	if len(targets) == 0 && !named {
		return ""
	}
	var b strings.Builder
	b.WriteString("Configurations named “… + HTTP API”")
	if len(targets) > 0 {
		fmt.Fprintf(&b, " (target %s)", strings.Join(targets, ", "))
	}
	b.WriteString(" sit behind an API Gateway HTTP API: every cost, monthly cost and break-even volume of theirs includes its request fee")
	if comp != nil {
		fmt.Fprintf(&b, " (%s at the first tier, each started block of request + response body metered as one request; %s, effective %s)",
			fmtPriceRate(comp.RateUSD, comp.Unit), comp.PriceSource, comp.PriceEffective)
	}
	b.WriteString(".")
	return b.String()
}
