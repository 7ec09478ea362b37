package kubetest

import (
	"context"
	"fmt"
	"strings"
	"syscall"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/yaml"
)

// Cluster is an emulated cluster for tests: a fake clientset holding its
// state, the Controller running its Jobs as processes, and the Server in
// front of it, with a kubeconfig file that points at the server.
type Cluster struct {
	Clientset  *fake.Clientset
	Controller *Controller
	Server     *Server
	// Kubeconfig is the path of a kubeconfig for the server.
	Kubeconfig string
}

// NewCluster starts an emulated cluster; its kubeconfig goes into dir.
func NewCluster(dir string, o Options) (*Cluster, error) {
	c := fake.NewClientset()
	ctl, err := Start(c, o)
	if err != nil {
		return nil, err
	}
	srv := NewServer(c)
	kc, err := srv.Kubeconfig(dir)
	if err != nil {
		srv.Close()
		ctl.Stop()
		return nil, err
	}
	return &Cluster{Clientset: c, Controller: ctl, Server: srv, Kubeconfig: kc}, nil
}

// Close stops the server and every process.
func (c *Cluster) Close() {
	c.Server.Close()
	c.Controller.Stop()
}

// Count is the number of objects of a resource (jobs, configmaps,
// secrets, pods) in namespace ns.
func (c *Cluster) Count(ctx context.Context, resource, ns string) (int, error) {
	var n int
	var err error
	switch resource {
	case "jobs":
		var l *batchv1.JobList
		l, err = c.Clientset.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
		if err == nil {
			n = len(l.Items)
		}
	case "configmaps":
		var l *corev1.ConfigMapList
		l, err = c.Clientset.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
		if err == nil {
			n = len(l.Items)
		}
	case "secrets":
		var l *corev1.SecretList
		l, err = c.Clientset.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
		if err == nil {
			n = len(l.Items)
		}
	case "pods":
		var l *corev1.PodList
		l, err = c.Clientset.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err == nil {
			n = len(l.Items)
		}
	default:
		err = fmt.Errorf("kubetest: resource %q", resource)
	}
	return n, err
}

// KillIndex sends sig to the process of index k of every Job in ns and
// returns how many it signalled.
func (c *Cluster) KillIndex(ctx context.Context, ns string, k int, sig syscall.Signal) int {
	jobs, err := c.Clientset.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0
	}
	n := 0
	for _, j := range jobs.Items {
		if c.Controller.Kill(j.Namespace, j.Name, k, sig) {
			n++
		}
	}
	return n
}

// Apply creates the ConfigMaps, Secrets and Jobs of a YAML manifest (its
// documents separated by ---), as kubectl apply -f does on a cluster that
// has none of them.
func (c *Cluster) Apply(ctx context.Context, manifest []byte) error {
	for i, doc := range strings.Split(string(manifest), "\n---\n") {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			return fmt.Errorf("kubetest: document %d: %w", i, err)
		}
		var err error
		switch tm.Kind {
		case "":
			continue // comments only
		case "ConfigMap":
			var o corev1.ConfigMap
			if err = yaml.UnmarshalStrict([]byte(doc), &o); err == nil {
				_, err = c.Clientset.CoreV1().ConfigMaps(o.Namespace).Create(ctx, &o, metav1.CreateOptions{})
			}
		case "Secret":
			var o corev1.Secret
			if err = yaml.UnmarshalStrict([]byte(doc), &o); err == nil {
				_, err = c.Clientset.CoreV1().Secrets(o.Namespace).Create(ctx, &o, metav1.CreateOptions{})
			}
		case "Job":
			var o batchv1.Job
			if err = yaml.UnmarshalStrict([]byte(doc), &o); err == nil {
				_, err = c.Clientset.BatchV1().Jobs(o.Namespace).Create(ctx, &o, metav1.CreateOptions{})
			}
		default:
			err = fmt.Errorf("kind %s is not emulated", tm.Kind)
		}
		if err != nil {
			return fmt.Errorf("kubetest: document %d (%s): %w", i, tm.Kind, err)
		}
	}
	return nil
}
