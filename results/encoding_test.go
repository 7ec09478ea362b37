package results

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func sampleRecord(i int) *Record {
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	billed := 12.0
	mem := 512
	r := &Record{
		Attack: "steady", Seq: uint64(i), Code: 200,
		Timestamp: t0.Add(time.Duration(i) * time.Millisecond), Latency: time.Duration(i+1) * time.Millisecond,
		BytesOut: 20, BytesIn: 30, Method: "POST", URL: "http://127.0.0.1:1/x",
		Headers: http.Header{"Content-Type": {"application/json"}},
		Target:  "echo", Phase: "steady",
		Intended:         t0.Add(time.Duration(i) * time.Millisecond),
		CorrectedLatency: time.Duration(i+1) * time.Millisecond,
	}
	if i%3 == 0 {
		r.BilledDurationMs, r.MemorySizeMB = &billed, &mem
	}
	if i%5 == 4 {
		r.Code, r.Error, r.ErrorClass = 500, "500 Internal Server Error", ErrorClassHTTP5xx
	}
	return r
}

func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	enc := NewJSONEncoder(&buf)
	var want []*Record
	for i := range 20 {
		r := sampleRecord(i)
		want = append(want, r)
		if err := enc(r); err != nil {
			t.Fatal(err)
		}
	}
	dec := NewJSONDecoder(&buf)
	for i := 0; ; i++ {
		var got Record
		err := dec(&got)
		if errors.Is(err, io.EOF) {
			if i != len(want) {
				t.Fatalf("decoded %d records, want %d", i, len(want))
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		w := want[i]
		if got.Seq != w.Seq || !got.Timestamp.Equal(w.Timestamp) || got.Latency != w.Latency || got.ErrorClass != w.ErrorClass ||
			(w.BilledDurationMs != nil) != (got.BilledDurationMs != nil) {
			t.Fatalf("record %d: got %+v, want %+v", i, got, *w)
		}
	}
}

func TestJSONDecoderTornAndMalformed(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	enc := NewJSONEncoder(&buf)
	for i := range 3 {
		_ = enc(sampleRecord(i))
	}
	full := buf.String()
	tests := []struct {
		name    string
		input   string
		want    int
		wantErr bool
	}{
		{"complete", full, 3, false},
		{"torn last line", full + `{"attack":"steady","seq":3,"co`, 3, false},
		{"blank lines", "\n" + full + "\n\n", 3, false},
		{"last line without newline", strings.TrimSuffix(full, "\n"), 3, false},
		{"malformed middle line", "{not json}\n" + full, 0, true},
		{"empty", "", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dec := NewJSONDecoder(strings.NewReader(tc.input))
			n := 0
			var err error
			for {
				var r Record
				if err = dec(&r); err != nil {
					break
				}
				n++
			}
			if gotErr := !errors.Is(err, io.EOF); gotErr != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if n != tc.want {
				t.Fatalf("decoded %d, want %d", n, tc.want)
			}
		})
	}
}

// TestVegetaDecodesResults checks `vegeta report` compatibility: vegeta's own
// JSON decoder reads a benchctl results file.
func TestVegetaDecodesResults(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	s := NewStreamWriter(&buf, time.Hour)
	for i := range 10 {
		if err := s.Encode(sampleRecord(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	dec := vegeta.NewJSONDecoder(&buf)
	var m vegeta.Metrics
	for i := 0; ; i++ {
		var res vegeta.Result
		err := dec.Decode(&res)
		if errors.Is(err, io.EOF) {
			if i != 10 {
				t.Fatalf("vegeta decoded %d results, want 10", i)
			}
			break
		}
		if err != nil {
			t.Fatalf("vegeta decode %d: %v", i, err)
		}
		w := sampleRecord(i)
		if res.Seq != w.Seq || res.Code != w.Code || res.Latency != w.Latency || !res.Timestamp.Equal(w.Timestamp) ||
			res.Error != w.Error || res.Attack != "steady" || res.BytesIn != 30 {
			t.Fatalf("result %d: got %+v", i, res)
		}
		m.Add(&res)
	}
	m.Close()
	if m.Requests != 10 || m.Success != 0.8 {
		t.Fatalf("vegeta metrics: requests %d success %v", m.Requests, m.Success)
	}
}

func TestStreamWriterFlushesPeriodically(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := NewStreamWriter(f, 20*time.Millisecond)
	defer s.Close()
	if err := s.Encode(sampleRecord(0)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(path)
		if bytes.Count(b, []byte("\n")) == 1 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("record not flushed to the file within 5 s")
}

const crashChildEnv = "BENCHCTL_RESULTS_CRASH_CHILD"

// TestCrashChild is the child of TestCrashSafety: it streams records to a run
// directory until killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("helper process for TestCrashSafety")
	}
	w, err := CreateRun(dir, []byte("name: crash\n"), RunInfo{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	enc := w.Encoder()
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		if err := enc(sampleRecord(i)); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

// TestCrashSafety kills a process streaming records with SIGKILL and checks
// that results.jsonl is readable up to its last complete line.
func TestCrashSafety(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck
	path := filepath.Join(dir, ResultsFile)
	deadline := time.Now().Add(15 * time.Second)
	for {
		if fi, err := os.Stat(path); err == nil && fi.Size() > 200_000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("child wrote no records within 15 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	run, err := ReadRunDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if run.Summary != nil {
		t.Fatal("a killed run has no summary.json")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := NewJSONDecoder(f)
	n := 0
	for {
		var r Record
		err := dec(&r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("decode after SIGKILL: %v", err)
		}
		n++
	}
	if n < 100 {
		t.Fatalf("%d records after SIGKILL", n)
	}
	t.Logf("recovered %d records after SIGKILL", n)
}

func BenchmarkStreamWriterEncode(b *testing.B) {
	s := NewStreamWriter(io.Discard, time.Hour)
	defer s.Close()
	r := sampleRecord(7)
	r.Headers = nil // run records carry none
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Encode(r)
	}
}

func BenchmarkJSONDecode(b *testing.B) {
	var buf bytes.Buffer
	enc := NewJSONEncoder(&buf)
	for i := range 1000 {
		r := sampleRecord(i)
		r.Headers = nil // run records carry none
		_ = enc(r)
	}
	data := buf.Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)) / 1000)
	dec := NewJSONDecoder(bytes.NewReader(data))
	var r Record
	for b.Loop() {
		if err := dec(&r); errors.Is(err, io.EOF) {
			dec = NewJSONDecoder(bytes.NewReader(data))
		}
	}
}
