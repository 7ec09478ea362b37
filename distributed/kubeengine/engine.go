// Package kubeengine runs distributed workers as a Kubernetes Indexed Job
// of `benchctl worker`: completionMode Indexed, completions = parallelism
// = N, restartPolicy Never and a per-index backoff limit of 0, so every
// index runs exactly once and a failed one is a gap, never replayed load.
// Each pod takes its worker index from JOB_COMPLETION_INDEX and the run's
// store from a ConfigMap; pods are not gang-scheduled, so the protocol's
// ready barrier starts them together. The engine submits the Job with
// client-go (kubeconfig or in-cluster), watches its pods to report each
// index's end, and deletes what it created; WriteManifest prints the same
// objects for kubectl or GitOps instead.
package kubeengine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"

	"github.com/benchctl/benchctl/distributed"
)

// relistInterval is how often the engine lists the run's pods and Job on
// top of its watch (a watch can miss events across reconnects).
const relistInterval = 2 * time.Second

// Engine submits and watches the run's Indexed Job. It implements
// distributed.Engine (one window: Kubernetes bounds no pod's life).
type Engine struct {
	o    Options
	c    *Client
	objs objects
	log  io.Writer

	mu       sync.Mutex
	created  []func(context.Context) error
	reported map[int]bool
	exits    chan<- distributed.Exit
	stop     context.CancelFunc
	done     chan struct{}
}

var _ distributed.Engine = (*Engine)(nil)

// New checks the options and prepares the run's objects; nothing is sent
// to the cluster before Launch. log receives progress lines (nil:
// discarded).
func New(c *Client, o Options, log io.Writer) (*Engine, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if log == nil {
		log = io.Discard
	}
	return &Engine{o: o, c: c, objs: o.build(), log: log, reported: map[int]bool{}}, nil
}

// JobName is the run's Job.
func (e *Engine) JobName() string { return e.objs.job.Name }

// Namespace is where the Job runs.
func (e *Engine) Namespace() string { return e.o.Namespace }

// Launch creates the ConfigMap (and the credentials Secret), then the Job
// suspended; once the API server has accepted its spec (a server without
// backoffLimitPerIndex drops the field: then backoffLimit 0 stands in,
// and the engine says that one failure ends every worker) it resumes the
// Job and watches its pods. invs must be window 0 of every index.
func (e *Engine) Launch(ctx context.Context, invs []distributed.Invocation, exits chan<- distributed.Exit) error {
	if len(invs) != e.o.Workers {
		return fmt.Errorf("kubernetes engine: %d invocations, want one per worker (%d)", len(invs), e.o.Workers)
	}
	for _, inv := range invs {
		if inv.Window != 0 {
			return fmt.Errorf("kubernetes engine: %s: the engine runs one window", inv)
		}
	}
	e.mu.Lock()
	if e.exits != nil {
		e.mu.Unlock()
		return errors.New("kubernetes engine: already launched")
	}
	e.exits = exits
	e.mu.Unlock()
	ns, c := e.o.Namespace, e.c
	if err := c.createConfigMap(ctx, e.objs.config); err != nil {
		return fmt.Errorf("kubernetes engine: create configmap %s/%s: %w", ns, e.objs.config.Name, err)
	}
	e.track(func(ctx context.Context) error {
		return ignoreNotFound(c.deleteCore(ctx, "configmaps", ns, e.objs.config.Name))
	})
	if s := e.objs.secret; s != nil {
		if err := c.createSecret(ctx, s); err != nil {
			return fmt.Errorf("kubernetes engine: create secret %s/%s: %w", ns, s.Name, err)
		}
		e.track(func(ctx context.Context) error { return ignoreNotFound(c.deleteCore(ctx, "secrets", ns, s.Name)) })
	}
	job := e.objs.job.DeepCopy()
	job.Spec.Suspend = ptr.To(true)
	got, err := c.createJob(ctx, job)
	if err != nil {
		return fmt.Errorf("kubernetes engine: create job %s/%s: %w", ns, job.Name, err)
	}
	e.track(func(ctx context.Context) error {
		if err := ignoreNotFound(c.deleteJob(ctx, ns, job.Name)); err != nil {
			return err
		}
		// The garbage collector removes the pods in time; deleting them
		// here makes sure no worker outlives the run.
		list, err := c.listPods(ctx, ns, metav1.ListOptions{LabelSelector: e.selector()})
		if err != nil {
			return err
		}
		var errs []error
		for _, p := range list.Items {
			errs = append(errs, ignoreNotFound(c.deleteCore(ctx, "pods", ns, p.Name)))
		}
		return errors.Join(errs...)
	})
	if got.Spec.BackoffLimitPerIndex == nil {
		fmt.Fprintf(e.log, "benchctl: warning: the cluster dropped backoffLimitPerIndex (Kubernetes before 1.29, or the feature off): using backoffLimit 0, so one failed worker makes the Job end every other worker\n")
		got.Spec.BackoffLimit = ptr.To(int32(0))
	}
	got.Spec.Suspend = ptr.To(false)
	if _, err := c.updateJob(ctx, got); err != nil {
		return fmt.Errorf("kubernetes engine: start job %s/%s: %w", ns, job.Name, err)
	}
	fmt.Fprintf(e.log, "benchctl: kubernetes job %s/%s: %d indexed pods of %s\n", ns, job.Name, e.o.Workers, e.o.Image)
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.stop, e.done = cancel, make(chan struct{})
	go func() {
		defer close(e.done)
		e.watch(wctx)
	}()
	return nil
}

func (e *Engine) track(undo func(context.Context) error) {
	e.mu.Lock()
	e.created = append(e.created, undo)
	e.mu.Unlock()
}

func (e *Engine) selector() string { return LabelRun + "=" + e.objs.job.Name }

// watch reports each index's end from its pods (watched, and listed every
// relistInterval) until every index has reported or ctx ends.
func (e *Engine) watch(ctx context.Context) {
	ns := e.o.Namespace
	opts := metav1.ListOptions{LabelSelector: e.selector()}
	noted := map[string]bool{}
	for ctx.Err() == nil && !e.allReported() {
		list, err := e.c.listPods(ctx, ns, opts)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			fmt.Fprintf(e.log, "benchctl: kubernetes engine: list pods: %v\n", err)
		} else {
			for i := range list.Items {
				e.observe(&list.Items[i], false, noted)
			}
		}
		e.checkJob(ctx)
		wopts := opts
		if list != nil {
			wopts.ResourceVersion = list.ResourceVersion
		}
		w, err := e.c.watchPods(ctx, ns, wopts)
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(relistInterval):
			}
			continue
		}
		e.drain(ctx, w, noted)
		w.Stop()
	}
}

// drain handles a watch's events until it closes, ctx ends, every index
// reported, or relistInterval passes.
func (e *Engine) drain(ctx context.Context, w watch.Interface, noted map[string]bool) {
	relist := time.NewTimer(relistInterval)
	defer relist.Stop()
	for !e.allReported() {
		select {
		case <-ctx.Done():
			return
		case <-relist.C:
			return
		case ev, ok := <-w.ResultChan():
			if !ok {
				return
			}
			if pod, isPod := ev.Object.(*corev1.Pod); isPod {
				e.observe(pod, ev.Type == watch.Deleted, noted)
			}
		}
	}
}

// observe reports a pod's index once it ended (or can never start).
func (e *Engine) observe(p *corev1.Pod, deleted bool, noted map[string]bool) {
	k := indexOf(p)
	if k < 0 || k >= e.o.Workers {
		return
	}
	done, err := podEnd(p)
	if !done && deleted {
		done, err = true, fmt.Errorf("pod %s was deleted before it finished", p.Name)
	}
	if !done {
		if msg := unschedulable(p); msg != "" && !noted[p.Name] {
			noted[p.Name] = true
			fmt.Fprintf(e.log, "benchctl: worker %d: pod %s is not scheduled yet: %s\n", k, p.Name, msg)
		}
		return
	}
	e.report(k, err)
}

func (e *Engine) report(k int, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.reported[k] {
		return
	}
	e.reported[k] = true
	e.exits <- distributed.Exit{Invocation: distributed.Invocation{Index: k}, Err: err}
}

func (e *Engine) allReported() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.reported) >= e.o.Workers
}

// checkJob ends the indexes without a finished pod when the Job failed
// (deadline, too many failed indexes) or was deleted.
func (e *Engine) checkJob(ctx context.Context) {
	job, err := e.c.getJob(ctx, e.o.Namespace, e.objs.job.Name)
	var why error
	switch {
	case apierrors.IsNotFound(err):
		why = fmt.Errorf("job %s/%s was deleted", e.o.Namespace, e.objs.job.Name)
	case err != nil:
		return
	default:
		for _, c := range job.Status.Conditions {
			if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
				why = fmt.Errorf("job %s failed: %s: %s", job.Name, c.Reason, c.Message)
			}
		}
	}
	if why == nil {
		return
	}
	for k := range e.o.Workers {
		e.report(k, why)
	}
}

// podEnd says whether a pod has ended (or can never run) and why it
// failed: its phase, the worker container's termination (exit code,
// OOMKilled), an eviction, or an image or configuration that cannot start.
func podEnd(p *corev1.Pod) (bool, error) {
	switch p.Status.Phase {
	case corev1.PodSucceeded:
		return true, nil
	case corev1.PodFailed:
		msg := []string{"pod " + p.Name + " failed"}
		if p.Status.Reason != "" {
			msg = append(msg, p.Status.Reason)
		}
		if p.Status.Message != "" {
			msg = append(msg, p.Status.Message)
		}
		for _, cs := range p.Status.ContainerStatuses {
			if t := cs.State.Terminated; t != nil && cs.Name == ContainerName {
				s := fmt.Sprintf("container %s exited %d", cs.Name, t.ExitCode)
				if t.Reason != "" {
					s += " (" + t.Reason + ")"
				}
				if m := strings.TrimSpace(t.Message); m != "" {
					s += ": " + lastLine(m)
				}
				msg = append(msg, s)
			}
		}
		return true, errors.New(strings.Join(msg, ": "))
	}
	for _, cs := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
		if w := cs.State.Waiting; w != nil {
			switch w.Reason {
			case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError":
				return true, fmt.Errorf("pod %s cannot start: %s: %s", p.Name, w.Reason, w.Message)
			}
		}
	}
	return false, nil
}

// unschedulable is the scheduler's message for a pod it could not place.
func unschedulable(p *corev1.Pod) string {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return c.Message
		}
	}
	return ""
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// Close stops watching and deletes what Launch created (the Job with its
// pods, the ConfigMap, the Secret), newest first; a Secret named by
// CredentialsSecret and the namespace are never touched.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	stop, done, undo := e.stop, e.done, e.created
	e.created = nil
	e.mu.Unlock()
	if stop != nil {
		stop()
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
	var errs []error
	for i := len(undo) - 1; i >= 0; i-- {
		if err := undo[i](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("kubernetes engine: cleanup: %w", err)
	}
	return nil
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
