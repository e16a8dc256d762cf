package models

import (
	"fmt"

	"tumorseg/internal/nn"
)

// seRatio is the channel reduction of the squeeze-and-excitation blocks.
const seRatio = 8

// asppDilations are the dilation rates of the ASPP branches beside the
// plain 3x3 one.
var asppDilations = [3]int{6, 12, 18}

// buildResUNetPP builds ResUNet++ (Jha et al., "ResUNet++: An Advanced
// Architecture for Medical Image Segmentation", IEEE ISM 2019) as the
// authors' published Keras code builds it, with widths Base·2^k
// (16, 32, 64, 128, 256 for Base 16 and Depth 3):
//
//	c0 = stem(x)                                  (N,H,W,Base)
//	c_k = residual unit, stride 2, k = 1..Depth   (N,H/2^k,..,Base·2^k)
//	b = ASPP(c_Depth)                             Base·2^(Depth+1) channels
//	for k = Depth-1 .. 0:
//	    d = attention(c_k, d); nearest 2x up; concat c_k; residual unit, Base·2^(k+1)
//	out = ASPP(d) with Base channels, then conv1x1 → (N,H,W,1) logits
//
// The stem is conv3x3 → BN → ReLU → conv3x3 plus a conv1x1 → BN shortcut;
// a residual unit is BN → ReLU → conv3x3/s → BN → ReLU → conv3x3 plus a
// conv1x1/s → BN shortcut; both end in squeeze-and-excitation (ratio 8).
// ASPP sums four conv3x3 → BN branches (dilations 6, 12, 18 and 1) and
// mixes them with a conv1x1. The attention block gates the decoder feature
// d by conv3x3(BN-ReLU(maxpool(conv3x3(BN-ReLU(c_k))) + conv3x3(BN-ReLU(d)))).
// Convolutions carry biases, as Keras's do by default. The input's sides
// must be divisible by 2^Depth.
func buildResUNetPP(o Options, seed uint64) (*nn.Graph, error) {
	g := nn.NewGraph(1, seed)
	f := func(k int) int { return o.Base << k }
	skips := []*nn.Node{stem(g, "stem", g.Input(), f(0))}
	x := skips[0]
	for k := 1; k <= o.Depth; k++ {
		x = residualUnit(g, fmt.Sprintf("enc%d", k), x, f(k), 2)
		skips = append(skips, x)
	}
	x = aspp(g, "bridge", x, f(o.Depth+1))
	for k := o.Depth - 1; k >= 0; k-- {
		name := fmt.Sprintf("dec%d", k)
		x = attention(g, name+".att", skips[k], x)
		x = g.Upsample2x(name+".up", x, false)
		x = g.Concat(name+".cat", x, skips[k])
		x = residualUnit(g, name+".res", x, f(k+1), 1)
	}
	x = aspp(g, "out.aspp", x, f(0))
	g.SetOutput(g.Conv("head", x, nn.ConvSpec{Out: 1, Kernel: 1, Bias: true}))
	return g, nil
}

func conv3(g *nn.Graph, name string, x *nn.Node, c, stride, dilation int) *nn.Node {
	return g.Conv(name, x, nn.ConvSpec{Out: c, Kernel: 3, Stride: stride, Pad: dilation,
		Dilation: dilation, Bias: true})
}

func bnReLU(g *nn.Graph, name string, x *nn.Node) *nn.Node {
	return g.ReLU(name+".relu", g.BatchNorm(name+".bn", x))
}

// squeezeExcite scales each channel of x by a gate computed from the mean
// of x: sigmoid(W2 relu(W1 mean(x))), W1 to C/8 and W2 back to C, no biases
// (Hu et al., "Squeeze-and-Excitation Networks", CVPR 2018).
func squeezeExcite(g *nn.Graph, name string, x *nn.Node) *nn.Node {
	c := x.Channels()
	s := g.GlobalAvgPool(name+".pool", x)
	s = g.ReLU(name+".relu", g.Conv(name+".fc1", s, nn.ConvSpec{Out: max(1, c/seRatio), Kernel: 1}))
	s = g.Sigmoid(name+".sigmoid", g.Conv(name+".fc2", s, nn.ConvSpec{Out: c, Kernel: 1}))
	return g.Mul(name+".scale", x, s)
}

// shortcut is the conv1x1 → BN projection of a residual connection.
func shortcut(g *nn.Graph, name string, x *nn.Node, c, stride int) *nn.Node {
	s := g.Conv(name, x, nn.ConvSpec{Out: c, Kernel: 1, Stride: stride, Bias: true})
	return g.BatchNorm(name+".bn", s)
}

func stem(g *nn.Graph, name string, x *nn.Node, c int) *nn.Node {
	h := bnReLU(g, name+".conv1", conv3(g, name+".conv1", x, c, 1, 1))
	h = conv3(g, name+".conv2", h, c, 1, 1)
	h = g.Add(name+".add", h, shortcut(g, name+".shortcut", x, c, 1))
	return squeezeExcite(g, name+".se", h)
}

func residualUnit(g *nn.Graph, name string, x *nn.Node, c, stride int) *nn.Node {
	h := conv3(g, name+".conv1", bnReLU(g, name+".pre1", x), c, stride, 1)
	h = conv3(g, name+".conv2", bnReLU(g, name+".pre2", h), c, 1, 1)
	h = g.Add(name+".add", h, shortcut(g, name+".shortcut", x, c, stride))
	return squeezeExcite(g, name+".se", h)
}

// aspp is atrous spatial pyramid pooling (Chen et al., DeepLab, 2017) as
// ResUNet++ uses it: four parallel conv3x3 → BN branches summed, then a
// conv1x1.
func aspp(g *nn.Graph, name string, x *nn.Node, c int) *nn.Node {
	var sum *nn.Node
	for i, d := range append(asppDilations[:], 1) {
		b := g.BatchNorm(fmt.Sprintf("%s.b%d.bn", name, i),
			conv3(g, fmt.Sprintf("%s.b%d", name, i), x, c, 1, d))
		if sum == nil {
			sum = b
		} else {
			sum = g.Add(fmt.Sprintf("%s.sum%d", name, i), sum, b)
		}
	}
	return g.Conv(name+".mix", sum, nn.ConvSpec{Out: c, Kernel: 1, Bias: true})
}

// attention gates the decoder feature d (N,h,w,C) by the encoder feature
// enc (N,2h,2w,Ce) at twice its resolution.
func attention(g *nn.Graph, name string, enc, d *nn.Node) *nn.Node {
	c := d.Channels()
	e := conv3(g, name+".enc", bnReLU(g, name+".enc", enc), c, 1, 1)
	e = g.MaxPool2(name+".pool", e)
	x := conv3(g, name+".dec", bnReLU(g, name+".dec", d), c, 1, 1)
	s := g.Add(name+".sum", e, x)
	s = conv3(g, name+".gate", bnReLU(g, name+".gate", s), c, 1, 1)
	return g.Mul(name+".mul", s, d)
}
