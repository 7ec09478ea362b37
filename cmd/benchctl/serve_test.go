package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/inference"
)

func TestNewServeCmd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr bool
		check   func(t *testing.T, o *ServeOptions)
	}{
		{"defaults", nil, false, func(t *testing.T, o *ServeOptions) {
			if o.Model != "tinybert-4l-312" || o.Addr != "127.0.0.1:8080" || o.MaxBatch != 1 || o.Workers != 0 || o.Queue != 128 {
				t.Errorf("defaults = %+v", o)
			}
		}},
		{"server and shape flags", []string{"--model", "minilm-l6-h384", "--workers", "2", "--queue", "9", "--max-batch", "8",
			"--max-wait", "5ms", "--layers", "3", "--addr", "127.0.0.1:0", "--weights", "w.safetensors", "--vocab", "v.txt"}, false,
			func(t *testing.T, o *ServeOptions) {
				if o.Model != "minilm-l6-h384" || o.Workers != 2 || o.Queue != 9 || o.MaxBatch != 8 || o.MaxWait != 5*time.Millisecond ||
					o.Shape.Layers != 3 || o.Addr != "127.0.0.1:0" || o.WeightsFile != "w.safetensors" || o.VocabFile != "v.txt" {
					t.Errorf("options = %+v", o)
				}
			}},
		{"bad max batch", []string{"--max-batch", "0"}, true, nil},
		{"bad addr", []string{"--addr", "localhost"}, true, nil},
		{"positional argument", []string{"extra"}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got *ServeOptions
			streams := &IOStreams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard}
			cmd := newServeCmd(streams, func(o *ServeOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			err := cmd.Execute()
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

func TestServeConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "model.yaml")
	os.WriteFile(cfgFile, []byte("name: my-encoder\nlayers: 2\nhidden: 64\nheads: 4\nffn: 256\n"), 0o644)
	hfFile := filepath.Join(dir, "config.json")
	os.WriteFile(hfFile, []byte(`{"model_type": "bert", "num_hidden_layers": 2, "hidden_size": 128, "num_attention_heads": 2, "intermediate_size": 512}`), 0o644)
	tests := []struct {
		name       string
		opts       ModelOptions
		wantName   string
		wantLayers int
		wantErr    string
	}{
		{"preset", ModelOptions{Model: "distilbert-6l-768"}, "distilbert-6l-768", 6, ""},
		{"shape flag renames", ModelOptions{Model: "tinybert-4l-312", Shape: inference.Config{Layers: 2}}, "custom-2l-312", 2, ""},
		{"explicit name", ModelOptions{Model: "tinybert-4l-312", Shape: inference.Config{Layers: 2}, Name: "mine"}, "mine", 2, ""},
		{"config file", ModelOptions{Model: "tinybert-4l-312", ConfigFile: cfgFile}, "my-encoder", 2, ""},
		{"hugging face config", ModelOptions{Model: "tinybert-4l-312", ConfigFile: hfFile}, "custom-2l-128", 2, ""},
		{"unknown preset", ModelOptions{Model: "gpt"}, "", 0, "must be one of"},
		{"invalid shape", ModelOptions{Model: "tinybert-4l-312", Shape: inference.Config{Heads: 5}}, "", 0, "not a multiple of heads"},
		{"missing config", ModelOptions{Model: "tinybert-4l-312", ConfigFile: filepath.Join(dir, "nope")}, "", 0, "--config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := (&ServeOptions{ModelOptions: tt.opts}).config("serve")
			if tt.wantErr != "" {
				var fe *FlagError
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want FlagError containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Name != tt.wantName || cfg.Layers != tt.wantLayers {
				t.Errorf("config = %+v, want name %s layers %d", cfg, tt.wantName, tt.wantLayers)
			}
		})
	}
}

func TestServeModelDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "my-bert")
	os.Mkdir(dir, 0o755)
	m, err := inference.New(inference.Config{Name: "x", Layers: 1, Hidden: 16, Heads: 2, FFN: 32, Vocab: 100,
		MaxPositions: 64, MaxSeqLen: 32, TypeVocab: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SaveWeights(filepath.Join(dir, "model.safetensors")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"model_type": "bert", "hidden_act": "gelu", "num_hidden_layers": 1,
  "hidden_size": 16, "num_attention_heads": 2, "intermediate_size": 32, "vocab_size": 100,
  "max_position_embeddings": 64, "type_vocab_size": 2}`), 0o644)
	pr, pw := io.Pipe()
	streams := &IOStreams{In: strings.NewReader(""), Out: pw, Err: io.Discard}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan ExitCode, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "--model-dir", dir, "--addr", "127.0.0.1:0", "--workers", "1"}, streams)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("read ready line: %v (exit %v)", err, <-done)
	}
	var ready serveReady
	json.Unmarshal([]byte(line), &ready)
	resp, err := http.Get("http://" + ready.Listening + "/v1/info")
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Model   string `json:"model"`
		Weights string `json:"weights"`
		File    string `json:"weights_file"`
	}
	json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if info.Model != "my-bert" || info.Weights != "safetensors" || !strings.HasSuffix(info.File, "model.safetensors") {
		t.Errorf("info = %+v", info)
	}
	go io.Copy(io.Discard, pr)
	cancel()
	if code := <-done; code != ExitOK {
		t.Errorf("exit code %d", code)
	}
}

func TestServePortInUseFails(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var out bytes.Buffer
	streams := &IOStreams{In: strings.NewReader(""), Out: &out, Err: io.Discard}
	code := Main(context.Background(), []string{"serve", "--layers", "1", "--hidden", "16", "--heads", "2", "--ffn", "32",
		"--vocab-size", "100", "--addr", ln.Addr().String()}, streams)
	if code != ExitRunFailed || out.Len() != 0 {
		t.Errorf("exit code %d, stdout %q; want %d and no ready line", code, out.String(), ExitRunFailed)
	}
}

func TestServeBadWeightsIsBadInput(t *testing.T) {
	t.Parallel()
	streams := &IOStreams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard}
	path := filepath.Join(t.TempDir(), "w.safetensors")
	os.WriteFile(path, []byte("not safetensors"), 0o644)
	code := Main(context.Background(), []string{"serve", "--layers", "1", "--hidden", "16", "--heads", "2", "--ffn", "32",
		"--vocab-size", "100", "--weights", path, "--addr", "127.0.0.1:0"}, streams)
	if code != ExitBadInput {
		t.Errorf("exit code %d, want %d", code, ExitBadInput)
	}
}

func TestServeRun(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	streams := &IOStreams{In: strings.NewReader(""), Out: pw, Err: &syncWriter{w: &stderr}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan ExitCode, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "--layers", "1", "--hidden", "16", "--heads", "2", "--ffn", "32",
			"--vocab-size", "100", "--addr", "127.0.0.1:0", "--workers", "1"}, streams)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("read ready line: %v", err)
	}
	var ready serveReady
	if err := json.Unmarshal([]byte(line), &ready); err != nil {
		t.Fatalf("ready line %q: %v", line, err)
	}
	if !strings.HasPrefix(ready.Listening, "127.0.0.1:") || ready.Model != "custom-1l-16" || ready.LoadMs <= 0 {
		t.Errorf("ready = %+v", ready)
	}
	resp, err := http.Post("http://"+ready.Listening+"/v1/sentiment", "application/json", strings.NewReader(`{"text":"hello there"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"label"`) {
		t.Errorf("sentiment: %d %s", resp.StatusCode, body)
	}
	go io.Copy(io.Discard, pr) // nothing else may appear on stdout
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("exit code %d, want 0; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}
