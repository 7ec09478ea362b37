package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/inference"
	"github.com/benchctl/benchctl/refserver"
)

// ServeOptions are the inputs of `benchctl serve`.
type ServeOptions struct {
	IO *IOStreams
	// ModelOptions select the model (--model, --config, shape flags, ...).
	ModelOptions
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
	// Nice is the nice value every thread of the server runs at (0 keeps
	// the inherited one); `benchctl run` starts its servers at nice 10.
	Nice int
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

--weights takes Hugging Face BERT or DistilBERT safetensors (e.g.
distilbert-base-uncased-finetuned-sst-2-english); the shape and labels come
from --config or the config.json next to the weights file.
Without --weights the weights are synthetic, generated from --seed:
"` + inference.SyntheticWeightsLabel + `".
Without --vocab the deterministic fallback tokenizer is used.

Once the model is loaded and the port is open, exactly one line is printed
on stdout:
  {"listening":"127.0.0.1:PORT","model":"NAME","load_ms":12.3}
Logs go to stderr. SIGTERM or Ctrl-C shuts down gracefully (in-flight
requests finish) and exits 0.

Options:
` + modelFlagsUsage("default "+inference.DefaultPreset) + `
  --workers N            inference workers (default GOMAXPROCS)
  --queue N              requests that may wait for a worker (default ` + fmt.Sprint(refserver.DefaultQueueSize) + `)
  --max-batch N          dynamic batching: largest batch per forward pass (default 1)
  --max-wait D           dynamic batching: wait for a fuller batch up to D (default 0)
  --max-body-bytes N     request body cap (default ` + fmt.Sprint(refserver.DefaultMaxBodyBytes) + `)
  --max-text-bytes N     per-text cap (default ` + fmt.Sprint(refserver.DefaultMaxTextBytes) + `)
  --shutdown-timeout D   bound on the graceful shutdown (default 30s)
  --addr HOST:PORT       listen address (default 127.0.0.1:8080; port 0 picks one)
  --nice N               run every thread at nice N (1–19: below other work,
                         e.g. a load generator on the same host; negative
                         values need privileges)`,
		Example: `  benchctl serve --model tinybert-4l-312 --addr 127.0.0.1:8080
  benchctl serve --model distilbert-6l-768 --workers 2 --max-batch 8 --max-wait 5ms
  benchctl serve --model bert-base-12l-768 --weights model.safetensors --vocab vocab.txt
  # a Hugging Face DistilBERT or BERT checkpoint: shape and labels from the config.json next to the weights
  benchctl serve --weights sst2/model.safetensors --vocab sst2/vocab.txt
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
			if opts.Nice < -20 || opts.Nice > 19 {
				return &FlagError{Err: fmt.Errorf("serve: --nice %d is outside -20..19", opts.Nice)}
			}
			if opts.ModelDir != "" {
				if err := opts.applyModelDir("serve"); err != nil {
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
	addModelFlags(f, &opts.ModelOptions, inference.DefaultPreset)
	f.IntVar(&opts.Workers, "workers", 0, "inference workers (0 = GOMAXPROCS)")
	f.IntVar(&opts.Queue, "queue", refserver.DefaultQueueSize, "queue size")
	f.IntVar(&opts.MaxBatch, "max-batch", refserver.DefaultMaxBatch, "largest batch per forward pass")
	f.DurationVar(&opts.MaxWait, "max-wait", refserver.DefaultMaxWait, "wait for a fuller batch up to this long")
	f.Int64Var(&opts.MaxBodyBytes, "max-body-bytes", refserver.DefaultMaxBodyBytes, "request body cap")
	f.IntVar(&opts.MaxTextBytes, "max-text-bytes", refserver.DefaultMaxTextBytes, "per-text cap")
	f.DurationVar(&opts.ShutdownTimeout, "shutdown-timeout", refserver.DefaultShutdownTimeout, "graceful shutdown bound")
	f.StringVar(&opts.Addr, "addr", "127.0.0.1:8080", "listen address")
	f.IntVar(&opts.Nice, "nice", 0, "nice value of every server thread (0 = inherited)")
	return cmd
}

// serveRun loads the model, listens, prints the ready line and serves
// until ctx is cancelled.
func serveRun(ctx context.Context, opts *ServeOptions) error {
	logger := slog.New(slog.NewTextHandler(opts.IO.Err, nil))
	if opts.Nice != 0 {
		// Before the workers start, so every thread they run on inherits it.
		if err := reniceSelf(opts.Nice); err != nil {
			return fmt.Errorf("serve: %w", err)
		}
	}
	model, err := opts.newModel("serve")
	if err != nil {
		return err
	}
	info := model.Info()
	configFile, _ := opts.configSource()
	logger.Info("model loaded", "model", info.Model, "arch", info.Config.Arch, "params", info.Params, "weights", info.WeightsKind,
		"label", info.WeightsLabel, "config", configFile, "labels", info.Config.Labels, "tokenizer", info.Tokenizer,
		"memory_bytes", info.MemoryBytes, "load_ms", info.LoadMs)
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
	// Ctrl-C shuts down gracefully (a drain: requests in flight finish; a
	// second Ctrl-C exits at once).
	release := drainOnInterrupt(ctx, func() string { return "shutting down: requests in flight finish" }, nil)
	defer release()
	if err := srv.Serve(ctx, ln); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
