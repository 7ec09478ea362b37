package refserver

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/inference"
)

// BenchmarkServerThroughput drives tinybert-4l-312 over loopback HTTP with
// 8 concurrent keep-alive clients and a ≈20-token sentence, at 1 and 2
// workers (and 2 workers with dynamic batching). Metrics: req/s (wall
// clock: it depends on how much CPU the machine gives the process) and
// cpu-ms/req (process CPU time per request, server and clients together:
// what a request costs whatever the load on the machine).
func BenchmarkServerThroughput(b *testing.B) {
	cfg, _ := inference.Preset("tinybert-4l-312")
	m, err := inference.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	body := `{"text": "The waiter was friendly and quick, but the soup arrived cold and nobody apologised."}`
	if tok := m.Tokenizer().Encode(body[10 : len(body)-2]).Len(); tok < 18 || tok > 24 {
		b.Fatalf("benchmark text is %d tokens, want ≈20", tok)
	}
	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"workers=1", []Option{WithWorkers(1)}},
		{"workers=2", []Option{WithWorkers(2)}},
		{"workers=2/max-batch=8", []Option{WithWorkers(2), WithMaxBatch(8), WithMaxWait(2 * time.Millisecond)}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s, err := New(m, tc.opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			defer client.CloseIdleConnections()
			url := srv.URL + "/v1/sentiment"
			b.SetParallelism(4) // 8 clients at GOMAXPROCS 2
			start, cpu0 := time.Now(), cpuTime(b)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Post(url, "application/json", strings.NewReader(body))
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
			b.ReportMetric((cpuTime(b)-cpu0).Seconds()*1e3/float64(b.N), "cpu-ms/req")
		})
	}
}

// cpuTime is the process's CPU time.
func cpuTime(b *testing.B) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ts.Nano())
}
