package lambdareport

import (
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The regular expressions of libraries.md §2.4, kept as the oracle the
// hand-written parseText must agree with.
var (
	oracleReqIDRe  = regexp.MustCompile(`^REPORT RequestId: (\S+)`)
	oracleFieldRe  = regexp.MustCompile(`\s(Billed Restore Duration|Restore Duration|Billed Duration|Init Duration|Duration|Memory Size|Max Memory Used): ([0-9][0-9.]*) (ms|MB)`)
	oracleStatusRe = regexp.MustCompile(`\sStatus: (\S+)`)
	oracleErrRe    = regexp.MustCompile(`\sError Type: (\S+)`)
)

func parseTextOracle(line string) Report {
	r := Report{Format: FormatText}
	if m := oracleReqIDRe.FindStringSubmatch(line); m != nil {
		r.RequestID = m[1]
		r.Present |= FieldRequestID
	}
	fields := map[string]Field{
		"Duration": FieldDuration, "Billed Duration": FieldBilledDuration, "Memory Size": FieldMemorySize,
		"Max Memory Used": FieldMaxMemoryUsed, "Init Duration": FieldInitDuration, "Restore Duration": FieldRestoreDuration,
		"Billed Restore Duration": FieldBilledRestoreDuration,
	}
	for _, m := range oracleFieldRe.FindAllStringSubmatch(line, -1) {
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		r.set(fields[m[1]], v)
	}
	if m := oracleStatusRe.FindStringSubmatch(line); m != nil {
		r.Status = m[1]
		r.Present |= FieldStatus
	}
	if m := oracleErrRe.FindStringSubmatch(line); m != nil {
		r.ErrorType = m[1]
		r.Present |= FieldErrorType
	}
	return r
}

func sameReport(a, b Report) bool {
	return a.RequestID == b.RequestID && a.DurationMs == b.DurationMs && a.BilledDurationMs == b.BilledDurationMs &&
		a.MemorySizeMB == b.MemorySizeMB && a.MaxMemoryUsedMB == b.MaxMemoryUsedMB && a.Status == b.Status &&
		a.ErrorType == b.ErrorType && a.Present == b.Present && eqPtr(a.InitDurationMs, b.InitDurationMs) &&
		eqPtr(a.RestoreDurationMs, b.RestoreDurationMs) && eqPtr(a.BilledRestoreDurationMs, b.BilledRestoreDurationMs)
}

// TestParseTextMatchesOracle compares parseText with the regular
// expressions on lines built at random from REPORT fragments.
func TestParseTextMatchesOracle(t *testing.T) {
	t.Parallel()
	frags := []string{"REPORT RequestId: ", "abc-1", "\t", " ", "Duration: ", "Billed Duration: ", "Billed Restore Duration: ",
		"Restore Duration: ", "Init Duration: ", "Memory Size: ", "Max Memory Used: ", "Status: ", "Error Type: ",
		"12.34", "13", "1.2.3", ".5", "0", " ms", " MB", "ms", "timeout", "error", "Runtime.OutOfMemory", ": ", "Billed", "X", "\n"}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 30000 {
		var b strings.Builder
		for range 1 + rng.IntN(14) {
			b.WriteString(frags[rng.IntN(len(frags))])
		}
		line := b.String()
		if got, want := parseText(line), parseTextOracle(line); !sameReport(got, want) {
			t.Fatalf("case %d %q:\n got %+v\nwant %+v", i, line, got, want)
		}
	}
}

func FuzzParseTextMatchesOracle(f *testing.F) {
	f.Add("REPORT RequestId: a\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB\tStatus: error\tError Type: X")
	f.Add("REPORT RequestId: a Init Duration: 1 ms Billed Restore Duration: 2 MB")
	f.Fuzz(func(t *testing.T, line string) {
		if got, want := parseText(line), parseTextOracle(line); !sameReport(got, want) {
			t.Fatalf("%q:\n got %+v\nwant %+v", line, got, want)
		}
	})
}

func BenchmarkParseTextOracle(b *testing.B) {
	init := 200.0
	line := Report{RequestID: "8f5a1b3c-2d4e-4f60-9a7b-0c1d2e3f4a5b", DurationMs: 12.3, BilledDurationMs: 13, MemorySizeMB: 1024, MaxMemoryUsedMB: 90, InitDurationMs: &init}.String()
	b.Run("regexp", func(b *testing.B) {
		for b.Loop() {
			_ = parseTextOracle(line)
		}
	})
	b.Run("hand", func(b *testing.B) {
		for b.Loop() {
			_ = parseText(line)
		}
	})
}
