package loadgen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path"
	"strings"
	"text/template"

	"github.com/benchctl/benchctl/scenarios"
)

// Payload orders (scenario payloads.order).
const (
	OrderSequential = "sequential"
	OrderRandom     = "random"
)

// DefaultBodyTemplate renders the whole item as a JSON object.
const DefaultBodyTemplate = "{{json .}}"

// Item is one corpus entry: a .txt line becomes {"text": line} (with pairs,
// a line "a<TAB>b" becomes {"a": a, "b": b}); a .jsonl line is its object.
type Item = map[string]any

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

// LoadItems reads the corpus of p: the file (read through readFile) then the
// inline items.
func LoadItems(p scenarios.Payloads, readFile func(string) ([]byte, error)) ([]Item, error) {
	var items []Item
	if p.File != "" {
		if readFile == nil {
			return nil, errors.New("payloads: no file reader configured")
		}
		raw, err := readFile(p.File)
		if err != nil {
			return nil, fmt.Errorf("payloads: read corpus: %w", err)
		}
		its, err := ParseCorpus(p.File, raw, p.Pairs)
		if err != nil {
			return nil, err
		}
		items = append(items, its...)
	}
	for _, it := range p.Inline {
		items = append(items, Item(it))
	}
	return items, nil
}

// ParseCorpus parses a corpus file by extension: .jsonl (one JSON object per
// line) or anything else as text (one item per non-blank line). With pairs,
// text lines are split at the first tab into fields a and b, and JSON items
// must have both.
func ParseCorpus(name string, raw []byte, pairs bool) ([]Item, error) {
	var items []Item
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	jsonl := strings.EqualFold(path.Ext(name), ".jsonl") || strings.EqualFold(path.Ext(name), ".ndjson")
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" {
			continue
		}
		var it Item
		if jsonl {
			if err := json.Unmarshal([]byte(text), &it); err != nil {
				return nil, fmt.Errorf("payloads: %s:%d: %w", name, line, err)
			}
		} else if pairs {
			a, b, ok := strings.Cut(text, "\t")
			if !ok {
				return nil, fmt.Errorf("payloads: %s:%d: pairs need two texts separated by a tab", name, line)
			}
			it = Item{"a": a, "b": b}
		} else {
			it = Item{"text": text}
		}
		if pairs {
			if _, ok := it["a"]; !ok {
				return nil, fmt.Errorf("payloads: %s:%d: pair item needs fields a and b", name, line)
			}
			if _, ok := it["b"]; !ok {
				return nil, fmt.Errorf("payloads: %s:%d: pair item needs fields a and b", name, line)
			}
		}
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("payloads: read %s: %w", name, err)
	}
	return items, nil
}

// templateFuncs are the body template helpers: json renders a value as JSON
// (strings quoted and escaped).
var templateFuncs = template.FuncMap{"json": func(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}}

// RenderBodies applies the body template tmpl (DefaultBodyTemplate when
// empty) to every item. With no items, a template without fields is
// rendered once (a fixed body); an empty template and no items give no body.
func RenderBodies(items []Item, tmpl, order string, seed uint64) (*Bodies, error) {
	b := &Bodies{seed: seed}
	switch strings.ToLower(order) {
	case "", OrderSequential:
	case OrderRandom:
		b.random = true
	default:
		return nil, fmt.Errorf("payloads: order %q isn't one of [sequential random]", order)
	}
	if len(items) == 0 && (tmpl == "" || tmpl == DefaultBodyTemplate) {
		return b, nil // no corpus and no fixed body: requests carry none
	}
	if tmpl == "" {
		tmpl = DefaultBodyTemplate
	}
	t, err := template.New("body").Funcs(templateFuncs).Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return nil, fmt.Errorf("payloads: body template: %w", err)
	}
	if len(items) == 0 {
		items = []Item{{}}
	}
	var buf bytes.Buffer
	b.bodies = make([][]byte, len(items))
	for i, it := range items {
		buf.Reset()
		if err := t.Execute(&buf, it); err != nil {
			return nil, fmt.Errorf("payloads: body template on item %d: %w", i+1, err)
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
	items, err := LoadItems(p, readFile)
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
