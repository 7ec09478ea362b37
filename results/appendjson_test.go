package results

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func stdlibJSON(t interface{ Fatal(...any) }, r *Record) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestAppendRecordJSONMatchesStdlib(t *testing.T) {
	t.Parallel()
	str := rapid.OneOf(rapid.String(), rapid.StringMatching(`[a-z_=0-9]{0,12}`),
		rapid.SampledFrom([]string{"", "\x00\x1f\"\\\n\r\t\b\f<>&", "\u2028\u2029é✓", "\xff\xfe bad utf8", "x\x7f"}))
	optF := func(t *rapid.T, label string) *float64 {
		if !rapid.Bool().Draw(t, label+"?") {
			return nil
		}
		v := rapid.OneOf(rapid.Float64Range(-1e25, 1e25), rapid.SampledFrom([]float64{0, 1e-7, 123.456, 1e21, 5e-324, 0.000001})).Draw(t, label)
		return &v
	}
	optI := func(t *rapid.T, label string) *int {
		if !rapid.Bool().Draw(t, label+"?") {
			return nil
		}
		v := rapid.IntRange(-1, 1<<20).Draw(t, label)
		return &v
	}
	rapid.Check(t, func(t *rapid.T) {
		ts := time.Unix(rapid.Int64Range(0, 4e9).Draw(t, "sec"), rapid.Int64Range(0, 999_999_999).Draw(t, "nsec"))
		if rapid.Bool().Draw(t, "utc") {
			ts = ts.UTC()
		}
		r := &Record{
			Attack: str.Draw(t, "attack"), Seq: rapid.Uint64().Draw(t, "seq"), Code: rapid.Uint16().Draw(t, "code"),
			Timestamp: ts, Latency: time.Duration(rapid.Int64().Draw(t, "lat")),
			BytesOut: rapid.Uint64().Draw(t, "bo"), BytesIn: rapid.Uint64().Draw(t, "bi"), Error: str.Draw(t, "err"),
			Body: rapid.SliceOfN(rapid.Byte(), 0, 5).Draw(t, "body"), Method: str.Draw(t, "method"), URL: str.Draw(t, "url"),
			Target: str.Draw(t, "target"), Phase: str.Draw(t, "phase"), Step: str.Draw(t, "step"), Experiment: str.Draw(t, "exp"),
			Intended: ts.Add(-time.Duration(rapid.Int64Range(0, 1e9).Draw(t, "lag"))), CorrectedLatency: time.Duration(rapid.Int64().Draw(t, "cl")),
			ErrorClass: str.Draw(t, "class"), RequestID: str.Draw(t, "rid"),
			DurationMs: optF(t, "d"), BilledDurationMs: optF(t, "bd"), InitDurationMs: optF(t, "id"),
			RestoreDurationMs: optF(t, "rd"), BilledRestoreDurationMs: optF(t, "brd"),
			MemorySizeMB: optI(t, "mem"), MaxMemoryUsedMB: optI(t, "maxmem"), Cold: rapid.Bool().Draw(t, "cold"),
			FunctionError: str.Draw(t, "fe"), ReportStatus: str.Draw(t, "rs"), ReportError: str.Draw(t, "re"),
			ServerTimingMs: optF(t, "st"),
		}
		if rapid.Bool().Draw(t, "headers?") {
			r.Headers = http.Header{"Content-Type": {str.Draw(t, "ct")}}
		}
		got, err := appendRecordJSON(nil, r)
		if err != nil {
			t.Fatal(err)
		}
		if want := stdlibJSON(t, r); !bytes.Equal(got, want) {
			t.Fatalf("\ngot  %s\nwant %s", got, want)
		}
	})
}

func BenchmarkAppendRecordJSON(b *testing.B) {
	r := sampleRecord(7)
	r.Headers = nil
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = appendRecordJSON(buf[:0], r)
	}
}

func BenchmarkStdlibRecordJSON(b *testing.B) {
	r := sampleRecord(7)
	r.Headers = nil
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		_ = enc.Encode(r)
	}
}
