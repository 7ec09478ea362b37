package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/inference"
)

// tinyDistilConfigJSON is a Hugging Face DistilBERT config.json (the keys of
// distilbert-base-uncased-finetuned-sst-2-english) for a tiny shape.
const tinyDistilConfigJSON = `{
  "activation": "gelu", "architectures": ["DistilBertForSequenceClassification"],
  "dim": 16, "hidden_dim": 32, "n_heads": 2, "n_layers": 1, "vocab_size": 100,
  "max_position_embeddings": 64, "model_type": "distilbert", "sinusoidal_pos_embds": false,
  "id2label": {"0": "NEGATIVE", "1": "POSITIVE"}, "label2id": {"NEGATIVE": 0, "POSITIVE": 1}
}`

// writeTinyDistilCheckpoint writes, into dir, a DistilBERT-layout
// model.safetensors (DistilBertForSequenceClassification tensor names,
// seeded weights), its config.json and a small vocab.txt, and returns the
// weights and vocabulary paths.
func writeTinyDistilCheckpoint(t *testing.T, dir string) (weights, vocab string) {
	t.Helper()
	cfg, err := inference.ParseConfig([]byte(tinyDistilConfigJSON))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Name, cfg.MaxSeqLen = "tiny", 32
	m, err := inference.New(cfg, inference.WithSeed(5))
	if err != nil {
		t.Fatal(err)
	}
	weights = filepath.Join(dir, "model.safetensors")
	if err := m.SaveWeights(weights); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(tinyDistilConfigJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	vocab = filepath.Join(dir, "vocab.txt")
	words := "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\ngreat\nfood\nslow\nservice\n,\n.\n##s\n"
	if err := os.WriteFile(vocab, []byte(words), 0o644); err != nil {
		t.Fatal(err)
	}
	return weights, vocab
}

func TestModelConfigFromCheckpoint(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "sst2-tiny")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	weights, _ := writeTinyDistilCheckpoint(t, dir)
	lone := filepath.Join(t.TempDir(), "model.safetensors") // no config.json next to it
	b, _ := os.ReadFile(weights)
	os.WriteFile(lone, b, 0o644)
	tests := []struct {
		name       string
		opts       ModelOptions
		wantName   string
		wantArch   string
		wantHidden int
		wantLabels []string
		wantErr    string
	}{
		{"config.json next to the weights", ModelOptions{Model: "tinybert-4l-312", WeightsFile: weights},
			"sst2-tiny", inference.ArchDistilBERT, 16, []string{"NEGATIVE", "POSITIVE"}, ""},
		{"explicit config and name win", ModelOptions{Model: "tinybert-4l-312", WeightsFile: lone,
			ConfigFile: filepath.Join(dir, "config.json"), Name: "mine"}, "mine", inference.ArchDistilBERT, 16, []string{"NEGATIVE", "POSITIVE"}, ""},
		{"flag equal to the config", ModelOptions{Model: "tinybert-4l-312", WeightsFile: weights, Shape: inference.Config{Hidden: 16}},
			"sst2-tiny", inference.ArchDistilBERT, 16, []string{"NEGATIVE", "POSITIVE"}, ""},
		{"labels renamed, same count", ModelOptions{Model: "tinybert-4l-312", WeightsFile: weights, Labels: []string{"neg", "pos"}},
			"sst2-tiny", inference.ArchDistilBERT, 16, []string{"neg", "pos"}, ""},
		{"shape flag contradicts config.json", ModelOptions{Model: "tinybert-4l-312", WeightsFile: weights, Shape: inference.Config{Layers: 4}},
			"", "", 0, nil, "--layers 4 contradicts config.json next to --weights"},
		{"label count contradicts id2label", ModelOptions{Model: "tinybert-4l-312", WeightsFile: weights, Labels: []string{"a", "b", "c"}},
			"", "", 0, nil, "--labels names 3 classes but"},
		{"token types for distilbert", ModelOptions{Model: "tinybert-4l-312", WeightsFile: weights, Shape: inference.Config{TypeVocab: 2}},
			"", "", 0, nil, "type_vocab must be 0 for distilbert"},
		{"without weights, flags still override a config", ModelOptions{Model: "tinybert-4l-312",
			ConfigFile: filepath.Join(dir, "config.json"), Shape: inference.Config{Hidden: 32}},
			"custom-1l-32", inference.ArchDistilBERT, 32, []string{"NEGATIVE", "POSITIVE"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := tt.opts
			cfg, err := opts.config("serve")
			if tt.wantErr != "" {
				var fe *FlagError
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a FlagError containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Name != tt.wantName || cfg.Arch != tt.wantArch || cfg.Hidden != tt.wantHidden || !slices.Equal(cfg.Labels, tt.wantLabels) {
				t.Errorf("config = %+v; want name %s arch %s hidden %d labels %v", cfg, tt.wantName, tt.wantArch, tt.wantHidden, tt.wantLabels)
			}
		})
	}
	t.Run("weights without config get a hint", func(t *testing.T) {
		t.Parallel()
		opts := ModelOptions{Model: "tinybert-4l-312", WeightsFile: lone}
		_, err := opts.newModel("serve")
		var fe *FlagError
		if !errors.As(err, &fe) || !errors.Is(err, inference.ErrBadWeights) ||
			!strings.Contains(err.Error(), `"distilbert.embeddings.word_embeddings.weight" has shape [100 16], want [30522 312]`) ||
			!strings.Contains(err.Error(), "put the checkpoint's config.json next to the weights file") {
			t.Errorf("err = %v", err)
		}
	})
}

// TestServeDistilBERTCheckpoint serves a DistilBERT-layout checkpoint given
// only --weights and --vocab, as a user would serve
// distilbert-base-uncased-finetuned-sst-2-english: the shape and labels
// come from the config.json next to the weights, and /v1/info reports real
// weights.
func TestServeDistilBERTCheckpoint(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "sst2-tiny")
	os.Mkdir(dir, 0o755)
	weights, vocab := writeTinyDistilCheckpoint(t, dir)
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	streams := &IOStreams{In: strings.NewReader(""), Out: pw, Err: &syncWriter{w: &stderr}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan ExitCode, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "--weights", weights, "--vocab", vocab, "--addr", "127.0.0.1:0", "--workers", "1"}, streams)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("read ready line: %v (exit %v)", err, <-done)
	}
	go io.Copy(io.Discard, pr)
	var ready serveReady
	if err := json.Unmarshal([]byte(line), &ready); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + ready.Listening + "/v1/info")
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Model        string           `json:"model"`
		Weights      string           `json:"weights"`
		WeightsLabel string           `json:"weights_label"`
		Synthetic    []string         `json:"synthetic_tensors"`
		Tokenizer    string           `json:"tokenizer"`
		Config       inference.Config `json:"config"`
	}
	err = json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if info.Model != "sst2-tiny" || info.Weights != inference.WeightsSafetensors || info.WeightsLabel != "" || len(info.Synthetic) != 0 ||
		info.Tokenizer != "wordpiece" || info.Config.Arch != inference.ArchDistilBERT || info.Config.Hidden != 16 ||
		!slices.Equal(info.Config.Labels, []string{"NEGATIVE", "POSITIVE"}) {
		t.Errorf("info = %+v", info)
	}
	resp, err = http.Post("http://"+ready.Listening+"/v1/sentiment", "application/json", strings.NewReader(`{"text":"great food, slow service"}`))
	if err != nil {
		t.Fatal(err)
	}
	var sent struct {
		Label  string  `json:"label"`
		Score  float64 `json:"score"`
		Tokens int     `json:"tokens"`
	}
	err = json.NewDecoder(resp.Body).Decode(&sent)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("sentiment: status %d, err %v", resp.StatusCode, err)
	}
	if (sent.Label != "NEGATIVE" && sent.Label != "POSITIVE") || sent.Score < 0.5 || sent.Tokens != 7 {
		t.Errorf("sentiment = %+v, want a NEGATIVE/POSITIVE label with score ≥ 0.5 over 7 tokens", sent)
	}
	cancel()
	if code := <-done; code != ExitOK {
		t.Errorf("exit code %d; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "arch=distilbert") {
		t.Errorf("stderr does not log the architecture:\n%s", stderr.String())
	}
}
