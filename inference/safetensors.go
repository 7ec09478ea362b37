package inference

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
)

// Safetensors format (https://github.com/huggingface/safetensors):
//
//	8 bytes    N, little-endian uint64: header length
//	N bytes    JSON: {"<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//	           "__metadata__": {"k": "v"}}   (offsets relative to the byte after the header)
//	rest       tensor data, little-endian, row-major
//
// The reader accepts F32, F16 and BF16 tensors (converted to float32) and
// ignores tensors it does not need (e.g. embeddings.position_ids, a masked
// LM head's vocab_projector).

// maxHeaderBytes bounds the JSON header a reader accepts.
const maxHeaderBytes = 100 << 20

// ErrBadWeights marks a weights file that cannot be used: unreadable,
// malformed, or with missing or mis-shaped tensors.
var ErrBadWeights = errors.New("bad weights file")

// Tensor is a float32 tensor to write with WriteSafetensors.
type Tensor struct {
	Shape []int
	Data  []float32
}

type stEntry struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

// WriteSafetensors writes tensors (all F32) and optional metadata in the
// safetensors format, tensors sorted by name. Each tensor's Data length must
// equal the product of its Shape.
func WriteSafetensors(w io.Writer, tensors map[string]Tensor, metadata map[string]string) error {
	names := make([]string, 0, len(tensors))
	for n := range tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	header := make(map[string]any, len(tensors)+1)
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	var off int64
	for _, n := range names {
		t := tensors[n]
		if numel(t.Shape) != len(t.Data) {
			return fmt.Errorf("write safetensors: tensor %q has %d values for shape %v", n, len(t.Data), t.Shape)
		}
		size := int64(len(t.Data)) * 4
		header[n] = stEntry{DType: "F32", Shape: t.Shape, Offsets: [2]int64{off, off + size}}
		off += size
	}
	hj, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("write safetensors: encode header: %w", err)
	}
	// Pad the header with spaces to a multiple of 8 so data is aligned.
	for len(hj)%8 != 0 {
		hj = append(hj, ' ')
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(hj)))
	bw.Write(lenBuf[:])
	bw.Write(hj)
	var buf [4]byte
	for _, n := range names {
		for _, v := range tensors[n].Data {
			binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
			bw.Write(buf[:])
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write safetensors: %w", err)
	}
	return nil
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// stFile is an open safetensors file.
type stFile struct {
	f       *os.File
	path    string
	dataOff int64
	entries map[string]stEntry
}

func openSafetensors(path string) (*stFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadWeights, err)
	}
	st, err := parseSafetensorsHeader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%w %s: %w", ErrBadWeights, path, err)
	}
	st.path = path
	return st, nil
}

func parseSafetensorsHeader(f *os.File) (*stFile, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var lenBuf [8]byte
	if _, err := io.ReadFull(f, lenBuf[:]); err != nil {
		return nil, fmt.Errorf("read header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > maxHeaderBytes || int64(n) > fi.Size()-8 {
		return nil, fmt.Errorf("header length %d is larger than the file (%d bytes) or the %d-byte cap", n, fi.Size(), maxHeaderBytes)
	}
	hb := make([]byte, n)
	if _, err := io.ReadFull(f, hb); err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hb, &raw); err != nil {
		return nil, fmt.Errorf("parse header JSON: %w", err)
	}
	st := &stFile{f: f, dataOff: 8 + int64(n), entries: make(map[string]stEntry, len(raw))}
	dataLen := fi.Size() - st.dataOff
	for name, msg := range raw {
		if name == "__metadata__" {
			continue
		}
		var e stEntry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, fmt.Errorf("tensor %q: parse entry: %w", name, err)
		}
		size := dtypeSize(e.DType)
		if e.Offsets[0] < 0 || e.Offsets[1] < e.Offsets[0] || e.Offsets[1] > dataLen {
			return nil, fmt.Errorf("tensor %q: data offsets %v outside the %d data bytes", name, e.Offsets, dataLen)
		}
		if size > 0 && int64(numel(e.Shape))*int64(size) != e.Offsets[1]-e.Offsets[0] {
			return nil, fmt.Errorf("tensor %q: shape %v of %s needs %d bytes, offsets give %d",
				name, e.Shape, e.DType, int64(numel(e.Shape))*int64(size), e.Offsets[1]-e.Offsets[0])
		}
		st.entries[name] = e
	}
	return st, nil
}

func (st *stFile) Close() error { return st.f.Close() }

// dtypeSize is the byte size of a supported dtype, 0 if unsupported.
func dtypeSize(dt string) int {
	switch dt {
	case "F32":
		return 4
	case "F16", "BF16":
		return 2
	}
	return 0
}

// detectArch tells the architecture from the tensor names: the one whose
// first-layer query tensor (its namesFor name, found as lookup finds it:
// BERT's also under "bert.", DistilBERT's also without "distilbert.") is
// present, else ArchDistilBERT if any tensor has the "distilbert." prefix,
// else "" (unknown). A file with both queries is an error.
func (st *stFile) detectArch() (string, error) {
	query := func(arch string) (string, bool) {
		n := namesFor(arch)
		name, _, ok := st.lookup(fmt.Sprintf(n.layer, 0)+n.qkv[0]+".weight", arch)
		return name, ok
	}
	distilQ, distil := query(ArchDistilBERT)
	bertQ, bert := query(ArchBERT)
	switch {
	case distil && bert:
		return "", fmt.Errorf("tensor names of both layouts: a DistilBERT %q and a BERT %q", distilQ, bertQ)
	case distil:
		return ArchDistilBERT, nil
	case bert:
		return ArchBERT, nil
	}
	for name := range st.entries {
		if strings.HasPrefix(name, "distilbert.") {
			return ArchDistilBERT, nil
		}
	}
	return "", nil
}

// lookup finds a tensor by its Hugging Face name for arch. BERT names are
// also found under the "bert." prefix of BertForSequenceClassification
// checkpoints; DistilBERT names (which carry the "distilbert." prefix of
// DistilBertForSequenceClassification) also without it, as a bare
// DistilBertModel saves them. Both accept the old LayerNorm gamma/beta
// names.
func (st *stFile) lookup(name, arch string) (string, stEntry, bool) {
	var cands []string
	if arch == ArchDistilBERT {
		cands = []string{name}
		if t := strings.TrimPrefix(name, "distilbert."); t != name {
			cands = append(cands, t)
		}
	} else {
		cands = []string{name, "bert." + name}
	}
	base := cands
	for _, c := range base {
		if strings.HasSuffix(c, "LayerNorm.weight") {
			cands = append(cands, strings.TrimSuffix(c, "weight")+"gamma")
		} else if strings.HasSuffix(c, "LayerNorm.bias") {
			cands = append(cands, strings.TrimSuffix(c, "bias")+"beta")
		}
	}
	for _, c := range cands {
		if e, ok := st.entries[c]; ok {
			return c, e, true
		}
	}
	return "", stEntry{}, false
}

// load fills specs (named for arch) from the file. Required tensors that
// are missing, mis-shaped or of an unsupported dtype are all reported, each
// naming the tensor and the shapes, followed by cfgDesc (where the wanted
// shapes come from). It returns the optional tensors that were absent (the
// caller generates them).
func (st *stFile) load(specs []tensorSpec, arch, cfgDesc string) (absent []string, err error) {
	path := st.path
	var problems []error
	type job struct {
		spec  tensorSpec
		entry stEntry
	}
	var jobs []job
	for _, s := range specs {
		name, e, ok := st.lookup(s.name, arch)
		if !ok {
			if s.optional {
				absent = append(absent, s.name)
				continue
			}
			problems = append(problems, fmt.Errorf("missing tensor %q (want shape %v)", s.name, s.shape))
			continue
		}
		if !slices.Equal(e.Shape, s.shape) {
			p := fmt.Errorf("tensor %q has shape %v, want %v", name, e.Shape, s.shape)
			if s.name == "classifier.weight" && len(e.Shape) == 2 && len(s.shape) == 2 && e.Shape[1] == s.shape[1] {
				p = fmt.Errorf("%w (the file's classifier has %d classes, the model config %d labels: "+
					"give the checkpoint's config.json, whose id2label names them, or as many labels)", p, e.Shape[0], s.shape[0])
			}
			problems = append(problems, p)
			continue
		}
		if dtypeSize(e.DType) == 0 {
			problems = append(problems, fmt.Errorf("tensor %q has dtype %s, want F32, F16 or BF16", name, e.DType))
			continue
		}
		jobs = append(jobs, job{s, e})
	}
	if len(problems) > 0 {
		const show = 8
		msgs := make([]string, 0, show+1)
		for i, p := range problems {
			if i == show {
				msgs = append(msgs, fmt.Sprintf("and %d more", len(problems)-show))
				break
			}
			msgs = append(msgs, p.Error())
		}
		return nil, fmt.Errorf("%w %s: %s (wanted shapes are from the model config %s)", ErrBadWeights, path, strings.Join(msgs, "; "), cfgDesc)
	}
	var buf []byte
	for _, j := range jobs {
		n := j.entry.Offsets[1] - j.entry.Offsets[0]
		if int64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		b := buf[:n]
		if _, err := st.f.ReadAt(b, st.dataOff+j.entry.Offsets[0]); err != nil {
			return nil, fmt.Errorf("%w %s: read tensor %q: %w", ErrBadWeights, path, j.spec.name, err)
		}
		decodeFloats(j.spec.data, b, j.entry.DType)
	}
	if err := checkFinite(specs); err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrBadWeights, path, err)
	}
	return absent, nil
}

// decodeFloats converts little-endian F32/F16/BF16 bytes to float32.
func decodeFloats(dst []float32, b []byte, dtype string) {
	switch dtype {
	case "F32":
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case "BF16":
		for i := range dst {
			dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
		}
	case "F16":
		for i := range dst {
			dst[i] = halfToFloat(binary.LittleEndian.Uint16(b[2*i:]))
		}
	}
}

// halfToFloat converts an IEEE 754 binary16 to float32.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		f := float32(frac) / (1 << 24)
		if sign != 0 {
			f = -f
		}
		return f
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
}
