package distributed

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/benchctl/benchctl/distributed/s3local"
)

// newTestStore starts a loopback store and opens a folder in it.
func newTestStore(t testing.TB) *Store {
	t.Helper()
	srv, err := s3local.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	st, err := OpenStore(context.Background(), StoreRef{URL: "s3://bench/runs", Endpoint: srv.Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureBucket(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestStoreAgainstLoopbackS3 drives the real S3 client against the
// in-process store: put/get/list, conditional puts (the ready barrier's
// duplicate detection), a multipart upload from a file, the Date clock.
func TestStoreAgainstLoopbackS3(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newTestStore(t).Sub("run-1")
	if err := st.Put(ctx, "plan.json", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	got, err := st.Get(ctx, "plan.json")
	if err != nil || string(got) != `{"a":1}` {
		t.Fatalf("get = %q, %v", got, err)
	}
	if _, err := st.Get(ctx, "missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing key: %v, want ErrNotFound", err)
	}
	created, err := st.PutIfAbsent(ctx, "ready/0", []byte("first"))
	if err != nil || !created {
		t.Fatalf("first conditional put: created=%v, %v", created, err)
	}
	created, err = st.PutIfAbsent(ctx, "ready/0", []byte("second"))
	if err != nil || created {
		t.Fatalf("second conditional put: created=%v, %v; want a 412", created, err)
	}
	if b, _ := st.Get(ctx, "ready/0"); string(b) != "first" {
		t.Errorf("ready/0 = %q after the refused put, want the first writer's", b)
	}

	// Multipart: 12 MiB in 5 MiB parts, byte-exact.
	st.multipartAt, st.partSize = 1<<20, 5<<20
	data := make([]byte, 12<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	local := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(local, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := st.PutFile(ctx, "workers/0/w0/records-00000.jsonl.gz", local); err != nil {
		t.Fatal(err)
	}
	back, err := st.Get(ctx, "workers/0/w0/records-00000.jsonl.gz")
	if err != nil || !bytes.Equal(back, data) {
		t.Fatalf("multipart round trip: %d bytes back (%v), want %d identical", len(back), err, len(data))
	}

	keys, err := st.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"plan.json", "ready/0", "workers/0/w0/records-00000.jsonl.gz"}
	slices.Sort(keys)
	if !slices.Equal(keys, want) {
		t.Errorf("list = %v, want %v", keys, want)
	}
	if keys, _ := st.List(ctx, "ready/"); !slices.Equal(keys, []string{"ready/0"}) {
		t.Errorf("list ready/ = %v", keys)
	}

	server, localAt, rtt, err := st.ServerTime(ctx, "plan.json")
	if err != nil {
		t.Fatal(err)
	}
	if d := localAt.Sub(server); d < -2*time.Second || d > 2*time.Second || rtt <= 0 {
		t.Errorf("store clock %v vs local %v (rtt %v): same host, want within its 1 s resolution", server, localAt, rtt)
	}
}
