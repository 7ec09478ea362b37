package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/benchctl/benchctl/results"
)

// decodeBatch is how many lines one worker decodes at a time.
const decodeBatch = 2048

// lineBatch is a run of consecutive lines of results.jsonl.
type lineBatch struct {
	data      []byte
	ends      []int // end offset of each line in data
	firstLine int   // 1-based line number of the first line
	// torn is set when the batch's last line is the file's last and has no
	// trailing newline: a killed writer may have cut it.
	torn bool
	out  chan decodedBatch
}

// decodedBatch is a batch's records, or the error that ended it.
type decodedBatch struct {
	recs []results.Record
	err  error // io.EOF for a torn last line
}

// newParallelDecoder returns a results.Decoder over JSON lines that decodes
// on up to GOMAXPROCS goroutines and yields records in file order (so
// everything downstream, like scatter decimation, stays deterministic). It
// fills the same fields as newLeanDecoder and has the same rules: blank
// lines skipped, a torn last line ends the stream, a malformed complete line
// is an error. stop releases the goroutines early; it is safe to call after
// the end.
func newParallelDecoder(r io.Reader) (dec results.Decoder, stop func()) {
	workers := max(1, runtime.GOMAXPROCS(0))
	done := make(chan struct{})
	jobs := make(chan *lineBatch, workers)
	order := make(chan *lineBatch, 2*workers)
	readErr := make(chan error, 1)
	go func() {
		defer close(jobs)
		defer close(order)
		br := bufio.NewReaderSize(r, 256<<10)
		line := 0
		b := &lineBatch{firstLine: 1, out: make(chan decodedBatch, 1)}
		send := func() bool {
			select {
			case order <- b:
			case <-done:
				return false
			}
			select {
			case jobs <- b:
			case <-done:
				return false
			}
			b = &lineBatch{firstLine: line + 1, out: make(chan decodedBatch, 1)}
			return true
		}
		for {
			chunk, err := br.ReadSlice('\n')
			for errors.Is(err, bufio.ErrBufferFull) {
				b.data = append(b.data, chunk...)
				chunk, err = br.ReadSlice('\n')
			}
			b.data = append(b.data, chunk...)
			if err != nil && !errors.Is(err, io.EOF) {
				readErr <- fmt.Errorf("read records: %w", err)
				return
			}
			atEOF := err != nil
			if len(b.ends) == 0 && len(b.data) == 0 && atEOF {
				return
			}
			if len(b.data) > 0 && (len(b.ends) == 0 || b.ends[len(b.ends)-1] < len(b.data)) {
				line++
				b.ends = append(b.ends, len(b.data))
				b.torn = atEOF && b.data[len(b.data)-1] != '\n'
			}
			if atEOF || len(b.ends) >= decodeBatch {
				if len(b.ends) > 0 && !send() {
					return
				}
				if atEOF {
					return
				}
			}
		}
	}()
	for range workers {
		go func() {
			for b := range jobs {
				b.out <- decodeLines(b)
			}
		}()
	}
	var cur []results.Record
	finished := false
	var final error = io.EOF
	dec = func(rec *results.Record) error {
		for len(cur) == 0 {
			if finished {
				return final
			}
			b, ok := <-order
			if !ok {
				finished = true
				select {
				case err := <-readErr:
					final = err
				default:
				}
				continue
			}
			res := <-b.out
			cur = res.recs
			if res.err != nil {
				finished = true
				final = res.err
			}
		}
		*rec = cur[0]
		cur = cur[1:]
		return nil
	}
	// The reader selects on done for every send and the workers' sends are
	// buffered, so closing done is enough to let every goroutine end.
	once := false
	stop = func() {
		if !once {
			once = true
			close(done)
		}
	}
	return dec, stop
}

// decodeLines decodes one batch of lines.
func decodeLines(b *lineBatch) decodedBatch {
	recs := make([]results.Record, 0, len(b.ends))
	start := 0
	var lr leanRecord
	for i, end := range b.ends {
		line := b.data[start:end]
		start = end
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		lr = leanRecord{}
		if err := json.Unmarshal(line, &lr); err != nil {
			if b.torn && i == len(b.ends)-1 {
				return decodedBatch{recs: recs, err: io.EOF}
			}
			return decodedBatch{recs: recs, err: fmt.Errorf("decode record on line %d: %w", b.firstLine+i, err)}
		}
		recs = append(recs, lr.record())
	}
	return decodedBatch{recs: recs}
}
