package inference

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Defaults shared by every preset: the bert-base-uncased vocabulary and
// position table, the two token types, and the seed paper's three sentiment
// classes.
const (
	DefaultVocab        = 30522
	DefaultMaxPositions = 512
	DefaultTypeVocab    = 2
	// DefaultMaxSeqLen is the tokenizer's truncation length (tokens,
	// including [CLS] and [SEP]). Override it with Config.MaxSeqLen (up to
	// MaxPositions).
	DefaultMaxSeqLen = 128
	// DefaultPreset is the preset benchctl uses when none is named: the
	// 4-layer TinyBERT of the seed paper.
	DefaultPreset = "tinybert-4l-312"
)

// DefaultLabels returns the default sentiment classes (a fresh slice).
func DefaultLabels() []string { return []string{"negative", "neutral", "positive"} }

// ErrUnknownPreset is returned by Preset for a name that is not a preset.
var ErrUnknownPreset = errors.New("unknown model preset")

// Config is an encoder's shape. The zero value is invalid; start from Preset
// or fill every size field and call Validate.
type Config struct {
	// Name identifies the model in reports (e.g. "tinybert-4l-312").
	Name string `json:"name" yaml:"name"`
	// Layers is the number of transformer layers.
	Layers int `json:"layers" yaml:"layers"`
	// Hidden is the hidden size; it must be a multiple of Heads.
	Hidden int `json:"hidden" yaml:"hidden"`
	// Heads is the number of attention heads.
	Heads int `json:"heads" yaml:"heads"`
	// FFN is the feed-forward (intermediate) size.
	FFN int `json:"ffn" yaml:"ffn"`
	// Vocab is the word embedding table size (rows).
	Vocab int `json:"vocab" yaml:"vocab"`
	// MaxPositions is the position embedding table size.
	MaxPositions int `json:"max_positions" yaml:"max_positions"`
	// MaxSeqLen is the truncation length in tokens (≤ MaxPositions).
	MaxSeqLen int `json:"max_seq_len" yaml:"max_seq_len"`
	// TypeVocab is the token type (segment) embedding table size.
	TypeVocab int `json:"type_vocab" yaml:"type_vocab"`
	// Labels are the sentiment classes, in classifier row order. Empty
	// means DefaultLabels.
	Labels []string `json:"labels,omitempty" yaml:"labels,omitempty"`
}

// presets are the published shapes (layers, hidden, heads, FFN).
func presets() map[string]Config {
	mk := func(name string, layers, hidden, heads, ffn int) Config {
		return Config{
			Name: name, Layers: layers, Hidden: hidden, Heads: heads, FFN: ffn,
			Vocab: DefaultVocab, MaxPositions: DefaultMaxPositions,
			MaxSeqLen: DefaultMaxSeqLen, TypeVocab: DefaultTypeVocab,
			Labels: DefaultLabels(),
		}
	}
	return map[string]Config{
		"tinybert-4l-312":   mk("tinybert-4l-312", 4, 312, 12, 1200),
		"minilm-l6-h384":    mk("minilm-l6-h384", 6, 384, 12, 1536),
		"distilbert-6l-768": mk("distilbert-6l-768", 6, 768, 12, 3072),
		"bert-base-12l-768": mk("bert-base-12l-768", 12, 768, 12, 3072),
	}
}

// PresetNames lists the preset names, smallest model first.
func PresetNames() []string {
	ps := presets()
	names := make([]string, 0, len(ps))
	for n := range ps {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		pi, pj := ps[names[i]].Params(), ps[names[j]].Params()
		if pi != pj {
			return pi < pj
		}
		return names[i] < names[j]
	})
	return names
}

// Preset returns the named preset's Config. An unknown name gives an error
// wrapping ErrUnknownPreset that lists the allowed names.
func Preset(name string) (Config, error) {
	c, ok := presets()[name]
	if !ok {
		return Config{}, fmt.Errorf("%w %q: must be one of [%s]", ErrUnknownPreset, name, strings.Join(PresetNames(), ", "))
	}
	return c, nil
}

// Validate checks that the shape is usable: every size positive, Hidden a
// multiple of Heads, MaxSeqLen between 2 and MaxPositions, labels unique and
// non-empty.
func (c Config) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"layers", c.Layers}, {"hidden", c.Hidden}, {"heads", c.Heads}, {"ffn", c.FFN},
		{"vocab", c.Vocab}, {"max_positions", c.MaxPositions}, {"max_seq_len", c.MaxSeqLen},
		{"type_vocab", c.TypeVocab},
	} {
		if f.v <= 0 {
			return fmt.Errorf("model config %q: %s must be positive, got %d", c.Name, f.name, f.v)
		}
	}
	if c.Hidden%c.Heads != 0 {
		return fmt.Errorf("model config %q: hidden %d is not a multiple of heads %d", c.Name, c.Hidden, c.Heads)
	}
	if c.MaxSeqLen < 2 || c.MaxSeqLen > c.MaxPositions {
		return fmt.Errorf("model config %q: max_seq_len %d must be in [2, max_positions=%d]", c.Name, c.MaxSeqLen, c.MaxPositions)
	}
	if c.Vocab < 5 {
		return fmt.Errorf("model config %q: vocab %d is too small (need ≥ 5 for the special tokens)", c.Name, c.Vocab)
	}
	seen := map[string]bool{}
	for _, l := range c.Labels {
		if l == "" {
			return fmt.Errorf("model config %q: empty sentiment label", c.Name)
		}
		if seen[l] {
			return fmt.Errorf("model config %q: duplicate sentiment label %q", c.Name, l)
		}
		seen[l] = true
	}
	return nil
}

// labels returns Labels or the defaults.
func (c Config) labels() []string {
	if len(c.Labels) == 0 {
		return DefaultLabels()
	}
	return c.Labels
}

// Params is the parameter count of the encoder, its pooler and the
// sentiment classifier:
//
//	embeddings  (Vocab + MaxPositions + TypeVocab)·H + 2H        (tables + LayerNorm)
//	per layer   4·(H² + H) + 2H + 2·H·FFN + FFN + H + 2H         (Q,K,V,O; LN; FFN; LN)
//	pooler      H² + H
//	classifier  len(Labels)·H + len(Labels)
//
// tinybert-4l-312 has ≈ 14.4 M, bert-base-12l-768 ≈ 109.5 M.
func (c Config) Params() int64 {
	h, f := int64(c.Hidden), int64(c.FFN)
	n := int64(len(c.labels()))
	emb := (int64(c.Vocab)+int64(c.MaxPositions)+int64(c.TypeVocab))*h + 2*h
	layer := 4*(h*h+h) + 2*h + 2*h*f + f + h + 2*h
	return emb + int64(c.Layers)*layer + h*h + h + n*h + n
}

// FLOPs is the floating-point operation count of one forward pass over
// batch sequences padded to seqLen tokens, counting a multiply-add as 2
// (GEMMs only; LayerNorm, GELU and softmax are O(L·H) and not counted):
//
//	batch · Layers · (8·L·H² + 4·L·H·FFN + 4·L²·H)
func (c Config) FLOPs(batch, seqLen int) float64 {
	l, h, f := float64(seqLen), float64(c.Hidden), float64(c.FFN)
	return float64(batch) * float64(c.Layers) * (8*l*h*h + 4*l*h*f + 4*l*l*h)
}
