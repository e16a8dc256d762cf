package augment

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestIntensityExact(t *testing.T) {
	// The image's mean is 0.4375.
	image := []float32{0, 0.25, 0.5, 1}
	tests := []struct {
		name string
		t    intensity
		want []float32
	}{
		{"unchanged", unchanged, []float32{0, 0.25, 0.5, 1}},
		{"brightness up, clamped at 1", intensity{contrast: 1, brightness: 0.25, gamma: 1},
			[]float32{0.25, 0.5, 0.75, 1}},
		{"brightness down, clamped at 0", intensity{contrast: 1, brightness: -0.5, gamma: 1},
			[]float32{0, 0, 0, 0.5}},
		// 0.4375 + 2(v − 0.4375) = 2v − 0.4375.
		{"contrast doubled about the mean", intensity{contrast: 2, gamma: 1},
			[]float32{0, 0.0625, 0.5625, 1}},
		// 0.4375 + (v − 0.4375)/2 = v/2 + 0.21875.
		{"contrast halved about the mean", intensity{contrast: 0.5, gamma: 1},
			[]float32{0.21875, 0.34375, 0.46875, 0.71875}},
		{"gamma 2", intensity{contrast: 1, gamma: 2}, []float32{0, 0.0625, 0.25, 1}},
		{"gamma one half", intensity{contrast: 1, gamma: 0.5}, []float32{0, 0.5, 0.70710677, 1}},
		// v − 0.5 clamped, then squared.
		{"brightness then gamma", intensity{contrast: 1, brightness: -0.5, gamma: 2},
			[]float32{0, 0, 0, 0.25}},
		// 2v − 0.4375 + 0.125 clamped: 0, 0.1875, 0.6875, 1; then squared.
		{"contrast, brightness and gamma", intensity{contrast: 2, brightness: 0.125, gamma: 2},
			[]float32{0, 0.03515625, 0.47265625, 1}},
	}
	for _, tt := range tests {
		got := slices.Clone(image)
		tt.t.apply(got, rand.New(rand.NewPCG(0, 0)))
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNoiseAddsScaledNormalDraws(t *testing.T) {
	const std = 0.1
	image := []float32{0, 0.2, 0.5, 0.9, 1, 0.4, 0.6, 0.05}
	got := slices.Clone(image)
	intensity{contrast: 1, gamma: 1, noise: std}.apply(got, rand.New(rand.NewPCG(3, 4)))

	twin := rand.New(rand.NewPCG(3, 4))
	for i, v := range image {
		want := float32(clamp01(float64(v) + std*twin.NormFloat64()))
		if got[i] != want {
			t.Errorf("pixel %d: %g, want %g", i, got[i], want)
		}
	}
}
