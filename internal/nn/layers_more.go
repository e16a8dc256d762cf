package nn

import "fmt"

// maxPoolOp is k×k max pooling with stride s and padding p, matching
// PyTorch's MaxPool2d(k, s, p).
type maxPoolOp struct {
	c, k, s, p int
	arg        []int32
}

// MaxPool2 adds 2x2, stride-2 max pooling: (N,H,W,C) to (N,H/2,W/2,C).
// H and W must be even.
func (g *Graph) MaxPool2(name string, x *Node) *Node {
	return g.add(name, &maxPoolOp{c: x.c, k: 2, s: 2}, x)
}

// MaxPool adds k×k max pooling with stride s and padding p (PyTorch's
// MaxPool2d(k, s, p)): (N,H,W,C) to (N,(H+2p-k)/s+1,(W+2p-k)/s+1,C).
func (g *Graph) MaxPool(name string, x *Node, k, s, p int) *Node {
	return g.add(name, &maxPoolOp{c: x.c, k: k, s: s, p: p}, x)
}

func (o *maxPoolOp) channels([]int) int { return o.c }
func (o *maxPoolOp) size(h, w int) (int, int) {
	return (h+2*o.p-o.k)/o.s + 1, (w+2*o.p-o.k)/o.s + 1
}
func (o *maxPoolOp) params() []*Param { return nil }
func (o *maxPoolOp) plan(in []*Tensor, out *Tensor, _ bool) error {
	if o.k == 2 && o.s == 2 && o.p == 0 && (in[0].H%2 != 0 || in[0].W%2 != 0) {
		return errOdd(in[0])
	}
	o.arg = make([]int32, out.Len())
	return nil
}
func (o *maxPoolOp) forward(b Backend, in []*Tensor, out *Tensor, _ bool) {
	b.MaxPool(o.k, o.s, o.p, in[0], out, o.arg)
}
func (o *maxPoolOp) backward(b Backend, _ []*Tensor, _, dout *Tensor, din []*Tensor) {
	if din[0] != nil {
		b.MaxPoolBackward(dout.Data, o.arg, din[0].Data)
	}
}

// addOp is the elementwise sum of two tensors of one shape.
type addOp struct{ c int }

// Add adds a + b; both have the same shape, which the output keeps.
func (g *Graph) Add(name string, a, b *Node) *Node {
	if a.c != b.c {
		panic(fmt.Sprintf("nn: %s: adding %d and %d channels", name, a.c, b.c))
	}
	return g.add(name, addOp{a.c}, a, b)
}

func (o addOp) channels([]int) int                  { return o.c }
func (o addOp) size(h, w int) (int, int)            { return h, w }
func (o addOp) plan([]*Tensor, *Tensor, bool) error { return nil }
func (o addOp) params() []*Param                    { return nil }
func (o addOp) forward(b Backend, in []*Tensor, out *Tensor, _ bool) {
	b.Add(in[0].Data, in[1].Data, out.Data)
}

// backward: da += dy, db += dy.
func (o addOp) backward(b Backend, _ []*Tensor, _, dout *Tensor, din []*Tensor) {
	for _, d := range din {
		if d != nil {
			b.Add(d.Data, dout.Data, d.Data)
		}
	}
}

// mulOp multiplies a by b, b broadcast per channel or per pixel.
type mulOp struct{ c int }

// Mul adds a·b elementwise. a is (N,H,W,C); b is (N,H,W,C), (N,1,1,C) (a
// gate per channel, as in squeeze-and-excitation) or (N,H,W,1) (a gate
// per pixel, as in attention).
func (g *Graph) Mul(name string, a, b *Node) *Node {
	if b.c != a.c && b.c != 1 {
		panic(fmt.Sprintf("nn: %s: multiplying %d by %d channels", name, a.c, b.c))
	}
	return g.add(name, mulOp{a.c}, a, b)
}

func (o mulOp) broadcasts()              {}
func (o mulOp) channels([]int) int       { return o.c }
func (o mulOp) size(h, w int) (int, int) { return h, w }
func (o mulOp) params() []*Param         { return nil }
func (o mulOp) plan(in []*Tensor, _ *Tensor, _ bool) error {
	a, b := in[0], in[1]
	if b.Len() != a.Len() && !(b.H == 1 && b.W == 1) && !(b.C == 1 && b.H == a.H && b.W == a.W) {
		return fmt.Errorf("cannot broadcast %s over %s", b.Shape(), a.Shape())
	}
	return nil
}
func (o mulOp) forward(b Backend, in []*Tensor, out *Tensor, _ bool) { b.Mul(in[0], in[1], out) }
func (o mulOp) backward(b Backend, in []*Tensor, _, dout *Tensor, din []*Tensor) {
	b.MulBackward(in[0], in[1], dout, grad(din[0]), grad(din[1]))
}

// sigmoidOp is the logistic function.
type sigmoidOp struct{ c int }

// Sigmoid adds 1/(1+exp(-x)) elementwise.
func (g *Graph) Sigmoid(name string, x *Node) *Node { return g.add(name, sigmoidOp{x.c}, x) }

func (o sigmoidOp) channels([]int) int                  { return o.c }
func (o sigmoidOp) size(h, w int) (int, int)            { return h, w }
func (o sigmoidOp) plan([]*Tensor, *Tensor, bool) error { return nil }
func (o sigmoidOp) params() []*Param                    { return nil }
func (o sigmoidOp) forward(b Backend, in []*Tensor, out *Tensor, _ bool) {
	b.Sigmoid(in[0].Data, out.Data)
}

// backward: dx += dy·y·(1-y).
func (o sigmoidOp) backward(b Backend, _ []*Tensor, out, dout *Tensor, din []*Tensor) {
	if din[0] != nil {
		b.SigmoidBackward(out.Data, dout.Data, din[0].Data)
	}
}

// gapOp is global average pooling.
type gapOp struct{ c int }

// GlobalAvgPool adds the mean over height and width: (N,H,W,C) to (N,1,1,C).
func (g *Graph) GlobalAvgPool(name string, x *Node) *Node { return g.add(name, gapOp{x.c}, x) }

func (o gapOp) channels([]int) int                  { return o.c }
func (o gapOp) size(int, int) (int, int)            { return 1, 1 }
func (o gapOp) plan([]*Tensor, *Tensor, bool) error { return nil }
func (o gapOp) params() []*Param                    { return nil }
func (o gapOp) forward(b Backend, in []*Tensor, out *Tensor, _ bool) {
	b.GlobalAvgPool(in[0], out)
}
func (o gapOp) backward(b Backend, _ []*Tensor, _, dout *Tensor, din []*Tensor) {
	if din[0] != nil {
		b.GlobalAvgPoolBackward(dout, din[0])
	}
}

// upsampleOp doubles height and width.
type upsampleOp struct {
	c        int
	bilinear bool
}

// Upsample2x adds a fixed 2x upsampling, nearest neighbour or bilinear with
// half-pixel centres (PyTorch's Upsample(scale_factor=2, mode="nearest")
// or mode="bilinear", align_corners=False): (N,H,W,C) to (N,2H,2W,C).
func (g *Graph) Upsample2x(name string, x *Node, bilinear bool) *Node {
	return g.add(name, upsampleOp{x.c, bilinear}, x)
}

func (o upsampleOp) channels([]int) int                  { return o.c }
func (o upsampleOp) size(h, w int) (int, int)            { return 2 * h, 2 * w }
func (o upsampleOp) plan([]*Tensor, *Tensor, bool) error { return nil }
func (o upsampleOp) params() []*Param                    { return nil }
func (o upsampleOp) forward(b Backend, in []*Tensor, out *Tensor, _ bool) {
	b.Upsample2x(o.bilinear, in[0], out)
}
func (o upsampleOp) backward(b Backend, _ []*Tensor, _, dout *Tensor, din []*Tensor) {
	if din[0] != nil {
		b.Upsample2xBackward(o.bilinear, dout, din[0])
	}
}
