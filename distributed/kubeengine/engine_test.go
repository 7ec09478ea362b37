package kubeengine

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"

	"github.com/benchctl/benchctl/distributed"
	"github.com/benchctl/benchctl/distributed/kubeengine/kubetest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func testOptions(n int) Options {
	return Options{RunID: "20261127T143005Z-smoke-a1b2c3", Workers: n, Image: "registry.example/benchctl:1.2",
		Store:     distributed.StoreRef{URL: "s3://bucket/runs/20261127T143005Z-smoke-a1b2c3", Region: "eu-west-1"},
		Namespace: "load", Deadline: 10 * time.Minute}
}

// pod is what the Job controller would create for index k.
func pod(job *batchv1.Job, k int) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: job.Name + "-" + strconv.Itoa(k) + "-x", Namespace: job.Namespace,
		Labels:      job.Spec.Template.Labels,
		Annotations: map[string]string{batchv1.JobCompletionIndexAnnotation: strconv.Itoa(k)}},
		Spec:   job.Spec.Template.Spec,
		Status: corev1.PodStatus{Phase: corev1.PodRunning}}
}

func waitExits(t *testing.T, exits <-chan distributed.Exit, n int) map[int]distributed.Exit {
	t.Helper()
	got := map[int]distributed.Exit{}
	deadline := time.After(20 * time.Second)
	for len(got) < n {
		select {
		case e := <-exits:
			if _, dup := got[e.Index]; dup {
				t.Fatalf("index %d reported twice", e.Index)
			}
			got[e.Index] = e
		case <-deadline:
			t.Fatalf("%d of %d exits reported: %+v", len(got), n, got)
		}
	}
	return got
}

func launch(t *testing.T, c *fake.Clientset, o Options) (*Engine, chan distributed.Exit, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	srv := kubetest.NewServer(c)
	t.Cleanup(srv.Close)
	kc, err := NewClient(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(kc, o, &log)
	if err != nil {
		t.Fatal(err)
	}
	exits := make(chan distributed.Exit, o.Workers)
	var invs []distributed.Invocation
	for k := range o.Workers {
		invs = append(invs, distributed.Invocation{Index: k})
	}
	if err := e.Launch(context.Background(), invs, exits); err != nil {
		t.Fatal(err)
	}
	return e, exits, &log
}

// TestJobSpec checks the submitted Job against the contract: Indexed,
// completions = parallelism = N, each index once (restartPolicy Never,
// per-index backoff limit 0), the store in a ConfigMap, credentials in a
// Secret the engine created, resumed after the server accepted it.
func TestJobSpec(t *testing.T) {
	t.Parallel()
	c := fake.NewClientset()
	o := testOptions(4)
	o.Credentials = map[string]string{"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"}
	o.CredentialsSecret = "team-creds"
	e, _, _ := launch(t, c, o)
	defer e.Close(context.Background())
	ctx := context.Background()
	job, err := c.BatchV1().Jobs("load").Get(ctx, e.JobName(), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := job.Spec
	checks := []struct {
		name string
		ok   bool
	}{
		{"completionMode Indexed", s.CompletionMode != nil && *s.CompletionMode == batchv1.IndexedCompletion},
		{"completions 4", s.Completions != nil && *s.Completions == 4},
		{"parallelism 4", s.Parallelism != nil && *s.Parallelism == 4},
		{"backoffLimitPerIndex 0", s.BackoffLimitPerIndex != nil && *s.BackoffLimitPerIndex == 0},
		{"restartPolicy Never", s.Template.Spec.RestartPolicy == corev1.RestartPolicyNever},
		{"podReplacementPolicy Failed", s.PodReplacementPolicy != nil && *s.PodReplacementPolicy == batchv1.Failed},
		{"resumed", s.Suspend != nil && !*s.Suspend},
		{"activeDeadlineSeconds 600", s.ActiveDeadlineSeconds != nil && *s.ActiveDeadlineSeconds == 600},
		{"image", s.Template.Spec.Containers[0].Image == o.Image},
		{"command benchctl worker", strings.Join(s.Template.Spec.Containers[0].Command, " ") == "benchctl worker"},
		{"run label on pods", s.Template.Labels[LabelRun] == e.JobName()},
		{"guaranteed QoS", s.Template.Spec.Containers[0].Resources.Limits.Cpu().Equal(*s.Template.Spec.Containers[0].Resources.Requests.Cpu())},
		{"name fits a pod hostname", len(e.JobName()) <= 52 && dns1123.MatchString(e.JobName())},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("job spec: want %s; got %+v", c.name, s)
		}
	}
	cm, err := c.CoreV1().ConfigMaps("load").Get(ctx, e.JobName()+"-plan", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data[distributed.EnvStore] != o.Store.URL || cm.Data[distributed.EnvStoreRegion] != "eu-west-1" {
		t.Errorf("configmap data %v", cm.Data)
	}
	sec, err := c.CoreV1().Secrets("load").Get(ctx, e.JobName()+"-store", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sec.StringData["AWS_ACCESS_KEY_ID"] != "AKID" {
		t.Errorf("secret %v", sec.StringData)
	}
	var refs []string
	for _, ef := range s.Template.Spec.Containers[0].EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			refs = append(refs, "cm:"+ef.ConfigMapRef.Name)
		case ef.SecretRef != nil:
			refs = append(refs, "secret:"+ef.SecretRef.Name)
		}
	}
	if want := "cm:" + cm.Name + " secret:" + sec.Name + " secret:team-creds"; strings.Join(refs, " ") != want {
		t.Errorf("envFrom %v, want %s", refs, want)
	}
}

// TestFailedIndexes plays the Job controller: index 0 succeeds, 1 exits 1,
// 2 is OOMKilled, 3 cannot pull its image, 4 is evicted. Each is reported
// once, the failed ones with their reason, and nothing is retried (the
// engine creates no pods itself).
func TestFailedIndexes(t *testing.T) {
	t.Parallel()
	c := fake.NewClientset()
	e, exits, _ := launch(t, c, testOptions(5))
	defer e.Close(context.Background())
	ctx := context.Background()
	job, _ := c.BatchV1().Jobs("load").Get(ctx, e.JobName(), metav1.GetOptions{})
	pods := c.CoreV1().Pods("load")
	for k := range 5 {
		if _, err := pods.Create(ctx, pod(job, k), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	set := func(k int, f func(*corev1.PodStatus)) {
		p, err := pods.Get(ctx, job.Name+"-"+strconv.Itoa(k)+"-x", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		f(&p.Status)
		if _, err := pods.UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	term := func(code int32, reason, msg string) []corev1.ContainerStatus {
		return []corev1.ContainerStatus{{Name: ContainerName, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason, Message: msg}}}}
	}
	set(0, func(s *corev1.PodStatus) {
		s.Phase, s.ContainerStatuses = corev1.PodSucceeded, term(0, "Completed", "")
	})
	set(1, func(s *corev1.PodStatus) {
		s.Phase, s.ContainerStatuses = corev1.PodFailed, term(1, "Error", "worker 1: schedule mismatch")
	})
	set(2, func(s *corev1.PodStatus) { s.Phase, s.ContainerStatuses = corev1.PodFailed, term(137, "OOMKilled", "") })
	set(3, func(s *corev1.PodStatus) {
		s.Phase = corev1.PodPending
		s.ContainerStatuses = []corev1.ContainerStatus{{Name: ContainerName, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull", Message: "not found"}}}}
	})
	set(4, func(s *corev1.PodStatus) {
		s.Phase, s.Reason, s.Message = corev1.PodFailed, "Evicted", "The node was low on resource: memory."
	})
	got := waitExits(t, exits, 5)
	want := map[int]string{0: "", 1: "exited 1 (Error): worker 1: schedule mismatch", 2: "exited 137 (OOMKilled)", 3: "ErrImagePull", 4: "Evicted"}
	for k, frag := range want {
		err := got[k].Err
		switch {
		case frag == "" && err != nil:
			t.Errorf("index %d: %v, want success", k, err)
		case frag != "" && (err == nil || !strings.Contains(err.Error(), frag)):
			t.Errorf("index %d: %v, want an error with %q", k, err, frag)
		}
	}
	var creates int
	for _, a := range c.Actions() {
		if a.GetVerb() == "create" && a.GetResource().Resource == "pods" {
			creates++
		}
	}
	if creates != 5 {
		t.Errorf("%d pod creations, want the 5 the test made (the engine never retries)", creates)
	}
}

// TestJobDeletedEndsTheRest: indexes without a finished pod are reported
// failed when the Job disappears.
func TestJobDeletedEndsTheRest(t *testing.T) {
	t.Parallel()
	c := fake.NewClientset()
	e, exits, _ := launch(t, c, testOptions(2))
	defer e.Close(context.Background())
	if err := c.BatchV1().Jobs("load").Delete(context.Background(), e.JobName(), metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for k, ex := range waitExits(t, exits, 2) {
		if ex.Err == nil || !strings.Contains(ex.Err.Error(), "deleted") {
			t.Errorf("index %d: %v", k, ex.Err)
		}
	}
}

// TestNoPerIndexLimitFallsBack: a server that drops backoffLimitPerIndex
// gets backoffLimit 0 before the Job is resumed, and the log says why.
func TestNoPerIndexLimitFallsBack(t *testing.T) {
	t.Parallel()
	c := fake.NewClientset()
	c.PrependReactor("create", "jobs", func(a k8stesting.Action) (bool, runtime.Object, error) {
		j := a.(k8stesting.CreateAction).GetObject().(*batchv1.Job)
		j.Spec.BackoffLimitPerIndex = nil
		return false, nil, nil
	})
	e, _, log := launch(t, c, testOptions(3))
	defer e.Close(context.Background())
	job, err := c.BatchV1().Jobs("load").Get(context.Background(), e.JobName(), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if job.Spec.BackoffLimit == nil || *job.Spec.BackoffLimit != 0 || *job.Spec.Suspend {
		t.Errorf("backoffLimit %v suspend %v, want 0 and resumed", job.Spec.BackoffLimit, job.Spec.Suspend)
	}
	if !strings.Contains(log.String(), "backoffLimit 0") {
		t.Errorf("log: %s", log)
	}
}

// TestCloseDeletesWhatItCreated: the Job, its pods, the ConfigMap and the
// created Secret go; a Secret the user named and another run's objects
// stay.
func TestCloseDeletesWhatItCreated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	theirs := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "team-creds", Namespace: "load"}}
	other := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "benchctl-other-plan", Namespace: "load", Labels: map[string]string{LabelRun: "benchctl-other"}}}
	c := fake.NewClientset(theirs, other)
	o := testOptions(2)
	o.CredentialsSecret = "team-creds"
	o.Credentials = map[string]string{"AWS_ACCESS_KEY_ID": "x"}
	e, _, _ := launch(t, c, o)
	job, _ := c.BatchV1().Jobs("load").Get(ctx, e.JobName(), metav1.GetOptions{})
	for k := range 2 {
		if _, err := c.CoreV1().Pods("load").Create(ctx, pod(job, k), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	gone := func(err error, what string) {
		if !apierrors.IsNotFound(err) {
			t.Errorf("%s still there after Close (err %v)", what, err)
		}
	}
	_, err := c.BatchV1().Jobs("load").Get(ctx, e.JobName(), metav1.GetOptions{})
	gone(err, "job")
	_, err = c.CoreV1().ConfigMaps("load").Get(ctx, e.JobName()+"-plan", metav1.GetOptions{})
	gone(err, "configmap")
	_, err = c.CoreV1().Secrets("load").Get(ctx, e.JobName()+"-store", metav1.GetOptions{})
	gone(err, "created secret")
	if l, _ := c.CoreV1().Pods("load").List(ctx, metav1.ListOptions{}); len(l.Items) != 0 {
		t.Errorf("%d pods left", len(l.Items))
	}
	if _, err := c.CoreV1().Secrets("load").Get(ctx, "team-creds", metav1.GetOptions{}); err != nil {
		t.Errorf("the user's secret was touched: %v", err)
	}
	if _, err := c.CoreV1().ConfigMaps("load").Get(ctx, "benchctl-other-plan", metav1.GetOptions{}); err != nil {
		t.Errorf("another run's configmap was touched: %v", err)
	}
}

// TestWriteManifest compares the emitted YAML with a golden file and
// reads it back as API objects: the same Job the engine submits (not
// suspended), no credentials in it.
func TestWriteManifest(t *testing.T) {
	t.Parallel()
	o := testOptions(8)
	o.CredentialsSecret = "team-creds"
	o.Credentials = map[string]string{"AWS_SECRET_ACCESS_KEY": "must-not-appear"}
	var b bytes.Buffer
	if err := WriteManifest(&b, o); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "manifest.golden.yaml")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("manifest differs from %s (go test -update):\n%s", golden, b.String())
	}
	if strings.Contains(b.String(), "must-not-appear") {
		t.Error("credentials written into the manifest")
	}
	docs := strings.Split(b.String(), "\n---\n")
	if len(docs) != 3 {
		t.Fatalf("%d documents, want comments, ConfigMap, Job", len(docs))
	}
	var cm corev1.ConfigMap
	var job batchv1.Job
	if err := yaml.UnmarshalStrict([]byte(docs[1]), &cm); err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict([]byte(docs[2]), &job); err != nil {
		t.Fatal(err)
	}
	if cm.Kind != "ConfigMap" || job.Kind != "Job" || job.APIVersion != "batch/v1" {
		t.Errorf("kinds %s %s/%s", cm.Kind, job.APIVersion, job.Kind)
	}
	if *job.Spec.Completions != 8 || *job.Spec.Parallelism != 8 || *job.Spec.BackoffLimitPerIndex != 0 || job.Spec.Suspend != nil {
		t.Errorf("job spec %+v", job.Spec)
	}
}

// TestOptionsChecked: bad options are refused before anything is sent.
func TestOptionsChecked(t *testing.T) {
	t.Parallel()
	for name, mut := range map[string]func(*Options){
		"no image":      func(o *Options) { o.Image = "" },
		"bad namespace": func(o *Options) { o.Namespace = "Load_Test" },
		"bad cpu":       func(o *Options) { o.CPU = "lots" },
		"zero memory":   func(o *Options) { o.Memory = "0" },
		"bad pull":      func(o *Options) { o.ImagePullPolicy = "Sometimes" },
		"no workers":    func(o *Options) { o.Workers = 0 },
	} {
		o := testOptions(2)
		mut(&o)
		if _, err := New(nil, o, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
