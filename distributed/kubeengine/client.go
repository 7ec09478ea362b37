package kubeengine

import (
	"context"
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Client speaks to a cluster's API server through client-go's REST
// client, for the two API groups the engine uses (core/v1 and batch/v1)
// with a scheme of just their types: the generated clientset registers
// every API group of Kubernetes, which would add about 24 MB to benchctl's
// binary for objects it never sends.
type Client struct {
	core, batch rest.Interface
	params      runtime.ParameterCodec
}

// NewClient builds a Client from a client-go rest.Config.
func NewClient(cfg *rest.Config) (*Client, error) {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := batchv1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	codecs := serializer.NewCodecFactory(scheme)
	group := func(gv schema.GroupVersion, apiPath string) (rest.Interface, error) {
		c := rest.CopyConfig(cfg)
		c.GroupVersion, c.APIPath = &gv, apiPath
		c.NegotiatedSerializer = codecs.WithoutConversion()
		c.ContentType = runtime.ContentTypeJSON
		if c.UserAgent == "" {
			c.UserAgent = "benchctl"
		}
		r, err := rest.RESTClientFor(c)
		if err != nil {
			return nil, fmt.Errorf("kubernetes engine: %w", err)
		}
		return r, nil
	}
	core, err := group(corev1.SchemeGroupVersion, "/api")
	if err != nil {
		return nil, err
	}
	batch, err := group(batchv1.SchemeGroupVersion, "/apis")
	if err != nil {
		return nil, err
	}
	return &Client{core: core, batch: batch, params: runtime.NewParameterCodec(scheme)}, nil
}

// Connect builds a client the way kubectl finds its cluster: the
// kubeconfig file (when empty: $KUBECONFIG, else ~/.kube/config) and its
// context (when empty: the current one); with no kubeconfig at all, the
// in-cluster service account (the coordinator running in a pod). It
// returns the namespace the kubeconfig context names ("" for none).
func Connect(kubeconfig, kubeContext string) (*Client, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: kubeContext})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubernetes engine: no cluster: %w (give distributed.kubernetes.kubeconfig, set KUBECONFIG, or run in a pod)", err)
	}
	ns, explicit, _ := cc.Namespace()
	if !explicit {
		ns = ""
	}
	c, err := NewClient(cfg)
	return c, ns, err
}

// The requests below are those of client-go's generated typed clients.

func (c *Client) createConfigMap(ctx context.Context, cm *corev1.ConfigMap) error {
	return c.core.Post().Namespace(cm.Namespace).Resource("configmaps").Body(cm).Do(ctx).Error()
}

func (c *Client) createSecret(ctx context.Context, s *corev1.Secret) error {
	return c.core.Post().Namespace(s.Namespace).Resource("secrets").Body(s).Do(ctx).Error()
}

func (c *Client) deleteCore(ctx context.Context, resource, ns, name string) error {
	return c.core.Delete().Namespace(ns).Resource(resource).Name(name).Body(&metav1.DeleteOptions{}).Do(ctx).Error()
}

func (c *Client) createJob(ctx context.Context, j *batchv1.Job) (*batchv1.Job, error) {
	out := &batchv1.Job{}
	err := c.batch.Post().Namespace(j.Namespace).Resource("jobs").Body(j).Do(ctx).Into(out)
	return out, err
}

func (c *Client) updateJob(ctx context.Context, j *batchv1.Job) (*batchv1.Job, error) {
	out := &batchv1.Job{}
	err := c.batch.Put().Namespace(j.Namespace).Resource("jobs").Name(j.Name).Body(j).Do(ctx).Into(out)
	return out, err
}

func (c *Client) getJob(ctx context.Context, ns, name string) (*batchv1.Job, error) {
	out := &batchv1.Job{}
	err := c.batch.Get().Namespace(ns).Resource("jobs").Name(name).Do(ctx).Into(out)
	return out, err
}

// deleteJob deletes a Job and lets the garbage collector remove its pods.
func (c *Client) deleteJob(ctx context.Context, ns, name string) error {
	bg := metav1.DeletePropagationBackground
	return c.batch.Delete().Namespace(ns).Resource("jobs").Name(name).Body(&metav1.DeleteOptions{PropagationPolicy: &bg}).Do(ctx).Error()
}

func (c *Client) listPods(ctx context.Context, ns string, opts metav1.ListOptions) (*corev1.PodList, error) {
	out := &corev1.PodList{}
	err := c.core.Get().Namespace(ns).Resource("pods").VersionedParams(&opts, c.params).Do(ctx).Into(out)
	return out, err
}

func (c *Client) watchPods(ctx context.Context, ns string, opts metav1.ListOptions) (watch.Interface, error) {
	opts.Watch = true
	return c.core.Get().Namespace(ns).Resource("pods").VersionedParams(&opts, c.params).Watch(ctx)
}
