package results

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var updateSchema = flag.Bool("update-schema", false, "regenerate summary.schema.json from the Summary type")

// SchemaFile is the published JSON Schema of summary.json.
const schemaFile = "summary.schema.json"

// buildSchema derives the JSON Schema (draft 2020-12) of summary.json from
// the Summary type: every field with its JSON name, required unless
// omitempty, nil slices/maps/pointers allowed as null, no unknown keys.
func buildSchema() map[string]any {
	defs := map[string]any{}
	root := schemaFor(reflect.TypeOf(Summary{}), defs)
	root = defs["Summary"].(map[string]any)
	delete(defs, "Summary")
	props := root["properties"].(map[string]any)
	props["schema_version"] = map[string]any{"const": SchemaVersion, "description": "version of this schema; bumped on any rename or removal"}
	out := map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  "https://github.com/benchctl/benchctl/results/summary.schema.json",
		"title":                "benchctl summary.json",
		"description":          "The machine summary of a benchctl run. Keys are snake_case and carry their unit: _ms milliseconds, _usd US dollars, _rps requests per second, _s seconds, _mb megabytes. Generated from results.Summary by `go test ./results -run TestSummarySchema -update-schema`.",
		"type":                 "object",
		"properties":           props,
		"required":             root["required"],
		"additionalProperties": false,
		"$defs":                defs,
	}
	return out
}

func schemaFor(t reflect.Type, defs map[string]any) map[string]any {
	if t == reflect.TypeOf(time.Time{}) {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return map[string]any{"anyOf": []any{schemaFor(t.Elem(), defs), map[string]any{"type": "null"}}}
	case reflect.Slice:
		return map[string]any{"type": []any{"array", "null"}, "items": schemaFor(t.Elem(), defs)}
	case reflect.Map:
		return map[string]any{"type": []any{"object", "null"}, "additionalProperties": schemaFor(t.Elem(), defs)}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Struct:
		name := t.Name()
		if _, ok := defs[name]; !ok {
			defs[name] = map[string]any{} // placeholder against recursion
			props := map[string]any{}
			required := []any{}
			for i := 0; i < t.NumField(); i++ {
				f := t.Field(i)
				if !f.IsExported() {
					continue
				}
				tag := f.Tag.Get("json")
				if tag == "-" {
					continue
				}
				parts := strings.Split(tag, ",")
				key := parts[0]
				if key == "" {
					key = f.Name
				}
				props[key] = schemaFor(f.Type, defs)
				omit := false
				for _, p := range parts[1:] {
					omit = omit || p == "omitempty" || p == "omitzero"
				}
				if !omit {
					required = append(required, key)
				}
			}
			defs[name] = map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false}
		}
		return map[string]any{"$ref": "#/$defs/" + name}
	}
	panic("summary schema: unsupported kind " + t.Kind().String())
}

// TestSummarySchemaUpToDate checks the published schema matches the Summary
// type (regenerate with -update-schema after adding a field).
func TestSummarySchemaUpToDate(t *testing.T) {
	t.Parallel()
	want, err := json.MarshalIndent(buildSchema(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if *updateSchema {
		if err := os.WriteFile(schemaFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date with results.Summary: run `go test ./results -run TestSummarySchema -update-schema`", schemaFile)
	}
}

// compileSchema compiles the published schema file.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("decode %s: %v", schemaFile, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaFile, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(schemaFile)
	if err != nil {
		t.Fatalf("compile %s: %v", schemaFile, err)
	}
	return s
}

func TestSummarySchemaValidates(t *testing.T) {
	t.Parallel()
	schema := compileSchema(t)
	v := 1.5
	mem := 1024
	full := Summary{
		SchemaVersion: SchemaVersion,
		Scenario:      ScenarioInfo{Name: "s", Seed: 1},
		Run:           RunInfo{GoVersion: "go1.26.8", Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		Targets: []TargetSummary{{Name: "t", Kind: "http", Phases: []PhaseSummary{{
			Name: "p", Requests: 10, OK: 9, Errors: map[string]int64{ErrorClassTimeout: 1},
			BilledDurationMs: &Distribution{Count: 1}, SLO: &SLOResult{Passed: false, Violations: []string{"p99"}},
		}}}},
		Experiments: Experiments{
			MemorySweep: []MemorySweepRow{{Target: "t", MemoryMB: mem, CostPerMillionUSD: &v}},
			ColdStarts:  &ColdStartSummary{Target: "t"},
			Capacity:    []CapacityResult{{Target: "t", Steps: []CapacityStep{{OfferedRPS: 1}}}},
		},
		Cost:             []CostRow{{Target: "t", Platform: "aws-lambda"}},
		BreakEven:        []BreakEvenRow{{Serverless: "a", Instance: "b", Crossings: []Crossing{{Direction: "serverless_becomes_dearer"}}}},
		BenchmarkCostUSD: &v,
	}
	valid, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	empty, _ := json.Marshal(Summary{SchemaVersion: SchemaVersion})
	tests := []struct {
		name    string
		doc     string
		wantErr bool
	}{
		{"full summary", string(valid), false},
		{"empty summary", string(empty), false},
		{"wrong schema version", strings.Replace(string(valid), `"schema_version":1`, `"schema_version":99`, 1), true},
		{"unknown key", strings.Replace(string(valid), `"targets":`, `"tragets":[],"targets":`, 1), true},
		{"string for a number", strings.Replace(string(valid), `"requests":10`, `"requests":"10"`, 1), true},
		{"missing required keys", `{"schema_version":1}`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, err := jsonschema.UnmarshalJSON(strings.NewReader(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			err = schema.Validate(doc)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Validate() error = %v, wantErr %v", err, tc.wantErr)
			}
		})
	}
}
