// Package lambdareport formats and parses the REPORT line AWS Lambda writes
// at the end of every invocation: the platform's own account of how long the
// handler ran, what it billed and how much memory it used.
//
// The text log format (the default) is one tab-separated line with a
// trailing tab:
//
//	REPORT RequestId: <uuid>\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 1024 MB\tMax Memory Used: 87 MB\t
//
// followed, when they apply, by "Init Duration: 234.56 ms\t" (cold start),
// "Restore Duration: 398.97 ms\tBilled Restore Duration: 182 ms\t"
// (SnapStart restore), "Status: timeout" or "Status: error\tError Type:
// Runtime.OutOfMemory". With the JSON log format the same facts arrive as a
// {"type":"platform.report","record":{...}} line. Parse accepts both, the
// old space-separated form, the Runtime Interface Emulator's reordered form
// (Init Duration first) and tails cut at any point, and never panics.
package lambdareport

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Field is a bit set of the REPORT fields a line carried, so that "absent"
// differs from zero.
type Field uint16

// Fields of a REPORT line.
const (
	FieldRequestID Field = 1 << iota
	FieldDuration
	FieldBilledDuration
	FieldMemorySize
	FieldMaxMemoryUsed
	FieldInitDuration
	FieldRestoreDuration
	FieldBilledRestoreDuration
	FieldStatus
	FieldErrorType
)

// FieldsMandatory are the fields every complete REPORT line carries.
const FieldsMandatory = FieldRequestID | FieldDuration | FieldBilledDuration | FieldMemorySize | FieldMaxMemoryUsed

// Log formats a Report was parsed from (Report.Format).
const (
	FormatText = "text"
	FormatJSON = "json"
)

// Status values of a REPORT line (Report.Status). A successful invocation
// has no Status in the text format; it is then empty.
const (
	StatusTimeout = "timeout"
	StatusError   = "error"
)

// Errors returned by Parse and ParseLogResult. The returned Report still holds
// every field that could be read.
var (
	// ErrNoReport means the tail held no REPORT line (nor platform.report record).
	ErrNoReport = errors.New("no REPORT line in log tail")
	// ErrIncomplete means a REPORT line lacked mandatory fields (a cut tail).
	ErrIncomplete = errors.New("incomplete REPORT line")
)

// Report is one REPORT line. Durations are milliseconds, memory is MB.
// Optional fields are pointers (nil when absent); Present says which of all
// fields the parsed line carried.
type Report struct {
	// RequestID is the invocation's request id.
	RequestID string
	// DurationMs is the handler duration the platform measured.
	DurationMs float64
	// BilledDurationMs is the duration the platform billed (whole ms since
	// December 2020; since 2025-08-01 it includes Init Duration on cold
	// starts of on-demand ZIP functions).
	BilledDurationMs float64
	// MemorySizeMB is the configured memory.
	MemorySizeMB int
	// MaxMemoryUsedMB is the instance's peak memory use.
	MaxMemoryUsedMB int
	// InitDurationMs is set on cold starts (not on SnapStart restores).
	InitDurationMs *float64
	// RestoreDurationMs and BilledRestoreDurationMs are set on SnapStart restores.
	RestoreDurationMs       *float64
	BilledRestoreDurationMs *float64
	// Status is empty on success, or StatusTimeout / StatusError (or any
	// other value the platform writes).
	Status string
	// ErrorType is the Error Type that follows Status: error (e.g. Runtime.OutOfMemory).
	ErrorType string
	// XRayTraceID is the TraceId of an XRAY line that followed the REPORT line, if any.
	XRayTraceID string
	// Init is the INIT_REPORT line of the same tail, if any (init failures,
	// SnapStart).
	Init *InitReport
	// Format is FormatText or FormatJSON (set by Parse).
	Format string
	// Present is the set of fields the line carried (set by Parse; String
	// ignores it).
	Present Field
}

// InitReport is an INIT_REPORT line:
// "INIT_REPORT Init Duration: 154.03 ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError".
type InitReport struct {
	InitDurationMs float64
	Phase          string
	Status         string
	ErrorType      string
}

// Has reports whether the parsed line carried all fields in f.
func (r Report) Has(f Field) bool { return r.Present&f == f }

// Cold reports whether the invocation started a new instance: the line
// carries an Init Duration or a (SnapStart) Restore Duration.
func (r Report) Cold() bool { return r.InitDurationMs != nil || r.RestoreDurationMs != nil }

// GBSeconds is the compute the invocation billed:
// BilledDurationMs/1000 × MemorySizeMB/1024. Init Duration is not added
// again: it is already inside Billed Duration where AWS bills it.
func (r Report) GBSeconds() float64 {
	return r.BilledDurationMs / 1000 * float64(r.MemorySizeMB) / 1024
}

// String returns the line exactly as AWS's text log format writes it
// (without a trailing newline): durations with two decimals, billed
// durations as whole numbers when they are whole, a tab after every field
// except the final Status/Error Type.
func (r Report) String() string {
	var b strings.Builder
	b.Grow(192)
	b.WriteString("REPORT RequestId: ")
	b.WriteString(r.RequestID)
	fmt.Fprintf(&b, "\tDuration: %.2f ms\tBilled Duration: %s ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		r.DurationMs, formatBilled(r.BilledDurationMs), r.MemorySizeMB, r.MaxMemoryUsedMB)
	if r.InitDurationMs != nil {
		fmt.Fprintf(&b, "Init Duration: %.2f ms\t", *r.InitDurationMs)
	}
	if r.RestoreDurationMs != nil {
		fmt.Fprintf(&b, "Restore Duration: %.2f ms\t", *r.RestoreDurationMs)
	}
	if r.BilledRestoreDurationMs != nil {
		fmt.Fprintf(&b, "Billed Restore Duration: %s ms\t", formatBilled(*r.BilledRestoreDurationMs))
	}
	if r.Status != "" {
		b.WriteString("Status: ")
		b.WriteString(r.Status)
		if r.ErrorType != "" {
			b.WriteString("\tError Type: ")
			b.WriteString(r.ErrorType)
		}
	}
	return b.String()
}

// JSON returns the record as the JSON log format's platform.report line
// (without time stamp): {"type":"platform.report","record":{...}}.
func (r Report) JSON() string {
	metrics := map[string]any{
		"durationMs":       r.DurationMs,
		"billedDurationMs": r.BilledDurationMs,
		"memorySizeMB":     r.MemorySizeMB,
		"maxMemoryUsedMB":  r.MaxMemoryUsedMB,
	}
	if r.InitDurationMs != nil {
		metrics["initDurationMs"] = *r.InitDurationMs
	}
	if r.RestoreDurationMs != nil {
		metrics["restoreDurationMs"] = *r.RestoreDurationMs
	}
	if r.BilledRestoreDurationMs != nil {
		metrics["billedRestoreDurationMs"] = *r.BilledRestoreDurationMs
	}
	status := r.Status
	if status == "" {
		status = "success"
	}
	rec := map[string]any{"requestId": r.RequestID, "status": status, "metrics": metrics}
	if r.ErrorType != "" {
		rec["errorType"] = r.ErrorType
	}
	b, err := json.Marshal(map[string]any{"type": "platform.report", "record": rec})
	if err != nil { // unreachable: only plain values above
		return ""
	}
	return string(b)
}

// BilledMs rounds a measured duration up to AWS's 1 ms billing granularity:
// ceil(durationMs), and at least 1.
func BilledMs(durationMs float64) float64 {
	v := math.Ceil(durationMs)
	if v < 1 {
		v = 1
	}
	return v
}

func formatBilled(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

var (
	fieldRe   = regexp.MustCompile(`\s(Billed Restore Duration|Restore Duration|Billed Duration|Init Duration|Duration|Memory Size|Max Memory Used): ([0-9][0-9.]*) (ms|MB)`)
	statusRe  = regexp.MustCompile(`\sStatus: (\S+)`)
	errTypeRe = regexp.MustCompile(`\sError Type: (\S+)`)
	xrayRe    = regexp.MustCompile(`^XRAY TraceId: (\S+)`)
	initRe    = regexp.MustCompile(`^INIT_REPORT\s`)
	phaseRe   = regexp.MustCompile(`\sPhase: (\S+)`)
	jsonRepRe = regexp.MustCompile(`"type"\s*:\s*"platform\.report"`)
	jsonIniRe = regexp.MustCompile(`"type"\s*:\s*"platform\.initReport"`)
)

// ParseLogResult decodes an X-Amz-Log-Result header (base64 of the last
// 4 KB of the execution log) and parses its REPORT line.
func ParseLogResult(b64 string) (Report, error) {
	b64 = strings.TrimSpace(b64)
	if b64 == "" {
		return Report{}, fmt.Errorf("parse log result: empty: %w", ErrNoReport)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		raw2, err2 := base64.RawStdEncoding.DecodeString(strings.TrimRight(b64, "="))
		if err2 != nil {
			return Report{}, fmt.Errorf("parse log result: decode base64: %w", err)
		}
		raw = raw2
	}
	return Parse(string(raw))
}

// Parse finds the last REPORT line (text) or platform.report record (JSON)
// in a log tail and parses it. Lines before it (START, user logs, possibly
// cut) are ignored, except an INIT_REPORT line, which is kept in Init; an
// XRAY line after it fills XRayTraceID. When no report is found the error
// wraps ErrNoReport; when mandatory fields are missing it wraps
// ErrIncomplete and the Report holds what was readable.
func Parse(tail string) (Report, error) {
	lines := strings.Split(strings.ReplaceAll(tail, "\r\n", "\n"), "\n")
	idx, isJSON := -1, false
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if strings.HasPrefix(l, "REPORT ") {
			idx = i
			break
		}
		if strings.HasPrefix(l, "{") && jsonRepRe.MatchString(l) {
			idx, isJSON = i, true
			break
		}
	}
	if idx < 0 {
		return Report{}, ErrNoReport
	}
	var (
		r   Report
		err error
	)
	if isJSON {
		r, err = parseJSON(strings.TrimSpace(lines[idx]))
	} else {
		r = parseText(strings.TrimSpace(lines[idx]))
	}
	for _, l := range lines[idx+1:] {
		if m := xrayRe.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			r.XRayTraceID = m[1]
			break
		}
	}
	for i := idx - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if strings.HasPrefix(l, "REPORT ") {
			break // an earlier invocation's lines
		}
		if initRe.MatchString(l + " ") {
			r.Init = parseInitText(l)
			break
		}
		if strings.HasPrefix(l, "{") && jsonIniRe.MatchString(l) {
			r.Init = parseInitJSON(l)
			break
		}
	}
	if err != nil {
		return r, err
	}
	if !r.Has(FieldsMandatory) {
		return r, fmt.Errorf("%w: missing %s", ErrIncomplete, missing(r.Present))
	}
	return r, nil
}

// textKeys are the REPORT text fields, longest first so that a key wins
// over its suffixes ("Billed Duration" over "Duration").
var textKeys = []struct {
	key     string
	f       Field
	numeric bool
}{
	{"Billed Restore Duration", FieldBilledRestoreDuration, true},
	{"Restore Duration", FieldRestoreDuration, true},
	{"Billed Duration", FieldBilledDuration, true},
	{"Max Memory Used", FieldMaxMemoryUsed, true},
	{"Init Duration", FieldInitDuration, true},
	{"Memory Size", FieldMemorySize, true},
	{"Error Type", FieldErrorType, false},
	{"Duration", FieldDuration, true},
	{"Status", FieldStatus, false},
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// parseText reads a text REPORT line without regular expressions: at each
// ": " it looks for a known key that ends there and follows whitespace,
// then for a value: numeric fields need "<digits and dots> ms|MB" (the
// last occurrence wins), Status and Error Type a run of non-space (the
// first occurrence wins). It is equivalent to the regular expressions
// \s(KEY): ([0-9][0-9.]*) (ms|MB), \sStatus: (\S+) and \sError Type: (\S+).
func parseText(line string) Report {
	r := Report{Format: FormatText}
	if rest, ok := strings.CutPrefix(line, "REPORT RequestId: "); ok {
		end := 0
		for end < len(rest) && !isSpace(rest[end]) {
			end++
		}
		if end > 0 {
			r.RequestID = rest[:end]
			r.Present |= FieldRequestID
		}
	}
	for i := 0; ; {
		j := strings.Index(line[i:], ": ")
		if j < 0 {
			break
		}
		colon := i + j
		i = colon + 2
		before, after := line[:colon], line[colon+2:]
		for _, k := range textKeys {
			p := len(before) - len(k.key)
			if p < 1 || before[p:] != k.key || !isSpace(before[p-1]) {
				continue
			}
			if !k.numeric {
				n := 0
				for n < len(after) && !isSpace(after[n]) {
					n++
				}
				if n == 0 || r.Present&k.f != 0 {
					continue
				}
				if k.f == FieldStatus {
					r.Status = after[:n]
				} else {
					r.ErrorType = after[:n]
				}
				r.Present |= k.f
				break
			}
			n := 0
			for n < len(after) && (after[n] >= '0' && after[n] <= '9' || n > 0 && after[n] == '.') {
				n++
			}
			if n == 0 || len(after) < n+3 || after[n] != ' ' || (after[n+1:n+3] != "ms" && after[n+1:n+3] != "MB") {
				continue
			}
			v, err := strconv.ParseFloat(after[:n], 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			r.set(k.f, v)
			i = colon + 2 + n + 3
			break
		}
	}
	return r
}

// set stores a numeric field and marks it present.
func (r *Report) set(f Field, v float64) {
	switch f {
	case FieldDuration:
		r.DurationMs = v
	case FieldBilledDuration:
		r.BilledDurationMs = v
	case FieldMemorySize:
		r.MemorySizeMB = toInt(v)
	case FieldMaxMemoryUsed:
		r.MaxMemoryUsedMB = toInt(v)
	case FieldInitDuration:
		r.InitDurationMs = ptr(v)
	case FieldRestoreDuration:
		r.RestoreDurationMs = ptr(v)
	case FieldBilledRestoreDuration:
		r.BilledRestoreDurationMs = ptr(v)
	}
	r.Present |= f
}

// platformReport is the JSON log format's platform.report record.
type platformReport struct {
	Type   string `json:"type"`
	Record struct {
		RequestID string             `json:"requestId"`
		Status    string             `json:"status"`
		ErrorType string             `json:"errorType"`
		Metrics   map[string]float64 `json:"metrics"`
	} `json:"record"`
}

func parseJSON(line string) (Report, error) {
	r := Report{Format: FormatJSON}
	var pr platformReport
	if err := json.Unmarshal([]byte(line), &pr); err != nil {
		return r, fmt.Errorf("%w: platform.report json: %v", ErrIncomplete, err)
	}
	if pr.Record.RequestID != "" {
		r.RequestID = pr.Record.RequestID
		r.Present |= FieldRequestID
	}
	m := pr.Record.Metrics
	set := func(key string, f Field, dst func(float64)) {
		if v, ok := m[key]; ok {
			dst(v)
			r.Present |= f
		}
	}
	set("durationMs", FieldDuration, func(v float64) { r.DurationMs = v })
	set("billedDurationMs", FieldBilledDuration, func(v float64) { r.BilledDurationMs = v })
	set("memorySizeMB", FieldMemorySize, func(v float64) { r.MemorySizeMB = toInt(v) })
	set("maxMemoryUsedMB", FieldMaxMemoryUsed, func(v float64) { r.MaxMemoryUsedMB = toInt(v) })
	set("initDurationMs", FieldInitDuration, func(v float64) { r.InitDurationMs = ptr(v) })
	set("restoreDurationMs", FieldRestoreDuration, func(v float64) { r.RestoreDurationMs = ptr(v) })
	set("billedRestoreDurationMs", FieldBilledRestoreDuration, func(v float64) { r.BilledRestoreDurationMs = ptr(v) })
	if s := pr.Record.Status; s != "" && s != "success" {
		r.Status = s
		r.Present |= FieldStatus
	}
	if pr.Record.ErrorType != "" {
		r.ErrorType = pr.Record.ErrorType
		r.Present |= FieldErrorType
	}
	return r, nil
}

func parseInitText(line string) *InitReport {
	ir := &InitReport{}
	for _, m := range fieldRe.FindAllStringSubmatch(" "+line, -1) {
		if m[1] == "Init Duration" {
			if v, err := strconv.ParseFloat(m[2], 64); err == nil {
				ir.InitDurationMs = v
			}
		}
	}
	if m := phaseRe.FindStringSubmatch(line); m != nil {
		ir.Phase = m[1]
	}
	if m := statusRe.FindStringSubmatch(line); m != nil {
		ir.Status = m[1]
	}
	if m := errTypeRe.FindStringSubmatch(line); m != nil {
		ir.ErrorType = m[1]
	}
	return ir
}

func parseInitJSON(line string) *InitReport {
	var v struct {
		Record struct {
			Phase     string             `json:"phase"`
			Status    string             `json:"status"`
			ErrorType string             `json:"errorType"`
			Metrics   map[string]float64 `json:"metrics"`
		} `json:"record"`
	}
	if json.Unmarshal([]byte(line), &v) != nil {
		return nil
	}
	return &InitReport{
		InitDurationMs: v.Record.Metrics["durationMs"],
		Phase:          v.Record.Phase,
		Status:         v.Record.Status,
		ErrorType:      v.Record.ErrorType,
	}
}

func missing(p Field) string {
	names := []struct {
		f Field
		n string
	}{
		{FieldRequestID, "RequestId"}, {FieldDuration, "Duration"}, {FieldBilledDuration, "Billed Duration"},
		{FieldMemorySize, "Memory Size"}, {FieldMaxMemoryUsed, "Max Memory Used"},
	}
	var out []string
	for _, n := range names {
		if p&n.f == 0 {
			out = append(out, n.n)
		}
	}
	return strings.Join(out, ", ")
}

func toInt(v float64) int {
	if v > math.MaxInt32 || v < math.MinInt32 {
		return 0
	}
	return int(math.Round(v))
}

func ptr(v float64) *float64 { return &v }
