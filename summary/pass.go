package summary

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"runtime/debug"
	"sync"

	"github.com/benchctl/benchctl/results"
)

// ChunkSize is the span of results.jsonl one parse worker takes at a
// time: the line that starts at byte offset o belongs to chunk
// ⌊o / ChunkSize⌋. Chunks are folded in file order (see Merger), on any
// number of cores and while a run writes the file (Live), so a summary is
// a function of the file's bytes alone.
const ChunkSize = 32 << 20

// releaseEvery is how much of a mapped chunk a worker parses between
// releases of its pages.
const releaseEvery = 4 << 20

// File is what the pipeline reads results.jsonl through (an *os.File).
type File interface {
	io.ReaderAt
	io.Closer
	Stat() (fs.FileInfo, error)
}

// Opener opens results.jsonl for reading; the pipeline opens it at most
// once per Load. Tests pass one that counts.
type Opener func(path string) (File, error)

// OpenFile is the default Opener (os.Open).
func OpenFile(path string) (File, error) { return os.Open(path) }

// Stats describes one pass over results.jsonl.
type Stats struct {
	// Records is the number of records decoded.
	Records int64
	// Lines is the number of lines read (blank lines included).
	Lines int64
	// Torn is true when the file ended in a partial line, as a killed
	// writer leaves it; that line is not a record.
	Torn bool
}

// checkEvery is how many records a worker decodes between checks of its
// context: a cancelled pass returns within milliseconds.
const checkEvery = 4096

// Pass reads every complete line of f (a results.jsonl of size bytes)
// once and feeds each record to every collector, on up to workers
// goroutines (GOMAXPROCS when ≤ 0). When every collector is a Merger, the
// file is cut into chunks of ChunkSize bytes, each chunk is parsed by a
// worker into forks of the collectors, and the forks are folded into cs
// in file order; otherwise the records are fed to cs in one sequential
// pass. A blank line is skipped; a last line without a newline that does
// not parse is a torn write and ends the records (Stats.Torn); any other
// line that does not parse is an error naming its line number. Apply is
// not called.
func Pass(ctx context.Context, f io.ReaderAt, size int64, workers int, cs []Collector) (Stats, error) {
	return pass(ctx, f, size, workers, ChunkSize, cs)
}

// pass is Pass with the chunk size given (tests use small chunks).
func pass(ctx context.Context, f io.ReaderAt, size int64, workers int, chunk int64, cs []Collector) (Stats, error) {
	if !allMergers(cs) {
		return passSequential(ctx, f, size, cs)
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	c := chunker{f: f, size: size, chunk: chunk}
	if size > chunk {
		if m, ok := mapFile(f, size); ok {
			c.mapped = m
			defer unmapFile(m)
		}
	}
	n := (size + chunk - 1) / chunk
	if n <= 1 || workers == 1 {
		return c.inOrder(ctx, n, cs)
	}
	return c.parallel(ctx, n, workers, cs)
}

// chunker cuts one file into chunks of chunk bytes. A file larger than
// one chunk is read through a read-only memory map when it can be
// (mapped), which saves copying it; a worker releases the pages it has
// parsed every releaseEvery bytes, and the fold releases everything before
// the chunks in flight (releaseFolded), so the resident size of the map is
// a few MiB per worker however large the file.
type chunker struct {
	f      io.ReaderAt
	size   int64
	chunk  int64
	mapped []byte
}

// chunkResult is what parsing one chunk produced.
type chunkResult struct {
	forks []Merger
	stats Stats
	// errLine is the chunk-local line number of err (0 when err has none).
	errLine int64
	err     error
}

// passChunksInOrder parses the chunks one after another on this goroutine,
// with the same forks and folds as the parallel pass.
func (c chunker) inOrder(ctx context.Context, n int64, cs []Collector) (Stats, error) {
	var total Stats
	var released int64
	w := newWorkerState()
	for k := int64(0); k < n; k++ {
		var res chunkResult
		if k == 0 {
			res = c.parse(ctx, 0, nil, cs, w)
		} else {
			res = c.parse(ctx, k, forkAll(cs), nil, w)
		}
		if err := fold(&total, res, cs); err != nil {
			return total, err
		}
		released = c.releaseFolded(released, k)
	}
	return total, nil
}

// releaseFolded drops from the map every page before chunk k+1's first
// read, once chunks 0..k are folded, and returns the new mark (from
// released, the previous one). Each parse releases its own chunk's pages
// too; this catches those it cannot: pages shared with a neighbour, and
// pages the kernel mapped around a fault (fault-around, large folios)
// after their chunk was parsed. The map's resident size then stays that of
// the chunks in flight.
func (c chunker) releaseFolded(released, k int64) int64 {
	if c.mapped == nil {
		return released
	}
	upTo := min((k+1)*c.chunk-1, int64(len(c.mapped)))
	page := int64(os.Getpagesize())
	upTo = upTo / page * page
	if upTo > released {
		releaseMapped(c.mapped, released, upTo)
		return upTo
	}
	return released
}

// fold adds a chunk's counts to total and merges its forks into cs, or
// turns its error into one with a global line number.
func fold(total *Stats, res chunkResult, cs []Collector) error {
	if res.err != nil {
		if res.errLine > 0 {
			return fmt.Errorf("decode record on line %d: %w", total.Lines+res.errLine, res.err)
		}
		return res.err
	}
	total.Records += res.stats.Records
	total.Lines += res.stats.Lines
	total.Torn = total.Torn || res.stats.Torn
	if res.forks != nil {
		mergeAll(cs, res.forks)
	}
	return nil
}

// parallel parses chunks on workers goroutines and folds them in order;
// at most workers + 1 chunks are parsed ahead of the fold, so memory stays
// bounded however large the file.
func (c chunker) parallel(ctx context.Context, n int64, workers int, cs []Collector) (Stats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	window := int64(workers + 1)
	tokens := make(chan struct{}, window)
	done := make([]chan chunkResult, n)
	for i := range done {
		done[i] = make(chan chunkResult, 1)
	}
	var (
		mu   sync.Mutex
		next int64
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorkerState()
			for {
				select {
				case tokens <- struct{}{}:
				case <-ctx.Done():
					return
				}
				mu.Lock()
				k := next
				next++
				mu.Unlock()
				if k >= n {
					<-tokens
					return
				}
				var res chunkResult
				if k == 0 {
					res = c.parse(ctx, 0, nil, cs, w)
				} else {
					res = c.parse(ctx, k, forkAll(cs), nil, w)
				}
				done[k] <- res
			}
		}()
	}
	var total Stats
	var err error
	var released int64
	for k := int64(0); k < n && err == nil; k++ {
		select {
		case res := <-done[k]:
			err = fold(&total, res, cs)
			released = c.releaseFolded(released, k)
			<-tokens
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	cancel()
	wg.Wait()
	if err != nil {
		return total, fmt.Errorf("read records: %w", err)
	}
	return total, nil
}

// workerState is what a parse worker reuses from chunk to chunk: its read
// buffer and its record parser (whose string table then spans chunks).
type workerState struct {
	buf    []byte
	parser *results.RecordParser
}

func newWorkerState() *workerState { return &workerState{parser: results.NewRecordParser()} }

// parse decodes the lines that start in chunk k into forks (or into roots
// for chunk 0) with the worker's state w.
func (c chunker) parse(ctx context.Context, k int64, forks []Merger, roots []Collector, w *workerState) (res chunkResult) {
	if c.mapped != nil {
		// A mapped file cut short under the reader faults: an error, not a crash.
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if r := recover(); r != nil {
				res.err = fmt.Errorf("read records: results.jsonl changed while it was read: %v", r)
			}
		}()
	}
	buf := &w.buf
	f, size := c.f, c.size
	res = chunkResult{forks: forks}
	start, end := k*c.chunk, min((k+1)*c.chunk, size)
	// The chunk's first line starts after the first newline at or after
	// start−1 (chunk 0 starts at 0).
	from := max(start-1, 0)
	need := end - from
	var data []byte
	var err error
	if c.mapped != nil {
		data = c.mapped[from:end]
		defer releaseMapped(c.mapped, from, end)
		if data[len(data)-1] != '\n' && end < size {
			if i := bytes.IndexByte(c.mapped[end:], '\n'); i >= 0 {
				data = c.mapped[from : end+int64(i)+1]
			} else {
				data = c.mapped[from:size]
			}
		}
	} else if data, err = readAt(f, from, need, buf); err != nil {
		res.err = err
		return res
	}
	pos := 0
	if k > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return res // no line starts in this chunk
		}
		pos = i + 1
	}
	if from+int64(pos) >= end {
		return res
	}
	// The chunk's last line may run past end: read on to its newline.
	if c.mapped == nil && data[len(data)-1] != '\n' && end < size {
		data, err = readLineTail(f, from, data, size, buf)
		if err != nil {
			res.err = err
			return res
		}
	}
	feed := func(r *results.Record) {
		if roots != nil {
			for _, col := range roots {
				col.Add(r)
			}
			return
		}
		for _, col := range forks {
			col.Add(r)
		}
	}
	var rec results.Record
	released := from // the map's pages before released are dropped
	for pos < len(data) && from+int64(pos) < end {
		if res.stats.Records%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				res.err = err
				return res
			}
			if c.mapped != nil && from+int64(pos)-released >= releaseEvery {
				// Drop what is parsed as the chunk goes: the resident
				// size is a few MiB per worker, not a chunk.
				releaseMapped(c.mapped, released, from+int64(pos))
				released = from + int64(pos)
			}
		}
		nl := bytes.IndexByte(data[pos:], '\n')
		var line []byte
		complete := nl >= 0
		if complete {
			line = data[pos : pos+nl]
			pos += nl + 1
		} else {
			line = data[pos:]
			pos = len(data)
		}
		res.stats.Lines++
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := w.parser.Parse(line, &rec); err != nil {
			if !complete {
				res.stats.Torn = true
				break
			}
			res.err, res.errLine = err, res.stats.Lines
			return res
		}
		res.stats.Records++
		feed(&rec)
	}
	return res
}

// readAt reads n bytes at off into *buf (grown as needed).
func readAt(f io.ReaderAt, off, n int64, buf *[]byte) ([]byte, error) {
	if int64(cap(*buf)) < n {
		*buf = make([]byte, n, n+n/8)
	}
	b := (*buf)[:n]
	m, err := f.ReadAt(b, off)
	if err != nil && !(errors.Is(err, io.EOF) && int64(m) == n) {
		return nil, fmt.Errorf("read records at byte %d: %w", off, err)
	}
	return b, nil
}

// readLineTail extends data (read from from) until it ends in a newline
// or reaches size, and returns it.
func readLineTail(f io.ReaderAt, from int64, data []byte, size int64, buf *[]byte) ([]byte, error) {
	const step = 64 << 10
	for data[len(data)-1] != '\n' {
		off := from + int64(len(data))
		if off >= size {
			break
		}
		n := min(int64(step), size-off)
		grown := append(data, make([]byte, n)...)
		m, err := f.ReadAt(grown[len(data):], off)
		if err != nil && !(errors.Is(err, io.EOF) && int64(m) == n) {
			return nil, fmt.Errorf("read records at byte %d: %w", off, err)
		}
		tail := grown[len(data):]
		if i := bytes.IndexByte(tail, '\n'); i >= 0 {
			data = grown[:len(data)+i+1]
			break
		}
		data = grown
	}
	*buf = data[:cap(data)]
	return data, nil
}

// passSequential feeds every record to cs with the line decoder.
func passSequential(ctx context.Context, f io.ReaderAt, size int64, cs []Collector) (Stats, error) {
	var st Stats
	lines := int64(0)
	dec := results.NewLineDecoder(io.NewSectionReader(f, 0, size), func(line []byte, r *results.Record) error {
		lines++
		return results.ParseRecord(line, r)
	})
	var rec results.Record
	for {
		if st.Records%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return st, fmt.Errorf("read records: %w", err)
			}
		}
		err := dec(&rec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return st, err
		}
		st.Records++
		for _, c := range cs {
			c.Add(&rec)
		}
	}
	st.Lines = lines
	return st, nil
}
