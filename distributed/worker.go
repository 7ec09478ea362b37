package distributed

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/benchctl/benchctl/loadgen"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// Worker timing.
const (
	// goPollInterval is how often a ready worker looks for the go object.
	goPollInterval = 50 * time.Millisecond
	// stopPollInterval is how often a running worker looks for stop.
	stopPollInterval = 500 * time.Millisecond
	// wakeEarly is how long before a phase's start a worker starts its
	// attack (the pacer then waits for the first hit).
	wakeEarly = 5 * time.Millisecond
	// warmupTimeout bounds the warm-up of one target.
	warmupTimeout = 2 * time.Second
)

// ErrScheduleMismatch is returned by a worker whose recomputed share of a
// phase hashes differently from the coordinator's.
var ErrScheduleMismatch = errors.New("schedule mismatch")

// WorkerOptions configures RunWorker.
type WorkerOptions struct {
	// Store is the run's folder in the store (it holds plan.json).
	Store StoreRef
	// Index is the worker index, Window the window it runs.
	Index, Window int
	// Invocation identifies this invocation (random when empty).
	Invocation string
	// Log receives progress lines (nil: discarded).
	Log io.Writer
	// TempDir holds record chunks before upload (os.TempDir when empty).
	TempDir string
	// Version is this binary's benchctl version.
	Version string
}

// RunWorker runs one worker invocation: it reads the plan, checks its
// share of every phase against the plan's hash, warms up, writes its
// ready object (a duplicate stops here), waits for go, runs its share of
// the window's phases anchored to T0, uploads its record chunks,
// histograms and manifest, and returns the manifest. Cancelling ctx (or a
// stop object in the store) ends the phases early; what was sent is
// uploaded.
func RunWorker(ctx context.Context, o WorkerOptions) (*results.WorkerManifest, error) {
	if os.Getenv("GOGC") == "" {
		// As benchctl run: fewer collections keep the dispatch lag low
		// (see loadgen.DefaultGCPercent).
		defer debug.SetGCPercent(debug.SetGCPercent(loadgen.DefaultGCPercent))
	}
	w := &worker{o: o, log: o.Log}
	if w.log == nil {
		w.log = io.Discard
	}
	if w.o.Invocation == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		w.o.Invocation = hex.EncodeToString(b[:])
	}
	w.m = &results.WorkerManifest{Index: o.Index, Window: o.Window, Invocation: w.o.Invocation,
		BenchctlVersion: o.Version, GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		Started: time.Now().UTC()}
	w.m.Host, _ = os.Hostname()
	w.cpu0 = cpuTime()
	err := w.run(ctx)
	if err != nil {
		w.m.Status, w.m.Error = results.WorkerFailed, err.Error()
	}
	if w.st != nil && w.m.Status != results.WorkerDuplicate {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		if uerr := w.uploadManifest(uctx); uerr != nil && err == nil {
			err = uerr
		}
		cancel()
	}
	return w.m, err
}

type worker struct {
	o     WorkerOptions
	log   io.Writer
	st    *Store
	plan  *Plan
	m     *results.WorkerManifest
	clock ClockOffset
	cpu0  time.Duration
}

func (w *worker) logf(format string, args ...any) {
	fmt.Fprintf(w.log, "worker %d.w%d: "+format+"\n", append([]any{w.o.Index, w.o.Window}, args...)...)
}

func (w *worker) run(ctx context.Context) error {
	st, err := OpenStore(ctx, w.o.Store)
	if err != nil {
		return err
	}
	w.st = st
	raw, err := st.Get(ctx, KeyPlan)
	if err != nil {
		return fmt.Errorf("read the plan: %w", err)
	}
	var plan Plan
	if err := json.Unmarshal(raw, &plan); err != nil {
		return fmt.Errorf("read the plan: %w", err)
	}
	if plan.Version != PlanVersion {
		return fmt.Errorf("plan version %d; this benchctl reads %d", plan.Version, PlanVersion)
	}
	w.plan = &plan
	k := w.o.Index
	if k < 0 || k >= plan.Workers {
		return fmt.Errorf("worker index %d outside 0–%d", k, plan.Workers-1)
	}
	if w.o.Window < 0 || w.o.Window >= plan.Windows {
		return fmt.Errorf("window %d outside 0–%d", w.o.Window, plan.Windows-1)
	}
	w.m.Region = plan.Region(k)
	sum := sha256.Sum256(plan.Scenario)
	if hex.EncodeToString(sum[:]) != plan.ScenarioSHA256 {
		return errors.New("the plan's scenario does not match its hash")
	}
	s, err := scenarios.Parse("scenario.yaml", plan.Scenario, scenarios.WithoutFileChecks())
	if err != nil {
		return fmt.Errorf("scenario: %w", err)
	}
	runs, err := w.shares(s)
	if err != nil {
		return err
	}
	targets := map[string]loadgen.Target{}
	for _, spec := range s.Targets {
		t, err := loadgen.NewTarget(spec, plan.Env)
		if err != nil {
			return err
		}
		targets[spec.Name] = t
	}
	defer func() {
		for _, t := range targets {
			if c, ok := t.(io.Closer); ok {
				_ = c.Close()
			}
		}
	}()
	pl, err := loadgen.NewPayloads(s.Payloads, s.Targets, plan.ReadFile, plan.Seed)
	if err != nil {
		return err
	}
	for i := range runs {
		for _, name := range runs[i].Phase.Targets {
			t, ok := targets[name]
			if !ok {
				return fmt.Errorf("phase %s: unknown target %q", runs[i].Phase.Name, name)
			}
			runs[i].Targets = append(runs[i].Targets, t)
		}
	}
	w.warmUp(ctx, s.Targets, plan.Env)
	w.clock = MeasureClock(ctx, plan.NTPServer, st, KeyPlan)
	w.m.ClockOffsetMs, w.m.ClockMethod = ms(w.clock.Offset), w.clock.Method
	w.m.ClockUncertaintyMs = ms(w.clock.Uncertainty)

	dup, err := w.ready(ctx)
	if err != nil {
		return err
	}
	if dup {
		return nil
	}
	g, err := w.waitGo(ctx)
	if err != nil {
		return err
	}
	if w.o.Window == 0 && !g.IsAdmitted(k) {
		return errors.New("not admitted: ready after the barrier closed; this window's share is a gap")
	}
	return w.runPhases(ctx, g, runs, pl)
}

// shares computes the window's share of every phase and checks each
// worker share's hash against the plan.
func (w *worker) shares(s *scenarios.Scenario) ([]loadgen.PhaseRun, error) {
	plan, k := w.plan, w.o.Index
	part, err := plan.Partition()
	if err != nil {
		return nil, err
	}
	runner := &loadgen.Runner{Seed: plan.Seed, ReadFile: plan.ReadFile}
	byName := map[string]scenarios.Phase{}
	for _, ph := range s.Phases {
		byName[ph.Name] = ph
	}
	var runs []loadgen.PhaseRun
	for _, pp := range plan.Phases {
		ph, ok := byName[pp.Name]
		if !ok {
			return nil, fmt.Errorf("plan phase %s is not in the scenario", pp.Name)
		}
		sched, err := runner.Schedule(loadgen.PhaseRun{Phase: ph})
		if err != nil {
			return nil, err
		}
		seqs := part.Seqs(sched.Len(), k)
		if got := ShareHash(seqs, sched.Offsets); sched.Len() != pp.Hits || k >= len(pp.Shares) || got != pp.Shares[k] {
			return nil, fmt.Errorf("%w: phase %s: this worker (%s/%s) computed %d hits and share hash %.12s, the coordinator %d and %.12s; schedules differ across machines here (floating point): run the workers on the coordinator's architecture",
				ErrScheduleMismatch, pp.Name, runtime.GOOS, runtime.GOARCH, sched.Len(), got, pp.Hits, pp.Shares[min(k, len(pp.Shares)-1)])
		}
		if plan.Windows > 1 {
			in := seqs[:0:0]
			for _, seq := range seqs {
				if plan.InWindow(pp.Start+sched.Offsets[seq], w.o.Window) {
					in = append(in, seq)
				}
			}
			seqs = in
		}
		if len(seqs) == 0 {
			continue
		}
		runs = append(runs, loadgen.PhaseRun{Phase: ph, Schedule: sched, Share: &loadgen.Share{Seqs: seqs}})
	}
	return runs, nil
}

// warmUp resolves and connects to every target's host once (DNS, TCP,
// TLS), without sending a request: no load outside the schedule.
func (w *worker) warmUp(ctx context.Context, specs []scenarios.Target, env loadgen.TargetEnv) {
	for _, spec := range specs {
		raw := spec.URL
		if spec.Server != "" {
			raw = env.ServerURLs[spec.Server]
		}
		if spec.Kind == scenarios.KindLocalLambda {
			raw = env.FunctionEndpoints[spec.Function]
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			continue
		}
		host := u.Host
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), map[bool]string{true: "443", false: "80"}[u.Scheme == "https"])
		}
		dctx, cancel := context.WithTimeout(ctx, warmupTimeout)
		d := net.Dialer{}
		conn, err := d.DialContext(dctx, "tcp", host)
		if err == nil && u.Scheme == "https" {
			tc := tls.Client(conn, &tls.Config{ServerName: u.Hostname()})
			err = tc.HandshakeContext(dctx)
			conn = tc
		}
		cancel()
		if err != nil {
			w.logf("warm-up %s: %v", spec.Name, err)
			continue
		}
		_ = conn.Close()
	}
}

// ready writes the ready object with a conditional put. A 412 whose
// object is another invocation's means this one is a duplicate: it leaves
// its manifest under duplicates/ and sends nothing.
func (w *worker) ready(ctx context.Context) (duplicate bool, err error) {
	k, win := w.o.Index, w.o.Window
	sig := ReadySignal{Index: k, Window: win, Invocation: w.o.Invocation, Host: w.m.Host, At: time.Now().UTC(),
		ClockOffsetMs: ms(w.clock.Offset), ClockMethod: w.clock.Method}
	body, _ := json.Marshal(sig)
	created, err := w.st.PutIfAbsent(ctx, ReadyKey(k, win), body)
	if err != nil {
		return false, err
	}
	w.m.Ready = time.Now().UTC()
	if created {
		return false, nil
	}
	// A retried put of our own (lost response) is not a duplicate.
	if b, err := w.st.Get(ctx, ReadyKey(k, win)); err == nil {
		var other ReadySignal
		if json.Unmarshal(b, &other) == nil && other.Invocation == w.o.Invocation {
			return false, nil
		}
	}
	w.m.Status = results.WorkerDuplicate
	w.m.Error = fmt.Sprintf("duplicate of worker %d window %d: its ready object exists (conditional put answered 412); sent nothing", k, win)
	w.m.Ended = time.Now().UTC()
	b, _ := json.MarshalIndent(w.m, "", "  ")
	w.logf("%s", w.m.Error)
	return true, w.st.Put(ctx, DuplicateKey(k, win, w.o.Invocation), b)
}

// waitGo polls for the go object.
func (w *worker) waitGo(ctx context.Context) (GoSignal, error) {
	deadline := time.Now().Add(w.plan.ReadyTimeout + w.plan.LeadTime + 30*time.Second)
	for {
		b, err := w.st.Get(ctx, KeyGo)
		if err == nil {
			var g GoSignal
			if err := json.Unmarshal(b, &g); err != nil {
				return g, fmt.Errorf("read go: %w", err)
			}
			return g, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return GoSignal{}, err
		}
		if time.Now().After(deadline) {
			return GoSignal{}, errors.New("no go signal before the ready timeout: the coordinator is gone")
		}
		select {
		case <-ctx.Done():
			return GoSignal{}, ctx.Err()
		case <-time.After(goPollInterval):
		}
	}
}

// runPhases runs the window's phases anchored to T0: the wall clock gives
// T0 once (corrected by a precise clock offset), the monotonic clock paces
// from there.
func (w *worker) runPhases(ctx context.Context, g GoSignal, runs []loadgen.PhaseRun, pl *loadgen.Payloads) error {
	plan := w.plan
	t0 := g.T0
	if w.clock.Precise() {
		t0 = t0.Add(-w.clock.Offset) // T0 on this machine's clock
	}
	now := time.Now()
	base := now.Add(t0.Sub(now)) // T0 with a monotonic reading

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go w.watchStop(ctx, cancel)

	tmp, err := os.MkdirTemp(w.o.TempDir, "benchctl-worker-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ch := newChunker(w.st, WorkerDir(w.o.Index, w.o.Window), tmp, plan.ChunkInterval)
	runner := &loadgen.Runner{Encoder: ch.Encode, Payloads: pl, Seed: plan.Seed, ReadFile: plan.ReadFile}
	starts := map[string]time.Duration{}
	for _, pp := range plan.Phases {
		starts[pp.Name] = pp.Start
	}
	winStart := plan.WindowStart(w.o.Window)
	late := false
	var runErr error
	for _, run := range runs {
		if ctx.Err() != nil {
			break
		}
		anchor := base.Add(starts[run.Phase.Name])
		begin := anchor.Add(max(0, winStart-starts[run.Phase.Name]))
		if d := time.Until(begin) - wakeEarly; d > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
			if ctx.Err() != nil {
				break
			}
		}
		lag := max(0, time.Since(begin))
		run.Share.Start = anchor
		out, err := runner.RunPhase(ctx, run)
		phaseLate := lag > plan.LateBound
		late = late || phaseLate
		w.m.StartLagMs = max(w.m.StartLagMs, ms(lag))
		for _, t := range out.Targets {
			s := t.Summary
			w.m.Phases = append(w.m.Phases, results.WorkerPhase{Phase: run.Phase.Name, Target: t.Target,
				Scheduled: int64(len(run.Share.Seqs)), Sent: s.Requests, StartLagMs: ms(lag), Late: phaseLate,
				DispatchLagP50Ms: s.DispatchLagMs.P50, DispatchLagP99Ms: s.DispatchLagMs.P99, DispatchLagMaxMs: s.DispatchLagMs.Max,
				Interrupted: out.Interrupted})
		}
		if phaseLate {
			w.logf("phase %s started %v late (bound %v): its requests keep their intended times", run.Phase.Name, lag.Round(time.Millisecond), plan.LateBound)
		}
		if err != nil {
			runErr = err
			break
		}
	}
	cerr := ch.Close()
	w.m.Chunks = ch.Keys()
	w.m.Requests, w.m.Classes = ch.requests, ch.classes
	var hb bytes.Buffer
	if _, err := ch.hist.Histograms().WriteTo(&hb); err == nil {
		key := WorkerDir(w.o.Index, w.o.Window) + HistogramsFile
		if err := w.st.Put(context.WithoutCancel(ctx), key, hb.Bytes()); err == nil {
			w.m.Histograms = key
		} else if cerr == nil {
			cerr = err
		}
	}
	w.m.Status = results.WorkerOK
	if late {
		w.m.Status = results.WorkerLate
	}
	return errors.Join(runErr, cerr)
}

// watchStop cancels the run when the coordinator writes the stop object.
func (w *worker) watchStop(ctx context.Context, cancel context.CancelFunc) {
	t := time.NewTicker(stopPollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := w.st.Get(ctx, KeyStop); err == nil {
				w.logf("stop requested by the coordinator")
				cancel()
				return
			}
		}
	}
}

func (w *worker) uploadManifest(ctx context.Context) error {
	w.m.Ended = time.Now().UTC()
	cpu := cpuTime() - w.cpu0
	w.m.CPUSeconds = cpu.Seconds()
	w.m.MaxRSSMB = maxRSSMB()
	b, err := json.MarshalIndent(w.m, "", "  ")
	if err != nil {
		return err
	}
	return w.st.Put(ctx, ManifestKey(w.o.Index, w.o.Window), b)
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func maxRSSMB() int {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return int(ru.Maxrss / 1024)
}
