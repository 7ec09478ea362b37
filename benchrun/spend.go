package benchrun

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/benchctl/benchctl/loadgen"
	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// runCheckSpend estimates what the run will cost on real cloud endpoints
// (from the previous run of the same scenario when there is one) and
// refuses to start above the spend limit. configs are the aws-lambda
// functions' configurations read before the run (readFunctionConfigs), so
// the estimate is not the 10,240 MB upper bound; a function without one
// keeps the upper bounds. With --dry-run it prints the estimate instead of
// checking it.
func runCheckSpend(opts *Options, s *scenarios.Scenario, book *pricing.Book, configs []results.FunctionConfigInfo) error {
	root := s.Output.Dir
	if root == "" {
		root = results.DefaultRoot
	}
	est, err := pricing.EstimateRunSpendWith(book, s, latestSummary(root, s.Name), spendOptions(configs))
	if err != nil {
		return fmt.Errorf("estimate the run's spend: %w", err)
	}
	if err := addGeneratorSpend(opts, s, book, &est); err != nil {
		return err
	}
	if opts.DryRun {
		if !est.RealCloud {
			fmt.Fprintln(opts.Stdout, "spend: $0 (no real cloud target: everything runs on this machine)")
			return nil
		}
		fmt.Fprintln(opts.Stdout, "estimated spend on real cloud endpoints:")
		return est.WriteText(opts.Stdout)
	}
	if !est.RealCloud {
		return nil
	}
	limit := pricing.MaxSpendUSD(s)
	if opts.MaxSpendSet {
		limit = opts.MaxSpend
	}
	if err := est.Check(limit); err != nil {
		return &InputError{Err: err}
	}
	return nil
}

// spendOptions keys the functions' memory, timeout and /tmp size by
// target name.
func spendOptions(configs []results.FunctionConfigInfo) pricing.SpendOptions {
	return pricing.FunctionConfigOptions(configs)
}

// readFunctionConfigs reads the memory size, timeout and ephemeral storage
// of every aws-lambda target's function through the Lambda API (bounded by
// a short timeout), for the spend estimate and run.json (the run's pricing
// uses their /tmp size). A function it cannot read is left out, with a
// warning on errOut.
func readFunctionConfigs(ctx context.Context, errOut io.Writer, s *scenarios.Scenario) []results.FunctionConfigInfo {
	configs, notes := functionConfigs(ctx, s)
	for _, n := range notes {
		fmt.Fprintln(errOut, "benchctl: warning:", n)
	}
	return configs
}

// functionConfigs reads the aws-lambda targets' function configurations;
// a function it cannot read is left out, with a note.
func functionConfigs(ctx context.Context, s *scenarios.Scenario) ([]results.FunctionConfigInfo, []string) {
	var configs []results.FunctionConfigInfo
	var notes []string
	for _, t := range s.Targets {
		if t.Kind != scenarios.KindAWSLambda {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		ctl, err := loadgen.NewLambdaControl(cctx, loadgen.LambdaOptionsFromScenario(t, ""), loadgen.WithCallTimeout(10*time.Second))
		var fc loadgen.FunctionConfig
		if err == nil {
			fc, err = ctl.Configuration(cctx)
		}
		cancel()
		if err != nil {
			notes = append(notes, fmt.Sprintf("target %s: could not read the function's configuration (%v); the spend estimate assumes the upper bounds", t.Name, err))
			continue
		}
		configs = append(configs, results.FunctionConfigInfo{Target: t.Name, Function: t.Function,
			MemorySizeMB: fc.MemorySizeMB, TimeoutS: fc.Timeout.Seconds(), EphemeralStorageMB: fc.EphemeralStorageMB})
	}
	return configs, notes
}

// latestSummary returns summary.json of the newest earlier run of the
// scenario named name under root, or nil when there is none.
func latestSummary(root, name string) *results.Summary {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	// Run directories are "<UTC timestamp>-<name>"; the timestamp sorts.
	stamp := results.RunDirName(time.Time{}, name)
	suffix := stamp[strings.Index(stamp, "-"):]
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && strings.HasSuffix(e.Name(), suffix) {
			dirs = append(dirs, e.Name())
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		run, err := results.ReadRunDir(filepath.Join(root, d))
		if err != nil {
			continue
		}
		if run.Summary != nil {
			return run.Summary
		}
	}
	return nil
}
