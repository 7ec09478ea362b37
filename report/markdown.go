package report

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
)

// mdEscape makes a target-supplied string safe inside a Markdown table cell:
// pipes, backticks, angle brackets and newlines would otherwise change the
// document's structure or inject HTML.
func mdEscape(s string) string {
	r := strings.NewReplacer("\\", "\\\\", "|", "\\|", "`", "\\`", "<", "&lt;", ">", "&gt;", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]", "\r", " ", "\n", " ")
	return r.Replace(s)
}

// WriteMarkdown writes report.md: the verdict and tables, with the charts as
// relative links to charts/*.png (written beside it by the md format).
func WriteMarkdown(w io.Writer, m *Model) error {
	var b bytes.Buffer
	s := m.Summary
	fmt.Fprintf(&b, "# benchctl report: %s\n\n", mdEscape(s.Scenario.Name))
	if s.Scenario.Description != "" {
		fmt.Fprintf(&b, "%s\n\n", mdEscape(s.Scenario.Description))
	}
	if s.Run.Interrupted {
		b.WriteString("> **Interrupted run:** the figures cover only what was recorded before the stop.\n\n")
	}
	writeMarkdownDecision(&b, m)
	if len(m.SLO) > 0 {
		verdict := "PASS"
		if !m.SLOPassed() {
			verdict = "FAIL"
		}
		fmt.Fprintf(&b, "**SLO: %s** (experiment steps are listed but do not count: they probe beyond the SLO by design)\n\n", verdict)
		fmt.Fprintf(&b, "<details><summary>SLO per phase (%d)</summary>\n\n| target | phase | SLO | violations |\n|---|---|---|---|\n", len(m.SLO))
		for _, l := range m.SLO {
			res := "pass"
			if !l.Passed {
				res = "fail"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdEscape(l.Target), mdEscape(l.Phase), res, mdEscape(strings.Join(l.Violations, "; ")))
		}
		b.WriteString("\n</details>\n\n")
	} else {
		b.WriteString("No SLO was set.\n\n")
	}

	b.WriteString("## Scenario and traffic\n\n")
	fmt.Fprintf(&b, "Scenario `%s`, seed %d, %s records.\n\n", strings.ReplaceAll(s.Scenario.Name, "`", "'"), s.Scenario.Seed, fmtInt(m.Records))
	if len(m.Phases) > 0 {
		b.WriteString("| phase | targets | duration | traffic | recorded |\n|---|---|---|---|---|\n")
		for _, p := range m.Phases {
			rec := "yes"
			if !p.Recorded {
				rec = "no (warm-up)"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdEscape(p.Name), mdEscape(p.Targets), p.Duration, mdEscape(p.Traffic), rec)
		}
		b.WriteString("\n")
	}

	b.WriteString("## Results per target\n\n")
	for _, t := range m.Targets {
		fmt.Fprintf(&b, "### %s (%s)\n\n", mdEscape(t.Name), mdEscape(t.Kind))
		b.WriteString("| phase | requests | ok | error rate | offered rps | achieved rps | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | dispatch lag p99 ms | billed p50 ms | cold starts | cost per 1M (95% CI) |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
		for _, p := range t.Phases {
			lag := fmtMs(p.DispatchLagMs.P99)
			if p.GeneratorFellBehind {
				lag += " ⚠"
			}
			billed := "–"
			if p.BilledDurationMs != nil {
				billed = fmtMs(p.BilledDurationMs.P50)
			}
			cost := "–"
			if p.Cost != nil {
				cost = fmt.Sprintf("%s (%s–%s)", fmtUSD(p.Cost.CostPerMillionUSD), fmtUSD(p.Cost.CostPerMillionLow), fmtUSD(p.Cost.CostPerMillionHi))
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				mdEscape(p.Label), fmtInt(p.Requests), fmtInt(p.OK), fmtPct(p.ErrorRate), fmtRate(p.OfferedRPS), fmtRate(p.AchievedRPS),
				fmtMs(p.LatencyMs.P50), fmtMs(p.LatencyMs.P90), fmtMs(p.LatencyMs.P99), fmtMs(p.LatencyMs.P999), fmtMs(p.LatencyMs.Max),
				lag, billed, fmtCount(p.ColdStarts), cost)
		}
		b.WriteString("\n")
		for _, p := range t.Phases {
			if len(p.Errors) == 0 {
				continue
			}
			keys := make([]string, 0, len(p.Errors))
			for k := range p.Errors {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var parts []string
			for _, k := range keys {
				parts = append(parts, fmt.Sprintf("%s %s", mdEscape(k), fmtInt(p.Errors[k])))
			}
			fmt.Fprintf(&b, "Errors in %s: %s.\n\n", mdEscape(p.Label), strings.Join(parts, ", "))
		}
		if len(t.ErrorSamples) > 0 {
			b.WriteString("| failures | class | message |\n|---:|---|---|\n")
			for _, e := range t.ErrorSamples {
				fmt.Fprintf(&b, "| %s | %s | %s |\n", fmtInt(e.Count), mdEscape(e.Class), mdEscape(e.Message))
			}
			if t.OtherErrors > 0 {
				fmt.Fprintf(&b, "| %s | | other messages |\n", fmtInt(t.OtherErrors))
			}
			b.WriteString("\n")
		}
	}

	if len(m.CostRows) > 0 {
		writeMarkdownCosts(&b, m)
	}
	if len(m.Monthly) > 0 {
		writeMarkdownMonthly(&b, m)
	}
	if lines := m.Confidence(); len(lines) > 0 {
		b.WriteString("## Confidence\n\n| subject | figure | value | interval | covers | trials |\n|---|---|---|---|---|---|\n")
		for _, l := range lines {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", mdEscape(l.Subject), mdEscape(l.Figure), mdEscape(l.Value), mdEscape(l.Interval), mdEscape(l.Scope), mdEscape(l.Spread))
		}
		b.WriteString("\n")
	}

	b.WriteString("## Charts\n\n")
	for _, c := range m.Charts {
		fmt.Fprintf(&b, "### %s\n\n![%s](%s/%s.png)\n\n%s\n\n", c.Title, c.Title, ChartDir, c.Name, mdEscape(c.Caption))
		if t := c.Table; t != nil && len(t.Header) > 0 {
			if t.Caption != "" {
				fmt.Fprintf(&b, "%s\n\n", mdEscape(t.Caption))
			}
			esc := func(cells []string) string {
				out := make([]string, len(cells))
				for i, c := range cells {
					out[i] = mdEscape(c)
				}
				return "| " + strings.Join(out, " | ") + " |\n"
			}
			b.WriteString(esc(t.Header))
			b.WriteString("|" + strings.Repeat("---|", len(t.Header)) + "\n")
			for _, r := range t.Rows {
				b.WriteString(esc(r))
			}
			b.WriteString("\n")
		}
	}
	for _, sk := range m.Skipped {
		fmt.Fprintf(&b, "- %s\n", sk)
	}
	if len(m.Skipped) > 0 {
		b.WriteString("\n")
	}
	if len(m.Prices) > 0 {
		uses := m.PricesUsed()
		b.WriteString("## Price-book entries used\n\n| platform | architecture | source | effective | confidence |")
		if uses {
			b.WriteString(" priced components (first-tier rates) |")
		}
		b.WriteString("\n|---|---|---|---|---|")
		if uses {
			b.WriteString("---|")
		}
		b.WriteString("\n")
		for _, p := range m.Prices {
			conf := p.Confidence
			if conf == "" {
				conf = "not recorded"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |", mdEscape(p.Platform), mdEscape(p.Architecture), mdEscape(p.Source), mdEscape(p.Effective), conf)
			if uses {
				fmt.Fprintf(&b, " %s |", mdEscape(strings.Join(p.Uses, "; ")))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	b.WriteString("## Environment\n\n| | |\n|---|---|\n")
	for _, kv := range m.Env {
		fmt.Fprintf(&b, "| %s | %s |\n", kv.Key, mdEscape(kv.Value))
	}
	b.WriteString("\n")
	if len(m.Notes) > 0 {
		for _, n := range m.Notes {
			fmt.Fprintf(&b, "- %s\n", mdEscape(n))
		}
		b.WriteString("\n")
	}
	b.WriteString("## Reproduce\n\n```sh\n")
	for _, r := range m.Reproduce {
		b.WriteString(strings.ReplaceAll(r, "```", "'''") + "\n")
	}
	b.WriteString("```\n")
	if _, err := b.WriteTo(w); err != nil {
		return fmt.Errorf("write markdown: %w", err)
	}
	return nil
}

// mdCells formats a breakdown's cells for a Markdown row: " | $1.23 (45%)".
func mdCells(parts []CostCell) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(" | ")
		b.WriteString(p.Text)
		if p.Share != "" {
			b.WriteString(" (" + p.Share + ")")
		}
	}
	return b.String()
}

// writeMarkdownCosts writes the cost table: one row per cost row, with a
// /tmp column when a size was priced and one "per 1M" column per cost
// component (none for runs priced before components existed).
func writeMarkdownCosts(b *bytes.Buffer, m *Model) {
	storage := false
	for _, c := range m.CostRows {
		storage = storage || c.Storage != ""
	}
	b.WriteString("## Cost\n\n| target | phase | platform | arch | memory MB |")
	align := "|---|---|---|---|---:|"
	if storage {
		b.WriteString(" /tmp |")
		align += "---|"
	}
	b.WriteString(" requests | run cost | cost per 1M (95% CI) |")
	align += "---:|---:|---:|"
	for _, col := range m.CostColumns {
		fmt.Fprintf(b, " %s per 1M |", mdEscape(col.Label))
		align += "---:|"
	}
	b.WriteString(" cold-start share |\n" + align + "---:|\n")
	for _, c := range m.CostRows {
		phase := c.Phase
		if c.Step != "" {
			phase += " / " + c.Step
		}
		mem := ""
		if c.MemoryMB > 0 {
			mem = fmt.Sprint(c.MemoryMB)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |", mdEscape(c.Target), mdEscape(phase), mdEscape(c.PlatformLabel), mdEscape(c.Architecture), mem)
		if storage {
			fmt.Fprintf(b, " %s |", mdEscape(c.Storage))
		}
		fmt.Fprintf(b, " %s | %s | %s (%s–%s)%s | %s |\n", fmtInt(c.Requests), fmtUSD(c.RunCostUSD), fmtUSD(c.CostPerMillionUSD),
			fmtUSD(c.CostPerMillionLow), fmtUSD(c.CostPerMillionHi), mdCells(c.Parts), fmtPct(c.ColdStartShare))
	}
	b.WriteString("\n")
	if len(m.CostColumns) > 0 {
		b.WriteString("The cost per 1M split into its priced components (share of the total in brackets): compute is billed duration × memory (INIT included); the request fee is the platform's per-request charge; /tmp storage is the ephemeral storage above the included 512 MB, per GB-s of billed duration; the API Gateway fee is the HTTP API request fee of a function behind one. Each comes from the price-book entry listed under *Price-book entries used*.\n\n")
	}
}

// writeMarkdownMonthly writes the monthly cost of every option at the
// scenario's traffic profile, serverless costs split into components.
func writeMarkdownMonthly(b *bytes.Buffer, m *Model) {
	first := m.Monthly[0]
	b.WriteString("## Monthly cost at your profile\n\n")
	fmt.Fprintf(b, "Every option priced for one month (730 h) of the scenario's traffic profile")
	if first.Profile != "" {
		fmt.Fprintf(b, " (%s)", mdEscape(first.Profile))
	}
	fmt.Fprintf(b, ": %s requests/month, %s rps on average; volume tiers applied (the free tier only when the scenario's pricing.free_tier is set).\n\n", fmtVolume(first.MonthlyRequests), fmtRate(first.AverageRPS))
	b.WriteString("| option | kind | monthly cost | interval | peak instances |")
	align := "|---|---|---:|---|---:|"
	for _, col := range m.MonthlyColumns {
		fmt.Fprintf(b, " %s |", mdEscape(col.Label))
		align += "---:|"
	}
	b.WriteString(" cheapest |\n" + align + "---|\n")
	for _, r := range m.Monthly {
		interval, peak, cheapest := "", "", ""
		if r.MonthlyCostLow != r.MonthlyCostHigh {
			interval = fmtUSD(r.MonthlyCostLow) + "–" + fmtUSD(r.MonthlyCostHigh)
		}
		if r.PeakInstances > 0 {
			peak = fmt.Sprint(r.PeakInstances)
		}
		if r.Cheapest {
			cheapest = "yes"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s%s | %s |\n", mdEscape(r.Option), mdEscape(r.Kind), fmtUSD(r.MonthlyCostUSD), interval, peak, mdCells(r.Parts), cheapest)
	}
	b.WriteString("\n")
}

// writeMarkdownDecision writes what comes first: the headline with its
// flags, the decision table (options failing the SLO folded under it),
// what the figures rest on, and the break-even matrix (every crossing
// folded under it).
func writeMarkdownDecision(b *bytes.Buffer, m *Model) {
	fmt.Fprintf(b, "> **%s**\n", mdEscape(m.Headline))
	for _, f := range m.Flags {
		fmt.Fprintf(b, ">\n> ⚠ **%s:** %s\n", mdEscape(f.Title), mdEscape(f.Detail))
	}
	b.WriteString("\n")
	if d := m.Decision; d != nil && len(d.Rows)+len(d.Failing) > 0 {
		fmt.Fprintf(b, "## Decision\n\nEvery option priced for one month (730 h) of the scenario's traffic profile: %s requests/month, %s requests/s on average", fmtVolume(d.MonthlyRequests), fmtRate(d.AverageRPS))
		if d.Profile != "" {
			fmt.Fprintf(b, " (%s)", mdEscape(d.Profile))
		}
		b.WriteString(".\n\n")
		writeMarkdownDecisionTable(b, d, d.Rows)
		if len(d.Failing) > 0 {
			fmt.Fprintf(b, "<details><summary>%s</summary>\n\n", failingSummary(len(d.Failing)))
			writeMarkdownDecisionTable(b, d, d.Failing)
			b.WriteString("</details>\n\n")
		}
		versus := "the serverless configuration"
		if d.Versus != "" {
			versus = mdEscape(d.Versus)
		}
		many := ""
		if d.ManyTargets {
			many = " (the serverless rows come from several targets, each its own model or task: compare a target's rows with each other and with the instances)"
		}
		if d.NoneMeets {
			b.WriteString("No option met the SLO: every option is listed, cheapest first. ")
		}
		fmt.Fprintf(b, "✔ recommended: the cheapest option meeting the SLO at this profile%s. Break-even: the monthly volume below which %s is cheaper than the option; “never”: the costs do not cross up to %s requests/month.", many, versus, fmtVolume(d.BreakEvenMaxMonthlyRequests))
		if d.Recalled {
			b.WriteString(" †: priced from a recalled (U) price-book entry, not confirmed from a source.")
		}
		if d.HostBusy {
			b.WriteString(" ‡: rests on a measurement taken while the host was busy (host_busy).")
		}
		b.WriteString("\n\n")
		if m.GatewayNote != "" {
			fmt.Fprintf(b, "%s\n\n", mdEscape(m.GatewayNote))
		}
	}
	if len(m.RestsOn) > 0 {
		b.WriteString("### What this rests on\n\n| | |\n|---|---|\n")
		for _, kv := range m.RestsOn {
			fmt.Fprintf(b, "| %s | %s |\n", kv.Key, mdEscape(kv.Value))
		}
		b.WriteString("\n")
	}
	if mx := m.Matrix; mx != nil {
		b.WriteString("## Break-even\n\nThe monthly volume below which each serverless configuration is cheaper than each instance type (average requests/s in brackets).\n\n| serverless |")
		align := "|---|"
		for _, c := range mx.Columns {
			fmt.Fprintf(b, " %s |", mdEscape(c))
			align += "---:|"
		}
		b.WriteString("\n" + align + "\n")
		for _, r := range mx.Rows {
			label := mdEscape(r.Label)
			switch {
			case r.Recommended:
				label = "**" + label + "** ✔ recommended"
			case r.Reference:
				label = "**" + label + "** (reference)"
			}
			if r.FailsSLO {
				label += " (fails the SLO)"
			}
			b.WriteString("| " + label + " |")
			for _, c := range r.Cells {
				fmt.Fprintf(b, " %s |", mdEscape(c.Text))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
		if len(m.Crossings) > 0 {
			fmt.Fprintf(b, "<details><summary>Every crossing (%d pairs)</summary>\n\n| serverless | instance | break-even requests/month | interval | capacity | crossings | notes |\n|---|---|---:|---|---|---|---|\n", len(m.Crossings))
			for _, r := range m.Crossings {
				mark := ""
				if r.Recalled {
					mark = " †"
				}
				fmt.Fprintf(b, "| %s | %s%s | %s | %s | %s | %s | %s |\n", mdEscape(r.Serverless), mdEscape(r.Instance), mark, mdEscape(r.BreakEven),
					mdEscape(r.Interval), mdEscape(r.Capacity), mdEscape(r.Crossings), mdEscape(r.Notes))
			}
			b.WriteString("\n</details>\n\n")
		}
	}
}

// writeMarkdownDecisionTable writes rows of the decision table.
func writeMarkdownDecisionTable(b *bytes.Buffer, d *DecisionView, rows []DecisionRow) {
	versus := "break-even"
	if d.Versus != "" {
		versus = "break-even vs " + mdEscape(d.Versus)
	}
	fmt.Fprintf(b, "| option | kind | monthly cost (95%% CI) | per 1M requests | p99 | SLO | %s |\n|---|---|---:|---:|---:|---|---|\n", versus)
	for _, r := range rows {
		label := mdEscape(r.Label)
		if r.Recommended {
			label = "**" + label + "** ✔ recommended"
		}
		cost := r.Monthly
		if r.Interval != "" {
			cost += " (" + r.Interval + ")"
		}
		if r.Recalled {
			cost += " †"
		}
		if r.HostBusy {
			cost += " ‡"
		}
		slo := r.SLO
		if r.SLOWhy != "" {
			slo += ": " + r.SLOWhy
		}
		be := r.BreakEven
		if r.BreakEvenCI != "" {
			be += ", 95% CI " + r.BreakEvenCI
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s |\n", label, r.Kind, cost, r.PerMillion, r.P99, mdEscape(slo), mdEscape(be))
	}
	b.WriteString("\n")
}
