package report

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestJSONFormatMatchesSchema validates the json format's summary.json
// against the published schema results/summary.schema.json.
func TestJSONFormatMatchesSchema(t *testing.T) {
	t.Parallel()
	_, out, _ := renderSynthetic(t, defaultSynth(), []string{"json"})
	schemaPath := filepath.Join("..", "results", "summary.schema.json")
	sf, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	sdoc, err := jsonschema.UnmarshalJSON(sf)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("summary.schema.json", sdoc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("summary.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(out, SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Fatalf("summary.json does not match the schema: %v", err)
	}
}
