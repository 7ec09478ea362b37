package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// TerminalWidth is the width the terminal output wraps its sentences at.
const TerminalWidth = 100

// WriteTerminal writes what `benchctl run` prints at the end of a run: the
// headline sentence with its flags, then the decision table (the same rows
// as the report's, aligned with text/tabwriter; the options failing the
// SLO are counted and named, not tabulated).
func WriteTerminal(w io.Writer, m *Model) error {
	bw := bufio.NewWriter(w)
	writeWrapped(bw, m.Headline, "", TerminalWidth)
	for _, f := range m.Flags {
		writeWrapped(bw, "⚠ "+f.Title+": "+f.Detail, "    ", TerminalWidth)
	}
	if d := m.Decision; d != nil && len(d.Rows) > 0 {
		bw.WriteString("\n")
		tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		versus := "BREAK-EVEN"
		if d.Versus != "" {
			versus += " VS " + strings.ToUpper(d.Versus)
		}
		fmt.Fprintf(tw, " \tOPTION\tKIND\tMONTHLY\t95%% CI\tPER 1M\tP99\tSLO\t%s\n", versus)
		for _, r := range d.Rows {
			mark := " "
			if r.Recommended {
				mark = "✔"
			}
			monthly := r.Monthly
			if r.Recalled {
				monthly += " †"
			}
			if r.HostBusy {
				monthly += " ‡"
			}
			be := r.BreakEven
			if r.BreakEvenCI != "" {
				be += ", 95% CI " + r.BreakEvenCI
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark, r.Label, r.Kind, monthly, dash(r.Interval), r.PerMillion, r.P99, r.SLO, be)
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write decision: %w", err)
		}
		if d.NoneMeets {
			bw.WriteString("No option met the SLO: every option is listed, cheapest first.\n")
		}
		if len(d.Failing) > 0 {
			var names []string
			for _, r := range d.Failing {
				names = append(names, r.Label)
			}
			writeWrapped(bw, fmt.Sprintf("%s (in the report): %s.", capitalise(failingSummary(len(d.Failing))), strings.Join(names, ", ")), "", TerminalWidth)
		}
		if d.Recalled {
			bw.WriteString("† priced from a recalled (U) price-book entry, not confirmed from a source.\n")
		}
		if d.HostBusy {
			bw.WriteString("‡ rests on a measurement taken while the host was busy (host_busy).\n")
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write decision: %w", err)
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// writeWrapped writes s word-wrapped at width, continuation lines indented
// by indent.
func writeWrapped(w *bufio.Writer, s, indent string, width int) {
	line := 0
	for i, word := range strings.Fields(s) {
		n := len([]rune(word))
		if i > 0 && line+1+n > width {
			w.WriteString("\n" + indent)
			line = len(indent)
		} else if i > 0 {
			w.WriteString(" ")
			line++
		}
		w.WriteString(word)
		line += n
	}
	w.WriteString("\n")
}
