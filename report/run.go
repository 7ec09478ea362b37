package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// Run directory file names (the results package's).
const (
	SummaryFile  = results.SummaryFile
	ScenarioFile = results.ScenarioFile
)

// runDir is a run directory opened for rendering.
type runDir struct {
	dir      string
	run      *results.Run
	summary  results.Summary
	scenario *scenarios.Scenario
	notes    []string
}

// openRunDir opens dir through results.OpenRun. A run killed before it
// wrote summary.json is re-summarised from its records first.
func openRunDir(dir string) (*runDir, error) {
	run, err := results.OpenRun(dir)
	if err != nil {
		return nil, err
	}
	rd := &runDir{dir: dir, run: run}
	if len(run.Scenario) > 0 {
		sc, err := scenarios.Parse(filepath.Join(dir, ScenarioFile), run.Scenario)
		if err != nil {
			// A scenario that no longer validates (e.g. a payload file
			// moved) still describes the run: decode it leniently.
			var lenient scenarios.Scenario
			if yerr := yaml.Unmarshal(run.Scenario, &lenient); yerr == nil {
				sc = &lenient
			} else {
				rd.notes = append(rd.notes, fmt.Sprintf("%s could not be read (%v); scenario details omitted", ScenarioFile, err))
			}
		}
		rd.scenario = sc
	}
	if run.Summary != nil {
		rd.summary = *run.Summary
		if rd.summary.Run.BenchctlVersion == "" && rd.summary.Run.Start.IsZero() {
			rd.summary.Run = run.Info
		}
		return rd, nil
	}
	// No summary.json: summarise the records (one extra pass).
	opts := results.SummarizeOptions{Kinds: map[string]string{}}
	if rd.scenario != nil {
		for _, t := range rd.scenario.Targets {
			opts.Kinds[t.Name] = t.Kind
			opts.TargetOrder = append(opts.TargetOrder, t.Name)
		}
	}
	opts.Phases = run.Info.Phases
	ts, err := results.Summarize(run.Records, opts)
	run.Close()
	rd.run = nil
	if err != nil {
		return nil, fmt.Errorf("summarise run %s: %w", dir, err)
	}
	rd.summary = results.Summary{SchemaVersion: results.SchemaVersion, Run: run.Info, Targets: ts}
	if rd.scenario != nil {
		rd.summary.Scenario = results.ScenarioInfo{Name: rd.scenario.Name, Description: rd.scenario.Description, Seed: rd.scenario.Seed}
	}
	rd.notes = append(rd.notes, "summary.json was missing (the run was stopped before writing it); the summary was recomputed from results.jsonl")
	return rd, nil
}

// decoder reads records one at a time; it returns io.EOF at the end.
type decoder = results.Decoder

// openRecords opens results.jsonl with the report's lean decoder and
// returns it with its closer.
func (rd *runDir) openRecords() (decoder, io.Closer, error) {
	f, err := os.Open(filepath.Join(rd.dir, results.ResultsFile))
	if err != nil {
		return nil, nil, fmt.Errorf("open records: %w", err)
	}
	return newLeanDecoder(f), f, nil
}

// close releases the run opened by openRunDir.
func (rd *runDir) close() {
	if rd.run != nil {
		rd.run.Close()
	}
}

// leanRecord holds the Record fields the report reads. Decoding into it
// skips the rest (URL, headers, the intended time, platform durations),
// which saves CPU on million-record runs (see BenchmarkDecoders).
type leanRecord struct {
	Code           uint16        `json:"code"`
	Timestamp      time.Time     `json:"timestamp"`
	Latency        time.Duration `json:"latency"`
	Error          string        `json:"error"`
	Body           []byte        `json:"body"`
	Target         string        `json:"target"`
	Phase          string        `json:"phase"`
	ErrorClass     string        `json:"error_class"`
	Cold           bool          `json:"cold"`
	InitDurationMs *float64      `json:"init_duration_ms"`
	FunctionError  string        `json:"function_error"`
}

// record converts to a Record (the fields not in leanRecord stay zero).
func (lr *leanRecord) record() results.Record {
	return results.Record{
		Code: lr.Code, Timestamp: lr.Timestamp, Latency: lr.Latency, Error: lr.Error,
		Body: lr.Body, Target: lr.Target, Phase: lr.Phase, ErrorClass: lr.ErrorClass, Cold: lr.Cold,
		InitDurationMs: lr.InitDurationMs, FunctionError: lr.FunctionError,
	}
}

// newLeanDecoder returns a results.Decoder over JSON lines that fills only
// the fields in leanRecord (the rest of each Record is left zero); lines,
// blank lines and a torn last line are handled as results.NewJSONDecoder
// does.
func newLeanDecoder(r io.Reader) results.Decoder {
	var lr leanRecord // reused: one allocation per decoder, not per line
	return results.NewLineDecoder(r, func(b []byte, rec *results.Record) error {
		lr = leanRecord{}
		if err := json.Unmarshal(b, &lr); err != nil {
			return err
		}
		*rec = lr.record()
		return nil
	})
}
