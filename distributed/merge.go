package distributed

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/benchctl/benchctl/results"
)

// ErrGaps is returned (wrapped) by Merge when seqs are missing and gaps
// are not allowed: the run directory is still written.
var ErrGaps = errors.New("distributed run has gaps")

// ErrDuplicateSeq is returned (wrapped) by Merge when a seq appears twice.
var ErrDuplicateSeq = errors.New("a seq appears more than once")

// MergeOptions configures Merge.
type MergeOptions struct {
	// Store is the run's folder; Plan and Go its plan and go signal.
	Store *Store
	Plan  *Plan
	Go    GoSignal
	// Dir is the run directory to write (it must not hold a run).
	Dir string
	// Info is run.json's host part; Merge fills Phases and Distributed.
	Info results.RunInfo
	// AllowPartial merges a run with gaps without an error.
	AllowPartial bool
	// Exits are the engine's reports per worker index (nil entries: none).
	Exits map[Invocation]Exit
	// Interrupted is set when the coordinator stopped the run early: seqs
	// after the stop are missing by design, not a failure.
	Interrupted bool
}

// MergeResult is what Merge wrote and found.
type MergeResult struct {
	// Info is the run.json written.
	Info results.RunInfo
	// Workers are summary.json's workers[] entries (indexes in order,
	// then duplicates).
	Workers []results.WorkerSummary
	// Records is the number of records merged; Missing the number of
	// seqs no record holds (over recorded phases and their targets).
	Records, Missing int64
	// Histograms are the workers' histograms merged.
	Histograms *Histograms
	// Manifests are the workers' manifests by index and window.
	Manifests map[Invocation]*results.WorkerManifest
}

// mergeKey is the part of a record line the merge reads.
type mergeKey struct {
	Target   string    `json:"target"`
	Phase    string    `json:"phase"`
	Step     string    `json:"step"`
	Seq      uint64    `json:"seq"`
	Intended time.Time `json:"intended"`
}

// Merge reads every worker's record chunks from the store, checks that
// every seq of every recorded phase and target appears exactly once, and
// writes an ordinary run directory: scenario.yaml, run.json (phases on the
// common timeline, so rates are against T0; the distributed section),
// results.jsonl (records merged in intended-time order, byte for byte as
// the workers wrote them) and histograms.hlog (the workers' histograms
// merged exactly). Missing seqs are gaps, listed per worker as seq ranges;
// with gaps Merge returns ErrGaps unless AllowPartial (the directory is
// written either way). A seq seen twice is ErrDuplicateSeq.
func Merge(ctx context.Context, o MergeOptions) (*MergeResult, error) {
	plan := o.Plan
	part, err := plan.Partition()
	if err != nil {
		return nil, err
	}
	res := &MergeResult{Histograms: NewHistograms(), Manifests: map[Invocation]*results.WorkerManifest{}}
	keys, err := o.Store.List(ctx, keyWorkers)
	if err != nil {
		return nil, err
	}
	var chunks []string
	for _, key := range keys {
		switch {
		case strings.HasSuffix(key, ".jsonl.gz"):
			chunks = append(chunks, key)
		case strings.HasSuffix(key, "/manifest.json"):
			var m results.WorkerManifest
			b, err := o.Store.Get(ctx, key)
			if err != nil {
				return nil, err
			}
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, fmt.Errorf("merge: %s: %w", key, err)
			}
			res.Manifests[Invocation{Index: m.Index, Window: m.Window}] = &m
		case strings.HasSuffix(key, "/"+HistogramsFile):
			rc, err := o.Store.Open(ctx, key)
			if err != nil {
				return nil, err
			}
			hs, err := ReadHistograms(rc)
			rc.Close()
			if err != nil {
				return nil, fmt.Errorf("merge: %s: %w", key, err)
			}
			if err := res.Histograms.Merge(hs); err != nil {
				return nil, err
			}
		}
	}
	sort.Strings(chunks)

	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	if _, err := os.Stat(filepath.Join(o.Dir, results.ResultsFile)); err == nil {
		return nil, fmt.Errorf("merge: %s: %w", o.Dir, results.ErrRunExists)
	}
	tmp, err := os.MkdirTemp(o.Dir, ".chunks-")
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	defer os.RemoveAll(tmp)
	// Download every chunk (files closed), then merge at most
	// maxOpenChunks at a time: a long run has thousands of chunks.
	var paths []string
	for i, key := range chunks {
		local := filepath.Join(tmp, fmt.Sprintf("%05d-%s", i, strings.ReplaceAll(key, "/", "_")))
		if err := download(ctx, o.Store, key, local); err != nil {
			return nil, err
		}
		paths = append(paths, local)
	}
	paths, err = mergeLevels(ctx, paths, tmp, maxOpenChunks)
	if err != nil {
		return nil, err
	}

	// Bookkeeping: one bitset per recorded (phase, target).
	phaseOrder := map[string]int{}
	seen := map[[2]string][]uint64{}
	for i, pp := range plan.Phases {
		phaseOrder[pp.Name] = i
		if !pp.Recorded {
			continue
		}
		for _, t := range pp.Targets {
			seen[[2]string{pp.Name, t}] = make([]uint64, (pp.Hits+63)/64)
		}
	}
	perWorker := make([]int64, plan.Workers)

	out, err := os.OpenFile(filepath.Join(o.Dir, results.ResultsFile), os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	var dupErrs []string
	err = mergeFiles(ctx, paths, func(s *chunkStream) error {
		k := s.key
		bits, ok := seen[[2]string{k.Phase, k.Target}]
		if !ok {
			return fmt.Errorf("merge: %s holds a record of phase %q target %q, which the plan does not record", s.name, k.Phase, k.Target)
		}
		if k.Seq/64 >= uint64(len(bits)) {
			return fmt.Errorf("merge: %s: seq %d of phase %s is beyond its %d hits", s.name, k.Seq, k.Phase, plan.Phases[phaseOrder[k.Phase]].Hits)
		}
		if bits[k.Seq/64]&(1<<(k.Seq%64)) != 0 {
			if len(dupErrs) < 5 {
				dupErrs = append(dupErrs, fmt.Sprintf("phase %s target %s seq %d", k.Phase, k.Target, k.Seq))
			}
			return nil
		}
		bits[k.Seq/64] |= 1 << (k.Seq % 64)
		if _, err := bw.Write(s.line); err != nil {
			return fmt.Errorf("merge: write records: %w", err)
		}
		res.Records++
		perWorker[part.Owner(k.Seq)]++
		return nil
	})
	if err != nil {
		out.Close()
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		out.Close()
		return nil, fmt.Errorf("merge: write records: %w", err)
	}
	if err := out.Close(); err != nil {
		return nil, fmt.Errorf("merge: write records: %w", err)
	}

	// Gaps: missing seqs per owning worker.
	gaps := make([][]results.WorkerGap, plan.Workers)
	missing := make([]int64, plan.Workers)
	unsent := make([]int64, plan.Workers)
	for _, pp := range plan.Phases {
		if !pp.Recorded {
			continue
		}
		for _, t := range pp.Targets {
			bits := seen[[2]string{pp.Name, t}]
			per := make([][]uint64, plan.Workers)
			for seq := range uint64(pp.Hits) {
				if bits[seq/64]&(1<<(seq%64)) == 0 {
					k := part.Owner(seq)
					per[k] = append(per[k], seq)
				}
			}
			for k, seqs := range per {
				for _, r := range Ranges(seqs) {
					gaps[k] = append(gaps[k], results.WorkerGap{Target: t, Phase: pp.Name, FirstSeq: r.First, LastSeq: r.Last, Every: r.Every, Count: r.Count})
				}
				missing[k] += int64(len(seqs))
				res.Missing += int64(len(seqs))
			}
		}
	}

	// A live worker that fell behind stops at the phase's end with hits
	// unsent, as one generator does: those are not gaps.
	for k := range plan.Workers {
		if missing[k] == 0 || missing[k] > unsentBy(plan, res.Manifests, k) {
			continue
		}
		res.Missing -= missing[k]
		unsent[k], missing[k], gaps[k] = missing[k], 0, nil
	}
	res.Workers = workerSummaries(plan, res.Manifests, o.Exits, perWorker, missing, gaps)
	for k := range res.Workers {
		res.Workers[k].Unsent = unsent[k]
	}
	dups, err := o.Store.List(ctx, keyDuplicates)
	if err != nil {
		return nil, err
	}
	for _, key := range dups {
		b, err := o.Store.Get(ctx, key)
		if err != nil {
			return nil, err
		}
		var m results.WorkerManifest
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		res.Workers = append(res.Workers, results.WorkerSummary{Index: m.Index, Region: m.Region, Status: results.WorkerDuplicate,
			ClockOffsetMs: m.ClockOffsetMs, ClockMethod: m.ClockMethod, Error: m.Error})
	}

	// Histograms: every latency histogram must count exactly the
	// recorded, sent requests of its (target, phase, step).
	info := o.Info
	info.Phases = nil
	for _, pp := range plan.Phases {
		info.Phases = append(info.Phases, results.PhaseRunInfo{Name: pp.Name, Targets: pp.Targets, Model: pp.Model,
			Recorded: pp.Recorded, DurationS: pp.Duration.Seconds(), Scheduled: int64(pp.Hits),
			Start: o.Go.T0.Add(pp.Start).UTC(), Interrupted: o.Interrupted})
	}
	res.Info = info
	if err := os.WriteFile(filepath.Join(o.Dir, results.ScenarioFile), plan.Scenario, 0o644); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	if err := results.WriteJSONFile(filepath.Join(o.Dir, results.RunInfoFile), info); err != nil {
		return nil, err
	}
	var hb bytes.Buffer
	if _, err := res.Histograms.WriteTo(&hb); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(o.Dir, HistogramsFile), hb.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	if len(dupErrs) > 0 {
		return res, fmt.Errorf("merge: %w: %s", ErrDuplicateSeq, strings.Join(dupErrs, "; "))
	}
	if res.Missing > 0 && !o.AllowPartial && !o.Interrupted {
		var who []string
		for k, n := range missing {
			if n > 0 {
				who = append(who, fmt.Sprintf("worker %d: %d", k, n))
			}
		}
		return res, fmt.Errorf("%w: %d requests missing (%s); see workers[].gaps in summary.json, or merge with --allow-partial", ErrGaps, res.Missing, strings.Join(who, ", "))
	}
	return res, nil
}

// unsentBy is what worker k's manifests say it scheduled and did not send
// in recorded phases, or −1 when a window has no manifest or failed (then
// its missing seqs are a gap).
func unsentBy(plan *Plan, manifests map[Invocation]*results.WorkerManifest, k int) int64 {
	recorded := map[string]bool{}
	for _, pp := range plan.Phases {
		recorded[pp.Name] = pp.Recorded
	}
	var n int64
	for w := range plan.Windows {
		m := manifests[Invocation{Index: k, Window: w}]
		if m == nil || m.Status == results.WorkerFailed {
			return -1
		}
		for _, p := range m.Phases {
			if recorded[p.Phase] && !p.Interrupted {
				n += p.Scheduled - p.Sent
			}
		}
	}
	return n
}

// workerSummaries builds workers[]: one entry per index over its windows.
func workerSummaries(plan *Plan, manifests map[Invocation]*results.WorkerManifest, exits map[Invocation]Exit, delivered, missing []int64, gaps [][]results.WorkerGap) []results.WorkerSummary {
	var out []results.WorkerSummary
	for k := range plan.Workers {
		ws := results.WorkerSummary{Index: k, Region: plan.Region(k), Requests: delivered[k], Status: results.WorkerOK,
			Missing: missing[k], Gaps: gaps[k]}
		var errs []string
		for w := range plan.Windows {
			inv := Invocation{Index: k, Window: w}
			m := manifests[inv]
			ex, exited := exits[inv]
			switch {
			case m == nil:
				ws.Status = results.WorkerFailed
				msg := fmt.Sprintf("window %d: no manifest (the worker died or never started)", w)
				if exited && ex.Err != nil {
					msg += ": " + ex.Err.Error()
				}
				errs = append(errs, msg)
				continue
			case m.Status == results.WorkerFailed:
				ws.Status = results.WorkerFailed
				errs = append(errs, fmt.Sprintf("window %d: %s", w, m.Error))
			case m.Status == results.WorkerLate && ws.Status == results.WorkerOK:
				ws.Status = results.WorkerLate
			}
			if exited && ex.Err != nil && m.Status != results.WorkerFailed {
				ws.Status = results.WorkerFailed
				errs = append(errs, fmt.Sprintf("window %d: %v", w, ex.Err))
			}
			ws.Windows++
			ws.StartLagMs = max(ws.StartLagMs, m.StartLagMs)
			if w == 0 || ws.ClockMethod == "" {
				ws.ClockOffsetMs, ws.ClockMethod, ws.ClockUncertaintyMs = m.ClockOffsetMs, m.ClockMethod, m.ClockUncertaintyMs
			}
			for _, p := range m.Phases {
				ws.DispatchLagP99Ms = max(ws.DispatchLagP99Ms, p.DispatchLagP99Ms)
			}
			ws.CPUSeconds += m.CPUSeconds
			ws.MaxRSSMB = max(ws.MaxRSSMB, m.MaxRSSMB)
		}
		if missing[k] > 0 && ws.Status != results.WorkerFailed {
			ws.Status = results.WorkerFailed
			errs = append(errs, fmt.Sprintf("%d of its requests are missing", missing[k]))
		}
		ws.Error = strings.Join(errs, "; ")
		out = append(out, ws)
	}
	return out
}

// chunkStream reads one downloaded chunk, a line at a time.
type chunkStream struct {
	name string
	f    *os.File
	zr   *gzip.Reader
	br   *bufio.Reader
	line []byte
	key  mergeKey
	at   int64
}

// maxOpenChunks bounds the chunk files a merge holds open at once.
const maxOpenChunks = 64

// download copies a chunk from the store to local.
func download(ctx context.Context, st *Store, key, local string) error {
	rc, err := st.Open(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.Create(local)
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	_, err = io.Copy(f, rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("merge: download %s: %w", key, err)
	}
	return nil
}

func openChunk(local string) (*chunkStream, error) {
	f, err := os.Open(local)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("merge: %s: %w", local, err)
	}
	return &chunkStream{name: filepath.Base(local), f: f, zr: zr, br: bufio.NewReaderSize(zr, 64<<10)}, nil
}

// mergeLevels merges groups of at most fanIn sorted chunk files into
// sorted intermediate files until at most fanIn are left (a chunk is
// read once per level: ⌈log_fanIn(chunks)⌉ − 1 extra passes).
func mergeLevels(ctx context.Context, paths []string, tmp string, fanIn int) ([]string, error) {
	for level := 0; len(paths) > fanIn; level++ {
		var next []string
		for i := 0; i < len(paths); i += fanIn {
			group := paths[i:min(i+fanIn, len(paths))]
			out := filepath.Join(tmp, fmt.Sprintf("level%d-%d.jsonl.gz", level, i/fanIn))
			if err := mergeInto(ctx, group, out); err != nil {
				return nil, err
			}
			for _, p := range group {
				_ = os.Remove(p)
			}
			next = append(next, out)
		}
		paths = next
	}
	return paths, nil
}

// mergeInto merges sorted chunk files into one sorted gzip file.
func mergeInto(ctx context.Context, paths []string, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	bw := bufio.NewWriterSize(zw, 256<<10)
	err = mergeFiles(ctx, paths, func(s *chunkStream) error {
		_, err := bw.Write(s.line)
		return err
	})
	if err == nil {
		err = bw.Flush()
	}
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("merge: %s: %w", out, err)
	}
	return nil
}

// mergeFiles streams the records of sorted chunk files in (intended,
// target, seq) order to emit, holding every file open: callers bound
// their number (mergeLevels).
func mergeFiles(ctx context.Context, paths []string, emit func(*chunkStream) error) error {
	h := &chunkHeap{}
	var streams []*chunkStream
	defer func() {
		for _, s := range streams {
			s.close()
		}
	}()
	for _, p := range paths {
		s, err := openChunk(p)
		if err != nil {
			return err
		}
		streams = append(streams, s)
		ok, err := s.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Push(h, s)
		}
	}
	for n := 0; h.Len() > 0; n++ {
		if n%65536 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		s := (*h)[0]
		if err := emit(s); err != nil {
			return err
		}
		ok, err := s.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	return nil
}

// next reads the next record line; false at the end.
func (s *chunkStream) next() (bool, error) {
	line, err := s.br.ReadBytes('\n')
	if len(line) == 0 && errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("merge: read %s: %w", s.name, err)
	}
	if len(line) > 0 && line[len(line)-1] != '\n' {
		line = append(line, '\n')
	}
	s.line = line
	s.key = mergeKey{}
	if err := json.Unmarshal(line, &s.key); err != nil {
		return false, fmt.Errorf("merge: %s: %w", s.name, err)
	}
	s.at = s.key.Intended.UnixNano()
	return true, nil
}

func (s *chunkStream) close() {
	s.zr.Close()
	s.f.Close()
}

// chunkHeap orders streams by their head record's (intended, target, seq).
type chunkHeap []*chunkStream

func (h chunkHeap) Len() int { return len(h) }
func (h chunkHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.key.Target, b.key.Target), cmp.Compare(a.key.Seq, b.key.Seq)) < 0
}
func (h chunkHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *chunkHeap) Push(x any)   { *h = append(*h, x.(*chunkStream)) }
func (h *chunkHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
