package summary

import (
	"context"
	"slices"
	"sync"

	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// Live feeds collectors with the records of a run as it writes them, so
// that `benchctl run` never reads results.jsonl back. Its Observe method is
// the run writer's results.RecordHook: it sees every record in file order
// with the byte offset of its line, turns it into what a Decoder would
// read back (results.Canonical) and, when every collector is a Merger,
// cuts the stream into the same ChunkSize chunks as Pass and folds them
// the same way, so a run's summary is the one `benchctl summary` computes
// from the file, bit for bit.
type Live struct {
	mu      sync.Mutex
	roots   []Collector
	size    int64 // chunk size (ChunkSize)
	chunked bool
	chunk   int64
	forks   []Merger
	records int64
	closed  bool
}

// NewLive returns a Live feeding cs.
func NewLive(cs ...Collector) *Live {
	return &Live{roots: cs, size: ChunkSize, chunked: allMergers(cs)}
}

// Observe adds the record r whose line starts at byte offset off.
func (l *Live) Observe(off int64, r *results.Record) {
	rec := results.Canonical(r)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.records++
	if l.chunked {
		if k := off / l.size; k != l.chunk {
			l.foldLocked()
			l.chunk = k
			l.forks = forkAll(l.roots)
		}
		if l.forks != nil {
			for _, c := range l.forks {
				c.Add(&rec)
			}
			return
		}
	}
	for _, c := range l.roots {
		c.Add(&rec)
	}
}

func (l *Live) foldLocked() {
	if l.forks != nil {
		mergeAll(l.roots, l.forks)
		l.forks = nil
	}
}

// Close folds the last chunk; records observed afterwards are ignored.
// It returns the number of records observed.
func (l *Live) Close() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.foldLocked()
		l.closed = true
	}
	return l.records
}

var _ results.RecordHook = (*Live)(nil).Observe

// RecorderOptions are what a run knows before its first record.
type RecorderOptions struct {
	// Scenario is the scenario being run.
	Scenario *scenarios.Scenario
	// Book prices the run (nil: no costs).
	Book *pricing.Book
	// Info is run.json as created (its Start starts the report's clock;
	// its function configurations give the /tmp sizes priced).
	Info results.RunInfo
	// Series collects the report's series (nil: not).
	Series *SeriesOptions
	// Collectors are fed too and applied last.
	Collectors []Collector
}

// Recorder is the summary pipeline of a run in progress: every collector
// Load would use on the saved run, fed live (Observe, the run writer's
// hook), so that the run never reads results.jsonl back.
type Recorder struct {
	live     *Live
	opts     RecorderOptions
	phases   *Phases
	exp      *Experiments
	capacity *Capacity
	cost     *pricing.RunCost
	series   *Series
}

// NewRecorder returns the Recorder of a run of o.Scenario.
func NewRecorder(o RecorderOptions) (*Recorder, error) {
	r := &Recorder{opts: o, phases: NewPhases(PhasesOptionsFor(o.Scenario, o.Info)),
		exp: NewExperiments(ExperimentsOptionsFor(o.Scenario)), capacity: NewCapacity(o.Scenario)}
	cs := []Collector{r.phases, r.exp, r.capacity}
	if o.Book != nil {
		c, err := pricing.NewRunCost(o.Book, o.Scenario, pricing.AnalyzeOptions{
			FunctionEphemeralMB: pricing.FunctionConfigOptions(o.Info.FunctionConfigs).FunctionEphemeralMB})
		if err != nil {
			return nil, err
		}
		r.cost = c
		cs = append(cs, runCost{c})
	}
	if o.Series != nil {
		so := *o.Series
		if so.Start.IsZero() {
			so.Start = o.Info.Start
		}
		r.series = NewSeries(so)
		cs = append(cs, r.series)
	}
	r.live = NewLive(append(cs, o.Collectors...)...)
	return r, nil
}

// Observe is the run writer's results.RecordHook.
func (r *Recorder) Observe(off int64, rec *results.Record) { r.live.Observe(off, rec) }

// Finish assembles the run's summary once results.jsonl is closed: info
// is run.json as finally written (its phases give durations, scheduled
// counts and host loads), capacity the searches the run holds in memory
// (they replace the ones rebuilt from the records: they know their
// extensions), notes the run's caveats. A pricing failure becomes a note
// ("pricing failed: ..."): it must not lose the measurements.
func (r *Recorder) Finish(ctx context.Context, dir string, info results.RunInfo, capacity []results.CapacityResult, notes []string) (*Run, error) {
	n := r.live.Close()
	return r.assemble(ctx, dir, info, capacity, notes, Stats{Records: n, Lines: n}, true)
}

// FinishFromFile is Finish for a run whose results.jsonl changed after its
// records were observed (the REPORT lines of lambda-url targets, folded in
// at the end by results.ApplyJoins): the collectors start afresh and read
// the file once.
func (r *Recorder) FinishFromFile(ctx context.Context, dir string, info results.RunInfo, capacity []results.CapacityResult, notes []string) (*Run, error) {
	r.live.Close()
	fresh, err := NewRecorder(r.opts)
	if err != nil {
		return nil, err
	}
	st, err := passFile(ctx, dir, Options{}, fresh.live.roots)
	if err != nil {
		return nil, err
	}
	return fresh.assemble(ctx, dir, info, capacity, notes, st, false)
}

// DirOptions are the inputs of SummarizeDir.
type DirOptions struct {
	// RecorderOptions choose the collectors, as for a live run.
	RecorderOptions
	// Final is run.json as finally written (phases, end).
	Final results.RunInfo
	// Notes are the run's caveats, after the phases' (as Finish's).
	Notes []string
	// Generators are the load generators of a distributed run: fed in the
	// same pass, their workers[] and notes close the summary.
	Generators Generators
	// Open opens results.jsonl (OpenFile when nil).
	Open Opener
}

// Generators is what the pipeline needs of a distributed run's load
// generators (package distributed implements it): fed every record of the
// merged run in the pass (forked and merged like a Merger when the pass
// runs on every core), it returns workers[] and the run's distributed
// notes, which the pipeline writes into the summary.
type Generators interface {
	Add(r *results.Record)
	Fork() Generators
	Merge(later Generators)
	Workers() ([]results.WorkerSummary, []string, error)
}

// generatorsCollector feeds Generators in the pass and writes what they
// return.
type generatorsCollector struct{ g Generators }

var _ Merger = (*generatorsCollector)(nil)

func (c *generatorsCollector) Add(r *results.Record) { c.g.Add(r) }
func (c *generatorsCollector) Fork() Merger          { return &generatorsCollector{g: c.g.Fork()} }
func (c *generatorsCollector) Merge(later Merger)    { c.g.Merge(later.(*generatorsCollector).g) }

// Apply writes workers[] and appends the generators' notes.
func (c *generatorsCollector) Apply(_ context.Context, s *results.Summary) error {
	ws, notes, err := c.g.Workers()
	if err != nil {
		return err
	}
	s.Workers = ws
	s.Notes = append(s.Notes, notes...)
	return nil
}

// SummarizeDir is the pipeline for a run directory whose scenario and
// price book are in hand (a distributed run, merged into dir by its
// coordinator): one pass over dir/results.jsonl with the collectors a
// Recorder would have been fed, assembled as Finish does, plus the
// distributed run's workers and closing notes.
func SummarizeDir(ctx context.Context, dir string, o DirOptions) (*Run, error) {
	if o.Generators != nil {
		// Applied last: workers[] and the generators' notes close it.
		o.Collectors = append(slices.Clone(o.Collectors), &generatorsCollector{g: o.Generators})
	}
	r, err := NewRecorder(o.RecorderOptions)
	if err != nil {
		return nil, err
	}
	st, err := passFile(ctx, dir, Options{Open: o.Open}, r.live.roots)
	if err != nil {
		return nil, err
	}
	run, err := r.assemble(ctx, dir, o.Final, nil, o.Notes, st, false)
	if err != nil {
		return nil, err
	}
	return run, nil
}

// assemble applies the collectors to a new summary of the run.
func (r *Recorder) assemble(ctx context.Context, dir string, info results.RunInfo, capacity []results.CapacityResult, notes []string, st Stats, live bool) (*Run, error) {
	s := r.opts.Scenario
	sum := &results.Summary{SchemaVersion: results.SchemaVersion, Run: info,
		Scenario: results.ScenarioInfo{Name: s.Name, Description: s.Description, Seed: s.Seed, File: s.Path}}
	r.phases.opts.Phases = info.Phases
	if err := r.phases.Apply(ctx, sum); err != nil {
		return nil, err
	}
	sum.Notes = append(sum.Notes, notes...)
	// What the services served (synthetic weights, a weights file's SHA-256).
	sum.Notes = append(sum.Notes, results.ServiceNotes(info.Services)...)
	if err := r.exp.Apply(ctx, sum); err != nil {
		return nil, err
	}
	if len(capacity) > 0 {
		sum.Experiments.Capacity = capacity
	} else if err := r.capacity.Apply(ctx, sum); err != nil {
		return nil, err
	}
	if r.series != nil {
		if err := r.series.Apply(ctx, sum); err != nil {
			return nil, err
		}
	}
	// host_busy reaches the experiments before pricing reads them, and the
	// priced rows after.
	results.MarkHostBusy(sum)
	if r.cost != nil {
		if err := r.cost.Apply(ctx, sum); err != nil {
			sum.Notes = append(sum.Notes, "pricing failed: "+err.Error())
		}
		results.MarkHostBusy(sum)
	}
	results.FillSweepIntervals(sum)
	closingNotes(sum, s)
	for _, c := range r.opts.Collectors {
		if err := c.Apply(ctx, sum); err != nil {
			return nil, err
		}
	}
	return &Run{Dir: dir, Info: info, Scenario: s, Summary: sum, Book: r.opts.Book, Series: r.series,
		Phases: r.phases, Stats: st, live: live}, nil
}
