package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
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

func TestFunctionRunNeedsRuntimeAPI(t *testing.T) {
	t.Parallel()
	opts := &FunctionOptions{IO: &IOStreams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}, Model: "tinybert-4l-312", Task: "sentiment",
		Getenv: func(string) string { return "" }}
	err := functionRun(context.Background(), opts)
	var fe *FlagError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "AWS_LAMBDA_RUNTIME_API") {
		t.Errorf("err = %v, want a FlagError naming AWS_LAMBDA_RUNTIME_API", err)
	}
}

// TestFunctionHandler runs the handler through aws-lambda-go's own handler
// adapter (what lambda.Start calls per event), in process.
func TestFunctionHandler(t *testing.T) {
	t.Parallel()
	handlers := map[string]lambda.Handler{}
	for _, task := range []string{"sentiment", "similarity", "embed"} {
		h, err := newFunctionHandler(&FunctionOptions{Model: "tinybert-4l-312", Task: task})
		if err != nil {
			t.Fatal(err)
		}
		handlers[task] = lambda.NewHandler(h.handle)
	}
	tests := []struct {
		name     string
		task     string
		event    string
		wantKeys []string
		wantErr  string
	}{
		{"sentiment", "sentiment", `{"text":"great phone"}`, []string{"label", "score", "probabilities", "tokens", "inference_ms"}, ""},
		{"similarity", "similarity", `{"a":"great phone","b":"nice phone"}`, []string{"score", "tokens", "inference_ms"}, ""},
		{"embed", "embed", `{"text":"great phone"}`, []string{"embedding", "tokens"}, ""},
		{"function URL event", "sentiment", `{"body":"{\"text\":\"great\"}","isBase64Encoded":false,"requestContext":{"http":{"method":"POST"}}}`, []string{"statusCode", "body", "headers"}, ""},
		{"empty text", "sentiment", `{"text":""}`, nil, "non-empty"},
		{"not an object", "sentiment", `[1,2]`, nil, "not a JSON object"},
		{"similarity without b", "similarity", `{"a":"x"}`, nil, `"a" and "b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := handlers[tt.task].Invoke(context.Background(), []byte(tt.event))
			if tt.wantErr != "" {
				var ie *InvalidEventError
				if !errors.As(err, &ie) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want an InvalidEventError mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("response %s: %v", out, err)
			}
			for _, k := range tt.wantKeys {
				if _, ok := got[k]; !ok {
					t.Errorf("response lacks %q: %s", k, out)
				}
			}
		})
	}
}
