package pricing

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/benchctl/benchctl"

// listedPackage is the part of `go list -json` the tests read.
type listedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Export     string
	Deps       []string
	Imports    []string
	Standard   bool
}

// listModule lists every package of the module with its dependencies
// (and, with export, the compiled export data of every package involved).
// It skips only when the go tool is absent; a go list that fails is a
// failure.
func listModule(t *testing.T, export bool) map[string]*listedPackage {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go tool is not on PATH (%v): the dependency rules need go list", err)
	}
	args := []string{"list", "-json", "-deps"}
	if export {
		args = append(args, "-export")
	}
	cmd := exec.Command(goTool, append(args, module+"/...")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	pkgs := map[string]*listedPackage{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs[p.ImportPath] = &p
	}
	if pkgs[module+"/pricing"] == nil {
		t.Fatalf("go list did not list %s/pricing", module)
	}
	return pkgs
}

// TestDependencyDirection keeps the package arrows pointing one way: the
// contract packages (results, scenarios, traces, lambdareport, confidence)
// depend on no other package of this module that could depend on them;
// pricing, capacity, the summary pipeline and report never depend on the
// load generator or the local platforms; the pipeline depends on no
// consumer of its summaries (report, distributed, cmd).
func TestDependencyDirection(t *testing.T) {
	t.Parallel()
	pkgs := listModule(t, false)
	platforms := []string{"loadgen", "locallambda", "refserver", "inference", "distributed", "benchrun", "cmd/benchctl"}
	tests := []struct {
		pkg       string
		forbidden []string
	}{
		{pkg: "pricing", forbidden: append([]string{"report", "summary", "capacity"}, platforms...)},
		{pkg: "capacity", forbidden: append([]string{"pricing", "report", "summary"}, platforms...)},
		{pkg: "summary", forbidden: append([]string{"report"}, platforms...)},
		{pkg: "report", forbidden: platforms},
		{pkg: "results", forbidden: []string{"loadgen", "pricing", "report", "scenarios", "traces", "summary", "capacity", "lambdareport"}},
		{pkg: "confidence", forbidden: []string{"results", "scenarios", "pricing", "summary", "capacity", "loadgen", "report"}},
		{pkg: "scenarios", forbidden: []string{"loadgen", "pricing", "report", "results", "traces", "summary", "capacity"}},
		{pkg: "traces", forbidden: []string{"loadgen", "pricing", "report", "results", "scenarios", "summary"}},
		{pkg: "lambdareport", forbidden: []string{"loadgen", "pricing", "report", "results", "scenarios", "summary"}},
	}
	for _, tc := range tests {
		p := pkgs[module+"/"+tc.pkg]
		if p == nil {
			t.Errorf("package %s not found in the module", tc.pkg)
			continue
		}
		for _, f := range tc.forbidden {
			if slices.Contains(p.Deps, module+"/"+f) {
				t.Errorf("%s depends on %s", tc.pkg, f)
			}
		}
	}
}

// TestCommandLineOnlyParsesFlags keeps cmd/benchctl a command line: it
// parses flags and calls one function per command, so it imports none of
// the machinery those functions drive (a run's load, host sampling,
// capacity search, intervals: benchrun drives them).
func TestCommandLineOnlyParsesFlags(t *testing.T) {
	t.Parallel()
	pkgs := listModule(t, false)
	cmd := pkgs[module+"/cmd/benchctl"]
	if cmd == nil {
		t.Fatal("cmd/benchctl not found in the module")
	}
	for _, f := range []string{"loadgen", "hostload", "capacity", "confidence", "lambdareport", "traces"} {
		if slices.Contains(cmd.Imports, module+"/"+f) {
			t.Errorf("cmd/benchctl imports %s: what uses it belongs in benchrun (or the package that owns it)", f)
		}
	}
	if !slices.Contains(cmd.Imports, module+"/benchrun") {
		t.Error("cmd/benchctl does not import benchrun: where does benchctl run run?")
	}
}

// pipelineOnly lists what assembles a summary: the functions that price
// records into one or attach the pipeline's closing sections. Only the
// summary pipeline calls them (pricing and results define them).
var pipelineOnly = map[string][]string{
	module + "/pricing": {"AnalyzeRun", "AnalyzeRunWith", "AnalyzeRunContext", "NewRunCost"},
	module + "/results": {"MarkHostBusy", "FillSweepIntervals", "AttachIntervals"},
}

// assemblers may build and fill a results.Summary: the pipeline, and the
// packages that own the sections it delegates (results, the type's own
// helpers; pricing, the cost sections it is handed).
var assemblers = []string{module + "/summary", module + "/results", module + "/pricing"}

// TestOnlyThePipelineAssemblesSummaries type-checks every other package of
// the module and fails on code (tests aside) that makes a results.Summary
// (a composite literal), writes into one (an assignment whose target is
// reached through a results.Summary) or calls an assembly function of
// pipelineOnly: summary.json has one author, the summary package.
func TestOnlyThePipelineAssemblesSummaries(t *testing.T) {
	t.Parallel()
	pkgs := listModule(t, true)
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		p := pkgs[path]
		if p == nil || p.Export == "" {
			return nil, errors.New("no export data for " + path)
		}
		return os.Open(p.Export)
	})
	var checked int
	for path, p := range pkgs {
		if !strings.HasPrefix(path, module) || slices.Contains(assemblers, path) || len(p.GoFiles) == 0 {
			continue
		}
		var files []*ast.File
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}}
		conf := types.Config{Importer: imp}
		if _, err := conf.Check(path, fset, files, info); err != nil {
			t.Fatalf("type-check %s: %v", path, err)
		}
		checked++
		for _, f := range files {
			for _, v := range summaryAssembly(f, info) {
				t.Errorf("%s: %s: only the summary pipeline assembles a summary", fset.Position(v.pos), v.what)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked only %d packages: the module listing is wrong", checked)
	}
}

type violation struct {
	pos  token.Pos
	what string
}

// summaryAssembly finds, in f, the results.Summary literals, the writes
// into a results.Summary and the calls of pipelineOnly functions.
func summaryAssembly(f *ast.File, info *types.Info) []violation {
	var out []violation
	isSummary := func(e ast.Expr) bool {
		tv, ok := info.Types[e]
		if !ok {
			return false
		}
		typ := tv.Type
		if p, ok := typ.(*types.Pointer); ok {
			typ = p.Elem()
		}
		n, ok := typ.(*types.Named)
		return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == module+"/results" && n.Obj().Name() == "Summary"
	}
	// through reports whether the target e is reached through a summary.
	through := func(e ast.Expr) bool {
		for {
			switch x := e.(type) {
			case *ast.SelectorExpr:
				if isSummary(x.X) {
					return true
				}
				e = x.X
			case *ast.IndexExpr:
				e = x.X
			case *ast.StarExpr:
				e = x.X
			case *ast.ParenExpr:
				e = x.X
			default:
				return false
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.CompositeLit:
			if isSummary(x) {
				out = append(out, violation{x.Pos(), "a results.Summary literal"})
			}
		case *ast.AssignStmt:
			for _, l := range x.Lhs {
				if through(l) {
					out = append(out, violation{l.Pos(), "a write into a results.Summary"})
				}
			}
		case *ast.IncDecStmt:
			if through(x.X) {
				out = append(out, violation{x.Pos(), "a write into a results.Summary"})
			}
		case *ast.CallExpr:
			var id *ast.Ident
			switch fn := x.Fun.(type) {
			case *ast.SelectorExpr:
				id = fn.Sel
			case *ast.Ident:
				id = fn
			}
			if id == nil {
				return true
			}
			if obj, ok := info.Uses[id].(*types.Func); ok && obj.Pkg() != nil && slices.Contains(pipelineOnly[obj.Pkg().Path()], obj.Name()) {
				out = append(out, violation{x.Pos(), "a call of " + obj.Pkg().Name() + "." + obj.Name()})
			}
		}
		return true
	})
	return out
}
