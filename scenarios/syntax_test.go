package scenarios

import (
	"errors"
	"testing"
)

// TestSyntaxErrorLines pins the line reported for YAML syntax errors to
// the 1-based line of the construct yaml.v3 complains about.
func TestSyntaxErrorLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"unclosed flow list", "version: 1\nname: t\ntargets: [a, b\n", "s.yaml:3: yaml syntax: did not find expected ',' or ']'"},
		{"unclosed flow list at the end", "targets: [a, b\n", "s.yaml:2: yaml syntax: did not find expected ',' or ']'"},
		{"bad indentation", "version: 1\nphases:\n  - x\n bad: 1\n", "s.yaml:4: yaml syntax: did not find expected key"},
		{"mapping value in plain scalar", "version: 1\nname: a: b\n", "s.yaml:2: yaml syntax: mapping values are not allowed in this context"},
		{"unterminated quote", "version: 1\nname: \"t\n", "s.yaml:2: yaml syntax: found unexpected end of stream"},
		{"tab indentation", "version: 1\nphases:\n\t- x\n", "s.yaml:3: yaml syntax: found character that cannot start any token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("s.yaml", []byte(tt.src))
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Errors) != 1 {
				t.Fatalf("err = %v, want one syntax error", err)
			}
			if got := ve.Errors[0].Error(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
