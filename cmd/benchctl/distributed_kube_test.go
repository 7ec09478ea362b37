package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"fmt"
	"sync"

	"github.com/benchctl/benchctl/distributed"
	"github.com/benchctl/benchctl/distributed/kubeengine/kubetest"
	"github.com/benchctl/benchctl/distributed/s3local"
	"github.com/benchctl/benchctl/results"
)

// kubeStore starts a loopback S3-compatible store with the bucket the
// kubernetes scenarios use.
func kubeStore(t *testing.T) string {
	t.Helper()
	srv, err := s3local.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	st, err := distributed.OpenStore(context.Background(), distributed.StoreRef{URL: "s3://bench/runs", Endpoint: srv.Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureBucket(context.Background()); err != nil {
		t.Fatal(err)
	}
	return srv.Endpoint()
}

// kubeEmulator plays the cluster: client-go's fake clientset behind a
// loopback API server, with a controller running each index as this test
// binary's `benchctl worker`.
func kubeEmulator(t *testing.T) (*kubetest.Cluster, *syncWriter) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	log := &syncWriter{w: &bytes.Buffer{}}
	c, err := kubetest.NewCluster(t.TempDir(), kubetest.Options{Executable: exe, Env: []string{asBinaryEnv + "=1"}, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, log
}

// TestDistributedKubernetesEmulated runs the acceptance scenario on engine
// kubernetes against the emulated cluster: 3 indexed worker processes with
// JOB_COMPLETION_INDEX, the store from the Job's ConfigMap, merged like any
// run (the same (seq, intended) set as one generator), and every object
// the engine created deleted afterwards.
func TestDistributedKubernetesEmulated(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	endpoint := kubeStore(t)
	c, log := kubeEmulator(t)
	single, dist := t.TempDir(), t.TempDir()
	if code, stdout, stderr := distRun(t, single, srv.URL, "2s", "", nil); code != ExitOK {
		t.Fatalf("single run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	block := "distributed: {engine: kubernetes, workers: 3, store: 's3://bench/runs', store_endpoint: '" + endpoint +
		"', lead_time: 500ms, kubernetes: {image: 'benchctl:test', namespace: load, kubeconfig: '" + c.Kubeconfig + "'}}\n"
	code, stdout, stderr := distRun(t, dist, srv.URL, "2s", block, nil)
	if code != ExitOK {
		t.Fatalf("distributed run: exit %d\n%s\n%s\nworkers:\n%s", code, stdout, stderr, log)
	}
	one, three := filepath.Join(single, "run"), filepath.Join(dist, "run")
	sumOne, sumThree := readSummary(t, one), readSummary(t, three)
	recOne, recThree := readDistRecords(t, one), readDistRecords(t, three)
	if len(recOne) == 0 || len(recOne) != len(recThree) {
		t.Fatalf("records: single %d, kubernetes %d", len(recOne), len(recThree))
	}
	a, b := offsets(recOne, sumOne.Run), offsets(recThree, sumThree.Run)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("(seq, intended offset) differ at %d: single %+v, kubernetes %+v", i, a[i], b[i])
		}
	}
	if d := sumThree.Run.Distributed; d == nil || d.Engine != "kubernetes" || d.Workers != 3 {
		t.Errorf("run.json distributed = %+v", d)
	}
	for _, w := range sumThree.Workers {
		if w.Status == results.WorkerFailed || w.Requests == 0 {
			t.Errorf("worker %+v", w)
		}
	}
	if !strings.Contains(strings.Join(sumThree.Notes, "\n"), "load generators: not priced") {
		t.Errorf("no note on the generators' cost: %q", sumThree.Notes)
	}
	for _, res := range []string{"jobs", "configmaps", "pods"} {
		if n, err := c.Count(context.Background(), res, "load"); err != nil || n != 0 {
			t.Errorf("%d %s left after the run (%v)", n, res, err)
		}
	}
}

// TestDistributedKubernetesKilledPod kills one worker process (its pod
// fails with exit 137): the run exits 1 with that index a gap.
func TestDistributedKubernetesKilledPod(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	endpoint := kubeStore(t)
	c, log := kubeEmulator(t)
	dir := t.TempDir()
	block := "distributed: {engine: kubernetes, workers: 3, store: 's3://bench/runs', store_endpoint: '" + endpoint +
		"', lead_time: 500ms, kubernetes: {image: 'benchctl:test', kubeconfig: '" + c.Kubeconfig + "'}}\n"
	code, stdout, stderr := distRun(t, dir, srv.URL, "3s", block, func(o *RunOptions) {
		o.OnGo = func(t0 time.Time) {
			go func() {
				time.Sleep(time.Until(t0.Add(1800 * time.Millisecond))) // into the main phase
				c.KillIndex(context.Background(), "default", 1, syscall.SIGKILL)
			}()
		}
	})
	if code != ExitRunFailed {
		t.Fatalf("exit %d, want %d\n%s\n%s\n%s", code, ExitRunFailed, stdout, stderr, log)
	}
	sum := readSummary(t, filepath.Join(dir, "run"))
	for _, w := range sum.Workers {
		failed := w.Status == results.WorkerFailed
		if failed != (w.Index == 1) {
			t.Errorf("worker %d status %s: want only worker 1 failed", w.Index, w.Status)
		}
		if w.Index == 1 && (w.Missing == 0 || len(w.Gaps) == 0 || !strings.Contains(w.Error, "exited 137")) {
			t.Errorf("killed worker: %+v", w)
		}
	}
}

// TestDistributedKubernetesEmitManifest: --emit-manifest writes the Job
// instead of submitting it; applying it (here: creating the objects on the
// emulated cluster) runs the workers, and the run merges from the store.
func TestDistributedKubernetesEmitManifest(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	endpoint := kubeStore(t)
	c, log := kubeEmulator(t)
	dir := t.TempDir()
	manifest := filepath.Join(dir, "job.yaml")
	applied := make(chan error, 1)
	go func() { applied <- kubectlApply(c, manifest, 60*time.Second) }()
	block := "distributed: {engine: kubernetes, workers: 2, store: 's3://bench/runs', store_endpoint: '" + endpoint +
		"', lead_time: 500ms, kubernetes: {image: 'benchctl:test'}}\n"
	code, stdout, stderr := distRun(t, dir, srv.URL, "1s", block, func(o *RunOptions) { o.EmitManifest = manifest })
	if err := <-applied; err != nil {
		t.Fatal(err)
	}
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s\n%s", code, stdout, stderr, log)
	}
	sum := readSummary(t, filepath.Join(dir, "run"))
	if len(sum.Workers) != 2 || sum.Workers[0].Status != results.WorkerOK || sum.Workers[1].Status != results.WorkerOK {
		t.Errorf("workers %+v", sum.Workers)
	}
	if !strings.Contains(stderr, "kubectl apply -f "+manifest) {
		t.Errorf("stderr does not say how to apply the manifest:\n%s", stderr)
	}
}

// syncWriter serialises writes from several processes' output copiers.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// kubectlApply waits for the manifest file and applies it to the
// emulated cluster.
func kubectlApply(c *kubetest.Cluster, path string, bound time.Duration) error {
	deadline := time.Now().Add(bound)
	for {
		raw, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(raw), "ttlSecondsAfterFinished") {
			return c.Apply(context.Background(), raw)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no manifest at %s after %v", path, bound)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
