package benchrun

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/benchctl/benchctl/report"
)

// renderReport writes the report into the run directory and prints where
// it is, the headline and the decision table; a Ctrl-C (ctx) stops it.
func (st *runState) renderReport(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	m, err := report.FromRun(st.run, report.WithPricing(st.opts.Prices, false))
	if err != nil {
		fmt.Fprintln(st.opts.Stderr, "benchctl: warning: report:", err)
		return
	}
	names, err := report.ParseFormats(st.scenario.Output.Formats)
	if err != nil {
		fmt.Fprintln(st.opts.Stderr, "benchctl: warning: report:", err)
		return
	}
	written, err := report.WriteFormats(ctx, m, st.dir, names)
	if err != nil {
		fmt.Fprintln(st.opts.Stderr, "benchctl: warning: report:", err)
	}
	w := st.opts.Stdout
	for _, f := range written {
		if strings.HasSuffix(f, ".html") {
			fmt.Fprintf(w, "report: %s\n", f)
		}
	}
	// The headline and the decision table, as the report shows them (both
	// render summary.decision).
	fmt.Fprintln(w)
	if err := report.WriteTerminal(w, m); err != nil {
		fmt.Fprintln(st.opts.Stderr, "benchctl: warning: report:", err)
	}
}
