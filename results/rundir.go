package results

import (
	"encoding/json"
	"errors"
	"fmt"
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
	// HistogramsFile holds one HDR histogram per target, phase, step and
	// metric in HdrHistogram's interval-log format (package summary writes it).
	HistogramsFile = "histograms.hlog"
	// PricesFile is the copy of the price-book override the scenario named
	// (pricing.prices), taken when the run started, so that re-pricing the
	// saved run uses the book the run used.
	PricesFile = "prices.yaml"
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

// Observe calls hook for every record written from now on, in file order,
// with the byte offset at which its line starts (see StreamWriter.Observe).
func (w *RunWriter) Observe(hook RecordHook) { w.stream.Observe(hook) }

// WriteFile writes a file of the run directory atomically (temp file and
// rename), e.g. PricesFile.
func (w *RunWriter) WriteFile(name string, data []byte) error {
	path := filepath.Join(w.Dir, name)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

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

// RunDir is what a saved run directory holds besides its records: the
// summary pipeline (package summary) reads results.jsonl itself.
type RunDir struct {
	Dir string
	// Info is run.json (zero when missing).
	Info RunInfo
	// Scenario is the exact scenario input (scenario.yaml), nil when missing.
	Scenario []byte
	// Summary is summary.json, nil when the run did not get to write it
	// (killed) — re-summarise the records then.
	Summary *Summary
}

// ErrNotRunDir is returned by ReadRunDir for a folder without results.jsonl.
var ErrNotRunDir = errors.New("not a benchctl run directory (no results.jsonl)")

// ReadRunDir reads run.json, scenario.yaml and summary.json of a run
// directory (each optional) after checking that it holds results.jsonl.
func ReadRunDir(dir string) (*RunDir, error) {
	if _, err := os.Stat(filepath.Join(dir, ResultsFile)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open run %s: %w", dir, ErrNotRunDir)
		}
		return nil, fmt.Errorf("open run %s: %w", dir, err)
	}
	run := &RunDir{Dir: dir}
	if b, err := os.ReadFile(filepath.Join(dir, RunInfoFile)); err == nil {
		if err := json.Unmarshal(b, &run.Info); err != nil {
			return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, RunInfoFile), err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, ScenarioFile)); err == nil {
		run.Scenario = b
	}
	if b, err := os.ReadFile(filepath.Join(dir, SummaryFile)); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		var s Summary
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, SummaryFile), err)
		}
		run.Summary = &s
	}
	return run, nil
}
