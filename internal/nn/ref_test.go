package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestConvHandValues(t *testing.T) {
	// A 3x3 image 1..9 under an all-ones 3x3 kernel with padding 1: each
	// output is the sum of its 3x3 neighbourhood inside the image.
	d := ConvDesc{KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1,
		Groups: 1, InC: 1, OutC: 1, InH: 3, InW: 3, OutH: 3, OutW: 3, N: 1}
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	w := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}
	y := make([]float32, 9)
	NewRef(2).Conv(d, x, w, []float32{0.5}, y)
	want := []float32{12, 21, 16, 27, 45, 33, 24, 39, 28}
	for i := range want {
		if y[i] != want[i]+0.5 {
			t.Fatalf("y = %v, want %v + 0.5", y, want)
		}
	}
}

// naiveConv is the convolution written straight from its definition.
func naiveConv(d ConvDesc, x, w, bias []float32) []float32 {
	y := make([]float32, d.N*d.OutH*d.OutW*d.OutC)
	cg, og := d.InC/d.Groups, d.OutC/d.Groups
	for n := range d.N {
		for oy := range d.OutH {
			for ox := range d.OutW {
				for o := range d.OutC {
					g := o / og
					s := 0.0
					if bias != nil {
						s = float64(bias[o])
					}
					for ky := range d.KH {
						for kx := range d.KW {
							iy := oy*d.StrideH - d.PadH + ky*d.DilH
							ix := ox*d.StrideW - d.PadW + kx*d.DilW
							if iy < 0 || iy >= d.InH || ix < 0 || ix >= d.InW {
								continue
							}
							for c := range cg {
								xv := x[((n*d.InH+iy)*d.InW+ix)*d.InC+g*cg+c]
								wv := w[((ky*d.KW+kx)*cg+c)*d.OutC+o]
								s += float64(xv) * float64(wv)
							}
						}
					}
					y[((n*d.OutH+oy)*d.OutW+ox)*d.OutC+o] = float32(s)
				}
			}
		}
	}
	return y
}

func TestConvMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, d := range []ConvDesc{
		{KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 1,
			InC: 3, OutC: 5, InH: 9, InW: 7, N: 2},
		{KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 4,
			InC: 8, OutC: 8, InH: 8, InW: 8, N: 1},
		{KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 3, PadW: 3, DilH: 3, DilW: 3, Groups: 1,
			InC: 2, OutC: 3, InH: 10, InW: 6, N: 1},
		{KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1,
			InC: 6, OutC: 4, InH: 5, InW: 5, N: 3},
	} {
		d.OutH, d.OutW = d.OutSize(d.InH, d.InW)
		x := make([]float32, d.N*d.InH*d.InW*d.InC)
		w := make([]float32, d.KH*d.KW*d.InC/d.Groups*d.OutC)
		b := make([]float32, d.OutC)
		for _, s := range [][]float32{x, w, b} {
			for i := range s {
				s[i] = float32(rng.NormFloat64())
			}
		}
		got := make([]float32, d.N*d.OutH*d.OutW*d.OutC)
		NewRef(2).Conv(d, x, w, b, got)
		want := naiveConv(d, x, w, b)
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-4 {
				t.Fatalf("%+v: element %d = %g, want %g", d, i, got[i], want[i])
			}
		}
	}
}

func TestDiceLossHandValues(t *testing.T) {
	// Logits 0 give p = 0.5; with target (1,0,0,0): I = 0.5, S = 3, so
	// L = 1 - (2·0.5+1)/(3+1) = 0.5; dL/dz = -(2t·4 - 2)/16 · 0.25.
	d := make([]float32, 4)
	l := DiceLoss([]float32{0, 0, 0, 0}, []float32{1, 0, 0, 0}, d)
	if l != 0.5 {
		t.Errorf("loss = %g, want 0.5", l)
	}
	want := []float32{-0.09375, 0.03125, 0.03125, 0.03125}
	for i := range want {
		if math.Abs(float64(d[i]-want[i])) > 1e-7 {
			t.Errorf("grad = %v, want %v", d, want)
			break
		}
	}
}

func TestDiceLossEmptyMaskEmptyPrediction(t *testing.T) {
	// Very negative logits on an empty mask: the loss goes to 0.
	d := make([]float32, 3)
	if l := DiceLoss([]float32{-30, -30, -30}, []float32{0, 0, 0}, d); l > 1e-9 {
		t.Errorf("loss = %g, want ~0", l)
	}
}

func TestRefDeterministic(t *testing.T) {
	// The same backward-weights reduction on 1 and 2 workers gives the same
	// bits once each worker count is fixed; two runs on 2 workers agree.
	d := ConvDesc{KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1,
		Groups: 1, InC: 4, OutC: 4, InH: 32, InW: 32, N: 4}
	d.OutH, d.OutW = d.OutSize(32, 32)
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float32, 4*32*32*4)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	run := func() []float32 {
		dw := make([]float32, 9*16)
		NewRef(2).ConvBackwardWeights(d, x, x, dw, nil)
		return dw
	}
	a, b := run(), run()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("element %d differs between runs: %g vs %g", i, a[i], b[i])
		}
	}
}

func TestUpsampleHandValues(t *testing.T) {
	// PyTorch: F.interpolate(tensor([[[[1., 2.]]]]), scale_factor=2,
	// mode="bilinear", align_corners=False) is [[1, 1.25, 1.75, 2]] on both rows.
	x := &Tensor{N: 1, H: 1, W: 2, C: 1, Data: []float32{1, 2}}
	y := NewTensor(1, 2, 4, 1)
	NewRef(1).Upsample2x(true, x, y)
	want := []float32{1, 1.25, 1.75, 2, 1, 1.25, 1.75, 2}
	for i := range want {
		if y.Data[i] != want[i] {
			t.Fatalf("bilinear: %v, want %v", y.Data, want)
		}
	}
	NewRef(1).Upsample2x(false, x, y)
	want = []float32{1, 1, 2, 2, 1, 1, 2, 2}
	for i := range want {
		if y.Data[i] != want[i] {
			t.Fatalf("nearest: %v, want %v", y.Data, want)
		}
	}
}

func TestMaxPoolPaddedHandValues(t *testing.T) {
	// 3x3 window, stride 2, padding 1 over a 4x4 ramp 0..15: the output
	// (2x2) takes the bottom-right element of each clipped window.
	x := NewTensor(1, 4, 4, 1)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	y := NewTensor(1, 2, 2, 1)
	arg := make([]int32, 4)
	NewRef(1).MaxPool(3, 2, 1, x, y, arg)
	want := []float32{5, 7, 13, 15}
	for i := range want {
		if y.Data[i] != want[i] || arg[i] != int32(want[i]) {
			t.Fatalf("y = %v arg = %v, want %v", y.Data, arg, want)
		}
	}
}
