package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// corpusDir holds the malformed-scenario corpus: one problem per file,
// named on its first line ("# want: FIELD: TEXT"); "# setup: fifo PATH"
// asks for a named pipe at PATH (git cannot hold one).
const corpusDir = "../../scenarios/testdata/malformed"

// TestValidateMalformedCorpus runs `benchctl validate` on every file of the
// corpus: each must exit 2 within 2 s, without a panic, and print the
// problem it was written for as FILE:LINE:COL: FIELD: ... TEXT. The corpus
// holds the 31 inputs issue 16 found accepted by validate (then failing or
// hanging the run; named issue-*) and the rest of a hostile user's probe.
func TestValidateMalformedCorpus(t *testing.T) {
	t.Parallel()
	work := copyCorpus(t)
	files, err := filepath.Glob(filepath.Join(work, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 150 {
		t.Fatalf("the corpus has %d files, want at least 150", len(files))
	}
	issue := 0
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "issue-") {
			issue++
		}
	}
	if issue < 31 {
		t.Errorf("%d issue-* files, want the 31 cases of issue 16", issue)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			first, rest, _ := strings.Cut(string(raw), "\n")
			want, ok := strings.CutPrefix(first, "# want: ")
			if !ok {
				t.Fatalf("first line %q is not \"# want: FIELD: TEXT\"", first)
			}
			field, text, _ := strings.Cut(want, ": ")
			if setup, ok := strings.CutPrefix(strings.SplitN(rest, "\n", 2)[0], "# setup: fifo "); ok {
				if runtime.GOOS == "windows" {
					t.Skip("named pipes need a Unix")
				}
				if err := syscall.Mkfifo(filepath.Join(work, setup), 0o600); err != nil && !os.IsExist(err) {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			begin := time.Now()
			var code ExitCode
			var stderr string
			done := make(chan struct{})
			go func() {
				defer close(done)
				code, _, stderr = runTestMain(ctx, "validate", f)
			}()
			select {
			case <-done:
			case <-time.After(2 * time.Second):
				t.Fatalf("validate did not return within 2 s")
			}
			if el := time.Since(begin); el > 2*time.Second {
				t.Errorf("validate took %v, want < 2 s", el)
			}
			if code != ExitBadInput {
				t.Fatalf("exit %d, want 2\nstderr:\n%s", code, stderr)
			}
			if strings.Contains(stderr, "panic") {
				t.Fatalf("stderr mentions a panic:\n%s", stderr)
			}
			positioned := regexp.MustCompile(`^` + regexp.QuoteMeta(f) + `:[1-9]\d*:[1-9]\d*: `)
			found := false
			for _, line := range strings.Split(stderr, "\n") {
				m := positioned.FindStringSubmatch(line)
				if m == nil {
					continue
				}
				msg := line[len(m[0]):]
				if field != "-" && !strings.HasPrefix(msg, field+": ") {
					continue
				}
				if strings.Contains(msg, text) {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("no line %s:LINE:COL: %s: …%s…\nstderr:\n%s", f, field, text, stderr)
			}
		})
	}
}

// copyCorpus copies the corpus (files, folders, symlinks) into a temporary
// folder, where the tests can add named pipes.
func copyCorpus(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(corpusDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(corpusDir, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, to)
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(to, b, 0o644)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}
