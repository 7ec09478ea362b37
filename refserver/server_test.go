package refserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benchctl/benchctl/inference"
)

func tinyModel(t testing.TB) *inference.Model {
	t.Helper()
	m, err := inference.New(inference.Config{Name: "tiny", Layers: 2, Hidden: 16, Heads: 2, FFN: 32,
		Vocab: 200, MaxPositions: 64, MaxSeqLen: 48, TypeVocab: 2})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func newServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := New(tinyModel(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func post(t testing.TB, h http.Handler, path, contentType, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithMaxTextBytes(100), WithMaxBodyBytes(1000))
	tests := []struct {
		name, path, ct, body string
		wantStatus           int
		wantCode, wantMsg    string
	}{
		{"invalid JSON", "/v1/sentiment", "application/json", `{"text": "hi"`, 400, "invalid_json", "invalid JSON"},
		{"not an object", "/v1/sentiment", "application/json", `["hi"]`, 400, "invalid_json", "invalid JSON"},
		{"missing field", "/v1/sentiment", "application/json", `{"txt": "hi"}`, 400, "missing_field", `"text"`},
		{"null field", "/v1/sentiment", "application/json", `{"text": null}`, 400, "missing_field", `"text"`},
		{"non-string field", "/v1/sentiment", "application/json", `{"text": 5}`, 400, "missing_field", "must be a string"},
		{"missing b", "/v1/similarity", "application/json", `{"a": "x"}`, 400, "missing_field", `"b"`},
		{"empty text", "/v1/sentiment", "application/json", `{"text": ""}`, 400, "empty_text", `"text" is empty`},
		{"blank text", "/v1/embed", "application/json", `{"text": " \n\t"}`, 400, "empty_text", "empty"},
		{"text over cap", "/v1/sentiment", "application/json", `{"text": "` + strings.Repeat("a", 101) + `"}`, 400, "text_too_long", "101 bytes, over the 100-byte cap"},
		{"wrong content type", "/v1/sentiment", "text/plain", `{"text": "hi"}`, 400, "unsupported_content_type", "text/plain"},
		{"form content type", "/v1/similarity", "application/x-www-form-urlencoded", `a=x&b=y`, 400, "unsupported_content_type", "want application/json"},
		{"body over cap", "/v1/sentiment", "application/json", `{"text": "` + strings.Repeat("a", 1200) + `"}`, 413, "body_too_large", "over 1000 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := post(t, s.Handler(), tt.path, tt.ct, tt.body)
			var got apiError
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q is not a JSON error: %v", rec.Body, err)
			}
			if rec.Code != tt.wantStatus || got.Code != tt.wantCode || !strings.Contains(got.Error, tt.wantMsg) {
				t.Errorf("got %d %+v, want %d code %s message containing %q", rec.Code, got, tt.wantStatus, tt.wantCode, tt.wantMsg)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("content type %q", ct)
			}
		})
	}
}

func TestTasksOK(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tests := []struct {
		path, body string
		fields     []string
	}{
		{"/v1/sentiment", `{"text": "the food was great"}`, []string{"label", "score", "tokens", "inference_ms"}},
		{"/v1/similarity", `{"a": "a cat", "b": "a dog"}`, []string{"score", "tokens", "inference_ms"}},
		{"/v1/embed", `{"text": "hello"}`, []string{"embedding", "dim", "tokens", "inference_ms"}},
	}
	for _, tt := range tests {
		rec := post(t, s.Handler(), tt.path, "application/json; charset=utf-8", tt.body)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", tt.path, rec.Code, rec.Body)
		}
		var got map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		for _, f := range tt.fields {
			if _, ok := got[f]; !ok {
				t.Errorf("%s: response %v lacks %q", tt.path, got, f)
			}
		}
		st := rec.Header().Get("Server-Timing")
		var inf, q float64
		if n, _ := fmt.Sscanf(st, "inference;dur=%g, queue;dur=%g", &inf, &q); n != 2 || inf <= 0 {
			t.Errorf("%s: Server-Timing %q", tt.path, st)
		}
	}
	// No Content-Type is accepted as JSON.
	if rec := post(t, s.Handler(), "/v1/sentiment", "", `{"text": "ok"}`); rec.Code != 200 {
		t.Errorf("no content type: %d %s", rec.Code, rec.Body)
	}
}

// blockingInfer wraps the real model's Infer so the test controls when a
// batch may finish.
func blockingInfer(s *Server, started chan<- struct{}, release <-chan struct{}) {
	real := s.infer
	s.infer = func(ctx context.Context, reqs []inference.Request) ([]inference.Result, error) {
		started <- struct{}{}
		<-release
		return real(ctx, reqs)
	}
}

func TestQueueFullGives503(t *testing.T) {
	t.Parallel()
	m := tinyModel(t)
	// Build through New, but swap infer before any request arrives.
	s, err := New(m, WithWorkers(1), WithQueueSize(1))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	started, release := make(chan struct{}, 4), make(chan struct{})
	blockingInfer(s, started, release)
	h := s.Handler()
	codes := make(chan int, 2)
	send := func() {
		codes <- post(t, h, "/v1/sentiment", "application/json", `{"text": "hi"}`).Code
	}
	go send() // taken by the worker, blocks in infer
	<-started
	go send() // waits in the queue
	for deadline := time.Now().Add(5 * time.Second); len(s.queue) != 1; {
		if time.Now().After(deadline) {
			t.Fatal("second request never queued")
		}
		time.Sleep(time.Millisecond)
	}
	rec := post(t, h, "/v1/sentiment", "application/json", `{"text": "hi"}`)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" || !strings.Contains(rec.Body.String(), "queue_full") {
		t.Errorf("third request: %d Retry-After=%q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	close(release)
	for i := 0; i < 2; i++ {
		if c := <-codes; c != 200 {
			t.Errorf("queued request got %d", c)
		}
	}
}

func TestConcurrentEqualsSequential(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"no batching", []Option{WithWorkers(2)}},
		{"dynamic batching", []Option{WithWorkers(2), WithMaxBatch(4), WithMaxWait(2 * time.Millisecond)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, tc.opts...)
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()
			texts := []string{"short", "a somewhat longer sentence about food", "x y z", "the service was slow but friendly, the dessert excellent"}
			call := func(i int) (string, error) {
				body := fmt.Sprintf(`{"text": %q}`, texts[i%len(texts)])
				resp, err := http.Post(srv.URL+"/v1/sentiment", "application/json", strings.NewReader(body))
				if err != nil {
					return "", err
				}
				defer resp.Body.Close()
				var r sentimentResponse
				if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
					return "", err
				}
				if resp.StatusCode != 200 {
					return "", fmt.Errorf("status %d", resp.StatusCode)
				}
				return fmt.Sprintf("%s %.6f %v %d", r.Label, r.Score, r.Probabilities, r.Tokens), nil
			}
			want := make([]string, len(texts))
			for i := range texts {
				var err error
				if want[i], err = call(i); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			errs := make(chan error, 40)
			for i := 0; i < 40; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got, err := call(i)
					if err == nil && got != want[i%len(texts)] {
						err = fmt.Errorf("text %d: concurrent %q, sequential %q", i%len(texts), got, want[i%len(texts)])
					}
					if err != nil {
						errs <- err
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

func TestDynamicBatchingBatches(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithWorkers(1), WithMaxBatch(8), WithMaxWait(time.Second))
	started, release := make(chan struct{}, 16), make(chan struct{})
	blockingInfer(s, started, release)
	h := s.Handler()
	var wg sync.WaitGroup
	sizes := make(chan int, 9)
	send := func() {
		defer wg.Done()
		rec := post(t, h, "/v1/sentiment", "application/json", `{"text": "batch me"}`)
		var r sentimentResponse
		json.Unmarshal(rec.Body.Bytes(), &r)
		sizes <- r.BatchSize
	}
	wg.Add(1)
	go send() // first batch: one request, held in infer
	<-started
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go send()
	}
	for deadline := time.Now().Add(5 * time.Second); len(s.queue) != 8; {
		if time.Now().After(deadline) {
			t.Fatalf("queue = %d, want 8", len(s.queue))
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	close(sizes)
	count := map[int]int{}
	for n := range sizes {
		count[n]++
	}
	if count[1] != 1 || count[8] != 8 {
		t.Errorf("batch sizes seen %v, want one of 1 and eight of 8", count)
	}
}

func TestInfoHealthMetrics(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithWorkers(3), WithQueueSize(7))
	h := s.Handler()
	post(t, h, "/v1/sentiment", "application/json", `{"text": "count me"}`)
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	if rec := get("/healthz"); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"ok"`) {
		t.Errorf("healthz: %d %s", rec.Code, rec.Body)
	}
	var info Info
	if err := json.Unmarshal(get("/v1/info").Body.Bytes(), &info); err != nil {
		t.Fatal(err)
	}
	if info.Model != "tiny" || info.WeightsKind != "synthetic" || info.WeightsLabel != inference.SyntheticWeightsLabel ||
		info.Server.Workers != 3 || info.Server.QueueSize != 7 || info.Params == 0 || info.Build.GoVersion == "" {
		t.Errorf("info = %+v", info)
	}
	metrics := get("/metrics").Body.String()
	for _, want := range []string{
		`benchctl_refserver_requests_total{code="200",endpoint="/v1/sentiment"} 1`,
		"benchctl_refserver_inference_seconds_bucket",
		"benchctl_refserver_queue_depth 0",
		"benchctl_refserver_batch_size_count 1",
		"benchctl_refserver_workers 3",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	rec := get("/v1/sentiment")
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET /v1/sentiment: %d", rec.Code)
	}
}

func TestServeGracefulShutdown(t *testing.T) {
	t.Parallel()
	s, err := New(tinyModel(t), WithWorkers(1), WithShutdownTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}, 2), make(chan struct{})
	blockingInfer(s, started, release)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	type reply struct {
		code int
		body string
		err  error
	}
	replies := make(chan reply, 1)
	go func() {
		resp, err := http.Post("http://"+ln.Addr().String()+"/v1/sentiment", "application/json", bytes.NewBufferString(`{"text": "in flight"}`))
		if err != nil {
			replies <- reply{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		replies <- reply{code: resp.StatusCode, body: string(b)}
	}()
	<-started
	cancel() // shutdown begins with a request in flight
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v before the in-flight request finished", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	r := <-replies
	if r.err != nil || r.code != 200 {
		t.Errorf("in-flight request: %d %s %v", r.code, r.body, r.err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("listener still accepting after shutdown")
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	m := tinyModel(t)
	for _, opt := range []Option{WithWorkers(0), WithQueueSize(-1), WithMaxBatch(0), WithMaxWait(-time.Second),
		WithMaxBodyBytes(10), WithMaxTextBytes(0)} {
		if s, err := New(m, opt); err == nil {
			s.Close()
			t.Error("New accepted a bad option")
		}
	}
	if _, err := New(m, WithMaxBodyBytes(100), WithMaxTextBytes(200)); err == nil {
		t.Error("New accepted text cap over body cap")
	}
}
