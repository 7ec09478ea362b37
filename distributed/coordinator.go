package distributed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Engine starts worker invocations somewhere: AWS Lambda, the local
// Lambda-compatible platform, a Kubernetes Indexed Job. Each Invocation is
// started once and never retried (a failed one is a gap).
type Engine interface {
	// Launch starts the invocations and returns once they are submitted;
	// the end of each one is reported on exits, exactly once.
	Launch(ctx context.Context, invs []Invocation, exits chan<- Exit) error
	// Close removes what the engine created for the run (bounded by ctx).
	Close(ctx context.Context) error
}

// Invocation is one worker index in one window.
type Invocation struct {
	Index  int
	Window int
}

// String is "worker K window W".
func (i Invocation) String() string { return fmt.Sprintf("worker %d window %d", i.Index, i.Window) }

// Event is what an invocation is given (the Lambda payload; flags and
// environment elsewhere).
type Event struct {
	Store  StoreRef `json:"store"`
	Index  int      `json:"index"`
	Window int      `json:"window"`
}

// EventFor is the event of inv in the run stored at ref.
func EventFor(ref StoreRef, inv Invocation) Event {
	return Event{Store: ref, Index: inv.Index, Window: inv.Window}
}

// Exit is how an invocation ended, as its engine saw it.
type Exit struct {
	Invocation
	// Err is why it failed (nil: it exited cleanly).
	Err error
	// BilledMs and MemoryMB are what the platform billed, when it reports
	// it (Lambda's REPORT line); 0 otherwise.
	BilledMs float64
	MemoryMB int
}

// Windowed is implemented by engines whose invocations run for a bounded
// time (Lambda): the timeline is cut into windows of at most Window, the
// next invoked Handover before the current one ends.
type Windowed interface {
	Window() (window, handover time.Duration)
}

// CoordinatorOptions configures Coordinate.
type CoordinatorOptions struct {
	Store  *Store
	Plan   *Plan
	Engine Engine
	// Log receives progress lines.
	Log io.Writer
	// Handover is how early the next window's invocations start.
	Handover time.Duration
	// Drain bounds the wait for the last requests after the timeline ends
	// (loadgen.DefaultDrainTimeout + uploads when 0).
	Drain time.Duration
	// OnGo, when set, is called once the go signal is written.
	OnGo func(GoSignal)
}

// Outcome is what Coordinate saw: the go signal, the engine's exits, and
// whether it was interrupted.
type Outcome struct {
	Go          GoSignal
	Exits       map[Invocation]Exit
	Interrupted bool
}

// Coordinate runs the protocol's coordinator side: it writes the plan,
// launches window 0 of every worker, waits for their ready objects (up to
// the plan's ready timeout; a worker whose invocation ends before it is
// ready is not waited for), writes go with T0 = now + lead time, launches
// each later window Handover before it starts, and waits for every
// invocation to end (or the timeline's end plus Drain). When ctx is
// cancelled it writes the stop object and waits (bounded) for the workers
// to upload what they sent. The caller merges.
func Coordinate(ctx context.Context, o CoordinatorOptions) (*Outcome, error) {
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	plan, st := o.Plan, o.Store
	body, err := plan.Marshal()
	if err != nil {
		return nil, err
	}
	if err := st.Put(ctx, KeyPlan, body); err != nil {
		return nil, err
	}
	out := &Outcome{Exits: map[Invocation]Exit{}}
	exits := make(chan Exit, plan.Workers*plan.Windows)
	var first []Invocation
	for k := range plan.Workers {
		first = append(first, Invocation{Index: k})
	}
	if err := o.Engine.Launch(ctx, first, exits); err != nil {
		return nil, fmt.Errorf("launch workers: %w", err)
	}
	pending := len(first)
	record := func(e Exit) {
		out.Exits[e.Invocation] = e
		pending--
		if e.Err != nil {
			fmt.Fprintf(log, "benchctl: %s failed: %v\n", e.Invocation, e.Err)
		}
	}

	// Ready barrier.
	ready := map[int]bool{}
	deadline := time.Now().Add(plan.ReadyTimeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for len(ready) < plan.Workers {
		keys, err := st.List(ctx, keyReady)
		if err != nil && ctx.Err() == nil {
			return nil, err
		}
		for _, key := range keys {
			name := strings.TrimPrefix(key, keyReady)
			if k, err := strconv.Atoi(name); err == nil {
				ready[k] = true
			}
		}
		gone := 0
		for inv := range out.Exits {
			if inv.Window == 0 && !ready[inv.Index] {
				gone++
			}
		}
		if len(ready)+gone >= plan.Workers || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		select {
		case e := <-exits:
			record(e)
		case <-tick.C:
		case <-ctx.Done():
		}
	}
	if ctx.Err() != nil {
		out.Interrupted = true
		o.stop(st, log)
		o.waitExits(exits, record, &pending, 15*time.Second)
		return out, nil
	}
	clock := MeasureClock(ctx, plan.NTPServer, st, KeyPlan)
	t0 := time.Now().Add(plan.LeadTime)
	if clock.Precise() {
		t0 = t0.Add(clock.Offset)
	}
	g := GoSignal{T0: t0.UTC().Round(time.Millisecond), ClockMethod: clock.Method, ClockOffsetMs: ms(clock.Offset)}
	for k := range plan.Workers {
		if ready[k] {
			g.Admitted = append(g.Admitted, k)
		}
	}
	if len(g.Admitted) < plan.Workers {
		fmt.Fprintf(log, "benchctl: %d of %d workers ready within %v; starting without the others (their shares are gaps)\n",
			len(g.Admitted), plan.Workers, plan.ReadyTimeout)
	}
	gb, _ := json.Marshal(g)
	if err := st.Put(ctx, KeyGo, gb); err != nil {
		return nil, err
	}
	out.Go = g
	if o.OnGo != nil {
		o.OnGo(g)
	}
	fmt.Fprintf(log, "benchctl: %d workers go at %s\n", len(g.Admitted), g.T0.Format(time.RFC3339Nano))

	// Later windows, each Handover before it starts; then wait.
	local0 := g.T0
	if clock.Precise() {
		local0 = local0.Add(-clock.Offset)
	}
	drain := o.Drain
	if drain <= 0 {
		drain = 10*time.Second + time.Minute
	}
	end := local0.Add(plan.Length() + drain)
	for w := 1; w < plan.Windows; w++ {
		at := local0.Add(plan.WindowStart(w) - o.Handover)
		if !o.waitUntil(ctx, at, exits, record) {
			out.Interrupted = true
			break
		}
		var invs []Invocation
		for k := range plan.Workers {
			invs = append(invs, Invocation{Index: k, Window: w})
		}
		if err := o.Engine.Launch(ctx, invs, exits); err != nil {
			fmt.Fprintf(log, "benchctl: launch window %d: %v\n", w, err)
			for _, inv := range invs {
				out.Exits[inv] = Exit{Invocation: inv, Err: err}
			}
			continue
		}
		pending += len(invs)
	}
	for pending > 0 && !out.Interrupted {
		select {
		case e := <-exits:
			record(e)
		case <-ctx.Done():
			out.Interrupted = true
		case <-time.After(time.Until(end)):
			fmt.Fprintf(log, "benchctl: %d invocations still running %v after the timeline ended; merging without them\n", pending, drain)
			o.stop(st, log)
			o.waitExits(exits, record, &pending, 5*time.Second)
			return out, nil
		}
	}
	if out.Interrupted {
		o.stop(st, log)
		o.waitExits(exits, record, &pending, 15*time.Second)
	}
	return out, nil
}

// waitUntil waits for at while recording exits; false when ctx ends first.
func (o CoordinatorOptions) waitUntil(ctx context.Context, at time.Time, exits <-chan Exit, record func(Exit)) bool {
	for {
		d := time.Until(at)
		if d <= 0 {
			return true
		}
		select {
		case e := <-exits:
			record(e)
		case <-time.After(d):
			return true
		case <-ctx.Done():
			return false
		}
	}
}

// stop writes the stop object (with its own short context).
func (o CoordinatorOptions) stop(st *Store, log io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := st.Put(ctx, KeyStop, []byte(time.Now().UTC().Format(time.RFC3339Nano))); err != nil {
		fmt.Fprintf(log, "benchctl: could not ask the workers to stop: %v\n", err)
	}
}

func (o CoordinatorOptions) waitExits(exits <-chan Exit, record func(Exit), pending *int, bound time.Duration) {
	deadline := time.After(bound)
	for *pending > 0 {
		select {
		case e := <-exits:
			record(e)
		case <-deadline:
			return
		}
	}
}

// ReadPlan reads the plan and go signal of a run (for collect).
func ReadPlan(ctx context.Context, st *Store) (*Plan, GoSignal, error) {
	var plan Plan
	var g GoSignal
	b, err := st.Get(ctx, KeyPlan)
	if err != nil {
		return nil, g, err
	}
	if err := json.Unmarshal(b, &plan); err != nil {
		return nil, g, fmt.Errorf("read plan: %w", err)
	}
	b, err = st.Get(ctx, KeyGo)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return &plan, g, fmt.Errorf("the run never started (no go signal): %w", err)
		}
		return &plan, g, err
	}
	if err := json.Unmarshal(b, &g); err != nil {
		return &plan, g, fmt.Errorf("read go: %w", err)
	}
	return &plan, g, nil
}
