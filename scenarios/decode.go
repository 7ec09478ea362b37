package scenarios

import (
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// position is a line and column in the source file (1-based).
type position struct{ line, col int }

// decoder decodes a yaml.Node tree into Go values strictly: unknown keys,
// duplicate keys, wrong types and unparsable durations are errors with a
// position and a field path. It keeps decoding after an error so that all
// problems are reported at once, and remembers where every field was found
// so that validation can report positions too.
type decoder struct {
	file string
	errs []FieldError
	// pos maps a field path ("phases[1].traffic.rate") to the position of
	// its value node.
	pos map[string]position
	// null holds the paths whose value was an explicit YAML null.
	null map[string]bool
	// keyPos maps the path of a map entry to the position of its key.
	keyPos map[string]position
	// bad holds the paths whose value failed to decode; validation stays
	// quiet about them and everything below them.
	bad map[string]bool
	// aliases counts alias expansions (bounded by MaxAliasExpansions).
	aliases int
}

// MaxAliasExpansions bounds how many YAML aliases (*name) one file may
// expand: nested aliases grow exponentially (a "billion laughs" file).
const MaxAliasExpansions = 10000

func newDecoder(file string) *decoder {
	return &decoder{
		file:   file,
		pos:    map[string]position{},
		keyPos: map[string]position{},
		null:   map[string]bool{},
		bad:    map[string]bool{},
	}
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	itemType     = reflect.TypeOf(map[string]any(nil))
	yamlLineRe   = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// parseDocument parses data into its single document's root node. A syntax
// error is recorded as a FieldError and nil is returned.
func (d *decoder) parseDocument(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.errs = append(d.errs, FieldError{File: d.file, Line: 1, Col: 1, Msg: "empty file (expected a mapping starting with version: 1)"})
			return nil
		}
		d.syntaxError(err)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.errs = append(d.errs, FieldError{File: d.file, Line: extra.Line, Col: extra.Column, Msg: "more than one YAML document (only one is allowed)"})
	} else if !errors.Is(err, io.EOF) {
		d.syntaxError(err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			d.errs = append(d.errs, FieldError{File: d.file, Line: 1, Col: 1, Msg: "empty file (expected a mapping starting with version: 1)"})
			return nil
		}
		root = root.Content[0]
	}
	return root
}

// yamlParserProblems are the problems yaml.v3's parser (as opposed to its
// scanner) reports. For these yaml.v3 prints a 0-based line number and
// omits "line 0", so syntaxError adds one.
var yamlParserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// syntaxError records a YAML syntax error at the line yaml.v3 reports (the
// start of the construct being parsed, or the problem itself); yaml.v3
// gives no column.
func (d *decoder) syntaxError(err error) {
	msg, line := strings.TrimPrefix(err.Error(), "yaml: "), 0
	if m := yamlLineRe.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if yamlParserProblems[msg] {
		line++
	}
	d.errs = append(d.errs, FieldError{File: d.file, Line: max(line, 1), Msg: "yaml syntax: " + msg})
}

// errAt records a problem at node n.
func (d *decoder) errAt(n *yaml.Node, path, format string, args ...any) {
	d.errs = append(d.errs, FieldError{File: d.file, Line: n.Line, Col: n.Column, Field: path, Msg: fmt.Sprintf(format, args...)})
}

// typeErr records a wrong-type problem and marks path bad.
func (d *decoder) typeErr(n *yaml.Node, path, want string) {
	d.bad[path] = true
	d.errAt(n, path, "must be %s (got %s)", want, describe(n))
}

// describe names what a node holds, for "got ..." in messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!str" || n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			return strconv.Quote(n.Value)
		}
		return n.Value
	default:
		return "unsupported YAML"
	}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// decode decodes n into v (addressable), recording positions under path.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		if d.aliases++; d.aliases > MaxAliasExpansions {
			if d.aliases == MaxAliasExpansions+1 {
				d.errAt(n, path, "more than %d alias expansions: nested aliases grow exponentially; repeat the values instead", MaxAliasExpansions)
			}
			d.bad[path] = true
			return
		}
		n = n.Alias
	}
	d.pos[path] = position{n.Line, n.Column}
	if isNull(n) {
		d.null[path] = true
		return
	}
	t := v.Type()
	switch {
	case t == durationType:
		d.decodeDuration(n, v, path)
	case t == itemType:
		d.decodeItem(n, v, path)
	case t.Kind() == reflect.Pointer:
		e := reflect.New(t.Elem())
		d.decode(n, e.Elem(), path)
		if !d.bad[path] {
			v.Set(e)
		}
	case t.Kind() == reflect.Struct:
		d.decodeStruct(n, v, path)
	case t.Kind() == reflect.Slice:
		d.decodeSlice(n, v, path)
	case t.Kind() == reflect.Map:
		d.decodeMap(n, v, path)
	case t.Kind() == reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.typeErr(n, path, "a string")
			return
		}
		v.SetString(n.Value)
	case t.Kind() == reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			d.typeErr(n, path, "true or false")
			return
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			d.typeErr(n, path, "true or false")
			return
		}
		v.SetBool(b)
	case t.Kind() == reflect.Int, t.Kind() == reflect.Int64, t.Kind() == reflect.Int32:
		var i int64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil || v.OverflowInt(i) {
			d.typeErr(n, path, "an integer")
			return
		}
		v.SetInt(i)
	case t.Kind() == reflect.Uint64, t.Kind() == reflect.Uint:
		var u uint64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&u) != nil {
			d.typeErr(n, path, "a non-negative integer")
			return
		}
		v.SetUint(u)
	case t.Kind() == reflect.Float64:
		var f float64
		tag := n.ShortTag()
		if n.Kind != yaml.ScalarNode || (tag != "!!int" && tag != "!!float") || n.Decode(&f) != nil {
			d.typeErr(n, path, "a number")
			return
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			d.typeErr(n, path, "a finite number")
			return
		}
		v.SetFloat(f)
	default:
		d.typeErr(n, path, "a supported value")
	}
}

func (d *decoder) decodeDuration(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.typeErr(n, path, "a duration like 30s or 2m")
		return
	}
	if n.Value == "0" {
		v.SetInt(0)
		return
	}
	dur, err := time.ParseDuration(n.Value)
	if err != nil {
		d.typeErr(n, path, "a duration like 30s or 2m")
		return
	}
	v.SetInt(int64(dur))
}

// decodeItem decodes one inline payload item: a string becomes
// {text: value}, a mapping is decoded as is.
func (d *decoder) decodeItem(n *yaml.Node, v reflect.Value, path string) {
	switch n.Kind {
	case yaml.ScalarNode:
		v.Set(reflect.ValueOf(map[string]any{"text": n.Value}))
	case yaml.MappingNode:
		m := map[string]any{}
		if err := n.Decode(&m); err != nil {
			d.bad[path] = true
			d.errAt(n, path, "cannot decode item: %v", err)
			return
		}
		v.Set(reflect.ValueOf(m))
	default:
		d.typeErr(n, path, "a string or a mapping")
	}
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.typeErr(n, path, "a list")
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, c := range n.Content {
		d.decode(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(s)
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.typeErr(n, path, "a mapping")
		return
	}
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		d.typeErr(n, path, "a supported mapping")
		return
	}
	m := reflect.MakeMapWithSize(t, len(n.Content)/2)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errAt(k, path, "keys must be strings (got %s)", describe(k))
			continue
		}
		p := join(path, k.Value)
		if line, ok := seen[k.Value]; ok {
			d.errAt(k, p, "duplicate key (first at line %d)", line)
			continue
		}
		seen[k.Value] = k.Line
		d.keyPos[p] = position{k.Line, k.Column}
		e := reflect.New(t.Elem()).Elem()
		d.decode(val, e, p)
		m.SetMapIndex(reflect.ValueOf(k.Value).Convert(t.Key()), e)
	}
	v.Set(m)
}

// fieldsOf returns the yaml-tagged fields of struct type t by key.
func fieldsOf(t reflect.Type) (map[string]int, []string) {
	idx := map[string]int{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		idx[tag] = i
		names = append(names, tag)
	}
	return idx, names
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.typeErr(n, path, "a mapping")
		return
	}
	idx, names := fieldsOf(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errAt(k, path, "keys must be strings (got %s)", describe(k))
			continue
		}
		p := join(path, k.Value)
		if k.Value == "<<" {
			d.errAt(k, path, "merge keys (<<) are not supported; repeat the fields instead")
			continue
		}
		if line, ok := seen[k.Value]; ok {
			d.errAt(k, p, "duplicate key (first at line %d)", line)
			continue
		}
		seen[k.Value] = k.Line
		fi, ok := idx[k.Value]
		if !ok {
			d.errAt(k, p, "%s", unknownFieldMsg(k.Value, names))
			continue
		}
		d.decode(val, v.Field(fi), p)
	}
}

// unknownFieldMsg suggests the nearest known field, or lists them all.
func unknownFieldMsg(key string, names []string) string {
	best, bestDist := "", 3
	for _, n := range names {
		if dist := editDistance(strings.ToLower(key), n); dist < bestDist {
			best, bestDist = n, dist
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown field (did you mean %s?)", best)
	}
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	return fmt.Sprintf("unknown field (allowed: %s)", strings.Join(sorted, ", "))
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
