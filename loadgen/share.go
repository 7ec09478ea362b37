package loadgen

import (
	"fmt"
	"time"
)

// Share is one generator's part of a phase in a distributed run: the
// phase's schedule is computed in full, as for a single generator, and
// this generator sends only the hits whose global seq is in Seqs. Records
// keep the global seq and the global intended time (Start + Offsets[seq]),
// so the records of all generators together are those of one ideal
// generator.
type Share struct {
	// Seqs are the global seqs this generator sends, strictly ascending
	// and below the schedule's length.
	Seqs []uint64
	// Start anchors the schedule: hit seq is intended at Start +
	// Offsets[seq]. Give it a monotonic clock reading (e.g. time.Now()
	// moved to the common start) and pacing follows the monotonic clock.
	// Zero: the attack's own start, as without a share. A generator that
	// starts after Start sends the hits already due at once (their
	// dispatch lag shows it): the schedule is never shifted.
	Start time.Time
}

// of returns the part of full that the share sends (full itself for a nil
// share).
func (sh *Share) of(full *Schedule) (*Schedule, error) {
	if sh == nil {
		return full, nil
	}
	sub := &Schedule{Model: full.Model, Duration: full.Duration, Offsets: make([]time.Duration, 0, len(sh.Seqs))}
	for i, seq := range sh.Seqs {
		if seq >= uint64(len(full.Offsets)) {
			return nil, fmt.Errorf("share: seq %d is beyond the schedule's %d hits", seq, len(full.Offsets))
		}
		if i > 0 && seq <= sh.Seqs[i-1] {
			return nil, fmt.Errorf("share: seqs must be strictly ascending (%d after %d)", seq, sh.Seqs[i-1])
		}
		sub.Offsets = append(sub.Offsets, full.Offsets[seq])
	}
	if full.rate != nil && len(full.Offsets) > 0 {
		frac := float64(len(sub.Offsets)) / float64(len(full.Offsets))
		sub.rate = func(t float64) float64 { return full.rate(t) * frac }
	}
	return sub, nil
}

func (sh *Share) anchor() time.Time {
	if sh == nil {
		return time.Time{}
	}
	return sh.Start
}

func (sh *Share) seqs() []uint64 {
	if sh == nil {
		return nil
	}
	return sh.Seqs
}
