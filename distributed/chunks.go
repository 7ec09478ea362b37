package distributed

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/summary"
)

// maxChunkRecords bounds the records one chunk holds in memory.
const maxChunkRecords = 200_000

// chunker is a worker's Encoder: it keeps records in memory, seals them
// every interval (or maxChunkRecords) into a gzip JSON-lines file sorted by
// intended time, and uploads sealed chunks in order in the background, so
// a worker that dies loses at most its last interval. It also feeds the
// worker's histograms and counts.
type chunker struct {
	st       *Store
	dir, tmp string
	interval time.Duration

	mu       sync.Mutex
	cur      []chunkRec
	buf      bytes.Buffer
	enc      results.Encoder
	n        int
	hist     *summary.Phases
	classes  map[string]int64
	requests int64

	queue   chan sealed
	done    chan struct{}
	upMu    sync.Mutex
	keys    []string
	upErr   error
	stopped bool
	stop    chan struct{}
}

type chunkRec struct {
	intended int64
	target   string
	seq      uint64
	line     []byte
}

type sealed struct {
	key, path string
	recs      []chunkRec
}

func newChunker(st *Store, dir, tmp string, interval time.Duration) *chunker {
	c := &chunker{st: st, dir: dir, tmp: tmp, interval: interval, hist: summary.NewPhases(summary.PhasesOptions{}), classes: map[string]int64{},
		queue: make(chan sealed, 64), done: make(chan struct{}), stop: make(chan struct{})}
	c.enc = results.NewJSONEncoder(&c.buf)
	go c.upload()
	go c.tick()
	return c
}

// Encode implements results.Encoder (the runner serialises calls).
func (c *chunker) Encode(r *results.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Reset()
	if err := c.enc(r); err != nil {
		return err
	}
	c.cur = append(c.cur, chunkRec{intended: r.Intended.UnixNano(), target: r.Target, seq: r.Seq, line: bytes.Clone(c.buf.Bytes())})
	// As read back from the file (no monotonic clock readings), so the
	// worker's histograms are those of its records.
	canon := results.Canonical(r)
	c.hist.Add(&canon)
	class := r.ErrorClass
	if class == "" && r.Error != "" {
		class = results.ErrorClassOther
	}
	if class == "" {
		class = "ok"
	}
	c.classes[class]++
	c.requests++
	if len(c.cur) >= maxChunkRecords {
		return c.sealLocked()
	}
	return nil
}

func (c *chunker) tick() {
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.mu.Lock()
			_ = c.sealLocked()
			c.mu.Unlock()
		}
	}
}

// sealLocked hands the current chunk to the uploader, which sorts,
// compresses and uploads it off the records path (the runner's results
// goroutine must never wait on a chunk).
func (c *chunker) sealLocked() error {
	if len(c.cur) == 0 {
		return nil
	}
	recs := c.cur
	c.cur = make([]chunkRec, 0, len(recs))
	name := fmt.Sprintf("records-%05d.jsonl.gz", c.n)
	c.n++
	c.queue <- sealed{key: c.dir + name, path: filepath.Join(c.tmp, name), recs: recs}
	return nil
}

// write sorts a chunk by intended time and writes it gzip-compressed.
func (s sealed) write() error {
	slices.SortFunc(s.recs, func(a, b chunkRec) int {
		return cmp.Or(cmp.Compare(a.intended, b.intended), cmp.Compare(a.target, b.target), cmp.Compare(a.seq, b.seq))
	})
	f, err := os.Create(s.path)
	if err != nil {
		return fmt.Errorf("chunk: %w", err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	for _, r := range s.recs {
		if _, err := zw.Write(r.line); err != nil {
			f.Close()
			return fmt.Errorf("chunk: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return fmt.Errorf("chunk: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("chunk: %w", err)
	}
	return nil
}

func (c *chunker) upload() {
	defer close(c.done)
	for s := range c.queue {
		err := s.write()
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			err = c.st.PutFile(ctx, s.key, s.path)
			cancel()
		}
		c.upMu.Lock()
		if err != nil && c.upErr == nil {
			c.upErr = err
		}
		if err == nil {
			c.keys = append(c.keys, s.key)
		}
		_ = os.Remove(s.path)
		c.upMu.Unlock()
	}
}

// Close seals the last chunk and waits for every upload.
func (c *chunker) Close() error {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return c.upErr
	}
	c.stopped = true
	close(c.stop)
	err := c.sealLocked()
	close(c.queue)
	c.mu.Unlock()
	<-c.done
	c.upMu.Lock()
	defer c.upMu.Unlock()
	if err == nil {
		err = c.upErr
	}
	return err
}

// Keys are the uploaded chunks' keys, in order.
func (c *chunker) Keys() []string {
	c.upMu.Lock()
	defer c.upMu.Unlock()
	return slices.Clone(c.keys)
}
