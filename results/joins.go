package results

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// JoinsFile holds what was learnt about requests after their records were
// written: the REPORT lines of lambda-url targets, read from CloudWatch
// Logs after each phase, one record per line holding only the target, the
// request id and the REPORT fields (or report_error). ApplyJoins folds it into
// results.jsonl (benchctl run at its end, benchctl summary for a run that
// was killed before).
const JoinsFile = "joins.jsonl"

// MergeReport copies into r what REPORT line j (a join: a Record holding
// only the target, request id and REPORT fields, or a ReportError saying
// why no REPORT line was found) says about the request.
func (r *Record) MergeReport(j *Record) {
	for _, f := range []struct{ dst, src **float64 }{
		{&r.DurationMs, &j.DurationMs}, {&r.BilledDurationMs, &j.BilledDurationMs}, {&r.InitDurationMs, &j.InitDurationMs},
		{&r.RestoreDurationMs, &j.RestoreDurationMs}, {&r.BilledRestoreDurationMs, &j.BilledRestoreDurationMs},
	} {
		if *f.src != nil {
			*f.dst = *f.src
		}
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
	switch {
	case r.BilledDurationMs != nil:
		r.ReportError = ""
	case j.ReportError != "":
		r.ReportError = j.ReportError
	}
}

// AppendJoins appends joins (Records holding the target, the request id
// and what the REPORT line said, see MergeReport) to dir/joins.jsonl,
// creating it, and syncs the file, so they survive a crash of the run.
func AppendJoins(dir string, joins []Record) error {
	if len(joins) == 0 {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(dir, JoinsFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", JoinsFile, err)
	}
	bw := bufio.NewWriter(f)
	var line []byte
	for i := range joins {
		if line, err = appendRecordJSON(line[:0], &joins[i]); err == nil {
			_, err = bw.Write(append(line, '\n'))
		}
		if err != nil {
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
	joins := map[key]Record{}
	dec := NewJSONDecoder(jf) // tolerates a torn last line (a crash while appending)
	for {
		var j Record
		if err := dec(&j); err != nil {
			if !errors.Is(err, io.EOF) {
				jf.Close()
				return 0, fmt.Errorf("read %s: %w", JoinsFile, err)
			}
			break
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
				r.MergeReport(&j)
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
