package scenarios

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// structTypes returns Scenario and every struct type reachable from its
// yaml-tagged fields (through pointers and slices), time.Duration aside.
func structTypes() []reflect.Type {
	var out []reflect.Type
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t == durationType || seen[t] {
			return
		}
		seen[t] = true
		out = append(out, t)
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if tag := f.Tag.Get("yaml"); tag != "" && tag != "-" {
				walk(f.Type)
			}
		}
	}
	walk(typeOf[Scenario]())
	return out
}

// docSections splits the reference into sections keyed by the type named
// in their heading as (type `Name`).
func docSections(doc string) map[string]string {
	sections := map[string]string{}
	var cur string
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "#") {
			cur = ""
			if i := strings.Index(line, "type `"); i >= 0 {
				rest := line[i+len("type `"):]
				if j := strings.IndexByte(rest, '`'); j > 0 {
					cur = rest[:j]
				}
			}
			continue
		}
		if cur != "" {
			sections[cur] += line + "\n"
		}
	}
	return sections
}

// TestReferenceDocCoversEveryField fails when a yaml field of a scenario
// type has no row in docs/scenario-reference.md (or a row names a field
// that does not exist), keeping the reference in sync with scenario.go.
func TestReferenceDocCoversEveryField(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../docs/scenario-reference.md")
	if err != nil {
		t.Fatalf("read reference: %v", err)
	}
	sections := docSections(string(raw))
	types := structTypes()
	if len(types) < 10 {
		t.Fatalf("found only %d scenario types", len(types))
	}
	for _, typ := range types {
		sec, ok := sections[typ.Name()]
		if !ok {
			t.Errorf("docs/scenario-reference.md has no section with (type `%s`)", typ.Name())
			continue
		}
		_, names := fieldsOf(typ)
		want := map[string]bool{}
		for _, name := range names {
			want[name] = true
			if !strings.Contains(sec, "| `"+name+"` |") {
				t.Errorf("section for %s has no row for field %q", typ.Name(), name)
			}
		}
		for _, line := range strings.Split(sec, "\n") {
			if !strings.HasPrefix(line, "| `") {
				continue
			}
			field := strings.TrimPrefix(line, "| `")
			field = field[:strings.IndexByte(field, '`')]
			if !want[field] {
				t.Errorf("section for %s documents %q, which %s does not have", typ.Name(), field, typ.Name())
			}
		}
	}
}
