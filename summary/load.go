package summary

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// ErrPrices marks a price book given with --prices that could not be
// loaded: bad input, unlike a book the saved scenario names, whose failure
// only leaves the run unpriced (Run.BookErr).
var ErrPrices = errors.New("price book")

// Book returns the price book by the one rule every command follows: the
// file given with --prices (prices, when not empty); else the book the
// scenario names in pricing.prices — for a saved run (runDir set) the copy
// benchctl run took of it (results.PricesFile), or, for runs saved before
// that copy existed, the path resolved against the saved scenario.yaml —;
// else the embedded book. A --prices failure wraps ErrPrices.
func Book(sc *scenarios.Scenario, prices, runDir string) (*pricing.Book, error) {
	if prices != "" {
		b, err := pricing.LoadBook(prices)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrPrices, err)
		}
		return b, nil
	}
	if sc != nil && sc.Pricing.Prices != "" && runDir != "" {
		if copyPath := filepath.Join(runDir, results.PricesFile); fileExists(copyPath) {
			b, err := pricing.LoadBook(copyPath)
			if err != nil {
				return nil, fmt.Errorf("pricing.prices (the copy in %s): %w", copyPath, err)
			}
			return b, nil
		}
	}
	b, err := pricing.LoadBookFor(sc, "")
	if err != nil && sc != nil && sc.Pricing.Prices != "" {
		return nil, fmt.Errorf("pricing.prices %q: %w", sc.Pricing.Prices, err)
	}
	return b, err
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// ReadScenario is the one policy for a saved run's scenario.yaml: it is
// parsed and validated as `benchctl run` would, except that the files it
// names (payloads, traces) need not sit next to the saved run. raw nil
// (no scenario.yaml) gives nil; a scenario that does not validate here
// gives nil and a note saying what is not applied.
func ReadScenario(runDir string, raw []byte) (*scenarios.Scenario, string) {
	if len(raw) == 0 {
		return nil, ""
	}
	s, err := scenarios.Parse(filepath.Join(runDir, results.ScenarioFile), raw, scenarios.WithoutFileChecks())
	if err != nil {
		return nil, results.ScenarioFile + " did not validate here (" + firstLine(err.Error()) + "); SLOs, target kinds and pricing settings are not applied"
	}
	return s, ""
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// Options tunes Load.
type Options struct {
	// Prices is the --prices flag (see Book).
	Prices string
	// Resummarize recomputes the phase summaries (summary.json's targets)
	// even when summary.json has them (benchctl summary).
	Resummarize bool
	// Reprice prices the records again with the book even when
	// summary.json has costs (benchctl report, pricing breakeven --run).
	Reprice bool
	// InitRule is the INIT billing rule (pricing.InitRule*; auto when empty).
	InitRule string
	// AdjustScenario, when set, changes the saved scenario before it is
	// used (pricing breakeven's flags override its pricing block).
	AdjustScenario func(*scenarios.Scenario)
	// Series collects the report's per-record series (nil: not).
	Series *SeriesOptions
	// Collectors are fed in the same pass, after the pipeline's own, and
	// applied last.
	Collectors []Collector
	// Open opens results.jsonl (OpenFile when nil).
	Open Opener
	// Workers bounds the parse goroutines (GOMAXPROCS when ≤ 0).
	Workers int
}

// Run is a run directory turned into results: its files, the summary
// (saved sections kept, the others recomputed) and the report's series.
type Run struct {
	Dir  string
	Info results.RunInfo
	// Scenario is the saved scenario (nil when missing or when it does
	// not validate here: Notes says so).
	Scenario *scenarios.Scenario
	// Saved is summary.json as saved, nil when the run did not write it
	// (killed): every section was then recomputed from the records.
	Saved *results.Summary
	// Summary is the run's summary.
	Summary *results.Summary
	// Book is the price book by the rule (nil when it could not be
	// loaded: BookErr says why).
	Book    *pricing.Book
	BookErr error
	// PricingErr is why pricing the records failed (nil when it ran or
	// was not asked for); PricingNotes are the notes that pricing added.
	PricingErr   error
	PricingNotes []string
	// Series is the report's per-record data (nil unless asked for).
	Series *Series
	// Phases holds the phase accumulators (nil when the phases were not
	// recomputed): histograms.hlog is written from them.
	Phases *Phases
	// Stats describes the pass over results.jsonl.
	Stats Stats
	// Notes are caveats about how the run was read (a scenario that does
	// not validate, an unusable price book, a failed re-pricing), for the
	// report; the summary carries its own.
	Notes []string
	// live is set for a run summarised as it ran (Recorder).
	live bool
}

// Recomputed reports whether a saved run's summary.json was missing, so
// the whole summary comes from its records.
func (r *Run) Recomputed() bool { return r.Saved == nil && !r.live }

// Load reads a run directory: run.json, scenario.yaml (ReadScenario),
// summary.json, the price book (Book) and one pass over results.jsonl
// (Pass), which feeds every collector the run needs:
//
//   - summary.json missing (a killed run): the phase summaries, the
//     serverless experiments, the capacity searches and, with a book, the
//     costs — everything `benchctl run` would have written;
//   - Resummarize: the phase summaries, the rest kept from summary.json;
//   - Reprice (with a book): the costs, on a copy, so that a failure
//     (Notes) leaves the saved figures whole;
//   - Series: the report's series.
//
// Load opens results.jsonl once (through Options.Open) and writes nothing,
// except that a killed lambda-url run's pending joins.jsonl is first folded
// into results.jsonl (results.ApplyJoins), as the run's end would have.
func Load(ctx context.Context, dir string, o Options) (*Run, error) {
	// REPORT lines a killed lambda-url run read but did not fold in yet
	// (joins.jsonl): every command reading a saved run sees them, as the
	// run's own end would have folded them.
	if _, err := results.ApplyJoins(dir); err != nil {
		return nil, err
	}
	rd, err := results.ReadRunDir(dir)
	if err != nil {
		return nil, err
	}
	// A run.json without an end: the run was killed (its last phase is
	// then marked incomplete).
	rd.Info.InferEnd()
	run := &Run{Dir: dir, Info: rd.Info, Saved: rd.Summary}
	sc, note := ReadScenario(dir, rd.Scenario)
	if note != "" {
		run.Notes = append(run.Notes, note)
	}
	if sc != nil && o.AdjustScenario != nil {
		o.AdjustScenario(sc)
	}
	run.Scenario = sc
	run.Book, run.BookErr = Book(sc, o.Prices, dir)
	if errors.Is(run.BookErr, ErrPrices) {
		return nil, run.BookErr
	}

	var sum *results.Summary
	if rd.Summary != nil {
		sum = rd.Summary
		if sum.Run.BenchctlVersion == "" && sum.Run.Start.IsZero() {
			sum.Run = rd.Info
		}
	} else {
		sum = &results.Summary{SchemaVersion: results.SchemaVersion, Run: rd.Info, Targets: []results.TargetSummary{}}
		if sc != nil {
			sum.Scenario = results.ScenarioInfo{Name: sc.Name, Description: sc.Description, Seed: sc.Seed, File: sc.Path}
		}
		// What the services served (synthetic weights, a weights file's
		// SHA-256), as run notes them live.
		sum.Notes = append(sum.Notes, results.ServiceNotes(rd.Info.Services)...)
	}
	recompute := rd.Summary == nil
	var cs, pricingCs []Collector
	if recompute || o.Resummarize {
		run.Phases = NewPhases(PhasesOptionsFor(sc, rd.Info))
		cs = append(cs, run.Phases)
	}
	if recompute && sc != nil {
		cs = append(cs, NewExperiments(ExperimentsOptionsFor(sc)), NewCapacity(sc))
	}
	var cost *pricing.RunCost
	if run.Book != nil && (recompute || o.Reprice) {
		cost, err = pricing.NewRunCost(run.Book, sc, pricing.AnalyzeOptions{InitRule: o.InitRule,
			FunctionEphemeralMB: pricing.FunctionConfigOptions(rd.Info.FunctionConfigs).FunctionEphemeralMB})
		if err != nil {
			return nil, err
		}
		pricingCs = append(pricingCs, runCost{cost})
	}
	if o.Series != nil {
		so := *o.Series
		if so.Start.IsZero() {
			so.Start = sum.Run.Start
		}
		run.Series = NewSeries(so)
		cs = append(cs, run.Series)
	}
	all := append(append(append([]Collector(nil), cs...), pricingCs...), o.Collectors...)
	if len(all) > 0 {
		if run.Stats, err = passFile(ctx, dir, o, all); err != nil {
			return nil, err
		}
	}
	// Apply: the phases and experiments first (pricing reads them), the
	// series after the phases (it takes their target order).
	for _, c := range cs {
		if err := c.Apply(ctx, sum); err != nil {
			return nil, fmt.Errorf("summarise run %s: %w", dir, err)
		}
	}
	if recompute {
		// host_busy reaches the experiments before pricing reads them.
		results.MarkHostBusy(sum)
	}
	switch {
	case cost != nil && recompute:
		// A pricing failure must not lose the measurements.
		before := len(sum.Notes)
		if err := cost.Apply(ctx, sum); err != nil {
			if ctx.Err() != nil {
				// Ctrl-C while pricing: the command stops (exit 130),
				// writing nothing, instead of saving a summary without
				// costs as if pricing had failed.
				return nil, fmt.Errorf("summarise run %s: %w", dir, ctx.Err())
			}
			run.PricingErr = err
			sum.Notes = append(sum.Notes, "pricing failed: "+err.Error())
		}
		run.PricingNotes = slices.Clone(sum.Notes[before:])
		results.MarkHostBusy(sum)
	case cost != nil:
		priced, err := copySummary(sum)
		if err != nil {
			return nil, err
		}
		priced.Notes = nil
		if err := cost.Apply(ctx, priced); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("summarise run %s: %w", dir, ctx.Err())
			}
			run.PricingErr = err
			run.Notes = append(run.Notes, fmt.Sprintf("re-pricing failed (%v); the costs shown are those saved with the run", err))
		} else {
			run.PricingNotes = priced.Notes
			priced.Notes = slices.Clone(sum.Notes)
			for _, n := range run.PricingNotes {
				if !slices.Contains(priced.Notes, n) {
					priced.Notes = append(priced.Notes, n)
				}
			}
			results.MarkHostBusy(priced)
			sum = priced
		}
	case run.BookErr != nil && (recompute || o.Reprice):
		what := "costs not computed"
		if !recompute {
			what = "the costs shown are those saved with the run"
		}
		run.Notes = append(run.Notes, "price book: "+run.BookErr.Error()+"; "+what)
	}
	if recompute || o.Reprice {
		// The sweep rows take their intervals from the (re)priced costs.
		results.FillSweepIntervals(sum)
	}
	if recompute {
		closingNotes(sum, sc)
	}
	for _, c := range o.Collectors {
		if err := c.Apply(ctx, sum); err != nil {
			return nil, fmt.Errorf("summarise run %s: %w", dir, err)
		}
	}
	if sum.Targets == nil {
		sum.Targets = []results.TargetSummary{}
	}
	run.Summary = sum
	return run, nil
}

// passFile opens results.jsonl once and runs Pass over it.
func passFile(ctx context.Context, dir string, o Options, cs []Collector) (Stats, error) {
	open := o.Open
	if open == nil {
		open = OpenFile
	}
	f, err := open(filepath.Join(dir, results.ResultsFile))
	if err != nil {
		return Stats{}, fmt.Errorf("open run %s: %w", dir, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Stats{}, fmt.Errorf("open run %s: %w", dir, err)
	}
	st, err := Pass(ctx, f, fi.Size(), o.Workers, cs)
	if err != nil {
		return st, fmt.Errorf("read run %s: %w", dir, err)
	}
	return st, nil
}

// copySummary deep-copies a summary (through its JSON form).
func copySummary(s *results.Summary) (*results.Summary, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("copy summary: %w", err)
	}
	var out results.Summary
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("copy summary: %w", err)
	}
	return &out, nil
}
