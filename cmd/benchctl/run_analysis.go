package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/benchctl/benchctl/loadgen"
	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/report"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// runCheckSpend estimates what the run will cost on real cloud endpoints
// (from the previous run of the same scenario when there is one) and
// refuses to start above the spend limit. With --dry-run it prints the
// estimate instead.
func runCheckSpend(opts *RunOptions, s *scenarios.Scenario, book *pricing.Book) error {
	root := s.Output.Dir
	if root == "" {
		root = results.DefaultRoot
	}
	est, err := pricing.EstimateRunSpend(book, s, latestSummary(root, s.Name))
	if err != nil {
		return fmt.Errorf("estimate the run's spend: %w", err)
	}
	if opts.DryRun {
		if !est.RealCloud {
			fmt.Fprintln(opts.IO.Out, "spend: $0 (no real cloud target: everything runs on this machine)")
			return nil
		}
		fmt.Fprintln(opts.IO.Out, "estimated spend on real cloud endpoints:")
		return est.WriteText(opts.IO.Out)
	}
	if !est.RealCloud {
		return nil
	}
	limit := pricing.MaxSpendUSD(s)
	if opts.MaxSpendSet {
		limit = opts.MaxSpend
	}
	if err := est.Check(limit); err != nil {
		return &FlagError{Err: err}
	}
	return nil
}

// latestSummary returns summary.json of the newest earlier run of the
// scenario named name under root, or nil when there is none.
func latestSummary(root, name string) *results.Summary {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	// Run directories are "<UTC timestamp>-<name>"; the timestamp sorts.
	stamp := results.RunDirName(time.Time{}, name)
	suffix := stamp[strings.Index(stamp, "-"):]
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && strings.HasSuffix(e.Name(), suffix) {
			dirs = append(dirs, e.Name())
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		run, err := results.OpenRun(filepath.Join(root, d))
		if err != nil {
			continue
		}
		sum := run.Summary
		run.Close()
		if sum != nil {
			return sum
		}
	}
	return nil
}

// analyzeRun adds what the phases' summary does not hold: the experiment
// sections (memory sweep, cold starts, concurrency scaling from the
// records; the capacity search's own results), the local platform's CPU
// isolation, and the costs and break-even from the price book.
func (st *runState) analyzeRun(sum *results.Summary) error {
	s := st.scenario
	sum.Run.CPUIsolation = st.env.CPUIsolation
	hasFunctions := false
	for _, t := range s.Targets {
		hasFunctions = hasFunctions || scenarios.IsFunctionKind(t.Kind)
	}
	if hasFunctions {
		run, err := results.OpenRun(st.writer.Dir)
		if err != nil {
			return err
		}
		err = loadgen.SummarizeServerlessExperiments(run.Records, s, sum)
		run.Close()
		if err != nil {
			return err
		}
	}
	if len(st.capacity) > 0 {
		sum.Experiments.Capacity = st.capacity
	}
	if st.book == nil {
		return nil
	}
	run, err := results.OpenRun(st.writer.Dir)
	if err != nil {
		return err
	}
	defer run.Close()
	if err := pricing.AnalyzeRun(st.book, pricing.RecordReaderFunc(run.Records), sum, s); err != nil {
		// A pricing failure must not lose the measurements: say so in the
		// summary and keep going.
		sum.Notes = append(sum.Notes, "pricing failed: "+err.Error())
		fmt.Fprintln(st.opts.IO.Err, "benchctl: warning: pricing:", err)
	}
	return nil
}

// renderReport writes the report into the run directory (also after
// Ctrl-C, from what was recorded) and prints where it is with the verdict.
func (st *runState) renderReport(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	var opts []report.Option
	if st.book != nil {
		opts = append(opts, report.WithCurves(report.PricingCurves(st.book)))
	}
	m, err := report.Load(ctx, st.writer.Dir, opts...)
	if err != nil {
		fmt.Fprintln(st.opts.IO.Err, "benchctl: warning: report:", err)
		return
	}
	names, err := report.ParseFormats(st.scenario.Output.Formats)
	if err != nil {
		fmt.Fprintln(st.opts.IO.Err, "benchctl: warning: report:", err)
		return
	}
	written, err := report.WriteFormats(ctx, m, st.writer.Dir, names)
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
	}
}
