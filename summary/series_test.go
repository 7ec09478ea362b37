package summary

import "testing"

// TestDecimatorBounded checks the scatter decimation keeps at most max
// points, exactly every N-th, and reports N.
func TestDecimatorBounded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		n, max     int
		wantStride int64
	}{
		{"under the bound", 100, 1000, 1},
		{"just at the bound", 1000, 1000, 2},
		{"ten times the bound", 10000, 1000, 16},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := newDecimator[int](tc.max)
			for i := 0; i < tc.n; i++ {
				d.add(i)
			}
			if len(d.items) > tc.max {
				t.Fatalf("kept %d > max %d", len(d.items), tc.max)
			}
			if d.stride != tc.wantStride {
				t.Errorf("stride %d, want %d", d.stride, tc.wantStride)
			}
			for i, v := range d.items {
				if int64(v) != int64(i)*d.stride {
					t.Fatalf("item %d = %d, want %d", i, v, int64(i)*d.stride)
				}
			}
			if want := (int64(tc.n) + d.stride - 1) / d.stride; int64(len(d.items)) != want {
				t.Errorf("kept %d, want %d", len(d.items), want)
			}
		})
	}
}
