package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/benchctl/benchctl/inference"
)

// ModelOptions are the model-selection flags shared by `benchctl serve` and
// `benchctl function`: a preset, an optional config file or Hugging Face
// checkpoint directory, shape overrides, labels, weights, vocabulary and
// the seed of synthetic weights. With --weights and no --config, a
// config.json next to the weights file is the config file.
type ModelOptions struct {
	// Model is a preset name; ConfigFile a YAML/JSON model config (its
	// fields override the preset's); Shape holds --layers/--hidden/...
	// overrides (0 = keep).
	Model      string
	ModelDir   string
	ConfigFile string
	Name       string
	Shape      inference.Config
	Labels     []string
	// WeightsFile is a safetensors file, VocabFile a vocab.txt; Seed seeds
	// synthetic weights.
	WeightsFile string
	VocabFile   string
	Seed        uint64
}

// modelFlagsUsage is the Options text of the model flags, shared by the
// usage of serve and function; modelDefault describes --model's default.
func modelFlagsUsage(modelDefault string) string {
	return `  --model NAME           preset: ` + strings.Join(inference.PresetNames(), ", ") + `
                         (` + modelDefault + `)
  --model-dir DIR        a Hugging Face BERT or DistilBERT checkpoint directory:
                         shorthand for --config DIR/config.json --weights
                         DIR/model.safetensors --vocab DIR/vocab.txt (each if
                         present; the flags win) and --name <directory name>
  --config FILE          model config: benchctl YAML/JSON (name, layers, hidden,
                         heads, ffn, vocab, max_positions, max_seq_len,
                         type_vocab, arch, layer_norm_eps, labels) or a Hugging
                         Face BERT or DistilBERT config.json (num_hidden_layers,
                         hidden_size, ... / n_layers, dim, ...; id2label gives
                         the labels); fields it sets override the preset.
                         Default with --weights: config.json next to the
                         weights file, if there is one (the model is then
                         named after its directory)
  --name NAME            model name shown in reports (default: preset name, or
                         "custom-<layers>l-<hidden>" for a changed shape)
  --layers, --hidden, --heads, --ffn, --vocab-size, --max-positions,
  --max-seq-len, --type-vocab N
                         override one dimension of the shape
  --labels A,B,C         sentiment classes (default negative,neutral,positive)
  --weights FILE         safetensors weights with Hugging Face BERT or DistilBERT
                         tensor names (the layout is detected from the names);
                         shape flags or --labels that contradict the config
                         file are refused
  --vocab FILE           BERT uncased vocab.txt (WordPiece)
  --seed N               seed of synthetic weights (default ` + fmt.Sprint(inference.DefaultSeed) + `)`
}

// addModelFlags registers the model flags on f, bound to m; defaultModel
// is the --model default ("" = none).
func addModelFlags(f *pflag.FlagSet, m *ModelOptions, defaultModel string) {
	f.StringVar(&m.Model, "model", defaultModel, "preset name")
	f.StringVar(&m.ModelDir, "model-dir", "", "Hugging Face model directory (config.json, model.safetensors, vocab.txt)")
	f.StringVar(&m.ConfigFile, "config", "", "YAML/JSON model config file")
	f.StringVar(&m.Name, "name", "", "model name shown in reports")
	f.IntVar(&m.Shape.Layers, "layers", 0, "transformer layers")
	f.IntVar(&m.Shape.Hidden, "hidden", 0, "hidden size")
	f.IntVar(&m.Shape.Heads, "heads", 0, "attention heads")
	f.IntVar(&m.Shape.FFN, "ffn", 0, "feed-forward size")
	f.IntVar(&m.Shape.Vocab, "vocab-size", 0, "word embedding rows")
	f.IntVar(&m.Shape.MaxPositions, "max-positions", 0, "position embedding rows")
	f.IntVar(&m.Shape.MaxSeqLen, "max-seq-len", 0, "truncation length in tokens")
	f.IntVar(&m.Shape.TypeVocab, "type-vocab", 0, "token type embedding rows")
	f.StringSliceVar(&m.Labels, "labels", nil, "sentiment classes")
	f.StringVar(&m.WeightsFile, "weights", "", "safetensors weights file")
	f.StringVar(&m.VocabFile, "vocab", "", "BERT vocab.txt")
	f.Uint64Var(&m.Seed, "seed", inference.DefaultSeed, "seed of synthetic weights")
}

// applyModelDir fills ConfigFile, WeightsFile, VocabFile and Name from a
// Hugging Face checkpoint directory where the flags left them empty; cmd
// prefixes errors.
func (m *ModelOptions) applyModelDir(cmd string) error {
	fi, err := os.Stat(m.ModelDir)
	if err != nil || !fi.IsDir() {
		return &FlagError{Err: fmt.Errorf("%s: --model-dir %q is not a directory", cmd, m.ModelDir)}
	}
	for _, f := range []struct {
		dst  *string
		name string
	}{{&m.ConfigFile, "config.json"}, {&m.WeightsFile, "model.safetensors"}, {&m.VocabFile, "vocab.txt"}} {
		p := filepath.Join(m.ModelDir, f.name)
		if _, err := os.Stat(p); *f.dst == "" && err == nil {
			*f.dst = p
		}
	}
	if m.WeightsFile == "" {
		return &FlagError{Err: fmt.Errorf("%s: --model-dir %s has no model.safetensors", cmd, m.ModelDir)}
	}
	if m.Name == "" {
		m.Name = filepath.Base(filepath.Clean(m.ModelDir))
	}
	return nil
}

// configSource returns the model config file: --config, else (with
// --weights) a config.json next to the weights file if it exists, else "".
// auto says it was found next to the weights.
func (m *ModelOptions) configSource() (path string, auto bool) {
	if m.ConfigFile != "" {
		return m.ConfigFile, false
	}
	if m.WeightsFile == "" {
		return "", false
	}
	p := filepath.Join(filepath.Dir(m.WeightsFile), "config.json")
	if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
		return p, true
	}
	return "", false
}

// config resolves the model config: preset, then config file (--config or
// the config.json next to --weights), then shape flags. With --weights, a
// shape flag or a --labels count that contradicts the config file is
// refused (the file describes the checkpoint's tensors). A changed shape
// without a name from --name or the file is named "custom-<layers>l-<hidden>";
// a config.json found next to the weights names the model after its
// directory. cmd prefixes errors, which are FlagErrors.
func (m *ModelOptions) config(cmd string) (inference.Config, error) {
	cfg, err := inference.Preset(m.Model)
	if err != nil {
		return cfg, &FlagError{Err: fmt.Errorf("%s: --model: %w", cmd, err)}
	}
	changed, named := false, false
	if path, auto := m.configSource(); path != "" {
		what := "--config " + path
		if auto {
			what = "config.json next to --weights (" + path + ")"
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, &FlagError{Err: fmt.Errorf("%s: %s: %w", cmd, what, err)}
		}
		fileCfg, err := inference.ParseConfig(b)
		if err != nil {
			return cfg, &FlagError{Err: fmt.Errorf("%s: %s: %w", cmd, what, err)}
		}
		if m.WeightsFile != "" {
			if err := m.checkAgainst(fileCfg, what); err != nil {
				return cfg, &FlagError{Err: fmt.Errorf("%s: %w", cmd, err)}
			}
		}
		cfg, changed = cfg.Merge(fileCfg)
		named = fileCfg.Name != ""
		if auto && !named {
			if abs, err := filepath.Abs(path); err == nil {
				cfg.Name, named = filepath.Base(filepath.Dir(abs)), true
			}
		}
	}
	shape := m.Shape
	shape.Name, shape.Labels = "", m.Labels
	cfg, flagChanged := cfg.Merge(shape)
	changed = changed || flagChanged
	if m.Shape.MaxSeqLen == 0 && cfg.MaxSeqLen > cfg.MaxPositions {
		cfg.MaxSeqLen = cfg.MaxPositions // a small custom position table
	}
	switch {
	case m.Name != "":
		cfg.Name = m.Name
	case changed && !named:
		cfg.Name = fmt.Sprintf("custom-%dl-%d", cfg.Layers, cfg.Hidden)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, &FlagError{Err: fmt.Errorf("%s: %w", cmd, err)}
	}
	return cfg, nil
}

// checkAgainst refuses shape flags, and a --labels count, that differ from
// what the config file (described by what) sets.
func (m *ModelOptions) checkAgainst(file inference.Config, what string) error {
	for _, f := range []struct {
		flag, field  string
		flagV, fileV int
	}{
		{"--layers", "layers", m.Shape.Layers, file.Layers},
		{"--hidden", "hidden", m.Shape.Hidden, file.Hidden},
		{"--heads", "heads", m.Shape.Heads, file.Heads},
		{"--ffn", "ffn", m.Shape.FFN, file.FFN},
		{"--vocab-size", "vocab", m.Shape.Vocab, file.Vocab},
		{"--max-positions", "max_positions", m.Shape.MaxPositions, file.MaxPositions},
		{"--type-vocab", "type_vocab", m.Shape.TypeVocab, file.TypeVocab},
	} {
		if f.flagV != 0 && f.fileV != 0 && f.flagV != f.fileV {
			return fmt.Errorf("%s %d contradicts %s, which sets %s %d (the weights must have the config's shapes)",
				f.flag, f.flagV, what, f.field, f.fileV)
		}
	}
	if len(m.Labels) > 0 && len(file.Labels) > 0 && len(m.Labels) != len(file.Labels) {
		return fmt.Errorf("--labels names %d classes but %s has %d (id2label %v)", len(m.Labels), what, len(file.Labels), file.Labels)
	}
	return nil
}

// newModel resolves the config and loads the model. Unusable weights,
// vocabulary or config files are FlagErrors; without a config file, a
// weights/config mismatch gets a hint to give the checkpoint's config.json.
func (m *ModelOptions) newModel(cmd string) (*inference.Model, error) {
	cfg, err := m.config(cmd)
	if err != nil {
		return nil, err
	}
	model, err := inference.New(cfg, m.loadOptions()...)
	if err != nil {
		err = fmt.Errorf("%s: loading model %s: %w", cmd, cfg.Name, err)
		if errors.Is(err, inference.ErrBadWeights) {
			if path, _ := m.configSource(); path == "" {
				err = fmt.Errorf("%w; no config file was given: put the checkpoint's config.json next to the weights file or pass --config", err)
			}
			return nil, &FlagError{Err: err}
		}
		if errors.Is(err, os.ErrNotExist) {
			return nil, &FlagError{Err: err}
		}
		return nil, err
	}
	return model, nil
}

// loadOptions are the inference options for the weights, vocabulary and
// seed flags.
func (m *ModelOptions) loadOptions() []inference.Option {
	mopts := []inference.Option{inference.WithSeed(m.Seed)}
	if m.WeightsFile != "" {
		mopts = append(mopts, inference.WithWeightsFile(m.WeightsFile))
	}
	if m.VocabFile != "" {
		mopts = append(mopts, inference.WithVocabFile(m.VocabFile))
	}
	return mopts
}
