package results

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// JoinsFile holds what was learnt about requests after their records were
// written: the REPORT lines of lambda-url targets, read from CloudWatch
// Logs after each phase, one JSON Join per line. ApplyJoins folds it into
// results.jsonl (benchctl run at its end, benchctl summary for a run that
// was killed before).
const JoinsFile = "joins.jsonl"

// Join is the billing one request of a target got from its REPORT line,
// found by request id after the record was written. A Join with only
// ReportError says why no REPORT line was found.
type Join struct {
	Target                  string   `json:"target"`
	RequestID               string   `json:"request_id"`
	DurationMs              *float64 `json:"duration_ms,omitempty"`
	BilledDurationMs        *float64 `json:"billed_duration_ms,omitempty"`
	InitDurationMs          *float64 `json:"init_duration_ms,omitempty"`
	RestoreDurationMs       *float64 `json:"restore_duration_ms,omitempty"`
	BilledRestoreDurationMs *float64 `json:"billed_restore_duration_ms,omitempty"`
	MemorySizeMB            *int     `json:"memory_size_mb,omitempty"`
	MaxMemoryUsedMB         *int     `json:"max_memory_used_mb,omitempty"`
	Cold                    bool     `json:"cold,omitempty"`
	ReportStatus            string   `json:"report_status,omitempty"`
	ReportError             string   `json:"report_error,omitempty"`
}

// Apply copies j into r: the REPORT fields it has, or its ReportError.
func (j Join) Apply(r *Record) {
	if j.DurationMs != nil {
		r.DurationMs = j.DurationMs
	}
	if j.BilledDurationMs != nil {
		r.BilledDurationMs = j.BilledDurationMs
	}
	if j.InitDurationMs != nil {
		r.InitDurationMs = j.InitDurationMs
	}
	if j.RestoreDurationMs != nil {
		r.RestoreDurationMs = j.RestoreDurationMs
	}
	if j.BilledRestoreDurationMs != nil {
		r.BilledRestoreDurationMs = j.BilledRestoreDurationMs
	}
	if j.MemorySizeMB != nil {
		r.MemorySizeMB = j.MemorySizeMB
	}
	if j.MaxMemoryUsedMB != nil {
		r.MaxMemoryUsedMB = j.MaxMemoryUsedMB
	}
	r.Cold = r.Cold || j.Cold
	if j.ReportStatus != "" {
		r.ReportStatus = j.ReportStatus
	}
	if j.ReportError != "" && r.BilledDurationMs == nil {
		r.ReportError = j.ReportError
	} else if r.BilledDurationMs != nil {
		r.ReportError = ""
	}
}

// AppendJoins appends joins to dir/joins.jsonl (creating it) and syncs
// the file, so they survive a crash of the run.
func AppendJoins(dir string, joins []Join) error {
	if len(joins) == 0 {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(dir, JoinsFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", JoinsFile, err)
	}
	bw := bufio.NewWriter(f)
	enc := json.NewEncoder(bw)
	for _, j := range joins {
		if err := enc.Encode(j); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", JoinsFile, err)
		}
	}
	if err := errors.Join(bw.Flush(), f.Sync()); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", JoinsFile, err)
	}
	return f.Close()
}

// ApplyJoins folds dir/joins.jsonl into dir/results.jsonl: each record of
// a join's target with the join's request id gets the join's fields.
// results.jsonl is rewritten into a temporary file that replaces it by a
// rename (a crash leaves either the old or the new file, whole, and
// joins.jsonl), then joins.jsonl is removed; applying twice changes
// nothing more. Without joins.jsonl it does nothing. It returns how many
// records got a join. A torn last line of results.jsonl (a killed run) is
// dropped.
func ApplyJoins(dir string) (int, error) {
	joinsPath := filepath.Join(dir, JoinsFile)
	jf, err := os.Open(joinsPath)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", JoinsFile, err)
	}
	type key struct{ target, id string }
	joins := map[key]Join{}
	dec := json.NewDecoder(bufio.NewReader(jf))
	for {
		var j Join
		if err := dec.Decode(&j); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				jf.Close()
				return 0, fmt.Errorf("read %s: %w", JoinsFile, err)
			}
			break // a torn last line: the join was not finished writing
		}
		k := key{j.Target, j.RequestID}
		if prev, ok := joins[k]; ok && prev.BilledDurationMs != nil && j.BilledDurationMs == nil {
			continue // a later miss does not undo a join
		}
		joins[k] = j
	}
	jf.Close()

	resultsPath := filepath.Join(dir, ResultsFile)
	in, err := os.Open(resultsPath)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", ResultsFile, err)
	}
	defer in.Close()
	tmp := resultsPath + ".joining"
	out, err := os.Create(tmp)
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", filepath.Base(tmp), err)
	}
	fail := func(err error) (int, error) {
		out.Close()
		os.Remove(tmp)
		return 0, err
	}
	bw := bufio.NewWriterSize(out, 256<<10)
	recs := NewJSONDecoder(in)
	var line []byte
	n := 0
	for {
		var r Record
		err := recs(&r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(fmt.Errorf("read %s: %w", ResultsFile, err))
		}
		if r.RequestID != "" {
			if j, ok := joins[key{r.Target, r.RequestID}]; ok {
				j.Apply(&r)
				n++
			}
		}
		if line, err = appendRecordJSON(line[:0], &r); err != nil {
			return fail(fmt.Errorf("encode record: %w", err))
		}
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return fail(fmt.Errorf("write %s: %w", filepath.Base(tmp), err))
		}
	}
	if err := errors.Join(bw.Flush(), out.Sync()); err != nil {
		return fail(fmt.Errorf("write %s: %w", filepath.Base(tmp), err))
	}
	if err := out.Close(); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("write %s: %w", filepath.Base(tmp), err)
	}
	if err := os.Rename(tmp, resultsPath); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("replace %s: %w", ResultsFile, err)
	}
	if err := os.Remove(joinsPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return n, fmt.Errorf("remove %s: %w", JoinsFile, err)
	}
	return n, nil
}
