package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/inference"
	"github.com/benchctl/benchctl/refserver"
)

// ServeOptions are the inputs of `benchctl serve`.
type ServeOptions struct {
	IO *IOStreams
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
	// Server settings.
	Workers         int
	Queue           int
	MaxBatch        int
	MaxWait         time.Duration
	MaxBodyBytes    int64
	MaxTextBytes    int
	ShutdownTimeout time.Duration
	// Addr is the listen address (loopback by default).
	Addr string
	// Listen opens the listener (net.Listen; a seam for tests).
	Listen func(network, addr string) (net.Listener, error)
}

// serveReady is the one line serve prints on stdout once listening.
type serveReady struct {
	Listening string  `json:"listening"`
	Model     string  `json:"model"`
	LoadMs    float64 `json:"load_ms"`
}

func newServeCmd(streams *IOStreams, runF func(*ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{IO: streams, Listen: net.Listen}
	cmd := &cobra.Command{
		Use:   "serve [--model NAME] [--addr HOST:PORT]",
		Short: "Run the reference CPU inference server (pure-Go BERT-family encoder)",
		Long: `Usage:
  benchctl serve [--model NAME | --config FILE] [--layers N --hidden N ...]
                 [--weights FILE --vocab FILE] [--workers N] [--queue N]
                 [--max-batch N --max-wait D] [--addr HOST:PORT]

Loads (or generates) a BERT-family encoder and serves it over HTTP:
  POST /v1/sentiment   {"text": "..."}          → {"label","score","probabilities","tokens","inference_ms","queue_ms","batch_size"}
  POST /v1/similarity  {"a": "...", "b": "..."} → {"score","tokens","inference_ms","queue_ms","batch_size"}
  POST /v1/embed       {"text": "..."}          → {"embedding","dim","tokens","inference_ms","queue_ms","batch_size"}
  GET  /healthz, GET /v1/info, GET /metrics (Prometheus)
Responses carry "Server-Timing: inference;dur=<ms>, queue;dur=<ms>".
A full queue answers 503 with Retry-After; bad input answers 400 with a JSON
error naming the problem (413 for a body over --max-body-bytes).

Without --weights the weights are synthetic, generated from --seed:
"` + inference.SyntheticWeightsLabel + `".
Without --vocab the deterministic fallback tokenizer is used.

Once the model is loaded and the port is open, exactly one line is printed
on stdout:
  {"listening":"127.0.0.1:PORT","model":"NAME","load_ms":12.3}
Logs go to stderr. SIGTERM or Ctrl-C shuts down gracefully (in-flight
requests finish) and exits 0.

Options:
  --model NAME           preset: ` + strings.Join(inference.PresetNames(), ", ") + `
                         (default ` + inference.DefaultPreset + `)
  --model-dir DIR        a Hugging Face BERT checkpoint directory: shorthand for
                         --config DIR/config.json --weights DIR/model.safetensors
                         --vocab DIR/vocab.txt (each if present; the flags win)
                         and --name <directory name>
  --config FILE          model config: benchctl YAML/JSON (name, layers, hidden,
                         heads, ffn, vocab, max_positions, max_seq_len,
                         type_vocab, labels) or a Hugging Face BERT config.json
                         (num_hidden_layers, hidden_size, ..., id2label);
                         fields it sets override the preset
  --name NAME            model name shown in reports (default: preset name, or
                         "custom-<layers>l-<hidden>" for a changed shape)
  --layers, --hidden, --heads, --ffn, --vocab-size, --max-positions,
  --max-seq-len, --type-vocab N
                         override one dimension of the shape
  --labels A,B,C         sentiment classes (default negative,neutral,positive)
  --weights FILE         safetensors weights with Hugging Face BERT tensor names
  --vocab FILE           BERT uncased vocab.txt (WordPiece)
  --seed N               seed of synthetic weights (default ` + fmt.Sprint(inference.DefaultSeed) + `)
  --workers N            inference workers (default GOMAXPROCS)
  --queue N              requests that may wait for a worker (default ` + fmt.Sprint(refserver.DefaultQueueSize) + `)
  --max-batch N          dynamic batching: largest batch per forward pass (default 1)
  --max-wait D           dynamic batching: wait for a fuller batch up to D (default 0)
  --max-body-bytes N     request body cap (default ` + fmt.Sprint(refserver.DefaultMaxBodyBytes) + `)
  --max-text-bytes N     per-text cap (default ` + fmt.Sprint(refserver.DefaultMaxTextBytes) + `)
  --shutdown-timeout D   bound on the graceful shutdown (default 30s)
  --addr HOST:PORT       listen address (default 127.0.0.1:8080; port 0 picks one)`,
		Example: `  benchctl serve --model tinybert-4l-312 --addr 127.0.0.1:8080
  benchctl serve --model distilbert-6l-768 --workers 2 --max-batch 8 --max-wait 5ms
  benchctl serve --model bert-base-12l-768 --weights model.safetensors --vocab vocab.txt
  benchctl serve --model-dir ./bert-base-uncased-sst3
  benchctl serve --layers 2 --hidden 128 --heads 2 --ffn 512 --addr 127.0.0.1:0
  curl -s -H 'Content-Type: application/json' -d '{"text":"great food"}' localhost:8080/v1/sentiment`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Workers < 0 || opts.Queue < 0 || opts.MaxBatch < 1 || opts.MaxWait < 0 {
				return &FlagError{Err: errors.New("serve: --workers and --queue must be ≥ 0, --max-batch ≥ 1, --max-wait ≥ 0")}
			}
			if opts.Addr == "" {
				return &FlagError{Err: errors.New("serve: --addr must not be empty")}
			}
			if _, _, err := net.SplitHostPort(opts.Addr); err != nil {
				return &FlagError{Err: fmt.Errorf("serve: --addr %q: %w", opts.Addr, err)}
			}
			if opts.ModelDir != "" {
				if err := applyModelDir(opts); err != nil {
					return err
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return serveRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Model, "model", inference.DefaultPreset, "preset name")
	f.StringVar(&opts.ModelDir, "model-dir", "", "Hugging Face model directory (config.json, model.safetensors, vocab.txt)")
	f.StringVar(&opts.ConfigFile, "config", "", "YAML/JSON model config file")
	f.StringVar(&opts.Name, "name", "", "model name shown in reports")
	f.IntVar(&opts.Shape.Layers, "layers", 0, "transformer layers")
	f.IntVar(&opts.Shape.Hidden, "hidden", 0, "hidden size")
	f.IntVar(&opts.Shape.Heads, "heads", 0, "attention heads")
	f.IntVar(&opts.Shape.FFN, "ffn", 0, "feed-forward size")
	f.IntVar(&opts.Shape.Vocab, "vocab-size", 0, "word embedding rows")
	f.IntVar(&opts.Shape.MaxPositions, "max-positions", 0, "position embedding rows")
	f.IntVar(&opts.Shape.MaxSeqLen, "max-seq-len", 0, "truncation length in tokens")
	f.IntVar(&opts.Shape.TypeVocab, "type-vocab", 0, "token type embedding rows")
	f.StringSliceVar(&opts.Labels, "labels", nil, "sentiment classes")
	f.StringVar(&opts.WeightsFile, "weights", "", "safetensors weights file")
	f.StringVar(&opts.VocabFile, "vocab", "", "BERT vocab.txt")
	f.Uint64Var(&opts.Seed, "seed", inference.DefaultSeed, "seed of synthetic weights")
	f.IntVar(&opts.Workers, "workers", 0, "inference workers (0 = GOMAXPROCS)")
	f.IntVar(&opts.Queue, "queue", refserver.DefaultQueueSize, "queue size")
	f.IntVar(&opts.MaxBatch, "max-batch", refserver.DefaultMaxBatch, "largest batch per forward pass")
	f.DurationVar(&opts.MaxWait, "max-wait", refserver.DefaultMaxWait, "wait for a fuller batch up to this long")
	f.Int64Var(&opts.MaxBodyBytes, "max-body-bytes", refserver.DefaultMaxBodyBytes, "request body cap")
	f.IntVar(&opts.MaxTextBytes, "max-text-bytes", refserver.DefaultMaxTextBytes, "per-text cap")
	f.DurationVar(&opts.ShutdownTimeout, "shutdown-timeout", refserver.DefaultShutdownTimeout, "graceful shutdown bound")
	f.StringVar(&opts.Addr, "addr", "127.0.0.1:8080", "listen address")
	return cmd
}

// applyModelDir fills ConfigFile, WeightsFile, VocabFile and Name from a
// Hugging Face checkpoint directory where the flags left them empty.
func applyModelDir(opts *ServeOptions) error {
	fi, err := os.Stat(opts.ModelDir)
	if err != nil || !fi.IsDir() {
		return &FlagError{Err: fmt.Errorf("serve: --model-dir %q is not a directory", opts.ModelDir)}
	}
	for _, f := range []struct {
		dst  *string
		name string
	}{{&opts.ConfigFile, "config.json"}, {&opts.WeightsFile, "model.safetensors"}, {&opts.VocabFile, "vocab.txt"}} {
		p := filepath.Join(opts.ModelDir, f.name)
		if _, err := os.Stat(p); *f.dst == "" && err == nil {
			*f.dst = p
		}
	}
	if opts.WeightsFile == "" {
		return &FlagError{Err: fmt.Errorf("serve: --model-dir %s has no model.safetensors", opts.ModelDir)}
	}
	if opts.Name == "" {
		opts.Name = filepath.Base(filepath.Clean(opts.ModelDir))
	}
	return nil
}

// serveConfig resolves the model config: preset, then config file, then
// shape flags. A changed shape without a name from --name or the file is
// named "custom-<layers>l-<hidden>".
func serveConfig(opts *ServeOptions) (inference.Config, error) {
	cfg, err := inference.Preset(opts.Model)
	if err != nil {
		return cfg, &FlagError{Err: fmt.Errorf("serve: --model: %w", err)}
	}
	changed, named := false, false
	if opts.ConfigFile != "" {
		b, err := os.ReadFile(opts.ConfigFile)
		if err != nil {
			return cfg, &FlagError{Err: fmt.Errorf("serve: --config: %w", err)}
		}
		fileCfg, err := inference.ParseConfig(b)
		if err != nil {
			return cfg, &FlagError{Err: fmt.Errorf("serve: --config %s: %w", opts.ConfigFile, err)}
		}
		cfg, changed = cfg.Merge(fileCfg)
		named = fileCfg.Name != ""
	}
	shape := opts.Shape
	shape.Name, shape.Labels = "", opts.Labels
	cfg, flagChanged := cfg.Merge(shape)
	changed = changed || flagChanged
	if opts.Shape.MaxSeqLen == 0 && cfg.MaxSeqLen > cfg.MaxPositions {
		cfg.MaxSeqLen = cfg.MaxPositions // a small custom position table
	}
	switch {
	case opts.Name != "":
		cfg.Name = opts.Name
	case changed && !named:
		cfg.Name = fmt.Sprintf("custom-%dl-%d", cfg.Layers, cfg.Hidden)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, &FlagError{Err: fmt.Errorf("serve: %w", err)}
	}
	return cfg, nil
}

// serveRun loads the model, listens, prints the ready line and serves
// until ctx is cancelled.
func serveRun(ctx context.Context, opts *ServeOptions) error {
	logger := slog.New(slog.NewTextHandler(opts.IO.Err, nil))
	cfg, err := serveConfig(opts)
	if err != nil {
		return err
	}
	mopts := []inference.Option{inference.WithSeed(opts.Seed)}
	if opts.WeightsFile != "" {
		mopts = append(mopts, inference.WithWeightsFile(opts.WeightsFile))
	}
	if opts.VocabFile != "" {
		mopts = append(mopts, inference.WithVocabFile(opts.VocabFile))
	}
	model, err := inference.New(cfg, mopts...)
	if err != nil {
		if errors.Is(err, inference.ErrBadWeights) || errors.Is(err, os.ErrNotExist) {
			return &FlagError{Err: fmt.Errorf("serve: %w", err)}
		}
		return fmt.Errorf("serve: %w", err)
	}
	info := model.Info()
	logger.Info("model loaded", "model", info.Model, "params", info.Params, "weights", info.WeightsKind,
		"label", info.WeightsLabel, "tokenizer", info.Tokenizer, "memory_bytes", info.MemoryBytes, "load_ms", info.LoadMs)
	sopts := []refserver.Option{
		refserver.WithQueueSize(opts.Queue), refserver.WithMaxBatch(opts.MaxBatch), refserver.WithMaxWait(opts.MaxWait),
		refserver.WithMaxBodyBytes(opts.MaxBodyBytes), refserver.WithMaxTextBytes(opts.MaxTextBytes),
		refserver.WithShutdownTimeout(opts.ShutdownTimeout), refserver.WithLogger(logger),
	}
	if opts.Workers > 0 {
		sopts = append(sopts, refserver.WithWorkers(opts.Workers))
	}
	srv, err := refserver.New(model, sopts...)
	if err != nil {
		return &FlagError{Err: fmt.Errorf("serve: %w", err)}
	}
	ln, err := opts.Listen("tcp", opts.Addr)
	if err != nil {
		srv.Close()
		return fmt.Errorf("serve: listen on %s: %w", opts.Addr, err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		logger.Warn("listening on a non-loopback address", "addr", ln.Addr().String())
	}
	ready, err := json.Marshal(serveReady{Listening: ln.Addr().String(), Model: info.Model, LoadMs: info.LoadMs})
	if err != nil {
		ln.Close()
		srv.Close()
		return fmt.Errorf("serve: %w", err)
	}
	if _, err := fmt.Fprintf(opts.IO.Out, "%s\n", ready); err != nil {
		ln.Close()
		srv.Close()
		return fmt.Errorf("serve: write ready line: %w", err)
	}
	if err := srv.Serve(ctx, ln); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
