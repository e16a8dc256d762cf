package augment

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// over divides every value by d, so grids can be written as small integers
// that stay exact in float32.
func over(d float32, v ...float32) []float32 {
	out := make([]float32, len(v))
	for i := range v {
		out[i] = v[i] / d
	}
	return out
}

// fill returns n copies of v.
func fill(n int, v float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestWarpExact(t *testing.T) {
	grid3 := over(8, 0, 1, 2, 3, 4, 5, 6, 7, 8)
	mask3 := []float32{1, 0, 0, 1, 1, 0, 0, 0, 0}
	grid4 := over(16, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
	mask4 := []float32{1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}
	grid5 := over(32, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
		19, 20, 21, 22, 23, 24)
	mask5 := []float32{0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}

	tests := []struct {
		name        string
		w           warp
		dx, dy      []float32 // elastic field, when w.elastic
		image, mask []float32
		wantImage   []float32
		wantMask    []float32
	}{
		{
			name: "horizontal flip", w: warp{flipX: true, scale: 1},
			image: grid3, mask: mask3,
			wantImage: over(8, 2, 1, 0, 5, 4, 3, 8, 7, 6),
			wantMask:  []float32{0, 0, 1, 0, 1, 1, 0, 0, 0},
		},
		{
			name: "vertical flip", w: warp{flipY: true, scale: 1},
			image: grid3, mask: mask3,
			wantImage: over(8, 6, 7, 8, 3, 4, 5, 0, 1, 2),
			wantMask:  []float32{0, 0, 0, 1, 1, 0, 1, 0, 0},
		},
		{
			// The right column becomes the top row.
			name: "quarter turn counter-clockwise", w: warp{angle: math.Pi / 2, scale: 1},
			image: grid4, mask: mask4,
			wantImage: over(16, 3, 7, 11, 15, 2, 6, 10, 14, 1, 5, 9, 13, 0, 4, 8, 12),
			wantMask:  []float32{0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0},
		},
		{
			name:  "horizontal flip then quarter turn is the transpose",
			w:     warp{flipX: true, angle: math.Pi / 2, scale: 1},
			image: grid4, mask: mask4,
			wantImage: over(16, 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15),
			wantMask:  []float32{1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
		},
		{
			// Content moves one pixel right and one up; what enters is 0.
			name: "shift by whole pixels", w: warp{shiftX: 1, shiftY: -1, scale: 1},
			image: grid4, mask: mask4,
			wantImage: over(16, 0, 4, 5, 6, 0, 8, 9, 10, 0, 12, 13, 14, 0, 0, 0, 0),
			wantMask:  []float32{0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		},
		{
			// Output pixel (x, y) reads input (2x−2, 2y−2).
			name: "scale by one half", w: warp{scale: 0.5},
			image: grid5, mask: mask5,
			wantImage: over(32, 0, 0, 0, 0, 0, 0, 0, 2, 4, 0, 0, 10, 12, 14, 0, 0, 20, 22,
				24, 0, 0, 0, 0, 0, 0),
			wantMask: []float32{0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
				0, 0, 0, 0, 0},
		},
		{
			// Output pixel q reads input q + d(q): content moves left.
			name: "elastic field of one pixel to the right", w: warp{elastic: true, scale: 1},
			dx: fill(9, 1), dy: fill(9, 0),
			image: grid3, mask: mask3,
			wantImage: over(8, 1, 2, 0, 4, 5, 0, 7, 8, 0),
			wantMask:  []float32{0, 0, 0, 1, 0, 0, 0, 0, 0},
		},
		{
			// Halfway between two pixels: their mean; the mask rounds up.
			name: "shift by half a pixel", w: warp{shiftX: -0.5, scale: 1},
			image: grid3, mask: mask3,
			wantImage: over(16, 1, 3, 2, 7, 9, 5, 13, 15, 8),
			wantMask:  []float32{0, 0, 0, 1, 0, 0, 0, 0, 0},
		},
	}
	for _, tt := range tests {
		image, mask := slices.Clone(tt.image), slices.Clone(tt.mask)
		size := int(math.Sqrt(float64(len(image))))
		s := &scratch{dx: tt.dx, dy: tt.dy}
		tt.w.apply(image, mask, size, s)
		if !slices.Equal(image, tt.wantImage) {
			t.Errorf("%s: image %v, want %v", tt.name, image, tt.wantImage)
		}
		if !slices.Equal(mask, tt.wantMask) {
			t.Errorf("%s: mask %v, want %v", tt.name, mask, tt.wantMask)
		}
	}
}

func TestGaussianKernel(t *testing.T) {
	tests := []struct {
		sigma float64
		size  int
		want  []float64
	}{
		// exp(−k²/2) for k = −3..3 is 0.011109, 0.135335, 0.606531, 1, ...;
		// their sum is 2.505950.
		{1, 10, []float64{0.004433, 0.05401, 0.2420, 0.3991, 0.2420, 0.05401, 0.004433}},
		// The radius stops at size−1: exp(−k²/8) for k = −1..1 is 0.882497, 1,
		// 0.882497, summing to 2.764994.
		{2, 2, []float64{0.3192, 0.3617, 0.3192}},
	}
	for _, tt := range tests {
		g := gaussian(nil, tt.sigma, tt.size)
		if len(g) != len(tt.want) {
			t.Fatalf("sigma %g size %d: %d taps, want %d", tt.sigma, tt.size, len(g), len(tt.want))
		}
		for i := range g {
			if math.Abs(float64(g[i])-tt.want[i]) > 1e-4 {
				t.Errorf("sigma %g size %d: tap %d is %g, want %g",
					tt.sigma, tt.size, i, g[i], tt.want[i])
			}
		}
	}
}

func TestBlurOfImpulseIsKernelOuterProduct(t *testing.T) {
	const size = 9
	g := []float32{0.25, 0.5, 0.25}
	f := make([]float32, size*size)
	f[4*size+2] = 1
	blur(f, make([]float32, size*size), g, size)
	for y := range size {
		for x := range size {
			var want float32
			if dy, dx := y-4, x-2; dy >= -1 && dy <= 1 && dx >= -1 && dx <= 1 {
				want = g[dy+1] * g[dx+1]
			}
			if got := f[y*size+x]; got != want {
				t.Errorf("(%d,%d) = %g, want %g", x, y, got, want)
			}
		}
	}
}

func TestElasticFieldSpread(t *testing.T) {
	const size, sigma, alpha = 96, 3.0, 5.0
	s := new(scratch)
	elasticField(s, size, alpha, sigma, rand.New(rand.NewPCG(1, 2)))

	// Away from the border, where the zeros beyond it do not reach.
	want := alpha / (2 * sigma * math.Sqrt(3*math.Pi))
	r := int(3 * sigma)
	for name, f := range map[string][]float32{"dx": s.dx, "dy": s.dy} {
		var sum, sq float64
		var n int
		for y := r; y < size-r; y++ {
			for x := r; x < size-r; x++ {
				v := float64(f[y*size+x])
				sum += v
				sq += v * v
				n++
			}
		}
		mean := sum / float64(n)
		std := math.Sqrt(sq/float64(n) - mean*mean)
		if math.Abs(std-want) > 0.15*want {
			t.Errorf("%s: standard deviation %.4f, want %.4f ± 15%%", name, std, want)
		}
	}
}
