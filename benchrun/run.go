package benchrun

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/benchctl/benchctl/hostload"
	"github.com/benchctl/benchctl/loadgen"
	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
	"github.com/benchctl/benchctl/summary"
)

// Options are the inputs of a run (`benchctl run`).
type Options struct {
	// Stdout receives the run's table and results line; Stderr progress,
	// warnings and notes.
	Stdout, Stderr io.Writer
	// Scenario is a scenario file or the name of a shipped scenario.
	Scenario string
	// Dir is the run directory ("" → <output.dir>/<UTC timestamp>-<name>).
	Dir string
	// Seed overrides the scenario seed when SeedSet.
	Seed    uint64
	SeedSet bool
	// DryRun prints the schedule summary and sends nothing.
	DryRun bool
	// Quiet turns the progress display off.
	Quiet bool
	// FailOnSLO makes a violated SLO exit with status 3.
	FailOnSLO bool
	// FailOnInterference makes a host_busy run exit with status 5.
	FailOnInterference bool
	// Trials overrides the scenario's trials when TrialsSet.
	Trials    int
	TrialsSet bool
	// Args is the command line, recorded in run.json.
	Args []string
	// Prices is a price-book file overriding/extending the embedded one.
	Prices string
	// MaxSpend overrides the scenario's spend limit on real cloud
	// endpoints when MaxSpendSet.
	MaxSpend    float64
	MaxSpendSet bool
	// Executable is the benchctl binary services are started from
	// (os.Executable() when empty).
	Executable string
	// NormalPriority keeps the local services the run starts at the
	// default CPU priority (see runStartServices).
	NormalPriority bool
	// Engine and Workers run the phases distributed (override the
	// scenario's distributed block); AllowPartial merges a run with gaps
	// without failing it.
	Engine       string
	Workers      int
	AllowPartial bool
	// EmitManifest, for engine kubernetes, writes the worker Job as YAML
	// to this file ("-": stdout) for the user to apply, instead of
	// submitting it.
	EmitManifest string
	// WorkerEnv is added to the local-lambda worker function's
	// environment (a test seam).
	WorkerEnv map[string]string
	// CheckServers checks the scenario's servers block as `benchctl serve`
	// parses its arguments (the command line's own check; nil checks
	// nothing more than the schedules and traces).
	CheckServers func(*scenarios.Scenario) []scenarios.FieldError
	// DrainOnInterrupt, once the services run, makes the first Ctrl-C
	// drain the run (stop sending, wait for the requests in flight, save)
	// instead of ending the program: note says what the run is doing, abort
	// is the second Ctrl-C. It returns the function that restores the
	// program's rule. Nil leaves interrupts to ctx alone.
	DrainOnInterrupt func(ctx context.Context, note func() string, abort func()) (release func())
	// DescribeService says what model each service the run starts serves
	// (the command line's reading of the model flags); needed when the
	// scenario starts services.
	DescribeService ServiceDescriber
	// OnGo is called with T0 once a distributed run's go signal is
	// written (a test seam).
	OnGo func(t0 time.Time)

	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// IsTerminal reports whether w is a terminal (progress is only drawn on one).
	IsTerminal func(w io.Writer) bool
}

// runEnv is what the run resolved from the services it started before
// building targets (reference servers, the local Lambda platform), plus how
// to stop them.
type runEnv struct {
	Targets loadgen.TargetEnv
	// Notes are caveats for summary.json.
	Notes []string
	// CPUIsolation is how the local platform limited function instances
	// (cgroup-v1, cgroup-v2, none), empty without local functions.
	CPUIsolation string
	// ServiceCPUPriority says at what CPU priority the services ran
	// (results.RunInfo.ServiceCPUPriority), empty without services.
	ServiceCPUPriority string
	// Services are the services started, with their model and weights
	// (results.RunInfo.Services).
	Services []results.ServiceInfo
	// stop stops the started services.
	stop []func() error
}

func (e *runEnv) close() error {
	var errs []error
	for i := len(e.stop) - 1; i >= 0; i-- {
		errs = append(errs, e.stop[i]())
	}
	return errors.Join(errs...)
}

// runState carries one run through its steps.
type runState struct {
	opts     *Options
	scenario *scenarios.Scenario
	env      *runEnv
	targets  map[string]loadgen.Target
	runner   *loadgen.Runner
	writer   *results.RunWriter
	// recorder is the summary pipeline, fed every record as it is written.
	recorder *summary.Recorder
	// run is the summarised run (after finish).
	run     *summary.Run
	info    results.RunInfo
	summary *results.Summary
	// dir is the run directory.
	dir string
	// book prices the run (nil when it could not be loaded).
	book *pricing.Book
	// capacity holds the capacity searches' results.
	capacity []results.CapacityResult
	// interrupted is set when a phase was cut short by Ctrl-C.
	interrupted bool
	// stage says what the run is doing, for the first interrupt's message
	// (guarded by mu).
	stage string
	// billingNotes say which function targets got no billing data
	// (printed on stderr at the end of the run).
	billingNotes []string
	// host samples host interference (nil when it cannot be measured).
	host *hostload.Sampler
	// mu guards info while phases run.
	mu sync.Mutex
}

// Run runs the scenario opts names from its services to its report, as
// small named steps, and says how it ended through its error: nil,
// *InputError (bad input), *SLOError (opts.FailOnSLO), *InterferenceError
// (opts.FailOnInterference), *InterruptedError (Ctrl-C, everything
// recorded saved), or any other error (the run failed).
func Run(ctx context.Context, opts *Options) (err error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if os.Getenv("GOGC") == "" {
		// Fewer collections keep the dispatch lag low (see loadgen.DefaultGCPercent).
		defer debug.SetGCPercent(debug.SetGCPercent(loadgen.DefaultGCPercent))
	}
	s, err := runLoadScenario(ctx, opts)
	if err != nil {
		return err
	}
	book, err := CheckPricing(s, opts.Prices)
	if err != nil {
		return &InputError{Err: err}
	}
	if opts.DryRun {
		if err := runDryRun(opts, s); err != nil {
			return err
		}
		// A dry run sends nothing, so its estimate keeps the upper bounds.
		return runCheckSpend(opts, s, book, nil)
	}
	if err := runCheckControlAPI(ctx, s); err != nil {
		return err
	}
	functionConfigs := readFunctionConfigs(ctx, opts.Stderr, s)
	if err := runCheckSpend(opts, s, book, functionConfigs); err != nil {
		return err
	}
	st := &runState{opts: opts, scenario: s, book: book, info: HostInfo()}
	st.info.FunctionConfigs = functionConfigs
	st.info.Start = opts.Now().UTC()
	if err := st.resolveDir(); err != nil {
		return err
	}
	self, err := selfExecutable(opts)
	if err != nil {
		return err
	}
	st.env, err = runStartServices(ctx, s, self, filepath.Join(st.dir, ServicesLogFile), !opts.NormalPriority, opts.DescribeService)
	if err != nil {
		return err
	}
	for _, n := range st.env.Notes {
		fmt.Fprintln(opts.Stderr, "benchctl: warning:", n)
	}
	// From here on the first Ctrl-C drains (stop sending, wait for the
	// requests in flight, save) instead of ending the run within a second,
	// and the services are stopped before benchctl exits.
	if opts.DrainOnInterrupt != nil {
		defer opts.DrainOnInterrupt(ctx, st.interruptNote, st.abort)()
	}
	defer func() {
		if cerr := st.env.close(); cerr != nil && err == nil {
			err = fmt.Errorf("stop services: %w", cerr)
		}
	}()
	if d, err := opts.distributedConfig(s); err != nil || d != nil {
		if err != nil {
			return err
		}
		if err := distributedConfidence(s); err != nil {
			return err
		}
		return st.runDistributedSteps(ctx, d, self)
	}
	if err := st.buildTargets(); err != nil {
		return err
	}
	defer st.closeTargets()
	if err := st.createRunDir(); err != nil {
		return err
	}
	st.startHostSampler(ctx)
	st.setStage("stopping: waiting for the requests in flight, then saving what was recorded")
	phaseErr := st.runPhases(ctx)
	if phaseErr == nil && !st.interrupted {
		phaseErr = st.runExperiments(ctx)
		// The experiments' lambda-url requests (capacity probes) too.
		if err := st.flushLogJoins(ctx); err != nil && phaseErr == nil {
			phaseErr = err
		}
	}
	st.stopHostSampler()
	st.setStage("saving results.jsonl, run.json and summary.json")
	// Saving is part of the drain: it runs to its end after a Ctrl-C (a
	// second one exits at once).
	if ctx.Err() != nil {
		st.interrupted = true
	}
	if err := st.finish(); err != nil {
		return errors.Join(phaseErr, err)
	}
	if ctx.Err() == nil {
		st.setStage("stopping the report (benchctl report DIR renders it from what was saved)")
		st.renderReport(ctx)
	} else {
		fmt.Fprintf(opts.Stderr, "benchctl: interrupted: report not rendered; benchctl report %s renders it from what was saved\n", st.writer.Dir)
	}
	if phaseErr != nil && ctx.Err() == nil {
		return phaseErr
	}
	st.printTable()
	fmt.Fprintf(opts.Stdout, "results: %s\n", st.writer.Dir)
	for _, n := range st.billingNotes {
		fmt.Fprintln(opts.Stderr, "benchctl: warning:", n)
	}
	if st.interrupted || ctx.Err() != nil {
		return &InterruptedError{Dir: st.writer.Dir}
	}
	if w := hostWarning(st.summary); w != "" {
		fmt.Fprintln(opts.Stdout, "warning:", w)
		if opts.FailOnInterference {
			return &InterferenceError{Msg: w}
		}
	}
	if v := results.SLOViolations(st.summary.Targets); opts.FailOnSLO && len(v) > 0 {
		return &SLOError{Violations: v}
	}
	return nil
}

// runLoadScenario opens the scenario and applies the flag overrides.
func runLoadScenario(ctx context.Context, opts *Options) (*scenarios.Scenario, error) {
	s, err := scenarios.Open(opts.Scenario, scenarios.WithContext(ctx))
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		var ve *scenarios.ValidationError
		if errors.As(err, &ve) || errors.Is(err, scenarios.ErrNotFound) {
			return nil, &InputError{Err: err}
		}
		return nil, &InputError{Err: fmt.Errorf("load scenario: %w", err)}
	}
	if err := CheckScenario(ctx, s, opts.CheckServers); err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, &InputError{Err: err}
	}
	if opts.SeedSet {
		s.Seed = opts.Seed
	}
	if opts.TrialsSet {
		if opts.Trials < 1 || opts.Trials > scenarios.MaxTrials {
			return nil, &InputError{Err: fmt.Errorf("--trials %d: must be between 1 and %d", opts.Trials, scenarios.MaxTrials)}
		}
		s.Trials = opts.Trials
	}
	return s, nil
}

// buildTargets builds every scenario target and the runner.
func (st *runState) buildTargets() error {
	s := st.scenario
	st.targets = map[string]loadgen.Target{}
	for _, spec := range s.Targets {
		t, err := loadgen.NewTarget(spec, st.env.Targets)
		if err != nil {
			return &InputError{Err: err}
		}
		st.targets[spec.Name] = t
	}
	pl, err := loadgen.NewPayloads(s.Payloads, s.Targets, s.ReadFile, s.Seed)
	if err != nil {
		return &InputError{Err: err}
	}
	st.runner = &loadgen.Runner{Payloads: pl, Seed: s.Seed, ReadFile: s.ReadFile, OnPhaseDone: st.phaseDone}
	return nil
}

// closeTargets releases the targets' connections (targets that hold any
// implement io.Closer).
func (st *runState) closeTargets() {
	for _, t := range st.targets {
		if c, ok := t.(io.Closer); ok {
			_ = c.Close()
		}
	}
}

// resolveDir decides the run directory (--out, or
// <output.dir>/<UTC timestamp>-<name>) and refuses one that holds a run.
func (st *runState) resolveDir() error {
	dir := st.opts.Dir
	if dir == "" {
		root := st.scenario.Output.Dir
		if root == "" {
			root = results.DefaultRoot
		}
		dir = filepath.Join(root, results.RunDirName(st.info.Start, st.scenario.Name))
	}
	if _, err := os.Stat(filepath.Join(dir, results.ResultsFile)); err == nil {
		return &InputError{Err: fmt.Errorf("create run %s: %w", dir, results.ErrRunExists)}
	}
	st.dir = dir
	return nil
}

// createRunDir creates the run directory with scenario.yaml and run.json.
func (st *runState) createRunDir() error {
	st.info.Seed, st.info.Command = st.scenario.Seed, st.opts.Args
	st.info.CPUIsolation = st.env.CPUIsolation
	st.info.ServiceCPUPriority = st.env.ServiceCPUPriority
	st.info.Services = st.env.Services
	w, err := results.CreateRun(st.dir, st.scenario.Raw, st.info)
	if errors.Is(err, results.ErrRunExists) {
		return &InputError{Err: err}
	}
	if err != nil {
		return err
	}
	st.writer = w
	if err := st.copyPrices(); err != nil {
		return err
	}
	st.recorder, err = summary.NewRecorder(summary.RecorderOptions{Scenario: st.scenario, Book: st.book, Info: st.info,
		Series: &summary.SeriesOptions{}})
	if err != nil {
		return err
	}
	w.Observe(st.recorder.Observe)
	// Records of lambda-url targets are written at once; their request ids
	// are noted for the CloudWatch Logs join after each phase.
	st.runner.Encoder = loadgen.TrackLambdaURLTargets(st.targets, w.Encoder())
	return nil
}

// setStage records what the run is doing for interruptNote.
func (st *runState) setStage(stage string) {
	st.mu.Lock()
	st.stage = stage
	st.mu.Unlock()
}

// interruptNote says what the first Ctrl-C makes the run do now.
func (st *runState) interruptNote() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.stage == "" {
		return "stopping the services"
	}
	return st.stage
}

// abort is the second Ctrl-C: the requests in flight are recorded as
// interrupted and results.jsonl is flushed, so it stays complete and
// readable when benchctl exits at once.
func (st *runState) abort() {
	if st.runner != nil {
		st.runner.Abort()
	}
	if st.writer != nil {
		_ = st.writer.Flush()
		fmt.Fprintln(st.opts.Stderr, "benchctl: results.jsonl holds every request sent (those in flight as error_class interrupted); benchctl summary DIR summarises it")
	}
}

// runPhases runs the scenario's phases in order.
func (st *runState) runPhases(ctx context.Context) error {
	progress := st.progressPrinter()
	st.runner.Progress = progress
	sweepOnly := st.sweepOnlyPhases()
	trials := max(st.scenario.Trials, 1)
	for trial := 1; trial <= trials; trial++ {
		for _, ph := range st.scenario.Phases {
			// Warm-ups run once; recorded phases once per trial.
			if sweepOnly[ph.Name] || (trial > 1 && !ph.Recorded()) {
				continue
			}
			if ctx.Err() != nil {
				st.interrupted = true
				return nil
			}
			out, err := st.runPhase(ctx, loadgen.PhaseRun{Phase: ph, Trial: trialLabel(trial, trials)})
			if ferr := st.flushLogJoins(ctx); ferr != nil && err == nil {
				err = ferr
			}
			if err != nil {
				return err
			}
			if out.Interrupted {
				st.interrupted = true
				return nil
			}
		}
	}
	return nil
}

// trialLabel is the Trial of trial t of n: t, or 0 in a run of one trial
// (whose records carry no trial).
func trialLabel(t, n int) int {
	if n <= 1 {
		return 0
	}
	return t
}

// flushLogJoins reads the REPORT lines of the lambda-url targets' requests
// since the last call from CloudWatch Logs and appends them to joins.jsonl
// (finish folds them into results.jsonl; the records themselves were
// written at once). After Ctrl-C it runs with a fresh, bounded context.
func (st *runState) flushLogJoins(ctx context.Context) error {
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
	}
	notes, joins := loadgen.JoinLambdaURLTargets(ctx, st.targets)
	st.env.Notes = append(st.env.Notes, notes...)
	if err := results.AppendJoins(st.writer.Dir, joins); err != nil {
		return fmt.Errorf("join lambda-url records with their logs: %w", err)
	}
	return nil
}

// runPhase runs one phase (or experiment step) against the targets it
// names and records it in run.json. Experiments call it too.
func (st *runState) runPhase(ctx context.Context, run loadgen.PhaseRun) (loadgen.PhaseOutcome, error) {
	if len(run.Targets) == 0 {
		for _, name := range run.Phase.Targets {
			t, ok := st.targets[name]
			if !ok {
				return loadgen.PhaseOutcome{}, &InputError{Err: fmt.Errorf("phase %s: unknown target %q", run.Phase.Name, name)}
			}
			run.Targets = append(run.Targets, t)
		}
	}
	return st.runner.RunPhase(ctx, run)
}

// phaseDone lists every phase and experiment step the runner ran in
// run.json (Summarize takes durations and scheduled counts from there).
func (st *runState) phaseDone(out loadgen.PhaseOutcome) {
	out.Info.Host = st.hostLoad(out.Info)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.info.Phases = append(st.info.Phases, out.Info)
	if err := st.writer.WriteRunInfo(st.info); err != nil {
		fmt.Fprintln(st.opts.Stderr, "benchctl: warning:", err)
	}
}

// copyPrices keeps the price book the scenario names (pricing.prices) in
// the run directory, so that re-pricing the saved run uses the book the
// run used (see summary.Book).
func (st *runState) copyPrices() error {
	if st.opts.Prices != "" || st.scenario.Pricing.Prices == "" {
		return nil
	}
	raw, err := st.scenario.ReadFile(st.scenario.Pricing.Prices)
	if err != nil {
		return fmt.Errorf("pricing.prices: %w", err)
	}
	return st.writer.WriteFile(results.PricesFile, raw)
}

// finish closes results.jsonl, rewrites run.json and writes summary.json
// and histograms.hlog, assembled by the summary pipeline from the records it was fed as they
// were written (exactly what `benchctl summary` computes from the file).
// After a Ctrl-C it still runs to its end: saving is part of the drain.
func (st *runState) finish() error {
	if err := st.writer.CloseRecords(); err != nil {
		return err
	}
	joined, err := results.ApplyJoins(st.writer.Dir)
	if err != nil {
		return fmt.Errorf("fold the lambda-url REPORT lines into %s: %w", results.ResultsFile, err)
	}
	st.mu.Lock()
	st.info.End = st.opts.Now().UTC()
	st.info.Interrupted = st.interrupted
	st.info.EndState = results.EndCompleted
	if st.interrupted {
		st.info.EndState = results.EndInterrupted
	}
	st.info.CPUIsolation = st.env.CPUIsolation
	info := st.info
	st.mu.Unlock()
	if err := st.writer.WriteRunInfo(info); err != nil {
		return err
	}
	finish := st.recorder.Finish
	if joined > 0 {
		// The records the recorder saw had no REPORT lines yet.
		finish = st.recorder.FinishFromFile
	}
	run, err := finish(context.Background(), st.writer.Dir, info, st.capacity, st.env.Notes)
	if err != nil {
		return err
	}
	st.billingNotes = results.BillingNotes(run.Summary.Targets) // in the summary's notes too
	for _, n := range run.Summary.Notes {
		if strings.HasPrefix(n, "pricing failed: ") {
			fmt.Fprintln(st.opts.Stderr, "benchctl: warning:", n)
		}
	}
	st.run, st.summary = run, run.Summary
	if err := st.writer.WriteSummary(run.Summary); err != nil {
		return err
	}
	return summary.WriteHistograms(st.writer.Dir, run.Phases.Histograms())
}

func (st *runState) printTable() { _ = summary.WriteTable(st.opts.Stdout, st.summary) }

// runDryRun prints each phase's schedule: planned requests per target,
// mean and peak rate; nothing is sent.
func runDryRun(opts *Options, s *scenarios.Scenario) error {
	w := opts.Stdout
	fmt.Fprintf(w, "dry run: %s (seed %d): nothing is sent\n", s.Name, s.Seed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tTARGETS\tMODEL\tDURATION\tREQUESTS/TARGET\tMEAN RPS\tPEAK RPS\tRECORDED")
	var total int64
	for _, ph := range s.Phases {
		sched, err := loadgen.NewSchedule(ph.Traffic, ph.Duration, loadgen.ScheduleOptions{
			Seed: loadgen.PhaseSeed(s.Seed, ph.Name), ReadFile: s.ReadFile})
		if err != nil {
			return &InputError{Err: fmt.Errorf("phase %s: %w", ph.Name, err)}
		}
		n := int64(sched.Len())
		total += n * int64(len(ph.Targets))
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%.1f\t%.0f\t%v\n", ph.Name, strings.Join(ph.Targets, ","), sched.Model,
			ph.Duration, n, float64(n)/ph.Duration.Seconds(), sched.PeakRate(), ph.Recorded())
	}
	tw.Flush()
	fmt.Fprintf(w, "total: %d requests over %d phases\n", total, len(s.Phases))
	return nil
}

// progressPrinter returns the per-phase progress display, or nil when it
// is off (--quiet, or stderr is not a terminal).
func (st *runState) progressPrinter() func(loadgen.Progress) {
	isTerm := st.opts.IsTerminal
	if isTerm == nil {
		isTerm = func(w io.Writer) bool {
			f, ok := w.(*os.File)
			return ok && term.IsTerminal(int(f.Fd()))
		}
	}
	if st.opts.Quiet || !isTerm(st.opts.Stderr) {
		return nil
	}
	w := st.opts.Stderr
	return func(p loadgen.Progress) {
		frac := 0.0
		if p.Total > 0 {
			frac = math.Min(1, float64(p.Elapsed)/float64(p.Total))
		}
		const width = 24
		bar := strings.Repeat("#", int(frac*width)) + strings.Repeat("-", width-int(frac*width))
		name := p.Phase
		if p.Step != "" {
			name += " [" + p.Step + "]"
		}
		fmt.Fprintf(w, "\r%-20s [%s] %5.1fs/%.0fs %7d req %8.1f rps %5d err %4d in flight ",
			name, bar, p.Elapsed.Seconds(), p.Total.Seconds(), p.Sent, p.RPS, p.Errors, p.InFlight)
		if p.Done {
			fmt.Fprintln(w)
		}
	}
}

// HostInfo describes the machine and build for run.json.
func HostInfo() results.RunInfo {
	info := results.RunInfo{
		BenchctlVersion: "dev", GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		Cores: runtime.NumCPU(),
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		info.BenchctlVersion = bi.Main.Version
	}
	info.Hostname, _ = os.Hostname()
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				info.CPUModel = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	return info
}
