package summary

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/benchctl/benchctl/results"
)

// Tag is the histograms.hlog tag of one phase's metric:
// "target=<t>;phase=<p>;step=<s>;metric=<m>" (step empty for plain phases;
// metric one of results.Metrics). Characters the log format or the tag's
// own syntax cannot hold (',', ' ', ';', '%', line breaks) are
// percent-encoded; scenario names never contain them.
func Tag(target, phase, step, metric string) string {
	return "target=" + tagEscape(target) + ";phase=" + tagEscape(phase) + ";step=" + tagEscape(step) + ";metric=" + tagEscape(metric)
}

// ParseTag splits a Tag into its parts; ok is false for other tags.
func ParseTag(tag string) (target, phase, step, metric string, ok bool) {
	parts := strings.Split(tag, ";")
	if len(parts) != 4 {
		return "", "", "", "", false
	}
	var vals [4]string
	for i, key := range []string{"target", "phase", "step", "metric"} {
		v, found := strings.CutPrefix(parts[i], key+"=")
		if !found {
			return "", "", "", "", false
		}
		u, err := tagUnescape(v)
		if err != nil {
			return "", "", "", "", false
		}
		vals[i] = u
	}
	return vals[0], vals[1], vals[2], vals[3], true
}

const tagSpecial = ", ;%\r\n\t"

func tagEscape(s string) string {
	if !strings.ContainsAny(s, tagSpecial) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; strings.IndexByte(tagSpecial, c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func tagUnescape(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", errors.New("truncated escape")
		}
		var c byte
		if _, err := fmt.Sscanf(s[i+1:i+3], "%02X", &c); err != nil {
			return "", err
		}
		b.WriteByte(c)
		i += 2
	}
	return b.String(), nil
}

// Histograms is a set of HDR histograms by tag: what histograms.hlog
// holds, one per (target, phase, step, metric), values in microseconds
// (1 µs to 1 h, 3 significant digits: results.NewHistogram). Histograms
// of the same tag merge exactly (hdr Merge adds bucket counts), so the
// histograms of two runs' — or a distributed run's workers' — records
// merged equal the histograms of all their records.
type Histograms struct {
	h    map[string]*hdr.Histogram
	tags []string
}

// NewHistograms returns an empty set.
func NewHistograms() *Histograms { return &Histograms{h: map[string]*hdr.Histogram{}} }

// Add merges h into the set's histogram of tag (created empty first),
// widening its time span to h's; it fails when values fall out of range.
func (hs *Histograms) Add(tag string, h *hdr.Histogram) error {
	dst, ok := hs.h[tag]
	if !ok {
		dst = results.NewHistogram()
		dst.SetTag(tag)
		dst.SetStartTimeMs(h.StartTimeMs())
		dst.SetEndTimeMs(h.EndTimeMs())
		hs.h[tag] = dst
		hs.tags = append(hs.tags, tag)
	} else {
		if s := h.StartTimeMs(); s != 0 && (dst.StartTimeMs() == 0 || s < dst.StartTimeMs()) {
			dst.SetStartTimeMs(s)
		}
		dst.SetEndTimeMs(max(dst.EndTimeMs(), h.EndTimeMs()))
	}
	if dropped := dst.Merge(h); dropped != 0 {
		return fmt.Errorf("histograms: merging %s dropped %d values", tag, dropped)
	}
	return nil
}

// Merge adds every histogram of other into hs: tag by tag, exactly.
func (hs *Histograms) Merge(other *Histograms) error {
	for _, tag := range other.tags {
		if err := hs.Add(tag, other.h[tag]); err != nil {
			return err
		}
	}
	return nil
}

// Tags lists the tags in the order they were first added.
func (hs *Histograms) Tags() []string { return slices.Clone(hs.tags) }

// Get returns the histogram of tag (nil when absent). The caller must not
// modify it.
func (hs *Histograms) Get(tag string) *hdr.Histogram { return hs.h[tag] }

// Equal reports whether both sets hold the same tags with identical
// bucket counts; the first difference is described.
func (hs *Histograms) Equal(other *Histograms) (bool, string) {
	if len(hs.h) != len(other.h) {
		return false, fmt.Sprintf("%d histograms vs %d", len(hs.h), len(other.h))
	}
	for _, tag := range hs.tags {
		h, o := hs.h[tag], other.h[tag]
		if o == nil {
			return false, tag + " missing"
		}
		if !h.Equals(o) {
			return false, fmt.Sprintf("%s differs: %d values (p99 %d µs) vs %d (p99 %d µs)", tag,
				h.TotalCount(), h.ValueAtQuantile(99), o.TotalCount(), o.ValueAtQuantile(99))
		}
	}
	return true, ""
}

// WriteTo writes the set as an HdrHistogram interval log
// (hdr.NewHistogramLogWriter: format version 1.3, V2 compressed
// histograms) in the order the tags were added. Each histogram's interval
// is its phase's span of intended send times (absolute, seconds since the
// epoch); the log's Interval_Max column is the maximum in µs over the
// library's default ratio of 10⁶, i.e. in seconds.
func (hs *Histograms) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	lw := hdr.NewHistogramLogWriter(cw)
	if err := lw.OutputLogFormatVersion(); err != nil {
		return cw.n, err
	}
	if err := lw.OutputComment("[benchctl histograms: values in microseconds; tags target=<t>;phase=<p>;step=<s>;metric=<m>]"); err != nil {
		return cw.n, err
	}
	if err := lw.OutputLegend(); err != nil {
		return cw.n, err
	}
	for _, tag := range hs.tags {
		if err := lw.OutputIntervalHistogram(hs.h[tag]); err != nil {
			return cw.n, fmt.Errorf("histograms: write %s: %w", tag, err)
		}
	}
	return cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ReadHistograms reads an interval log (hdr.NewHistogramLogReader);
// intervals with the same tag are merged.
func ReadHistograms(r io.Reader) (*Histograms, error) {
	hs := NewHistograms()
	lr := hdr.NewHistogramLogReader(r)
	for {
		h, err := lr.NextIntervalHistogram()
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("histograms: %w", err)
		}
		if h == nil {
			return hs, nil
		}
		if err := hs.Add(h.Tag(), h); err != nil {
			return nil, err
		}
	}
}

// WriteHistograms writes hs into dir/histograms.hlog atomically (temp
// file and rename).
func WriteHistograms(dir string, hs *Histograms) error {
	path := filepath.Join(dir, results.HistogramsFile)
	f, err := os.CreateTemp(dir, "."+results.HistogramsFile+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", results.HistogramsFile, err)
	}
	defer os.Remove(f.Name())
	if _, err := hs.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", results.HistogramsFile, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", results.HistogramsFile, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", results.HistogramsFile, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", results.HistogramsFile, err)
	}
	return nil
}
