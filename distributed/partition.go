package distributed

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// MaxWorkers bounds a distributed run's worker count.
const MaxWorkers = 1024

// maxCycle bounds a partition's cycle (the sum of its integer weights).
const maxCycle = 1 << 16

// Partition assigns every hit of a phase's schedule to exactly one worker
// by its global seq, in the spirit of k6's execution segments: worker k has
// integer weight W_k, the weights sum to the cycle length L, and seq i
// belongs to worker pattern[i mod L]. The pattern gives each worker exactly
// W_k of every L consecutive seqs, interleaved by the largest-deficit rule
// (position j goes to the worker with the largest (j+1)·W_k − L·c_k, c_k
// being its picks so far, ties to the lowest index), so that at every
// prefix each worker's count stays within one request of its exact share.
// With equal weights the pattern is 0, 1, …, N−1: worker k takes the seqs
// with i mod N = k.
type Partition struct {
	weights []int
	pattern []uint16
}

// NewPartition builds the partition of integer worker weights (each ≥ 1).
// Weights with a common divisor are reduced, so {2, 2} is {1, 1}.
func NewPartition(weights []int) (*Partition, error) {
	if len(weights) == 0 || len(weights) > MaxWorkers {
		return nil, fmt.Errorf("partition: %d workers, want 1–%d", len(weights), MaxWorkers)
	}
	g := 0
	for k, w := range weights {
		if w < 1 {
			return nil, fmt.Errorf("partition: worker %d has weight %d, want ≥ 1", k, w)
		}
		g = gcd(g, w)
	}
	ws := make([]int, len(weights))
	L := 0
	for k, w := range weights {
		ws[k] = w / g
		L += ws[k]
		if L > maxCycle {
			return nil, errors.New("partition: weights too fine (cycle longer than 65536); round them")
		}
	}
	p := &Partition{weights: ws, pattern: make([]uint16, L)}
	picks := make([]int, len(ws))
	for j := range L {
		best, bestDef := 0, 0
		for k, w := range ws {
			if def := (j+1)*w - L*picks[k]; k == 0 || def > bestDef {
				best, bestDef = k, def
			}
		}
		picks[best]++
		p.pattern[j] = uint16(best)
	}
	return p, nil
}

// EqualPartition is the partition of n equal workers: seq i goes to worker
// i mod n.
func EqualPartition(n int) (*Partition, error) {
	ws := make([]int, n)
	for k := range ws {
		ws[k] = 1
	}
	return NewPartition(ws)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Workers is the number of workers.
func (p *Partition) Workers() int { return len(p.weights) }

// Cycle is the pattern length L (the sum of the reduced weights).
func (p *Partition) Cycle() int { return len(p.pattern) }

// Weight is worker k's reduced weight W_k: it owns W_k of every Cycle()
// consecutive seqs.
func (p *Partition) Weight(k int) int { return p.weights[k] }

// Owner is the worker that sends seq.
func (p *Partition) Owner(seq uint64) int { return int(p.pattern[seq%uint64(len(p.pattern))]) }

// Seqs returns worker k's seqs among 0..n−1, ascending.
func (p *Partition) Seqs(n, k int) []uint64 {
	if k < 0 || k >= len(p.weights) || n <= 0 {
		return nil
	}
	L := len(p.pattern)
	out := make([]uint64, 0, n/L*p.weights[k]+p.weights[k])
	var offs []int
	for j, w := range p.pattern {
		if int(w) == k {
			offs = append(offs, j)
		}
	}
	for base := 0; base < n; base += L {
		for _, j := range offs {
			if base+j >= n {
				break
			}
			out = append(out, uint64(base+j))
		}
	}
	return out
}

// ShareHash is the SHA-256 (hex) of a share: for each seq, its value and
// its intended offset in nanoseconds, both as little-endian uint64. Two
// machines that computed the same schedule get the same hash; one whose
// floating point differed in the last bit does not.
func ShareHash(seqs []uint64, offsets []time.Duration) string {
	h := sha256.New()
	var b [16]byte
	for _, s := range seqs {
		binary.LittleEndian.PutUint64(b[:8], s)
		var o int64
		if s < uint64(len(offsets)) {
			o = int64(offsets[s])
		}
		binary.LittleEndian.PutUint64(b[8:], uint64(o))
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// SeqRange is a run of seqs first, first+Every, …, Last (one worker's
// missing seqs form such runs).
type SeqRange struct {
	First uint64 `json:"first"`
	Last  uint64 `json:"last"`
	// Every is the stride between consecutive seqs of the range.
	Every uint64 `json:"every"`
	Count uint64 `json:"count"`
}

// Ranges compresses ascending seqs into runs of equal stride, e.g.
// 3, 7, 11, 12 → {3..11 every 4}, {12}.
func Ranges(seqs []uint64) []SeqRange {
	var out []SeqRange
	for i := 0; i < len(seqs); {
		r := SeqRange{First: seqs[i], Last: seqs[i], Every: 1, Count: 1}
		j := i + 1
		if j < len(seqs) {
			r.Every = seqs[j] - seqs[i]
			for j < len(seqs) && seqs[j]-seqs[j-1] == r.Every {
				r.Last = seqs[j]
				r.Count++
				j++
			}
		}
		if r.Count == 1 {
			r.Every = 1
		}
		out = append(out, r)
		i = j
	}
	return out
}
