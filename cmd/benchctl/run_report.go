package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/benchctl/benchctl/report"
)

// renderReport writes the report into the run directory and prints where
// it is with the verdict; a Ctrl-C (ctx) stops it.
func (st *runState) renderReport(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	m, err := report.FromRun(st.run, report.WithPricing(st.opts.Prices, false))
	if err != nil {
		fmt.Fprintln(st.opts.IO.Err, "benchctl: warning: report:", err)
		return
	}
	names, err := report.ParseFormats(st.scenario.Output.Formats)
	if err != nil {
		fmt.Fprintln(st.opts.IO.Err, "benchctl: warning: report:", err)
		return
	}
	written, err := report.WriteFormats(ctx, m, st.dir, names)
	if err != nil {
		fmt.Fprintln(st.opts.IO.Err, "benchctl: warning: report:", err)
	}
	w := st.opts.IO.Out
	for _, f := range written {
		if strings.HasSuffix(f, ".html") {
			fmt.Fprintf(w, "report: %s\n", f)
		}
	}
	if head := m.HeadlineVerdicts(); len(head) > 0 {
		var texts []string
		for _, v := range head {
			texts = append(texts, v.Text)
		}
		lead := ""
		if n := len(m.OtherVerdicts()); n > 0 {
			lead = fmt.Sprintf("for the cheapest function configuration meeting the SLO (%d other configurations in the report): ", n)
		}
		fmt.Fprintf(w, "\nverdict: %s%s\n", lead, strings.Join(texts, " "))
		if hb := m.HostBusyText(); hb != "" {
			fmt.Fprintf(w, "host busy: %s\n", hb)
		}
	}
}
