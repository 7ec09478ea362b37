package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/benchctl/benchctl/inference"
)

func TestNewFunctionCmd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		args      []string
		wantErr   bool
		wantModel string
		wantTask  string
	}{
		{name: "sentiment", args: []string{"--model", "tinybert-4l-312", "--task", "sentiment"}, wantModel: "tinybert-4l-312", wantTask: "sentiment"},
		{name: "default task", args: []string{"--model", "tinybert-4l-312"}, wantModel: "tinybert-4l-312", wantTask: "sentiment"},
		{name: "similarity", args: []string{"--model", "tinybert-4l-312", "--task", "similarity"}, wantModel: "tinybert-4l-312", wantTask: "similarity"},
		{name: "no model", args: []string{"--task", "sentiment"}, wantErr: true},
		{name: "unknown model", args: []string{"--model", "gpt-9"}, wantErr: true},
		{name: "unknown task", args: []string{"--model", "tinybert-4l-312", "--task", "translate"}, wantErr: true},
		{name: "stray argument", args: []string{"--model", "tinybert-4l-312", "extra"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got *FunctionOptions
			streams := &IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
			cmd := newFunctionCmd(streams, func(o *FunctionOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Model != tt.wantModel || got.Task != tt.wantTask {
				t.Errorf("options = %+v, want model %q task %q", got, tt.wantModel, tt.wantTask)
			}
		})
	}
}

// TestNewFunctionCmdModelFlags checks that function takes serve's model
// flags and resolves them to the same config serve would build.
func TestNewFunctionCmdModelFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "model.yaml")
	if err := os.WriteFile(cfgFile, []byte("name: my-encoder\nlayers: 2\nhidden: 64\nheads: 4\nffn: 256\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mobile := []string{"--model", "tinybert-4l-312", "--name", "mobilebert-sized-24l-256",
		"--layers", "24", "--hidden", "256", "--heads", "4", "--ffn", "896", "--task", "similarity"}
	tests := []struct {
		name    string
		args    []string
		want    inference.Config // Name, Layers, Hidden, Heads, FFN compared
		wantErr string
	}{
		{name: "paper-fig3 mobilebert-sized", args: mobile,
			want: inference.Config{Name: "mobilebert-sized-24l-256", Layers: 24, Hidden: 256, Heads: 4, FFN: 896}},
		{name: "shape without name", args: []string{"--model", "tinybert-4l-312", "--layers", "2"},
			want: inference.Config{Name: "custom-2l-312", Layers: 2, Hidden: 312, Heads: 12, FFN: 1200}},
		{name: "preset unchanged", args: []string{"--model", "tinybert-4l-312"},
			want: inference.Config{Name: "tinybert-4l-312", Layers: 4, Hidden: 312, Heads: 12, FFN: 1200}},
		{name: "config file without model", args: []string{"--config", cfgFile},
			want: inference.Config{Name: "my-encoder", Layers: 2, Hidden: 64, Heads: 4, FFN: 256}},
		{name: "invalid shape", args: []string{"--model", "tinybert-4l-312", "--heads", "5"}, wantErr: "not a multiple of heads"},
		{name: "missing config", args: []string{"--config", filepath.Join(dir, "nope")}, wantErr: "--config"},
		{name: "model dir not a directory", args: []string{"--model-dir", filepath.Join(dir, "nope")}, wantErr: "--model-dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got *FunctionOptions
			streams := &IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
			cmd := newFunctionCmd(streams, func(o *FunctionOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
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
			cfg, err := got.config("function")
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Name != tt.want.Name || cfg.Layers != tt.want.Layers || cfg.Hidden != tt.want.Hidden ||
				cfg.Heads != tt.want.Heads || cfg.FFN != tt.want.FFN {
				t.Errorf("config = %+v, want %+v", cfg, tt.want)
			}
			// serve, given the same model flags, builds the same config.
			sargs := append([]string{"--addr", "127.0.0.1:0"}, tt.args...)
			if i := indexOf(sargs, "--task"); i >= 0 {
				sargs = append(sargs[:i:i], sargs[i+2:]...)
			}
			var sgot *ServeOptions
			scmd := newServeCmd(streams, func(o *ServeOptions) error { sgot = o; return nil })
			scmd.SetArgs(sargs)
			scmd.SetOut(&bytes.Buffer{})
			scmd.SetErr(&bytes.Buffer{})
			if err := scmd.Execute(); err != nil {
				t.Fatalf("serve %v: %v", sargs, err)
			}
			scfg, err := sgot.config("serve")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(scfg, cfg) {
				t.Errorf("serve config = %+v, function config = %+v", scfg, cfg)
			}
		})
	}
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// TestFunctionHandlerCustomShape loads a handler with shape flags and
// checks the loaded model has that shape and name.
func TestFunctionHandlerCustomShape(t *testing.T) {
	t.Parallel()
	h, err := newFunctionHandler(&FunctionOptions{Task: "sentiment", ModelOptions: ModelOptions{
		Model: "tinybert-4l-312", Name: "tiny-custom", Seed: inference.DefaultSeed,
		Shape: inference.Config{Layers: 1, Hidden: 64, Heads: 2, FFN: 128}}})
	if err != nil {
		t.Fatal(err)
	}
	info := h.Model().Info()
	if info.Model != "tiny-custom" || info.Config.Layers != 1 || info.Config.Hidden != 64 || info.Config.Heads != 2 || info.Config.FFN != 128 {
		t.Errorf("info = %+v, want tiny-custom 1 layer, hidden 64, 2 heads, ffn 128", info)
	}
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), []byte(`{"text":"great phone"}`))
	if err != nil || !strings.Contains(string(out), `"label"`) {
		t.Errorf("invoke = %s, %v; want a sentiment response", out, err)
	}
}

func TestFunctionRunNeedsRuntimeAPI(t *testing.T) {
	t.Parallel()
	opts := &FunctionOptions{IO: &IOStreams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}},
		ModelOptions: ModelOptions{Model: "tinybert-4l-312"}, Task: "sentiment",
		Getenv: func(string) string { return "" }}
	err := functionRun(context.Background(), opts)
	var fe *FlagError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "AWS_LAMBDA_RUNTIME_API") {
		t.Errorf("err = %v, want a FlagError naming AWS_LAMBDA_RUNTIME_API", err)
	}
}
