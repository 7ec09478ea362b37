package inference

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
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

// hfConfig is the subset of a Hugging Face BERT config.json benchctl reads.
type hfConfig struct {
	ModelType         string            `yaml:"model_type"`
	NumHiddenLayers   int               `yaml:"num_hidden_layers"`
	HiddenSize        int               `yaml:"hidden_size"`
	NumAttentionHeads int               `yaml:"num_attention_heads"`
	IntermediateSize  int               `yaml:"intermediate_size"`
	VocabSize         int               `yaml:"vocab_size"`
	MaxPositions      int               `yaml:"max_position_embeddings"`
	TypeVocabSize     int               `yaml:"type_vocab_size"`
	HiddenAct         string            `yaml:"hidden_act"`
	PositionEmbedding string            `yaml:"position_embedding_type"`
	ID2Label          map[string]string `yaml:"id2label"`
}

// ParseConfig reads a model config in either of two forms (YAML or JSON):
//
//   - benchctl's own keys (the Config JSON/YAML tags: name, layers, hidden,
//     heads, ffn, vocab, max_positions, max_seq_len, type_vocab, labels);
//   - a Hugging Face BERT config.json (num_hidden_layers, hidden_size,
//     num_attention_heads, intermediate_size, vocab_size,
//     max_position_embeddings, type_vocab_size, id2label), recognised by
//     num_hidden_layers. Its hidden_act must be "gelu" and its
//     position_embedding_type "absolute" (or absent): the only ones this
//     encoder computes.
//
// Fields the file leaves out stay zero; merge them onto a preset.
func ParseConfig(data []byte) (Config, error) {
	var probe map[string]any
	if err := yaml.Unmarshal(data, &probe); err != nil {
		return Config{}, fmt.Errorf("parse model config: %w", err)
	}
	if _, ok := probe["num_hidden_layers"]; !ok {
		var c Config
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil {
			return Config{}, fmt.Errorf("parse model config: %w", err)
		}
		return c, nil
	}
	var h hfConfig
	if err := yaml.Unmarshal(data, &h); err != nil {
		return Config{}, fmt.Errorf("parse Hugging Face config: %w", err)
	}
	if h.HiddenAct != "" && h.HiddenAct != "gelu" {
		return Config{}, fmt.Errorf("parse Hugging Face config: hidden_act %q is not supported (only \"gelu\")", h.HiddenAct)
	}
	if h.PositionEmbedding != "" && h.PositionEmbedding != "absolute" {
		return Config{}, fmt.Errorf("parse Hugging Face config: position_embedding_type %q is not supported (only \"absolute\")", h.PositionEmbedding)
	}
	c := Config{
		Layers: h.NumHiddenLayers, Hidden: h.HiddenSize, Heads: h.NumAttentionHeads, FFN: h.IntermediateSize,
		Vocab: h.VocabSize, MaxPositions: h.MaxPositions, TypeVocab: h.TypeVocabSize,
	}
	if n := len(h.ID2Label); n > 0 {
		c.Labels = make([]string, n)
		for k, v := range h.ID2Label {
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= n {
				return Config{}, fmt.Errorf("parse Hugging Face config: id2label key %q is not an index in [0, %d)", k, n)
			}
			c.Labels[i] = v
		}
	}
	return c, nil
}

// Merge returns c with every non-zero field of o copied over it (labels
// when non-empty), and whether any dimension changed.
func (c Config) Merge(o Config) (Config, bool) {
	changed := false
	for _, f := range []struct{ dst, src *int }{
		{&c.Layers, &o.Layers}, {&c.Hidden, &o.Hidden}, {&c.Heads, &o.Heads}, {&c.FFN, &o.FFN},
		{&c.Vocab, &o.Vocab}, {&c.MaxPositions, &o.MaxPositions}, {&c.MaxSeqLen, &o.MaxSeqLen},
		{&c.TypeVocab, &o.TypeVocab},
	} {
		if *f.src != 0 && *f.src != *f.dst {
			*f.dst = *f.src
			changed = true
		}
	}
	if o.Name != "" {
		c.Name = o.Name
	}
	if len(o.Labels) > 0 {
		c.Labels = append([]string(nil), o.Labels...)
	}
	return c, changed
}
