package loadgen

import (
	"encoding/json"
	"testing"

	"github.com/benchctl/benchctl/scenarios"
)

func TestPayloads(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{
		"reviews.txt":  []byte("great phone\n\nbattery died after \"two\" days\r\n"),
		"items.jsonl":  []byte(`{"text":"a","lang":"en"}` + "\n" + `{"text":"b","lang":"de"}` + "\n"),
		"pairs.txt":    []byte("how old are you\twhat is your age\n"),
		"badpairs.txt": []byte("no tab here\n"),
		"bad.jsonl":    []byte("{oops\n"),
	}
	read := func(name string) ([]byte, error) { return files[name], nil }
	tests := []struct {
		name    string
		p       scenarios.Payloads
		targets []scenarios.Target
		target  string
		want    []string // bodies of requests 0, 1, 2…
		wantErr bool
	}{
		{name: "txt with json helper", p: scenarios.Payloads{File: "reviews.txt", Body: `{"text": {{json .text}}}`},
			want: []string{`{"text": "great phone"}`, `{"text": "battery died after \"two\" days"}`, `{"text": "great phone"}`}},
		{name: "default template is the item", p: scenarios.Payloads{File: "items.jsonl"},
			want: []string{`{"lang":"en","text":"a"}`, `{"lang":"de","text":"b"}`}},
		{name: "pairs", p: scenarios.Payloads{File: "pairs.txt", Pairs: true, Body: `{"a":{{json .a}},"b":{{json .b}}}`},
			want: []string{`{"a":"how old are you","b":"what is your age"}`}},
		{name: "inline", p: scenarios.Payloads{Inline: []map[string]any{{"text": "x"}}, Body: `{{.text}}!`},
			want: []string{`x!`}},
		{name: "target template overrides", p: scenarios.Payloads{Inline: []map[string]any{{"text": "x"}}, Body: `{{.text}}`},
			targets: []scenarios.Target{{Name: "t", Body: `[{{json .text}}]`}}, target: "t", want: []string{`["x"]`}},
		{name: "no corpus no body", p: scenarios.Payloads{}, want: []string{""}},
		{name: "fixed body", p: scenarios.Payloads{Body: `{"ping":1}`}, want: []string{`{"ping":1}`}},
		{name: "pairs need a tab", p: scenarios.Payloads{File: "badpairs.txt", Pairs: true}, wantErr: true},
		{name: "bad jsonl", p: scenarios.Payloads{File: "bad.jsonl"}, wantErr: true},
		{name: "bad template", p: scenarios.Payloads{Inline: []map[string]any{{"text": "x"}}, Body: `{{.text`}, wantErr: true},
		{name: "missing field", p: scenarios.Payloads{Inline: []map[string]any{{"text": "x"}}, Body: `{{.nope}}`}, wantErr: true},
		{name: "bad order", p: scenarios.Payloads{Inline: []map[string]any{{"text": "x"}}, Order: "shuffle"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pl, err := NewPayloads(tc.p, tc.targets, read, 1)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			b := pl.For(tc.target)
			for i, want := range tc.want {
				if got := string(b.At(uint64(i))); got != want {
					t.Errorf("body %d = %q, want %q", i, got, want)
				}
				if want != "" && want[0] == '{' && !json.Valid(b.At(uint64(i))) {
					t.Errorf("body %d is not JSON", i)
				}
			}
		})
	}
}

func TestRandomOrderSeeded(t *testing.T) {
	t.Parallel()
	var items []scenarios.Item
	for i := range 50 {
		items = append(items, scenarios.Item{"i": i})
	}
	a, _ := RenderBodies(items, `{{.i}}`, "random", 5)
	b, _ := RenderBodies(items, `{{.i}}`, "random", 5)
	c, _ := RenderBodies(items, `{{.i}}`, "random", 6)
	same, diff := true, false
	seen := map[string]bool{}
	for i := range uint64(200) {
		same = same && string(a.At(i)) == string(b.At(i))
		diff = diff || string(a.At(i)) != string(c.At(i))
		seen[string(a.At(i))] = true
	}
	if !same || !diff || len(seen) < 40 {
		t.Fatalf("same seed same order %v, other seed differs %v, distinct %d", same, diff, len(seen))
	}
}

func BenchmarkBodiesAt(b *testing.B) {
	items := make([]scenarios.Item, 300)
	for i := range items {
		items[i] = scenarios.Item{"text": "some review text"}
	}
	bodies, _ := RenderBodies(items, `{"text": {{json .text}}}`, "random", 1)
	var i uint64
	for b.Loop() {
		_ = bodies.At(i)
		i++
	}
}
