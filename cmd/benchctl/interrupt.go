package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// InterruptGrace is how long a command may take to return after the first
// SIGINT or SIGTERM before benchctl ends it with ExitInterrupted: under a
// second, so that every command exits within a second of Ctrl-C.
const InterruptGrace = 800 * time.Millisecond

// interrupts is benchctl's one signal rule, the same for every command:
//
//   - the first SIGINT or SIGTERM cancels the context the command runs
//     under. Every loop watches that context, so the command returns and
//     benchctl exits 130; a command still running InterruptGrace (0.8 s)
//     later is ended with exit 130 and a message saying so (a command must
//     never ignore Ctrl-C);
//   - a command that has work to finish after the first interrupt (run:
//     stop sending, wait for the requests in flight, save what was
//     recorded; the servers: stop their processes) holds a drain
//     (drainOnInterrupt) while it does: the grace does not apply to it;
//   - a second signal exits 130 at once, after the drain's abort function
//     (run: record the requests still in flight, flush results.jsonl).
//
// Commands reach it through their context (drainOnInterrupt); Main run
// without it (tests) has no signal handling and drains are no-ops.
type interrupts struct {
	cancel context.CancelFunc
	errOut io.Writer
	exit   func(code int)
	grace  time.Duration

	mu       sync.Mutex
	count    int
	drains   []*drain
	watchdog *time.Timer
	// returned is set once the command returned: the watchdog stands down.
	returned bool
}

// drain is a command's work after the first interrupt.
type drain struct {
	// note says what the command is doing now (printed on the first
	// interrupt), e.g. "stopping: waiting for requests in flight".
	note func() string
	// abort runs on the second interrupt, before the exit.
	abort func()
}

type interruptsKey struct{}

// newInterrupts derives the context a command runs under from parent;
// interrupt() (called for each signal by notify) applies the rule to it.
// exit ends the process (os.Exit in main).
func newInterrupts(parent context.Context, errOut io.Writer, exit func(int)) (context.Context, *interrupts) {
	ctx, cancel := context.WithCancel(parent)
	in := &interrupts{cancel: cancel, errOut: errOut, exit: exit, grace: InterruptGrace}
	return context.WithValue(ctx, interruptsKey{}, in), in
}

// notify delivers SIGINT and SIGTERM to interrupt until stop is called.
func (in *interrupts) notify() (stop func()) {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-ch:
				in.interrupt()
			}
		}
	}()
	return func() { signal.Stop(ch); close(done) }
}

// interrupt applies the rule to one signal.
func (in *interrupts) interrupt() {
	in.mu.Lock()
	in.count++
	var d *drain
	if n := len(in.drains); n > 0 {
		d = in.drains[n-1]
	}
	if in.count == 1 {
		in.cancel()
		if d != nil {
			note := "stopping"
			if d.note != nil {
				note = d.note()
			}
			fmt.Fprintf(in.errOut, "\nbenchctl: interrupted: %s (Ctrl-C again to exit at once)\n", note)
		} else {
			in.armLocked()
		}
		in.mu.Unlock()
		return
	}
	in.mu.Unlock()
	if d != nil && d.abort != nil {
		d.abort()
	}
	fmt.Fprintln(in.errOut, "\nbenchctl: second interrupt: exiting now")
	in.exit(int(ExitInterrupted))
}

// armLocked starts the grace period after which a command that ignores
// the cancelled context is ended. in.mu is held.
func (in *interrupts) armLocked() {
	if in.watchdog != nil || in.returned {
		return
	}
	in.watchdog = time.AfterFunc(in.grace, func() {
		in.mu.Lock()
		if in.returned || len(in.drains) > 0 {
			in.watchdog = nil
			in.mu.Unlock()
			return
		}
		in.mu.Unlock()
		fmt.Fprintf(in.errOut, "\nbenchctl: interrupted: the command did not stop within %v of Ctrl-C; exiting\n", in.grace)
		in.exit(int(ExitInterrupted))
	})
}

// done tells the rule that the command returned.
func (in *interrupts) done() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.returned = true
	if in.watchdog != nil {
		in.watchdog.Stop()
	}
}

// drainOnInterrupt registers the command's work after the first interrupt
// (see interrupts) until release is called; once no drain is held after
// an interrupt, the grace period starts. Without the rule in ctx (Main
// called directly, as tests do) it does nothing.
func drainOnInterrupt(ctx context.Context, note func() string, abort func()) (release func()) {
	in, _ := ctx.Value(interruptsKey{}).(*interrupts)
	if in == nil {
		return func() {}
	}
	d := &drain{note: note, abort: abort}
	in.mu.Lock()
	in.drains = append(in.drains, d)
	if in.watchdog != nil {
		in.watchdog.Stop()
		in.watchdog = nil
	}
	in.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			in.mu.Lock()
			defer in.mu.Unlock()
			for i, x := range in.drains {
				if x == d {
					in.drains = append(in.drains[:i], in.drains[i+1:]...)
					break
				}
			}
			if in.count > 0 && len(in.drains) == 0 {
				in.armLocked()
			}
		})
	}
}

// mainWithSignals runs Main under the signal rule and returns the exit
// code (main and the tests' child processes call it).
func mainWithSignals(args []string, streams *IOStreams) ExitCode {
	ctx, in := newInterrupts(context.Background(), streams.Err, os.Exit)
	stop := in.notify()
	defer stop()
	code := Main(ctx, args, streams)
	in.done()
	return code
}
