package main

import (
	"context"
	"errors"
	"fmt"
	"io"
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
// refuses to start above the spend limit. configs are the aws-lambda
// functions' configurations read before the run (readFunctionConfigs), so
// the estimate is not the 10,240 MB upper bound; a function without one
// keeps the upper bounds. With --dry-run it prints the estimate instead of
// checking it.
func runCheckSpend(opts *RunOptions, s *scenarios.Scenario, book *pricing.Book, configs []results.FunctionConfigInfo) error {
	root := s.Output.Dir
	if root == "" {
		root = results.DefaultRoot
	}
	est, err := pricing.EstimateRunSpendWith(book, s, latestSummary(root, s.Name), spendOptions(configs))
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

// spendOptions keys the functions' memory, timeout and /tmp size by
// target name.
func spendOptions(configs []results.FunctionConfigInfo) pricing.SpendOptions {
	known := pricing.SpendOptions{FunctionMemoryMB: map[string]int{}, FunctionTimeout: map[string]time.Duration{}, FunctionEphemeralMB: map[string]int{}}
	for _, fc := range configs {
		known.FunctionMemoryMB[fc.Target] = fc.MemorySizeMB
		known.FunctionTimeout[fc.Target] = time.Duration(fc.TimeoutS * float64(time.Second))
		known.FunctionEphemeralMB[fc.Target] = fc.EphemeralStorageMB
	}
	return known
}

// readFunctionConfigs reads the memory size, timeout and ephemeral storage
// of every aws-lambda target's function through the Lambda API (bounded by
// a short timeout), for the spend estimate and run.json (the run's pricing
// uses their /tmp size). A function it cannot read is left out, with a
// warning on errOut.
func readFunctionConfigs(ctx context.Context, errOut io.Writer, s *scenarios.Scenario) []results.FunctionConfigInfo {
	configs, notes := functionConfigs(ctx, s)
	for _, n := range notes {
		fmt.Fprintln(errOut, "benchctl: warning:", n)
	}
	return configs
}

// functionConfigs reads the aws-lambda targets' function configurations;
// a function it cannot read is left out, with a note.
func functionConfigs(ctx context.Context, s *scenarios.Scenario) ([]results.FunctionConfigInfo, []string) {
	var configs []results.FunctionConfigInfo
	var notes []string
	for _, t := range s.Targets {
		if t.Kind != loadgen.KindAWSLambda {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		ctl, err := loadgen.NewLambdaControl(cctx, loadgen.LambdaOptionsFromScenario(t, ""), loadgen.WithCallTimeout(10*time.Second))
		var fc loadgen.FunctionConfig
		if err == nil {
			fc, err = ctl.Configuration(cctx)
		}
		cancel()
		if err != nil {
			notes = append(notes, fmt.Sprintf("target %s: could not read the function's configuration (%v); the spend estimate assumes the upper bounds", t.Name, err))
			continue
		}
		configs = append(configs, results.FunctionConfigInfo{Target: t.Name, Function: t.Function,
			MemorySizeMB: fc.MemorySizeMB, TimeoutS: fc.Timeout.Seconds(), EphemeralStorageMB: fc.EphemeralStorageMB})
	}
	return configs, notes
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
// sections, the local platform's CPU isolation, and the costs and
// break-even from the price book.
func (st *runState) analyzeRun(sum *results.Summary) error {
	sum.Run.CPUIsolation = st.env.CPUIsolation
	if err := completeSummary(st.writer.Dir, st.scenario, sum, st.book, st.capacity); err != nil {
		return err
	}
	for _, n := range sum.Notes {
		if strings.HasPrefix(n, "pricing failed: ") {
			fmt.Fprintln(st.opts.IO.Err, "benchctl: warning:", n)
		}
	}
	return nil
}

// completeSummary fills the sections of sum that come from more than the
// phase summaries: the memory sweep, cold starts and concurrency scaling
// (from the records in dir), the capacity searches (capacity when the run
// has them in memory, else rebuilt from the records), and, with a price
// book, the costs and break-even. `benchctl run` and `benchctl summary` (for
// a run that was killed before it wrote summary.json) share it. A pricing
// failure becomes a note: it must not lose the measurements.
func completeSummary(dir string, s *scenarios.Scenario, sum *results.Summary, book *pricing.Book, capacity []results.CapacityResult) error {
	hasFunctions := false
	for _, t := range s.Targets {
		hasFunctions = hasFunctions || scenarios.IsFunctionKind(t.Kind)
	}
	if hasFunctions {
		run, err := results.OpenRun(dir)
		if err != nil {
			return err
		}
		err = loadgen.SummarizeServerlessExperiments(run.Records, s, sum)
		run.Close()
		if err != nil {
			return err
		}
	}
	if len(capacity) == 0 && s.Experiments.Capacity != nil {
		var err error
		if capacity, err = capacityFromRecords(dir, s); err != nil {
			return err
		}
	}
	if len(capacity) > 0 {
		sum.Experiments.Capacity = capacity
	}
	if book == nil {
		return nil
	}
	run, err := results.OpenRun(dir)
	if err != nil {
		return err
	}
	defer run.Close()
	// The /tmp size read from AWS before the run prices targets whose
	// scenario does not set ephemeral_storage_mb.
	analyze := pricing.AnalyzeOptions{FunctionEphemeralMB: spendOptions(run.Info.FunctionConfigs).FunctionEphemeralMB}
	if err := pricing.AnalyzeRunWith(book, pricing.RecordReaderFunc(run.Records), sum, s, analyze); err != nil {
		sum.Notes = append(sum.Notes, "pricing failed: "+err.Error())
	}
	return nil
}

// capacityFromRecords rebuilds the capacity searches from the records
// (their steps are labelled capacity_rps=<rate>).
func capacityFromRecords(dir string, s *scenarios.Scenario) ([]results.CapacityResult, error) {
	run, err := results.OpenRun(dir)
	if err != nil {
		return nil, err
	}
	defer run.Close()
	c := loadgen.NewCapacityCollector()
	for {
		var r results.Record
		err := run.Records(&r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("capacity: read records: %w", err)
		}
		c.Add(&r)
	}
	return c.Results(s)
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
