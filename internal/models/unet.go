package models

import (
	"fmt"

	"tumorseg/internal/nn"
)

// buildUNet builds the UNet of Ronneberger, Fischer and Brox, "U-Net:
// Convolutional Networks for Biomedical Image Segmentation" (MICCAI 2015),
// with batch normalization after every 3x3 convolution and padding 1 so the
// output keeps the input's size. Level i has Base·2^i channels; with Base 64
// and Depth 4 the widths are the paper's 64 to 1024.
//
//	x (N,H,W,1)
//	enc_i: [conv3x3 → BN → ReLU] x2, then 2x2 max pool      i = 0..Depth-1
//	bottleneck: [conv3x3 → BN → ReLU] x2 at H/2^Depth
//	dec_i: 2x2 transposed conv up, concat(up, enc_i), [conv3x3 → BN → ReLU] x2
//	head: conv1x1 with bias → (N,H,W,1) logits
func buildUNet(o Options, seed uint64) (*nn.Graph, error) {
	g := nn.NewGraph(1, seed)
	x := g.Input()
	skips := make([]*nn.Node, o.Depth)
	for i := range o.Depth {
		skips[i] = doubleConv(g, fmt.Sprintf("enc%d", i), x, o.Base<<i)
		x = g.MaxPool2(fmt.Sprintf("enc%d.pool", i), skips[i])
	}
	x = doubleConv(g, "bottleneck", x, o.Base<<o.Depth)
	for i := o.Depth - 1; i >= 0; i-- {
		name := fmt.Sprintf("dec%d", i)
		up := g.ConvTranspose2x2(name+".up", x, o.Base<<i)
		x = doubleConv(g, name, g.Concat(name+".cat", up, skips[i]), o.Base<<i)
	}
	g.SetOutput(g.Conv("head", x, nn.ConvSpec{Out: 1, Kernel: 1, Bias: true}))
	return g, nil
}

// doubleConv adds two 3x3 convolutions, each followed by batch norm and ReLU.
func doubleConv(g *nn.Graph, name string, x *nn.Node, c int) *nn.Node {
	for i := 1; i <= 2; i++ {
		n := fmt.Sprintf("%s.conv%d", name, i)
		x = g.Conv(n, x, nn.ConvSpec{Out: c, Kernel: 3, Pad: 1})
		x = g.BatchNorm(n+".bn", x)
		x = g.ReLU(n+".relu", x)
	}
	return x
}
