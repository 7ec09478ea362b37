package distributed

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/summary"
)

// Collector hands a distributed run's workers to the summary pipeline,
// which alone assembles summary.json (it is a summary.Generators): fed the
// merged records (one pass, with every other collector), it counts the
// requests each worker delivered (the owner of each record's seq), and
// Workers returns workers[] from those counts with the merge's statuses,
// gaps and the manifests' figures, after checking that the pass and the
// merge agree, with the run's distributed notes (late phases, gaps, and
// the caller's, e.g. the generators' cost).
type Collector struct {
	part   *Partition
	res    *MergeResult
	late   time.Duration
	counts []int64
	notes  []string
}

var _ summary.Generators = (*Collector)(nil)

// NewCollector is the collector of a merged run: its plan, what Merge
// found, and notes to add.
func NewCollector(plan *Plan, res *MergeResult, notes []string) (*Collector, error) {
	part, err := plan.Partition()
	if err != nil {
		return nil, err
	}
	return &Collector{part: part, res: res, late: plan.LateBound, counts: make([]int64, plan.Workers), notes: notes}, nil
}

// Add counts r for the worker that owns its seq.
func (c *Collector) Add(r *results.Record) {
	if k := c.part.Owner(r.Seq); k < len(c.counts) {
		c.counts[k]++
	}
}

// Fork returns an empty collector of the same run.
func (c *Collector) Fork() summary.Generators {
	f := *c
	f.counts = make([]int64, len(c.counts))
	return &f
}

// Merge adds a fork's counts.
func (c *Collector) Merge(later summary.Generators) {
	for i, n := range later.(*Collector).counts {
		c.counts[i] += n
	}
}

// Workers returns workers[] and the notes.
func (c *Collector) Workers() ([]results.WorkerSummary, []string, error) {
	var notes []string
	workers := slices.Clone(c.res.Workers)
	for i := range workers {
		w := &workers[i]
		if w.Status == results.WorkerDuplicate || w.Index < 0 || w.Index >= len(c.counts) {
			continue
		}
		if c.counts[w.Index] != w.Requests {
			return nil, nil, fmt.Errorf("distributed: worker %d delivered %d records to the merge, but results.jsonl holds %d of its seqs", w.Index, w.Requests, c.counts[w.Index])
		}
	}
	var ms []*results.WorkerManifest
	for _, m := range c.res.Manifests {
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool {
		if ms[i].Index != ms[j].Index {
			return ms[i].Index < ms[j].Index
		}
		return ms[i].Window < ms[j].Window
	})
	for _, m := range ms {
		for _, p := range m.Phases {
			if p.Late {
				notes = append(notes, fmt.Sprintf("phase %s: worker %d (window %d) started %.0f ms after its scheduled start (bound %.0f ms); its requests kept their intended times, so the lateness is in the dispatch lag, not hidden",
					p.Phase, m.Index, m.Window, p.StartLagMs, float64(c.late)/1e6))
			}
		}
	}
	if c.res.Missing > 0 {
		notes = append(notes, fmt.Sprintf("distributed run with gaps: %d scheduled requests were never recorded (failed workers); see workers[].gaps", c.res.Missing))
	}
	return workers, append(notes, c.notes...), nil
}
