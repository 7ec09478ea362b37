package results

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

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
	rapid.Check(t, func(t *rapid.T) {
		r := rapidRecord(t)
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

// stdRecord decodes line with encoding/json (the reference).
func stdRecord(line []byte) (Record, error) {
	var r Record
	err := json.Unmarshal(line, &r)
	return r, err
}

func sameRecord(a, b Record) bool {
	if !a.Timestamp.Equal(b.Timestamp) || !a.Intended.Equal(b.Intended) ||
		a.Timestamp.Location().String() != b.Timestamp.Location().String() {
		return false
	}
	a.Timestamp, b.Timestamp, a.Intended, b.Intended = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

func TestParseRecordJSONMatchesStdlib(t *testing.T) {
	t.Parallel()
	// Records as benchctl writes them.
	rapid.Check(t, func(t *rapid.T) {
		r := rapidRecord(t)
		line, err := appendRecordJSON(nil, r)
		if err != nil {
			t.Fatal(err)
		}
		want, werr := stdRecord(line)
		var got Record
		gerr := unmarshalRecord(line, &got)
		if (werr != nil) != (gerr != nil) || !sameRecord(got, want) {
			t.Fatalf("line %s\ngot  %+v (%v)\nwant %+v (%v)", line, got, gerr, want, werr)
		}
		if !parseRecordJSON(line, &Record{}) && len(r.Headers) == 0 && utf8Clean(r) {
			t.Fatalf("fast path refused a benchctl line: %s", line)
		}
	})
}

func utf8Clean(r *Record) bool {
	for _, s := range []string{r.Attack, r.Error, r.Method, r.URL, r.Target, r.Phase, r.Step, r.Experiment,
		r.ErrorClass, r.RequestID, r.FunctionError, r.ReportStatus, r.ReportError} {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

func TestParseRecordJSONEdgeCases(t *testing.T) {
	t.Parallel()
	lines := []string{
		`{}`, ` { "seq" : 3 , "code":200 } `, `{"seq":-1}`, `{"seq":+1}`, `{"seq":01}`, `{"seq":1.5}`, `{"latency":1e3}`,
		`{"code":70000}`, `{"Code":200}`, `{"CODE":200,"code":201}`, `{"seq":1,"seq":2}`, `{"error":null}`,
		`{"duration_ms":null}`, `{"duration_ms":1.}`, `{"duration_ms":.5}`, `{"duration_ms":-0}`, `{"duration_ms":1E+2}`,
		`{"error":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00"}`, `{"error":"lone \ud800 surrogate"}`, `{"error":"\udc00\u0041"}`,
		`{"error":"bad \x escape"}`, "{\"error\":\"raw \x01 control\"}", "{\"error\":\"\xff invalid\"}",
		`{"timestamp":"2026-11-27T12:00:00.123456789+01:00"}`, `{"timestamp":"2026-11-27T12:00:00Z","intended":"bad"}`,
		`{"timestamp":"2026-11-27T12:00:00\u005a"}`, `{"body":"aGVsbG8="}`, `{"body":""}`, `{"body":"!!"}`,
		`{"cold":true}`, `{"cold":false}`, `{"cold":truex}`, `{"cold":1}`, `{"headers":{"A":["b"]}}`, `{"unknown":1}`,
		`{"memory_size_mb":512,"max_memory_used_mb":-3}`, `{"seq":1}x`, `{"seq":1,}`, `[1]`, `{"seq"`, `{"seq":1 "code":2}`,
	}
	for _, line := range lines {
		want, werr := stdRecord([]byte(line))
		var got Record
		gerr := unmarshalRecord([]byte(line), &got)
		if (werr != nil) != (gerr != nil) || (werr == nil && !sameRecord(got, want)) {
			t.Errorf("%s\ngot  %+v (%v)\nwant %+v (%v)", line, got, gerr, want, werr)
		}
	}
}

func BenchmarkUnmarshalRecordFast(b *testing.B) {
	rec := sampleRecord(7)
	rec.Headers = nil // run records carry none
	rec.Error = `Post "http://127.0.0.1:1/x": dial tcp: connection refused`
	line, _ := appendRecordJSON(nil, rec)
	var r Record
	b.ReportAllocs()
	for b.Loop() {
		_ = unmarshalRecord(line, &r)
	}
}

func BenchmarkUnmarshalRecordStdlib(b *testing.B) {
	rec := sampleRecord(7)
	rec.Headers = nil
	rec.Error = `Post "http://127.0.0.1:1/x": dial tcp: connection refused`
	line, _ := appendRecordJSON(nil, rec)
	var r Record
	b.ReportAllocs()
	for b.Loop() {
		r = Record{}
		_ = json.Unmarshal(line, &r)
	}
}

// rapidRecord draws a random Record covering every field and awkward strings.
func rapidRecord(t *rapid.T) *Record {
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
	ts := time.Unix(rapid.Int64Range(0, 4e9).Draw(t, "sec"), rapid.Int64Range(0, 999_999_999).Draw(t, "nsec"))
	if rapid.Bool().Draw(t, "utc") {
		ts = ts.UTC()
	}
	r := &Record{
		Attack: str.Draw(t, "attack"), Seq: rapid.Uint64().Draw(t, "seq"), Code: rapid.Uint16().Draw(t, "code"),
		Timestamp: ts, Latency: time.Duration(rapid.Int64().Draw(t, "lat")),
		BytesOut: rapid.Uint64().Draw(t, "bo"), BytesIn: rapid.Uint64().Draw(t, "bi"), Error: str.Draw(t, "err"),
		Body: rapid.SliceOfN(rapid.Byte(), 0, 5).Draw(t, "body"), Method: str.Draw(t, "method"), URL: str.Draw(t, "url"),
		Target: str.Draw(t, "target"), Phase: str.Draw(t, "phase"), Step: str.Draw(t, "step"), Experiment: str.Draw(t, "exp"), Trial: rapid.IntRange(0, 100).Draw(t, "trial"),
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
	return r
}

// TestCanonicalIsWhatTheDecoderReads checks that Canonical(r) is the
// record a Decoder reads back from r's line, for records with monotonic
// clock readings, invalid UTF-8 and empty bodies.
func TestCanonicalIsWhatTheDecoderReads(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		r := rapidRecord(t)
		if rapid.Bool().Draw(t, "monotonic") {
			now := time.Now()
			r.Timestamp = now.Add(time.Duration(rapid.Int64Range(0, 1e9).Draw(t, "off")))
			r.Intended = now
		}
		line, err := appendRecordJSON(nil, r)
		if err != nil {
			t.Skip("not encodable")
		}
		var want Record
		if err := ParseRecord(line, &want); err != nil {
			t.Fatal(err)
		}
		got := Canonical(r)
		if !got.Timestamp.Equal(want.Timestamp) || !got.Intended.Equal(want.Intended) ||
			got.Timestamp.Sub(got.Intended) != want.Timestamp.Sub(want.Intended) {
			t.Fatalf("times: got %v/%v want %v/%v", got.Timestamp, got.Intended, want.Timestamp, want.Intended)
		}
		got.Timestamp, got.Intended, want.Timestamp, want.Intended = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("line %s\ngot  %+v\nwant %+v", line, got, want)
		}
	})
}

// TestRecordParserMatchesStdlib checks the reusing parser against
// encoding/json on random records and on the edge cases, one parser for
// every line (so state left by one line must not leak into the next), and
// that a Clone shares nothing with the parser.
func TestRecordParserMatchesStdlib(t *testing.T) {
	t.Parallel()
	rp := NewRecordParser()
	rapid.Check(t, func(t *rapid.T) {
		r := rapidRecord(t)
		line, err := appendRecordJSON(nil, r)
		if err != nil {
			t.Skip("not encodable")
		}
		want, werr := stdRecord(line)
		var got Record
		gerr := rp.Parse(line, &got)
		if (werr != nil) != (gerr != nil) || !sameRecord(got.Clone(), want) {
			t.Fatalf("line %s\ngot  %+v (%v)\nwant %+v (%v)", line, got, gerr, want, werr)
		}
	})
	for _, line := range []string{
		`{"timestamp":"2026-11-27T12:00:00Z"}`, `{"timestamp":"2026-11-27T12:00:00.1Z"}`, `{"timestamp":"2026-11-27T12:00:00.123456789Z"}`,
		`{"timestamp":"2026-11-27T12:00:00.1234567891Z"}`, `{"timestamp":"2026-02-30T12:00:00Z"}`, `{"timestamp":"2026-11-27T24:00:00Z"}`,
		`{"timestamp":"2026-11-27T12:00:60Z"}`, `{"timestamp":"2026-11-27T12:00:00.Z"}`, `{"timestamp":"0000-01-01T00:00:00Z"}`,
		`{"timestamp":"2026-11-27t12:00:00z"}`, `{"seq":123456789012345678}`, `{"seq":18446744073709551615}`, `{"seq":18446744073709551616}`,
		`{"code":65535}`, `{"code":65536}`, `{"latency":-5}`, `{"latency":9223372036854775807}`, `{"body":"aGVsbG8="}`, `{"body":"aGV\/sbG8="}`,
		`{"duration_ms":1.5,"duration_ms":2.5}`, `{"memory_size_mb":512,"memory_size_mb":1024}`, `{"error":"same"}`, `{"error":"same"}`,
		// The same minute again (the parser remembers it): other seconds
		// and fractions, and invalid ones.
		`{"timestamp":"2026-11-27T12:00:59.5Z"}`, `{"timestamp":"2026-11-27T12:00:07Z"}`, `{"timestamp":"2026-11-27T12:00:60Z"}`,
		`{"timestamp":"2026-11-27T12:00:7Z"}`, `{"timestamp":"2026-11-27T12:00:07.Z"}`, `{"timestamp":"2026-11-27T12:00:07.1234567890Z"}`,
		`{"timestamp":"2026-11-27T12:00:0aZ"}`, `{"timestamp":"2026-11-27T12:01:00Z"}`, `{"timestamp":"2024-02-29T12:01:00Z"}`,
	} {
		want, werr := stdRecord([]byte(line))
		var got Record
		gerr := rp.Parse([]byte(line), &got)
		if (werr != nil) != (gerr != nil) || (werr == nil && !sameRecord(got.Clone(), want)) {
			t.Errorf("%s\ngot  %+v (%v)\nwant %+v (%v)", line, got, gerr, want, werr)
		}
		if werr == nil && !got.Timestamp.IsZero() && got.Timestamp != want.Timestamp {
			t.Errorf("%s: time %#v, encoding/json %#v", line, got.Timestamp, want.Timestamp)
		}
	}
	var a, b Record
	d := `{"duration_ms":1.5,"body":"aGVsbG8="}`
	if err := rp.Parse([]byte(d), &a); err != nil {
		t.Fatal(err)
	}
	kept := a.Clone()
	if err := rp.Parse([]byte(`{"duration_ms":9,"body":"d29ybGQ="}`), &b); err != nil {
		t.Fatal(err)
	}
	if *kept.DurationMs != 1.5 || string(kept.Body) != "hello" {
		t.Errorf("a clone changed with the next parse: %v %q", *kept.DurationMs, kept.Body)
	}
}

func BenchmarkRecordParser(b *testing.B) {
	rec := sampleRecord(7)
	rec.Headers = nil
	rec.Error = `Post "http://127.0.0.1:1/x": dial tcp: connection refused`
	line, _ := appendRecordJSON(nil, rec)
	rp := NewRecordParser()
	var r Record
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		_ = rp.Parse(line, &r)
	}
}

// benchLines are the lines of a run as benchctl writes them: an http
// target and a function with REPORT fields, 1% errors.
func benchLines() ([][]byte, int) {
	var lines [][]byte
	total := 0
	for i := range 1000 {
		r := sampleRecord(i)
		r.Headers = nil
		r.Error, r.ErrorClass, r.Code = "", "", 200
		if i%2 == 1 {
			d, m, mm := 12.34, 1024, 200
			r.Target, r.URL, r.RequestID = "fn", "http://127.0.0.1:9001/2015-03-31/functions/fnf/invocations", "7d9f0000000"+strconv.Itoa(i)
			r.DurationMs, r.BilledDurationMs, r.MemorySizeMB, r.MaxMemoryUsedMB = &d, &d, &m, &mm
		}
		if i%100 == 3 {
			r.Code, r.Error, r.ErrorClass = 0, "dial tcp 127.0.0.1:8080: connect: connection refused", ErrorClassConnRefused
		}
		line, _ := appendRecordJSON(nil, r)
		lines = append(lines, line)
		total += len(line)
	}
	return lines, total / len(lines)
}

// cpuNow is this process's user + system CPU time: on a shared machine
// it moves less with other load than wall time does.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRecordParserLines parses benchLines with a RecordParser
// ("reuse") and with ParseRecord ("fresh"), reporting CPU time per line.
func BenchmarkRecordParserLines(b *testing.B) {
	lines, size := benchLines()
	for _, tc := range []struct {
		name  string
		parse func([]byte, *Record) error
	}{{"reuse", NewRecordParser().Parse}, {"fresh", ParseRecord}} {
		b.Run(tc.name, func(b *testing.B) {
			var r Record
			b.ReportAllocs()
			b.SetBytes(int64(size))
			c0 := cpuNow()
			i := 0
			for b.Loop() {
				_ = tc.parse(lines[i%len(lines)], &r)
				i++
			}
			b.ReportMetric(float64(cpuNow()-c0)/float64(b.N), "cpu-ns/op")
		})
	}
}
