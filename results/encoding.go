package results

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"
)

// Encoder writes one record. It is the only way the load generator emits
// records (in the style of vegeta's Encoder).
type Encoder func(*Record) error

// Encode calls e(r).
func (e Encoder) Encode(r *Record) error { return e(r) }

// Decoder reads the next record into r and returns io.EOF after the last one
// (in the style of vegeta's Decoder).
type Decoder func(*Record) error

// Decode calls d(r).
func (d Decoder) Decode(r *Record) error { return d(r) }

// DefaultFlushInterval is how often a StreamWriter flushes its buffer to the
// file when records keep arriving; the results file lags the run by at most
// this much.
const DefaultFlushInterval = 100 * time.Millisecond

// StreamWriter streams records as JSON lines (results.jsonl) through a
// buffer that is flushed at least every flush interval by a background
// goroutine and on Close. A process killed at any point leaves a file that
// is readable up to its last complete line. It is safe for concurrent use.
type StreamWriter struct {
	mu      sync.Mutex
	bw      *bufio.Writer
	scratch []byte
	err     error
	n       int64
	off     int64
	hook    RecordHook
	dirty   bool
	closed  bool
	stop    chan struct{}
	done    chan struct{}
}

// NewStreamWriter starts a StreamWriter on w flushing every interval
// (DefaultFlushInterval when interval <= 0). Close stops it and flushes.
func NewStreamWriter(w io.Writer, interval time.Duration) *StreamWriter {
	if interval <= 0 {
		interval = DefaultFlushInterval
	}
	s := &StreamWriter{
		bw:   bufio.NewWriterSize(w, 256<<10),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go s.flushLoop(interval)
	return s
}

func (s *StreamWriter) flushLoop(interval time.Duration) {
	defer close(s.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			_ = s.Flush()
		}
	}
}

// Encode writes r as one JSON line.
func (s *StreamWriter) Encode(r *Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.closed {
		return errors.New("encode record: stream writer closed")
	}
	line, err := appendRecordJSON(s.scratch[:0], r)
	if err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	s.scratch = append(line, '\n')
	if _, err := s.bw.Write(s.scratch); err != nil {
		s.err = fmt.Errorf("write record: %w", err)
		return s.err
	}
	s.n++
	s.dirty = true
	if s.hook != nil {
		s.hook(s.off, r)
	}
	s.off += int64(len(s.scratch))
	return nil
}

// RecordHook observes a record written to a results stream: offset is the
// byte offset at which its line starts. It runs under the writer's lock,
// so hooks see records one at a time in file order; it must not keep r.
type RecordHook func(offset int64, r *Record)

// Observe sets the hook called after every record written (nil: none).
// Set it before the first record, so the hook sees the whole file.
func (s *StreamWriter) Observe(hook RecordHook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = hook
}

// Encoder returns s.Encode as an Encoder.
func (s *StreamWriter) Encoder() Encoder { return s.Encode }

// Count is the number of records written so far.
func (s *StreamWriter) Count() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// Flush writes buffered records to the underlying writer.
func (s *StreamWriter) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flushLocked()
}

func (s *StreamWriter) flushLocked() error {
	if s.err != nil {
		return s.err
	}
	if !s.dirty {
		return nil
	}
	if err := s.bw.Flush(); err != nil {
		s.err = fmt.Errorf("flush records: %w", err)
		return s.err
	}
	s.dirty = false
	return nil
}

// Close stops the flushing goroutine and flushes what is buffered. It does
// not close the underlying writer.
func (s *StreamWriter) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return s.err
	}
	s.closed = true
	err := s.flushLocked()
	s.mu.Unlock()
	close(s.stop)
	<-s.done
	return err
}

// NewJSONEncoder returns an unbuffered Encoder writing one JSON line per
// record to w (use a StreamWriter for files).
func NewJSONEncoder(w io.Writer) Encoder {
	var buf []byte
	return func(r *Record) error {
		line, err := appendRecordJSON(buf[:0], r)
		if err != nil {
			return fmt.Errorf("encode record: %w", err)
		}
		buf = append(line, '\n')
		if _, err := w.Write(buf); err != nil {
			return fmt.Errorf("write record: %w", err)
		}
		return nil
	}
}

// NewJSONDecoder returns a Decoder over JSON lines. Blank lines are skipped.
// A torn last line (no trailing newline and not valid JSON, as a killed
// writer leaves it) ends the stream with io.EOF; a malformed complete line is
// an error naming its line number.
func NewJSONDecoder(r io.Reader) Decoder {
	return NewLineDecoder(r, unmarshalRecord)
}

// NewLineDecoder is NewJSONDecoder with the line parser given: parse fills
// rec from one JSON line (e.g. only the fields a reader needs). Line
// handling, blank lines and the torn last line are as in NewJSONDecoder.
func NewLineDecoder(r io.Reader, parse func(line []byte, rec *Record) error) Decoder {
	br := bufio.NewReaderSize(r, 256<<10)
	line := 0
	var long []byte
	return func(rec *Record) error {
		for {
			b, err := br.ReadSlice('\n')
			if errors.Is(err, bufio.ErrBufferFull) {
				long = append(long[:0], b...)
				for errors.Is(err, bufio.ErrBufferFull) {
					b, err = br.ReadSlice('\n')
					long = append(long, b...)
				}
				b = long
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("read records: %w", err)
			}
			atEOF := err != nil
			if len(b) == 0 && atEOF {
				return io.EOF
			}
			line++
			complete := len(b) > 0 && b[len(b)-1] == '\n'
			if len(bytes.TrimSpace(b)) == 0 {
				if atEOF {
					return io.EOF
				}
				continue
			}
			if uerr := parse(b, rec); uerr != nil {
				if !complete {
					return io.EOF // torn last line
				}
				return fmt.Errorf("decode record on line %d: %w", line, uerr)
			}
			return nil
		}
	}
}

// ParseRecord decodes one line of results.jsonl into r, exactly as
// json.Unmarshal would (a reflection-free fast path for the lines
// benchctl writes). r is reset first.
func ParseRecord(line []byte, r *Record) error { return unmarshalRecord(line, r) }

// Canonical returns r as a Decoder reads it back from results.jsonl: the
// times' monotonic clock readings dropped (durations between them are then
// wall-clock differences, as in the file), invalid UTF-8 in strings
// replaced byte by byte with U+FFFD, and an empty body or header set nil.
// Times keep their instant (time.Time.Equal) but not necessarily their
// location. A collector fed Canonical records while a run writes them sees
// what it would see re-reading the file.
func Canonical(r *Record) Record {
	c := *r
	c.Timestamp, c.Intended = r.Timestamp.Round(0), r.Intended.Round(0)
	for _, s := range []*string{&c.Attack, &c.Error, &c.Method, &c.URL, &c.Target, &c.Phase, &c.Step, &c.Experiment,
		&c.ErrorClass, &c.RequestID, &c.FunctionError, &c.ReportStatus, &c.ReportError} {
		*s = validUTF8(*s)
	}
	if len(c.Body) == 0 {
		c.Body = nil
	}
	if len(c.Headers) == 0 {
		c.Headers = nil
	} else {
		h := make(http.Header, len(c.Headers))
		for k, vs := range c.Headers {
			var out []string
			if vs != nil {
				out = make([]string, len(vs))
				for i, v := range vs {
					out[i] = validUTF8(v)
				}
			}
			h[validUTF8(k)] = out
		}
		c.Headers = h
	}
	return c
}

// validUTF8 replaces each byte of s that is not part of valid UTF-8 with
// U+FFFD, as the JSON encoder writes it.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = utf8.AppendRune(b, utf8.RuneError)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(b)
}
