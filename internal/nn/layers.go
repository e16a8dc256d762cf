package nn

// batchNormOp normalizes each channel, matching PyTorch's BatchNorm2d
// (momentum 0.1, eps 1e-5; running variance updated with the unbiased
// batch variance). In training it uses the batch's statistics; otherwise
// the running ones.
type batchNormOp struct {
	c               int
	gamma, beta     *Param
	runMean, runVar *Param
	mean, variance  []float32 // batch statistics of the last training forward
	eps, momentum   float32
}

// BatchNorm adds batch normalization of x (N,H,W,C); the output has x's shape.
func (g *Graph) BatchNorm(name string, x *Node) *Node {
	o := &batchNormOp{c: x.c, eps: 1e-5, momentum: 0.1,
		gamma: newParam(name+".weight", true, x.c), beta: newParam(name+".bias", true, x.c),
		runMean: newParam(name+".running_mean", false, x.c),
		runVar:  newParam(name+".running_var", false, x.c),
		mean:    make([]float32, x.c), variance: make([]float32, x.c)}
	for i := range o.gamma.Data {
		o.gamma.Data[i], o.runVar.Data[i] = 1, 1
	}
	return g.add(name, o, x)
}

func (o *batchNormOp) channels([]int) int                  { return o.c }
func (o *batchNormOp) size(h, w int) (int, int)            { return h, w }
func (o *batchNormOp) plan([]*Tensor, *Tensor, bool) error { return nil }
func (o *batchNormOp) params() []*Param {
	return []*Param{o.gamma, o.beta, o.runMean, o.runVar}
}

func (o *batchNormOp) forward(b Backend, in []*Tensor, out *Tensor, train bool) {
	x := in[0]
	if !train {
		b.BatchNormInfer(x, o.gamma.Data, o.beta.Data, o.runMean.Data, o.runVar.Data, o.eps, out)
		return
	}
	b.BatchNormTrain(x, o.gamma.Data, o.beta.Data, o.eps, out, o.mean, o.variance)
	m := float32(x.N * x.H * x.W)
	unbias := m / max(m-1, 1)
	for c := range o.c {
		o.runMean.Data[c] = (1-o.momentum)*o.runMean.Data[c] + o.momentum*o.mean[c]
		o.runVar.Data[c] = (1-o.momentum)*o.runVar.Data[c] + o.momentum*o.variance[c]*unbias
	}
}

func (o *batchNormOp) backward(b Backend, in []*Tensor, _, dout *Tensor, din []*Tensor) {
	b.BatchNormBackward(in[0], dout, o.gamma.Data, o.mean, o.variance, o.eps, grad(din[0]),
		o.gamma.Grad, o.beta.Grad)
}

// reluOp is max(x, 0).
type reluOp struct{ c int }

// ReLU adds max(x, 0) elementwise.
func (g *Graph) ReLU(name string, x *Node) *Node { return g.add(name, reluOp{x.c}, x) }

func (o reluOp) channels([]int) int                  { return o.c }
func (o reluOp) size(h, w int) (int, int)            { return h, w }
func (o reluOp) plan([]*Tensor, *Tensor, bool) error { return nil }
func (o reluOp) params() []*Param                    { return nil }
func (o reluOp) forward(b Backend, in []*Tensor, out *Tensor, _ bool) {
	b.ReLU(in[0].Data, out.Data)
}

// backward: dx += dout where out > 0 (the gradient at 0 is taken as 0).
func (o reluOp) backward(b Backend, _ []*Tensor, out, dout *Tensor, din []*Tensor) {
	if din[0] != nil {
		b.ReLUBackward(out.Data, dout.Data, din[0].Data)
	}
}

// concatOp joins two tensors along channels.
type concatOp struct{ ca int }

// Concat adds the channel concatenation of a (N,H,W,Ca) and b (N,H,W,Cb),
// giving (N,H,W,Ca+Cb); a's channels come first, as torch.cat([a, b], 1).
func (g *Graph) Concat(name string, a, b *Node) *Node {
	return g.add(name, concatOp{a.c}, a, b)
}

func (o concatOp) channels(in []int) int               { return in[0] + in[1] }
func (o concatOp) size(h, w int) (int, int)            { return h, w }
func (o concatOp) plan([]*Tensor, *Tensor, bool) error { return nil }
func (o concatOp) params() []*Param                    { return nil }
func (o concatOp) forward(b Backend, in []*Tensor, out *Tensor, _ bool) {
	b.Concat(in[0], in[1], out)
}
func (o concatOp) backward(b Backend, _ []*Tensor, _, dout *Tensor, din []*Tensor) {
	b.ConcatBackward(dout, grad(din[0]), grad(din[1]), o.ca)
}
