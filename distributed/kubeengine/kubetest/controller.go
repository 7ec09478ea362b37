// Package kubetest emulates the part of a Kubernetes cluster the worker
// Job needs, for tests: on client-go's fake clientset it plays the Job
// controller and the kubelet of an Indexed Job, running each index's
// container command as a real process on this machine with
// JOB_COMPLETION_INDEX set and the environment of its envFrom ConfigMaps
// and Secrets, and reporting each process's end as its pod's phase and
// container termination. Each index is started once (restartPolicy
// Never); deleting the Job kills its processes.
package kubetest

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
)

// Controller runs the Indexed Jobs created on a fake clientset.
type Controller struct {
	c *fake.Clientset
	o Options

	mu      sync.Mutex
	started map[string]bool
	procs   map[string]map[int]*exec.Cmd
	wg      sync.WaitGroup
	cancel  context.CancelFunc
	done    chan struct{}
}

// Options configures Start.
type Options struct {
	// Executable replaces a container command's first element "benchctl"
	// (the test binary acting as benchctl).
	Executable string
	// Env is added to every process's environment (after the pod's).
	Env []string
	// Log receives the processes' output (nil: discarded).
	Log io.Writer
}

// Start watches c for Jobs and runs them until Stop.
func Start(c *fake.Clientset, o Options) (*Controller, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	ctx, cancel := context.WithCancel(context.Background())
	w, err := c.BatchV1().Jobs(metav1.NamespaceAll).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("kubetest: watch jobs: %w", err)
	}
	ctl := &Controller{c: c, o: o, started: map[string]bool{}, procs: map[string]map[int]*exec.Cmd{}, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(ctl.done)
		defer w.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.ResultChan():
				if !ok {
					return
				}
				job, isJob := ev.Object.(*batchv1.Job)
				if !isJob {
					continue
				}
				switch ev.Type {
				case watch.Added, watch.Modified:
					if job.Spec.Suspend == nil || !*job.Spec.Suspend {
						ctl.run(ctx, job)
					}
				case watch.Deleted:
					ctl.kill(job.Namespace+"/"+job.Name, syscall.SIGTERM)
				}
			}
		}
	}()
	return ctl, nil
}

// Kill sends sig to the process of index k of the Job ns/name (false:
// none is running).
func (ctl *Controller) Kill(ns, name string, k int, sig syscall.Signal) bool {
	ctl.mu.Lock()
	defer ctl.mu.Unlock()
	cmd := ctl.procs[ns+"/"+name][k]
	if cmd == nil || cmd.Process == nil {
		return false
	}
	return cmd.Process.Signal(sig) == nil
}

func (ctl *Controller) kill(key string, sig syscall.Signal) {
	ctl.mu.Lock()
	defer ctl.mu.Unlock()
	for _, cmd := range ctl.procs[key] {
		if cmd.Process != nil {
			_ = cmd.Process.Signal(sig)
		}
	}
}

// Stop kills every process still running and waits for them.
func (ctl *Controller) Stop() {
	ctl.cancel()
	<-ctl.done
	ctl.mu.Lock()
	for _, m := range ctl.procs {
		for _, cmd := range m {
			if cmd.Process != nil {
				_ = cmd.Process.Kill()
			}
		}
	}
	ctl.mu.Unlock()
	ctl.wg.Wait()
}

// run starts every index of a Job once.
func (ctl *Controller) run(ctx context.Context, job *batchv1.Job) {
	key := job.Namespace + "/" + job.Name
	ctl.mu.Lock()
	if ctl.started[key] {
		ctl.mu.Unlock()
		return
	}
	ctl.started[key] = true
	ctl.procs[key] = map[int]*exec.Cmd{}
	ctl.mu.Unlock()
	n := 1
	if job.Spec.Completions != nil {
		n = int(*job.Spec.Completions)
	}
	for k := range n {
		ctl.startIndex(ctx, job, k)
	}
}

func (ctl *Controller) startIndex(ctx context.Context, job *batchv1.Job, k int) {
	pods := ctl.c.CoreV1().Pods(job.Namespace)
	tpl := job.Spec.Template
	labels := map[string]string{batchv1.JobNameLabel: job.Name, batchv1.JobCompletionIndexAnnotation: strconv.Itoa(k)}
	for l, v := range tpl.Labels {
		labels[l] = v
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d-emu", job.Name, k), Namespace: job.Namespace,
		Labels: labels, Annotations: map[string]string{batchv1.JobCompletionIndexAnnotation: strconv.Itoa(k)}},
		Spec: tpl.Spec, Status: corev1.PodStatus{Phase: corev1.PodPending}}
	pod, err := pods.Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		fmt.Fprintf(ctl.o.Log, "kubetest: create pod: %v\n", err)
		return
	}
	c := tpl.Spec.Containers[0]
	env, err := ctl.env(ctx, job.Namespace, c)
	argv := append(append([]string(nil), c.Command...), c.Args...)
	if err == nil && len(argv) == 0 {
		err = fmt.Errorf("container %s has no command", c.Name)
	}
	if err != nil {
		ctl.finish(pod, -1, "CreateContainerConfigError", err.Error())
		return
	}
	if argv[0] == "benchctl" && ctl.o.Executable != "" {
		argv[0] = ctl.o.Executable
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(append(env, "JOB_COMPLETION_INDEX="+strconv.Itoa(k), "HOSTNAME="+pod.Name), ctl.o.Env...)
	cmd.Stdout, cmd.Stderr = ctl.o.Log, ctl.o.Log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		ctl.finish(pod, 128, "StartError", err.Error())
		return
	}
	ctl.mu.Lock()
	ctl.procs[job.Namespace+"/"+job.Name][k] = cmd
	ctl.mu.Unlock()
	pod.Status.Phase = corev1.PodRunning
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: c.Name, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}}}
	if p, err := pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err == nil {
		pod = p
	}
	ctl.wg.Add(1)
	go func() {
		defer ctl.wg.Done()
		err := cmd.Wait()
		code, reason := 0, "Completed"
		if err != nil {
			code, reason = 1, "Error"
			if ee, ok := err.(*exec.ExitError); ok {
				if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					code = 128 + int(ws.Signal())
				} else {
					code = ee.ExitCode()
				}
			}
		}
		ctl.finish(pod, code, reason, "")
	}()
}

// finish sets the pod's terminal phase and container termination.
func (ctl *Controller) finish(pod *corev1.Pod, code int, reason, msg string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pods := ctl.c.CoreV1().Pods(pod.Namespace)
	cur, err := pods.Get(ctx, pod.Name, metav1.GetOptions{})
	if err != nil {
		return // deleted
	}
	name := pod.Spec.Containers[0].Name
	if code < 0 {
		cur.Status.Phase = corev1.PodPending
		cur.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: name, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}}}
	} else {
		cur.Status.Phase = corev1.PodSucceeded
		if code != 0 {
			cur.Status.Phase = corev1.PodFailed
		}
		cur.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: name, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: int32(code), Reason: reason, Message: msg, FinishedAt: metav1.Now()}}}}
	}
	_, _ = pods.UpdateStatus(ctx, cur, metav1.UpdateOptions{})
}

// env is a container's environment: the host's PATH and HOME, its envFrom
// ConfigMaps and Secrets, then its env.
func (ctl *Controller) env(ctx context.Context, ns string, c corev1.Container) ([]string, error) {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "GOCOVERDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			cm, err := ctl.c.CoreV1().ConfigMaps(ns).Get(ctx, ef.ConfigMapRef.Name, metav1.GetOptions{})
			if err != nil {
				return nil, fmt.Errorf("configmap %q: %w", ef.ConfigMapRef.Name, err)
			}
			for k, v := range cm.Data {
				env = append(env, ef.Prefix+k+"="+v)
			}
		case ef.SecretRef != nil:
			s, err := ctl.c.CoreV1().Secrets(ns).Get(ctx, ef.SecretRef.Name, metav1.GetOptions{})
			if err != nil {
				return nil, fmt.Errorf("secret %q: %w", ef.SecretRef.Name, err)
			}
			for k, v := range s.Data {
				env = append(env, ef.Prefix+k+"="+string(v))
			}
			for k, v := range s.StringData {
				env = append(env, ef.Prefix+k+"="+v)
			}
		}
	}
	for _, e := range c.Env {
		env = append(env, e.Name+"="+e.Value)
	}
	return env, nil
}
