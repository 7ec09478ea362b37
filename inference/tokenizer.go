package inference

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Special tokens of the BERT vocabulary.
const (
	TokenPad = "[PAD]"
	TokenUnk = "[UNK]"
	TokenCLS = "[CLS]"
	TokenSEP = "[SEP]"
)

// maxWordRunes is BERT's max_input_chars_per_word: longer words become [UNK].
const maxWordRunes = 100

// Encoding is a tokenized sequence ready for the encoder: token ids and
// token type (segment) ids, both including [CLS] and [SEP].
type Encoding struct {
	IDs     []int32
	TypeIDs []int32
}

// Len is the number of tokens, special tokens included.
func (e Encoding) Len() int { return len(e.IDs) }

// Tokenizer turns text into token ids. It is BERT's uncased WordPiece when
// built from a vocab.txt (NewWordPiece, LoadVocab), or the deterministic
// fallback (NewFallbackTokenizer) when no vocabulary is given. A Tokenizer is
// immutable and safe for concurrent use.
type Tokenizer struct {
	vocab     map[string]int32 // nil for the fallback
	size      int              // vocabulary size (ids are < size)
	maxLen    int              // truncation length incl. specials
	pad, unk  int32
	cls, sep  int32
	hashBase  int32 // fallback: first id used for hashed pieces
	hashSpan  uint32
	vocabPath string
}

// LoadVocab reads a vocab.txt (one token per line, id = line number) and
// returns the WordPiece tokenizer truncating to maxSeqLen tokens.
func LoadVocab(path string, maxSeqLen int) (*Tokenizer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open vocabulary: %w", err)
	}
	defer f.Close()
	t, err := NewWordPiece(f, maxSeqLen)
	if err != nil {
		return nil, fmt.Errorf("vocabulary %s: %w", path, err)
	}
	t.vocabPath = path
	return t, nil
}

// NewWordPiece builds the BERT uncased WordPiece tokenizer from a vocab.txt
// stream. The vocabulary must contain [UNK], [CLS] and [SEP]; [PAD] defaults
// to id 0 when absent.
func NewWordPiece(r io.Reader, maxSeqLen int) (*Tokenizer, error) {
	if maxSeqLen < 2 {
		return nil, fmt.Errorf("max sequence length %d: must be at least 2", maxSeqLen)
	}
	vocab := make(map[string]int32, 32768)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	var id int32
	for sc.Scan() {
		tok := strings.TrimRight(sc.Text(), "\r")
		if _, dup := vocab[tok]; !dup {
			vocab[tok] = id
		}
		id++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read vocabulary: %w", err)
	}
	t := &Tokenizer{vocab: vocab, size: int(id), maxLen: maxSeqLen}
	for _, s := range []struct {
		name string
		dst  *int32
	}{{TokenUnk, &t.unk}, {TokenCLS, &t.cls}, {TokenSEP, &t.sep}} {
		v, ok := vocab[s.name]
		if !ok {
			return nil, fmt.Errorf("vocabulary has no %s token", s.name)
		}
		*s.dst = v
	}
	if v, ok := vocab[TokenPad]; ok {
		t.pad = v
	}
	return t, nil
}

// NewFallbackTokenizer returns the deterministic tokenizer used when no
// vocab.txt is given. It runs BERT's basic tokenizer (clean, lower-case,
// strip accents, split on whitespace and punctuation) and then cuts each
// word into pieces the way WordPiece tends to for English:
//
//	word of n runes, n ≤ 7:  one piece
//	otherwise:               a first piece of 6 runes, then "##" pieces of
//	                         up to 4 runes (the last may be shorter)
//
// so "the" → [the], "tokenization" → [tokeni ##zati ##on]; on English
// prose this gives ≈ 1.3 tokens per word, like bert-base-uncased. A piece's
// id is FNV-1a(piece) mod (size − base) + base, where base = 999 for
// vocabularies of at least 1000 ids (BERT's first ordinary token) and 4
// otherwise; special ids are BERT's ([PAD]=0, [UNK]=100, [CLS]=101,
// [SEP]=102) for big vocabularies and 0..3 for small ones. Words over 100
// runes become [UNK], as in WordPiece.
func NewFallbackTokenizer(vocabSize, maxSeqLen int) (*Tokenizer, error) {
	if maxSeqLen < 2 {
		return nil, fmt.Errorf("max sequence length %d: must be at least 2", maxSeqLen)
	}
	if vocabSize < 5 {
		return nil, fmt.Errorf("fallback tokenizer: vocabulary size %d is too small (need ≥ 5)", vocabSize)
	}
	t := &Tokenizer{size: vocabSize, maxLen: maxSeqLen}
	if vocabSize >= 1000 {
		t.pad, t.unk, t.cls, t.sep, t.hashBase = 0, 100, 101, 102, 999
	} else {
		t.pad, t.unk, t.cls, t.sep, t.hashBase = 0, 1, 2, 3, 4
	}
	t.hashSpan = uint32(vocabSize) - uint32(t.hashBase)
	return t, nil
}

// Kind is "wordpiece" or "fallback".
func (t *Tokenizer) Kind() string {
	if t.vocab == nil {
		return "fallback"
	}
	return "wordpiece"
}

// VocabSize is the number of ids the tokenizer can produce.
func (t *Tokenizer) VocabSize() int { return t.size }

// MaxSeqLen is the truncation length, special tokens included.
func (t *Tokenizer) MaxSeqLen() int { return t.maxLen }

// PadID is the [PAD] id.
func (t *Tokenizer) PadID() int32 { return t.pad }

// Tokenize returns the word pieces of text, without special tokens and
// without truncation.
func (t *Tokenizer) Tokenize(text string) []string {
	var out []string
	t.eachPiece(text, func(piece string, id int32) { out = append(out, piece) })
	return out
}

// Encode tokenizes one text as [CLS] text [SEP], truncated to MaxSeqLen.
func (t *Tokenizer) Encode(text string) Encoding {
	ids := make([]int32, 0, 32)
	ids = append(ids, t.cls)
	limit := t.maxLen - 1
	t.eachPiece(text, func(_ string, id int32) {
		if len(ids) < limit {
			ids = append(ids, id)
		}
	})
	ids = append(ids, t.sep)
	return Encoding{IDs: ids, TypeIDs: make([]int32, len(ids))}
}

// EncodePair tokenizes a text pair as [CLS] a [SEP] b [SEP] with token type
// 0 for [CLS], a and the first [SEP] and 1 for b and the last [SEP]. When
// too long it truncates "longest first", like Hugging Face: one token at a
// time from the end of whichever text is currently longer (b on ties).
// With MaxSeqLen < 3 the three special tokens alone exceed it.
func (t *Tokenizer) EncodePair(a, b string) Encoding {
	var ia, ib []int32
	t.eachPiece(a, func(_ string, id int32) { ia = append(ia, id) })
	t.eachPiece(b, func(_ string, id int32) { ib = append(ib, id) })
	for budget := t.maxLen - 3; len(ia)+len(ib) > budget && len(ia)+len(ib) > 0; {
		if len(ia) > len(ib) {
			ia = ia[:len(ia)-1]
		} else {
			ib = ib[:len(ib)-1]
		}
	}
	n := len(ia) + len(ib) + 3
	ids := make([]int32, 0, n)
	types := make([]int32, n)
	ids = append(ids, t.cls)
	ids = append(ids, ia...)
	ids = append(ids, t.sep)
	ids = append(ids, ib...)
	ids = append(ids, t.sep)
	for i := len(ia) + 2; i < n; i++ {
		types[i] = 1
	}
	return Encoding{IDs: ids, TypeIDs: types}
}

// eachPiece runs the basic tokenizer and WordPiece (or the fallback
// splitter) over text, calling fn for each piece in order.
func (t *Tokenizer) eachPiece(text string, fn func(piece string, id int32)) {
	basicTokenize(text, func(word string) {
		if utf8.RuneCountInString(word) > maxWordRunes {
			fn(TokenUnk, t.unk)
			return
		}
		if t.vocab == nil {
			t.fallbackPieces(word, fn)
			return
		}
		t.wordPiece(word, fn)
	})
}

// wordPiece is BERT's greedy longest-match-first WordPiece: if any part of
// the word cannot be matched, the whole word becomes [UNK].
func (t *Tokenizer) wordPiece(word string, fn func(string, int32)) {
	// First pass: find the pieces without emitting, since a failure
	// anywhere turns the whole word into [UNK].
	var buf [32]struct {
		s  string
		id int32
	}
	pieces := buf[:0]
	var key strings.Builder
	start := 0
	for start < len(word) {
		end := len(word)
		found := false
		for end > start {
			sub := word[start:end]
			var id int32
			var ok bool
			if start > 0 {
				key.Reset()
				key.WriteString("##")
				key.WriteString(sub)
				sub = key.String()
			}
			id, ok = t.vocab[sub]
			if ok {
				pieces = append(pieces, struct {
					s  string
					id int32
				}{sub, id})
				found = true
				break
			}
			// Step back one rune.
			_, size := utf8.DecodeLastRuneInString(word[start:end])
			end -= size
		}
		if !found {
			fn(TokenUnk, t.unk)
			return
		}
		start = end
	}
	for _, p := range pieces {
		fn(p.s, p.id)
	}
}

// fallbackPieces cuts word as documented on NewFallbackTokenizer.
func (t *Tokenizer) fallbackPieces(word string, fn func(string, int32)) {
	n := utf8.RuneCountInString(word)
	if n <= 7 {
		fn(word, t.hashID("", word))
		return
	}
	// First piece: 6 runes.
	i, r := 0, 0
	for r < 6 {
		_, size := utf8.DecodeRuneInString(word[i:])
		i += size
		r++
	}
	fn(word[:i], t.hashID("", word[:i]))
	for i < len(word) {
		j, k := i, 0
		for k < 4 && j < len(word) {
			_, size := utf8.DecodeRuneInString(word[j:])
			j += size
			k++
		}
		fn("##"+word[i:j], t.hashID("##", word[i:j]))
		i = j
	}
}

// hashID is FNV-1a over prefix+s mapped into [hashBase, size).
func (t *Tokenizer) hashID(prefix, s string) int32 {
	const offset, prime = 2166136261, 16777619
	h := uint32(offset)
	for i := 0; i < len(prefix); i++ {
		h ^= uint32(prefix[i])
		h *= prime
	}
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= prime
	}
	return t.hashBase + int32(h%t.hashSpan)
}

// basicTokenize is BERT's BasicTokenizer with do_lower_case: drop control
// characters, NUL and U+FFFD; surround CJK ideographs with spaces; split on
// white space; lower-case; strip accents (NFD, drop nonspacing marks); split
// off every punctuation character as its own word.
func basicTokenize(text string, fn func(word string)) {
	// Lower-case and NFD-decompose, dropping nonspacing marks.
	var b strings.Builder
	b.Grow(len(text) + 8)
	var it norm.Iter
	it.InitString(norm.NFD, strings.ToLower(text))
	for !it.Done() {
		seg := it.Next()
		for len(seg) > 0 {
			r, size := utf8.DecodeRune(seg)
			seg = seg[size:]
			switch {
			case r == 0 || r == utf8.RuneError || (isControl(r)):
				continue
			case isWhitespace(r):
				b.WriteByte(' ')
			case unicode.Is(unicode.Mn, r):
				continue
			case isPunct(r) || isCJK(r):
				b.WriteByte(' ')
				b.WriteRune(r)
				b.WriteByte(' ')
			default:
				b.WriteRune(r)
			}
		}
	}
	s := b.String()
	for len(s) > 0 {
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			fn(s)
			return
		}
		if i > 0 {
			fn(s[:i])
		}
		s = s[i+1:]
	}
}

// isWhitespace matches BERT's _is_whitespace: space, \t, \n, \r and Zs.
func isWhitespace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || unicode.Is(unicode.Zs, r)
}

// isControl matches BERT's _is_control: Cc and Cf except \t, \n, \r.
func isControl(r rune) bool {
	if r == '\t' || r == '\n' || r == '\r' {
		return false
	}
	return unicode.In(r, unicode.Cc, unicode.Cf)
}

// isPunct matches BERT's _is_punctuation: all non-alphanumeric ASCII
// (33–47, 58–64, 91–96, 123–126) and Unicode category P.
func isPunct(r rune) bool {
	if (r >= 33 && r <= 47) || (r >= 58 && r <= 64) || (r >= 91 && r <= 96) || (r >= 123 && r <= 126) {
		return true
	}
	return unicode.IsPunct(r)
}

// isCJK matches BERT's _is_chinese_char code point ranges.
func isCJK(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) || (r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) || (r >= 0x2B820 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) || (r >= 0x2F800 && r <= 0x2FA1F)
}
