package pricing

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestCostCICoverage checks that the cost CI covers the true mean cost per
// request about 95% of the time: by the bootstrap up to 5,000 requests and
// by batch means beyond, on independent costs and on strongly
// autocorrelated ones (AR(1), ρ = 0.9, as queueing makes neighbouring
// requests alike), where an interval that treats requests as independent
// (checked too) covers far less.
func TestCostCICoverage(t *testing.T) {
	t.Parallel()
	const mu, sigma = 3.4, 0.5
	trueMean := math.Exp(mu + sigma*sigma/2)
	tests := []struct {
		name    string
		n, reps int
		rho     float64
		// iidBelow, when set, is the coverage an independence-assuming
		// interval must fall below (it is the wrong method there).
		iidBelow float64
	}{
		{"bootstrap, independent", 3000, 200, 0, 0},
		{"batch means, independent", 20000, 300, 0, 0},
		{"batch means, autocorrelated", 20000, 300, 0.9, 0.7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(tc.n), uint64(tc.rho*10)))
			covered, iidCovered := 0, 0
			for rep := range tc.reps {
				var s unitStats
				z := rng.NormFloat64()
				for range tc.n {
					z = tc.rho*z + math.Sqrt(1-tc.rho*tc.rho)*rng.NormFloat64()
					s.add(math.Exp(mu + sigma*z))
				}
				lo, hi := s.interval(uint64(rep))
				if lo <= trueMean && trueMean <= hi {
					covered++
				}
				m, se := s.sum/float64(s.n), s.iidSE()
				if m-1.96*se <= trueMean && trueMean <= m+1.96*se {
					iidCovered++
				}
			}
			cov := float64(covered) / float64(tc.reps)
			// 95% ± 3 standard errors of the coverage estimate.
			tol := 3 * math.Sqrt(0.95*0.05/float64(tc.reps))
			if cov < 0.95-tol || cov > 0.95+tol {
				t.Errorf("coverage %.3f, want 0.95 ± %.3f", cov, tol)
			}
			if iid := float64(iidCovered) / float64(tc.reps); tc.iidBelow > 0 && iid >= tc.iidBelow {
				t.Errorf("independence-assuming coverage %.3f, want below %.2f (the test would not tell the methods apart)", iid, tc.iidBelow)
			}
			t.Logf("coverage %.3f over %d runs of %d requests", cov, tc.reps, tc.n)
		})
	}
}

// TestUnitStatsBounded checks the CI state stays bounded: no units kept
// beyond the bootstrap size, at most 2 × minBatches batch sums.
func TestUnitStatsBounded(t *testing.T) {
	t.Parallel()
	var s unitStats
	for i := range 1_000_000 {
		s.add(float64(i % 97))
		if len(s.sums) >= 2*minBatches {
			t.Fatalf("%d batch sums after %d units", len(s.sums), i+1)
		}
	}
	if s.boot != nil || len(s.sums) < minBatches {
		t.Fatalf("kept %d units and %d batches", len(s.boot), len(s.sums))
	}
}
