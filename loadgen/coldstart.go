package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/benchctl/benchctl/results"
)

// Cold start experiment defaults.
const (
	// ColdEnvVar is the environment variable whose change forces fresh
	// instances: BENCHCTL_COLD=<sample number>.
	ColdEnvVar = "BENCHCTL_COLD"
	// DefaultColdStartPhase is the phase name of cold start records.
	DefaultColdStartPhase = "cold_starts"
	// DefaultInvokeTimeout bounds one experiment invoke.
	DefaultInvokeTimeout = 2 * time.Minute
	// DefaultInvokeMaxBody caps how much of a response body an experiment
	// invoke keeps (the rest is read and counted).
	DefaultInvokeMaxBody = 64 << 10
)

// EnvController reads, changes and restores a function's environment;
// *LambdaControl implements it.
type EnvController interface {
	Configuration(ctx context.Context) (FunctionConfig, error)
	SetEnvironment(ctx context.Context, env map[string]string) error
	Restore(ctx context.Context, fc FunctionConfig) error
}

var _ EnvController = (*LambdaControl)(nil)

// ColdStartOptions configures RunColdStarts.
type ColdStartOptions struct {
	// Samples is the number of forced cold starts (> 0).
	Samples int
	// WarmPerSample is the number of warm invokes after each cold one, for
	// the warm comparison (0 means 1; negative means none).
	WarmPerSample int
	// Payload is the request body of every invoke.
	Payload []byte
	// Encoder receives every record (required).
	Encoder results.Encoder
	// Phase names the records' phase; empty means DefaultColdStartPhase.
	Phase string
	// Timeout bounds each invoke; 0 means DefaultInvokeTimeout.
	Timeout time.Duration
}

// ColdStartStats counts what RunColdStarts did.
type ColdStartStats struct {
	Samples      int
	ColdObserved int
	Failed       int
	Warm         int
}

// RunColdStarts forces o.Samples cold starts of tgt's function: for each
// sample n it sets BENCHCTL_COLD=<n> (on top of the original environment)
// and waits for the update, which retires the existing instances, then
// invokes once (Step "cold_start") and o.WarmPerSample more times (Step
// "warm"), all with Experiment "cold_starts". Records go to o.Encoder with
// Seq counting from 0. The original configuration is restored at the end,
// also after an error or a cancelled ctx (fresh context, bounded by
// DefaultRestoreTimeout). A failed invoke is recorded, not returned.
func RunColdStarts(ctx context.Context, ctl EnvController, tgt Target, o ColdStartOptions) (st ColdStartStats, err error) {
	if o.Samples <= 0 {
		return st, fmt.Errorf("cold starts: samples must be > 0, got %d", o.Samples)
	}
	if o.Encoder == nil {
		return st, errors.New("cold starts: no encoder")
	}
	if o.Phase == "" {
		o.Phase = DefaultColdStartPhase
	}
	warm := o.WarmPerSample
	if warm == 0 {
		warm = 1
	}
	orig, err := ctl.Configuration(ctx)
	if err != nil {
		return st, fmt.Errorf("cold starts: read configuration: %w", err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultRestoreTimeout)
		defer cancel()
		if rerr := ctl.Restore(rctx, orig); rerr != nil {
			err = errors.Join(err, fmt.Errorf("cold starts: restore environment: %w", rerr))
		}
	}()
	var seq uint64
	invoke := func(step string) (*results.Record, error) {
		rec := InvokeOnce(ctx, tgt, o.Payload, o.Timeout)
		rec.Attack, rec.Phase, rec.Seq = o.Phase, o.Phase, seq
		rec.Step, rec.Experiment = step, ExperimentColdStarts
		seq++
		if err := o.Encoder(rec); err != nil {
			return rec, fmt.Errorf("cold starts: write record: %w", err)
		}
		return rec, nil
	}
	for n := 1; n <= o.Samples; n++ {
		if err := ctx.Err(); err != nil {
			return st, fmt.Errorf("cold starts: %w", err)
		}
		env := maps.Clone(orig.Environment)
		if env == nil {
			env = map[string]string{}
		}
		v := strconv.Itoa(n)
		if orig.Environment[ColdEnvVar] == v {
			v += "+"
		}
		env[ColdEnvVar] = v
		if err := ctl.SetEnvironment(ctx, env); err != nil {
			return st, fmt.Errorf("cold starts: sample %d: %w", n, err)
		}
		rec, err := invoke(StepColdStart)
		if err != nil {
			return st, err
		}
		st.Samples++
		if rec.Cold {
			st.ColdObserved++
		}
		if rec.ErrorClass != "" {
			st.Failed++
		}
		for range max(warm, 0) {
			if _, err := invoke(StepWarm); err != nil {
				return st, err
			}
			st.Warm++
		}
	}
	return st, nil
}

// InvokeOnce sends one request to tgt outside the attack loop (the same
// Request/Client/Annotate path vegeta uses) and returns its record:
// Timestamp/Intended are the send time, Latency/CorrectedLatency the time
// to the end of the body, transport errors classified. Phase, Seq and
// labels are left to the caller. timeout 0 means DefaultInvokeTimeout.
func InvokeOnce(ctx context.Context, tgt Target, body []byte, timeout time.Duration) *results.Record {
	if timeout <= 0 {
		timeout = DefaultInvokeTimeout
	}
	rec := &results.Record{Target: tgt.Name()}
	var vt vegeta.Target
	if err := tgt.Request(body, &vt); err != nil {
		rec.Error, rec.ErrorClass = "build request: "+err.Error(), results.ErrorClassOther
		rec.Timestamp, rec.Intended = time.Now(), time.Now()
		return rec
	}
	rec.Method, rec.URL, rec.BytesOut = vt.Method, vt.URL, uint64(len(vt.Body))
	req, err := vt.Request()
	if err != nil {
		rec.Error, rec.ErrorClass = "build request: "+err.Error(), results.ErrorClassOther
		rec.Timestamp, rec.Intended = time.Now(), time.Now()
		return rec
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req = req.WithContext(cctx)
	res := vegeta.Result{Method: vt.Method, URL: vt.URL, BytesOut: uint64(len(vt.Body))}
	start := time.Now()
	res.Timestamp = start
	resp, err := tgt.Client().Do(req)
	if err == nil {
		b, rerr := io.ReadAll(io.LimitReader(resp.Body, DefaultInvokeMaxBody))
		n, _ := io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		res.Code, res.Body, res.Headers = uint16(resp.StatusCode), b, resp.Header
		res.BytesIn = uint64(len(b)) + uint64(n)
		if resp.StatusCode < 200 || resp.StatusCode > 399 {
			res.Error = resp.Status
		}
		err = rerr
	}
	res.Latency = time.Since(start)
	if err != nil && res.Error == "" {
		res.Error = err.Error()
	}
	rec.Code, rec.Timestamp, rec.Intended = res.Code, res.Timestamp, res.Timestamp
	rec.Latency, rec.CorrectedLatency = res.Latency, res.Latency
	rec.BytesIn, rec.Error = res.BytesIn, res.Error
	rec.ErrorClass = ClassifyError(res.Code, res.Error)
	if err != nil {
		rec.ErrorClass = classifyTransportErr(err)
	}
	tgt.Annotate(&res, rec)
	return rec
}

// classifyTransportErr maps a client error to an error class.
func classifyTransportErr(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return results.ErrorClassTimeout
	case errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(err.Error(), "connection refused"):
		return results.ErrorClassConnRefused
	case errors.Is(err, syscall.ECONNRESET) || strings.Contains(err.Error(), "connection reset"):
		return results.ErrorClassConnReset
	}
	return results.ErrorClassOther
}
