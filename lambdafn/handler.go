// Package lambdafn is the Lambda handler of benchctl function: it turns
// invocation events (plain JSON, or function URL / API Gateway proxy
// events) into inference tasks on a loaded model.
package lambdafn

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"

	"github.com/benchctl/benchctl/inference"
)

// Handler is the Lambda handler around a loaded model: it serves one
// task for plain events ({"text"}, {"a","b"}) and function URL / API
// Gateway proxy events.
type Handler struct {
	model *inference.Model
	task  inference.Task
}

// New is the handler serving task with m.
func New(m *inference.Model, task inference.Task) *Handler {
	return &Handler{model: m, task: task}
}

// Model is the loaded model.
func (h *Handler) Model() *inference.Model { return h.model }

// Task is the task the handler serves.
func (h *Handler) Task() inference.Task { return h.task }

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

// Handle serves one event (the signature aws-lambda-go takes).
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
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
func (h *Handler) serve(ctx context.Context, raw []byte) (any, error) {
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
