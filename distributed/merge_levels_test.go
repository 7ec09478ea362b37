package distributed

import (
	"cmp"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestMergeLevelsBounded merges 50 overlapping sorted chunks with at most
// 4 files open at a time: every record comes out once, in (intended,
// target, seq) order, and each level leaves at most 4 files per group.
func TestMergeLevelsBounded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var paths []string
	total := 0
	for c := range 50 {
		type rec struct {
			off time.Duration
			seq uint64
		}
		var recs []rec
		for i := range 40 {
			// Chunks overlap: a late completion lands in a later chunk.
			recs = append(recs, rec{off: time.Duration(c*30+rng.IntN(200)) * time.Millisecond, seq: uint64(c*40 + i)})
		}
		slices.SortFunc(recs, func(a, b rec) int { return cmp.Or(cmp.Compare(a.off, b.off), cmp.Compare(a.seq, b.seq)) })
		p := filepath.Join(dir, fmt.Sprintf("c%02d.jsonl.gz", c))
		f, _ := os.Create(p)
		zw := gzip.NewWriter(f)
		for _, r := range recs {
			fmt.Fprintf(zw, `{"target":"t","phase":"p","seq":%d,"intended":%q}`+"\n", r.seq, t0.Add(r.off).Format(time.RFC3339Nano))
		}
		zw.Close()
		f.Close()
		paths = append(paths, p)
		total += len(recs)
	}
	merged, err := mergeLevels(context.Background(), paths, dir, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(merged) > 4 {
		t.Fatalf("%d files after the levels, want at most 4", len(merged))
	}
	var last mergeKey
	seen := map[uint64]bool{}
	n := 0
	err = mergeFiles(context.Background(), merged, func(s *chunkStream) error {
		var k mergeKey
		if err := json.Unmarshal(s.line, &k); err != nil {
			return err
		}
		if n > 0 && (k.Intended.Before(last.Intended) || (k.Intended.Equal(last.Intended) && k.Seq < last.Seq)) {
			return fmt.Errorf("record %d (seq %d at %v) before its predecessor (seq %d at %v)", n, k.Seq, k.Intended, last.Seq, last.Intended)
		}
		if seen[k.Seq] {
			return fmt.Errorf("seq %d twice", k.Seq)
		}
		seen[k.Seq], last = true, k
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != total {
		t.Errorf("%d records merged, want %d", n, total)
	}

}
