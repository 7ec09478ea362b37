package report

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/results"
)

func drain(dec results.Decoder) ([]results.Record, error) {
	var out []results.Record
	for {
		var r results.Record
		err := dec(&r)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
}

// TestLeanDecoder checks the lean decoder agrees with the results package's
// decoder on the fields the report reads, and shares its rules for blank
// lines, torn last lines and malformed lines.
func TestLeanDecoder(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, `{"target":"t%d","phase":"p","code":%d,"latency":%d,"timestamp":"2026-01-02T03:04:05.%03dZ","error":"%s","cold":%t,"url":"http://x","headers":{"A":["b"]}}`+"\n",
			i%3, 200+i%2*300, 1000+i, i, strings.Repeat("e", i%2), i%50 == 0)
		if i%100 == 0 {
			b.WriteString("\n")
		}
	}
	good := b.String()
	tests := []struct {
		name    string
		input   string
		wantN   int
		wantErr string
	}{
		{"clean", good, 300, ""},
		{"torn last line", good + `{"target":"t0","pha`, 300, ""},
		{"no trailing newline", strings.TrimSuffix(good, "\n"), 300, ""},
		{"malformed line", good[:200] + "\n{oops}\n" + good[200:], -1, "decode record on line"},
		{"empty", "", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lean, lerr := drain(newLeanDecoder(strings.NewReader(tc.input)))
			full, ferr := drain(results.NewJSONDecoder(strings.NewReader(tc.input)))
			if tc.wantErr != "" {
				if lerr == nil || !strings.Contains(lerr.Error(), tc.wantErr) || ferr == nil {
					t.Fatalf("errors: lean %v, full %v; want %q", lerr, ferr, tc.wantErr)
				}
				return
			}
			if lerr != nil || ferr != nil {
				t.Fatalf("errors: lean %v, full %v", lerr, ferr)
			}
			if len(lean) != tc.wantN || len(full) != tc.wantN {
				t.Fatalf("decoded %d (lean) and %d (full) records, want %d", len(lean), len(full), tc.wantN)
			}
			for i := range lean {
				l, f := lean[i], full[i]
				if l.Target != f.Target || l.Phase != f.Phase || l.Code != f.Code || l.Latency != f.Latency ||
					!l.Timestamp.Equal(f.Timestamp) || l.Error != f.Error || l.Cold != f.Cold {
					t.Fatalf("record %d: lean %+v, full %+v", i, l, f)
				}
			}
		})
	}
}
