package nn

import (
	"fmt"
	"math"
)

// ConvSpec describes a convolution layer. Zero values mean stride 1,
// no padding, dilation 1, one group and no bias.
type ConvSpec struct {
	Out      int // output channels
	Kernel   int // square kernel size
	Stride   int
	Pad      int
	Dilation int
	Groups   int
	Bias     bool
}

// convOp is a 2-D convolution, matching PyTorch's Conv2d. Weights are
// initialized He-normal (std sqrt(2/fan_in)), suited to a following ReLU.
type convOp struct {
	spec ConvSpec
	inC  int
	w, b *Param
	d    ConvDesc

	// In a fused inference plan: the batch norm folded into the weights,
	// whether a ReLU follows in the same pass, and the folded weights.
	fold                *batchNormOp
	relu                bool
	foldW, foldB, foldS []float32
}

// Conv adds a convolution of x. x is (N,H,W,C); the output is
// (N,(H+2p-d(k-1)-1)/s+1,(W+...)/s+1,Out).
func (g *Graph) Conv(name string, x *Node, s ConvSpec) *Node {
	s.Stride, s.Dilation, s.Groups = max(s.Stride, 1), max(s.Dilation, 1), max(s.Groups, 1)
	if x.c%s.Groups != 0 || s.Out%s.Groups != 0 {
		panic(fmt.Sprintf("nn: %s: %d->%d channels do not split into %d groups",
			name, x.c, s.Out, s.Groups))
	}
	cg := x.c / s.Groups
	o := &convOp{spec: s, inC: x.c}
	o.w = newParam(name+".weight", true, s.Kernel, s.Kernel, cg, s.Out)
	std := math.Sqrt(2 / float64(s.Kernel*s.Kernel*cg))
	for i := range o.w.Data {
		o.w.Data[i] = float32(g.rng.NormFloat64() * std)
	}
	if s.Bias {
		o.b = newParam(name+".bias", true, s.Out)
	}
	return g.add(name, o, x)
}

func (o *convOp) channels([]int) int { return o.spec.Out }
func (o *convOp) desc(n, h, w int) ConvDesc {
	s := o.spec
	d := ConvDesc{KH: s.Kernel, KW: s.Kernel, StrideH: s.Stride, StrideW: s.Stride,
		PadH: s.Pad, PadW: s.Pad, DilH: s.Dilation, DilW: s.Dilation, Groups: s.Groups,
		InC: o.inC, OutC: s.Out, InH: h, InW: w, N: n, WithBias: s.Bias}
	d.OutH, d.OutW = d.OutSize(h, w)
	return d
}
func (o *convOp) size(h, w int) (int, int) { d := o.desc(1, h, w); return d.OutH, d.OutW }
func (o *convOp) params() []*Param {
	if o.b != nil {
		return []*Param{o.w, o.b}
	}
	return []*Param{o.w}
}

func (o *convOp) plan(in []*Tensor, _ *Tensor, _ bool) error {
	o.d = o.desc(in[0].N, in[0].H, in[0].W)
	if o.fold != nil {
		o.d.WithBias, o.d.ReLU = true, o.relu
		o.foldW = make([]float32, len(o.w.Data))
		o.foldB, o.foldS = make([]float32, o.spec.Out), make([]float32, o.spec.Out)
	}
	return nil
}

// forward: out = conv(x, w) + b. With a batch norm folded in, the weights
// of output channel o are scaled by s_o = gamma_o/sqrt(var_o+eps) and the
// bias becomes (b_o - mean_o)·s_o + beta_o, so that one pass gives
// BN(conv(x)) (and its ReLU when fused too).
func (o *convOp) forward(b Backend, in []*Tensor, out *Tensor, _ bool) {
	var bias []float32
	if o.b != nil {
		bias = o.b.Data
	}
	if o.fold != nil {
		o.foldWeights(bias)
		b.Conv(o.d, in[0].Data, o.foldW, o.foldB, out.Data)
		return
	}
	b.Conv(o.d, in[0].Data, o.w.Data, bias, out.Data)
}

// foldWeights computes foldW and foldB from the current weights and the
// batch norm's running statistics. It runs on every inference forward, so
// the fold always follows the weights; it costs one pass over them.
func (o *convOp) foldWeights(bias []float32) {
	bn := o.fold
	oc := o.spec.Out
	for c := range oc {
		s := bn.gamma.Data[c] / float32(math.Sqrt(float64(bn.runVar.Data[c])+float64(bn.eps)))
		b := float32(0)
		if bias != nil {
			b = bias[c]
		}
		o.foldB[c] = (b-bn.runMean.Data[c])*s + bn.beta.Data[c]
		o.foldS[c] = s
	}
	for i, w := range o.w.Data {
		o.foldW[i] = w * o.foldS[i%oc]
	}
}

// backward: dx += conv_transpose(dout, w); dw += x ⋆ dout; db += sum dout.
func (o *convOp) backward(b Backend, in []*Tensor, _, dout *Tensor, din []*Tensor) {
	if din[0] != nil {
		b.ConvBackwardData(o.d, dout.Data, o.w.Data, din[0].Data)
	}
	var db []float32
	if o.b != nil {
		db = o.b.Grad
	}
	b.ConvBackwardWeights(o.d, in[0].Data, dout.Data, o.w.Grad, db)
}

// convTransposeOp is a 2x2, stride-2 transposed convolution with bias,
// matching PyTorch's ConvTranspose2d(C, O, kernel_size=2, stride=2).
type convTransposeOp struct {
	out  int
	w, b *Param
}

// ConvTranspose2x2 adds a learned 2x upsampling of x: (N,H,W,C) to
// (N,2H,2W,out).
func (g *Graph) ConvTranspose2x2(name string, x *Node, out int) *Node {
	o := &convTransposeOp{out: out}
	o.w = newParam(name+".weight", true, x.c, 2, 2, out)
	std := math.Sqrt(2 / float64(x.c))
	for i := range o.w.Data {
		o.w.Data[i] = float32(g.rng.NormFloat64() * std)
	}
	o.b = newParam(name+".bias", true, out)
	return g.add(name, o, x)
}

func (o *convTransposeOp) channels([]int) int                  { return o.out }
func (o *convTransposeOp) size(h, w int) (int, int)            { return 2 * h, 2 * w }
func (o *convTransposeOp) params() []*Param                    { return []*Param{o.w, o.b} }
func (o *convTransposeOp) plan([]*Tensor, *Tensor, bool) error { return nil }

func (o *convTransposeOp) forward(b Backend, in []*Tensor, out *Tensor, _ bool) {
	b.ConvTranspose2x2(in[0], o.w.Data, o.b.Data, out)
}

func (o *convTransposeOp) backward(b Backend, in []*Tensor, _, dout *Tensor, din []*Tensor) {
	b.ConvTranspose2x2Backward(in[0], o.w.Data, dout, grad(din[0]), o.w.Grad, o.b.Grad)
}
