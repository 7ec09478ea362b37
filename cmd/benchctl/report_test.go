package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/summary"
)

func TestNewReportCmd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		want     ReportOptions
		wantFlag bool
	}{
		{"defaults", []string{"runs/a"}, ReportOptions{RunDir: "runs/a"}, false},
		{"formats and out", []string{"runs/a", "--format", "html,svg", "--format", "png", "--out", "/tmp/x"},
			ReportOptions{RunDir: "runs/a", Formats: []string{"html", "svg", "png"}, OutDir: "/tmp/x"}, false},
		{"prices and no-reprice", []string{"runs/a", "--prices", "p.yaml", "--no-reprice"},
			ReportOptions{RunDir: "runs/a", Prices: "p.yaml", NoReprice: true}, false},
		{"unknown format", []string{"runs/a", "--format", "pdf"}, ReportOptions{}, true},
		{"no run dir", nil, ReportOptions{}, true},
		{"two run dirs", []string{"a", "b"}, ReportOptions{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			streams := &IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
			var got *ReportOptions
			cmd := newReportCmd(streams, func(o *ReportOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			var fe *FlagError
			if tc.wantFlag {
				if !errors.As(err, &fe) {
					t.Fatalf("err = %v, want a FlagError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.IO = nil
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("options = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestNewCompareCmd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		want     CompareOptions
		wantFlag bool
	}{
		{"defaults", []string{"a", "b"}, CompareOptions{RunA: "a", RunB: "b", Formats: []string{"text"}, FailOnRegression: -1, ErrorRateThreshold: 0.01}, false},
		{"percent", []string{"a", "b", "--fail-on-regression", "10%", "--format", "json"}, CompareOptions{RunA: "a", RunB: "b", Formats: []string{"json"}, FailOnRegression: 0.10, ErrorRateThreshold: 0.01}, false},
		{"bare percent", []string{"a", "b", "--fail-on-regression", "5"}, CompareOptions{RunA: "a", RunB: "b", Formats: []string{"text"}, FailOnRegression: 0.05, ErrorRateThreshold: 0.01}, false},
		{"fraction", []string{"a", "b", "--fail-on-regression", "0.2", "--format", "markdown"}, CompareOptions{RunA: "a", RunB: "b", Formats: []string{"md"}, FailOnRegression: 0.2, ErrorRateThreshold: 0.01}, false},
		{"formats and out", []string{"a", "b", "--format", "html,md", "--format", "json,HTML", "--out", "/tmp/x"},
			CompareOptions{RunA: "a", RunB: "b", Formats: []string{"html", "md", "json"}, OutDir: "/tmp/x", FailOnRegression: -1, ErrorRateThreshold: 0.01}, false},
		{"all", []string{"a", "b", "--format", "all"},
			CompareOptions{RunA: "a", RunB: "b", Formats: []string{"text", "md", "json", "html", "png", "svg"}, FailOnRegression: -1, ErrorRateThreshold: 0.01}, false},
		{"error-rate threshold in percent", []string{"a", "b", "--error-rate-threshold", "0.5%"},
			CompareOptions{RunA: "a", RunB: "b", Formats: []string{"text"}, FailOnRegression: -1, ErrorRateThreshold: 0.005}, false},
		{"error-rate threshold as a fraction", []string{"a", "b", "--error-rate-threshold", "0.02", "--fail-on-regression", "10%"},
			CompareOptions{RunA: "a", RunB: "b", Formats: []string{"text"}, FailOnRegression: 0.10, ErrorRateThreshold: 0.02}, false},
		{"error-rate threshold zero", []string{"a", "b", "--error-rate-threshold", "0"},
			CompareOptions{RunA: "a", RunB: "b", Formats: []string{"text"}, FailOnRegression: -1, ErrorRateThreshold: 0}, false},
		{"error-rate threshold ambiguous", []string{"a", "b", "--error-rate-threshold", "1"}, CompareOptions{}, true},
		{"error-rate threshold negative", []string{"a", "b", "--error-rate-threshold", "-0.01"}, CompareOptions{}, true},
		{"error-rate threshold not a number", []string{"a", "b", "--error-rate-threshold", "some"}, CompareOptions{}, true},
		{"bad threshold", []string{"a", "b", "--fail-on-regression", "lots"}, CompareOptions{}, true},
		{"bad format", []string{"a", "b", "--format", "xml"}, CompareOptions{}, true},
		{"one run", []string{"a"}, CompareOptions{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			streams := &IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
			var got *CompareOptions
			cmd := newCompareCmd(streams, func(o *CompareOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			var fe *FlagError
			if tc.wantFlag {
				if !errors.As(err, &fe) {
					t.Fatalf("err = %v, want a FlagError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.IO = nil
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("options = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

// writeTinyRun writes a minimal run directory: one target, n records with
// latency ms each, and its summary.
func writeTinyRun(t *testing.T, dir string, n int, ms func(i int) float64) {
	t.Helper()
	writeTinyRunFailing(t, dir, n, ms, func(int) bool { return false })
}

// writeTinyRunFailing is writeTinyRun where the records i with fail(i)
// are 502 errors.
func writeTinyRunFailing(t *testing.T, dir string, n int, ms func(i int) float64, fail func(i int) bool) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, results.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	enc := results.NewJSONEncoder(f)
	for i := 0; i < n; i++ {
		r := results.Record{Target: "svc", Phase: "steady", Code: 200, Seq: uint64(i),
			Latency: msDuration(ms(i))}
		if fail(i) {
			r.Code, r.Error, r.ErrorClass = 502, "502 Bad Gateway", results.ErrorClassHTTP5xx
		}
		if err := enc(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	rf, err := os.Open(filepath.Join(dir, results.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	st, err := rf.Stat()
	if err != nil {
		t.Fatal(err)
	}
	phases := summary.NewPhases(summary.PhasesOptions{})
	if _, err := summary.Pass(context.Background(), rf, st.Size(), 1, []summary.Collector{phases}); err != nil {
		t.Fatal(err)
	}
	ts := phases.Targets()
	sum := results.Summary{SchemaVersion: results.SchemaVersion, Scenario: results.ScenarioInfo{Name: "tiny"}, Targets: ts}
	if err := results.WriteJSONFile(filepath.Join(dir, results.SummaryFile), &sum); err != nil {
		t.Fatal(err)
	}
}

func TestCompareRunExitCodes(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	a, same, slow := filepath.Join(base, "a"), filepath.Join(base, "same"), filepath.Join(base, "slow")
	// Deterministic, interleaved latencies: "same" is a shuffle of "a".
	writeTinyRun(t, a, 400, func(i int) float64 { return 10 + float64(i%40) })
	writeTinyRun(t, same, 400, func(i int) float64 { return 10 + float64((i*7)%40) })
	writeTinyRun(t, slow, 400, func(i int) float64 { return 1.5 * (10 + float64(i%40)) })
	tests := []struct {
		name string
		b    string
		want ExitCode
	}{
		{"no regression", same, ExitOK},
		{"regression", slow, ExitRegression},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out, errb bytes.Buffer
			code := Main(context.Background(), []string{"compare", a, tc.b, "--fail-on-regression", "10%"}, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb})
			if code != tc.want {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.want, out.String(), errb.String())
			}
			if !strings.Contains(out.String(), "svc") {
				t.Errorf("stdout lacks the target:\n%s", out.String())
			}
		})
	}
}

// TestCompareRunErrorRates: B differs from A only in its errors (every
// 23rd request, 4.3%; latencies from one sequence): a regression that
// fails CI with --fail-on-regression, unless --error-rate-threshold is
// above the change; the mirror image passes.
func TestCompareRunErrorRates(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	clean, failing := filepath.Join(base, "clean"), filepath.Join(base, "failing")
	lat := func(i int) float64 { return 10 + float64(i%40) }
	writeTinyRun(t, clean, 1000, lat)
	writeTinyRunFailing(t, failing, 1000, lat, func(i int) bool { return i%23 == 0 })
	tests := []struct {
		name       string
		a, b       string
		extra      []string
		want       ExitCode
		wantStdout string
	}{
		{"errors up", clean, failing, nil, ExitRegression, "error rate 0.00% → 4.40% (+4.40 pp, two-proportion z p="},
		{"errors up within a 5 pp threshold", clean, failing, []string{"--error-rate-threshold", "5%"}, ExitOK, "significant but within ±5 pp"},
		{"errors down", failing, clean, nil, ExitOK, "verdict: improvement"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out, errb bytes.Buffer
			args := append([]string{"compare", tc.a, tc.b, "--fail-on-regression", "10%"}, tc.extra...)
			code := Main(context.Background(), args, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb})
			if code != tc.want {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.want, out.String(), errb.String())
			}
			if !strings.Contains(out.String(), tc.wantStdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.wantStdout, out.String())
			}
			if tc.want == ExitRegression && !strings.Contains(errb.String(), "error rate") {
				t.Errorf("stderr does not give the error rate as the reason:\n%s", errb.String())
			}
		})
	}
}

// TestCompareRunWritesFiles writes compare.html, .md, .json and the chart
// into --out and checks the verdict and the exit status on a regression.
func TestCompareRunWritesFiles(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	a, slow := filepath.Join(base, "a"), filepath.Join(base, "slow")
	writeTinyRun(t, a, 400, func(i int) float64 { return 10 + float64(i%40) })
	writeTinyRun(t, slow, 400, func(i int) float64 { return 1.5 * (10 + float64(i%40)) })
	out := filepath.Join(base, "out")
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"compare", a, slow, "--format", "html,md,json,svg", "--out", out, "--fail-on-regression", "10%"},
		&IOStreams{In: strings.NewReader(""), Out: &stdout, Err: &stderr})
	if code != ExitRegression {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", code, ExitRegression, stderr.String())
	}
	for _, f := range []string{"compare.html", "compare.md", "compare.json", "charts/compare_latency_cdf.svg"} {
		p := filepath.Join(out, filepath.FromSlash(f))
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
		if !strings.Contains(stdout.String(), p) {
			t.Errorf("stdout does not list %s:\n%s", p, stdout.String())
		}
	}
	html, err := os.ReadFile(filepath.Join(out, "compare.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"B regresses", "threshold 10%, --fail-on-regression", "svc"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("compare.html lacks %q", want)
		}
	}
	if !strings.Contains(stderr.String(), "verdict: regression (svc regression") {
		t.Errorf("stderr lacks the verdict:\n%s", stderr.String())
	}
}

func TestReportRunWritesFiles(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	writeTinyRun(t, dir, 200, func(i int) float64 { return 5 + float64(i%17) })
	out := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"report", dir, "--out", out, "--format", "html,md,json"}, &IOStreams{In: strings.NewReader(""), Out: &stdout, Err: &stderr})
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, f := range []string{"report.html", "report.md", "summary.json", "charts/latency_cdf.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
		if !strings.Contains(stdout.String(), filepath.Join(out, f)) {
			t.Errorf("stdout does not list %s:\n%s", f, stdout.String())
		}
	}
	code = Main(context.Background(), []string{"report", filepath.Join(t.TempDir(), "missing")}, &IOStreams{In: strings.NewReader(""), Out: &stdout, Err: &stderr})
	if code != ExitRunFailed && code != ExitBadInput {
		t.Errorf("missing run dir: exit %d, want 1 or 2", code)
	}
}

func msDuration(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }
