// Package results owns benchctl's on-disk run format: the per-request Record,
// the run directory, the streaming encoders and decoders, and the summary.
//
// The Record is the one contract between the load generator (which only
// writes records through an Encoder) and the reports (which only read them
// through a Decoder).
package results

import (
	"net/http"
	"time"
)

// Record is one request as benchctl saw it. Its JSON field names are a
// superset of vegeta's JSON result encoding (attack, seq, code, timestamp,
// latency in ns, bytes_out, bytes_in, error, body, method, url, headers), so
// `vegeta report results.jsonl` reads a benchctl results file; benchctl's own
// fields sit beside them.
//
// Times are wall-clock; durations are nanoseconds in JSON, like vegeta's.
// Serverless fields are pointers so that "not reported" (nil) differs from 0.
type Record struct {
	// Vegeta-compatible fields.

	// Attack is the phase name (vegeta's attack name).
	Attack string `json:"attack"`
	// Seq is the request's index within its phase schedule.
	Seq uint64 `json:"seq"`
	// Code is the HTTP status code; 0 when no response arrived.
	Code uint16 `json:"code"`
	// Timestamp is the actual send time.
	Timestamp time.Time `json:"timestamp"`
	// Latency is measured from the actual send to the end of the response body (ns).
	Latency time.Duration `json:"latency"`
	// BytesOut is the request body size.
	BytesOut uint64 `json:"bytes_out"`
	// BytesIn is the response body size as read (capped by the target's max_body_bytes).
	BytesIn uint64 `json:"bytes_in"`
	// Error is the error text; empty on success.
	Error string `json:"error"`
	// Body is the (usually omitted) response body.
	Body []byte `json:"body,omitempty"`
	// Method is the HTTP method.
	Method string `json:"method,omitempty"`
	// URL is the request URL.
	URL string `json:"url,omitempty"`
	// Headers holds selected response headers.
	Headers http.Header `json:"headers,omitempty"`

	// benchctl fields.

	// Target is the scenario target name.
	Target string `json:"target"`
	// Phase is the scenario phase name.
	Phase string `json:"phase"`
	// Step labels the experiment step the record belongs to (e.g.
	// "memory_mb=512", "capacity_rps=40", "cold_start"), empty for plain phases.
	Step string `json:"step,omitempty"`
	// Experiment names the experiment (memory_sweep, cold_starts, capacity), if any.
	Experiment string `json:"experiment,omitempty"`
	// Trial is the trial (1..N) of a run with trials: N > 1; absent (0)
	// in a run of one trial.
	Trial int `json:"trial,omitempty"`
	// Intended is the send time the schedule asked for.
	Intended time.Time `json:"intended"`
	// CorrectedLatency is measured from the intended send time (ns): the
	// coordinated-omission-free figure.
	CorrectedLatency time.Duration `json:"corrected_latency"`
	// ErrorClass classifies a failure (see the ErrorClass constants); empty on success.
	ErrorClass string `json:"error_class,omitempty"`

	// Serverless fields, filled from the platform's REPORT line.

	// RequestID is the platform's request id (x-amzn-RequestId).
	RequestID string `json:"request_id,omitempty"`
	// DurationMs is the platform-measured handler duration.
	DurationMs *float64 `json:"duration_ms,omitempty"`
	// BilledDurationMs is the duration the platform billed.
	BilledDurationMs *float64 `json:"billed_duration_ms,omitempty"`
	// InitDurationMs is the init (cold start) duration, present on cold starts.
	InitDurationMs *float64 `json:"init_duration_ms,omitempty"`
	// RestoreDurationMs and BilledRestoreDurationMs are SnapStart's.
	RestoreDurationMs       *float64 `json:"restore_duration_ms,omitempty"`
	BilledRestoreDurationMs *float64 `json:"billed_restore_duration_ms,omitempty"`
	// MemorySizeMB is the configured memory the platform reported.
	MemorySizeMB *int `json:"memory_size_mb,omitempty"`
	// MaxMemoryUsedMB is the peak memory the platform reported.
	MaxMemoryUsedMB *int `json:"max_memory_used_mb,omitempty"`
	// Cold is true when the request started a new instance.
	Cold bool `json:"cold,omitempty"`
	// FunctionError is the X-Amz-Function-Error value (Unhandled, Handled).
	FunctionError string `json:"function_error,omitempty"`
	// ReportStatus is the REPORT line's Status (timeout, error), if any.
	ReportStatus string `json:"report_status,omitempty"`
	// ReportError records why a log tail could not be parsed; the record is kept.
	ReportError string `json:"report_error,omitempty"`
	// ServerTimingMs is the Server-Timing total the target sent, if any.
	ServerTimingMs *float64 `json:"server_timing_ms,omitempty"`
}

// Error classes recorded in Record.ErrorClass.
const (
	ErrorClassTimeout       = "timeout"
	ErrorClassConnRefused   = "connection_refused"
	ErrorClassConnReset     = "connection_reset"
	ErrorClassHTTP4xx       = "http_4xx"
	ErrorClassHTTP5xx       = "http_5xx"
	ErrorClassBodyTooLarge  = "body_too_large"
	ErrorClassDropped       = "generator_drop"
	ErrorClassThrottle      = "throttle"
	ErrorClassFunctionError = "function_error"
	ErrorClassOther         = "other"
	// ErrorClassInterrupted is a request that was sent but still in flight
	// when the run stopped (Ctrl-C past the drain bound, or a second
	// Ctrl-C): it has no response, and its latency runs to the stop.
	ErrorClassInterrupted = "interrupted"
)
