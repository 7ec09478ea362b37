package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/benchctl/benchctl/scenarios"
)

// Payload orders (scenario payloads.order).
const (
	OrderSequential = "sequential"
	OrderRandom     = "random"
)

// Bodies are the precomputed request bodies of one target: the body
// template applied to every corpus item once, before the run, so the hot
// path only indexes a slice. At(i) is safe for concurrent use.
type Bodies struct {
	bodies [][]byte
	random bool
	seed   uint64
}

// Len is the number of distinct bodies.
func (b *Bodies) Len() int {
	if b == nil {
		return 0
	}
	return len(b.bodies)
}

// At returns the body of request i: item i mod n in sequential order, or
// item splitmix64(seed ⊕ i) mod n in random order (stateless, so it is
// reproducible and lock-free). A nil or empty Bodies gives a nil body.
func (b *Bodies) At(i uint64) []byte {
	if b == nil || len(b.bodies) == 0 {
		return nil
	}
	n := uint64(len(b.bodies))
	if b.random {
		return b.bodies[splitmix64(b.seed^i)%n]
	}
	return b.bodies[i%n]
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// loadItems reads the corpus of p: the file (read through readFile,
// parsed by scenarios.ParseCorpus) then the inline items.
func loadItems(p scenarios.Payloads, readFile func(string) ([]byte, error)) ([]scenarios.Item, error) {
	var items []scenarios.Item
	if p.File != "" {
		if readFile == nil {
			return nil, errors.New("payloads: no file reader configured")
		}
		raw, err := readFile(p.File)
		if err != nil {
			return nil, fmt.Errorf("payloads: read corpus: %w", err)
		}
		its, err := scenarios.ParseCorpus(p.File, raw, p.Pairs)
		if err != nil {
			return nil, fmt.Errorf("payloads: %w", err)
		}
		for _, it := range its {
			items = append(items, it.Item)
		}
	}
	for _, it := range p.Inline {
		items = append(items, scenarios.Item(it))
	}
	return items, nil
}

// RenderBodies applies the body template tmpl (scenarios.DefaultBody when
// empty; parsed by scenarios.ParseBody, so a missing field is an error) to
// every item. With no items, a template of its own is rendered once from
// an empty item (a fixed body); no items and no template of its own give no
// body (scenarios.RendersNoBody).
func RenderBodies(items []scenarios.Item, tmpl, order string, seed uint64) (*Bodies, error) {
	b := &Bodies{seed: seed}
	switch strings.ToLower(order) {
	case "", OrderSequential:
	case OrderRandom:
		b.random = true
	default:
		return nil, fmt.Errorf("payloads: order %q isn't one of [sequential random]", order)
	}
	if scenarios.RendersNoBody(len(items), tmpl) {
		return b, nil // no corpus and no fixed body: requests carry none
	}
	if tmpl == "" {
		tmpl = scenarios.DefaultBody
	}
	t, err := scenarios.ParseBody("body", tmpl)
	if err != nil {
		return nil, fmt.Errorf("payloads: %w", err)
	}
	if len(items) == 0 {
		items = []scenarios.Item{{}}
	}
	var buf bytes.Buffer
	b.bodies = make([][]byte, len(items))
	for i, it := range items {
		if err := scenarios.RenderBody(t, it, &buf); err != nil {
			return nil, fmt.Errorf("payloads: item %d: %w", i+1, err)
		}
		b.bodies[i] = bytes.Clone(buf.Bytes())
	}
	return b, nil
}

// Payloads are the request bodies of a scenario, per target (a target's own
// body template overrides the payloads template).
type Payloads struct {
	byTarget map[string]*Bodies
	fallback *Bodies
}

// NewPayloads loads the corpus once and renders the bodies of every target.
// Random order is seeded by seed.
func NewPayloads(p scenarios.Payloads, targets []scenarios.Target, readFile func(string) ([]byte, error), seed uint64) (*Payloads, error) {
	items, err := loadItems(p, readFile)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0xda3e39cb94b95bdb))
	bodySeed := rng.Uint64()
	pl := &Payloads{byTarget: map[string]*Bodies{}}
	if pl.fallback, err = RenderBodies(items, p.Body, p.Order, bodySeed); err != nil {
		return nil, err
	}
	for _, t := range targets {
		if t.Body == "" {
			pl.byTarget[t.Name] = pl.fallback
			continue
		}
		b, err := RenderBodies(items, t.Body, p.Order, bodySeed)
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", t.Name, err)
		}
		pl.byTarget[t.Name] = b
	}
	return pl, nil
}

// For returns the bodies of target (the payloads bodies when it has no own template).
func (p *Payloads) For(target string) *Bodies {
	if p == nil {
		return nil
	}
	if b, ok := p.byTarget[target]; ok {
		return b
	}
	return p.fallback
}
