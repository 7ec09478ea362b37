package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/benchctl/benchctl/loadgen"
	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

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
	// host_busy reaches the experiments before pricing reads them, and the
	// priced rows after; the sweep rows take their intervals after pricing.
	results.MarkHostBusy(sum)
	defer results.MarkHostBusy(sum)
	defer results.FillSweepIntervals(sum)
	if s.Trials > 1 {
		sum.Notes = append(sum.Notes, results.TrialsRunNote(s.Trials))
	} else {
		sum.Notes = append(sum.Notes, results.TrialsNote)
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
