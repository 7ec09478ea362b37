package inference

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// distilSST2Config is the config.json of the Hugging Face checkpoint
// distilbert-base-uncased-finetuned-sst-2-english.
const distilSST2Config = `{
  "activation": "gelu",
  "architectures": ["DistilBertForSequenceClassification"],
  "attention_dropout": 0.1,
  "dim": 768,
  "dropout": 0.1,
  "finetuning_task": "sst-2",
  "hidden_dim": 3072,
  "id2label": {"0": "NEGATIVE", "1": "POSITIVE"},
  "initializer_range": 0.02,
  "label2id": {"NEGATIVE": 0, "POSITIVE": 1},
  "max_position_embeddings": 512,
  "model_type": "distilbert",
  "n_heads": 12,
  "n_layers": 6,
  "output_past": true,
  "pad_token_id": 0,
  "qa_dropout": 0.1,
  "seq_classif_dropout": 0.2,
  "sinusoidal_pos_embds": false,
  "tie_weights_": true,
  "vocab_size": 30522
}`

// distilName maps a BertModel tensor name to its DistilBERT name (as
// transformers' modeling_distilbert.py names the same parameter), with
// prefix "distilbert." (DistilBertForSequenceClassification) or ""
// (DistilBertModel). The pooler maps to pre_classifier; token type
// embeddings have no DistilBERT counterpart (ok false). It is written out
// here, independently of the loader's own table, as the test's ground truth.
func distilName(bert, prefix string) (string, bool) {
	switch {
	case bert == "embeddings.token_type_embeddings.weight":
		return "", false
	case strings.HasPrefix(bert, "embeddings."):
		return prefix + bert, true
	case strings.HasPrefix(bert, "pooler.dense."):
		return "pre_classifier." + strings.TrimPrefix(bert, "pooler.dense."), true
	case strings.HasPrefix(bert, "classifier."):
		return bert, true
	}
	idx, tail, ok := strings.Cut(strings.TrimPrefix(bert, "encoder.layer."), ".")
	if !ok {
		panic("unexpected BERT tensor " + bert)
	}
	dot := strings.LastIndexByte(tail, '.')
	module, param := tail[:dot], tail[dot+1:]
	m, ok := map[string]string{
		"attention.self.query":       "attention.q_lin",
		"attention.self.key":         "attention.k_lin",
		"attention.self.value":       "attention.v_lin",
		"attention.output.dense":     "attention.out_lin",
		"attention.output.LayerNorm": "sa_layer_norm",
		"intermediate.dense":         "ffn.lin1",
		"output.dense":               "ffn.lin2",
		"output.LayerNorm":           "output_layer_norm",
	}[module]
	if !ok {
		panic("unexpected BERT module " + module)
	}
	return fmt.Sprintf("%stransformer.layer.%s.%s.%s", prefix, idx, m, param), true
}

// writeTensors writes tensors to a new safetensors file under t.TempDir.
func writeTensors(t *testing.T, tensors map[string]Tensor) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model.safetensors")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := WriteSafetensors(f, tensors, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	return path
}

// specTensors returns a model's tensors by name, renamed by rename (nil =
// keep; ok false = drop).
func specTensors(m *Model, rename func(string) (string, bool)) map[string]Tensor {
	out := map[string]Tensor{}
	for _, s := range m.specs {
		name, ok := s.name, true
		if rename != nil {
			name, ok = rename(s.name)
		}
		if ok {
			out[name] = Tensor{Shape: s.shape, Data: s.data}
		}
	}
	return out
}

// bertWithZeroTypes is the tiny BERT of the numerics tests with weights
// large enough for attention to be far from uniform, and zero token type
// embeddings: it computes exactly what a DistilBERT with the same other
// tensors computes.
func bertWithZeroTypes(t *testing.T) *Model {
	m := newTiny(t, WithSeed(11))
	for _, s := range m.specs {
		if s.init == initNormal {
			for i := range s.data {
				s.data[i] *= 25
			}
		}
	}
	clear(m.w.typ)
	return m
}

func TestDistilBERTLayoutMatchesBERT(t *testing.T) {
	t.Parallel()
	src := bertWithZeroTypes(t)
	bertPath := writeTensors(t, specTensors(src, nil))
	// BertForSequenceClassification: everything but the classifier under "bert.".
	bertSeqCls := writeTensors(t, specTensors(src, func(n string) (string, bool) {
		if strings.HasPrefix(n, "classifier.") {
			return n, true
		}
		return "bert." + n, true
	}))
	bert, err := New(tinyConfig(), WithWeightsFile(bertPath))
	if err != nil {
		t.Fatal(err)
	}
	encs := []Encoding{
		bert.tok.Encode("the quick brown fox jumps over the lazy dog"),
		bert.tok.EncodePair("is it raining", "no, it is sunny today"), // token types 1: DistilBERT ignores them
		bert.tok.Encode("short"),
	}
	ctx := context.Background()
	wantSent, err := bert.Sentiment(ctx, "great food, slow service")
	if err != nil {
		t.Fatal(err)
	}
	wantEmb, err := bert.Embed(ctx, "great food, slow service")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("BertForSequenceClassification bert. prefix", func(t *testing.T) {
		t.Parallel()
		m, err := New(tinyConfig(), WithWeightsFile(bertSeqCls))
		if err != nil {
			t.Fatal(err)
		}
		info := m.Info()
		if info.Config.Arch != ArchBERT || len(info.SyntheticTensors) != 0 || info.WeightsLabel != "" {
			t.Errorf("info = arch %q synthetic %v label %q, want bert, none, none", info.Config.Arch, info.SyntheticTensors, info.WeightsLabel)
		}
		got, err := m.Sentiment(ctx, "great food, slow service")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Probabilities, wantSent.Probabilities) {
			t.Errorf("sentiment %v, want %v (unprefixed file)", got.Probabilities, wantSent.Probabilities)
		}
	})

	for _, prefix := range []string{"distilbert.", ""} {
		t.Run(fmt.Sprintf("prefix %q", prefix), func(t *testing.T) {
			t.Parallel()
			path := writeTensors(t, specTensors(src, func(n string) (string, bool) { return distilName(n, prefix) }))
			// tinyConfig has no Arch and TypeVocab 2: the file's names decide.
			m, err := New(tinyConfig(), WithWeightsFile(path))
			if err != nil {
				t.Fatal(err)
			}
			info := m.Info()
			if info.Config.Arch != ArchDistilBERT || info.Config.TypeVocab != 0 {
				t.Errorf("arch %q type_vocab %d, want %q 0", info.Config.Arch, info.Config.TypeVocab, ArchDistilBERT)
			}
			if info.WeightsKind != WeightsSafetensors || info.WeightsLabel != "" || len(info.SyntheticTensors) != 0 {
				t.Errorf("info = %+v, want real weights with nothing synthetic", info)
			}
			h := tinyConfig().Hidden
			if want := bert.Info().Params - int64(2*h); info.Params != want || info.MemoryBytes != 4*want {
				t.Errorf("params %d, memory %d; want %d (BERT's minus the token type table)", info.Params, info.MemoryBytes, want)
			}
			for seq := range encs {
				want := hidden(t, bert, encs, seq)
				got := hidden(t, m, encs, seq)
				for i := range want {
					if !slices.Equal(got[i], want[i]) {
						t.Fatalf("sequence %d token %d: DistilBERT %v, BERT %v", seq, i, got[i], want[i])
					}
				}
			}
			emb, err := m.Embed(ctx, "great food, slow service")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(emb.Embedding, wantEmb.Embedding) {
				t.Errorf("embedding differs: %v vs %v", emb.Embedding, wantEmb.Embedding)
			}
			// The heads differ (ReLU pre_classifier vs tanh pooler) over the
			// same [CLS] state, so the probabilities must differ.
			sent, err := m.Sentiment(ctx, "great food, slow service")
			if err != nil {
				t.Fatal(err)
			}
			if slices.Equal(sent.Probabilities, wantSent.Probabilities) {
				t.Errorf("DistilBERT head gave BERT's probabilities %v", sent.Probabilities)
			}
			// SaveWeights writes DistilBertForSequenceClassification names.
			saved := filepath.Join(t.TempDir(), "saved.safetensors")
			if err := m.SaveWeights(saved); err != nil {
				t.Fatal(err)
			}
			again, err := New(info.Config, WithWeightsFile(saved))
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := again.specByName("distilbert.transformer.layer.1.ffn.lin2.weight"); !ok {
				t.Errorf("saved names: %v", again.specNames())
			}
			s2, _ := again.Sentiment(ctx, "great food, slow service")
			if !slices.Equal(s2.Probabilities, sent.Probabilities) {
				t.Errorf("after SaveWeights: %v, want %v", s2.Probabilities, sent.Probabilities)
			}
		})
	}
}

func (m *Model) specByName(name string) (tensorSpec, bool) {
	for _, s := range m.specs {
		if s.name == name {
			return s, true
		}
	}
	return tensorSpec{}, false
}

func (m *Model) specNames() []string {
	var out []string
	for _, s := range m.specs {
		out = append(out, s.name)
	}
	return out
}

// TestDistilBERTHead checks DistilBertForSequenceClassification's head,
// softmax(Wc·ReLU(Wp·h_CLS + bp) + bc), against a hand-computed one on a
// hidden-4 model whose head weights are set by hand.
func TestDistilBERTHead(t *testing.T) {
	t.Parallel()
	cfg := Config{Name: "tiny-distil", Arch: ArchDistilBERT, Layers: 1, Hidden: 4, Heads: 1, FFN: 8, Vocab: 50,
		MaxPositions: 16, MaxSeqLen: 12, Labels: []string{"NEGATIVE", "POSITIVE"}}
	src, err := New(cfg, WithSeed(3))
	if err != nil {
		t.Fatal(err)
	}
	tensors := specTensors(src, nil)
	// pre_classifier: z = (h0, −h1, 2·h2, −1); ReLU zeroes the last unit
	// always (tanh would give −0.76) and, as h is LayerNorm output with
	// mean 0, some of the others.
	tensors["pre_classifier.weight"] = Tensor{Shape: []int{4, 4}, Data: []float32{
		1, 0, 0, 0,
		0, -1, 0, 0,
		0, 0, 2, 0,
		0, 0, 0, 0,
	}}
	tensors["pre_classifier.bias"] = Tensor{Shape: []int{4}, Data: []float32{0, 0, 0, -1}}
	// classifier: logit0 = Σ ReLU(z), logit1 = 0.5 − ReLU(z0).
	tensors["classifier.weight"] = Tensor{Shape: []int{2, 4}, Data: []float32{1, 1, 1, 1, -1, 0, 0, 0}}
	tensors["classifier.bias"] = Tensor{Shape: []int{2}, Data: []float32{0, 0.5}}
	m, err := New(cfg, WithWeightsFile(writeTensors(t, tensors)))
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"great food", "the soup arrived cold and the bill was wrong", "x"} {
		enc := m.tok.Encode(text)
		cls := hidden(t, m, []Encoding{enc}, 0)[0]
		relu := func(x float64) float64 { return math.Max(x, 0) }
		z := []float64{relu(float64(cls[0])), relu(-float64(cls[1])), relu(2 * float64(cls[2])), relu(-1)}
		l0, l1 := z[0]+z[1]+z[2]+z[3], 0.5-z[0]
		p1 := 1 / (1 + math.Exp(l0-l1))
		want := []float64{1 - p1, p1}
		got, err := m.Sentiment(context.Background(), text)
		if err != nil {
			t.Fatal(err)
		}
		for c := range want {
			if math.Abs(got.Probabilities[c]-want[c]) > 1e-6 {
				t.Errorf("%q: probabilities %v, want %v (h_CLS %v)", text, got.Probabilities, want, cls)
				break
			}
		}
		wantLabel := "NEGATIVE"
		if p1 > 0.5 {
			wantLabel = "POSITIVE"
		}
		if got.Label != wantLabel {
			t.Errorf("%q: label %q, want %q", text, got.Label, wantLabel)
		}
		// The same weights under tanh (BERT's pooler) give other numbers,
		// so this test tells the two heads apart.
		tz := []float64{math.Tanh(float64(cls[0])), math.Tanh(-float64(cls[1])), math.Tanh(2 * float64(cls[2])), math.Tanh(-1)}
		tp1 := 1 / (1 + math.Exp(tz[0]+tz[1]+tz[2]+tz[3]-(0.5-tz[0])))
		if math.Abs(tp1-p1) < 1e-3 {
			t.Errorf("%q: tanh and ReLU heads agree (%v), the test cannot tell them apart", text, p1)
		}
	}
}

func TestDistilBERTRefusesBadFiles(t *testing.T) {
	t.Parallel()
	src := bertWithZeroTypes(t)
	distil := specTensors(src, func(n string) (string, bool) { return distilName(n, "distilbert.") })
	bare := specTensors(src, func(n string) (string, bool) { return distilName(n, "") })
	edited := func(base map[string]Tensor, edit func(map[string]Tensor)) map[string]Tensor {
		ts := map[string]Tensor{}
		for k, v := range base {
			ts[k] = v
		}
		edit(ts)
		return ts
	}
	distilCfg := tinyConfig()
	distilCfg.Arch, distilCfg.TypeVocab = ArchDistilBERT, 0
	tests := []struct {
		name    string
		tensors map[string]Tensor
		cfg     func(*Config)
		want    []string
	}{
		{"missing tensor", edited(distil, func(ts map[string]Tensor) { delete(ts, "distilbert.transformer.layer.1.ffn.lin2.weight") }), nil,
			[]string{`missing tensor "distilbert.transformer.layer.1.ffn.lin2.weight" (want shape [8 16])`}},
		{"mis-shaped tensor", edited(distil, func(ts map[string]Tensor) {
			ts["distilbert.transformer.layer.0.attention.k_lin.weight"] = Tensor{Shape: []int{4, 8}, Data: make([]float32, 32)}
		}), nil, []string{`tensor "distilbert.transformer.layer.0.attention.k_lin.weight" has shape [4 8], want [8 8]`}},
		{"mis-shaped tensor without prefix", edited(bare, func(ts map[string]Tensor) {
			ts["transformer.layer.0.sa_layer_norm.weight"] = Tensor{Shape: []int{7}, Data: make([]float32, 7)}
		}), nil, []string{`tensor "transformer.layer.0.sa_layer_norm.weight" has shape [7], want [8]`}},
		{"config shape differs from the tensors", distil, func(c *Config) { c.FFN = 32 }, []string{
			`tensor "distilbert.transformer.layer.0.ffn.lin1.weight" has shape [16 8], want [32 8]`,
			"wanted shapes are from the model config tiny (arch distilbert, layers 2, hidden 8, heads 2, ffn 32"}},
		{"classifier classes differ from labels", distil, func(c *Config) { c.Labels = []string{"NEGATIVE", "POSITIVE"} },
			[]string{`tensor "classifier.weight" has shape [3 8], want [2 8]`, "the file's classifier has 3 classes, the model config 2 labels"}},
		{"config says bert, names say distilbert", distil, func(c *Config) { c.Arch = ArchBERT },
			[]string{`the model config says arch "bert" but the tensor names are distilbert's`}},
		{"config says distilbert, names say bert", specTensors(src, nil), func(c *Config) { c.Arch, c.TypeVocab = ArchDistilBERT, 0 },
			[]string{`the model config says arch "distilbert" but the tensor names are bert's`}},
		{"both layouts in one file", edited(distil, func(ts map[string]Tensor) {
			ts["encoder.layer.0.attention.self.query.weight"] = Tensor{Shape: []int{8, 8}, Data: make([]float32, 64)}
		}), nil, []string{"tensor names of both layouts"}},
		{"type_vocab set for distilbert", distil, func(c *Config) { c.Arch, c.TypeVocab = ArchDistilBERT, 2 },
			[]string{"type_vocab must be 0 for distilbert"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tinyConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			_, err := New(cfg, WithWeightsFile(writeTensors(t, tt.tensors)))
			if err == nil {
				t.Fatal("loaded; want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v\nwant it to contain %q", err, w)
				}
			}
		})
	}
	t.Run("bad weights are ErrBadWeights", func(t *testing.T) {
		t.Parallel()
		_, err := New(distilCfg, WithWeightsFile(writeTensors(t, edited(distil, func(ts map[string]Tensor) {
			delete(ts, "distilbert.embeddings.position_embeddings.weight")
		}))))
		if !errors.Is(err, ErrBadWeights) || !strings.Contains(err.Error(), `"distilbert.embeddings.position_embeddings.weight"`) {
			t.Errorf("err = %v, want ErrBadWeights naming the position table", err)
		}
	})
	t.Run("absent head is generated and listed", func(t *testing.T) {
		t.Parallel()
		m, err := New(distilCfg, WithWeightsFile(writeTensors(t, edited(distil, func(ts map[string]Tensor) {
			delete(ts, "pre_classifier.weight")
			delete(ts, "pre_classifier.bias")
		}))))
		if err != nil {
			t.Fatal(err)
		}
		info := m.Info()
		if !slices.Equal(info.SyntheticTensors, []string{"pre_classifier.weight", "pre_classifier.bias"}) || info.WeightsLabel != PartialSyntheticLabel {
			t.Errorf("synthetic %v, label %q", info.SyntheticTensors, info.WeightsLabel)
		}
	})
}

func TestConfigArch(t *testing.T) {
	t.Parallel()
	sst2, err := ParseConfig([]byte(distilSST2Config))
	if err != nil {
		t.Fatal(err)
	}
	base, _ := Preset("tinybert-4l-312")
	merged, changed := base.Merge(sst2)
	if !changed || merged.Arch != ArchDistilBERT || merged.TypeVocab != 0 || merged.Layers != 6 || merged.Hidden != 768 ||
		!slices.Equal(merged.Labels, []string{"NEGATIVE", "POSITIVE"}) {
		t.Errorf("merged = %+v, %v", merged, changed)
	}
	if err := merged.Validate(); err != nil {
		t.Error(err)
	}
	// distilbert-base-uncased-finetuned-sst-2-english has 66,955,010 parameters.
	if got := merged.Params(); got != 66955010 {
		t.Errorf("Params = %d, want 66955010", got)
	}
	if _, changed := merged.Merge(Config{Arch: ArchDistilBERT}); changed {
		t.Error("merging the same arch reported a change")
	}
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"unknown arch", func(c *Config) { c.Arch = "gpt2" }, `arch "gpt2" is not supported`},
		{"distilbert with token types", func(c *Config) { c.Arch, c.TypeVocab = ArchDistilBERT, 2 }, "type_vocab must be 0"},
		{"bert without token types", func(c *Config) { c.Arch, c.TypeVocab = ArchBERT, 0 }, "type_vocab must be positive"},
		{"negative eps", func(c *Config) { c.LayerNormEps = -1 }, "layer_norm_eps"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tinyConfig()
			tt.edit(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestLayerNormEpsUsed checks that Config.LayerNormEps reaches the forward
// pass: a large ε shrinks the normalised embeddings.
func TestLayerNormEpsUsed(t *testing.T) {
	t.Parallel()
	small := newTiny(t)
	cfg := tinyConfig()
	cfg.LayerNormEps = 0.5
	big, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	enc := small.tok.Encode("hello world")
	a, b := hidden(t, small, []Encoding{enc}, 0), hidden(t, big, []Encoding{enc}, 0)
	if slices.Equal(a[0], b[0]) {
		t.Error("layer_norm_eps 0.5 gave the same hidden states as 1e-12")
	}
}
