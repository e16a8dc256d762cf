package augment

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// square returns a size×size case whose image and mask are both 1 on the
// side×side square with top-left pixel (x, y), and 0 elsewhere.
func square(size, x, y, side int) (image, mask []float32) {
	image = make([]float32, size*size)
	for j := y; j < y+side; j++ {
		for i := x; i < x+side; i++ {
			image[j*size+i] = 1
		}
	}
	return image, slices.Clone(image)
}

// randomCase returns a size×size case with image pixels uniform in [0,1],
// some exactly 0 or 1, and a mask of random 0s and 1s.
func randomCase(size int, seed uint64) (image, mask []float32) {
	rng := rand.New(rand.NewPCG(seed, 99))
	image = make([]float32, size*size)
	mask = make([]float32, size*size)
	for i := range image {
		switch rng.IntN(8) {
		case 0:
			image[i] = 0
		case 1:
			image[i] = 1
		default:
			image[i] = rng.Float32()
		}
		mask[i] = float32(rng.IntN(2))
	}
	return image, mask
}

// centroid returns the mean column and row of v's pixels, weighted by
// their values, and the sum of the weights.
func centroid(v []float32, size int) (x, y, total float64) {
	for i, w := range v {
		x += float64(w) * float64(i%size)
		y += float64(w) * float64(i/size)
		total += float64(w)
	}
	return x / total, y / total, total
}

// geometric has each geometric part alone at full strength, and all of
// them together.
var geometric = []struct {
	name string
	o    Options
}{
	{"horizontal flip", Options{FlipHorizontalP: 1}},
	{"vertical flip", Options{FlipVerticalP: 1}},
	{"rotation", Options{RotateP: 1, RotateMaxDegrees: 180}},
	{"scale", Options{ScaleP: 1, ScaleMin: 0.6, ScaleMax: 1.5}},
	{"shift", Options{ShiftP: 1, ShiftMaxFraction: 0.2}},
	{"elastic", Options{ElasticP: 1, ElasticAlpha: 60, ElasticSigma: 4}},
	{"all", Options{
		FlipHorizontalP: 1, FlipVerticalP: 1,
		RotateP: 1, RotateMaxDegrees: 45,
		ScaleP: 1, ScaleMin: 0.8, ScaleMax: 1.2,
		ShiftP: 1, ShiftMaxFraction: 0.1,
		ElasticP: 1, ElasticAlpha: 30, ElasticSigma: 4,
	}},
}

// strong has every part, intensity ones too, at half probability and
// wide ranges.
var strong = Options{
	FlipHorizontalP: 0.5, FlipVerticalP: 0.5,
	RotateP: 0.5, RotateMaxDegrees: 180,
	ScaleP: 0.5, ScaleMin: 0.5, ScaleMax: 2,
	ShiftP: 0.5, ShiftMaxFraction: 0.3,
	ElasticP: 0.5, ElasticAlpha: 40, ElasticSigma: 3,
	BrightnessP: 0.5, BrightnessMaxDelta: 0.5,
	ContrastP: 0.5, ContrastMin: 0.3, ContrastMax: 3,
	GammaP: 0.5, GammaMin: 0.3, GammaMax: 3,
	NoiseP: 0.5, NoiseStd: 0.3,
}

func TestGeometricPartsKeepImageAndMaskAligned(t *testing.T) {
	const size, side = 32, 6
	for _, part := range geometric {
		transform := New(part.o)
		moved := false
		for seed := range uint64(40) {
			image, mask := square(size, 17, 8, side)
			transform(image, mask, size, rand.New(rand.NewPCG(seed, 0)))
			ix, iy, _ := centroid(image, size)
			mx, my, area := centroid(mask, size)
			if area == 0 {
				t.Errorf("%s, seed %d: the square left the mask", part.name, seed)
				continue
			}
			// The mask's nearest-neighbour edges may each land up to half a
			// pixel from the image's interpolated ones.
			if math.Abs(ix-mx) > 0.6 || math.Abs(iy-my) > 0.6 {
				t.Errorf("%s, seed %d: image centroid (%.2f,%.2f), mask (%.2f,%.2f)",
					part.name, seed, ix, iy, mx, my)
			}
			moved = moved || math.Hypot(mx-19.5, my-10.5) > 1
		}
		if !moved {
			t.Errorf("%s: the square never moved", part.name)
		}
	}
}

func TestMaskStaysBinary(t *testing.T) {
	const size = 16
	cases := append(slices.Clone(geometric), struct {
		name string
		o    Options
	}{"every part at half probability", strong})
	for _, c := range cases {
		transform := New(c.o)
		for seed := range uint64(60) {
			image, mask := randomCase(size, seed)
			transform(image, mask, size, rand.New(rand.NewPCG(seed, 1)))
			for i, v := range mask {
				if v != 0 && v != 1 {
					t.Fatalf("%s, seed %d: mask pixel %d is %g", c.name, seed, i, v)
				}
			}
			for i, v := range image {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("%s, seed %d: image pixel %d is %g", c.name, seed, i, v)
				}
			}
		}
	}
}

func TestIntensityPartsLeaveMaskAlone(t *testing.T) {
	const size = 16
	transform := New(Options{
		BrightnessP: 1, BrightnessMaxDelta: 0.3,
		ContrastP: 1, ContrastMin: 0.5, ContrastMax: 2,
		GammaP: 1, GammaMin: 0.5, GammaMax: 2,
		NoiseP: 1, NoiseStd: 0.1,
	})
	for seed := range uint64(20) {
		image, mask := randomCase(size, seed)
		before, wantMask := slices.Clone(image), slices.Clone(mask)
		transform(image, mask, size, rand.New(rand.NewPCG(seed, 2)))
		if !slices.Equal(mask, wantMask) {
			t.Errorf("seed %d: the mask changed", seed)
		}
		if slices.Equal(image, before) {
			t.Errorf("seed %d: the image did not change", seed)
		}
	}
}

func TestZeroProbabilitiesAreIdentity(t *testing.T) {
	off := Defaults()
	for _, p := range []*float64{&off.FlipHorizontalP, &off.FlipVerticalP, &off.RotateP,
		&off.ScaleP, &off.ShiftP, &off.ElasticP, &off.BrightnessP, &off.ContrastP,
		&off.GammaP, &off.NoiseP} {
		*p = 0
	}
	const size = 16
	for name, o := range map[string]Options{"defaults turned off": off, "zero": {}} {
		transform := New(o)
		for seed := range uint64(5) {
			image, mask := randomCase(size, seed)
			wantImage, wantMask := slices.Clone(image), slices.Clone(mask)
			transform(image, mask, size, rand.New(rand.NewPCG(seed, 3)))
			if !slices.Equal(image, wantImage) || !slices.Equal(mask, wantMask) {
				t.Errorf("%s, seed %d: the case changed", name, seed)
			}
		}
	}
}

func TestSameSeedSameCase(t *testing.T) {
	const size = 24
	o := strong
	for _, p := range []*float64{&o.FlipHorizontalP, &o.FlipVerticalP, &o.RotateP, &o.ScaleP,
		&o.ShiftP, &o.ElasticP, &o.BrightnessP, &o.ContrastP, &o.GammaP, &o.NoiseP} {
		*p = 1
	}
	transform := New(o)
	run := func(seed uint64) ([]float32, []float32) {
		image, mask := randomCase(size, 5)
		transform(image, mask, size, rand.New(rand.NewPCG(seed, 4)))
		return image, mask
	}
	image1, mask1 := run(1)
	image2, mask2 := run(1)
	if !slices.Equal(image1, image2) || !slices.Equal(mask1, mask2) {
		t.Error("the same seed gave different cases")
	}
	image3, mask3 := run(2)
	if slices.Equal(image1, image3) || slices.Equal(mask1, mask3) {
		t.Error("different seeds gave the same image or mask")
	}
}

func TestConcurrentCallsMatchSerial(t *testing.T) {
	const size, cases = 24, 8
	transform := New(strong)
	run := func(k int) []float32 {
		image, mask := randomCase(size, uint64(k))
		transform(image, mask, size, rand.New(rand.NewPCG(uint64(k), 5)))
		return append(image, mask...)
	}
	want := make([][]float32, cases)
	for k := range want {
		want[k] = run(k)
	}
	got := make([][]float32, cases)
	var wg sync.WaitGroup
	for k := range got {
		wg.Go(func() { got[k] = run(k) })
	}
	wg.Wait()
	for k := range got {
		if !slices.Equal(got[k], want[k]) {
			t.Errorf("case %d differs when run concurrently", k)
		}
	}
}

func TestPanics(t *testing.T) {
	tests := []struct {
		name string
		f    func()
		want string
	}{
		{
			name: "invalid options",
			f:    func() { New(Options{RotateP: 2}) },
			want: "augment: --aug-rotate is 2, want in [0, 1]",
		},
		{
			name: "wrong mask length",
			f: func() {
				New(Defaults())(make([]float32, 4), make([]float32, 3), 2, rand.New(rand.NewPCG(0, 0)))
			},
			want: "augment: case has 4 image and 3 mask pixels, want 2×2",
		},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				if got := fmt.Sprint(recover()); got != tt.want {
					t.Errorf("%s: panic %q, want %q", tt.name, got, tt.want)
				}
			}()
			tt.f()
		}()
	}
}

func BenchmarkTransform512(b *testing.B) {
	const size = 512
	o := Defaults()
	for _, p := range []*float64{&o.FlipHorizontalP, &o.FlipVerticalP, &o.RotateP, &o.ScaleP,
		&o.ShiftP, &o.BrightnessP, &o.ContrastP, &o.GammaP, &o.NoiseP} {
		*p = 1
	}
	transform := New(o)
	image, mask := randomCase(size, 0)
	rng := rand.New(rand.NewPCG(0, 0))
	b.ReportAllocs()
	for b.Loop() {
		transform(image, mask, size, rng)
	}
}
