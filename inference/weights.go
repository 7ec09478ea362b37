package inference

import (
	"fmt"
	"hash/fnv"
	"math"
	"runtime"
	"sync"
)

// DefaultSeed seeds synthetic weights when WithSeed is not given.
const DefaultSeed uint64 = 42

// SyntheticWeightsLabel labels synthetic weights wherever they are shown
// (server info endpoint, reports).
const SyntheticWeightsLabel = "synthetic weights: latency-equivalent, outputs meaningless"

// PartialSyntheticLabel labels a weights file whose pooler or classifier
// was absent and generated from the seed: embeddings and similarity are
// real, sentiment is not.
const PartialSyntheticLabel = "pooler/classifier synthetic: sentiment outputs meaningless"

// Weights kinds reported by Info.WeightsKind.
const (
	WeightsSynthetic   = "synthetic"
	WeightsSafetensors = "safetensors"
)

// layerWeights are one transformer layer's parameters, in Hugging Face
// layout (a Linear weight is [out × in]). Q, K and V are stored fused as
// one [3H × H] matrix (rows q, then k, then v) so one GEMM computes them.
type layerWeights struct {
	qkvW, qkvB []float32 // [3H×H], [3H]
	oW, oB     []float32 // [H×H], [H]
	ln1G, ln1B []float32 // [H]
	f1W, f1B   []float32 // [FFN×H], [FFN]
	f2W, f2B   []float32 // [H×FFN], [H]
	ln2G, ln2B []float32 // [H]
}

// weights are all of a model's parameters.
type weights struct {
	word, pos, typ []float32 // [V×H], [P×H], [T×H]
	embG, embB     []float32 // [H]
	layers         []layerWeights
	poolW, poolB   []float32 // [H×H], [H]
	clsW, clsB     []float32 // [labels×H], [labels]
	total          int64     // float32 count
}

// initKind says how synthetic weights fill a tensor.
type initKind int

const (
	initNormal initKind = iota // BERT's N(0, 0.02²) (uniform with that std)
	initOnes                   // LayerNorm gain
	initZeros                  // LayerNorm bias
)

// tensorSpec is one named tensor: its Hugging Face name, shape, and where
// its data lives. Optional tensors (pooler, classifier) are generated from
// the seed when a weights file lacks them.
type tensorSpec struct {
	name     string
	shape    []int
	data     []float32
	init     initKind
	optional bool
}

// allocWeights allocates every parameter of cfg in one backing slice and
// returns the weights and their named specs, in file order. The names are
// Hugging Face's for cfg's architecture: BertModel's (unprefixed; the
// loader also finds them under "bert.") for ArchBERT,
// DistilBertForSequenceClassification's ("distilbert."-prefixed; the loader
// also finds them unprefixed) for ArchDistilBERT.
func allocWeights(cfg Config) (*weights, []tensorSpec) {
	h, f, nl := cfg.Hidden, cfg.FFN, len(cfg.labels())
	total := cfg.Params()
	backing := make([]float32, total)
	off := 0
	take := func(n int) []float32 {
		s := backing[off : off+n : off+n]
		off += n
		return s
	}
	w := &weights{total: total}
	var specs []tensorSpec
	add := func(name string, data []float32, init initKind, optional bool, shape ...int) {
		specs = append(specs, tensorSpec{name: name, shape: shape, data: data, init: init, optional: optional})
	}
	n := namesFor(cfg.arch())
	w.word = take(cfg.Vocab * h)
	w.pos = take(cfg.MaxPositions * h)
	w.typ = take(cfg.TypeVocab * h)
	w.embG, w.embB = take(h), take(h)
	add(n.word, w.word, initNormal, false, cfg.Vocab, h)
	add(n.pos, w.pos, initNormal, false, cfg.MaxPositions, h)
	if cfg.TypeVocab > 0 {
		add(n.typ, w.typ, initNormal, false, cfg.TypeVocab, h)
	}
	add(n.embLN+".weight", w.embG, initOnes, false, h)
	add(n.embLN+".bias", w.embB, initZeros, false, h)
	w.layers = make([]layerWeights, cfg.Layers)
	for i := range w.layers {
		l := &w.layers[i]
		p := fmt.Sprintf(n.layer, i)
		l.qkvW, l.qkvB = take(3*h*h), take(3*h)
		l.oW, l.oB = take(h*h), take(h)
		l.ln1G, l.ln1B = take(h), take(h)
		l.f1W, l.f1B = take(f*h), take(f)
		l.f2W, l.f2B = take(h*f), take(h)
		l.ln2G, l.ln2B = take(h), take(h)
		for j, qkv := range n.qkv {
			add(p+qkv+".weight", l.qkvW[j*h*h:(j+1)*h*h], initNormal, false, h, h)
			add(p+qkv+".bias", l.qkvB[j*h:(j+1)*h], initNormal, false, h)
		}
		add(p+n.attnOut+".weight", l.oW, initNormal, false, h, h)
		add(p+n.attnOut+".bias", l.oB, initNormal, false, h)
		add(p+n.ln1+".weight", l.ln1G, initOnes, false, h)
		add(p+n.ln1+".bias", l.ln1B, initZeros, false, h)
		add(p+n.ffn1+".weight", l.f1W, initNormal, false, f, h)
		add(p+n.ffn1+".bias", l.f1B, initNormal, false, f)
		add(p+n.ffn2+".weight", l.f2W, initNormal, false, h, f)
		add(p+n.ffn2+".bias", l.f2B, initNormal, false, h)
		add(p+n.ln2+".weight", l.ln2G, initOnes, false, h)
		add(p+n.ln2+".bias", l.ln2B, initZeros, false, h)
	}
	w.poolW, w.poolB = take(h*h), take(h)
	w.clsW, w.clsB = take(nl*h), take(nl)
	add(n.pool+".weight", w.poolW, initNormal, true, h, h)
	add(n.pool+".bias", w.poolB, initNormal, true, h)
	add("classifier.weight", w.clsW, initNormal, true, nl, h)
	add("classifier.bias", w.clsB, initNormal, true, nl)
	if int64(off) != total {
		panic(fmt.Sprintf("inference: weight layout %d floats, Params %d", off, total))
	}
	return w, specs
}

// tensorNames are an architecture's Hugging Face tensor names. layer is a
// format with the layer index; the other per-layer names follow it;
// LayerNorm and Linear names get ".weight"/".bias" appended.
type tensorNames struct {
	word, pos, typ, embLN         string
	layer                         string
	qkv                           [3]string
	attnOut, ln1, ffn1, ffn2, ln2 string
	pool                          string
}

// namesFor returns arch's tensor names.
//
// ArchBERT: BertModel's (transformers modeling_bert.py: BertEmbeddings,
// BertSelfAttention, BertSelfOutput, BertIntermediate, BertOutput,
// BertPooler).
//
// ArchDistilBERT: DistilBertForSequenceClassification's (transformers
// modeling_distilbert.py: Embeddings, MultiHeadSelfAttention
// q_lin/k_lin/v_lin/out_lin, TransformerBlock sa_layer_norm and
// output_layer_norm, FFN lin1/lin2, and the pre_classifier head).
func namesFor(arch string) tensorNames {
	if arch == ArchDistilBERT {
		return tensorNames{
			word: "distilbert.embeddings.word_embeddings.weight", pos: "distilbert.embeddings.position_embeddings.weight",
			embLN:   "distilbert.embeddings.LayerNorm",
			layer:   "distilbert.transformer.layer.%d.",
			qkv:     [3]string{"attention.q_lin", "attention.k_lin", "attention.v_lin"},
			attnOut: "attention.out_lin", ln1: "sa_layer_norm",
			ffn1: "ffn.lin1", ffn2: "ffn.lin2", ln2: "output_layer_norm",
			pool: "pre_classifier",
		}
	}
	return tensorNames{
		word: "embeddings.word_embeddings.weight", pos: "embeddings.position_embeddings.weight",
		typ: "embeddings.token_type_embeddings.weight", embLN: "embeddings.LayerNorm",
		layer:   "encoder.layer.%d.",
		qkv:     [3]string{"attention.self.query", "attention.self.key", "attention.self.value"},
		attnOut: "attention.output.dense", ln1: "attention.output.LayerNorm",
		ffn1: "intermediate.dense", ffn2: "output.dense", ln2: "output.LayerNorm",
		pool: "pooler.dense",
	}
}

// fillSynthetic fills the given specs deterministically from seed. Each
// tensor gets its own stream (seed mixed with FNV-1a of its name), so the
// result does not depend on order and tensors are filled in parallel.
// Normal-init tensors are uniform on [−a, a] with a = 0.02·√3 (std 0.02,
// BERT's initializer range); the generator is splitmix64, two float32 per
// draw.
func fillSynthetic(specs []tensorSpec, seed uint64) {
	workers := runtime.GOMAXPROCS(0)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fillTensor(specs[i], seed)
			}
		}()
	}
	for i := range specs {
		next <- i
	}
	close(next)
	wg.Wait()
}

func fillTensor(s tensorSpec, seed uint64) {
	switch s.init {
	case initOnes:
		for i := range s.data {
			s.data[i] = 1
		}
		return
	case initZeros:
		clear(s.data)
		return
	}
	h := fnv.New64a()
	h.Write([]byte(s.name))
	state := seed ^ h.Sum64()
	const a = 0.02 * 1.7320508075688772
	const scale = float32(a / (1 << 31))
	d := s.data
	i := 0
	for ; i+1 < len(d); i += 2 {
		state += 0x9E3779B97F4A7C15
		z := state
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		z ^= z >> 31
		d[i] = float32(int32(uint32(z))) * scale
		d[i+1] = float32(int32(uint32(z>>32))) * scale
	}
	if i < len(d) {
		state += 0x9E3779B97F4A7C15
		z := state
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		z ^= z >> 31
		d[i] = float32(int32(uint32(z))) * scale
	}
}

// checkFinite reports the first tensor holding NaN or ±Inf.
func checkFinite(specs []tensorSpec) error {
	for _, s := range specs {
		for _, v := range s.data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("tensor %q holds a non-finite value", s.name)
			}
		}
	}
	return nil
}
