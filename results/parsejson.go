package results

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
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
	p := jsonParser{}
	return p.record(line, r)
}

// RecordParser decodes the lines of results.jsonl one after another, as
// ParseRecord does, without allocating for what repeats: strings seen
// before (targets, phases, URLs, error texts) are shared, and the record's
// pointer fields (the serverless durations, memory sizes) and its body
// point into the parser, valid until the next Parse. A reader that keeps
// a record past that copies it (Record.Clone). It is not safe for
// concurrent use; the summary pipeline gives each parse worker its own.
type RecordParser struct {
	p jsonParser
}

// NewRecordParser returns a parser with an empty string table.
func NewRecordParser() *RecordParser {
	return &RecordParser{p: jsonParser{intern: map[string]string{}, reuse: true}}
}

// Parse decodes line into r (r is reset first).
func (rp *RecordParser) Parse(line []byte, r *Record) error {
	*r = Record{}
	if rp.p.record(line, r) {
		return nil
	}
	*r = Record{}
	return json.Unmarshal(line, r)
}

// Clone returns a copy of r that shares nothing with it (pointer fields,
// body and headers copied): what a reader keeps of a record a
// RecordParser filled.
func (r *Record) Clone() Record {
	c := *r
	for _, f := range []**float64{&c.DurationMs, &c.BilledDurationMs, &c.InitDurationMs, &c.RestoreDurationMs,
		&c.BilledRestoreDurationMs, &c.ServerTimingMs} {
		if *f != nil {
			v := **f
			*f = &v
		}
	}
	for _, f := range []**int{&c.MemorySizeMB, &c.MaxMemoryUsedMB} {
		if *f != nil {
			v := **f
			*f = &v
		}
	}
	if c.Body != nil {
		c.Body = append([]byte(nil), c.Body...)
	}
	if c.Headers != nil {
		c.Headers = c.Headers.Clone()
	}
	return c
}

// slotArena is the str slot of fields whose values are unique (request
// ids): copied into the arena, never looked up.
const slotArena = -2

// maxInterned bounds the string table of a RecordParser (distinct
// strings) and maxInternLen the length of a string it shares.
const (
	maxInterned  = 1 << 14
	maxInternLen = 512
)

// record decodes one line into r; false when the fast path cannot.
func (p *jsonParser) record(line []byte, r *Record) bool {
	p.b, p.i = line, 0
	p.ws()
	if !p.consume('{') {
		return false
	}
	p.ws()
	if p.consume('}') {
		return p.end()
	}
	next := 0
	for {
		// The keys come in appendRecordJSON's order: try the next ones
		// first, each with its colon, before decoding a key.
		k := -1
		if rest := p.b[p.i:]; len(rest) >= 8 && rest[0] == '"' {
			head := binary.LittleEndian.Uint64(rest)
			for j := next; j < len(keyWords); j++ {
				if kw := &keyWords[j]; head&kw.mask == kw.head && kw.matchRest(rest) {
					k, next = j, j+1
					p.i += kw.n
					break
				}
			}
		}
		if k < 0 {
			p.ws()
			key, ok := p.rawString()
			if !ok {
				return false
			}
			p.ws()
			if !p.consume(':') {
				return false
			}
			if k = keyIndex(key); k < 0 {
				return false // a key encoding/json may match case-insensitively
			}
		}
		if p.i < len(p.b) && p.b[p.i] <= ' ' {
			p.ws()
		}
		if !p.field(k, r) {
			return false
		}
		if p.i < len(p.b) && p.b[p.i] == ',' {
			p.i++
			continue
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

// recordKeys are Record's JSON keys, each with its quotes and colon, in
// the order appendRecordJSON writes them.
var recordKeys = [...]string{`"attack":`, `"seq":`, `"code":`, `"timestamp":`, `"latency":`, `"bytes_out":`,
	`"bytes_in":`, `"error":`, `"body":`, `"method":`, `"url":`, `"headers":`, `"target":`, `"phase":`, `"step":`,
	`"experiment":`, `"trial":`, `"intended":`, `"corrected_latency":`, `"error_class":`, `"request_id":`, `"duration_ms":`,
	`"billed_duration_ms":`, `"init_duration_ms":`, `"restore_duration_ms":`, `"billed_restore_duration_ms":`,
	`"memory_size_mb":`, `"max_memory_used_mb":`, `"cold":`, `"function_error":`, `"report_status":`,
	`"report_error":`, `"server_timing_ms":`}

// keyWord is a key of recordKeys as little-endian words, for matching
// without a call: its first 8 bytes (head; masked when the key is
// shorter), its following whole words and its last 8 bytes (tail).
type keyWord struct {
	n          int
	head, mask uint64
	words      [3]uint64 // at 8, 16 and 24, while whole
	tail       uint64    // at n−8, when n is not a multiple of 8
}

// keyWords are recordKeys as keyWords.
var keyWords = func() (out [len(recordKeys)]keyWord) {
	for i, lit := range recordKeys {
		b := []byte(lit)
		kw := keyWord{n: len(b), mask: ^uint64(0)}
		var pad [8]byte
		copy(pad[:], b)
		if len(b) < 8 {
			kw.mask = 1<<(8*len(b)) - 1
		}
		kw.head = binary.LittleEndian.Uint64(pad[:]) & kw.mask
		for w := 1; 8*w+8 <= len(b); w++ {
			kw.words[w-1] = binary.LittleEndian.Uint64(b[8*w:])
		}
		if len(b) > 8 {
			kw.tail = binary.LittleEndian.Uint64(b[len(b)-8:])
		}
		out[i] = kw
	}
	return out
}()

// matchRest reports whether b, whose first 8 bytes match the head, starts
// with the whole key.
func (kw *keyWord) matchRest(b []byte) bool {
	if kw.n <= 8 {
		return true
	}
	if len(b) < kw.n {
		return false
	}
	for w := 1; 8*w+8 <= kw.n; w++ {
		if binary.LittleEndian.Uint64(b[8*w:]) != kw.words[w-1] {
			return false
		}
	}
	return binary.LittleEndian.Uint64(b[kw.n-8:]) == kw.tail
}

// Indices into recordKeys.
const (
	keyAttack = iota
	keySeq
	keyCode
	keyTimestamp
	keyLatency
	keyBytesOut
	keyBytesIn
	keyError
	keyBody
	keyMethod
	keyURL
	keyHeaders
	keyTarget
	keyPhase
	keyStep
	keyExperiment
	keyTrial
	keyIntended
	keyCorrectedLatency
	keyErrorClass
	keyRequestID
	keyDurationMs
	keyBilledDurationMs
	keyInitDurationMs
	keyRestoreDurationMs
	keyBilledRestoreDurationMs
	keyMemorySizeMB
	keyMaxMemoryUsedMB
	keyCold
	keyFunctionError
	keyReportStatus
	keyReportError
	keyServerTimingMs
)

// keyIndex is key's index in recordKeys, -1 for any other key.
func keyIndex(key []byte) int {
	for i, lit := range recordKeys {
		if len(lit) == len(key)+3 && string(key) == lit[1:len(lit)-2] {
			return i
		}
	}
	return -1
}

type jsonParser struct {
	b   []byte
	i   int
	tmp []byte
	// intern shares repeated strings; reuse points the record's pointer
	// fields and body into the parser (RecordParser).
	intern map[string]string
	reuse  bool
	floats [6]float64
	ints   [2]int
	body   []byte
	// recent holds the last two values of each string field.
	recent [16][2]string
	// arena holds strings not interned (request ids): bytes are only
	// appended, never overwritten.
	arena []byte
	// minute is the "2006-01-02T15:04" of the last time decoded and
	// minuteUnix its Unix time (RecordParser).
	minute     [16]byte
	minuteUnix int64
	minuteOK   bool
}

// string returns b as a string: for a RecordParser an interned copy, or,
// once the table is full or for long strings, a copy in the parser's
// string arena (append-only blocks that are never written again, so the
// strings stay valid however long they are kept).
func (p *jsonParser) string(b []byte) string {
	if p.intern == nil {
		return string(b)
	}
	if len(b) <= maxInternLen {
		if s, ok := p.intern[string(b)]; ok {
			return s
		}
		if len(p.intern) < maxInterned {
			s := string(b)
			p.intern[s] = s
			return s
		}
	}
	return p.arenaString(b)
}

// arenaBlock is the size of a string arena block.
const arenaBlock = 64 << 10

// arenaString copies b into the arena and returns it as a string.
func (p *jsonParser) arenaString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > arenaBlock/4 {
		return string(b)
	}
	if cap(p.arena)-len(p.arena) < len(b) {
		p.arena = make([]byte, 0, arenaBlock)
	}
	start := len(p.arena)
	p.arena = append(p.arena, b...)
	return unsafe.String(&p.arena[start], len(b))
}

func (p *jsonParser) ws() {
	if p.i < len(p.b) && p.b[p.i] > ' ' {
		return // the common case: no whitespace
	}
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

// rawString returns the bytes of a string without escapes (keys): false
// on a backslash (a key spelled with escapes goes through encoding/json).
// Control characters are not checked: a key holding one matches no field,
// which sends the line to encoding/json too.
func (p *jsonParser) rawString() ([]byte, bool) {
	if !p.consume('"') {
		return nil, false
	}
	b := p.b
	for i := p.i; i < len(b); i++ {
		switch b[i] {
		case '"':
			s := b[p.i:i]
			p.i = i + 1
			return s, true
		case '\\':
			return nil, false
		}
	}
	return nil, false
}

// plainString returns the bytes of a string value without escapes or
// control characters (base64 bodies); false otherwise (the caller falls
// back to encoding/json).
func (p *jsonParser) plainString() ([]byte, bool) {
	start := p.i
	b, ok := p.rawString()
	if !ok {
		return nil, false
	}
	for _, c := range b {
		if c < 0x20 {
			p.i = start
			return nil, false
		}
	}
	return b, true
}

// str decodes a JSON string value (with escapes); false on invalid UTF-8
// or anything encoding/json would treat differently. slot (≥ 0) names the
// field, whose last two values a RecordParser remembers.
func (p *jsonParser) str(slot int) (string, bool) {
	if !p.consume('"') {
		return "", false
	}
	if p.intern != nil && slot >= 0 {
		// A repeated value: the field's recent values are plain (no escapes,
		// quotes or control characters, valid UTF-8), so equal bytes
		// followed by the closing quote are that value.
		c := &p.recent[slot]
		for j, v := range c {
			if v == "" && j > 0 {
				break
			}
			if end := p.i + len(v); end < len(p.b) && p.b[end] == '"' && string(p.b[p.i:end]) == v {
				p.i = end + 1
				if j == 1 {
					c[0], c[1] = c[1], c[0]
				}
				return v, true
			}
		}
	}
	start := p.i
	ascii := true
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == '"' {
			s := p.b[start:p.i]
			p.i++
			if !ascii && !utf8.Valid(s) {
				return "", false
			}
			return p.shared(slot, s), true
		}
		if c == '\\' {
			return p.escapedStr(start)
		}
		if c < 0x20 {
			return "", false
		}
		if c >= 0x80 {
			ascii = false
		}
		p.i++
	}
	return "", false
}

// shared returns b as a string: for a RecordParser one of the field's
// last two values when equal, else the interned copy.
func (p *jsonParser) shared(slot int, b []byte) string {
	if p.intern == nil || slot < 0 {
		if slot == slotArena && p.intern != nil {
			return p.arenaString(b)
		}
		return string(b)
	}
	c := &p.recent[slot]
	if string(b) == c[0] {
		return c[0]
	}
	if string(b) == c[1] {
		c[0], c[1] = c[1], c[0]
		return c[0]
	}
	s := p.string(b)
	c[0], c[1] = s, c[0]
	return s
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

// digits reads a plain non-negative integer of at most 18 digits at the
// cursor (no leading zero, sign, fraction or exponent); false, with the
// cursor unmoved, for anything else.
func (p *jsonParser) digits() (uint64, bool) {
	b := p.b[p.i:]
	if len(b) > 19 {
		b = b[:19]
	}
	var v uint64
	n := 0
	for _, c := range b {
		d := c - '0'
		if d > 9 {
			break
		}
		v = v*10 + uint64(d)
		n++
	}
	if n == 0 || n > 18 || (n > 1 && b[0] == '0') {
		return 0, false
	}
	if i := p.i + n; i < len(p.b) {
		switch p.b[i] {
		case '.', 'e', 'E', '-', '+':
			return 0, false
		}
	}
	p.i += n
	return v, true
}

func (p *jsonParser) uint(bits int) (uint64, bool) {
	if v, ok := p.digits(); ok {
		if bits == 64 || v < 1<<bits {
			return v, true
		}
		return 0, false
	}
	n, ok := p.number()
	if !ok || !validJSONNumber(n) {
		return 0, false
	}
	if v, ok := smallUint(n); ok && (bits == 64 || v < 1<<bits) {
		return v, true
	}
	v, err := strconv.ParseUint(string(n), 10, bits)
	return v, err == nil
}

func (p *jsonParser) int(bits int) (int64, bool) {
	if v, ok := p.digits(); ok {
		if bits == 64 || v < 1<<(bits-1) {
			return int64(v), true
		}
		return 0, false
	}
	n, ok := p.number()
	if !ok || !validJSONNumber(n) {
		return 0, false
	}
	if v, ok := smallUint(n); ok && v < 1<<62 && (bits == 64 || v < 1<<(bits-1)) {
		return int64(v), true
	}
	v, err := strconv.ParseInt(string(n), 10, bits)
	return v, err == nil
}

// smallUint decodes a number of at most 18 plain digits (no sign,
// fraction or exponent) without strconv; false for anything else.
func smallUint(n []byte) (uint64, bool) {
	if len(n) == 0 || len(n) > 18 {
		return 0, false
	}
	var v uint64
	for _, c := range n {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}

// float decodes a number into slot (a parser-owned value when the parser
// reuses, else a new one).
func (p *jsonParser) float(slot int) (*float64, bool) {
	n, ok := p.number()
	if !ok || !validJSONNumber(n) {
		return nil, false
	}
	v, err := strconv.ParseFloat(unsafe.String(&n[0], len(n)), 64)
	if err != nil {
		return nil, false
	}
	if p.reuse {
		p.floats[slot] = v
		return &p.floats[slot], true
	}
	nv := v
	return &nv, true
}

// intPtr is an int field's value in slot (see float).
func (p *jsonParser) intPtr(slot int, v int) *int {
	if p.reuse {
		p.ints[slot] = v
		return &p.ints[slot]
	}
	nv := v
	return &nv
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
	if t, ok := p.utc(p.b[p.i : p.i+end]); ok {
		p.i += end + 1
		return t, true
	}
	var t time.Time
	if err := t.UnmarshalText(p.b[p.i : p.i+end]); err != nil {
		return time.Time{}, false
	}
	p.i += end + 1
	return t, true
}

// utc is parseUTC with the minute's start remembered: the records of a
// run share their date, hour and minute for long stretches.
func (p *jsonParser) utc(b []byte) (time.Time, bool) {
	if len(b) >= 20 && p.minuteOK && string(b[:16]) == string(p.minute[:]) && b[len(b)-1] == 'Z' && b[16] == ':' {
		s1, s2 := b[17], b[18]
		if s1 >= '0' && s1 <= '5' && s2 >= '0' && s2 <= '9' {
			sec := int64(s1-'0')*10 + int64(s2-'0')
			nsec, ok := fraction(b[19 : len(b)-1])
			if ok {
				return time.Unix(p.minuteUnix+sec, int64(nsec)).UTC(), true
			}
		}
	}
	t, ok := parseUTC(b)
	if ok && p.intern != nil {
		copy(p.minute[:], b[:16])
		p.minuteUnix = t.Unix() - int64(t.Second())
		p.minuteOK = true
	}
	return t, ok
}

// fraction decodes an RFC 3339 fraction (".123", 1 to 9 digits, or
// nothing) in nanoseconds.
func fraction(frac []byte) (int, bool) {
	if len(frac) == 0 {
		return 0, true
	}
	if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
		return 0, false
	}
	v := 0
	for _, c := range frac[1:] {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	for range 10 - len(frac) {
		v *= 10
	}
	return v, true
}

// daysIn is the number of days of month m of year y.
func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// civilDays is the number of days from 1970-01-01 to y-m-d (proleptic
// Gregorian; H. Hinnant's days_from_civil).
func civilDays(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// parseUTC decodes the RFC 3339 times benchctl writes
// ("2006-01-02T15:04:05.999999999Z", 0 to 9 fraction digits, UTC) into the
// value time.Time.UnmarshalText gives; false for any other form.
func parseUTC(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[len(b)-1] != 'Z' || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	num := func(b []byte) (int, bool) {
		v := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok1 := num(b[0:4])
	month, ok2 := num(b[5:7])
	day, ok3 := num(b[8:10])
	hour, ok4 := num(b[11:13])
	minute, ok5 := num(b[14:16])
	sec, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	nsec, ok := fraction(b[19 : len(b)-1])
	if !ok {
		return time.Time{}, false
	}
	if day > daysIn(month, year) {
		return time.Time{}, false // February 30th and the like: not a valid time
	}
	t := time.Unix(civilDays(year, month, day)*86400+int64(hour*3600+minute*60+sec), int64(nsec)).UTC()
	return t, true
}

// field decodes the value of key into r; false for keys it does not know
// exactly (encoding/json matches keys case-insensitively) and for nulls,
// objects and arrays.
func (p *jsonParser) field(k int, r *Record) bool {
	var ok bool
	switch k {
	case keyAttack:
		r.Attack, ok = p.str(0)
	case keySeq:
		r.Seq, ok = p.uint(64)
	case keyCode:
		var v uint64
		v, ok = p.uint(16)
		r.Code = uint16(v)
	case keyTimestamp:
		r.Timestamp, ok = p.time()
	case keyLatency:
		var v int64
		v, ok = p.int(64)
		r.Latency = time.Duration(v)
	case keyBytesOut:
		r.BytesOut, ok = p.uint(64)
	case keyBytesIn:
		r.BytesIn, ok = p.uint(64)
	case keyError:
		r.Error, ok = p.str(1)
	case keyBody:
		var raw []byte
		if raw, ok = p.plainString(); ok {
			if p.reuse {
				b, err := base64.StdEncoding.AppendDecode(p.body[:0], raw)
				p.body = b
				r.Body, ok = b, err == nil
			} else {
				b, err := base64.StdEncoding.DecodeString(string(raw))
				r.Body, ok = b, err == nil
			}
		}
	case keyMethod:
		r.Method, ok = p.str(2)
	case keyURL:
		r.URL, ok = p.str(3)
	case keyTarget:
		r.Target, ok = p.str(4)
	case keyPhase:
		r.Phase, ok = p.str(5)
	case keyStep:
		r.Step, ok = p.str(6)
	case keyExperiment:
		r.Experiment, ok = p.str(7)
	case keyTrial:
		var v int64
		v, ok = p.int(32)
		r.Trial = int(v)
	case keyIntended:
		r.Intended, ok = p.time()
	case keyCorrectedLatency:
		var v int64
		v, ok = p.int(64)
		r.CorrectedLatency = time.Duration(v)
	case keyErrorClass:
		r.ErrorClass, ok = p.str(8)
	case keyRequestID:
		r.RequestID, ok = p.str(slotArena)
	case keyDurationMs:
		r.DurationMs, ok = p.float(0)
	case keyBilledDurationMs:
		r.BilledDurationMs, ok = p.float(1)
	case keyInitDurationMs:
		r.InitDurationMs, ok = p.float(2)
	case keyRestoreDurationMs:
		r.RestoreDurationMs, ok = p.float(3)
	case keyBilledRestoreDurationMs:
		r.BilledRestoreDurationMs, ok = p.float(4)
	case keyMemorySizeMB:
		var v int64
		if v, ok = p.int(strconv.IntSize); ok {
			r.MemorySizeMB = p.intPtr(0, int(v))
		}
	case keyMaxMemoryUsedMB:
		var v int64
		if v, ok = p.int(strconv.IntSize); ok {
			r.MaxMemoryUsedMB = p.intPtr(1, int(v))
		}
	case keyCold:
		switch {
		case bytes.HasPrefix(p.b[p.i:], []byte("true")):
			r.Cold, ok = true, true
			p.i += 4
		case bytes.HasPrefix(p.b[p.i:], []byte("false")):
			r.Cold, ok = false, true
			p.i += 5
		}
	case keyFunctionError:
		r.FunctionError, ok = p.str(9)
	case keyReportStatus:
		r.ReportStatus, ok = p.str(10)
	case keyReportError:
		r.ReportError, ok = p.str(11)
	case keyServerTimingMs:
		r.ServerTimingMs, ok = p.float(5)
	}
	return ok
}
