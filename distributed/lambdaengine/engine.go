// Package lambdaengine runs distributed workers as AWS Lambda invocations
// of `benchctl worker` (on AWS, or on benchctl's local Lambda-compatible
// platform through the same SDK calls): Deploy creates or updates the
// worker function in each region from a .zip package, one synchronous
// Invoke per worker and window runs it with the SDK's retries off (so a
// failed invocation is a gap, never replayed load), and Close deletes or
// updates back what Deploy changed.
package lambdaengine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/benchctl/benchctl/distributed"
	"github.com/benchctl/benchctl/lambdareport"
)

// Window margins: a window is the function timeout less the warm-up and
// handover before it and the drain and upload after it.
const (
	// DefaultHandover is how early the next window's invocation starts.
	DefaultHandover = 30 * time.Second
	// drainMargin is kept after a window for requests in flight and uploads.
	drainMargin = 30 * time.Second
)

// Options configures New.
type Options struct {
	// Function is the worker function's name (in every region).
	Function string
	// Regions is each worker's region (one per worker index).
	Regions []string
	// Endpoint, when set, is a Lambda-compatible endpoint (the local
	// platform) used for every region, with static credentials.
	Endpoint string
	// Store is the run's folder, passed in every event.
	Store distributed.StoreRef
	// Timeout is the worker function's timeout (it sets the window).
	Timeout time.Duration
	// Window and Handover override the derived window (tests, short
	// functions); Window is capped at distributed.MaxLambdaWindow.
	Window, Handover time.Duration
	// LeadTime is the plan's lead time: the first window's invocation
	// waits for the ready barrier and the lead time before it sends.
	LeadTime time.Duration
}

// readyAllowance is what the first invocation is given to start and be
// ready, on top of the lead time.
const readyAllowance = time.Second

// Engine invokes the worker function. It implements distributed.Engine
// and distributed.Windowed.
type Engine struct {
	o       Options
	clients map[string]*lambda.Client
	wg      sync.WaitGroup
	// deployed is what Deploy did per region (Close undoes it).
	deployed []deployment
}

var (
	_ distributed.Engine   = (*Engine)(nil)
	_ distributed.Windowed = (*Engine)(nil)
)

// New builds one Lambda client per region (retries off: RetryMaxAttempts
// 1, so an invocation is never sent twice by the SDK).
func New(ctx context.Context, o Options) (*Engine, error) {
	if o.Function == "" {
		return nil, errors.New("lambda engine: no function name")
	}
	e := &Engine{o: o, clients: map[string]*lambda.Client{}}
	// A synchronous Invoke lasts as long as the window: no client timeout
	// shorter than the function's.
	hc := &http.Client{Timeout: o.Timeout + 2*time.Minute}
	for _, r := range o.Regions {
		if _, ok := e.clients[r]; ok {
			continue
		}
		if o.Endpoint != "" {
			e.clients[r] = lambda.New(lambda.Options{Region: r, BaseEndpoint: aws.String(o.Endpoint), RetryMaxAttempts: 1,
				HTTPClient: hc, Credentials: credentials.NewStaticCredentialsProvider("benchctl", "benchctl-local", "")})
			continue
		}
		cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(r), config.WithRetryMaxAttempts(1), config.WithHTTPClient(hc))
		if err != nil {
			return nil, fmt.Errorf("lambda engine: aws config for %s: %w", r, err)
		}
		e.clients[r] = lambda.NewFromConfig(cfg)
	}
	return e, nil
}

// Window is the longest stretch one invocation runs: the function
// timeout less the handover and a drain margin, at most 14 minutes.
func (e *Engine) Window() (window, handover time.Duration) { return e.o.Windows() }

// Windows is the window and handover of these options (see Engine.Window).
func (o Options) Windows() (window, handover time.Duration) {
	handover = o.Handover
	if handover <= 0 {
		handover = min(DefaultHandover, o.Timeout/4)
	}
	// Every invocation must fit its time before the window (the handover,
	// or for the first one the barrier and lead time), the window, and the
	// drain and upload after it into the function timeout.
	before := max(handover, o.LeadTime+readyAllowance)
	limit := o.Timeout - before - o.drain()
	window = o.Window
	if window <= 0 || window > limit {
		window = limit
	}
	return min(window, distributed.MaxLambdaWindow), handover
}

func (o Options) drain() time.Duration { return min(drainMargin, o.Timeout/4) }

// Invocations bounds what one worker's invocations last over a timeline
// of the given length: one per window, each from its start (the barrier
// and lead time for the first, the handover for the others) through its
// part of the timeline and the drain, never more than the function
// timeout. It is what the pre-run spend estimate prices.
func (o Options) Invocations(timeline time.Duration) []time.Duration {
	window, handover := o.Windows()
	if window <= 0 {
		return nil
	}
	n := 1
	if timeline > window {
		n = int((timeline + window - 1) / window)
	}
	out := make([]time.Duration, n)
	for w := range n {
		span := min(window, timeline-time.Duration(w)*window)
		before := handover
		if w == 0 {
			before = o.LeadTime + readyAllowance
		}
		out[w] = min(o.Timeout, before+span+o.drain())
	}
	return out
}

// Launch invokes each worker synchronously in its own goroutine and
// reports its end from the response: a function error or a failed call
// is the invocation's error; the REPORT line gives its billed duration.
func (e *Engine) Launch(ctx context.Context, invs []distributed.Invocation, exits chan<- distributed.Exit) error {
	for _, inv := range invs {
		if inv.Index < 0 || inv.Index >= len(e.o.Regions) {
			return fmt.Errorf("lambda engine: worker %d has no region", inv.Index)
		}
		c := e.clients[e.o.Regions[inv.Index]]
		payload, err := json.Marshal(distributed.EventFor(e.o.Store, inv))
		if err != nil {
			return err
		}
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			exits <- e.invoke(context.WithoutCancel(ctx), c, inv, payload)
		}()
	}
	return nil
}

// invoke runs one invocation to its end (a Ctrl-C reaches the worker
// through the store's stop object, not by dropping the call).
func (e *Engine) invoke(ctx context.Context, c *lambda.Client, inv distributed.Invocation, payload []byte) distributed.Exit {
	ex := distributed.Exit{Invocation: inv}
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(e.o.Function), Payload: payload,
		InvocationType: types.InvocationTypeRequestResponse, LogType: types.LogTypeTail})
	if err != nil {
		ex.Err = fmt.Errorf("invoke %s: %w", e.o.Function, err)
		return ex
	}
	if rep, err := lambdareport.ParseLogResult(aws.ToString(out.LogResult)); err == nil {
		ex.BilledMs, ex.MemoryMB = rep.BilledDurationMs, rep.MemorySizeMB
	}
	if out.FunctionError != nil {
		var fe struct {
			ErrorMessage string `json:"errorMessage"`
			ErrorType    string `json:"errorType"`
		}
		_ = json.Unmarshal(out.Payload, &fe)
		ex.Err = fmt.Errorf("function error %s: %s", strings.TrimSpace(fe.ErrorType+" "+aws.ToString(out.FunctionError)), fe.ErrorMessage)
	}
	return ex
}

// Close waits for the invocations in flight to report (bounded by ctx),
// then undoes Deploy: it deletes the functions it created and updates
// back the ones it changed.
func (e *Engine) Close(ctx context.Context) error {
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("lambda engine: invocations still running: %w", ctx.Err())
	}
	return errors.Join(err, e.undeploy(ctx))
}
