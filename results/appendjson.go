package results

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendRecordJSON appends r as one JSON object, byte-for-byte what
// encoding/json produces for Record with HTML escaping off, without
// reflection (the hot path of every run). TestAppendRecordJSONMatchesStdlib
// checks the equivalence on random records.
func appendRecordJSON(b []byte, r *Record) ([]byte, error) {
	b = append(b, `{"attack":`...)
	b = appendJSONString(b, r.Attack)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, r.Seq, 10)
	b = append(b, `,"code":`...)
	b = strconv.AppendUint(b, uint64(r.Code), 10)
	b = append(b, `,"timestamp":`...)
	var err error
	if b, err = appendJSONTime(b, r.Timestamp); err != nil {
		return b, err
	}
	b = append(b, `,"latency":`...)
	b = strconv.AppendInt(b, int64(r.Latency), 10)
	b = append(b, `,"bytes_out":`...)
	b = strconv.AppendUint(b, r.BytesOut, 10)
	b = append(b, `,"bytes_in":`...)
	b = strconv.AppendUint(b, r.BytesIn, 10)
	b = append(b, `,"error":`...)
	b = appendJSONString(b, r.Error)
	if len(r.Body) > 0 {
		b = append(b, `,"body":"`...)
		b = base64.StdEncoding.AppendEncode(b, r.Body)
		b = append(b, '"')
	}
	b = appendOptString(b, `,"method":`, r.Method)
	b = appendOptString(b, `,"url":`, r.URL)
	if len(r.Headers) > 0 {
		var h bytes.Buffer
		enc := json.NewEncoder(&h)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r.Headers); err != nil {
			return b, err
		}
		b = append(b, `,"headers":`...)
		b = append(b, bytes.TrimSuffix(h.Bytes(), []byte("\n"))...)
	}
	b = append(b, `,"target":`...)
	b = appendJSONString(b, r.Target)
	b = append(b, `,"phase":`...)
	b = appendJSONString(b, r.Phase)
	b = appendOptString(b, `,"step":`, r.Step)
	b = appendOptString(b, `,"experiment":`, r.Experiment)
	if r.Trial != 0 {
		b = append(b, `,"trial":`...)
		b = strconv.AppendInt(b, int64(r.Trial), 10)
	}
	b = append(b, `,"intended":`...)
	if b, err = appendJSONTime(b, r.Intended); err != nil {
		return b, err
	}
	b = append(b, `,"corrected_latency":`...)
	b = strconv.AppendInt(b, int64(r.CorrectedLatency), 10)
	b = appendOptString(b, `,"error_class":`, r.ErrorClass)
	b = appendOptString(b, `,"request_id":`, r.RequestID)
	for _, f := range []struct {
		key string
		v   *float64
	}{
		{`,"duration_ms":`, r.DurationMs}, {`,"billed_duration_ms":`, r.BilledDurationMs},
		{`,"init_duration_ms":`, r.InitDurationMs}, {`,"restore_duration_ms":`, r.RestoreDurationMs},
		{`,"billed_restore_duration_ms":`, r.BilledRestoreDurationMs},
	} {
		if f.v != nil {
			b = append(b, f.key...)
			if b, err = appendJSONFloat(b, *f.v); err != nil {
				return b, err
			}
		}
	}
	if r.MemorySizeMB != nil {
		b = append(b, `,"memory_size_mb":`...)
		b = strconv.AppendInt(b, int64(*r.MemorySizeMB), 10)
	}
	if r.MaxMemoryUsedMB != nil {
		b = append(b, `,"max_memory_used_mb":`...)
		b = strconv.AppendInt(b, int64(*r.MaxMemoryUsedMB), 10)
	}
	if r.Cold {
		b = append(b, `,"cold":true`...)
	}
	b = appendOptString(b, `,"function_error":`, r.FunctionError)
	b = appendOptString(b, `,"report_status":`, r.ReportStatus)
	b = appendOptString(b, `,"report_error":`, r.ReportError)
	if r.ServerTimingMs != nil {
		b = append(b, `,"server_timing_ms":`...)
		if b, err = appendJSONFloat(b, *r.ServerTimingMs); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func appendOptString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, key...)
	return appendJSONString(b, s)
}

func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		// Let encoding/json produce its error.
		_, err := t.MarshalJSON()
		return b, err
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

// appendJSONFloat formats like encoding/json (ES6 number formatting).
func appendJSONFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		_, err := json.Marshal(f)
		return b, err
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does with HTML escaping off:
// \" \\ \b \f \n \r \t, other control characters as \u00XX, invalid UTF-8
// as \ufffd, and U+2028/U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
