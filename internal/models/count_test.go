package models

import (
	"strings"
	"testing"

	"tumorseg/internal/nn"
)

// countParams sums the trainable parameters whose names start with prefix.
func countParams(g *nn.Graph, prefix string) int {
	n := 0
	for _, p := range g.Params() {
		if p.Trainable() && strings.HasPrefix(p.Name, prefix) {
			n += len(p.Data)
		}
	}
	return n
}

func TestResNeXtEncoderMatchesTorchvision(t *testing.T) {
	// torchvision's resnext50_32x4d holds 25,028,904 parameters; without its
	// 2048->1000 classifier (2,049,000) that is 22,979,904 for 3 input
	// channels, and 64·7·7·2 = 6,272 fewer for one.
	g, err := Build("resnext50-unet", Options{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := countParams(g, "enc."); got != 22973632 {
		t.Errorf("encoder has %d parameters, want 22,973,632", got)
	}
}

func TestNetworkParameterCounts(t *testing.T) {
	// The same architectures written in PyTorch 1.13 (sum of p.numel()):
	// the ResNeXt50-UNet decoder as segmentation_models_pytorch builds it
	// (decoder channels 256..16, a 3x3 head), and ResUNet++ as the authors'
	// Keras code lays it out, widths 16..256.
	for _, tc := range []struct {
		name string
		want int
	}{
		{"resnext50-unet", 31986705},
		{"resunet++", 4062673},
	} {
		g, err := Build(tc.name, Options{}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.NumParams(); got != tc.want {
			t.Errorf("%s: %d parameters, want %d", tc.name, got, tc.want)
		}
	}
}

func TestNetworksKeepInputSize(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		side int
	}{
		{"resnext50-unet", Options{Base: 2}, 64},
		{"resunet++", Options{Base: 4, Depth: 2}, 32},
	} {
		g, err := Build(tc.name, tc.o, 1)
		if err != nil {
			t.Fatal(err)
		}
		out, err := g.Forward(nn.NewTensor(1, tc.side, tc.side, 1), false)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if out.H != tc.side || out.W != tc.side || out.C != 1 {
			t.Errorf("%s: output %s", tc.name, out.Shape())
		}
	}
}
