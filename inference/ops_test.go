package inference

import (
	"math"
	"testing"
)

func TestLayerNorm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		x    []float32
		g, b []float32
		want []float32
	}{
		{"standardises", []float32{1, 2, 3, 4}, []float32{1, 1, 1, 1}, []float32{0, 0, 0, 0},
			[]float32{-1.3416408, -0.4472136, 0.4472136, 1.3416408}},
		{"gain and bias", []float32{1, 2, 3, 4}, []float32{2, 2, 2, 2}, []float32{1, 1, 1, 1},
			[]float32{-1.6832816, 0.1055728, 1.8944272, 3.6832816}},
		{"constant row stays finite", []float32{5, 5, 5, 5}, []float32{1, 1, 1, 1}, []float32{0.5, 0.5, 0.5, 0.5},
			[]float32{0.5, 0.5, 0.5, 0.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			x := append([]float32(nil), tt.x...)
			layerNorm(x, 1, tt.g, tt.b, DefaultLayerNormEps)
			for i := range x {
				if math.Abs(float64(x[i]-tt.want[i])) > 1e-5 {
					t.Fatalf("layerNorm = %v, want %v", x, tt.want)
				}
			}
		})
	}
}

func TestLayerNormRows(t *testing.T) {
	t.Parallel()
	x := []float32{1, 2, 3, 10, 20, 30}
	layerNorm(x, 2, []float32{1, 1, 1}, []float32{0, 0, 0}, DefaultLayerNormEps)
	for i := 0; i < 3; i++ {
		if math.Abs(float64(x[i]-x[i+3])) > 1e-5 {
			t.Fatalf("rows normalised differently: %v", x)
		}
	}
}

func TestGELU(t *testing.T) {
	t.Parallel()
	tests := []struct{ x, want float64 }{
		{0, 0},
		{1, 0.8413447460685429},
		{-1, -0.15865525393145707},
		{3, 2.9959502},
		{-6, -5.9e-09},
	}
	for _, tt := range tests {
		x := []float32{float32(tt.x)}
		gelu(x)
		if math.Abs(float64(x[0])-tt.want) > 1e-6 {
			t.Errorf("gelu(%v) = %v, want %v", tt.x, x[0], tt.want)
		}
	}
}

func TestMaskedSoftmax(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		row  []float32
		mask []float32
		want []float32
	}{
		{"unmasked", []float32{1, 2, 3}, []float32{1, 1, 1}, []float32{0.09003057, 0.24472847, 0.66524096}},
		{"masked tail is exactly zero", []float32{1, 2, 1000}, []float32{1, 1, 0}, []float32{0.26894142, 0.73105858, 0}},
		{"masked middle", []float32{0, -50, 0}, []float32{1, 0, 1}, []float32{0.5, 0, 0.5}},
		{"large values stable", []float32{1000, 1000}, []float32{1, 1}, []float32{0.5, 0.5}},
		{"all masked gives zeros", []float32{1, 2}, []float32{0, 0}, []float32{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			row := append([]float32(nil), tt.row...)
			maskedSoftmax(row, tt.mask)
			for i := range row {
				if math.Abs(float64(row[i]-tt.want[i])) > 1e-6 {
					t.Fatalf("maskedSoftmax = %v, want %v", row, tt.want)
				}
				if tt.mask[i] == 0 && row[i] != 0 {
					t.Fatalf("masked position %d = %v, want exactly 0", i, row[i])
				}
			}
		})
	}
}

func TestGemmTilesMatchNaive(t *testing.T) {
	t.Parallel()
	// Both B layouts.
	for _, transB := range []bool{true, false} {
		m, n, k := 70, 200, 5 // crosses the 32-row and 96-column tiles
		a := make([]float32, m*k)
		b := make([]float32, n*k)
		for i := range a {
			a[i] = float32(i%7) - 3
		}
		for i := range b {
			b[i] = float32(i%5) - 2
		}
		c := make([]float32, m*n)
		for i := range c {
			c[i] = 1
		}
		ldb := k
		if !transB {
			ldb = n
		}
		gemm(transB, m, n, k, 2, a, k, b, ldb, 1, c, n)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s float32
				for p := 0; p < k; p++ {
					bv := b[p*n+j]
					if transB {
						bv = b[j*k+p]
					}
					s += a[i*k+p] * bv
				}
				if want := 2*s + 1; c[i*n+j] != want {
					t.Fatalf("transB=%v c[%d,%d] = %v, want %v", transB, i, j, c[i*n+j], want)
				}
			}
		}
	}
}

func TestExp32AndErf32Accuracy(t *testing.T) {
	t.Parallel()
	var maxExp, maxErf float64
	for i := 0; i <= 200000; i++ {
		x := -90 + float64(i)*90/200000 // [-90, 0]
		got, want := float64(exp32(float32(x))), math.Exp(float64(float32(x)))
		if rel := math.Abs(got-want) / math.Max(want, 1e-30); want > 1e-37 && rel > maxExp {
			maxExp = rel
		}
		y := -6 + float64(i)*12/200000 // [-6, 6]
		if d := math.Abs(float64(erf32(float32(y))) - math.Erf(float64(float32(y)))); d > maxErf {
			maxErf = d
		}
	}
	if maxExp > 1e-6 {
		t.Errorf("exp32 max relative error %g, want ≤ 1e-6", maxExp)
	}
	if maxErf > 1e-6 {
		t.Errorf("erf32 max absolute error %g, want ≤ 1e-6", maxErf)
	}
	t.Logf("exp32 max rel err %.3g, erf32 max abs err %.3g", maxExp, maxErf)
	if exp32(0) != 1 || exp32(-100) != 0 {
		t.Errorf("exp32(0) = %v, exp32(-100) = %v", exp32(0), exp32(-100))
	}
}
