package scenarios

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrNotFound is wrapped by Open when the argument is neither an existing
// file nor the name of a shipped scenario.
var ErrNotFound = errors.New("scenario not found")

// FieldError is one problem found in a scenario (or functions) file, at a
// position. Field is the dotted path of the offending value, e.g.
// "phases[1].traffic.rate"; it is empty for file-level problems such as a
// YAML syntax error. Col is 0 when the YAML parser did not report a column.
type FieldError struct {
	File  string
	Line  int
	Col   int
	Field string
	Msg   string
}

// Error formats the problem as "file:line:col: field: message".
func (e FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ValidationError holds every problem found in one file, sorted by
// position. Use errors.As to get at the individual FieldErrors.
type ValidationError struct {
	Errors []FieldError
}

// Error joins the problems, one per line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// NewValidationError gathers problems found in one file (by the parser
// and by checks of other packages through FieldErrorAt), sorted by
// position; nil when there are none.
func NewValidationError(errs []FieldError) *ValidationError {
	if len(errs) == 0 {
		return nil
	}
	errs = append([]FieldError(nil), errs...)
	sortErrors(errs)
	return &ValidationError{Errors: errs}
}

// sortErrors orders problems by line then column, keeping the order in
// which they were found for equal positions.
func sortErrors(errs []FieldError) {
	sort.SliceStable(errs, func(i, j int) bool {
		if errs[i].Line != errs[j].Line {
			return errs[i].Line < errs[j].Line
		}
		return errs[i].Col < errs[j].Col
	})
}

// FieldErrorAt builds the FieldError for a problem with the value at the
// dotted field path (e.g. "pricing.instances[2]", as in FieldError.Field),
// positioned where that value was found in the scenario file. Packages that
// check a parsed scenario against something scenarios does not know (the
// price book) report through it, so their errors read like the parser's.
// A path that was not in the file (a default) falls back to its closest
// enclosing field that was, else to the file's first line.
func (s *Scenario) FieldErrorAt(path, format string, args ...any) FieldError {
	fe := FieldError{File: s.Path, Line: 1, Field: path, Msg: fmt.Sprintf(format, args...)}
	for p := path; ; {
		if at, ok := s.pos[p]; ok && at.line > 0 {
			fe.Line, fe.Col = at.line, at.col
			break
		}
		i := strings.LastIndexAny(p, ".[")
		if i <= 0 {
			break
		}
		p = p[:i]
	}
	return fe
}
