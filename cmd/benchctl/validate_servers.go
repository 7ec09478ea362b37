package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/benchctl/benchctl/benchrun"
	"github.com/benchctl/benchctl/scenarios"
)

// checkServers checks the servers block as `benchctl serve` will see it,
// before anything starts: servers[].args must not set a flag benchctl
// sets itself (--addr above all: benchctl picks a loopback port, and a
// shared scenario must not bind a server off loopback), the arguments must
// parse as serve flags, and the model must resolve (a preset name, a
// config, a shape) with its weights and vocabulary files present.
func checkServers(s *scenarios.Scenario) []scenarios.FieldError {
	var errs []scenarios.FieldError
	for i, sv := range s.Servers {
		p := fmt.Sprintf("servers[%d]", i)
		bad := false
		for j, a := range sv.Args {
			name, ok := strings.CutPrefix(a, "--")
			if !ok {
				continue
			}
			name, _, _ = strings.Cut(name, "=")
			field, own := benchrun.OwnServeFlag(name)
			switch {
			case !own:
			case name == "addr":
				errs = append(errs, s.FieldErrorAt(fmt.Sprintf("%s.args[%d]", p, j), "--addr is set by benchctl run (a free port on 127.0.0.1); a server's address cannot be chosen by the scenario"))
				bad = true
			case field == "":
				errs = append(errs, s.FieldErrorAt(fmt.Sprintf("%s.args[%d]", p, j), "--%s is set by benchctl run", name))
				bad = true
			default:
				errs = append(errs, s.FieldErrorAt(fmt.Sprintf("%s.args[%d]", p, j), "--%s is set by benchctl run: use %s.%s instead", name, p, field))
				bad = true
			}
		}
		if bad {
			continue
		}
		var opts *ServeOptions
		cmd := newServeCmd(&IOStreams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard}, func(o *ServeOptions) error { opts = o; return nil })
		cmd.SetArgs(benchrun.ServerArgs(sv, 0)[1:])
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		if err := cmd.Execute(); err != nil {
			field := p + ".args"
			if len(sv.Args) == 0 {
				field = p
			}
			errs = append(errs, s.FieldErrorAt(field, "as benchctl serve flags: %v", err))
			continue
		}
		if opts == nil {
			errs = append(errs, s.FieldErrorAt(p+".args", "ask benchctl serve for its help instead of starting it"))
			continue
		}
		if _, err := opts.config("serve"); err != nil {
			field := p + ".args"
			if strings.Contains(err.Error(), "--model") {
				field = p + ".model"
			}
			errs = append(errs, s.FieldErrorAt(field, "%s", strings.TrimPrefix(strings.TrimPrefix(err.Error(), "serve: "), "--model: ")))
			continue
		}
		for _, f := range []struct{ flag, path string }{{"--weights", opts.WeightsFile}, {"--vocab", opts.VocabFile}} {
			if f.path == "" {
				continue
			}
			if st, err := os.Stat(f.path); err != nil || !st.Mode().IsRegular() {
				errs = append(errs, s.FieldErrorAt(p+".args", "%s %s: not a readable regular file (paths are relative to where benchctl run starts)", f.flag, f.path))
			}
		}
	}
	return errs
}
