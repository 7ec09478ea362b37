package lambdafn

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/benchctl/benchctl/inference"
)

// TestHandler runs the handler through aws-lambda-go's own handler
// adapter (what lambda.Start calls per event), in process.
func TestHandler(t *testing.T) {
	t.Parallel()
	cfg, err := inference.Preset("tinybert-4l-312")
	if err != nil {
		t.Fatal(err)
	}
	m, err := inference.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	handlers := map[string]lambda.Handler{}
	for _, task := range []string{"sentiment", "similarity", "embed"} {
		handlers[task] = lambda.NewHandler(New(m, inference.Task(task)).Handle)
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
