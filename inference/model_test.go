package inference

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// tinyConfig is the 2-layer, hidden-8 model of the numerics tests.
func tinyConfig() Config {
	return Config{Name: "tiny", Layers: 2, Hidden: 8, Heads: 2, FFN: 16, Vocab: 50,
		MaxPositions: 32, MaxSeqLen: 24, TypeVocab: 2}
}

func newTiny(t testing.TB, opts ...Option) *Model {
	t.Helper()
	m, err := New(tinyConfig(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// naiveForward is a direct, loop-by-loop float64 BERT encoder over one
// sequence using the tensors by their Hugging Face names: the reference
// the optimised forward pass is checked against.
func naiveForward(m *Model, e Encoding) [][]float64 {
	cfg := m.cfg
	T := map[string][]float32{}
	for _, s := range m.specs {
		T[s.name] = s.data
	}
	H, F, nh := cfg.Hidden, cfg.FFN, cfg.Heads
	dh := H / nh
	n := e.Len()
	linear := func(x [][]float64, w, b []float32, out, in int) [][]float64 {
		y := make([][]float64, len(x))
		for r := range x {
			y[r] = make([]float64, out)
			for o := 0; o < out; o++ {
				s := float64(b[o])
				for i := 0; i < in; i++ {
					s += float64(w[o*in+i]) * x[r][i]
				}
				y[r][o] = s
			}
		}
		return y
	}
	ln := func(x [][]float64, g, b []float32) {
		for _, row := range x {
			var mean, v float64
			for _, a := range row {
				mean += a
			}
			mean /= float64(len(row))
			for _, a := range row {
				v += (a - mean) * (a - mean)
			}
			v /= float64(len(row))
			for i := range row {
				row[i] = (row[i]-mean)/math.Sqrt(v+1e-12)*float64(g[i]) + float64(b[i])
			}
		}
	}
	x := make([][]float64, n)
	for t := 0; t < n; t++ {
		x[t] = make([]float64, H)
		id, tt := int(e.IDs[t]), int(e.TypeIDs[t])
		for i := 0; i < H; i++ {
			x[t][i] = float64(T["embeddings.word_embeddings.weight"][id*H+i]) +
				float64(T["embeddings.position_embeddings.weight"][t*H+i]) +
				float64(T["embeddings.token_type_embeddings.weight"][tt*H+i])
		}
	}
	ln(x, T["embeddings.LayerNorm.weight"], T["embeddings.LayerNorm.bias"])
	for l := 0; l < cfg.Layers; l++ {
		p := fmt.Sprintf("encoder.layer.%d.", l)
		q := linear(x, T[p+"attention.self.query.weight"], T[p+"attention.self.query.bias"], H, H)
		k := linear(x, T[p+"attention.self.key.weight"], T[p+"attention.self.key.bias"], H, H)
		v := linear(x, T[p+"attention.self.value.weight"], T[p+"attention.self.value.bias"], H, H)
		ctx := make([][]float64, n)
		for i := range ctx {
			ctx[i] = make([]float64, H)
		}
		for h := 0; h < nh; h++ {
			for i := 0; i < n; i++ {
				sc := make([]float64, n)
				mx := math.Inf(-1)
				for j := 0; j < n; j++ {
					for d := 0; d < dh; d++ {
						sc[j] += q[i][h*dh+d] * k[j][h*dh+d]
					}
					sc[j] /= math.Sqrt(float64(dh))
					mx = math.Max(mx, sc[j])
				}
				var sum float64
				for j := range sc {
					sc[j] = math.Exp(sc[j] - mx)
					sum += sc[j]
				}
				for j := range sc {
					for d := 0; d < dh; d++ {
						ctx[i][h*dh+d] += sc[j] / sum * v[j][h*dh+d]
					}
				}
			}
		}
		a := linear(ctx, T[p+"attention.output.dense.weight"], T[p+"attention.output.dense.bias"], H, H)
		for i := range a {
			for d := range a[i] {
				a[i][d] += x[i][d]
			}
		}
		ln(a, T[p+"attention.output.LayerNorm.weight"], T[p+"attention.output.LayerNorm.bias"])
		x = a
		f := linear(x, T[p+"intermediate.dense.weight"], T[p+"intermediate.dense.bias"], F, H)
		for _, row := range f {
			for i, z := range row {
				row[i] = 0.5 * z * (1 + math.Erf(z/math.Sqrt2))
			}
		}
		o := linear(f, T[p+"output.dense.weight"], T[p+"output.dense.bias"], H, F)
		for i := range o {
			for d := range o[i] {
				o[i][d] += x[i][d]
			}
		}
		ln(o, T[p+"output.LayerNorm.weight"], T[p+"output.LayerNorm.bias"])
		x = o
	}
	return x
}

// hidden runs the optimised forward pass over encs and returns sequence
// seq's valid rows.
func hidden(t *testing.T, m *Model, encs []Encoding, seq int) [][]float32 {
	t.Helper()
	ws := new(workspace)
	if err := m.forward(context.Background(), ws, encs); err != nil {
		t.Fatal(err)
	}
	h := m.cfg.Hidden
	out := make([][]float32, encs[seq].Len())
	for i := range out {
		r := (seq*ws.seqLen + i) * h
		out[i] = append([]float32(nil), ws.x[r:r+h]...)
	}
	return out
}

func TestForwardMatchesNaive(t *testing.T) {
	t.Parallel()
	m := newTiny(t, WithSeed(7))
	// Larger weights than BERT's init so that attention is far from uniform
	// and errors would show.
	for _, s := range m.specs {
		if s.init == initNormal {
			for i := range s.data {
				s.data[i] *= 25
			}
		}
	}
	tests := []struct {
		name string
		enc  Encoding
	}{
		{"single", m.tok.Encode("the quick brown fox jumps over the lazy dog")},
		{"pair with token types", m.tok.EncodePair("is it raining", "no, it is sunny today")},
		{"two tokens", m.tok.Encode("")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := naiveForward(m, tt.enc)
			got := hidden(t, m, []Encoding{tt.enc}, 0)
			for i := range want {
				for d := range want[i] {
					if diff := math.Abs(float64(got[i][d]) - want[i][d]); diff > 1e-5 {
						t.Fatalf("token %d dim %d: got %v, want %v (diff %g)", i, d, got[i][d], want[i][d], diff)
					}
				}
			}
		})
	}
}

func TestPaddingDoesNotChangeOutput(t *testing.T) {
	t.Parallel()
	m := newTiny(t)
	short := m.tok.Encode("short text")
	long := m.tok.Encode("a much longer text that forces the short one to be padded in the batch")
	alone := hidden(t, m, []Encoding{short}, 0)
	for _, batch := range [][]Encoding{{short, long}, {long, short}} {
		seq := 0
		if batch[1].Len() == short.Len() {
			seq = 1
		}
		padded := hidden(t, m, batch, seq)
		for i := range alone {
			for d := range alone[i] {
				if diff := math.Abs(float64(padded[i][d] - alone[i][d])); diff > 1e-6 {
					t.Fatalf("token %d dim %d: padded %v, alone %v", i, d, padded[i][d], alone[i][d])
				}
			}
		}
	}
}

func TestTasks(t *testing.T) {
	t.Parallel()
	m := newTiny(t)
	ctx := context.Background()
	s, err := m.Sentiment(ctx, "great food")
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, p := range s.Probabilities {
		sum += p
	}
	if math.Abs(sum-1) > 1e-9 || s.Tokens != 4 || !strings.Contains("negative neutral positive", s.Label) {
		t.Errorf("sentiment = %+v (prob sum %v)", s, sum)
	}
	same, err := m.Similarity(ctx, "the same words", "The SAME words!!")
	if err != nil {
		t.Fatal(err)
	}
	self, err := m.Similarity(ctx, "the same words", "the same words")
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(self.Score-1) > 1e-6 || same.Score > 1+1e-9 || same.Score < -1-1e-9 {
		t.Errorf("similarity self = %v, variant = %v", self.Score, same.Score)
	}
	e, err := m.Embed(ctx, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Embedding) != 8 || e.Tokens != 3 {
		t.Errorf("embed = %+v", e)
	}
	if _, err := m.Sentiment(ctx, ""); !errors.Is(err, ErrEmptyText) {
		t.Errorf("empty text err = %v, want ErrEmptyText", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Sentiment(cctx, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled err = %v, want context.Canceled", err)
	}
}

func TestInferBatchEqualsSingles(t *testing.T) {
	t.Parallel()
	m := newTiny(t)
	ctx := context.Background()
	reqs := []Request{
		{Task: TaskSentiment, Text: "one two three four five six"},
		{Task: TaskSimilarity, Text: "a b", TextB: "c d e f g h i j"},
		{Task: TaskEmbed, Text: "x"},
	}
	batch, err := m.Infer(ctx, reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range reqs {
		single, err := m.Infer(ctx, []Request{r})
		if err != nil {
			t.Fatal(err)
		}
		b, s := batch[i], single[0]
		if b.Label != s.Label || math.Abs(b.Score-s.Score) > 1e-6 || b.Tokens != s.Tokens {
			t.Errorf("request %d: batch %+v, single %+v", i, b, s)
		}
		for d := range s.Embedding {
			if math.Abs(float64(b.Embedding[d]-s.Embedding[d])) > 1e-6 {
				t.Errorf("request %d embedding differs at %d", i, d)
			}
		}
	}
}

func TestConcurrentEqualsSequential(t *testing.T) {
	t.Parallel()
	m := newTiny(t)
	ctx := context.Background()
	texts := []string{"alpha", "beta gamma", "delta epsilon zeta eta", "theta iota kappa lambda mu nu xi"}
	want := make([]float64, len(texts))
	for i, tx := range texts {
		r, err := m.Sentiment(ctx, tx)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = r.Score
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 8; i++ {
				k := (g + i) % len(texts)
				r, err := m.Sentiment(ctx, texts[k])
				if err != nil {
					errs <- err
					return
				}
				if r.Score != want[k] {
					errs <- fmt.Errorf("text %d: concurrent score %v, sequential %v", k, r.Score, want[k])
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSafetensorsRoundTrip(t *testing.T) {
	t.Parallel()
	m := newTiny(t, WithSeed(99))
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := m.SaveWeights(path); err != nil {
		t.Fatal(err)
	}
	loaded := newTiny(t, WithWeightsFile(path), WithSeed(1))
	if got := loaded.Info(); got.WeightsKind != WeightsSafetensors || got.WeightsLabel != "" || len(got.SyntheticTensors) != 0 {
		t.Errorf("info = %+v", got)
	}
	for i, s := range m.specs {
		ls := loaded.specs[i]
		for j := range s.data {
			if s.data[j] != ls.data[j] {
				t.Fatalf("tensor %s[%d]: saved %v, loaded %v", s.name, j, s.data[j], ls.data[j])
			}
		}
	}
	ctx := context.Background()
	a, _ := m.Sentiment(ctx, "round trip")
	b, _ := loaded.Sentiment(ctx, "round trip")
	if a.Score != b.Score || a.Label != b.Label {
		t.Errorf("sentiment differs: %+v vs %+v", a, b)
	}
}

func TestSafetensorsRefusesBadFiles(t *testing.T) {
	t.Parallel()
	m := newTiny(t)
	all := map[string]Tensor{}
	for _, s := range m.specs {
		all[s.name] = Tensor{Shape: s.shape, Data: s.data}
	}
	write := func(t *testing.T, edit func(map[string]Tensor)) string {
		ts := map[string]Tensor{}
		for k, v := range all {
			ts[k] = v
		}
		edit(ts)
		path := filepath.Join(t.TempDir(), "w.safetensors")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := WriteSafetensors(f, ts, nil); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name string
		edit func(map[string]Tensor)
		want []string
	}{
		{"missing tensor", func(ts map[string]Tensor) { delete(ts, "encoder.layer.1.output.dense.weight") },
			[]string{`missing tensor "encoder.layer.1.output.dense.weight"`, "[8 16]"}},
		{"mis-shaped tensor", func(ts map[string]Tensor) {
			ts["encoder.layer.0.attention.self.key.weight"] = Tensor{Shape: []int{4, 8}, Data: make([]float32, 32)}
		}, []string{`"encoder.layer.0.attention.self.key.weight" has shape [4 8], want [8 8]`}},
		{"non-finite value", func(ts map[string]Tensor) {
			d := make([]float32, 8)
			d[3] = float32(math.Inf(1))
			ts["embeddings.LayerNorm.bias"] = Tensor{Shape: []int{8}, Data: d}
		}, []string{`"embeddings.LayerNorm.bias"`, "non-finite"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tinyConfig(), WithWeightsFile(write(t, tt.edit)))
			if !errors.Is(err, ErrBadWeights) {
				t.Fatalf("err = %v, want ErrBadWeights", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want it to contain %q", err, w)
				}
			}
		})
	}
	t.Run("optional heads absent are generated and listed", func(t *testing.T) {
		t.Parallel()
		path := write(t, func(ts map[string]Tensor) { delete(ts, "classifier.weight"); delete(ts, "classifier.bias") })
		got, err := New(tinyConfig(), WithWeightsFile(path))
		if err != nil {
			t.Fatal(err)
		}
		if info := got.Info(); len(info.SyntheticTensors) != 2 || info.WeightsLabel != PartialSyntheticLabel {
			t.Errorf("synthetic tensors = %v, label %q, want the classifier's two and PartialSyntheticLabel", info.SyntheticTensors, info.WeightsLabel)
		}
	})
	t.Run("not a safetensors file", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "junk")
		os.WriteFile(path, []byte("this is not safetensors at all"), 0o644)
		if _, err := New(tinyConfig(), WithWeightsFile(path)); !errors.Is(err, ErrBadWeights) {
			t.Fatalf("err = %v, want ErrBadWeights", err)
		}
	})
}

func TestPresets(t *testing.T) {
	t.Parallel()
	wantParams := map[string]float64{ // millions, published
		"tinybert-4l-312": 14.5, "minilm-l6-h384": 22.7, "distilbert-6l-768": 67, "bert-base-12l-768": 110,
	}
	names := PresetNames()
	if len(names) != 4 || names[0] != "tinybert-4l-312" {
		t.Fatalf("PresetNames = %v", names)
	}
	for _, n := range names {
		c, err := Preset(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Error(err)
		}
		got := float64(c.Params()) / 1e6
		if math.Abs(got-wantParams[n])/wantParams[n] > 0.03 {
			t.Errorf("%s params = %.1f M, want ≈ %.1f M", n, got, wantParams[n])
		}
	}
	if _, err := Preset("gpt-5"); !errors.Is(err, ErrUnknownPreset) || !strings.Contains(err.Error(), "tinybert-4l-312") {
		t.Errorf("unknown preset err = %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Config)
		opts []Option
		want string
	}{
		{"heads do not divide hidden", func(c *Config) { c.Heads = 3 }, nil, "not a multiple of heads"},
		{"zero layers", func(c *Config) { c.Layers = 0 }, nil, "layers must be positive"},
		{"seq len over positions", func(c *Config) { c.MaxSeqLen = 64 }, nil, "max_seq_len"},
		{"vocab file larger than table", func(c *Config) { c.Vocab = 10 }, []Option{WithVocabFile("testdata/vocab.txt")}, "embedding table has 10 rows"},
		{"missing vocab file", func(c *Config) {}, []Option{WithVocabFile("testdata/nope.txt")}, "open vocabulary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tinyConfig()
			tt.edit(&c)
			_, err := New(c, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestSyntheticDeterministic(t *testing.T) {
	t.Parallel()
	a, b, c := newTiny(t, WithSeed(5)), newTiny(t, WithSeed(5)), newTiny(t, WithSeed(6))
	if a.w.word[17] != b.w.word[17] || a.w.layers[1].f2W[3] != b.w.layers[1].f2W[3] {
		t.Error("same seed gave different weights")
	}
	if a.w.word[17] == c.w.word[17] {
		t.Error("different seeds gave the same weights")
	}
	info := a.Info()
	if info.WeightsKind != WeightsSynthetic || info.WeightsLabel != SyntheticWeightsLabel || info.MemoryBytes != tinyConfig().Params()*4 {
		t.Errorf("info = %+v", info)
	}
}

func TestTinyBERTLoadsFast(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("allocates 57 MB")
	}
	cfg, _ := Preset("tinybert-4l-312")
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Generous bound on a loaded machine; the goal is well under 1 s.
	if ms := m.Info().LoadMs; ms > 3000 {
		t.Errorf("tinybert synthetic load took %.0f ms", ms)
	}
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	hf := `{"architectures": ["BertForSequenceClassification"], "model_type": "bert", "hidden_act": "gelu",
  "num_hidden_layers": 4, "hidden_size": 312, "num_attention_heads": 12, "intermediate_size": 1200,
  "vocab_size": 30522, "max_position_embeddings": 512, "type_vocab_size": 2,
  "id2label": {"0": "neg", "2": "pos", "1": "neu"}}`
	tests := []struct {
		name    string
		data    string
		want    Config
		wantErr string
	}{
		{"benchctl yaml", "name: mine\nlayers: 2\nhidden: 64\nheads: 4\nlabels: [a, b]\n",
			Config{Name: "mine", Layers: 2, Hidden: 64, Heads: 4, Labels: []string{"a", "b"}}, ""},
		{"hugging face config.json", hf, Config{Arch: ArchBERT, Layers: 4, Hidden: 312, Heads: 12, FFN: 1200, Vocab: 30522,
			MaxPositions: 512, TypeVocab: 2, Labels: []string{"neg", "neu", "pos"}}, ""},
		{"bert layer_norm_eps, no model_type", `{"num_hidden_layers": 2, "hidden_size": 16, "layer_norm_eps": 1e-5}`,
			Config{Arch: ArchBERT, Layers: 2, Hidden: 16, LayerNormEps: 1e-5}, ""},
		{"distilbert sst-2 config.json", distilSST2Config, Config{Arch: ArchDistilBERT, Layers: 6, Hidden: 768, Heads: 12,
			FFN: 3072, Vocab: 30522, MaxPositions: 512, Labels: []string{"NEGATIVE", "POSITIVE"}}, ""},
		{"distilbert keys without model_type", `{"n_layers": 2, "dim": 16, "n_heads": 2, "hidden_dim": 64}`,
			Config{Arch: ArchDistilBERT, Layers: 2, Hidden: 16, Heads: 2, FFN: 64}, ""},
		{"benchctl yaml with arch", "arch: distilbert\nlayers: 2\nlayer_norm_eps: 1e-6\n",
			Config{Arch: ArchDistilBERT, Layers: 2, LayerNormEps: 1e-6}, ""},
		{"unknown benchctl key", "layerz: 2\n", Config{}, "layerz"},
		{"unsupported activation", `{"num_hidden_layers": 2, "hidden_act": "relu"}`, Config{}, `hidden_act "relu"`},
		{"unsupported tanh gelu", `{"model_type": "bert", "hidden_act": "gelu_new"}`, Config{}, `hidden_act "gelu_new"`},
		{"unsupported distilbert activation", `{"model_type": "distilbert", "n_layers": 6, "activation": "relu"}`, Config{},
			`activation "relu" is not supported`},
		{"unsupported model type", `{"model_type": "roberta", "num_hidden_layers": 12}`, Config{},
			`model_type "roberta" is not supported (only "bert" and "distilbert")`},
		{"relative positions", `{"num_hidden_layers": 2, "position_embedding_type": "relative_key"}`, Config{}, "relative_key"},
		{"bad id2label", `{"num_hidden_layers": 2, "id2label": {"x": "a"}}`, Config{}, "id2label"},
		{"id2label index out of range", `{"model_type": "distilbert", "id2label": {"0": "a", "2": "b"}}`, Config{}, `id2label key "2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseConfig([]byte(tt.data))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	base, _ := Preset("tinybert-4l-312")
	merged, changed := base.Merge(Config{Layers: 4, MaxSeqLen: 64})
	if !changed || merged.MaxSeqLen != 64 || merged.Layers != 4 || merged.Name != "tinybert-4l-312" {
		t.Errorf("Merge = %+v, %v", merged, changed)
	}
	if _, changed := base.Merge(Config{Layers: 4}); changed {
		t.Error("Merge with equal layers reported a change")
	}
}
