package kubeengine

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/benchctl/benchctl/distributed"
)

// manifestPoll is how often an Emitter looks for the workers' manifests.
const manifestPoll = time.Second

// Emitter is the engine of `benchctl run --emit-manifest`: Launch writes
// the run's ConfigMap and Indexed Job as YAML for the user to apply (with
// kubectl or a GitOps tool) and learns of each worker's end from its
// manifest in the store; the coordinator's ready barrier waits for the
// pods as it does for submitted ones. It creates nothing in a cluster,
// so Close deletes nothing (the manifest says how to).
type Emitter struct {
	o     Options
	w     io.Writer
	st    *distributed.Store
	log   io.Writer
	stop  context.CancelFunc
	wg    sync.WaitGroup
	where string
}

var _ distributed.Engine = (*Emitter)(nil)

// NewEmitter checks the options; where names w in the log ("-" for
// standard output).
func NewEmitter(o Options, w io.Writer, where string, st *distributed.Store, log io.Writer) (*Emitter, error) {
	o.Credentials = nil
	if err := o.check(); err != nil {
		return nil, err
	}
	if log == nil {
		log = io.Discard
	}
	return &Emitter{o: o, w: w, st: st, log: log, where: where}, nil
}

// Launch writes the manifest and watches the store for the workers'
// manifests.
func (m *Emitter) Launch(ctx context.Context, invs []distributed.Invocation, exits chan<- distributed.Exit) error {
	if err := WriteManifest(m.w, m.o); err != nil {
		return err
	}
	fmt.Fprintf(m.log, "benchctl: kubernetes manifest for %d workers written to %s: apply it now (kubectl apply -f %s); the run starts when every worker is ready\n",
		m.o.Workers, m.where, m.where)
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.stop = cancel
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		distributed.WatchManifests(wctx, m.st, invs, exits, manifestPoll)
	}()
	return nil
}

// Close stops watching.
func (m *Emitter) Close(ctx context.Context) error {
	if m.stop != nil {
		m.stop()
		m.wg.Wait()
	}
	fmt.Fprintf(m.log, "benchctl: remove the workers' Job when they are done: kubectl delete -n %s job,configmap -l %s=%s\n", m.o.Namespace, LabelRun, Name(m.o.RunID))
	return nil
}
