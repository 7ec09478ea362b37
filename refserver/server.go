// Package refserver is benchctl's reference CPU inference server: an HTTP
// front end to an inference.Model with a fixed pool of inference workers, a
// bounded queue (503 + Retry-After when full, never unbounded memory),
// optional dynamic batching (TorchServe/Triton style max batch / max wait),
// strict input validation and Prometheus metrics.
//
// Endpoints:
//
//	POST /v1/sentiment   {"text": "..."}          → {"label","score","probabilities","tokens","inference_ms","queue_ms","batch_size"}
//	POST /v1/similarity  {"a": "...", "b": "..."} → {"score","tokens","inference_ms","queue_ms","batch_size"}
//	POST /v1/embed       {"text": "..."}          → {"embedding","dim","tokens","inference_ms","queue_ms","batch_size"}
//	GET  /healthz                                 → {"status":"ok"}
//	GET  /v1/info                                 → model, shape, parameters, weights kind, load time, server settings, build
//	GET  /metrics                                 → Prometheus text format
//
// inference_ms is the wall time of the batch that served the request
// (tokenize, forward pass, head); queue_ms is the time spent waiting for a
// worker. Both are also sent as `Server-Timing: inference;dur=<ms>,
// queue;dur=<ms>`.
//
// Errors are JSON {"error": "<what is wrong>", "code": "<code>"}: 400 for
// invalid JSON (invalid_json), a missing or non-string field
// (missing_field), empty or blank text (empty_text), a text over the byte
// cap (text_too_long) and a Content-Type other than application/json
// (unsupported_content_type; an absent Content-Type is accepted as JSON);
// 413 for a body over the body cap (body_too_large); 503 with Retry-After
// when the queue is full (queue_full) or the server is shutting down
// (shutting_down); 500 if inference fails (inference_failed).
package refserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/benchctl/benchctl/inference"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Defaults of the server options.
const (
	// DefaultQueueSize is how many requests may wait for a worker.
	DefaultQueueSize = 128
	// DefaultMaxBatch is 1: no dynamic batching.
	DefaultMaxBatch = 1
	// DefaultMaxWait is how long a worker holding a partial batch waits
	// for more requests (0: take only what is already queued).
	DefaultMaxWait = 0
	// DefaultMaxBodyBytes caps a request body (http.MaxBytesReader).
	DefaultMaxBodyBytes = 64 << 10
	// DefaultMaxTextBytes caps each text field.
	DefaultMaxTextBytes = 16 << 10
	// DefaultShutdownTimeout bounds the graceful shutdown in Serve.
	DefaultShutdownTimeout = 30 * time.Second
	// RetryAfterSeconds is the Retry-After sent with a 503.
	RetryAfterSeconds = 1
)

// DefaultWorkers is the default inference worker count: GOMAXPROCS.
func DefaultWorkers() int { return runtime.GOMAXPROCS(0) }

// Option configures New.
type Option func(*options) error

type options struct {
	workers         int
	queue           int
	maxBatch        int
	maxWait         time.Duration
	maxBody         int64
	maxText         int
	shutdownTimeout time.Duration
	logger          *slog.Logger
}

// WithWorkers sets the number of inference workers (≥ 1); each runs one
// forward pass at a time on its own goroutine.
func WithWorkers(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("workers %d: must be at least 1", n)
		}
		o.workers = n
		return nil
	}
}

// WithQueueSize sets how many requests may wait for a worker (≥ 0); when
// the queue is full requests get 503.
func WithQueueSize(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("queue size %d: must not be negative", n)
		}
		o.queue = n
		return nil
	}
}

// WithMaxBatch sets the largest batch a worker runs as one forward pass (≥ 1).
func WithMaxBatch(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("max batch %d: must be at least 1", n)
		}
		o.maxBatch = n
		return nil
	}
}

// WithMaxWait sets how long a worker with a partial batch waits for more
// requests before running it (≥ 0).
func WithMaxWait(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("max wait %s: must not be negative", d)
		}
		o.maxWait = d
		return nil
	}
}

// WithMaxBodyBytes caps request bodies (≥ 64).
func WithMaxBodyBytes(n int64) Option {
	return func(o *options) error {
		if n < 64 {
			return fmt.Errorf("max body bytes %d: must be at least 64", n)
		}
		o.maxBody = n
		return nil
	}
}

// WithMaxTextBytes caps each text field (≥ 1).
func WithMaxTextBytes(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("max text bytes %d: must be at least 1", n)
		}
		o.maxText = n
		return nil
	}
}

// WithShutdownTimeout bounds Serve's graceful shutdown (> 0).
func WithShutdownTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("shutdown timeout %s: must be positive", d)
		}
		o.shutdownTimeout = d
		return nil
	}
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("logger: nil")
		}
		o.logger = l
		return nil
	}
}

// inferFunc runs a batch; the model's Infer in production.
type inferFunc func(ctx context.Context, reqs []inference.Request) ([]inference.Result, error)

// Server serves one model. Create it with New; its workers run until Close
// (which Serve calls on the way out).
type Server struct {
	model *inference.Model
	info  inference.Info
	opts  options
	infer inferFunc

	queue   chan *job
	stop    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
	mu      sync.RWMutex // guards closed against submits racing Close
	closed  bool
	handler http.Handler

	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	inferSecs *prometheus.HistogramVec
	queueSecs prometheus.Histogram
	batchSize prometheus.Histogram
	inflight  prometheus.Gauge
}

type job struct {
	req      inference.Request
	enqueued time.Time
	done     chan jobResult // buffered 1
	ctx      context.Context
}

type jobResult struct {
	res       inference.Result
	err       error
	queueMs   float64
	batchSize int
}

// errServerClosed is the result of jobs still queued when the server closes.
var errServerClosed = errors.New("server shutting down")

// New builds a server for model and starts its workers.
func New(model *inference.Model, opts ...Option) (*Server, error) {
	if model == nil {
		return nil, errors.New("refserver: nil model")
	}
	o := options{
		workers: DefaultWorkers(), queue: DefaultQueueSize, maxBatch: DefaultMaxBatch,
		maxWait: DefaultMaxWait, maxBody: DefaultMaxBodyBytes, maxText: DefaultMaxTextBytes,
		shutdownTimeout: DefaultShutdownTimeout,
		logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("refserver: %w", err)
		}
	}
	if int64(o.maxText) > o.maxBody {
		return nil, fmt.Errorf("refserver: max text bytes %d exceeds max body bytes %d", o.maxText, o.maxBody)
	}
	s := &Server{
		model: model, info: model.Info(), opts: o, infer: model.Infer,
		queue: make(chan *job, o.queue), stop: make(chan struct{}),
	}
	s.initMetrics()
	s.handler = s.routes()
	for i := 0; i < o.workers; i++ {
		s.wg.Add(1)
		go s.worker()
	}
	return s, nil
}

func (s *Server) initMetrics() {
	s.reg = prometheus.NewRegistry()
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "benchctl_refserver_requests_total",
		Help: "HTTP requests by endpoint and status code.",
	}, []string{"endpoint", "code"})
	s.inferSecs = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "benchctl_refserver_inference_seconds",
		Help:    "Wall time of the batch (tokenize, forward pass, head) that served each request, by task.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"task"})
	s.queueSecs = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "benchctl_refserver_queue_wait_seconds",
		Help:    "Time requests waited in the queue for a worker.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 18),
	})
	s.batchSize = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "benchctl_refserver_batch_size",
		Help:    "Requests per forward pass.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
	})
	s.inflight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "benchctl_refserver_inflight_requests",
		Help: "Inference requests accepted and not yet answered (queued or running).",
	})
	queueDepth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "benchctl_refserver_queue_depth",
		Help: "Requests waiting for a worker.",
	}, func() float64 { return float64(len(s.queue)) })
	queueCap := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "benchctl_refserver_queue_capacity",
		Help: "Queue size; requests beyond it get 503.",
	})
	queueCap.Set(float64(s.opts.queue))
	workers := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "benchctl_refserver_workers",
		Help: "Inference workers.",
	})
	workers.Set(float64(s.opts.workers))
	loadSecs := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "benchctl_refserver_model_load_seconds",
		Help: "Time taken to load or generate the model weights.",
	})
	loadSecs.Set(s.info.LoadMs / 1000)
	s.reg.MustRegister(s.requests, s.inferSecs, s.queueSecs, s.batchSize, s.inflight,
		queueDepth, queueCap, workers, loadSecs)
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Registry returns the server's Prometheus registry (served on /metrics).
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// Serve serves HTTP on ln until ctx is cancelled, then shuts down
// gracefully: it stops accepting, lets in-flight requests finish (bounded by
// the shutdown timeout), and stops the workers. It returns nil after a
// graceful shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.opts.logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.opts.logger.Info("serving", "addr", ln.Addr().String(), "model", s.info.Model,
		"workers", s.opts.workers, "queue", s.opts.queue, "max_batch", s.opts.maxBatch, "max_wait", s.opts.maxWait)
	select {
	case err := <-errc:
		s.Close()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.opts.logger.Info("shutting down", "timeout", s.opts.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.shutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	s.Close()
	if err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	s.opts.logger.Info("stopped")
	return nil
}

// Close stops the workers after the jobs they hold; requests still queued
// get 503 shutting_down. It is safe to call more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.stop)
		s.wg.Wait()
		// Fail anything left in the queue.
		for {
			select {
			case j := <-s.queue:
				j.done <- jobResult{err: errServerClosed}
			default:
				return
			}
		}
	})
}

// worker runs batches until stop. A batch is the first queued job plus
// whatever else arrives within maxWait, up to maxBatch.
func (s *Server) worker() {
	defer s.wg.Done()
	batch := make([]*job, 0, s.opts.maxBatch)
	reqs := make([]inference.Request, 0, s.opts.maxBatch)
	var timer *time.Timer
	if s.opts.maxWait > 0 {
		timer = time.NewTimer(time.Hour)
		timer.Stop()
	}
	for {
		batch = batch[:0]
		select {
		case <-s.stop:
			return
		case j := <-s.queue:
			batch = append(batch, j)
		}
		if s.opts.maxBatch > 1 {
			batch = s.fill(batch, timer)
		}
		s.run(batch, reqs[:0])
	}
}

// fill adds queued jobs to batch up to maxBatch, waiting at most maxWait.
func (s *Server) fill(batch []*job, timer *time.Timer) []*job {
	// What is already queued.
	for len(batch) < s.opts.maxBatch {
		select {
		case j := <-s.queue:
			batch = append(batch, j)
			continue
		default:
		}
		break
	}
	if timer == nil || len(batch) >= s.opts.maxBatch {
		return batch
	}
	timer.Reset(s.opts.maxWait)
	defer timer.Stop()
	for len(batch) < s.opts.maxBatch {
		select {
		case j := <-s.queue:
			batch = append(batch, j)
		case <-timer.C:
			return batch
		case <-s.stop:
			return batch
		}
	}
	return batch
}

// run serves one batch, skipping jobs whose client has gone.
func (s *Server) run(batch []*job, reqs []inference.Request) {
	start := time.Now()
	live := batch[:0]
	for _, j := range batch {
		if j.ctx.Err() != nil {
			j.done <- jobResult{err: j.ctx.Err()}
			continue
		}
		live = append(live, j)
		reqs = append(reqs, j.req)
	}
	if len(live) == 0 {
		return
	}
	s.batchSize.Observe(float64(len(live)))
	res, err := s.infer(context.Background(), reqs)
	for i, j := range live {
		qms := float64(start.Sub(j.enqueued).Nanoseconds()) / 1e6
		s.queueSecs.Observe(qms / 1000)
		if err != nil {
			j.done <- jobResult{err: err, queueMs: qms, batchSize: len(live)}
			continue
		}
		s.inferSecs.WithLabelValues(string(j.req.Task)).Observe(res[i].InferenceMs / 1000)
		j.done <- jobResult{res: res[i], queueMs: qms, batchSize: len(live)}
	}
}

// submit queues req and waits for its result. It returns errQueueFull
// without waiting when the queue is full.
func (s *Server) submit(ctx context.Context, req inference.Request) (jobResult, error) {
	j := &job{req: req, enqueued: time.Now(), done: make(chan jobResult, 1), ctx: ctx}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return jobResult{}, errServerClosed
	}
	select {
	case s.queue <- j:
	default:
		s.mu.RUnlock()
		return jobResult{}, errQueueFull
	}
	s.mu.RUnlock()
	s.inflight.Inc()
	defer s.inflight.Dec()
	select {
	case r := <-j.done:
		return r, r.err
	case <-ctx.Done():
		return jobResult{}, ctx.Err()
	}
}

var errQueueFull = errors.New("queue full")

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/sentiment", s.handleTask(inference.TaskSentiment))
	mux.HandleFunc("POST /v1/similarity", s.handleTask(inference.TaskSimilarity))
	mux.HandleFunc("POST /v1/embed", s.handleTask(inference.TaskEmbed))
	mux.HandleFunc("GET /healthz", s.count("/healthz", func(w http.ResponseWriter, r *http.Request) int {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return http.StatusOK
	}))
	mux.HandleFunc("GET /v1/info", s.count("/v1/info", func(w http.ResponseWriter, r *http.Request) int {
		writeJSON(w, http.StatusOK, s.Info())
		return http.StatusOK
	}))
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	return mux
}

// count wraps a handler that returns its status code with the request counter.
func (s *Server) count(endpoint string, h func(http.ResponseWriter, *http.Request) int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		code := h(w, r)
		s.requests.WithLabelValues(endpoint, strconv.Itoa(code)).Inc()
	}
}

// ServerInfo is the server part of /v1/info.
type ServerInfo struct {
	Workers      int     `json:"workers"`
	QueueSize    int     `json:"queue_size"`
	MaxBatch     int     `json:"max_batch"`
	MaxWaitMs    float64 `json:"max_wait_ms"`
	MaxBodyBytes int64   `json:"max_body_bytes"`
	MaxTextBytes int     `json:"max_text_bytes"`
	GOMAXPROCS   int     `json:"gomaxprocs"`
}

// BuildInfo is the build part of /v1/info.
type BuildInfo struct {
	GoVersion string `json:"go_version"`
	Module    string `json:"module,omitempty"`
	Version   string `json:"version,omitempty"`
	Revision  string `json:"revision,omitempty"`
}

// Info is the /v1/info document.
type Info struct {
	inference.Info
	Server ServerInfo `json:"server"`
	Build  BuildInfo  `json:"build"`
}

// Info describes the model, the server settings and the build.
func (s *Server) Info() Info {
	bi := BuildInfo{GoVersion: runtime.Version()}
	if b, ok := debug.ReadBuildInfo(); ok {
		bi.Module, bi.Version = b.Main.Path, b.Main.Version
		for _, st := range b.Settings {
			if st.Key == "vcs.revision" {
				bi.Revision = st.Value
			}
		}
	}
	return Info{
		Info: s.model.Info(),
		Server: ServerInfo{
			Workers: s.opts.workers, QueueSize: s.opts.queue, MaxBatch: s.opts.maxBatch,
			MaxWaitMs: float64(s.opts.maxWait.Microseconds()) / 1000, MaxBodyBytes: s.opts.maxBody,
			MaxTextBytes: s.opts.maxText, GOMAXPROCS: runtime.GOMAXPROCS(0),
		},
		Build: bi,
	}
}

// apiError is the JSON error body.
type apiError struct {
	status int
	Error  string `json:"error"`
	Code   string `json:"code"`
}

func badRequest(code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, Code: code, Error: fmt.Sprintf(format, args...)}
}

// taskBody is the union of the task request bodies; pointers tell a
// missing field from an empty one.
type taskBody struct {
	Text *string `json:"text"`
	A    *string `json:"a"`
	B    *string `json:"b"`
}

// decode reads and validates a task request body.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, task inference.Task) (inference.Request, *apiError) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return inference.Request{}, badRequest("unsupported_content_type", "content type %q: want application/json", ct)
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.maxBody)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return inference.Request{}, &apiError{status: http.StatusRequestEntityTooLarge, Code: "body_too_large",
				Error: fmt.Sprintf("request body over %d bytes", mbe.Limit)}
		}
		return inference.Request{}, badRequest("invalid_body", "read request body: %v", err)
	}
	// Reject non-object JSON and bad syntax with the decoder's message.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return inference.Request{}, badRequest("invalid_json", "invalid JSON body: %v", err)
	}
	fields := []string{"text"}
	if task == inference.TaskSimilarity {
		fields = []string{"a", "b"}
	}
	vals := make([]string, len(fields))
	for i, f := range fields {
		msg, ok := raw[f]
		if !ok || string(msg) == "null" {
			return inference.Request{}, badRequest("missing_field", "missing field %q", f)
		}
		if err := json.Unmarshal(msg, &vals[i]); err != nil {
			return inference.Request{}, badRequest("missing_field", "field %q must be a string", f)
		}
		if strings.TrimSpace(vals[i]) == "" {
			return inference.Request{}, badRequest("empty_text", "field %q is empty", f)
		}
		if len(vals[i]) > s.opts.maxText {
			return inference.Request{}, badRequest("text_too_long", "field %q is %d bytes, over the %d-byte cap", f, len(vals[i]), s.opts.maxText)
		}
	}
	req := inference.Request{Task: task, Text: vals[0]}
	if task == inference.TaskSimilarity {
		req.TextB = vals[1]
	}
	return req, nil
}

func (s *Server) handleTask(task inference.Task) http.HandlerFunc {
	endpoint := "/v1/" + string(task)
	return s.count(endpoint, func(w http.ResponseWriter, r *http.Request) int {
		req, apiErr := s.decode(w, r, task)
		if apiErr != nil {
			return writeError(w, apiErr)
		}
		jr, err := s.submit(r.Context(), req)
		switch {
		case errors.Is(err, errQueueFull):
			w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
			return writeError(w, &apiError{status: http.StatusServiceUnavailable, Code: "queue_full",
				Error: fmt.Sprintf("inference queue full (%d waiting); retry later", s.opts.queue)})
		case errors.Is(err, errServerClosed):
			w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
			return writeError(w, &apiError{status: http.StatusServiceUnavailable, Code: "shutting_down", Error: "server shutting down"})
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			// The client went away; nobody reads this.
			return 499
		case err != nil:
			s.opts.logger.Error("inference failed", "task", task, "err", err)
			return writeError(w, &apiError{status: http.StatusInternalServerError, Code: "inference_failed", Error: "inference failed: " + err.Error()})
		}
		res := jr.res
		w.Header().Set("Server-Timing", fmt.Sprintf("inference;dur=%.3f, queue;dur=%.3f", res.InferenceMs, jr.queueMs))
		var out any
		switch task {
		case inference.TaskSentiment:
			out = sentimentResponse{Label: res.Label, Score: res.Score, Probabilities: res.Probabilities,
				Tokens: res.Tokens, InferenceMs: res.InferenceMs, QueueMs: jr.queueMs, BatchSize: jr.batchSize}
		case inference.TaskSimilarity:
			out = similarityResponse{Score: res.Score, Tokens: res.Tokens, InferenceMs: res.InferenceMs,
				QueueMs: jr.queueMs, BatchSize: jr.batchSize}
		default:
			out = embedResponse{Embedding: res.Embedding, Dim: len(res.Embedding), Tokens: res.Tokens,
				InferenceMs: res.InferenceMs, QueueMs: jr.queueMs, BatchSize: jr.batchSize}
		}
		writeJSON(w, http.StatusOK, out)
		return http.StatusOK
	})
}

type sentimentResponse struct {
	Label         string    `json:"label"`
	Score         float64   `json:"score"`
	Probabilities []float64 `json:"probabilities"`
	Tokens        int       `json:"tokens"`
	InferenceMs   float64   `json:"inference_ms"`
	QueueMs       float64   `json:"queue_ms"`
	BatchSize     int       `json:"batch_size"`
}

type similarityResponse struct {
	Score       float64 `json:"score"`
	Tokens      int     `json:"tokens"`
	InferenceMs float64 `json:"inference_ms"`
	QueueMs     float64 `json:"queue_ms"`
	BatchSize   int     `json:"batch_size"`
}

type embedResponse struct {
	Embedding   []float32 `json:"embedding"`
	Dim         int       `json:"dim"`
	Tokens      int       `json:"tokens"`
	InferenceMs float64   `json:"inference_ms"`
	QueueMs     float64   `json:"queue_ms"`
	BatchSize   int       `json:"batch_size"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, e *apiError) int {
	writeJSON(w, e.status, e)
	return e.status
}
