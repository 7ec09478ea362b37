package loadgen

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/benchctl/benchctl/confidence"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// DefaultGCPercent is the garbage-collection target benchctl run sets for
// the load generator's process (unless GOGC is set). The generator
// allocates per request, and on a small machine each collection's pauses
// and assists land in the dispatch lag: at 5,000 requests/s on 2 cores,
// dispatch-lag p99 was 1.5–2.1 ms at GOGC=100 and 1.2–1.4 ms at 400
// (BenchmarkPoissonAccuracy; the heap stays small, results are streamed).
const DefaultGCPercent = 400

// DefaultMaxInFlight bounds in-flight requests per target and phase when the
// phase sets no max_in_flight.
const DefaultMaxInFlight = 1000

// CutoffGrace is how long after the phase duration a generator that fell
// behind may still send scheduled hits.
const CutoffGrace = 100 * time.Millisecond

// DefaultWorkers is how many vegeta workers an attack starts with (more are
// added when all are busy; never capped, so the loop stays open).
const DefaultWorkers = 64

// DefaultDrainTimeout is how long a stopped phase waits for in-flight
// requests before recording them as interrupted.
const DefaultDrainTimeout = 10 * time.Second

// KeepBodyBytes is how much of each response body is kept in memory (for
// error messages and function error details). The rest is read as it
// streams, counted (bytes_in, max_body_bytes) and discarded, so a large
// response costs the generator no memory.
const KeepBodyBytes = 8 << 10

// Runner runs phases: one open-loop vegeta attack per target, all following
// the phase's seeded schedule, with records streamed to Encoder and
// aggregated in memory. Experiments (memory sweep, cold starts, capacity
// search) call RunPhase repeatedly with overridden traffic and Step labels.
//
// A Runner may run one phase at a time; its fields must not change while a
// phase runs.
type Runner struct {
	// Encoder receives the records of recorded phases; nil discards them.
	// Calls are serialised (never concurrent), in arrival order per target.
	// The record is reused after the call returns.
	Encoder results.Encoder
	// Payloads gives each target's request bodies; nil sends no body.
	Payloads *Payloads
	// Seed is the scenario seed; each phase's schedule is seeded by
	// PhaseSeed(Seed, phase name), so a phase repeated with other Step
	// labels gets the same schedule.
	Seed uint64
	// ReadFile reads files named in the scenario (trace files).
	ReadFile func(name string) ([]byte, error)
	// DrainTimeout bounds the wait for in-flight requests after ctx is
	// cancelled (DefaultDrainTimeout when 0).
	DrainTimeout time.Duration
	// Progress, when set, is called about every ProgressInterval while a
	// phase runs, and once at its end.
	Progress func(Progress)
	// ProgressInterval defaults to 250 ms.
	ProgressInterval time.Duration
	// OnPhaseDone, when set, is called with every outcome RunPhase returns
	// (also for experiment steps), e.g. to list the phase in run.json.
	OnPhaseDone func(PhaseOutcome)

	mu      sync.Mutex // guards running
	running []*attack  // the attacks of the phase RunPhase is running
}

// Progress is a snapshot of a running phase, for progress bars.
type Progress struct {
	Phase    string
	Step     string
	Elapsed  time.Duration
	Total    time.Duration
	Sent     int64 // results received (all targets)
	Errors   int64
	InFlight int64
	// RPS is the result rate over the last interval (the phase's average
	// when Done).
	RPS  float64
	Done bool
}

// PhaseRun is one phase to run.
type PhaseRun struct {
	// Phase is the scenario phase (name, duration, traffic, max_in_flight, record).
	Phase scenarios.Phase
	// Traffic, when set, overrides Phase.Traffic (e.g. a capacity search rate).
	Traffic *scenarios.Traffic
	// Targets receive the same schedule, concurrently.
	Targets []Target
	// Step and Experiment label every record (empty for plain phases).
	Step, Experiment string
	// Record overrides Phase.Recorded() when set: recorded phases are
	// written to the Encoder.
	Record *bool
	// SLO, when set, is evaluated in the outcome's summaries.
	SLO *results.SLOSpec
	// Schedule, when set, is used instead of computing one from the traffic.
	Schedule *Schedule
	// Trial (1..N) labels every record of a run with trials: N > 1 and
	// seeds the schedule per trial (TrialSeedName); 0 in a run of one trial.
	Trial int
	// Encoder, when set, receives this phase's recorded records instead of
	// Runner.Encoder (a capacity probe collects latencies through it).
	Encoder results.Encoder
	// NoPhaseDone skips Runner.OnPhaseDone for this phase (the caller
	// reports it itself).
	NoPhaseDone bool
	// Share, when set, sends only this generator's part of the schedule
	// (a distributed run's stripe), anchored to a common start; records
	// keep the global seq and intended time (see Share).
	Share *Share
}

// PhaseOutcome is the in-memory result of one phase: per target, the same
// PhaseSummary that Summarize would compute from the records, so callers
// decide (e.g. pass/fail of a capacity step) without re-reading files.
type PhaseOutcome struct {
	// Info describes the phase as run (for run.json).
	Info results.PhaseRunInfo
	// Targets holds one summary per target, in PhaseRun.Targets order.
	Targets []TargetOutcome
	// Interrupted is true when ctx was cancelled before the phase ended.
	Interrupted bool
}

// TargetOutcome is one target's result in a phase.
type TargetOutcome struct {
	Target  string
	Kind    string
	Summary results.PhaseSummary
}

// Target returns the outcome of the named target.
func (o PhaseOutcome) Target(name string) (TargetOutcome, bool) {
	for _, t := range o.Targets {
		if t.Target == name {
			return t, true
		}
	}
	return TargetOutcome{}, false
}

// maxBodier is implemented by targets with a response size cap.
type maxBodier interface{ MaxBodyBytes() int64 }

// Schedule computes the schedule a PhaseRun will follow.
func (r *Runner) Schedule(run PhaseRun) (*Schedule, error) {
	if run.Schedule != nil {
		return run.Schedule, nil
	}
	tr := run.Phase.Traffic
	if run.Traffic != nil {
		tr = *run.Traffic
	}
	s, err := NewSchedule(tr, run.Phase.Duration, ScheduleOptions{Seed: PhaseSeed(r.Seed, TrialSeedName(run.Phase.Name, run.Trial)), ReadFile: r.ReadFile})
	if err != nil {
		return nil, fmt.Errorf("phase %s: %w", run.Phase.Name, err)
	}
	return s, nil
}

// RunPhase runs one phase and returns its outcome. When ctx is cancelled it
// stops sending at once, waits up to DrainTimeout for in-flight requests,
// records everything received, records the requests still in flight then
// with ErrorClassInterrupted (every request sent gets a record), and
// returns the partial outcome with Interrupted set and a nil error. Errors
// are for setup failures and for an Encoder that fails (the phase then
// stops).
func (r *Runner) RunPhase(ctx context.Context, run PhaseRun) (PhaseOutcome, error) {
	if len(run.Targets) == 0 {
		return PhaseOutcome{}, fmt.Errorf("phase %s: no targets", run.Phase.Name)
	}
	sched, err := r.Schedule(run)
	if err != nil {
		return PhaseOutcome{}, err
	}
	if sched, err = run.Share.of(sched); err != nil {
		return PhaseOutcome{}, fmt.Errorf("phase %s: %w", run.Phase.Name, err)
	}
	record := run.Phase.Recorded()
	if run.Record != nil {
		record = *run.Record
	}
	maxInFlight := int64(run.Phase.MaxInFlight)
	if maxInFlight <= 0 {
		maxInFlight = DefaultMaxInFlight
	}
	drain := r.DrainTimeout
	if drain <= 0 {
		drain = DefaultDrainTimeout
	}

	var (
		sent, errs, inflight atomic.Int64
		encErr               error
		encMu                sync.Mutex
		attacks              = make([]*attack, len(run.Targets))
	)
	for i, t := range run.Targets {
		a, err := r.newAttack(t, run, sched, maxInFlight, &inflight)
		if err != nil {
			return PhaseOutcome{}, err
		}
		attacks[i] = a
	}

	start := time.Now()
	var wg sync.WaitGroup
	// The pacer stops after the last hit. vegeta's own cut-off checks the
	// elapsed time before pacing each hit, so cutting exactly at the phase
	// duration could lose on-time hits due just before it; a short grace
	// (CutoffGrace) keeps them, while a generator that fell behind still
	// stops about on time (its unsent hits count as late).
	cutoff := sched.Duration + CutoffGrace
	encoder := r.Encoder
	if run.Encoder != nil {
		encoder = run.Encoder
	}
	emit := func(rec *results.Record, failed bool) {
		sent.Add(1)
		if failed {
			errs.Add(1)
		}
		if record && encoder != nil {
			encMu.Lock() // one target at a time: Encoder need not be concurrency-safe
			err := encoder(rec)
			if err != nil && encErr == nil {
				encErr = err
			}
			encMu.Unlock()
			if err != nil {
				for _, b := range attacks {
					b.atk.Stop()
				}
			}
		}
	}
	if a := run.Share.anchor(); !a.IsZero() {
		// Anchored to a common start: stop about on time after it.
		start = a
		cutoff = max(time.Until(a.Add(cutoff)), time.Millisecond)
	}
	for _, a := range attacks {
		a.emit = emit
		a.results = a.atk.Attack(a.targeter, a.pacer, cutoff, run.Phase.Name)
	}
	r.mu.Lock()
	r.running = attacks
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.running = nil
		r.mu.Unlock()
	}()
	for _, a := range attacks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.consume()
		}()
	}

	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	interval := r.ProgressInterval
	if interval <= 0 {
		interval = 250 * time.Millisecond
	}
	var tick <-chan time.Time
	meter := &progressMeter{run: &run, total: sched.Duration, start: start, lastAt: start,
		sent: &sent, errs: &errs, inflight: &inflight}
	if r.Progress != nil {
		tk := time.NewTicker(interval)
		defer tk.Stop()
		tick = tk.C
	}

	interrupted, early := false, false
	var stoppedAt time.Time
	ctxDone := ctx.Done()
	var drainTimer <-chan time.Time
	var until *untilWatch
	var untilTick <-chan time.Time
	if u := run.Phase.Until; u != nil {
		until = newUntilWatch(*u, attacks)
		tk := time.NewTicker(UntilCheckInterval)
		defer tk.Stop()
		untilTick = tk.C
	}
wait:
	for {
		select {
		case <-done:
			break wait
		case <-untilTick:
			if until.check() {
				// The metric is known well enough: stop sending, let the
				// requests in flight finish (they are recorded).
				early, stoppedAt, untilTick = true, time.Now(), nil
				for _, a := range attacks {
					a.atk.Stop()
				}
			}
		case <-ctxDone:
			interrupted, stoppedAt, ctxDone = true, time.Now(), nil
			for _, a := range attacks {
				a.atk.Stop()
			}
			drainTimer = time.After(drain)
		case <-drainTimer:
			// Record what is still in flight as interrupted; the
			// consumers keep draining vegeta's channel in the background
			// (requests end by their timeout), so no worker leaks.
			for _, a := range attacks {
				a.abandon(time.Now(), fmt.Sprintf("still in flight %v after the stop (the drain bound)", drain))
			}
			break wait
		case <-tick:
			r.Progress(meter.snapshot(false))
		}
	}
	if r.Progress != nil {
		r.Progress(meter.snapshot(true))
	}

	ran := sched.Duration
	scheduled := int64(sched.Len())
	if interrupted || early {
		ran = min(stoppedAt.Sub(start), sched.Duration)
		// Hits due within the lateness threshold before the stop are not
		// counted as missed.
		scheduled = int64(sched.CountIn(0, ran-results.LateThreshold))
	}
	names := make([]string, len(run.Targets))
	for i, t := range run.Targets {
		names[i] = t.Name()
	}
	out := PhaseOutcome{
		Interrupted: interrupted,
		Info: results.PhaseRunInfo{
			Name: run.Phase.Name, Step: run.Step, Experiment: run.Experiment, Targets: names,
			Model: sched.Model, Recorded: record, DurationS: ran.Seconds(), Scheduled: scheduled,
			Start: start.UTC(), Interrupted: interrupted, Trial: run.Trial,
		},
	}
	if until != nil {
		out.Info.UntilMetric = string(until.rule.Metric)
		out.Info.Stopped = confidence.StoppedMaxDuration
		if early {
			out.Info.Stopped = confidence.StoppedCI
		}
		if w := until.widest(); !math.IsInf(w, 0) && !math.IsNaN(w) {
			out.Info.UntilRelWidth = &w
		}
	}
	// The phase's start is the instant its schedule is anchored to (the
	// earliest pacer's start), so intended − start is the schedule offset.
	began := time.Time{}
	for _, a := range attacks {
		if b := a.pacer.Began(); !b.IsZero() && (began.IsZero() || b.Before(began)) {
			began = b
		}
	}
	if !began.IsZero() {
		out.Info.Start = began.UTC()
	}
	for _, a := range attacks {
		out.Targets = append(out.Targets, TargetOutcome{
			Target: a.target.Name(), Kind: a.target.Kind(),
			Summary: a.agg.Summary(results.PhaseInfo{DurationS: ran.Seconds(), Scheduled: scheduled}, run.SLO),
		})
	}
	if r.OnPhaseDone != nil && !run.NoPhaseDone {
		r.OnPhaseDone(out)
	}
	if encErr != nil {
		return out, fmt.Errorf("phase %s: write records: %w", run.Phase.Name, encErr)
	}
	return out, nil
}

// progressMeter turns a running phase's counters into Progress snapshots.
type progressMeter struct {
	run                  *PhaseRun
	total                time.Duration
	start, lastAt        time.Time
	last                 int64
	sent, errs, inflight *atomic.Int64
}

// snapshot reports the rate since the previous snapshot (the phase's
// average when done).
func (m *progressMeter) snapshot(done bool) Progress {
	now := time.Now()
	n := m.sent.Load()
	since, from := m.lastAt, m.last
	if done {
		since, from = m.start, 0
	}
	rps := 0.0
	if dt := now.Sub(since).Seconds(); dt > 0 {
		rps = float64(n-from) / dt
	}
	m.last, m.lastAt = n, now
	return Progress{Phase: m.run.Phase.Name, Step: m.run.Step, Elapsed: min(now.Sub(m.start), m.total),
		Total: m.total, Sent: n, Errors: m.errs.Load(), InFlight: m.inflight.Load(), RPS: rps, Done: done}
}

// Abort records every request still in flight in the phase being run as
// interrupted (ErrorClassInterrupted) and stops the phase's attacks, at
// once; results that arrive later are not processed. benchctl run calls it
// on a second Ctrl-C, just before it exits. It is safe to call from any
// goroutine, also when no phase runs.
func (r *Runner) Abort() {
	r.mu.Lock()
	attacks := r.running
	r.mu.Unlock()
	now := time.Now()
	for _, a := range attacks {
		a.atk.Stop()
		a.abandon(now, "still in flight at the second interrupt")
	}
}

// attack is one target's vegeta attack within a phase.
type attack struct {
	target   Target
	run      *PhaseRun
	sched    *Schedule
	pacer    *SchedulePacer
	atk      *vegeta.Attacker
	targeter vegeta.Targeter
	results  <-chan *vegeta.Result
	agg      *results.Aggregator
	// global maps a share's hit index to its global seq (nil: identity).
	global  []uint64
	maxBody int64
	flights *flights
	// emit counts and writes a record (set before consume starts).
	emit func(rec *results.Record, failed bool)

	mu        sync.Mutex // held while a result is processed
	abandoned bool       // results after this are drained, not processed
	began     time.Time
}

// abandon records every request still in flight as interrupted at now
// (why says what stopped it) and stops processing results. It returns once
// no result is being processed, so agg can be read; later calls do nothing.
func (a *attack) abandon(now time.Time, why string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.abandoned {
		return
	}
	a.abandoned = true
	for _, f := range a.flights.takeAll() {
		rec := results.Record{
			Attack: a.run.Phase.Name, Seq: f.seq, Timestamp: f.sent, Latency: now.Sub(f.sent),
			BytesOut: uint64(max(f.bytesOut, 0)), BytesIn: uint64(f.read.Load()),
			Error:  "benchctl: interrupted: " + why + ": no complete response",
			Method: f.method, URL: f.url.String(),
			Target: a.target.Name(), Phase: a.run.Phase.Name, Step: a.run.Step, Experiment: a.run.Experiment,
			ErrorClass: results.ErrorClassInterrupted,
		}
		a.setIntended(&rec, f.seq)
		a.agg.Add(&rec)
		a.emit(&rec, true)
	}
}

// setIntended fills rec.Intended and rec.CorrectedLatency from hit seq of
// the schedule (vegeta's index: the actual send time when the schedule has
// no such hit), and rec.Seq with the global seq of a share's hit.
func (a *attack) setIntended(rec *results.Record, seq uint64) {
	if a.began.IsZero() {
		a.began = a.pacer.Began()
	}
	if seq < uint64(len(a.sched.Offsets)) && !a.began.IsZero() {
		rec.Intended = a.began.Add(a.sched.Offsets[seq])
		if a.global != nil {
			rec.Seq = a.global[seq]
		}
		rec.CorrectedLatency = rec.Timestamp.Add(rec.Latency).Sub(rec.Intended)
	} else {
		rec.Intended, rec.CorrectedLatency = rec.Timestamp, rec.Latency
	}
}

func (r *Runner) newAttack(t Target, run PhaseRun, sched *Schedule, maxInFlight int64, inflight *atomic.Int64) (*attack, error) {
	c := t.Client()
	if c == nil {
		return nil, fmt.Errorf("target %s: no HTTP client", t.Name())
	}
	maxBody := DefaultMaxBodyBytes
	if mb, ok := t.(maxBodier); ok && mb.MaxBodyBytes() > 0 {
		maxBody = mb.MaxBodyBytes()
	}
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	fl := &flights{m: map[uint64]*flight{}}
	client := *c // vegeta copies the client; its Timeout and CheckRedirect are kept
	client.Transport = &limiter{next: next, max: maxInFlight, inflight: inflight, own: &atomic.Int64{},
		maxBody: maxBody, flights: fl}
	var n atomic.Uint64
	bodies := r.Payloads.For(t.Name())
	pacer := sched.Pacer()
	pacer.anchor = run.Share.anchor()
	global := run.Share.seqs()
	a := &attack{
		target: t, run: &run, sched: sched, pacer: pacer, global: global, flights: fl,
		// vegeta keeps only the first KeepBodyBytes of a body; the limiter's
		// body counts and caps the whole stream (vegeta discards the rest).
		atk: vegeta.NewAttacker(vegeta.Client(&client), vegeta.MaxBody(min(maxBody, KeepBodyBytes)),
			// Idle workers cost nothing; starting enough avoids spawning
			// goroutines from the pacing loop while the rate holds.
			vegeta.Workers(uint64(min(maxInFlight, DefaultWorkers)))),
		agg:     results.NewAggregator(run.Phase.Name, run.Step, run.Experiment),
		maxBody: maxBody,
		targeter: func(vt *vegeta.Target) error {
			i := n.Add(1) - 1
			if global != nil && i < uint64(len(global)) {
				i = global[i] // a share's hit i is global hit global[i]
			}
			return t.Request(bodies.At(i), vt)
		},
	}
	return a, nil
}

// consume drains the attack's results (always to the end, so no worker
// leaks), turning each into a Record.
func (a *attack) consume() {
	var rec results.Record
	for res := range a.results {
		a.mu.Lock()
		if a.abandoned {
			a.mu.Unlock()
			continue // keep draining so vegeta's workers can exit
		}
		f := a.flights.finish(res.Seq)
		rec = results.Record{
			Attack: res.Attack, Seq: res.Seq, Code: res.Code, Timestamp: res.Timestamp,
			Latency: res.Latency, BytesOut: res.BytesOut, BytesIn: res.BytesIn, Error: res.Error,
			Method: res.Method, URL: res.URL,
			Target: a.target.Name(), Phase: a.run.Phase.Name, Step: a.run.Step, Experiment: a.run.Experiment,
			Trial: a.run.Trial,
		}
		a.setIntended(&rec, res.Seq)
		rec.ErrorClass = ClassifyError(res.Code, res.Error)
		if f != nil {
			rec.BytesIn = uint64(f.read.Load()) // vegeta counts only what it kept
			if f.timedOut.Load() && rec.ErrorClass == results.ErrorClassOther {
				rec.ErrorClass = results.ErrorClassTimeout
			}
		}
		if rec.ErrorClass == results.ErrorClassBodyTooLarge {
			rec.BytesIn = uint64(a.maxBody)
		}
		if rec.ErrorClass != results.ErrorClassDropped {
			a.target.Annotate(res, &rec)
		}
		a.agg.Add(&rec)
		a.emit(&rec, rec.ErrorClass != "")
		a.mu.Unlock()
	}
}

// flights tracks the requests of one attack from the moment the limiter
// passes them on until their result is processed, by schedule index (the
// X-Vegeta-Seq header vegeta sets), so that a request still in flight when
// the phase is abandoned is recorded instead of lost.
type flights struct {
	mu sync.Mutex
	m  map[uint64]*flight
}

// flight is one request in flight.
type flight struct {
	seq      uint64
	sent     time.Time
	method   string
	url      *url.URL
	bytesOut int64
	// read counts the response body bytes read so far.
	read atomic.Int64
	// timedOut is set when reading the response failed with a timeout.
	timedOut atomic.Bool
}

// start registers req; nil when it carries no schedule index.
func (fs *flights) start(req *http.Request) *flight {
	seq, err := strconv.ParseUint(req.Header.Get(vegetaSeqHeader), 10, 64)
	if err != nil {
		return nil
	}
	f := &flight{seq: seq, sent: time.Now(), method: req.Method, url: req.URL, bytesOut: req.ContentLength}
	fs.mu.Lock()
	fs.m[seq] = f
	fs.mu.Unlock()
	return f
}

// finish removes and returns the flight of seq (nil when none).
func (fs *flights) finish(seq uint64) *flight {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := fs.m[seq]
	delete(fs.m, seq)
	return f
}

// takeAll removes and returns every flight, by seq.
func (fs *flights) takeAll() []*flight {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]*flight, 0, len(fs.m))
	for _, f := range fs.m {
		out = append(out, f)
	}
	clear(fs.m)
	slices.SortFunc(out, func(a, b *flight) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

// vegetaSeqHeader is the header vegeta numbers each request with.
const vegetaSeqHeader = "X-Vegeta-Seq"

// limiter is the RoundTripper every attack sends through: it enforces
// max_in_flight (a request beyond it fails at once with ErrDropped: recorded,
// never delayed), tracks each request until its result is processed
// (flights), and counts and caps the response body at maxBody
// (ErrBodyTooLarge) as it streams. It adds no per-request context or
// goroutine.
type limiter struct {
	next     http.RoundTripper
	max      int64
	inflight *atomic.Int64 // all targets of the phase (for progress)
	own      *atomic.Int64 // this target
	maxBody  int64
	flights  *flights
}

// RoundTrip implements http.RoundTripper.
func (l *limiter) RoundTrip(req *http.Request) (*http.Response, error) {
	if l.own.Add(1) > l.max {
		l.own.Add(-1)
		return nil, ErrDropped
	}
	l.inflight.Add(1)
	f := l.flights.start(req)
	resp, err := l.next.RoundTrip(req)
	if err != nil {
		l.release()
		return nil, err
	}
	resp.Body = &countedBody{rc: resp.Body, max: l.maxBody, l: l, f: f}
	return resp, nil
}

func (l *limiter) release() {
	l.own.Add(-1)
	l.inflight.Add(-1)
}

// countedBody counts response bytes as they stream, fails past max,
// notes timeouts, and releases the in-flight slot on Close.
type countedBody struct {
	rc     io.ReadCloser
	n, max int64
	l      *limiter
	f      *flight // nil when untracked
	closed atomic.Bool
}

// Read counts bytes and fails with ErrBodyTooLarge past the cap.
func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.n += int64(n)
	if b.f != nil {
		b.f.read.Store(b.n)
		if err != nil && err != io.EOF && isTimeout(err) {
			b.f.timedOut.Store(true)
		}
	}
	if b.max >= 0 && b.n > b.max {
		return n, ErrBodyTooLarge
	}
	return n, err
}

// Close closes the body and frees the in-flight slot (once).
func (b *countedBody) Close() error {
	err := b.rc.Close()
	if b.closed.CompareAndSwap(false, true) {
		b.l.release()
	}
	return err
}

// isTimeout reports whether err is a deadline or a network timeout.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
