package models

import (
	"testing"

	"tumorseg/internal/nn"
)

// unetParams counts the trainable parameters of the UNet by hand: per
// 3x3 conv k·k·in·out weights (no bias) plus 2·out batch-norm weights; per
// transposed conv 4·in·out + out; the head in + 1.
func unetParams(base, depth int) int {
	n, in := 0, 1
	dc := func(in, out int) int { return 9*in*out + 2*out + 9*out*out + 2*out }
	for i := range depth {
		n += dc(in, base<<i)
		in = base << i
	}
	n += dc(in, base<<depth)
	in = base << depth
	for i := depth - 1; i >= 0; i-- {
		out := base << i
		n += 4*in*out + out
		n += dc(2*out, out)
		in = out
	}
	return n + in + 1
}

func TestUNetParameterCount(t *testing.T) {
	for _, tc := range []struct{ base, depth, want int }{
		// Counts of the same architecture built in PyTorch 1.13
		// (sum of p.numel() over parameters()).
		{16, 4, 1942289},
		{64, 4, 31036481},
		{8, 3, 121033},
	} {
		g, err := Build("unet", Options{Base: tc.base, Depth: tc.depth}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if hand := unetParams(tc.base, tc.depth); hand != tc.want {
			t.Errorf("base %d depth %d: hand count %d, want %d", tc.base, tc.depth, hand, tc.want)
		}
		if got := g.NumParams(); got != tc.want {
			t.Errorf("base %d depth %d: %d parameters, want %d", tc.base, tc.depth, got, tc.want)
		}
	}
}

func TestUNetOutputShape(t *testing.T) {
	g, err := Build("unet", Options{Base: 4, Depth: 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	out, err := g.Forward(nn.NewTensor(2, 32, 24, 1), false)
	if err != nil {
		t.Fatal(err)
	}
	if out.N != 2 || out.H != 32 || out.W != 24 || out.C != 1 {
		t.Errorf("output %s, want (2,32,24,1)", out.Shape())
	}
	if _, err := g.Forward(nn.NewTensor(1, 20, 20, 1), false); err == nil {
		t.Error("an input not divisible by 2^depth was accepted")
	}
}
