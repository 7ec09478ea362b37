package results

import (
	"testing"
)

func TestDistributionOf(t *testing.T) {
	t.Parallel()
	big := make([]float64, ExactMaxSamples+1)
	for i := range big {
		big[i] = float64(i % 100)
	}
	tests := []struct {
		name   string
		vals   []float64
		method string
		p50    float64
		p90    float64
		count  int64
	}{
		{"empty", nil, MethodExact, 0, 0, 0},
		// Type 7: h = 0.9 × 3 = 2.7 → 3 + 0.7 × (4 − 3).
		{"small set, type 7", []float64{4, 1, 3, 2}, MethodExact, 2.5, 3.7, 4},
		{"beyond ExactMaxSamples, HDR", big, MethodHDR, 48, 89, ExactMaxSamples + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := append([]float64(nil), tt.vals...)
			d := DistributionOf(tt.vals)
			if d.Method != tt.method || d.Count != tt.count || !nearly(d.P50, tt.p50) || !nearly(d.P90, tt.p90) {
				t.Errorf("DistributionOf = %+v, want method %s count %d p50 %g p90 %g", d, tt.method, tt.count, tt.p50, tt.p90)
			}
			for i := range in {
				if in[i] != tt.vals[i] {
					t.Fatalf("input modified at %d", i)
				}
			}
		})
	}
}

// nearly: equal within the HDR precision (0.1%).
func nearly(a, b float64) bool { return a == b || (a-b)*(a-b) <= (0.001*b)*(0.001*b) }
