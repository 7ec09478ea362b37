package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/summary"
)

// ErrUnknownFormat is returned for a format name not in the registry; the
// error text lists the allowed names.
var ErrUnknownFormat = errors.New("unknown report format")

// DefaultFormats returns the formats written when none are asked for.
func DefaultFormats() []string { return []string{"html", "md", "json"} }

// Option configures Render, Load and Compare.
type Option func(*config) error

type config struct {
	maxScatter int
	maxSamples int
	// pricing: price with the book chosen by the summary pipeline's rule
	// (prices is the --prices flag); reprice: re-price the records too.
	pricing bool
	prices  string
	reprice bool
	open    summary.Opener
}

// WithMaxScatterPoints bounds the latency-over-time points per target
// (default DefaultMaxScatterPoints).
func WithMaxScatterPoints(n int) Option {
	return func(c *config) error {
		if n < 2 {
			return fmt.Errorf("max scatter points %d: must be at least 2", n)
		}
		c.maxScatter = n
		return nil
	}
}

// WithMaxSamples bounds the latency samples per target kept for Compare
// (default DefaultMaxSamples).
func WithMaxSamples(n int) Option {
	return func(c *config) error {
		if n < 2 {
			return fmt.Errorf("max samples %d: must be at least 2", n)
		}
		c.maxSamples = n
		return nil
	}
}

// WithPricing prices the report with the price book chosen by the one
// rule (summary.Book: prices, the --prices flag, when not empty; else the
// scenario's pricing.prices; else the embedded book): the break-even
// chart draws every configuration's and fleet's cost curve, and with
// reprice the run's records are priced again (e.g. after a price-book
// update; a failure keeps the saved costs and says so). Without it the
// report shows the figures saved with the run. A run killed before it
// wrote summary.json is priced either way, as benchctl summary would.
func WithPricing(prices string, reprice bool) Option {
	return func(c *config) error { c.pricing, c.prices, c.reprice = true, prices, reprice; return nil }
}

// WithOpener opens results.jsonl through open (a test seam; os.Open by
// default).
func WithOpener(open summary.Opener) Option {
	return func(c *config) error { c.open = open; return nil }
}

func newConfig(opts []Option) (*config, error) {
	c := &config{maxScatter: DefaultMaxScatterPoints, maxSamples: DefaultMaxSamples}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(c); err != nil {
			return nil, fmt.Errorf("report option: %w", err)
		}
	}
	return c, nil
}

// Artifact is one file a format writes.
type Artifact struct {
	// Name is the file name relative to the output directory.
	Name  string
	Write func(w io.Writer) error
}

// Format is one output format of the registry.
type Format struct {
	Name        string
	Description string
	// Artifacts lists the files the format writes for a model.
	Artifacts func(m *Model) []Artifact
}

// Formats returns the format registry in a stable order.
func Formats() []Format {
	return []Format{
		{Name: "html", Description: "report.html: one self-contained page, charts inline", Artifacts: func(m *Model) []Artifact {
			return []Artifact{{Name: "report.html", Write: func(w io.Writer) error { return WriteHTML(w, m) }}}
		}},
		{Name: "md", Description: "report.md: verdict and tables, charts as PNG files beside it", Artifacts: func(m *Model) []Artifact {
			return append([]Artifact{{Name: "report.md", Write: func(w io.Writer) error { return WriteMarkdown(w, m) }}}, chartArtifacts(m, "png")...)
		}},
		{Name: "json", Description: "summary.json: the machine summary (results/summary.schema.json)", Artifacts: func(m *Model) []Artifact {
			return []Artifact{{Name: SummaryFile, Write: func(w io.Writer) error { return WriteJSON(w, m.Summary) }}}
		}},
		{Name: "png", Description: "charts/*.png at 192 DPI", Artifacts: func(m *Model) []Artifact { return chartArtifacts(m, "png") }},
		{Name: "svg", Description: "charts/*.svg", Artifacts: func(m *Model) []Artifact { return chartArtifacts(m, "svg") }},
	}
}

// ChartDir is the folder, inside the output directory, that holds chart files.
const ChartDir = "charts"

func chartArtifacts(m *Model, ext string) []Artifact {
	var out []Artifact
	for _, c := range m.Charts {
		c := c
		a := Artifact{Name: ChartDir + "/" + c.Name + "." + ext, Write: c.WritePNG}
		if ext == "svg" {
			a.Write = c.WriteSVG
		}
		out = append(out, a)
	}
	return out
}

// FormatNames lists the registered format names.
func FormatNames() []string {
	var n []string
	for _, f := range Formats() {
		n = append(n, f.Name)
	}
	return n
}

// ParseFormats splits comma-separated names ("html,md" or repeated) and
// checks each against the registry; "all" means every format. "markdown" is
// accepted for "md".
func ParseFormats(list []string) ([]string, error) {
	return parseFormatList(list, FormatNames(), DefaultFormats())
}

// ParseCompareFormats is ParseFormats for WriteComparison's formats
// (CompareFormatNames); the default is text.
func ParseCompareFormats(list []string) ([]string, error) {
	return parseFormatList(list, CompareFormatNames(), []string{"text"})
}

// parseFormatList splits comma-separated names, maps "markdown" to "md"
// and "all" to every known name, drops duplicates and checks each name
// against known; def is the answer when list names none.
func parseFormatList(list, known, def []string) ([]string, error) {
	var out []string
	for _, item := range list {
		for _, n := range strings.Split(item, ",") {
			n = strings.ToLower(strings.TrimSpace(n))
			if n == "" {
				continue
			}
			if n == "markdown" {
				n = "md"
			}
			names := []string{n}
			if n == "all" {
				names = known
			} else if !slices.Contains(known, n) {
				return nil, fmt.Errorf("format %q isn't one of [%s]: %w", n, strings.Join(known, ", "), ErrUnknownFormat)
			}
			for _, n := range names {
				if !slices.Contains(out, n) {
					out = append(out, n)
				}
			}
		}
	}
	if len(out) == 0 {
		return def, nil
	}
	return out, nil
}

// Load reads a run directory into a Model: summary.json, run.json,
// scenario.yaml and the summary pipeline's one pass over results.jsonl.
func Load(ctx context.Context, runDir string, opts ...Option) (*Model, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	m, err := load(ctx, runDir, cfg)
	if err != nil {
		return nil, err
	}
	m.buildCharts()
	return m, nil
}

// Render renders the run in runDir into outDir (runDir when empty) in the
// given formats (DefaultFormats when empty) and returns the files written.
// Each file is written to a temporary name and renamed, so a reader never
// sees a half-written report. An unknown format name gives an error wrapping
// ErrUnknownFormat that lists the registered names.
//
// Render stops when ctx is cancelled; to write the report of a run the user
// interrupted, pass a context that the interrupt does not cancel (for
// instance context.WithoutCancel(ctx), or one with a timeout).
func Render(ctx context.Context, runDir, outDir string, formats []string, opts ...Option) ([]string, error) {
	names, err := ParseFormats(formats)
	if err != nil {
		return nil, err
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	m, err := load(ctx, runDir, cfg)
	if err != nil {
		return nil, err
	}
	m.buildCharts()
	if outDir == "" {
		outDir = runDir
	}
	return WriteFormats(ctx, m, outDir, names)
}

// WriteFormats writes the named formats of m into outDir and returns the
// files written (sorted, without duplicates). The files are rendered
// concurrently, one per core (charts are drawn independently from the
// model, which rendering does not change); the first failure, in the
// order of names, is returned with the files that were written.
func WriteFormats(ctx context.Context, m *Model, outDir string, names []string) ([]string, error) {
	byName := map[string]Format{}
	for _, f := range Formats() {
		byName[f.Name] = f
	}
	type job struct {
		format, path string
		write        func(io.Writer) error
	}
	done := map[string]bool{}
	var jobs []job
	for _, n := range names {
		f, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("format %q isn't one of [%s]: %w", n, strings.Join(FormatNames(), ", "), ErrUnknownFormat)
		}
		for _, a := range f.Artifacts(m) {
			if !done[a.Name] {
				done[a.Name] = true
				jobs = append(jobs, job{format: n, path: filepath.Join(outDir, filepath.FromSlash(a.Name)), write: a.Write})
			}
		}
	}
	errs := make([]error, len(jobs))
	wrote := make([]bool, len(jobs))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, j := range jobs {
		sem <- struct{}{}
		if err := ctx.Err(); err != nil {
			<-sem
			errs[i] = fmt.Errorf("render %s: %w", filepath.Base(j.path), err)
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := writeFileAtomic(j.path, j.write); err != nil {
				errs[i] = fmt.Errorf("render %s format: %w", j.format, err)
				return
			}
			wrote[i] = true
		})
	}
	wg.Wait()
	var written []string
	var first error
	for i, j := range jobs {
		if wrote[i] {
			written = append(written, j.path)
		}
		if first == nil {
			first = errs[i]
		}
	}
	sort.Strings(written)
	return written, first
}

func writeFileAtomic(path string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// WriteJSON writes the summary as summary.json (indented, stable key order
// as declared in results.Summary).
func WriteJSON(w io.Writer, s *results.Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	return nil
}
