package pricing

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyDirection keeps the package arrows pointing one way: pricing
// and report never depend on the load generator, and the contract packages
// (results, scenarios, traces, lambdareport) depend on no other package of
// this module.
func TestDependencyDirection(t *testing.T) {
	t.Parallel()
	const mod = "github.com/benchctl/benchctl/"
	tests := []struct {
		pkg       string
		forbidden []string
	}{
		{pkg: "pricing", forbidden: []string{"loadgen", "report", "locallambda", "refserver", "inference"}},
		{pkg: "report", forbidden: []string{"loadgen", "locallambda", "refserver", "inference"}},
		{pkg: "results", forbidden: []string{"loadgen", "pricing", "report", "scenarios", "traces"}},
		{pkg: "scenarios", forbidden: []string{"loadgen", "pricing", "report", "results", "traces"}},
		{pkg: "traces", forbidden: []string{"loadgen", "pricing", "report", "results", "scenarios"}},
		{pkg: "lambdareport", forbidden: []string{"loadgen", "pricing", "report", "results", "scenarios"}},
	}
	for _, tc := range tests {
		t.Run(tc.pkg, func(t *testing.T) {
			t.Parallel()
			out, err := exec.Command("go", "list", "-deps", mod+tc.pkg).CombinedOutput()
			if err != nil {
				t.Skipf("go list unavailable: %v: %s", err, out)
			}
			deps := strings.Fields(string(out))
			for _, f := range tc.forbidden {
				for _, d := range deps {
					if d == mod+f {
						t.Errorf("%s depends on %s", tc.pkg, f)
					}
				}
			}
		})
	}
}
