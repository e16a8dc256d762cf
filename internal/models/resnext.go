package models

import (
	"fmt"

	"tumorseg/internal/nn"
)

// resnextStages are ResNeXt50's blocks per stage and their bottleneck
// "planes"; a block's output has 4·planes channels.
var resnextStages = [4]struct{ blocks, planes int }{{3, 64}, {4, 128}, {6, 256}, {3, 512}}

// ResNeXt50's cardinality and bottleneck width per group (the "32x4d").
const (
	resnextGroups     = 32
	resnextGroupWidth = 4
)

// buildResNeXtUNet builds a UNet whose encoder is ResNeXt50 32x4d (Xie et
// al., "Aggregated Residual Transformations for Deep Neural Networks",
// CVPR 2017), laid out as torchvision's resnext50_32x4d without its
// classifier, under the decoder that segmentation_models_pytorch's
// Unet(encoder_name="resnext50_32x4d") puts on it:
//
//	x (N,H,W,1)
//	stem: conv7x7/2 → BN → ReLU                    e0 (N,H/2,H/2,64)
//	max pool 3x3/2, stage 1 (3 blocks)             e1 (N,H/4,..,256)
//	stage 2 (4 blocks, /2)                         e2 (N,H/8,..,512)
//	stage 3 (6 blocks, /2)                         e3 (N,H/16,..,1024)
//	stage 4 (3 blocks, /2)                         e4 (N,H/32,..,2048)
//	dec_i: nearest 2x up, concat e_{3-i}, [conv3x3 → BN → ReLU] x2,
//	       widths 16·Base, 8·Base, 4·Base, 2·Base, Base (the last with no skip)
//	head: conv3x3 with bias → (N,H,W,1) logits
//
// A block is conv1x1 → BN → ReLU → grouped conv3x3 (32 groups, stride on
// the first block of stages 2-4) → BN → ReLU → conv1x1 → BN, plus the input
// (through conv1x1/stride → BN on a stage's first block), then ReLU.
// The input's sides must be divisible by 32.
func buildResNeXtUNet(o Options, seed uint64) (*nn.Graph, error) {
	if o.Depth != 5 {
		return nil, fmt.Errorf("models: resnext50-unet has a fixed depth of 5, not %d", o.Depth)
	}
	g := nn.NewGraph(1, seed)
	x := g.Conv("enc.conv1", g.Input(), nn.ConvSpec{Out: 64, Kernel: 7, Stride: 2, Pad: 3})
	x = g.ReLU("enc.relu", g.BatchNorm("enc.bn1", x))
	skips := []*nn.Node{x}
	x = g.MaxPool("enc.maxpool", x, 3, 2, 1)
	for s, st := range resnextStages {
		for b := range st.blocks {
			stride := 1
			if b == 0 && s > 0 {
				stride = 2
			}
			x = resnextBlock(g, fmt.Sprintf("enc.layer%d.%d", s+1, b), x, st.planes, stride)
		}
		skips = append(skips, x)
	}
	x = skips[4]
	for i := range 5 {
		name := fmt.Sprintf("dec%d", i)
		x = g.Upsample2x(name+".up", x, false)
		if i < 4 {
			x = g.Concat(name+".cat", x, skips[3-i])
		}
		x = convBNReLU(g, name+".conv1", x, o.Base<<(4-i))
		x = convBNReLU(g, name+".conv2", x, o.Base<<(4-i))
	}
	g.SetOutput(g.Conv("head", x, nn.ConvSpec{Out: 1, Kernel: 3, Pad: 1, Bias: true}))
	return g, nil
}

// resnextBlock adds one ResNeXt bottleneck block with torchvision's names.
func resnextBlock(g *nn.Graph, name string, x *nn.Node, planes, stride int) *nn.Node {
	width := planes * resnextGroupWidth / 64 * resnextGroups
	out := 4 * planes
	h := g.Conv(name+".conv1", x, nn.ConvSpec{Out: width, Kernel: 1})
	h = g.ReLU(name+".relu1", g.BatchNorm(name+".bn1", h))
	h = g.Conv(name+".conv2", h, nn.ConvSpec{Out: width, Kernel: 3, Stride: stride, Pad: 1,
		Groups: resnextGroups})
	h = g.ReLU(name+".relu2", g.BatchNorm(name+".bn2", h))
	h = g.BatchNorm(name+".bn3", g.Conv(name+".conv3", h, nn.ConvSpec{Out: out, Kernel: 1}))
	shortcut := x
	if stride != 1 || x.Channels() != out {
		shortcut = g.Conv(name+".downsample.0", x, nn.ConvSpec{Out: out, Kernel: 1, Stride: stride})
		shortcut = g.BatchNorm(name+".downsample.1", shortcut)
	}
	return g.ReLU(name+".relu3", g.Add(name+".add", h, shortcut))
}

// convBNReLU adds conv3x3 (no bias) → BN → ReLU.
func convBNReLU(g *nn.Graph, name string, x *nn.Node, c int) *nn.Node {
	x = g.Conv(name, x, nn.ConvSpec{Out: c, Kernel: 3, Pad: 1})
	return g.ReLU(name+".relu", g.BatchNorm(name+".bn", x))
}
