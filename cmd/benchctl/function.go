package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/inference"
	"github.com/benchctl/benchctl/lambdafn"
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
	info := h.Model().Info()
	fmt.Fprintf(opts.IO.Err, "benchctl function: model %s (%d params, %s weights%s) loaded in %.1f ms, task %s\n",
		info.Model, info.Params, info.WeightsKind, labelSuffix(info.WeightsLabel), info.LoadMs, h.Task())
	lambda.StartWithOptions(h.Handle, lambda.WithContext(ctx))
	return nil
}

func labelSuffix(label string) string {
	if label == "" {
		return ""
	}
	return ": " + label
}

// newFunctionHandler loads the model opts describe (preset, config file,
// shape flags, weights).
func newFunctionHandler(opts *FunctionOptions) (*lambdafn.Handler, error) {
	m, err := opts.newModel("function")
	if err != nil {
		return nil, err
	}
	return lambdafn.New(m, inference.Task(opts.Task)), nil
}
