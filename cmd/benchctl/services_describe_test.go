package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/results"
)

// TestDescribeService records what a started service serves from its
// model flags: synthetic weights for a preset, the weights file (absolute)
// and its SHA-256 for --weights or --model-dir, the model name after
// --name and shape flags; flags of the command that are not model flags
// are ignored.
func TestDescribeService(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	weights := filepath.Join(dir, "model.safetensors")
	content := []byte("not really a safetensors file, but bytes to hash")
	if err := os.WriteFile(weights, content, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	want := hex.EncodeToString(sum[:])
	tests := []struct {
		name       string
		kind       string
		args       []string
		model      string
		weights    string
		sha        string
		wantErrSub string
	}{
		{name: "preset", kind: "server", args: []string{"--model", "tinybert-4l-312"}, model: "tinybert-4l-312", weights: results.WeightsSynthetic},
		{name: "function flags", kind: "function", args: []string{"--model", "tinybert-4l-312", "--task", "similarity"}, model: "tinybert-4l-312", weights: results.WeightsSynthetic},
		{name: "custom shape", kind: "function", args: []string{"--model", "tinybert-4l-312", "--name", "mobilebert-sized-24l-256", "--layers", "24", "--hidden", "256", "--heads", "4", "--ffn", "896", "--task", "sentiment"},
			model: "mobilebert-sized-24l-256", weights: results.WeightsSynthetic},
		{name: "weights file", kind: "function", args: []string{"--weights", weights, "--task", "sentiment"}, model: "tinybert-4l-312", weights: weights, sha: want},
		{name: "model dir", kind: "server", args: []string{"--model-dir", dir}, model: filepath.Base(dir), weights: weights, sha: want},
		{name: "missing weights", kind: "server", args: []string{"--weights", filepath.Join(dir, "absent.safetensors")}, wantErrSub: "absent.safetensors"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := describeService(context.Background(), "svc", tc.kind, tc.args)
			if tc.wantErrSub != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrSub) {
					t.Fatalf("err = %v, want one naming %q", err, tc.wantErrSub)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "svc" || got.Kind != tc.kind || got.Weights != tc.weights || got.WeightsSHA256 != tc.sha {
				t.Errorf("got %+v, want weights %q sha %q", got, tc.weights, tc.sha)
			}
			if tc.model != "" && got.Model != tc.model {
				t.Errorf("model = %q, want %q", got.Model, tc.model)
			}
		})
	}
}
