package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/inference"
)

// FunctionOptions are the inputs of `benchctl function`.
type FunctionOptions struct {
	IO *IOStreams
	// ModelOptions select the model: the same flags as benchctl serve
	// (--model, --config, --model-dir, shape flags, --weights, ...).
	ModelOptions
	// Task is sentiment, similarity or embed.
	Task string
	// Getenv reads the environment (os.Getenv; a seam for tests).
	Getenv func(string) string
}

func newFunctionCmd(streams *IOStreams, runF func(*FunctionOptions) error) *cobra.Command {
	opts := &FunctionOptions{IO: streams, Getenv: os.Getenv}
	cmd := &cobra.Command{
		Use:   "function --model NAME [--layers N ...] --task TASK",
		Short: "Run the reference encoder as an AWS Lambda function (custom runtime)",
		Long: `Usage:
  benchctl function --model NAME | --config FILE | --model-dir DIR | --weights FILE
                    [--name NAME] [--layers N --hidden N --heads N --ffn N ...]
                    [--weights FILE] [--vocab FILE] [--seed N]
                    --task sentiment|similarity|embed

Runs the reference encoder as a Lambda handler through aws-lambda-go's
lambda.Start: it loads the model during INIT (that is the cold start), then
serves events from the Lambda Runtime API named by AWS_LAMBDA_RUNTIME_API.
It runs under the local platform (benchctl lambda serve, or benchctl run with
a local-lambda target) and, unchanged, on AWS Lambda as a provided.al2023
custom runtime: build this binary for linux as "bootstrap", zip it and create
the function with the same command in its arguments (see docs/local-lambda.md).

Events and responses (JSON):
  sentiment   {"text": "..."}            → {"label","score","probabilities","tokens","inference_ms"}
  similarity  {"a": "...", "b": "..."}   → {"score","tokens","inference_ms"}
  embed       {"text": "..."}            → {"embedding","tokens","inference_ms"}
A Lambda function URL / API Gateway proxy event ({"body": "...", ...}) is
unwrapped and answered with {"statusCode": 200, "body": "..."}.
A bad event fails the invocation with errorType InvalidEventError.

Options:
  --task TASK            sentiment, similarity or embed (default sentiment)
` + modelFlagsUsage("required unless --config, --model-dir or --weights is given;\n"+
			"                         then "+
			"default "+inference.DefaultPreset) + `

The model flags are those of benchctl serve, so a function and a reference
server built from the same flags run the same encoder.

Environment:
  AWS_LAMBDA_RUNTIME_API   host:port of the Runtime API (set by the platform)`,
		Example: `  # functions.yaml entry for benchctl lambda serve:
  #   command: [benchctl, function, --model, tinybert-4l-312, --task, sentiment]
  benchctl lambda serve --functions functions.yaml
  # a Hugging Face checkpoint (BERT or DistilBERT; its config.json sits next to the weights)
  #   command: [benchctl, function, --weights, /models/sst2/model.safetensors,
  #             --vocab, /models/sst2/vocab.txt, --task, sentiment]
  # a MobileBERT-sized encoder: a preset with its shape overridden
  #   command: [benchctl, function, --model, tinybert-4l-312, --name, mobilebert-sized-24l-256,
  #             --layers, "24", --hidden, "256", --heads, "4", --ffn, "896", --task, sentiment]`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Model == "" {
				if opts.ConfigFile == "" && opts.ModelDir == "" && opts.WeightsFile == "" {
					return &FlagError{Err: errors.New("function: --model is required (or --config, --model-dir or --weights)")}
				}
				opts.Model = inference.DefaultPreset
			}
			if opts.ModelDir != "" {
				if err := opts.applyModelDir("function"); err != nil {
					return err
				}
			}
			if _, err := opts.config("function"); err != nil {
				return err
			}
			switch inference.Task(opts.Task) {
			case inference.TaskSentiment, inference.TaskSimilarity, inference.TaskEmbed:
			default:
				return &FlagError{Err: fmt.Errorf("function: --task %q isn't one of [sentiment, similarity, embed]", opts.Task)}
			}
			if runF != nil {
				return runF(opts)
			}
			return functionRun(cmd.Context(), opts)
		},
	}
	addModelFlags(cmd.Flags(), &opts.ModelOptions, "")
	cmd.Flags().StringVar(&opts.Task, "task", "sentiment", "sentiment, similarity or embed")
	return cmd
}

// functionRun loads the model (the INIT phase) and hands control to
// aws-lambda-go's runtime loop, which does not return.
func functionRun(ctx context.Context, opts *FunctionOptions) error {
	if opts.Getenv("AWS_LAMBDA_RUNTIME_API") == "" {
		return &FlagError{Err: errors.New("function: AWS_LAMBDA_RUNTIME_API is not set: this command runs under a Lambda runtime " +
			"(benchctl lambda serve, benchctl run with a local-lambda target, or AWS Lambda as a provided.al2023 custom runtime)")}
	}
	h, err := newFunctionHandler(opts)
	if err != nil {
		return err
	}
	info := h.model.Info()
	fmt.Fprintf(opts.IO.Err, "benchctl function: model %s (%d params, %s weights%s) loaded in %.1f ms, task %s\n",
		info.Model, info.Params, info.WeightsKind, labelSuffix(info.WeightsLabel), info.LoadMs, h.task)
	lambda.StartWithOptions(h.handle, lambda.WithContext(ctx))
	return nil
}

func labelSuffix(label string) string {
	if label == "" {
		return ""
	}
	return ": " + label
}

// functionHandler is the Lambda handler around a loaded model.
type functionHandler struct {
	model *inference.Model
	task  inference.Task
}

// newFunctionHandler loads the model opts describe (preset, config file,
// shape flags, weights).
func newFunctionHandler(opts *FunctionOptions) (*functionHandler, error) {
	m, err := opts.newModel("function")
	if err != nil {
		return nil, err
	}
	return &functionHandler{model: m, task: inference.Task(opts.Task)}, nil
}

// InvalidEventError is a handler error for an event it cannot serve; its
// type name is the errorType Lambda reports.
type InvalidEventError struct{ Msg string }

// Error returns the message.
func (e *InvalidEventError) Error() string { return e.Msg }

// functionEvent is the handler's event: {"text"} or {"a","b"}; "text_b"
// is accepted for b.
type functionEvent struct {
	Text  string `json:"text"`
	A     string `json:"a"`
	B     string `json:"b"`
	TextB string `json:"text_b"`
}

// proxyEvent is the part of a function URL / API Gateway proxy event the
// handler reads.
type proxyEvent struct {
	Body            *string         `json:"body"`
	IsBase64Encoded bool            `json:"isBase64Encoded"`
	RequestContext  json.RawMessage `json:"requestContext"`
}

// handle serves one event.
func (h *functionHandler) handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var px proxyEvent
	if err := json.Unmarshal(raw, &px); err == nil && px.Body != nil && len(px.RequestContext) > 0 {
		body := []byte(*px.Body)
		if px.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(*px.Body)
			if err != nil {
				return proxyResponse(400, map[string]string{"error": "body is not valid base64"}), nil
			}
			body = b
		}
		out, err := h.serve(ctx, body)
		if err != nil {
			var ie *InvalidEventError
			if errors.As(err, &ie) {
				return proxyResponse(400, map[string]string{"error": ie.Msg, "code": "invalid_request"}), nil
			}
			return nil, err
		}
		return proxyResponse(200, out), nil
	}
	return h.serve(ctx, raw)
}

// serve runs the task on a plain event.
func (h *functionHandler) serve(ctx context.Context, raw []byte) (any, error) {
	var ev functionEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, &InvalidEventError{Msg: "event is not a JSON object with \"text\" (or \"a\" and \"b\"): " + err.Error()}
	}
	switch h.task {
	case inference.TaskSimilarity:
		a, b := ev.A, ev.B
		if a == "" {
			a = ev.Text
		}
		if b == "" {
			b = ev.TextB
		}
		if a == "" || b == "" {
			return nil, &InvalidEventError{Msg: `similarity needs "a" and "b" texts`}
		}
		return h.model.Similarity(ctx, a, b)
	case inference.TaskEmbed:
		if ev.Text == "" {
			return nil, &InvalidEventError{Msg: `embed needs a non-empty "text"`}
		}
		return h.model.Embed(ctx, ev.Text)
	default:
		if ev.Text == "" {
			return nil, &InvalidEventError{Msg: `sentiment needs a non-empty "text"`}
		}
		return h.model.Sentiment(ctx, ev.Text)
	}
}

// proxyResponse is a function URL / API Gateway proxy response.
func proxyResponse(status int, v any) map[string]any {
	b, _ := json.Marshal(v)
	return map[string]any{
		"statusCode": status,
		"headers":    map[string]string{"Content-Type": "application/json"},
		"body":       string(b),
	}
}
