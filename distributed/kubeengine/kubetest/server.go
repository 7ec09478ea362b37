package kubetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

// Server serves the Kubernetes API subset the engine uses (configmaps,
// secrets, pods under /api/v1; jobs under /apis/batch/v1: create, get,
// update, delete, list and watch with a label selector) over HTTP on
// loopback, answering from a fake clientset, so that the engine's real
// client-go REST client is what the tests run, and the test sees (and
// changes) the cluster's state through the fake clientset, its reactors
// and its recorded actions.
type Server struct {
	*httptest.Server
	c *fake.Clientset
}

// NewServer serves c.
func NewServer(c *fake.Clientset) *Server {
	s := &Server{c: c}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Kubeconfig writes a kubeconfig file for the server into dir and
// returns its path.
func (s *Server) Kubeconfig(dir string) (string, error) {
	path := filepath.Join(dir, "kubeconfig")
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: emu, cluster: {server: %q}}]
users: [{name: emu, user: {token: test}}]
contexts: [{name: emu, context: {cluster: emu, user: emu}}]
current-context: emu
`, s.URL)
	return path, os.WriteFile(path, []byte(cfg), 0o600)
}

// kinds the server knows, by API prefix and resource.
type kind struct {
	apiVersion, kind string
	newObj           func() runtime.Object
}

var kinds = map[string]kind{
	"/api/v1/configmaps":  {"v1", "ConfigMap", func() runtime.Object { return &corev1.ConfigMap{} }},
	"/api/v1/secrets":     {"v1", "Secret", func() runtime.Object { return &corev1.Secret{} }},
	"/api/v1/pods":        {"v1", "Pod", func() runtime.Object { return &corev1.Pod{} }},
	"/apis/batch/v1/jobs": {"batch/v1", "Job", func() runtime.Object { return &batchv1.Job{} }},
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	// /api/v1/namespaces/NS/RES[/NAME] or /apis/batch/v1/namespaces/NS/RES[/NAME]
	prefix, rest, ok := strings.Cut(r.URL.Path, "/namespaces/")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) < 2 || len(parts) > 3 {
		writeErr(w, apierrors.NewNotFound(corev1.Resource(r.URL.Path), ""))
		return
	}
	ns, res := parts[0], parts[1]
	name := ""
	if len(parts) == 3 {
		name = parts[2]
	}
	k, known := kinds[prefix+"/"+res]
	if !known {
		writeErr(w, apierrors.NewNotFound(corev1.Resource(res), name))
		return
	}
	ctx := r.Context()
	var out runtime.Object
	var err error
	switch {
	case r.Method == http.MethodPost && name == "":
		obj := k.newObj()
		if err = decode(r.Body, obj); err == nil {
			out, err = s.create(ctx, res, ns, obj)
		}
	case r.Method == http.MethodPut && name != "":
		obj := k.newObj()
		if err = decode(r.Body, obj); err == nil {
			out, err = s.update(ctx, res, ns, obj)
		}
	case r.Method == http.MethodGet && name != "":
		out, err = s.get(ctx, res, ns, name)
	case r.Method == http.MethodDelete && name != "":
		var opts metav1.DeleteOptions
		_ = decode(r.Body, &opts)
		err = s.delete(ctx, res, ns, name, opts)
		out = &metav1.Status{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Status"}, Status: metav1.StatusSuccess}
	case r.Method == http.MethodGet && r.URL.Query().Get("watch") == "true":
		s.watch(w, r, res, ns, k)
		return
	case r.Method == http.MethodGet:
		out, err = s.list(ctx, res, ns, r.URL.Query().Get("labelSelector"))
	default:
		err = apierrors.NewMethodNotSupported(corev1.Resource(res), r.Method)
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	setKind(out, k)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func decode(r io.Reader, obj any) error {
	if err := json.NewDecoder(r).Decode(obj); err != nil && !errors.Is(err, io.EOF) {
		return apierrors.NewBadRequest(err.Error())
	}
	return nil
}

func setKind(obj runtime.Object, k kind) {
	if l, ok := obj.(*corev1.PodList); ok {
		l.APIVersion, l.Kind = "v1", "PodList"
		for i := range l.Items {
			setTypeMeta(&l.Items[i], k)
		}
		return
	}
	setTypeMeta(obj, k)
}

func setTypeMeta(obj runtime.Object, k kind) {
	switch o := obj.(type) {
	case *corev1.ConfigMap:
		o.APIVersion, o.Kind = k.apiVersion, k.kind
	case *corev1.Secret:
		o.APIVersion, o.Kind = k.apiVersion, k.kind
	case *corev1.Pod:
		o.APIVersion, o.Kind = k.apiVersion, k.kind
	case *batchv1.Job:
		o.APIVersion, o.Kind = k.apiVersion, k.kind
	}
}

func writeErr(w http.ResponseWriter, err error) {
	var st apierrors.APIStatus
	status := metav1.Status{Status: metav1.StatusFailure, Code: http.StatusInternalServerError, Message: err.Error()}
	if errors.As(err, &st) {
		status = st.Status()
	}
	status.APIVersion, status.Kind = "v1", "Status"
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(int(status.Code))
	_ = json.NewEncoder(w).Encode(status)
}

func (s *Server) create(ctx context.Context, res, ns string, obj runtime.Object) (runtime.Object, error) {
	o := metav1.CreateOptions{}
	switch res {
	case "configmaps":
		return s.c.CoreV1().ConfigMaps(ns).Create(ctx, obj.(*corev1.ConfigMap), o)
	case "secrets":
		return s.c.CoreV1().Secrets(ns).Create(ctx, obj.(*corev1.Secret), o)
	case "pods":
		return s.c.CoreV1().Pods(ns).Create(ctx, obj.(*corev1.Pod), o)
	default:
		return s.c.BatchV1().Jobs(ns).Create(ctx, obj.(*batchv1.Job), o)
	}
}

func (s *Server) update(ctx context.Context, res, ns string, obj runtime.Object) (runtime.Object, error) {
	o := metav1.UpdateOptions{}
	switch res {
	case "configmaps":
		return s.c.CoreV1().ConfigMaps(ns).Update(ctx, obj.(*corev1.ConfigMap), o)
	case "secrets":
		return s.c.CoreV1().Secrets(ns).Update(ctx, obj.(*corev1.Secret), o)
	case "pods":
		return s.c.CoreV1().Pods(ns).Update(ctx, obj.(*corev1.Pod), o)
	default:
		return s.c.BatchV1().Jobs(ns).Update(ctx, obj.(*batchv1.Job), o)
	}
}

func (s *Server) get(ctx context.Context, res, ns, name string) (runtime.Object, error) {
	o := metav1.GetOptions{}
	switch res {
	case "configmaps":
		return s.c.CoreV1().ConfigMaps(ns).Get(ctx, name, o)
	case "secrets":
		return s.c.CoreV1().Secrets(ns).Get(ctx, name, o)
	case "pods":
		return s.c.CoreV1().Pods(ns).Get(ctx, name, o)
	default:
		return s.c.BatchV1().Jobs(ns).Get(ctx, name, o)
	}
}

func (s *Server) delete(ctx context.Context, res, ns, name string, o metav1.DeleteOptions) error {
	switch res {
	case "configmaps":
		return s.c.CoreV1().ConfigMaps(ns).Delete(ctx, name, o)
	case "secrets":
		return s.c.CoreV1().Secrets(ns).Delete(ctx, name, o)
	case "pods":
		return s.c.CoreV1().Pods(ns).Delete(ctx, name, o)
	default:
		return s.c.BatchV1().Jobs(ns).Delete(ctx, name, o)
	}
}

// list lists pods (the only list the engine makes), filtered by selector.
func (s *Server) list(ctx context.Context, res, ns, selector string) (runtime.Object, error) {
	if res != "pods" {
		return nil, apierrors.NewMethodNotSupported(corev1.Resource(res), "list")
	}
	sel, err := labels.Parse(selector)
	if err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	l, err := s.c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	keep := l.Items[:0]
	for _, p := range l.Items {
		if sel.Matches(labels.Set(p.Labels)) {
			keep = append(keep, p)
		}
	}
	l.Items = keep
	if l.ResourceVersion == "" {
		l.ResourceVersion = "1"
	}
	return l, nil
}

// watch streams pod events as the API server does: one JSON watch event
// per line, until the client goes away.
func (s *Server) watch(w http.ResponseWriter, r *http.Request, res, ns string, k kind) {
	if res != "pods" {
		writeErr(w, apierrors.NewMethodNotSupported(corev1.Resource(res), "watch"))
		return
	}
	sel, err := labels.Parse(r.URL.Query().Get("labelSelector"))
	if err != nil {
		writeErr(w, apierrors.NewBadRequest(err.Error()))
		return
	}
	wi, err := s.c.CoreV1().Pods(ns).Watch(r.Context(), metav1.ListOptions{})
	if err != nil {
		writeErr(w, err)
		return
	}
	defer wi.Stop()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	if fl != nil {
		fl.Flush()
	}
	enc := json.NewEncoder(w)
	for {
		select {
		case <-r.Context().Done():
			return
		case ev, ok := <-wi.ResultChan():
			if !ok {
				return
			}
			p, isPod := ev.Object.(*corev1.Pod)
			if !isPod || !sel.Matches(labels.Set(p.Labels)) {
				continue
			}
			p = p.DeepCopy()
			setTypeMeta(p, k)
			raw, _ := json.Marshal(p)
			if err := enc.Encode(metav1.WatchEvent{Type: string(ev.Type), Object: runtime.RawExtension{Raw: raw}}); err != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
		}
	}
}
