package results

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// unmarshalRecord decodes one JSON line into r. Lines in the shape
// appendRecordJSON writes (a flat object with benchctl's exact keys) take a
// fast path without reflection; anything else (other key spellings,
// headers, nulls, invalid UTF-8) goes through encoding/json, so the result
// is always what json.Unmarshal gives. TestParseRecordJSONMatchesStdlib
// checks the equivalence.
func unmarshalRecord(line []byte, r *Record) error {
	*r = Record{}
	if parseRecordJSON(line, r) {
		return nil
	}
	*r = Record{}
	return json.Unmarshal(line, r)
}

// parseRecordJSON is the fast path; it returns false when it cannot decode
// line exactly as encoding/json would (the caller then falls back).
func parseRecordJSON(line []byte, r *Record) bool {
	p := jsonParser{b: line}
	p.ws()
	if !p.consume('{') {
		return false
	}
	p.ws()
	if p.consume('}') {
		return p.end()
	}
	for {
		p.ws()
		key, ok := p.rawString()
		if !ok {
			return false
		}
		p.ws()
		if !p.consume(':') {
			return false
		}
		p.ws()
		if !p.field(key, r) {
			return false
		}
		p.ws()
		if p.consume(',') {
			continue
		}
		if p.consume('}') {
			return p.end()
		}
		return false
	}
}

type jsonParser struct {
	b   []byte
	i   int
	tmp []byte
}

func (p *jsonParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) consume(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *jsonParser) end() bool {
	p.ws()
	return p.i == len(p.b)
}

// rawString returns the bytes of a string without escapes (keys).
func (p *jsonParser) rawString() ([]byte, bool) {
	if !p.consume('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
		p.i++
	}
	return nil, false
}

// str decodes a JSON string value (with escapes); false on invalid UTF-8
// or anything encoding/json would treat differently.
func (p *jsonParser) str() (string, bool) {
	if !p.consume('"') {
		return "", false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == '"' {
			s := p.b[start:p.i]
			p.i++
			if !utf8.Valid(s) {
				return "", false
			}
			return string(s), true
		}
		if c == '\\' {
			return p.escapedStr(start)
		}
		if c < 0x20 {
			return "", false
		}
		p.i++
	}
	return "", false
}

func (p *jsonParser) escapedStr(start int) (string, bool) {
	out := append(p.tmp[:0], p.b[start:p.i]...)
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			p.tmp = out
			if !utf8.Valid(out) {
				return "", false
			}
			return string(out), true
		case c < 0x20:
			return "", false
		case c != '\\':
			out = append(out, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.b) {
			return "", false
		}
		e := p.b[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r1, ok := p.hex4()
			if !ok {
				return "", false
			}
			if utf16.IsSurrogate(r1) {
				if p.i+1 < len(p.b) && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
					save := p.i
					p.i += 2
					r2, ok := p.hex4()
					if ok {
						if dec := utf16.DecodeRune(r1, r2); dec != utf8.RuneError {
							out = utf8.AppendRune(out, dec)
							continue
						}
					}
					p.i = save
				}
				r1 = utf8.RuneError
			}
			out = utf8.AppendRune(out, r1)
		default:
			return "", false
		}
	}
	return "", false
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.i+4 > len(p.b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.b[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(v), true
}

// number returns the bytes of a JSON number.
func (p *jsonParser) number() ([]byte, bool) {
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			p.i++
			continue
		}
		break
	}
	return p.b[start:p.i], p.i > start
}

func (p *jsonParser) uint(bits int) (uint64, bool) {
	n, ok := p.number()
	if !ok || !validJSONNumber(n) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(n), 10, bits)
	return v, err == nil
}

func (p *jsonParser) int(bits int) (int64, bool) {
	n, ok := p.number()
	if !ok || !validJSONNumber(n) {
		return 0, false
	}
	v, err := strconv.ParseInt(string(n), 10, bits)
	return v, err == nil
}

func (p *jsonParser) float() (*float64, bool) {
	n, ok := p.number()
	if !ok || !validJSONNumber(n) {
		return nil, false
	}
	v, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return nil, false
	}
	return &v, true
}

// validJSONNumber rejects forms ParseFloat accepts but JSON does not
// (leading '+', leading zeros, "1.", ".5").
func validJSONNumber(n []byte) bool {
	i := 0
	if i < len(n) && n[i] == '-' {
		i++
	}
	if i >= len(n) || n[i] < '0' || n[i] > '9' {
		return false
	}
	if n[i] == '0' && i+1 < len(n) && n[i+1] >= '0' && n[i+1] <= '9' {
		return false
	}
	for i < len(n) && n[i] >= '0' && n[i] <= '9' {
		i++
	}
	if i < len(n) && n[i] == '.' {
		i++
		if i >= len(n) || n[i] < '0' || n[i] > '9' {
			return false
		}
		for i < len(n) && n[i] >= '0' && n[i] <= '9' {
			i++
		}
	}
	if i < len(n) && (n[i] == 'e' || n[i] == 'E') {
		i++
		if i < len(n) && (n[i] == '+' || n[i] == '-') {
			i++
		}
		if i >= len(n) || n[i] < '0' || n[i] > '9' {
			return false
		}
		for i < len(n) && n[i] >= '0' && n[i] <= '9' {
			i++
		}
	}
	return i == len(n)
}

func (p *jsonParser) time() (time.Time, bool) {
	if !p.consume('"') {
		return time.Time{}, false
	}
	end := bytes.IndexByte(p.b[p.i:], '"')
	if end < 0 {
		return time.Time{}, false
	}
	var t time.Time
	if err := t.UnmarshalText(p.b[p.i : p.i+end]); err != nil {
		return time.Time{}, false
	}
	p.i += end + 1
	return t, true
}

// field decodes the value of key into r; false for keys it does not know
// exactly (encoding/json matches keys case-insensitively) and for nulls,
// objects and arrays.
func (p *jsonParser) field(key []byte, r *Record) bool {
	var ok bool
	switch string(key) {
	case "attack":
		r.Attack, ok = p.str()
	case "seq":
		r.Seq, ok = p.uint(64)
	case "code":
		var v uint64
		v, ok = p.uint(16)
		r.Code = uint16(v)
	case "timestamp":
		r.Timestamp, ok = p.time()
	case "latency":
		var v int64
		v, ok = p.int(64)
		r.Latency = time.Duration(v)
	case "bytes_out":
		r.BytesOut, ok = p.uint(64)
	case "bytes_in":
		r.BytesIn, ok = p.uint(64)
	case "error":
		r.Error, ok = p.str()
	case "body":
		var s string
		if s, ok = p.str(); ok {
			b, err := base64.StdEncoding.DecodeString(s)
			r.Body, ok = b, err == nil
		}
	case "method":
		r.Method, ok = p.str()
	case "url":
		r.URL, ok = p.str()
	case "target":
		r.Target, ok = p.str()
	case "phase":
		r.Phase, ok = p.str()
	case "step":
		r.Step, ok = p.str()
	case "experiment":
		r.Experiment, ok = p.str()
	case "trial":
		var v int64
		v, ok = p.int(32)
		r.Trial = int(v)
	case "intended":
		r.Intended, ok = p.time()
	case "corrected_latency":
		var v int64
		v, ok = p.int(64)
		r.CorrectedLatency = time.Duration(v)
	case "error_class":
		r.ErrorClass, ok = p.str()
	case "request_id":
		r.RequestID, ok = p.str()
	case "duration_ms":
		r.DurationMs, ok = p.float()
	case "billed_duration_ms":
		r.BilledDurationMs, ok = p.float()
	case "init_duration_ms":
		r.InitDurationMs, ok = p.float()
	case "restore_duration_ms":
		r.RestoreDurationMs, ok = p.float()
	case "billed_restore_duration_ms":
		r.BilledRestoreDurationMs, ok = p.float()
	case "memory_size_mb":
		var v int64
		if v, ok = p.int(strconv.IntSize); ok {
			n := int(v)
			r.MemorySizeMB = &n
		}
	case "max_memory_used_mb":
		var v int64
		if v, ok = p.int(strconv.IntSize); ok {
			n := int(v)
			r.MaxMemoryUsedMB = &n
		}
	case "cold":
		switch {
		case bytes.HasPrefix(p.b[p.i:], []byte("true")):
			r.Cold, ok = true, true
			p.i += 4
		case bytes.HasPrefix(p.b[p.i:], []byte("false")):
			r.Cold, ok = false, true
			p.i += 5
		}
	case "function_error":
		r.FunctionError, ok = p.str()
	case "report_status":
		r.ReportStatus, ok = p.str()
	case "report_error":
		r.ReportError, ok = p.str()
	case "server_timing_ms":
		r.ServerTimingMs, ok = p.float()
	}
	return ok
}
