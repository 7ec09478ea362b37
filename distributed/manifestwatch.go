package distributed

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/benchctl/benchctl/results"
)

// WatchManifests reports the end of each invocation from the store alone:
// an Exit once its manifest appears (failed when the manifest says so),
// listing the workers' folder every interval until each has reported or
// ctx ends. Engines that cannot see their workers (a manifest that
// someone else applies) report through it; an invocation that dies before
// it writes its manifest is never reported, so the coordinator waits for
// the timeline's end and its drain, then merges without it.
func WatchManifests(ctx context.Context, st *Store, invs []Invocation, exits chan<- Exit, interval time.Duration) {
	pending := map[string]Invocation{}
	for _, inv := range invs {
		pending[ManifestKey(inv.Index, inv.Window)] = inv
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for len(pending) > 0 {
		keys, err := st.List(ctx, keyWorkers)
		if err == nil {
			for _, key := range keys {
				inv, ok := pending[key]
				if !ok || !strings.HasSuffix(key, "/manifest.json") {
					continue
				}
				ex := Exit{Invocation: inv}
				if b, err := st.Get(ctx, key); err == nil {
					var m results.WorkerManifest
					if json.Unmarshal(b, &m) == nil && m.Status == results.WorkerFailed {
						ex.Err = errors.New(m.Error)
					}
				}
				delete(pending, key)
				exits <- ex
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
