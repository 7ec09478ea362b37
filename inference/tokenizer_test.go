package inference

import (
	"slices"
	"strings"
	"testing"
)

func loadTestVocab(t testing.TB, maxLen int) *Tokenizer {
	t.Helper()
	tok, err := LoadVocab("testdata/vocab.txt", maxLen)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestWordPieceTokenize(t *testing.T) {
	t.Parallel()
	tok := loadTestVocab(t, 64)
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"punctuation and case", "Hello, World!", []string{"hello", ",", "world", "!"}},
		{"accents stripped", "Café NAÏVE", []string{"cafe", "naive"}},
		{"## continuations", "unaffable", []string{"un", "##aff", "##able"}},
		{"longest match first", "tokenization", []string{"token", "##ization"}},
		{"short continuation", "tokens", []string{"token", "##s"}},
		{"unmatchable tail makes the word unknown", "tokenx", []string{"[UNK]"}},
		{"unknown word", "xyzzy", []string{"[UNK]"}},
		{"apostrophe splits", "running's", []string{"run", "##ning", "'", "s"}},
		{"CJK characters split", "a直a", []string{"a", "直", "a"}},
		{"whitespace kinds", "hello\tworld\n\u00a0hello", []string{"hello", "world", "hello"}},
		{"format characters dropped", "hello\u200bworld", []string{"[UNK]"}},
		{"word over 100 runes", strings.Repeat("a", 101), []string{"[UNK]"}},
		{"word of 100 runes is tokenized", strings.Repeat("a", 100), append([]string{"a"}, slices.Repeat([]string{"##a"}, 99)...)},
		{"empty", "  ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tok.Tokenize(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("Tokenize(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestWordPieceEncode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		maxLen    int
		a, b      string
		pair      bool
		wantIDs   []int32
		wantTypes []int32
	}{
		{"single", 16, "Hello world!", "", false, []int32{2, 5, 6, 8, 3}, []int32{0, 0, 0, 0, 0}},
		{"truncated single", 5, "hello world hello world", "", false, []int32{2, 5, 6, 5, 3}, []int32{0, 0, 0, 0, 0}},
		{"pair", 16, "hello world", "the token", true, []int32{2, 5, 6, 3, 15, 16, 3}, []int32{0, 0, 0, 0, 1, 1, 1}},
		{"pair truncated longest first", 6, "hello world hello", "the", true, []int32{2, 5, 6, 3, 15, 3}, []int32{0, 0, 0, 0, 1, 1}},
		{"pair truncated both", 5, "hello world", "the token", true, []int32{2, 5, 3, 15, 3}, []int32{0, 0, 0, 1, 1}},
		{"empty text", 8, "", "", false, []int32{2, 3}, []int32{0, 0}},
		{"pair with no room for text", 2, "hello", "world", true, []int32{2, 3, 3}, []int32{0, 0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok := loadTestVocab(t, tt.maxLen)
			var got Encoding
			if tt.pair {
				got = tok.EncodePair(tt.a, tt.b)
			} else {
				got = tok.Encode(tt.a)
			}
			if !slices.Equal(got.IDs, tt.wantIDs) || !slices.Equal(got.TypeIDs, tt.wantTypes) {
				t.Errorf("got ids %v types %v, want ids %v types %v", got.IDs, got.TypeIDs, tt.wantIDs, tt.wantTypes)
			}
		})
	}
}

func TestNewWordPieceRefusesVocabWithoutSpecials(t *testing.T) {
	t.Parallel()
	_, err := NewWordPiece(strings.NewReader("[PAD]\n[UNK]\nhello\n"), 16)
	if err == nil || !strings.Contains(err.Error(), "[CLS]") {
		t.Fatalf("err = %v, want one naming [CLS]", err)
	}
}

func TestFallbackTokenizer(t *testing.T) {
	t.Parallel()
	tok, err := NewFallbackTokenizer(DefaultVocab, 512)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want []string
	}{
		{"The cat", []string{"the", "cat"}},
		{"Tokenization!", []string{"tokeni", "##zati", "##on", "!"}},
		{"seventy", []string{"seventy"}},
		{"Naïve élan", []string{"naive", "elan"}},
	}
	for _, tt := range tests {
		if got := tok.Tokenize(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("Tokenize(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
	// Deterministic ids in the ordinary range, specials as in BERT.
	e1, e2 := tok.Encode("hello world"), tok.Encode("hello world")
	if !slices.Equal(e1.IDs, e2.IDs) {
		t.Fatalf("ids differ between calls: %v vs %v", e1.IDs, e2.IDs)
	}
	if e1.IDs[0] != 101 || e1.IDs[len(e1.IDs)-1] != 102 {
		t.Errorf("specials = %d..%d, want 101..102", e1.IDs[0], e1.IDs[len(e1.IDs)-1])
	}
	for _, id := range e1.IDs[1 : len(e1.IDs)-1] {
		if id < 999 || id >= DefaultVocab {
			t.Errorf("piece id %d outside [999, %d)", id, DefaultVocab)
		}
	}
	// Token counts track text length like bert-base-uncased (≈1.3 per word).
	prose := `Serverless functions bill every request by its duration and memory, while
always-on instances bill every hour whether or not traffic arrives. For a small
distilled model, the break-even point depends on latency, cold starts, and the
shape of the traffic: bursty workloads favour functions, steady ones favour
instances. We measured both deployments under identical open-loop load.`
	words := len(strings.Fields(prose))
	ratio := float64(len(tok.Tokenize(prose))) / float64(words)
	if ratio < 1.1 || ratio > 1.5 {
		t.Errorf("tokens per word = %.2f, want ≈1.3", ratio)
	}
}

func BenchmarkTokenizerEncode(b *testing.B) {
	tok, err := NewFallbackTokenizer(DefaultVocab, 128)
	if err != nil {
		b.Fatal(err)
	}
	text := "The service was quick and friendly, but the food arrived cold and the bill was wrong."
	b.ReportAllocs()
	for b.Loop() {
		tok.Encode(text)
	}
}

func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", "Hello, World!", "Café naïve 直a", strings.Repeat("tokenization ", 40), "\x00\ufffd\u200b", "a\u0301"} {
		f.Add(s, "b side")
	}
	wp, err := LoadVocab("testdata/vocab.txt", 16)
	if err != nil {
		f.Fatal(err)
	}
	fb, err := NewFallbackTokenizer(DefaultVocab, 16)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, tok := range []*Tokenizer{wp, fb} {
			for _, e := range []Encoding{tok.Encode(a), tok.EncodePair(a, b)} {
				if e.Len() > tok.MaxSeqLen() || e.Len() < 2 || len(e.TypeIDs) != e.Len() {
					t.Fatalf("%s: %d tokens (%d types), max %d", tok.Kind(), e.Len(), len(e.TypeIDs), tok.MaxSeqLen())
				}
				if e.IDs[0] != tok.cls || e.IDs[e.Len()-1] != tok.sep {
					t.Fatalf("%s: ids %v do not start with [CLS] and end with [SEP]", tok.Kind(), e.IDs)
				}
				for _, id := range e.IDs {
					if id < 0 || int(id) >= tok.VocabSize() {
						t.Fatalf("%s: id %d outside [0, %d)", tok.Kind(), id, tok.VocabSize())
					}
				}
			}
		}
	})
}
