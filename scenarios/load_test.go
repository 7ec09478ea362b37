package scenarios

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"text/template"
)

func TestShippedScenariosValidate(t *testing.T) {
	t.Parallel()
	names := Shipped()
	if len(names) == 0 {
		t.Fatal("no shipped scenarios")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := Open(name)
			if err != nil {
				t.Fatalf("Open(%q): %v", name, err)
			}
			if !s.Embedded() {
				t.Errorf("Open(%q) did not use the embedded copy", name)
			}
			if got, want := s.Name, name; got != want {
				t.Errorf("name = %q, want the file name %q", got, want)
			}
			// The checked-in file validates too, read from disk.
			if _, err := Load(name + ".yaml"); err != nil {
				t.Errorf("Load(%s.yaml): %v", name, err)
			}
		})
	}
}

func TestShippedDataFiles(t *testing.T) {
	t.Parallel()
	s, err := Open("http-smoke")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file     string
		minLines int
	}{
		{"data/reviews.txt", 300},
		{"data/pairs.jsonl", 100},
		{"data/trace-per-minute.csv", 2},
		{"data/trace-timestamps.csv", 100},
	}
	for _, tt := range tests {
		data, err := s.ReadFile(tt.file)
		if err != nil {
			t.Errorf("ReadFile(%s): %v", tt.file, err)
			continue
		}
		if got := strings.Count(string(data), "\n"); got < tt.minLines {
			t.Errorf("%s has %d lines, want >= %d", tt.file, got, tt.minLines)
		}
	}
}

// TestOpenByNameFromAnotherDirectory runs a test binary helper in a
// temporary directory (a child process, so the test's working directory
// stays put for the parallel tests).
func TestOpenByNameFromAnotherDirectory(t *testing.T) {
	t.Parallel()
	if os.Getenv("SCENARIOS_HELPER_OPEN") != "" {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skipf("no test executable: %v", err)
	}
	cmd := exec.Command(exe, "-test.run=^TestOpenHelper$", "-test.v")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "SCENARIOS_HELPER_OPEN=http-smoke")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "opened http-smoke with") {
		t.Fatalf("helper did not open the scenario:\n%s", out)
	}
}

// TestOpenHelper is the child side of TestOpenByNameFromAnotherDirectory.
func TestOpenHelper(t *testing.T) {
	name := os.Getenv("SCENARIOS_HELPER_OPEN")
	if name == "" {
		t.Skip("helper process only")
	}
	wd, _ := os.Getwd()
	if _, err := os.Stat(filepath.Join(wd, "data")); err == nil {
		t.Fatalf("helper runs in %s, which has a data folder", wd)
	}
	s, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	data, err := s.ReadFile(s.Payloads.File)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("opened %s with %d bytes of payloads", s.Name, len(data))
}

func TestOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	own := filepath.Join(dir, "data", "mine.txt")
	if err := os.WriteFile(own, []byte("one\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s.yaml")
	src := strings.Replace(valid, "phases:", "payloads: {file: data/mine.txt}\nphases:", 1)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		arg     string
		wantErr error
		want    string
	}{
		{name: "path", arg: path, want: "t"},
		{name: "shipped name", arg: "http-smoke", want: "http-smoke"},
		{name: "shipped name with extension", arg: "http-smoke.yaml", want: "http-smoke"},
		{name: "unknown", arg: "no-such-scenario", wantErr: ErrNotFound},
		{name: "missing path", arg: filepath.Join(dir, "nope", "x.yaml"), wantErr: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Open(tt.arg)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "http-smoke") {
					t.Errorf("error does not list the shipped names: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != tt.want {
				t.Errorf("name = %q, want %q", s.Name, tt.want)
			}
		})
	}

	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	// Own files resolve against the scenario's folder; missing ones fall
	// back to the shipped data; absolute paths stay as they are.
	if got, want := s.Resolve("data/mine.txt"), own; got != want {
		t.Errorf("Resolve(own) = %q, want %q", got, want)
	}
	if got, want := s.Resolve("data/reviews.txt"), "embedded:data/reviews.txt"; got != want {
		t.Errorf("Resolve(shipped) = %q, want %q", got, want)
	}
	if got, want := s.Resolve(own), own; got != want {
		t.Errorf("Resolve(abs) = %q, want %q", got, want)
	}
	if data, err := s.ReadFile("data/mine.txt"); err != nil || string(data) != "one\ntwo\n" {
		t.Errorf("ReadFile(own) = %q, %v", data, err)
	}
	if _, err := s.ReadFile("data/reviews.txt"); err != nil {
		t.Errorf("ReadFile(shipped fallback): %v", err)
	}
	if _, err := s.ReadFile("data/none.txt"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile(missing) err = %v, want not-exist", err)
	}
	emb, err := Open("http-smoke")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emb.ReadFile("../scenario.go"); err == nil {
		t.Error("ReadFile escaped the embedded folder")
	}
}

func TestParseCollectsAllErrors(t *testing.T) {
	t.Parallel()
	src := `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x", timeout: soon}
  - {name: a, kind: carrier-pigeon}
phases:
  - {name: p, targets: [a, b], duration: 1s, traffic: {model: poisson, rate: -3}}
slo: {p99_ms: -1}
output: {formats: [pdf]}
`
	_, err := Parse("many.yaml", []byte(src))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want *ValidationError", err)
	}
	want := []string{
		`many.yaml:4:65: targets[0].timeout: must be a duration like 30s or 2m (got "soon")`,
		`many.yaml:5:12: targets[1].name: target name "a" used twice`,
		`many.yaml:5:21: targets[1].kind: must be one of http, aws-lambda, local-lambda, lambda-url (got "carrier-pigeon")`,
		`many.yaml:7:28: phases[0].targets[1]: no target named "b" (targets: a)`,
		`many.yaml:7:78: phases[0].traffic.rate: must be > 0 (got -3)`,
		`many.yaml:8:15: slo.p99_ms: must be > 0 (got -1)`,
		`many.yaml:9:20: output.formats[0]: must be one of html, md, json, png, svg (got "pdf")`,
	}
	if got := ve.Error(); got != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if got, want := ve.Errors[4].Field, "phases[0].traffic.rate"; got != want {
		t.Errorf("Field = %q, want %q", got, want)
	}
}

func TestParseFunctions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []string // errors; nil means valid
	}{
		{
			name: "valid with defaults",
			src: `functions:
  - name: sentiment
    command: [benchctl, function, --model, tinybert-4l-312]
    environment: {LOG_LEVEL: info}
    reserved_concurrency: 2
`,
		},
		{
			name: "no functions",
			src:  "functions: []\n",
			want: []string{"functions.yaml:1:12: functions: at least one function is required"},
		},
		{
			name: "not a scenario",
			src:  "version: 1\nfunctions:\n  - {name: f, command: [x]}\n",
			want: []string{"functions.yaml:1:1: version: unknown field (allowed: functions)"},
		},
		{
			name: "bad fields",
			src: `functions:
  - name: "bad name"
    command: [x]
    memory_size: 20000
    timeout: 0s
    environment: {"1X": y}
    idle_timeout: forever
  - {name: g, command: ["", a], reserved_concurrency: -2, cpu: 1}
`,
			want: []string{
				`functions.yaml:2:11: functions[0].name: must be 1 to 64 letters, digits, '-' or '_' (got "bad name")`,
				`functions.yaml:4:18: functions[0].memory_size: must be between 128 and 10240 MB (got 20000)`,
				`functions.yaml:5:14: functions[0].timeout: must be between 1s and 15m (got 0s)`,
				`functions.yaml:6:19: functions[0].environment.1X: not a valid environment variable name`,
				`functions.yaml:7:19: functions[0].idle_timeout: must be a duration like 30s or 2m (got "forever")`,
				`functions.yaml:8:25: functions[1].command[0]: program must not be empty`,
				`functions.yaml:8:55: functions[1].reserved_concurrency: must be >= 0 (got -2)`,
				`functions.yaml:8:59: functions[1].cpu: unknown field (allowed: architecture, command, environment, ephemeral_storage_mb, idle_timeout, memory_size, name, reserved_concurrency, timeout)`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fns, err := ParseFunctions("functions.yaml", []byte(tt.src))
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				f := fns[0]
				if f.MemorySize != DefaultFunctionMemorySize || f.Timeout != DefaultFunctionTimeout ||
					f.Architecture != DefaultArchitecture || f.IdleTimeout != DefaultIdleTimeout {
					t.Errorf("defaults not applied: %+v", f)
				}
				if f.ReservedConcurrency == nil || *f.ReservedConcurrency != 2 {
					t.Errorf("reserved_concurrency = %v, want 2", f.ReservedConcurrency)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *ValidationError", err)
			}
			if got := ve.Error(); got != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", got, strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestLoadFunctions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "functions.yaml")
	if err := os.WriteFile(path, []byte("functions:\n  - {name: f, command: [x], memory_size: 1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFunctions(path)
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) != 1 || ve.Errors[0].File != path || ve.Errors[0].Line != 2 {
		t.Fatalf("LoadFunctions: %v", err)
	}
	if _, err := LoadFunctions(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want not-exist", err)
	}
}

func TestParseWithoutFileChecks(t *testing.T) {
	t.Parallel()
	src := strings.Replace(valid, "phases:", "payloads: {file: data/moved.jsonl}\nphases:", 1)
	if _, err := Parse("run/scenario.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), "payloads.file: cannot read data/moved.jsonl") {
		t.Fatalf("without the option: err = %v, want a payloads.file error", err)
	}
	s, err := Parse("run/scenario.yaml", []byte(src), WithoutFileChecks())
	if err != nil {
		t.Fatalf("with WithoutFileChecks: %v", err)
	}
	if got, want := s.Payloads.Body, DefaultBody; got != want {
		t.Errorf("defaults not applied: body = %q, want %q", got, want)
	}
	bad := strings.Replace(src, "rate: 5", "rate: 0", 1)
	if _, err := Parse("run/scenario.yaml", []byte(bad), WithoutFileChecks()); err == nil {
		t.Error("WithoutFileChecks also skipped the other checks")
	}
}

func BenchmarkParseQuickstart(b *testing.B) {
	data, err := os.ReadFile("quickstart.yaml")
	if err != nil {
		b.Skip("no quickstart.yaml")
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("quickstart.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// TestShippedTraces checks the sample traces have the documented shapes:
// the Azure Functions 2019 per-minute layout and sorted absolute timestamps.
func TestShippedTraces(t *testing.T) {
	t.Parallel()
	s, err := Open("http-smoke")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := s.ReadFile("data/trace-per-minute.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatalf("trace-per-minute.csv: %v", err)
	}
	if got, want := strings.Join(rows[0][:5], ","), "HashOwner,HashApp,HashFunction,Trigger,1"; got != want {
		t.Errorf("header starts %q, want %q", got, want)
	}
	if got, want := rows[0][len(rows[0])-1], "1440"; got != want {
		t.Errorf("last column %q, want %q", got, want)
	}
	for i, row := range rows[1:] {
		for j, cell := range row[4:] {
			if n, err := strconv.Atoi(cell); err != nil || n < 0 {
				t.Fatalf("row %d minute %d: bad count %q", i+2, j+1, cell)
			}
		}
	}
	raw, err = s.ReadFile("data/trace-timestamps.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if lines[0] != "timestamp" {
		t.Errorf("header %q, want timestamp", lines[0])
	}
	prev := 0.0
	for i, l := range lines[1:] {
		ts, err := strconv.ParseFloat(l, 64)
		if err != nil || ts < prev {
			t.Fatalf("line %d: %q not an increasing timestamp", i+2, l)
		}
		prev = ts
	}
}

// TestShippedBodiesAreJSON renders http-smoke's body template for every
// line of the shipped corpus and every shipped pair: all must be valid JSON.
func TestShippedBodiesAreJSON(t *testing.T) {
	t.Parallel()
	s, err := Open("http-smoke")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := ParseBody("body", s.Payloads.Body)
	if err != nil {
		t.Fatal(err)
	}
	pairs, err := ParseBody("pairs", DefaultBody)
	if err != nil {
		t.Fatal(err)
	}
	render := func(tm *template.Template, item map[string]any) {
		var b bytes.Buffer
		if err := tm.Execute(&b, item); err != nil {
			t.Fatalf("execute %v: %v", item, err)
		}
		if !json.Valid(b.Bytes()) {
			t.Fatalf("body %q is not JSON", b.String())
		}
	}
	reviews, _ := s.ReadFile("data/reviews.txt")
	for _, line := range strings.Split(strings.TrimSpace(string(reviews)), "\n") {
		render(tmpl, map[string]any{"text": line})
	}
	raw, _ := s.ReadFile("data/pairs.jsonl")
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var item map[string]any
		if err := json.Unmarshal([]byte(line), &item); err != nil {
			t.Fatal(err)
		}
		render(pairs, item)
	}
}

func TestFieldErrorAt(t *testing.T) {
	t.Parallel()
	src := "version: 1\nname: pos\ntargets:\n  - name: a\n    kind: http\n    url: http://127.0.0.1:1/\nphases:\n  - name: p\n    targets: [a]\n    duration: 1s\n    traffic: {model: constant, rate: 1}\npricing:\n  instances: [c7g.large, nope.large]\n"
	s, err := Parse("pos.yaml", []byte(src), WithoutFileChecks())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"list item", "pricing.instances[1]", "pos.yaml:13:26: pricing.instances[1]: bad"},
		{"field", "targets[0].url", "pos.yaml:6:10: targets[0].url: bad"},
		{"default falls back to its parent", "pricing.region", "pos.yaml:13:3: pricing.region: bad"},
		{"unknown top level", "nowhere", "pos.yaml:1: nowhere: bad"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.FieldErrorAt(tc.path, "bad").Error(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
