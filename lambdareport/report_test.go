package lambdareport

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func f(v float64) *float64 { return &v }

func eqPtr(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func TestParse(t *testing.T) {
	t.Parallel()
	const id = "8f5a1b3c-2d4e-4f60-9a7b-0c1d2e3f4a5b"
	tests := []struct {
		name    string
		tail    string
		want    Report
		wantErr error
	}{
		{
			name: "warm",
			tail: "START RequestId: " + id + " Version: $LATEST\nhello\nEND RequestId: " + id + "\nREPORT RequestId: " + id + "\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 1024 MB\tMax Memory Used: 87 MB\t\n",
			want: Report{RequestID: id, DurationMs: 12.34, BilledDurationMs: 13, MemorySizeMB: 1024, MaxMemoryUsedMB: 87, Format: FormatText, Present: FieldsMandatory},
		},
		{
			name: "cold",
			tail: "REPORT RequestId: " + id + "\tDuration: 395.99 ms\tBilled Duration: 662 ms\tMemory Size: 512 MB\tMax Memory Used: 120 MB\tInit Duration: 265.72 ms\t\n",
			want: Report{RequestID: id, DurationMs: 395.99, BilledDurationMs: 662, MemorySizeMB: 512, MaxMemoryUsedMB: 120, InitDurationMs: f(265.72), Format: FormatText, Present: FieldsMandatory | FieldInitDuration},
		},
		{
			name: "snapstart restore",
			tail: "REPORT RequestId: " + id + "\tDuration: 2338.66 ms\tBilled Duration: 2521 ms\tMemory Size: 2048 MB\tMax Memory Used: 180 MB\tRestore Duration: 398.97 ms\tBilled Restore Duration: 182 ms\t\n",
			want: Report{RequestID: id, DurationMs: 2338.66, BilledDurationMs: 2521, MemorySizeMB: 2048, MaxMemoryUsedMB: 180, RestoreDurationMs: f(398.97), BilledRestoreDurationMs: f(182), Format: FormatText, Present: FieldsMandatory | FieldRestoreDuration | FieldBilledRestoreDuration},
		},
		{
			name: "timeout",
			tail: "2026-01-01T00:00:03.000Z " + id + " Task timed out after 3.00 seconds\n\nREPORT RequestId: " + id + "\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 43 MB\tStatus: timeout\n",
			want: Report{RequestID: id, DurationMs: 3000, BilledDurationMs: 3000, MemorySizeMB: 128, MaxMemoryUsedMB: 43, Status: StatusTimeout, Format: FormatText, Present: FieldsMandatory | FieldStatus},
		},
		{
			name: "error with xray",
			tail: "REPORT RequestId: " + id + "\tDuration: 1520.11 ms\tBilled Duration: 1521 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\tStatus: error\tError Type: Runtime.OutOfMemory\nXRAY TraceId: 1-5e1b4151-5ac6c58f5b5dbd8a3d2a1b2c\tSegmentId: 6b9e1c2d3a4f5e6d\tSampled: true\n",
			want: Report{RequestID: id, DurationMs: 1520.11, BilledDurationMs: 1521, MemorySizeMB: 128, MaxMemoryUsedMB: 128, Status: StatusError, ErrorType: "Runtime.OutOfMemory", XRayTraceID: "1-5e1b4151-5ac6c58f5b5dbd8a3d2a1b2c", Format: FormatText, Present: FieldsMandatory | FieldStatus | FieldErrorType},
		},
		{
			name: "old space separated 100ms billing",
			tail: "REPORT RequestId: " + id + " Duration: 718.65 ms Billed Duration: 800 ms Memory Size: 256 MB Max Memory Used: 60 MB\n",
			want: Report{RequestID: id, DurationMs: 718.65, BilledDurationMs: 800, MemorySizeMB: 256, MaxMemoryUsedMB: 60, Format: FormatText, Present: FieldsMandatory},
		},
		{
			name: "rie order",
			tail: "REPORT RequestId: " + id + "\tInit Duration: 0.40 ms\tDuration: 140.85 ms\tBilled Duration: 141 ms\tMemory Size: 3008 MB\tMax Memory Used: 3008 MB\t\n",
			want: Report{RequestID: id, DurationMs: 140.85, BilledDurationMs: 141, MemorySizeMB: 3008, MaxMemoryUsedMB: 3008, InitDurationMs: f(0.40), Format: FormatText, Present: FieldsMandatory | FieldInitDuration},
		},
		{
			name: "json format",
			tail: `{"time":"2026-01-01T00:00:00.000Z","type":"platform.start","record":{"requestId":"` + id + `"}}` + "\n" +
				`{"time":"2026-01-01T00:00:00.002Z", "type": "platform.report","record":{"requestId":"` + id + `","status":"success","metrics":{"durationMs":1.317,"billedDurationMs":2,"memorySizeMB":1024,"maxMemoryUsedMB":68,"initDurationMs":10}}}` + "\n",
			want: Report{RequestID: id, DurationMs: 1.317, BilledDurationMs: 2, MemorySizeMB: 1024, MaxMemoryUsedMB: 68, InitDurationMs: f(10), Format: FormatJSON, Present: FieldsMandatory | FieldInitDuration},
		},
		{
			name: "json timeout",
			tail: `{"type":"platform.report","record":{"requestId":"` + id + `","status":"timeout","metrics":{"durationMs":3000,"billedDurationMs":3000,"memorySizeMB":128,"maxMemoryUsedMB":40}}}`,
			want: Report{RequestID: id, DurationMs: 3000, BilledDurationMs: 3000, MemorySizeMB: 128, MaxMemoryUsedMB: 40, Status: StatusTimeout, Format: FormatJSON, Present: FieldsMandatory | FieldStatus},
		},
		{
			name:    "truncated tail",
			tail:    "ms\tMax Memory Used: 3 MB\nREPORT RequestId: " + id + "\tDuration: 12.34 ms\tBilled Dur",
			want:    Report{RequestID: id, DurationMs: 12.34, Format: FormatText, Present: FieldRequestID | FieldDuration},
			wantErr: ErrIncomplete,
		},
		{
			name:    "truncated json",
			tail:    `{"type":"platform.report","record":{"requestId":"` + id + `","metrics":{"durationMs":3`,
			want:    Report{Format: FormatJSON},
			wantErr: ErrIncomplete,
		},
		{
			name:    "no report",
			tail:    "START RequestId: x\nsome log\n",
			wantErr: ErrNoReport,
		},
		{
			name:    "empty",
			tail:    "",
			wantErr: ErrNoReport,
		},
		{
			name:    "garbage",
			tail:    "REPORT \x00\xff\tDuration: abc ms\tBilled Duration: 1.2.3 ms",
			want:    Report{Format: FormatText},
			wantErr: ErrIncomplete,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.tail)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("Parse err = %v, want %v", err, tt.wantErr)
			}
			if got.RequestID != tt.want.RequestID || got.DurationMs != tt.want.DurationMs ||
				got.BilledDurationMs != tt.want.BilledDurationMs || got.MemorySizeMB != tt.want.MemorySizeMB ||
				got.MaxMemoryUsedMB != tt.want.MaxMemoryUsedMB || got.Status != tt.want.Status ||
				got.ErrorType != tt.want.ErrorType || got.XRayTraceID != tt.want.XRayTraceID ||
				got.Format != tt.want.Format || got.Present != tt.want.Present ||
				!eqPtr(got.InitDurationMs, tt.want.InitDurationMs) || !eqPtr(got.RestoreDurationMs, tt.want.RestoreDurationMs) ||
				!eqPtr(got.BilledRestoreDurationMs, tt.want.BilledRestoreDurationMs) {
				t.Errorf("Parse() =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestParseInitReport(t *testing.T) {
	t.Parallel()
	tail := "INIT_REPORT Init Duration: 154.03 ms\tPhase: invoke\tStatus: error\tError Type: Runtime.ExitError\n" +
		"REPORT RequestId: abc\tDuration: 160.00 ms\tBilled Duration: 315 ms\tMemory Size: 128 MB\tMax Memory Used: 30 MB\tStatus: error\tError Type: Runtime.ExitError\n"
	got, err := Parse(tail)
	if err != nil {
		t.Fatal(err)
	}
	if got.Init == nil || got.Init.InitDurationMs != 154.03 || got.Init.Phase != "invoke" || got.Init.ErrorType != "Runtime.ExitError" {
		t.Errorf("Init = %+v", got.Init)
	}
	if got.Cold() {
		t.Errorf("Cold() = true for a REPORT without Init Duration")
	}
}

func TestStringRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    Report
		want string
	}{
		{"warm", Report{RequestID: "id1", DurationMs: 12.345, BilledDurationMs: 13, MemorySizeMB: 1024, MaxMemoryUsedMB: 87},
			"REPORT RequestId: id1\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 1024 MB\tMax Memory Used: 87 MB\t"},
		{"cold", Report{RequestID: "id2", DurationMs: 395.99, BilledDurationMs: 662, MemorySizeMB: 512, MaxMemoryUsedMB: 120, InitDurationMs: f(265.72)},
			"REPORT RequestId: id2\tDuration: 395.99 ms\tBilled Duration: 662 ms\tMemory Size: 512 MB\tMax Memory Used: 120 MB\tInit Duration: 265.72 ms\t"},
		{"snapstart", Report{RequestID: "id3", DurationMs: 1, BilledDurationMs: 184, MemorySizeMB: 512, MaxMemoryUsedMB: 1, RestoreDurationMs: f(398.97), BilledRestoreDurationMs: f(182)},
			"REPORT RequestId: id3\tDuration: 1.00 ms\tBilled Duration: 184 ms\tMemory Size: 512 MB\tMax Memory Used: 1 MB\tRestore Duration: 398.97 ms\tBilled Restore Duration: 182 ms\t"},
		{"timeout", Report{RequestID: "id4", DurationMs: 3000, BilledDurationMs: 3000, MemorySizeMB: 128, MaxMemoryUsedMB: 43, Status: StatusTimeout},
			"REPORT RequestId: id4\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 43 MB\tStatus: timeout"},
		{"error", Report{RequestID: "id5", DurationMs: 5, BilledDurationMs: 5, MemorySizeMB: 128, MaxMemoryUsedMB: 128, Status: StatusError, ErrorType: "Runtime.OutOfMemory"},
			"REPORT RequestId: id5\tDuration: 5.00 ms\tBilled Duration: 5 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\tStatus: error\tError Type: Runtime.OutOfMemory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.r.String(); got != tt.want {
				t.Fatalf("String() =\n%q\nwant\n%q", got, tt.want)
			}
			for _, form := range []string{tt.r.String() + "\n", tt.r.JSON() + "\n"} {
				p, err := ParseLogResult(base64.StdEncoding.EncodeToString([]byte("START RequestId: x\n" + form)))
				if err != nil {
					t.Fatalf("ParseLogResult(%q): %v", form, err)
				}
				if p.RequestID != tt.r.RequestID || p.BilledDurationMs != tt.r.BilledDurationMs || p.MemorySizeMB != tt.r.MemorySizeMB ||
					p.Status != tt.r.Status || p.ErrorType != tt.r.ErrorType || p.Cold() != tt.r.Cold() ||
					!eqPtr(p.InitDurationMs, tt.r.InitDurationMs) || !eqPtr(p.BilledRestoreDurationMs, tt.r.BilledRestoreDurationMs) {
					t.Errorf("round trip of %q = %+v", form, p)
				}
			}
		})
	}
}

func TestParseLogResultBadBase64(t *testing.T) {
	t.Parallel()
	if _, err := ParseLogResult("!!!not base64"); err == nil || !strings.Contains(err.Error(), "base64") {
		t.Fatalf("err = %v, want a base64 error", err)
	}
	if _, err := ParseLogResult(""); !errors.Is(err, ErrNoReport) {
		t.Fatalf("err = %v, want ErrNoReport", err)
	}
}

func TestGBSeconds(t *testing.T) {
	t.Parallel()
	r := Report{BilledDurationMs: 1000, MemorySizeMB: 512}
	if got := r.GBSeconds(); got != 0.5 {
		t.Fatalf("GBSeconds = %v, want 0.5", got)
	}
	if got := BilledMs(0.2); got != 1 {
		t.Fatalf("BilledMs(0.2) = %v", got)
	}
	if got := BilledMs(12.01); got != 13 {
		t.Fatalf("BilledMs(12.01) = %v", got)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("REPORT RequestId: a\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB\t")
	f.Add(`{"type":"platform.report","record":{"metrics":{"durationMs":1e400}}}`)
	f.Add("INIT_REPORT Init Duration: x\nREPORT ")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err == nil && !r.Has(FieldsMandatory) {
			t.Fatalf("nil error without mandatory fields: %+v", r)
		}
	})
}

func BenchmarkParseLogResult(b *testing.B) {
	r := Report{RequestID: "8f5a1b3c-2d4e-4f60-9a7b-0c1d2e3f4a5b", DurationMs: 12.3, BilledDurationMs: 13, MemorySizeMB: 1024, MaxMemoryUsedMB: 90, InitDurationMs: f(200)}
	tail := base64.StdEncoding.EncodeToString([]byte("START RequestId: x Version: $LATEST\nEND RequestId: x\n" + r.String() + "\n"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseLogResult(tail); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkString(b *testing.B) {
	r := Report{RequestID: "8f5a1b3c-2d4e-4f60-9a7b-0c1d2e3f4a5b", DurationMs: 12.3, BilledDurationMs: 13, MemorySizeMB: 1024, MaxMemoryUsedMB: 90}
	b.ReportAllocs()
	for b.Loop() {
		_ = r.String()
	}
}
