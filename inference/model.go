package inference

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"time"
)

// Option configures New. Options that can fail return an error.
type Option func(*loadOptions) error

type loadOptions struct {
	weightsFile string
	vocabFile   string
	seed        uint64
	tokenizer   *Tokenizer
}

// WithWeightsFile loads weights from a safetensors file with Hugging Face
// tensor names, BERT's ("embeddings.word_embeddings.weight",
// "encoder.layer.N.attention.self.query.weight", …, optionally under a
// "bert." prefix) or DistilBERT's
// ("distilbert.transformer.layer.N.attention.q_lin.weight", …, optionally
// without the "distilbert." prefix). The layout is detected from the names:
// with an empty Config.Arch it becomes the file's, while a Config.Arch that
// disagrees with the file is refused. Every encoder tensor must be present
// with the Config's shape; the head (BERT's pooler or DistilBERT's
// pre_classifier, and the classifier) is optional and generated from the
// seed when absent (Info.SyntheticTensors lists them).
func WithWeightsFile(path string) Option {
	return func(o *loadOptions) error {
		if path == "" {
			return errors.New("weights file: empty path")
		}
		o.weightsFile = path
		return nil
	}
}

// WithVocabFile uses the BERT uncased WordPiece tokenizer from a vocab.txt.
// Without it the model uses the fallback tokenizer (NewFallbackTokenizer).
func WithVocabFile(path string) Option {
	return func(o *loadOptions) error {
		if path == "" {
			return errors.New("vocabulary file: empty path")
		}
		o.vocabFile = path
		return nil
	}
}

// WithSeed sets the seed of synthetic weights (default DefaultSeed).
func WithSeed(seed uint64) Option {
	return func(o *loadOptions) error {
		o.seed = seed
		return nil
	}
}

// WithTokenizer uses an already built tokenizer (its MaxSeqLen wins over
// Config.MaxSeqLen). It cannot be combined with WithVocabFile.
func WithTokenizer(t *Tokenizer) Option {
	return func(o *loadOptions) error {
		if t == nil {
			return errors.New("tokenizer: nil")
		}
		o.tokenizer = t
		return nil
	}
}

// Info describes a loaded model; it is what the server's /v1/info shows.
type Info struct {
	// Model is Config.Name.
	Model string `json:"model"`
	// Config is the shape.
	Config Config `json:"config"`
	// Params is the parameter count (Config.Params).
	Params int64 `json:"params"`
	// WeightsKind is WeightsSynthetic or WeightsSafetensors.
	WeightsKind string `json:"weights"`
	// WeightsLabel is SyntheticWeightsLabel for synthetic weights,
	// PartialSyntheticLabel when a weights file lacked the pooler or
	// classifier, else empty.
	WeightsLabel string `json:"weights_label,omitempty"`
	// WeightsFile is the safetensors path, if any.
	WeightsFile string `json:"weights_file,omitempty"`
	// SyntheticTensors lists optional tensors absent from the weights file
	// and generated from the seed (e.g. an untrained classifier).
	SyntheticTensors []string `json:"synthetic_tensors,omitempty"`
	// Seed seeded the synthetic weights (or the absent optional tensors).
	Seed uint64 `json:"seed"`
	// Tokenizer is "wordpiece" or "fallback".
	Tokenizer string `json:"tokenizer"`
	// VocabFile is the vocab.txt path, if any.
	VocabFile string `json:"vocab_file,omitempty"`
	// MemoryBytes is the weights' footprint: Params·4.
	MemoryBytes int64 `json:"memory_bytes"`
	// LoadMs is the time New took (generate or read weights, build the
	// tokenizer), in milliseconds: the cold-start cost of the model.
	LoadMs float64 `json:"load_ms"`
}

// Model is a loaded encoder with its tokenizer and task heads. It is safe
// for concurrent use by several goroutines; each call runs its forward pass
// on the calling goroutine with activations from a pool.
type Model struct {
	cfg    Config
	tok    *Tokenizer
	w      *weights
	info   Info
	labels []string
	specs  []tensorSpec
	// headAct is the sentiment head's activation on the pooled [CLS]
	// vector, chosen at load time from the architecture (tanh for BERT's
	// pooler, ReLU for DistilBERT's pre_classifier); eps is the LayerNorm ε.
	headAct func(float32) float32
	eps     float64
	// free holds idle workspaces (activations). Unlike a sync.Pool it is
	// not emptied by GC, so a busy server does not reallocate them; it
	// keeps at most cap(free) of them.
	free chan *workspace
}

// New validates cfg, then loads (WithWeightsFile) or generates (seeded)
// the weights and builds the tokenizer.
func New(cfg Config, opts ...Option) (*Model, error) {
	start := time.Now()
	o := loadOptions{seed: DefaultSeed}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("load model: %w", err)
		}
	}
	if o.tokenizer != nil && o.vocabFile != "" {
		return nil, errors.New("load model: WithTokenizer and WithVocabFile are exclusive")
	}
	if o.tokenizer != nil {
		cfg.MaxSeqLen = o.tokenizer.MaxSeqLen()
	}
	if len(cfg.Labels) == 0 {
		cfg.Labels = DefaultLabels()
	}
	var st *stFile
	if o.weightsFile != "" {
		var err error
		if st, err = openSafetensors(o.weightsFile); err != nil {
			return nil, fmt.Errorf("load model: %w", err)
		}
		defer st.Close()
		arch, err := st.detectArch()
		if err != nil {
			return nil, fmt.Errorf("load model: %w %s: %w", ErrBadWeights, o.weightsFile, err)
		}
		switch {
		case arch == "" || arch == cfg.arch():
		case cfg.Arch == "":
			cfg, _ = cfg.Merge(Config{Arch: arch}) // DistilBERT: also TypeVocab 0
		default:
			return nil, fmt.Errorf("load model: %w %s: the model config says arch %q but the tensor names are %s's",
				ErrBadWeights, o.weightsFile, cfg.Arch, arch)
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	tok := o.tokenizer
	var err error
	switch {
	case tok != nil:
	case o.vocabFile != "":
		tok, err = LoadVocab(o.vocabFile, cfg.MaxSeqLen)
	default:
		tok, err = NewFallbackTokenizer(cfg.Vocab, cfg.MaxSeqLen)
	}
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	if tok.VocabSize() > cfg.Vocab {
		return nil, fmt.Errorf("load model: vocabulary has %d tokens but the model's embedding table has %d rows", tok.VocabSize(), cfg.Vocab)
	}
	if cfg.MaxPositions < cfg.MaxSeqLen {
		return nil, fmt.Errorf("load model: max_seq_len %d exceeds max_positions %d", cfg.MaxSeqLen, cfg.MaxPositions)
	}
	cfg.Arch = cfg.arch()
	w, specs := allocWeights(cfg)
	info := Info{
		Model: cfg.Name, Config: cfg, Params: cfg.Params(), Seed: o.seed,
		Tokenizer: tok.Kind(), VocabFile: o.vocabFile, MemoryBytes: w.total * 4,
	}
	if st != nil {
		absent, err := st.load(specs, cfg.Arch, cfg.shapeString())
		if err != nil {
			return nil, fmt.Errorf("load model: %w", err)
		}
		var gen []tensorSpec
		for _, s := range specs {
			for _, a := range absent {
				if s.name == a {
					gen = append(gen, s)
				}
			}
		}
		fillSynthetic(gen, o.seed)
		info.WeightsKind, info.WeightsFile, info.SyntheticTensors = WeightsSafetensors, o.weightsFile, absent
		if len(absent) > 0 {
			info.WeightsLabel = PartialSyntheticLabel
		}
	} else {
		fillSynthetic(specs, o.seed)
		info.WeightsKind, info.WeightsLabel = WeightsSynthetic, SyntheticWeightsLabel
	}
	m := &Model{cfg: cfg, tok: tok, w: w, labels: cfg.labels(), specs: specs,
		headAct: tanh32, eps: cfg.layerNormEps()}
	if cfg.Arch == ArchDistilBERT {
		m.headAct = relu32
	}
	m.free = make(chan *workspace, max(4, 2*runtime.GOMAXPROCS(0)))
	info.LoadMs = float64(time.Since(start).Microseconds()) / 1000
	m.info = info
	return m, nil
}

// Info describes the model (shape, parameters, weights kind, load time).
func (m *Model) Info() Info {
	i := m.info
	i.Config.Labels = append([]string(nil), i.Config.Labels...)
	i.SyntheticTensors = append([]string(nil), i.SyntheticTensors...)
	return i
}

// Config returns the model's shape.
func (m *Model) Config() Config { return m.Info().Config }

// Tokenizer returns the model's tokenizer.
func (m *Model) Tokenizer() *Tokenizer { return m.tok }

// Labels returns the sentiment classes.
func (m *Model) Labels() []string { return append([]string(nil), m.labels...) }

// SaveWeights writes every parameter to a safetensors file with the
// Hugging Face tensor names of the model's architecture (BertModel's, or
// DistilBertForSequenceClassification's; Q, K and V as separate tensors),
// so a later New(cfg, WithWeightsFile(path)) reproduces this model exactly.
func (m *Model) SaveWeights(path string) (err error) {
	tensors := make(map[string]Tensor, len(m.specs))
	for _, s := range m.specs {
		tensors[s.name] = Tensor{Shape: s.shape, Data: s.data}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("save weights: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("save weights: %w", cerr)
		}
	}()
	meta := map[string]string{"format": "pt", "benchctl_model": m.cfg.Name, "benchctl_weights": m.info.WeightsKind}
	if err := WriteSafetensors(f, tensors, meta); err != nil {
		return fmt.Errorf("save weights: %w", err)
	}
	return nil
}

// Task names an inference task.
type Task string

// Tasks.
const (
	TaskSentiment  Task = "sentiment"
	TaskSimilarity Task = "similarity"
	TaskEmbed      Task = "embed"
)

// Request is one task for Infer. Similarity uses Text and TextB; the other
// tasks use Text only.
type Request struct {
	Task  Task
	Text  string
	TextB string
}

// ErrEmptyText is returned for a request whose text (after trimming
// nothing) is the empty string.
var ErrEmptyText = errors.New("empty text")

// Validate checks the task name and that the needed texts are non-empty.
func (r Request) Validate() error {
	switch r.Task {
	case TaskSentiment, TaskEmbed:
		if r.Text == "" {
			return fmt.Errorf("%s: %w", r.Task, ErrEmptyText)
		}
	case TaskSimilarity:
		if r.Text == "" || r.TextB == "" {
			return fmt.Errorf("%s: %w", r.Task, ErrEmptyText)
		}
	default:
		return fmt.Errorf("unknown task %q: must be one of [sentiment, similarity, embed]", r.Task)
	}
	return nil
}

// Result is one Request's outcome.
type Result struct {
	Task Task
	// Label and Score: the sentiment class and its probability; for
	// similarity, Score is the cosine of the two embeddings.
	Label string
	Score float64
	// Probabilities are the sentiment class probabilities in Labels order.
	Probabilities []float64
	// Embedding is the mean-pooled vector (embed only).
	Embedding []float32
	// Tokens is the number of tokens encoded (both texts for similarity),
	// special tokens included.
	Tokens int
	// InferenceMs is the wall time of the whole Infer call that served this
	// request (tokenize, forward pass of the batch, heads), milliseconds.
	InferenceMs float64
}

// SentimentResult is Sentiment's answer.
type SentimentResult struct {
	Label         string    `json:"label"`
	Score         float64   `json:"score"`
	Probabilities []float64 `json:"probabilities,omitempty"`
	Tokens        int       `json:"tokens"`
	InferenceMs   float64   `json:"inference_ms"`
}

// SimilarityResult is Similarity's answer: the cosine of the two texts'
// mean-pooled embeddings.
type SimilarityResult struct {
	Score       float64 `json:"score"`
	Tokens      int     `json:"tokens"`
	InferenceMs float64 `json:"inference_ms"`
}

// EmbedResult is Embed's answer: the mean-pooled embedding.
type EmbedResult struct {
	Embedding   []float32 `json:"embedding"`
	Tokens      int       `json:"tokens"`
	InferenceMs float64   `json:"inference_ms"`
}

// Sentiment classifies text: softmax over Labels of a linear head on the
// pooled [CLS] vector, tanh(Wp·h_CLS + bp) as Hugging Face's
// BertForSequenceClassification, or ReLU(Wp·h_CLS + bp) with DistilBERT's
// pre_classifier as DistilBertForSequenceClassification.
func (m *Model) Sentiment(ctx context.Context, text string) (SentimentResult, error) {
	rs, err := m.Infer(ctx, []Request{{Task: TaskSentiment, Text: text}})
	if err != nil {
		return SentimentResult{}, err
	}
	r := rs[0]
	return SentimentResult{Label: r.Label, Score: r.Score, Probabilities: r.Probabilities, Tokens: r.Tokens, InferenceMs: r.InferenceMs}, nil
}

// Similarity returns the cosine similarity of the mean-pooled embeddings of
// a and b (each encoded as its own sequence, SBERT bi-encoder style).
func (m *Model) Similarity(ctx context.Context, a, b string) (SimilarityResult, error) {
	rs, err := m.Infer(ctx, []Request{{Task: TaskSimilarity, Text: a, TextB: b}})
	if err != nil {
		return SimilarityResult{}, err
	}
	r := rs[0]
	return SimilarityResult{Score: r.Score, Tokens: r.Tokens, InferenceMs: r.InferenceMs}, nil
}

// Embed returns text's embedding: the mean of the last hidden states over
// the attention mask.
func (m *Model) Embed(ctx context.Context, text string) (EmbedResult, error) {
	rs, err := m.Infer(ctx, []Request{{Task: TaskEmbed, Text: text}})
	if err != nil {
		return EmbedResult{}, err
	}
	r := rs[0]
	return EmbedResult{Embedding: r.Embedding, Tokens: r.Tokens, InferenceMs: r.InferenceMs}, nil
}

// Infer runs a batch of requests (any mix of tasks) as one forward pass
// over all their sequences, padded to the longest. It is what a server's
// dynamic batching calls. An invalid request fails the whole call, naming
// its index.
func (m *Model) Infer(ctx context.Context, reqs []Request) ([]Result, error) {
	start := time.Now()
	if len(reqs) == 0 {
		return nil, nil
	}
	n := 0
	for i, r := range reqs {
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("request %d: %w", i, err)
		}
		n++
		if r.Task == TaskSimilarity {
			n++
		}
	}
	encs := make([]Encoding, 0, n)
	for _, r := range reqs {
		encs = append(encs, m.tok.Encode(r.Text))
		if r.Task == TaskSimilarity {
			encs = append(encs, m.tok.Encode(r.TextB))
		}
	}
	ws := m.getWorkspace()
	defer m.putWorkspace(ws)
	if err := m.forward(ctx, ws, encs); err != nil {
		return nil, err
	}
	out := make([]Result, len(reqs))
	seq := 0
	for i, r := range reqs {
		res := Result{Task: r.Task, Tokens: encs[seq].Len()}
		switch r.Task {
		case TaskSentiment:
			probs := make([]float64, len(m.labels))
			m.sentimentHead(ws, seq, probs)
			best := 0
			for j, p := range probs {
				if p > probs[best] {
					best = j
				}
			}
			res.Label, res.Score, res.Probabilities = m.labels[best], probs[best], probs
			seq++
		case TaskEmbed:
			res.Embedding = make([]float32, m.cfg.Hidden)
			m.meanPool(ws, seq, res.Embedding)
			seq++
		case TaskSimilarity:
			res.Tokens += encs[seq+1].Len()
			a, b := ws.vecA[:m.cfg.Hidden], ws.vecB[:m.cfg.Hidden]
			m.meanPool(ws, seq, a)
			m.meanPool(ws, seq+1, b)
			res.Score = cosine(a, b)
			seq += 2
		}
		out[i] = res
	}
	ms := float64(time.Since(start).Nanoseconds()) / 1e6
	for i := range out {
		out[i].InferenceMs = ms
	}
	return out, nil
}

func (m *Model) getWorkspace() *workspace {
	select {
	case ws := <-m.free:
		return ws
	default:
		return new(workspace)
	}
}

func (m *Model) putWorkspace(ws *workspace) {
	select {
	case m.free <- ws:
	default:
	}
}

// workspace holds a forward pass's activations; it grows to the largest
// batch seen and is then reused (steady state: no allocation).
type workspace struct {
	batch, seqLen int
	x, qkv, ctx   []float32 // [B·L×H], [B·L×3H], [B·L×H]
	tmp, ff       []float32 // [B·L×H], [B·L×FFN]
	scores        []float32 // [L×L]
	mask          []float32 // [B·L]: 1 for a real token, 0 for padding
	lens          []int     // [B]
	vecA, vecB    []float32 // [H]
	logits        []float64 // [labels]
}

func grow32(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

func (ws *workspace) reserve(cfg Config, batch, seqLen, nLabels int) {
	rows := batch * seqLen
	h := cfg.Hidden
	ws.batch, ws.seqLen = batch, seqLen
	ws.x = grow32(ws.x, rows*h)
	ws.qkv = grow32(ws.qkv, rows*3*h)
	ws.ctx = grow32(ws.ctx, rows*h)
	ws.tmp = grow32(ws.tmp, rows*h)
	ws.ff = grow32(ws.ff, rows*cfg.FFN)
	ws.scores = grow32(ws.scores, seqLen*seqLen)
	ws.mask = grow32(ws.mask, rows)
	ws.vecA = grow32(ws.vecA, h)
	ws.vecB = grow32(ws.vecB, h)
	if cap(ws.lens) < batch {
		ws.lens = make([]int, batch)
	}
	ws.lens = ws.lens[:batch]
	if cap(ws.logits) < nLabels {
		ws.logits = make([]float64, nLabels)
	}
	ws.logits = ws.logits[:nLabels]
}

// forward runs the encoder over encs padded to the longest, leaving the
// last hidden states in ws.x ([B·L×H]). It checks ctx between layers.
func (m *Model) forward(ctx context.Context, ws *workspace, encs []Encoding) error {
	cfg, w := m.cfg, m.w
	h, nh := cfg.Hidden, cfg.Heads
	dh := h / nh
	L := 0
	for _, e := range encs {
		if e.Len() > L {
			L = e.Len()
		}
		if e.Len() > cfg.MaxPositions {
			return fmt.Errorf("forward: sequence of %d tokens exceeds max_positions %d", e.Len(), cfg.MaxPositions)
		}
	}
	B := len(encs)
	ws.reserve(cfg, B, L, len(m.labels))
	rows := B * L

	// Embeddings. DistilBERT has no token type table (TypeVocab 0): its
	// token types are ignored.
	for b, e := range encs {
		ws.lens[b] = e.Len()
		for t := 0; t < L; t++ {
			row := ws.x[(b*L+t)*h : (b*L+t+1)*h : (b*L+t+1)*h]
			if t >= e.Len() {
				ws.mask[b*L+t] = 0
				id := m.tok.PadID()
				if int(id) >= cfg.Vocab {
					id = 0
				}
				addEmbedding(row, w.word, w.pos, w.typ, int(id), t, 0, h)
				continue
			}
			ws.mask[b*L+t] = 1
			id, typ := int(e.IDs[t]), int(e.TypeIDs[t])
			if id < 0 || id >= cfg.Vocab {
				return fmt.Errorf("forward: token id %d outside vocabulary of %d", id, cfg.Vocab)
			}
			if cfg.TypeVocab > 0 && (typ < 0 || typ >= cfg.TypeVocab) {
				return fmt.Errorf("forward: token type %d outside type vocabulary of %d", typ, cfg.TypeVocab)
			}
			addEmbedding(row, w.word, w.pos, w.typ, id, t, typ, h)
		}
	}
	layerNorm(ws.x, rows, w.embG, w.embB, m.eps)

	scale := float32(1 / math.Sqrt(float64(dh)))
	for li := range w.layers {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("forward: %w", err)
		}
		l := &w.layers[li]
		// Q, K, V in one GEMM: qkv = x·Wqkvᵀ + b.
		fillRows(ws.qkv, rows, l.qkvB)
		gemm(true, rows, 3*h, h, 1, ws.x, h, l.qkvW, h, 1, ws.qkv, 3*h)
		// Attention per sequence and head, over the valid query rows.
		for b := 0; b < B; b++ {
			n := ws.lens[b]
			mask := ws.mask[b*L : b*L+L]
			base := b * L * 3 * h
			for hd := 0; hd < nh; hd++ {
				q := ws.qkv[base+hd*dh:]
				k := ws.qkv[base+h+hd*dh:]
				v := ws.qkv[base+2*h+hd*dh:]
				// scores[n×L] = scale · q·kᵀ (the padded keys are masked)
				gemm(true, n, L, dh, scale, q, 3*h, k, 3*h, 0, ws.scores, L)
				for i := 0; i < n; i++ {
					maskedSoftmax(ws.scores[i*L:(i+1)*L], mask)
				}
				// ctx_h[n×dh] = P·v
				gemm(false, n, dh, L, 1, ws.scores, L, v, 3*h, 0, ws.ctx[b*L*h+hd*dh:], h)
			}
			// Padded query rows do not matter; keep them finite.
			clear(ws.ctx[(b*L+n)*h : (b+1)*L*h])
		}
		// x = LN(x + ctx·Woᵀ + bo)
		addRows(ws.tmp, ws.x, rows, l.oB)
		gemm(true, rows, h, h, 1, ws.ctx, h, l.oW, h, 1, ws.tmp, h)
		layerNorm(ws.tmp, rows, l.ln1G, l.ln1B, m.eps)
		ws.x, ws.tmp = ws.tmp, ws.x
		// x = LN(x + GELU(x·W1ᵀ + b1)·W2ᵀ + b2)
		fillRows(ws.ff, rows, l.f1B)
		gemm(true, rows, cfg.FFN, h, 1, ws.x, h, l.f1W, h, 1, ws.ff, cfg.FFN)
		gelu(ws.ff[:rows*cfg.FFN])
		addRows(ws.tmp, ws.x, rows, l.f2B)
		gemm(true, rows, h, cfg.FFN, 1, ws.ff, cfg.FFN, l.f2W, cfg.FFN, 1, ws.tmp, h)
		layerNorm(ws.tmp, rows, l.ln2G, l.ln2B, m.eps)
		ws.x, ws.tmp = ws.tmp, ws.x
	}
	return nil
}

// addEmbedding sets row = word[id] + pos[t] + typ[tt], or word[id] + pos[t]
// when typ is empty (DistilBERT: no token type table; tt is ignored).
func addEmbedding(row, word, pos, typ []float32, id, t, tt, h int) {
	wv := word[id*h : (id+1)*h : (id+1)*h]
	pv := pos[t*h : (t+1)*h : (t+1)*h]
	if len(typ) == 0 {
		for i := range row {
			row[i] = wv[i] + pv[i]
		}
		return
	}
	tv := typ[tt*h : (tt+1)*h : (tt+1)*h]
	for i := range row {
		row[i] = wv[i] + pv[i] + tv[i]
	}
}

// tanh32 is BERT's pooler activation.
func tanh32(x float32) float32 { return float32(math.Tanh(float64(x))) }

// relu32 is DistilBERT's pre_classifier activation.
func relu32(x float32) float32 { return max(x, 0) }

// sentimentHead writes the class probabilities of sequence seq into probs:
//
//	BERT        p = softmax(Wc·tanh(Wp·h_CLS + bp) + bc)        (pooler)
//	DistilBERT  p = softmax(Wc·ReLU(Wp·h_CLS + bp) + bc)        (pre_classifier)
func (m *Model) sentimentHead(ws *workspace, seq int, probs []float64) {
	h := m.cfg.Hidden
	cls := ws.x[seq*ws.seqLen*h : seq*ws.seqLen*h+h]
	pooled := ws.vecA[:h]
	for o := 0; o < h; o++ {
		wr := m.w.poolW[o*h : (o+1)*h]
		s := m.w.poolB[o]
		for i, v := range cls {
			s += wr[i] * v
		}
		pooled[o] = m.headAct(s)
	}
	for c := range probs {
		wr := m.w.clsW[c*h : (c+1)*h]
		s := float64(m.w.clsB[c])
		for i, v := range pooled {
			s += float64(wr[i] * v)
		}
		probs[c] = s
	}
	softmax(probs)
}

// meanPool writes the mean of sequence seq's hidden states over its
// attention mask into dst.
func (m *Model) meanPool(ws *workspace, seq int, dst []float32) {
	h := m.cfg.Hidden
	n := ws.lens[seq]
	clear(dst)
	for t := 0; t < n; t++ {
		row := ws.x[(seq*ws.seqLen+t)*h : (seq*ws.seqLen+t+1)*h]
		for i, v := range row {
			dst[i] += v
		}
	}
	inv := 1 / float32(n)
	for i := range dst {
		dst[i] *= inv
	}
}

// cosine is the cosine similarity of a and b (0 if either is zero).
func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		na += x * x
		nb += y * y
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}
