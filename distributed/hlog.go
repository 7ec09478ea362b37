package distributed

import (
	"io"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/summary"
)

// HistogramsFile is the run-directory (and worker) file holding one HDR
// histogram per target, phase, step and metric (summary.Histograms).
const HistogramsFile = results.HistogramsFile

// Histograms is a set of tagged HDR histograms as histograms.hlog holds
// them; a worker's come from its records (summary.Phases.Histograms), and
// the workers' merge exactly (summary.Histograms.Merge).
type Histograms = summary.Histograms

// NewHistograms returns an empty set.
func NewHistograms() *Histograms { return summary.NewHistograms() }

// ReadHistograms reads an interval log; histograms with the same tag
// (several intervals) are merged.
func ReadHistograms(r io.Reader) (*Histograms, error) { return summary.ReadHistograms(r) }
