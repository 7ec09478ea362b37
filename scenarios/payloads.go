package scenarios

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"text/template"
)

// Item is one payload corpus entry: a .txt line becomes {"text": line}
// (with pairs, a line "a<TAB>b" becomes {"a": a, "b": b}); a .jsonl line is
// its object; an inline item is its mapping (a string s becomes
// {"text": s}).
type Item = map[string]any

// ItemAt is an Item with where it came from, for messages:
// "data/reviews.txt:12" or "payloads.inline[3]".
type ItemAt struct {
	Item  Item
	Where string
}

// BodyFuncs are the functions available in body templates: json renders
// any value as JSON (a string becomes a quoted, escaped JSON string).
func BodyFuncs() template.FuncMap {
	return template.FuncMap{
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			if err != nil {
				return "", fmt.Errorf("json: %w", err)
			}
			return string(b), nil
		},
	}
}

// ParseBody parses a body template with BodyFuncs. A field the item does
// not have is an error when the template runs (missingkey=error), never a
// silent "<no value>".
func ParseBody(name, body string) (*template.Template, error) {
	t, err := template.New(name).Funcs(BodyFuncs()).Option("missingkey=error").Parse(body)
	if err != nil {
		return nil, fmt.Errorf("parse body template: %w", err)
	}
	return t, nil
}

// RenderBody runs body template t on item it into buf (reset first).
func RenderBody(t *template.Template, it Item, buf *bytes.Buffer) error {
	buf.Reset()
	if err := t.Execute(buf, it); err != nil {
		return fmt.Errorf("body template: %w", err)
	}
	return nil
}

// MaxCorpusLineBytes is the longest line a payload corpus may have.
const MaxCorpusLineBytes = 16 << 20

// ParseCorpus parses a payload corpus by the extension of name: .jsonl or
// .ndjson (one JSON object per line) or anything else as text (one item
// per non-blank line). With pairs, text lines are split at the first tab
// into fields a and b, and JSON items must have non-empty string fields a
// and b. A problem names the file and line; a corpus without items is an
// error too.
func ParseCorpus(name string, raw []byte, pairs bool) ([]ItemAt, error) {
	return parseCorpus(context.Background(), name, raw, pairs)
}

// parseCorpus is ParseCorpus stopping with ctx's error once ctx is done.
func parseCorpus(ctx context.Context, name string, raw []byte, pairs bool) ([]ItemAt, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	var items []ItemAt
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64<<10), MaxCorpusLineBytes)
	ext := strings.ToLower(path.Ext(name))
	jsonl := ext == ".jsonl" || ext == ".ndjson"
	for line := 1; sc.Scan(); line++ {
		if line%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" {
			continue
		}
		where := fmt.Sprintf("%s:%d", name, line)
		var it Item
		switch {
		case jsonl:
			if err := json.Unmarshal([]byte(text), &it); err != nil || it == nil {
				if err == nil {
					err = errors.New("null")
				}
				return nil, fmt.Errorf("%s: not a JSON object: %v", where, err)
			}
		case pairs:
			a, b, ok := strings.Cut(text, "\t")
			if !ok {
				return nil, fmt.Errorf("%s: pairs in a .txt file need a tab between a and b", where)
			}
			it = Item{"a": a, "b": b}
		default:
			it = Item{"text": text}
		}
		if pairs {
			if err := checkPair(it); err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
		}
		items = append(items, ItemAt{Item: it, Where: where})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%s: no items", name)
	}
	return items, nil
}

// checkPair requires non-empty string fields a and b.
func checkPair(it Item) error {
	a, okA := it["a"].(string)
	b, okB := it["b"].(string)
	if !okA || !okB || a == "" || b == "" {
		return errors.New("pairs needs non-empty string fields a and b")
	}
	return nil
}

// PayloadItems reads the scenario's payload corpus: the file (through
// ReadFile) then the inline items. No payloads give no items.
func (s *Scenario) PayloadItems() ([]ItemAt, error) {
	p := s.Payloads
	var items []ItemAt
	if p.File != "" {
		raw, err := s.ReadFile(p.File)
		if err != nil {
			return nil, fmt.Errorf("payloads: read corpus: %w", err)
		}
		its, err := ParseCorpus(p.File, raw, p.Pairs)
		if err != nil {
			return nil, fmt.Errorf("payloads: %w", err)
		}
		items = append(items, its...)
	}
	for i, it := range p.Inline {
		items = append(items, ItemAt{Item: Item(it), Where: fmt.Sprintf("payloads.inline[%d]", i)})
	}
	return items, nil
}

// BodyTemplate is the body template target sends with: its own body, else
// the payloads body (DefaultBody once defaults are applied; "" when the
// scenario has no payloads and no body: requests then carry none).
func (s *Scenario) BodyTemplate(t Target) string {
	if t.Body != "" {
		return t.Body
	}
	return s.Payloads.Body
}

// RendersNoBody reports whether a target with template tmpl and these
// items sends no body: no items and no template of its own (or the
// default one, which renders items).
func RendersNoBody(items int, tmpl string) bool {
	return items == 0 && (tmpl == "" || tmpl == DefaultBody)
}
