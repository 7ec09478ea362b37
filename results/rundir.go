package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// File names inside a run directory.
const (
	ScenarioFile = "scenario.yaml"
	RunInfoFile  = "run.json"
	ResultsFile  = "results.jsonl"
	SummaryFile  = "summary.json"
)

// DefaultRoot is the folder under which run directories are created when no
// --out is given.
const DefaultRoot = "results"

// RunDirName is the default run directory name: "<UTC timestamp>-<name>",
// e.g. 20261127T143005Z-http-smoke. Characters outside [A-Za-z0-9._-] in the
// scenario name become '-'.
func RunDirName(start time.Time, scenarioName string) string {
	name := unsafeChars.ReplaceAllString(scenarioName, "-")
	if name == "" {
		name = "run"
	}
	return start.UTC().Format("20060102T150405Z") + "-" + name
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// RunWriter writes one run directory: scenario.yaml, run.json,
// results.jsonl (streamed) and summary.json.
type RunWriter struct {
	Dir     string
	file    *os.File
	stream  *StreamWriter
	records Encoder
}

// ErrRunExists is returned by CreateRun for a folder that already holds a run.
var ErrRunExists = errors.New("folder already holds a run (results.jsonl); choose another --out")

// CreateRun creates dir (and parents), writes the exact scenario input and
// the initial run.json, and opens results.jsonl for streaming. It never
// overwrites an earlier run (ErrRunExists).
func CreateRun(dir string, scenarioRaw []byte, info RunInfo) (*RunWriter, error) {
	if _, err := os.Stat(filepath.Join(dir, ResultsFile)); err == nil {
		return nil, fmt.Errorf("create run %s: %w", dir, ErrRunExists)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create run directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ScenarioFile), scenarioRaw, 0o644); err != nil {
		return nil, fmt.Errorf("write %s: %w", ScenarioFile, err)
	}
	if err := WriteJSONFile(filepath.Join(dir, RunInfoFile), info); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, ResultsFile), os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", ResultsFile, err)
	}
	s := NewStreamWriter(f, 0)
	return &RunWriter{Dir: dir, file: f, stream: s, records: s.Encoder()}, nil
}

// Encoder returns the Encoder that streams records into results.jsonl.
func (w *RunWriter) Encoder() Encoder { return w.records }

// Flush pushes buffered records to the file.
func (w *RunWriter) Flush() error { return w.stream.Flush() }

// Records is the number of records written so far.
func (w *RunWriter) Records() int64 { return w.stream.Count() }

// CloseRecords flushes and closes results.jsonl. It is safe to call twice.
func (w *RunWriter) CloseRecords() error {
	err := w.stream.Close()
	if w.file != nil {
		if cerr := w.file.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close %s: %w", ResultsFile, cerr)
		}
		w.file = nil
	}
	return err
}

// WriteRunInfo rewrites run.json (e.g. with the end time).
func (w *RunWriter) WriteRunInfo(info RunInfo) error {
	return WriteJSONFile(filepath.Join(w.Dir, RunInfoFile), info)
}

// WriteSummary writes summary.json.
func (w *RunWriter) WriteSummary(s *Summary) error {
	return WriteJSONFile(filepath.Join(w.Dir, SummaryFile), s)
}

// WriteJSONFile writes v as indented JSON to path atomically (temp file and
// rename), so a reader never sees half a file.
func WriteJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	b = append(b, '\n')
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// Run is a saved run directory opened for reading.
type Run struct {
	Dir string
	// Info is run.json.
	Info RunInfo
	// Scenario is the exact scenario input (scenario.yaml).
	Scenario []byte
	// Summary is summary.json, nil when the run did not get to write it
	// (killed) — re-summarise the records then.
	Summary *Summary
	// Records decodes results.jsonl from the start, tolerating a torn last line.
	Records Decoder

	f io.Closer
}

// Close closes results.jsonl.
func (r *Run) Close() error {
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// ErrNotRunDir is returned by OpenRun for a folder without results.jsonl.
var ErrNotRunDir = errors.New("not a benchctl run directory (no results.jsonl)")

// OpenRun reads run.json, scenario.yaml and summary.json of a run directory
// (each optional except results.jsonl) and opens a Decoder over results.jsonl.
func OpenRun(dir string) (*Run, error) {
	f, err := os.Open(filepath.Join(dir, ResultsFile))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open run %s: %w", dir, ErrNotRunDir)
		}
		return nil, fmt.Errorf("open run %s: %w", dir, err)
	}
	run := &Run{Dir: dir, f: f, Records: NewJSONDecoder(f)}
	if b, err := os.ReadFile(filepath.Join(dir, RunInfoFile)); err == nil {
		if err := json.Unmarshal(b, &run.Info); err != nil {
			f.Close()
			return nil, fmt.Errorf("read %s: %w", RunInfoFile, err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, ScenarioFile)); err == nil {
		run.Scenario = b
	}
	if b, err := os.ReadFile(filepath.Join(dir, SummaryFile)); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		var s Summary
		if err := json.Unmarshal(b, &s); err != nil {
			f.Close()
			return nil, fmt.Errorf("read %s: %w", SummaryFile, err)
		}
		run.Summary = &s
	}
	return run, nil
}
