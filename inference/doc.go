// Package inference is benchctl's reference CPU inference engine: a pure-Go,
// float32 BERT-family encoder (tokenizer, weights, forward pass and task
// heads) with the real cost shape of a distilled BERT.
//
// The forward pass is the standard post-LayerNorm BERT encoder:
//
//	x  = LayerNorm(word[id] + position[i] + token_type[t])   (DistilBERT: no token_type)
//	for each of N layers:
//	    q, k, v = x·Wqᵀ+bq, x·Wkᵀ+bk, x·Wvᵀ+bv            (one fused GEMM)
//	    per head h: P = softmax(q_h·k_hᵀ/√d_h + mask)     (padded keys get probability 0)
//	                ctx_h = P·v_h
//	    x = LayerNorm(x + ctx·Woᵀ + bo)
//	    x = LayerNorm(x + GELU(x·W1ᵀ+b1)·W2ᵀ + b2)       (GELU(x) = x/2·(1+erf(x/√2)))
//
// in float32 on gonum's BLAS (blas32.Gemm). A batch is padded to its longest
// sequence (not to MaxSeqLen); padded keys are masked out, so padding never
// changes a sequence's output. Activations come from a pool, so the steady
// state forward pass does not allocate. Each forward pass runs on one
// goroutine: GEMMs are issued in tiles small enough that gonum stays on its
// serial path, so a server's parallelism comes from its worker count.
//
// FLOPs per sequence of length L (counting a multiply-add as 2):
//
//	layers · (2·L·H·3H + 2·L·H·H + 2·2·L·H·FFN + 2·2·L·L·H)
//
// The same encoder serves two checkpoint layouts (Config.Arch): BERT
// (ArchBERT: word + position + token type embeddings; sentiment head
// tanh pooler then classifier) and DistilBERT (ArchDistilBERT: no token
// type embeddings; sentiment head ReLU pre_classifier then classifier, both
// on the [CLS] hidden state). DistilBERT's transformer block is the same
// post-LayerNorm computation under other names (q_lin/k_lin/v_lin/out_lin,
// sa_layer_norm, ffn.lin1/lin2, output_layer_norm).
//
// Weights come either from a safetensors file with Hugging Face tensor
// names, BERT's or DistilBERT's, the layout detected from the names
// (WithWeightsFile), or are generated deterministically from a seed
// (WithSeed). Synthetic weights have the exact shapes, memory footprint
// (≈ Params()·4 bytes) and latency of the real model, but their outputs are
// meaningless; they are labelled SyntheticWeightsLabel wherever shown. A
// checkpoint's shape and labels come from its config.json (ParseConfig
// reads BERT and DistilBERT configs).
//
// Tasks: Sentiment (linear head on the pooled [CLS] vector, softmax over
// Config.Labels), Embed (mean pooling over the attention mask) and Similarity
// (cosine of two mean-pooled embeddings, SBERT bi-encoder style).
package inference
