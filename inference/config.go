package inference

import (
	"bytes"
	"errors"
	"fmt"
	"math"
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

// Architectures (Config.Arch): the tensor layout and head of a checkpoint.
// Both compute the same post-LayerNorm encoder; they differ in names and
// in two details:
//
//	ArchBERT        word + position + token type embeddings; sentiment head
//	                tanh(pooler(h_CLS)) → classifier (BertForSequenceClassification)
//	ArchDistilBERT  word + position embeddings (no token types, TypeVocab 0);
//	                sentiment head ReLU(pre_classifier(h_CLS)) → classifier
//	                (DistilBertForSequenceClassification)
//
// An empty Arch means ArchBERT, except that a weights file with DistilBERT
// tensor names switches it to ArchDistilBERT (see WithWeightsFile).
const (
	ArchBERT       = "bert"
	ArchDistilBERT = "distilbert"
)

// DefaultLayerNormEps is BERT's and DistilBERT's LayerNorm ε, used when
// Config.LayerNormEps is 0.
const DefaultLayerNormEps = 1e-12

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
	// TypeVocab is the token type (segment) embedding table size; 0 for
	// ArchDistilBERT, which has no token type embeddings.
	TypeVocab int `json:"type_vocab" yaml:"type_vocab"`
	// Arch is the architecture: ArchBERT, ArchDistilBERT, or empty (BERT
	// unless the weights file's tensor names say DistilBERT).
	Arch string `json:"arch,omitempty" yaml:"arch,omitempty"`
	// LayerNormEps is the LayerNorm ε; 0 means DefaultLayerNormEps.
	LayerNormEps float64 `json:"layer_norm_eps,omitempty" yaml:"layer_norm_eps,omitempty"`
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

// Validate checks that the shape is usable: a known Arch, every size
// positive (TypeVocab: positive for BERT, 0 for DistilBERT), Hidden a
// multiple of Heads, MaxSeqLen between 2 and MaxPositions, LayerNormEps in
// [0, 1), labels unique and non-empty.
func (c Config) Validate() error {
	switch c.Arch {
	case "", ArchBERT, ArchDistilBERT:
	default:
		return fmt.Errorf("model config %q: arch %q is not supported (must be one of [%s, %s])", c.Name, c.Arch, ArchBERT, ArchDistilBERT)
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"layers", c.Layers}, {"hidden", c.Hidden}, {"heads", c.Heads}, {"ffn", c.FFN},
		{"vocab", c.Vocab}, {"max_positions", c.MaxPositions}, {"max_seq_len", c.MaxSeqLen},
		{"type_vocab", c.TypeVocab},
	} {
		if f.name == "type_vocab" && c.Arch == ArchDistilBERT {
			if f.v != 0 {
				return fmt.Errorf("model config %q: type_vocab must be 0 for %s (it has no token type embeddings), got %d", c.Name, ArchDistilBERT, f.v)
			}
			continue
		}
		if f.v <= 0 {
			return fmt.Errorf("model config %q: %s must be positive, got %d", c.Name, f.name, f.v)
		}
	}
	if c.LayerNormEps < 0 || c.LayerNormEps >= 1 || math.IsNaN(c.LayerNormEps) {
		return fmt.Errorf("model config %q: layer_norm_eps %g must be in [0, 1)", c.Name, c.LayerNormEps)
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

// arch returns Arch, with empty meaning ArchBERT.
func (c Config) arch() string {
	if c.Arch == "" {
		return ArchBERT
	}
	return c.Arch
}

// layerNormEps returns LayerNormEps or DefaultLayerNormEps.
func (c Config) layerNormEps() float64 {
	if c.LayerNormEps == 0 {
		return DefaultLayerNormEps
	}
	return c.LayerNormEps
}

// shapeString summarises the shape for error messages, e.g.
// "tinybert-4l-312 (arch bert, layers 4, hidden 312, heads 12, ffn 1200,
// vocab 30522, max_positions 512, type_vocab 2, labels 3)".
func (c Config) shapeString() string {
	return fmt.Sprintf("%s (arch %s, layers %d, hidden %d, heads %d, ffn %d, vocab %d, max_positions %d, type_vocab %d, labels %d)",
		c.Name, c.arch(), c.Layers, c.Hidden, c.Heads, c.FFN, c.Vocab, c.MaxPositions, c.TypeVocab, len(c.labels()))
}

// labels returns Labels or the defaults.
func (c Config) labels() []string {
	if len(c.Labels) == 0 {
		return DefaultLabels()
	}
	return c.Labels
}

// Params is the parameter count of the encoder, its pooler (BERT) or
// pre_classifier (DistilBERT) and the sentiment classifier:
//
//	embeddings  (Vocab + MaxPositions + TypeVocab)·H + 2H        (tables + LayerNorm)
//	per layer   4·(H² + H) + 2H + 2·H·FFN + FFN + H + 2H         (Q,K,V,O; LN; FFN; LN)
//	pooler      H² + H                                           (or pre_classifier)
//	classifier  len(Labels)·H + len(Labels)
//
// tinybert-4l-312 has ≈ 14.4 M, bert-base-12l-768 ≈ 109.5 M; a DistilBERT
// (TypeVocab 0) with 6 layers, hidden 768 and 2 labels ≈ 66.96 M, as
// distilbert-base-uncased-finetuned-sst-2-english.
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

// hfConfig is the subset of a Hugging Face BERT or DistilBERT config.json
// benchctl reads. The two use different keys for the same dimensions.
type hfConfig struct {
	ModelType    string            `yaml:"model_type"`
	VocabSize    int               `yaml:"vocab_size"`
	MaxPositions int               `yaml:"max_position_embeddings"`
	ID2Label     map[string]string `yaml:"id2label"`
	// BERT (BertConfig).
	NumHiddenLayers   int     `yaml:"num_hidden_layers"`
	HiddenSize        int     `yaml:"hidden_size"`
	NumAttentionHeads int     `yaml:"num_attention_heads"`
	IntermediateSize  int     `yaml:"intermediate_size"`
	TypeVocabSize     int     `yaml:"type_vocab_size"`
	HiddenAct         string  `yaml:"hidden_act"`
	LayerNormEps      float64 `yaml:"layer_norm_eps"`
	PositionEmbedding string  `yaml:"position_embedding_type"`
	// DistilBERT (DistilBertConfig).
	NLayers    int    `yaml:"n_layers"`
	Dim        int    `yaml:"dim"`
	NHeads     int    `yaml:"n_heads"`
	HiddenDim  int    `yaml:"hidden_dim"`
	Activation string `yaml:"activation"`
}

// isHFConfig says whether a parsed config document is a Hugging Face one:
// it has a model_type, or BERT's num_hidden_layers, or DistilBERT's
// n_layers.
func isHFConfig(probe map[string]any) bool {
	for _, k := range []string{"model_type", "num_hidden_layers", "n_layers"} {
		if _, ok := probe[k]; ok {
			return true
		}
	}
	return false
}

// ParseConfig reads a model config in either of two forms (YAML or JSON):
//
//   - benchctl's own keys (the Config JSON/YAML tags: name, layers, hidden,
//     heads, ffn, vocab, max_positions, max_seq_len, type_vocab, arch,
//     layer_norm_eps, labels);
//   - a Hugging Face config.json, recognised by model_type,
//     num_hidden_layers or n_layers:
//     BERT (model_type "bert" or absent): num_hidden_layers, hidden_size,
//     num_attention_heads, intermediate_size, vocab_size,
//     max_position_embeddings, type_vocab_size, layer_norm_eps, id2label;
//     hidden_act must be "gelu" and position_embedding_type "absolute" (or
//     absent). DistilBERT (model_type "distilbert"): n_layers, dim,
//     n_heads, hidden_dim, vocab_size, max_position_embeddings, id2label;
//     activation must be "gelu". Any other model_type is refused. Arch is
//     set (ArchBERT or ArchDistilBERT); Labels come from id2label in index
//     order.
//
// Fields the file leaves out stay zero; merge them onto a preset.
func ParseConfig(data []byte) (Config, error) {
	var probe map[string]any
	if err := yaml.Unmarshal(data, &probe); err != nil {
		return Config{}, fmt.Errorf("parse model config: %w", err)
	}
	if !isHFConfig(probe) {
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
	if h.ModelType == "" {
		if _, distil := probe["n_layers"]; distil {
			h.ModelType = ArchDistilBERT
		} else {
			h.ModelType = ArchBERT
		}
	}
	var c Config
	var actKey, act string // the activation: BERT's hidden_act, DistilBERT's activation
	switch h.ModelType {
	case ArchBERT:
		actKey, act = "hidden_act", h.HiddenAct
		if h.PositionEmbedding != "" && h.PositionEmbedding != "absolute" {
			return Config{}, fmt.Errorf("parse Hugging Face config: position_embedding_type %q is not supported (only \"absolute\")", h.PositionEmbedding)
		}
		c = Config{
			Arch: ArchBERT, Layers: h.NumHiddenLayers, Hidden: h.HiddenSize, Heads: h.NumAttentionHeads, FFN: h.IntermediateSize,
			Vocab: h.VocabSize, MaxPositions: h.MaxPositions, TypeVocab: h.TypeVocabSize, LayerNormEps: h.LayerNormEps,
		}
	case ArchDistilBERT:
		actKey, act = "activation", h.Activation
		c = Config{
			Arch: ArchDistilBERT, Layers: h.NLayers, Hidden: h.Dim, Heads: h.NHeads, FFN: h.HiddenDim,
			Vocab: h.VocabSize, MaxPositions: h.MaxPositions,
		}
	default:
		return Config{}, fmt.Errorf("parse Hugging Face config: model_type %q is not supported (only %q and %q)", h.ModelType, ArchBERT, ArchDistilBERT)
	}
	if act != "" && act != "gelu" {
		return Config{}, fmt.Errorf("parse Hugging Face config: %s %q is not supported (only \"gelu\", the exact erf GELU)", actKey, act)
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
// when non-empty), and whether any dimension or the architecture changed.
// Merging Arch ArchDistilBERT also zeroes TypeVocab (DistilBERT has no
// token type embeddings) unless o sets it.
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
	if o.Arch != "" && o.Arch != c.Arch {
		if c.arch() != o.Arch {
			changed = true
		}
		c.Arch = o.Arch
	}
	if c.Arch == ArchDistilBERT && o.TypeVocab == 0 {
		c.TypeVocab = 0
	}
	if o.LayerNormEps != 0 {
		c.LayerNormEps = o.LayerNormEps
	}
	if o.Name != "" {
		c.Name = o.Name
	}
	if len(o.Labels) > 0 {
		c.Labels = append([]string(nil), o.Labels...)
	}
	return c, changed
}
