package compare

import (
	"strings"
	"testing"

	"tumorseg/internal/models"
)

func TestCountParts(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    models.Options
		want Parts
	}{
		// UNet at base 2, depth 2; a 3x3 convolution from a to b channels has
		// 9ab weights and no bias, its batch norm 2b parameters.
		//   enc0 1→2→2: 18+4 + 36+4 = 62; enc1 2→4→4: 72+8 + 144+8 = 232
		//   bottleneck 4→8→8: 288+16 + 576+16 = 896
		//   dec1: up 8→4 (2·2·8·4 + 4 = 132), 8→4→4 (288+8 + 144+8): 580
		//   dec0: up 4→2 (32 + 2 = 34), 4→2→2 (72+4 + 36+4): 150; head 2+1 = 3
		{"unet", models.Options{Base: 2, Depth: 2},
			Parts{Encoder: 294, Bridge: 896, Decoder: 733, Total: 1923}},
		// The encoder is torchvision's resnext50_32x4d on one input channel
		// (see package models); the total is the PyTorch count.
		{"resnext50-unet", models.Options{},
			Parts{Encoder: 22973632, Decoder: 9013073, Total: 31986705}},
	} {
		g, err := models.Build(tc.name, tc.o, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := CountParts(g); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestNetworksBuildRefusedDepthAtDefault(t *testing.T) {
	nets, err := Networks(models.Options{Base: 2, Depth: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(nets) != len(models.Names()) {
		t.Fatalf("%d networks, want %d", len(nets), len(models.Names()))
	}
	for _, n := range nets {
		fixed := n.Name == "resnext50-unet"
		wantDepth := 2
		if fixed {
			wantDepth = 5
		}
		if n.Options.Base != 2 || n.Options.Depth != wantDepth || (n.Note != "") != fixed {
			t.Errorf("%s: options %+v, note %q", n.Name, n.Options, n.Note)
		}
		if fixed && !strings.Contains(n.Note, "depth 2 not accepted") {
			t.Errorf("%s: note %q", n.Name, n.Note)
		}
		if p := n.Parts; p.Encoder+p.Bridge+p.Decoder != p.Total || p.Total == 0 {
			t.Errorf("%s: parts %+v do not add up", n.Name, p)
		}
	}
}
