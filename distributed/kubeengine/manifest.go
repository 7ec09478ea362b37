package kubeengine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/benchctl/benchctl/distributed"
)

// Defaults of the worker pods.
const (
	// DefaultNamespace is where the Job goes when none is given.
	DefaultNamespace = "default"
	// DefaultCPU and DefaultMemory are each pod's requests and limits
	// (equal: Guaranteed QoS, so a worker is not squeezed by its node's
	// other pods more than the kubelet allows).
	DefaultCPU    = "1"
	DefaultMemory = "1Gi"
	// ContainerName is the worker container's name.
	ContainerName = "worker"
	// TTLAfterFinished removes a finished Job the coordinator failed to
	// clean up (seconds).
	TTLAfterFinished = 3600
)

// DefaultCommand is the container command: the image must have benchctl
// on its PATH.
var DefaultCommand = []string{"benchctl", "worker"}

// Labels on every object the engine creates (and on the pods, through the
// template): the run label selects a run's pods.
const (
	LabelRun       = "benchctl.io/run"
	LabelName      = "app.kubernetes.io/name"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// AnnotationStore is the run's store folder, on the Job.
	AnnotationStore = "benchctl.io/store"
)

// Options configures the worker Job.
type Options struct {
	// RunID is the distributed run's id; object names derive from it.
	RunID string
	// Workers is the number of worker indexes (completions = parallelism).
	Workers int
	// Store is the run's folder, handed to the pods through a ConfigMap.
	Store distributed.StoreRef
	// Namespace (DefaultNamespace when empty), Image (required; it must
	// hold benchctl), Command (DefaultCommand when nil), ImagePullPolicy
	// (the cluster's default when empty).
	Namespace       string
	Image           string
	Command         []string
	ImagePullPolicy string
	// ServiceAccount runs the pods as this service account (e.g. one bound
	// to an IAM role for the store).
	ServiceAccount string
	// CredentialsSecret names an existing Secret whose keys (e.g.
	// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) become the workers'
	// environment. It is referenced, never created or deleted.
	CredentialsSecret string
	// Credentials, when set, are put into a Secret the engine creates for
	// the run (and deletes after it); never written by WriteManifest.
	Credentials map[string]string
	// CPU and Memory are each pod's requests and limits (DefaultCPU,
	// DefaultMemory when empty); NodeSelector constrains the nodes.
	CPU, Memory  string
	NodeSelector map[string]string
	// Deadline bounds the Job's life once it runs (activeDeadlineSeconds;
	// 0: none): the ready timeout, lead time, timeline and drain.
	Deadline time.Duration
}

var dns1123 = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// check validates the options and fills the defaults.
func (o *Options) check() error {
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Command == nil {
		o.Command = DefaultCommand
	}
	if o.CPU == "" {
		o.CPU = DefaultCPU
	}
	if o.Memory == "" {
		o.Memory = DefaultMemory
	}
	var errs []error
	if o.RunID == "" {
		errs = append(errs, errors.New("no run id"))
	}
	if o.Workers < 1 || o.Workers > distributed.MaxWorkers {
		errs = append(errs, fmt.Errorf("workers %d: want 1–%d", o.Workers, distributed.MaxWorkers))
	}
	if o.Image == "" {
		errs = append(errs, errors.New("distributed.kubernetes.image is required: an image holding benchctl (see docs/distributed.md)"))
	}
	if len(o.Command) == 0 || o.Command[0] == "" {
		errs = append(errs, errors.New("distributed.kubernetes.command: empty"))
	}
	if !dns1123.MatchString(o.Namespace) || len(o.Namespace) > 63 {
		errs = append(errs, fmt.Errorf("namespace %q is not a DNS-1123 label", o.Namespace))
	}
	switch corev1.PullPolicy(o.ImagePullPolicy) {
	case "", corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		errs = append(errs, fmt.Errorf("image_pull_policy %q isn't one of [Always IfNotPresent Never]", o.ImagePullPolicy))
	}
	for name, v := range map[string]string{"cpu": o.CPU, "memory": o.Memory} {
		if q, err := resource.ParseQuantity(v); err != nil || q.Sign() <= 0 {
			errs = append(errs, fmt.Errorf("%s %q is not a positive Kubernetes quantity (e.g. 1, 500m, 1Gi)", name, v))
		}
	}
	if o.Store.URL == "" {
		errs = append(errs, errors.New("no store"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("kubernetes engine: %w", err)
	}
	return nil
}

// Name is the Job's name for a run id: "benchctl-" and the id lowercased,
// non-alphanumerics as '-', cut so that pod hostnames (name-index) stay
// within 63 characters.
func Name(runID string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(runID) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	s := b.String()
	// Keep the id's random tail (the end), which makes the name unique.
	const room = 52 - len("benchctl-")
	if len(s) > room {
		s = s[len(s)-room:]
	}
	s = strings.Trim(s, "-")
	return "benchctl-" + s
}

// objects are what the engine creates for a run.
type objects struct {
	config *corev1.ConfigMap
	secret *corev1.Secret
	job    *batchv1.Job
}

// build renders the run's objects. Each index runs once: the pod's
// restartPolicy is Never and the per-index backoff limit 0 fails an index
// on its pod's first failure without replacing it, while the other
// indexes go on (backoffLimit alone would count any pod's failure against
// the whole Job and terminate every other worker: see docs/distributed.md).
func (o *Options) build() objects {
	name := Name(o.RunID)
	labels := map[string]string{LabelRun: name, LabelName: "benchctl-worker", LabelManagedBy: "benchctl"}
	meta := func(n string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: n, Namespace: o.Namespace, Labels: labels}
	}
	cm := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: meta(name + "-plan"),
		Data: map[string]string{distributed.EnvStore: o.Store.URL}}
	if o.Store.Endpoint != "" {
		cm.Data[distributed.EnvStoreEndpoint] = o.Store.Endpoint
	}
	if o.Store.Region != "" {
		cm.Data[distributed.EnvStoreRegion] = o.Store.Region
	}
	envFrom := []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: cm.Name}}}}
	var secret *corev1.Secret
	if len(o.Credentials) > 0 {
		secret = &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: meta(name + "-store"),
			Type: corev1.SecretTypeOpaque, StringData: o.Credentials}
		envFrom = append(envFrom, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: secret.Name}}})
	}
	if o.CredentialsSecret != "" {
		envFrom = append(envFrom, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: o.CredentialsSecret}}})
	}
	res := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(o.CPU), corev1.ResourceMemory: resource.MustParse(o.Memory)}
	n := int32(o.Workers)
	job := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: meta(name),
		Spec: batchv1.JobSpec{
			CompletionMode:       ptr.To(batchv1.IndexedCompletion),
			Completions:          ptr.To(n),
			Parallelism:          ptr.To(n),
			BackoffLimitPerIndex: ptr.To(int32(0)),
			// Never reached with a per-index limit of 0 (each index fails
			// at most once); see build's doc.
			BackoffLimit:            ptr.To(n),
			PodReplacementPolicy:    ptr.To(batchv1.Failed),
			TTLSecondsAfterFinished: ptr.To(int32(TTLAfterFinished)),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy:                 corev1.RestartPolicyNever,
					ServiceAccountName:            o.ServiceAccount,
					NodeSelector:                  o.NodeSelector,
					EnableServiceLinks:            ptr.To(false),
					TerminationGracePeriodSeconds: ptr.To(int64(30)),
					Containers: []corev1.Container{{
						Name: ContainerName, Image: o.Image, Command: o.Command,
						ImagePullPolicy: corev1.PullPolicy(o.ImagePullPolicy),
						EnvFrom:         envFrom,
						Resources:       corev1.ResourceRequirements{Requests: res, Limits: res},
						SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true)},
						VolumeMounts:    []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}},
					}},
					Volumes: []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
				},
			},
		},
	}
	job.Annotations = map[string]string{AnnotationStore: o.Store.URL}
	if o.Deadline > 0 {
		job.Spec.ActiveDeadlineSeconds = ptr.To(int64((o.Deadline + time.Second - 1) / time.Second))
	}
	return objects{config: cm, secret: secret, job: job}
}

// WriteManifest writes the run's ConfigMap and Indexed Job as YAML
// documents for kubectl apply or a GitOps repository. A Secret of
// credentials is never written: the manifest references
// CredentialsSecret (or relies on ServiceAccount) and says so in a
// comment.
func WriteManifest(w io.Writer, o Options) error {
	o.Credentials = nil
	if err := o.check(); err != nil {
		return err
	}
	objs := o.build()
	var b bytes.Buffer
	fmt.Fprintf(&b, "# benchctl distributed run %s: %d workers as an Indexed Job.\n", o.RunID, o.Workers)
	fmt.Fprintf(&b, "# Apply it within the run's ready_timeout: kubectl apply -f FILE\n")
	fmt.Fprintf(&b, "# Remove it after the run: kubectl delete -n %s job,configmap -l %s=%s\n", o.Namespace, LabelRun, objs.job.Name)
	switch {
	case o.CredentialsSecret != "":
		fmt.Fprintf(&b, "# The workers read the store's credentials from Secret %s/%s (not in this file), e.g.\n", o.Namespace, o.CredentialsSecret)
		fmt.Fprintf(&b, "#   kubectl -n %s create secret generic %s --from-literal=AWS_ACCESS_KEY_ID=... --from-literal=AWS_SECRET_ACCESS_KEY=...\n", o.Namespace, o.CredentialsSecret)
	case o.ServiceAccount != "":
		fmt.Fprintf(&b, "# The workers reach the store with service account %s's credentials (e.g. IRSA or workload identity).\n", o.ServiceAccount)
	default:
		fmt.Fprintf(&b, "# The workers reach the store with the credentials their nodes provide (no Secret, no service account given).\n")
	}
	fmt.Fprintf(&b, "# Clusters without backoffLimitPerIndex (before Kubernetes 1.29): set backoffLimit: 0 instead (then one\n")
	fmt.Fprintf(&b, "# failed worker ends the others); an index is never retried either way.\n")
	for _, obj := range []any{objs.config, objs.job} {
		y, err := yaml.Marshal(obj)
		if err != nil {
			return fmt.Errorf("kubernetes manifest: %w", err)
		}
		b.WriteString("---\n")
		b.Write(cleanYAML(y))
	}
	_, err := w.Write(b.Bytes())
	return err
}

// cleanYAML drops the empty status and creationTimestamp fields the API
// types marshal.
func cleanYAML(y []byte) []byte {
	var out []string
	skip := -1
	for _, line := range strings.SplitAfter(string(y), "\n") {
		trim := strings.TrimLeft(line, " ")
		indent := len(line) - len(trim)
		if skip >= 0 && indent > skip && trim != "" {
			continue
		}
		skip = -1
		switch strings.TrimSpace(trim) {
		case "creationTimestamp: null", "status: {}", "resources: {}":
			continue
		case "status:":
			skip = indent
			continue
		}
		out = append(out, line)
	}
	return []byte(strings.Join(out, ""))
}

// indexOf is a pod's completion index (-1 when it has none).
func indexOf(p *corev1.Pod) int {
	v, ok := p.Annotations[batchv1.JobCompletionIndexAnnotation]
	if !ok {
		v, ok = p.Labels[batchv1.JobCompletionIndexAnnotation]
	}
	if !ok {
		return -1
	}
	k, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return k
}
