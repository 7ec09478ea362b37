package report

import (
	"errors"
	"fmt"
	"io"
	"reflect"
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

// TestParallelDecoderMatchesLean checks the parallel decoder yields the
// lean decoder's records in the same order, across batch boundaries, with
// blank lines, a torn last line and a malformed line.
func TestParallelDecoderMatchesLean(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := 0; i < 3*decodeBatch+17; i++ {
		fmt.Fprintf(&b, `{"target":"t%d","phase":"p","code":200,"latency":%d,"timestamp":"2026-01-02T03:04:05Z"}`+"\n", i%3, 1000+i)
		if i%1000 == 0 {
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
		{"clean", good, 3*decodeBatch + 17, ""},
		{"torn last line", good + `{"target":"t0","pha`, 3*decodeBatch + 17, ""},
		{"no trailing newline", strings.TrimSuffix(good, "\n"), 3*decodeBatch + 17, ""},
		{"malformed line", good[:200] + "{oops}\n" + good[200:], -1, "decode record on line"},
		{"empty", "", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lean, lerr := drain(newLeanDecoder(strings.NewReader(tc.input)))
			pdec, stop := newParallelDecoder(strings.NewReader(tc.input))
			defer stop()
			par, perr := drain(pdec)
			if tc.wantErr != "" {
				if perr == nil || !strings.Contains(perr.Error(), tc.wantErr) || lerr == nil {
					t.Fatalf("errors: parallel %v, lean %v; want %q", perr, lerr, tc.wantErr)
				}
				return
			}
			if perr != nil || lerr != nil {
				t.Fatalf("errors: parallel %v, lean %v", perr, lerr)
			}
			if len(par) != tc.wantN {
				t.Fatalf("parallel decoded %d records, want %d", len(par), tc.wantN)
			}
			if !reflect.DeepEqual(par, lean) {
				t.Fatal("parallel and lean decoders disagree")
			}
		})
	}
}

// TestParallelDecoderStopEarly stops after a few records; nothing blocks.
func TestParallelDecoderStopEarly(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := 0; i < 10*decodeBatch; i++ {
		fmt.Fprintf(&b, `{"target":"t","latency":%d}`+"\n", i)
	}
	dec, stop := newParallelDecoder(strings.NewReader(b.String()))
	var r results.Record
	for i := 0; i < 10; i++ {
		if err := dec(&r); err != nil {
			t.Fatal(err)
		}
	}
	stop()
	stop() // idempotent
}
