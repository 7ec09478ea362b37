package kubeengine

import (
	"fmt"

	batchclient "k8s.io/client-go/kubernetes/typed/batch/v1"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// clients is a Client of the two API groups the engine uses (not the whole
// clientset).
type clients struct {
	batch batchclient.BatchV1Interface
	core  coreclient.CoreV1Interface
}

func (c clients) BatchV1() batchclient.BatchV1Interface { return c.batch }
func (c clients) CoreV1() coreclient.CoreV1Interface    { return c.core }

// Connect builds a client the way kubectl finds its cluster: the
// kubeconfig file (when empty: $KUBECONFIG, else ~/.kube/config) and its
// context (when empty: the current one); with no kubeconfig at all, the
// in-cluster service account (the coordinator running in a pod). It
// returns the namespace the kubeconfig context names ("" for none).
func Connect(kubeconfig, kubeContext string) (Client, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: kubeContext})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubernetes engine: no cluster: %w (give distributed.kubernetes.kubeconfig, set KUBECONFIG, or run in a pod)", err)
	}
	ns, _, _ := cc.Namespace()
	c, err := newClients(cfg)
	return c, ns, err
}

func newClients(cfg *rest.Config) (Client, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = "benchctl"
	b, err := batchclient.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes engine: %w", err)
	}
	c, err := coreclient.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes engine: %w", err)
	}
	return clients{batch: b, core: c}, nil
}
