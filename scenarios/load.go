package scenarios

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
)

// shippedFS holds the shipped scenarios (every scenarios/*.yaml) and the
// files they refer to (scenarios/data/...), so that `benchctl run
// quickstart` works from any directory without a checkout.
//
//go:embed *.yaml data
var shippedFS embed.FS

// embeddedPrefix marks paths returned by Resolve that live in the binary.
const embeddedPrefix = "embedded:"

// ParseOption changes how Parse validates.
type ParseOption func(*parseConfig)

type parseConfig struct {
	skipFiles bool
	ctx       context.Context
}

// WithContext makes parsing stop with ctx's error once ctx is done (a
// Ctrl-C while validate reads a large payload corpus or runs the body
// templates on every item).
func WithContext(ctx context.Context) ParseOption {
	return func(c *parseConfig) { c.ctx = ctx }
}

// WithoutFileChecks skips the checks that files named in the scenario
// (payload corpus, traces, price book) exist and are well formed. Use it to
// re-read the scenario.yaml copied into a run directory, where relative
// paths no longer resolve; everything else is validated as usual.
func WithoutFileChecks() ParseOption {
	return func(c *parseConfig) { c.skipFiles = true }
}

// Parse decodes and validates a version-1 scenario. file names the input in
// error positions, and relative paths in the scenario (payload corpus,
// traces, price book) resolve against file's folder, falling back to the
// shipped files (so data/reviews.txt always exists). A problem with the
// content is returned as a *ValidationError listing every problem found.
func Parse(file string, data []byte, opts ...ParseOption) (*Scenario, error) {
	return parse(file, data, nil, opts...)
}

func parse(file string, data []byte, fsys fs.FS, opts ...ParseOption) (*Scenario, error) {
	cfg := parseConfig{ctx: context.Background()}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Scenario{Path: file, Raw: append([]byte(nil), data...), fsys: fsys}
	d := newDecoder(file)
	root := d.parseDocument(data)
	if root != nil {
		d.decode(root, reflect.ValueOf(s).Elem(), "")
		v := &validator{d: d, s: s, skipFiles: cfg.skipFiles, ctx: cfg.ctx}
		v.validateScenario()
		if err := cfg.ctx.Err(); err != nil {
			return nil, fmt.Errorf("validate %s: %w", file, err)
		}
		if len(d.errs) == 0 {
			v.applyDefaults()
		}
		s.pos = d.pos
	}
	if len(d.errs) > 0 {
		sortErrors(d.errs)
		return nil, &ValidationError{Errors: d.errs}
	}
	return s, nil
}

// Load reads, decodes and validates the scenario file at path.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	return Parse(path, data)
}

// Open loads nameOrPath: the file if it exists, else the shipped scenario
// of that name ("quickstart" or "quickstart.yaml" → the embedded
// quickstart.yaml). Otherwise the error wraps ErrNotFound and lists the
// shipped names.
func Open(nameOrPath string, opts ...ParseOption) (*Scenario, error) {
	if st, err := os.Stat(nameOrPath); err == nil && !st.IsDir() {
		data, err := os.ReadFile(nameOrPath)
		if err != nil {
			return nil, fmt.Errorf("read scenario: %w", err)
		}
		return Parse(nameOrPath, data, opts...)
	}
	name := strings.TrimSuffix(strings.TrimSuffix(nameOrPath, ".yaml"), ".yml")
	if name != "" && !strings.ContainsAny(name, `/\`) {
		for _, n := range Shipped() {
			if n == name {
				data, err := shippedFS.ReadFile(n + ".yaml")
				if err != nil {
					return nil, fmt.Errorf("read shipped scenario %s: %w", n, err)
				}
				return parse(n+".yaml", data, shippedFS, opts...)
			}
		}
	}
	return nil, fmt.Errorf("open scenario %q: no such file and no shipped scenario of that name (shipped: %s): %w",
		nameOrPath, strings.Join(Shipped(), ", "), ErrNotFound)
}

// Shipped returns the names of the embedded scenarios, sorted.
func Shipped() []string {
	entries, err := fs.ReadDir(shippedFS, ".")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") {
			names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
		}
	}
	sort.Strings(names)
	return names
}

// Embedded reports whether s is a shipped scenario read from the binary.
func (s *Scenario) Embedded() bool { return s.fsys != nil }

// dir is the folder relative paths resolve against.
func (s *Scenario) dir() string {
	if s.Path == "" {
		return "."
	}
	return filepath.Dir(s.Path)
}

// Resolve returns where rel, a path written in the scenario, is read from:
// an absolute path is returned as is; for a scenario on disk it is rel
// joined to the scenario's folder (or, when no such file exists but a
// shipped file does, "embedded:" + rel); for a shipped scenario it is
// "embedded:" + rel. Read through ReadFile or OpenFile, which understand
// both; Resolve's result is for messages and for files that must be on disk.
func (s *Scenario) Resolve(rel string) string {
	if filepath.IsAbs(rel) {
		return rel
	}
	if s.fsys == nil {
		p := filepath.Join(s.dir(), rel)
		if _, err := os.Stat(p); err == nil || !shippedHas(rel) {
			return p
		}
	}
	return embeddedPrefix + path.Clean(filepath.ToSlash(rel))
}

func shippedHas(rel string) bool {
	name := path.Clean(filepath.ToSlash(rel))
	if !fs.ValidPath(name) {
		return false
	}
	_, err := fs.Stat(shippedFS, name)
	return err == nil
}

// OpenFile opens rel (see Resolve) for reading.
func (s *Scenario) OpenFile(rel string) (io.ReadCloser, error) {
	p := s.Resolve(rel)
	if name, ok := strings.CutPrefix(p, embeddedPrefix); ok {
		fsys := s.fsys
		if fsys == nil {
			fsys = shippedFS
		}
		if !fs.ValidPath(name) {
			return nil, fmt.Errorf("open %s: %w", rel, fs.ErrNotExist)
		}
		f, err := fsys.Open(name)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", rel, err)
		}
		return f, nil
	}
	// O_NONBLOCK: opening a named pipe must not wait for a writer; the
	// file is then refused below. It changes nothing for regular files.
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", rel, err)
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = &fs.PathError{Op: "open", Path: rel, Err: fmt.Errorf("%w (it is %s)", ErrNotRegular, describeMode(st.Mode()))}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// ctxReader reads at most 1 MiB at a time and fails with ctx's error once
// ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p[:min(len(p), 1<<20)])
}

// ErrNotRegular is returned for a file named in a scenario that is not a
// regular file (a named pipe, a device, a directory): reading it could
// block forever or never end.
var ErrNotRegular = errors.New("not a regular file")

// MaxFileBytes bounds a file named in a scenario (payload corpus, trace,
// price book): it is read whole into memory.
const MaxFileBytes = 256 << 20

func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// ReadFile reads rel (see Resolve) whole; it must be a regular file of at
// most MaxFileBytes.
func (s *Scenario) ReadFile(rel string) ([]byte, error) {
	return s.readFile(context.Background(), rel)
}

// readFile is ReadFile stopping with ctx's error between 1 MiB chunks.
func (s *Scenario) readFile(ctx context.Context, rel string) ([]byte, error) {
	f, err := s.OpenFile(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(ctxReader{ctx, f}, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", rel, err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("read %s: larger than %d MiB (the most a scenario's files may hold)", rel, MaxFileBytes>>20)
	}
	return data, nil
}

// functionsFile is the shape of a functions.yaml file.
type functionsFile struct {
	Functions []Function `yaml:"functions"`
}

// ParseFunctions decodes and validates a functions.yaml file: a top-level
// functions list, each entry as in a scenario's functions block, with the
// same strict decoding, *ValidationError and defaults.
func ParseFunctions(file string, data []byte) ([]Function, error) {
	d := newDecoder(file)
	var ff functionsFile
	if root := d.parseDocument(data); root != nil {
		d.decode(root, reflect.ValueOf(&ff).Elem(), "")
		v := &validator{d: d}
		if !v.has("functions") || len(ff.Functions) == 0 {
			v.errf("functions", "at least one function is required")
		}
		v.validateFunctions("functions", ff.Functions)
	}
	if len(d.errs) > 0 {
		sortErrors(d.errs)
		return nil, &ValidationError{Errors: d.errs}
	}
	applyFunctionDefaults(ff.Functions)
	return ff.Functions, nil
}

// LoadFunctions reads and validates the functions.yaml file at path.
func LoadFunctions(path string) ([]Function, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read functions file: %w", err)
	}
	return ParseFunctions(path, data)
}
