package nn

import (
	"fmt"
	"sort"
)

// ConvDesc describes a 2-D convolution over NHWC tensors. Weights are stored
// (KH,KW,C/Groups,OC): for output channel o of group g = o/(OC/Groups) the
// kernel reads input channels g*C/Groups to (g+1)*C/Groups-1. It matches
// PyTorch's Conv2d with the same stride, padding, dilation and groups
// (PyTorch's dilation d is spelled the same here: 1 means no gaps).
type ConvDesc struct {
	KH, KW     int
	StrideH    int
	StrideW    int
	PadH, PadW int
	DilH, DilW int
	Groups     int
	InC, OutC  int
	InH, InW   int
	OutH, OutW int
	N          int
	WithBias   bool
	// ReLU applies max(·, 0) to the output in the same pass (inference
	// only: such a convolution has no backward).
	ReLU bool
}

// OutSize returns the output height and width of a convolution over an
// h×w input: (h + 2*pad - dil*(k-1) - 1)/stride + 1.
func (d ConvDesc) OutSize(h, w int) (int, int) {
	oh := (h+2*d.PadH-d.DilH*(d.KH-1)-1)/d.StrideH + 1
	ow := (w+2*d.PadW-d.DilW*(d.KW-1)-1)/d.StrideW + 1
	return oh, ow
}

// Backend performs the engine's arithmetic. Methods that produce gradients
// add into their destination (dx += ...), so that a tensor consumed by
// several layers collects the sum of its gradients; methods that produce
// forward outputs overwrite theirs.
type Backend interface {
	// Name is the backend's name as given to --backend.
	Name() string

	// Conv computes y = conv(x, w) + bias. x is (N,InH,InW,InC), w is
	// (KH,KW,InC/Groups,OutC), bias is (OutC) or nil, y is (N,OutH,OutW,OutC).
	Conv(d ConvDesc, x, w, bias, y []float32)
	// ConvBackwardData adds the gradient with respect to x to dx.
	ConvBackwardData(d ConvDesc, dy, w, dx []float32)
	// ConvBackwardWeights adds the gradients with respect to w and bias to dw
	// and db (db may be nil).
	ConvBackwardWeights(d ConvDesc, x, dy, dw, db []float32)

	// ConvTranspose2x2 computes the 2x2, stride-2 transposed convolution
	// y[n,2i+a,2j+b,o] = bias[o] + sum_c x[n,i,j,c]*w[c,a,b,o]. x is (N,H,W,C),
	// w is (C,2,2,O), y is (N,2H,2W,O). It matches PyTorch's ConvTranspose2d
	// with kernel_size=2, stride=2 (whose weight is (C,O,2,2)).
	ConvTranspose2x2(x *Tensor, w, bias []float32, y *Tensor)
	// ConvTranspose2x2Backward adds the gradients with respect to x, w and
	// bias; dx may be nil when x needs no gradient.
	ConvTranspose2x2Backward(x *Tensor, w []float32, dy *Tensor, dx, dw, db []float32)

	// BatchNormTrain normalizes x per channel over (N,H,W) with the batch's
	// mean and biased variance, y = gamma*(x-mean)/sqrt(var+eps) + beta,
	// and stores them in mean and variance (length C).
	BatchNormTrain(x *Tensor, gamma, beta []float32, eps float32, y *Tensor,
		mean, variance []float32)
	// BatchNormInfer normalizes x with given running statistics.
	BatchNormInfer(x *Tensor, gamma, beta, mean, variance []float32, eps float32, y *Tensor)
	// BatchNormBackward adds the gradients with respect to x, gamma and beta,
	// given the mean and variance that BatchNormTrain stored.
	BatchNormBackward(x, dy *Tensor, gamma, mean, variance []float32, eps float32,
		dx, dgamma, dbeta []float32)

	// ReLU computes y = max(x, 0) elementwise.
	ReLU(x, y []float32)
	// ReLUBackward adds dy where y > 0 to dx.
	ReLUBackward(y, dy, dx []float32)

	// MaxPool takes the maximum of each k×k window with stride s over x
	// (N,H,W,C) padded by p on every side with -inf, giving y
	// (N,(H+2p-k)/s+1,(W+2p-k)/s+1,C). arg records, for each output element,
	// the index in x of the maximum (the first in row-major window order on
	// ties, as PyTorch's MaxPool2d).
	MaxPool(k, s, p int, x, y *Tensor, arg []int32)
	// MaxPoolBackward adds dy to dx at the recorded positions.
	MaxPoolBackward(dy []float32, arg []int32, dx []float32)

	// Add computes y = a + b elementwise.
	Add(a, b, y []float32)
	// Mul computes y = a·b where b is a's shape, (N,1,1,C) or (N,H,W,1),
	// broadcast over the missing axes.
	Mul(a, b, y *Tensor)
	// MulBackward adds dy·b to da and the sum over the broadcast axes of
	// dy·a to db (either may be nil).
	MulBackward(a, b, dy *Tensor, da, db []float32)
	// Sigmoid computes y = 1/(1+exp(-x)) elementwise.
	Sigmoid(x, y []float32)
	// SigmoidBackward adds dy·y·(1-y) to dx.
	SigmoidBackward(y, dy, dx []float32)
	// GlobalAvgPool averages x (N,H,W,C) over H and W into y (N,1,1,C).
	GlobalAvgPool(x, y *Tensor)
	// GlobalAvgPoolBackward adds dy/(H·W) to every pixel of dx.
	GlobalAvgPoolBackward(dy *Tensor, dx *Tensor)
	// Upsample2x doubles the height and width of x (N,H,W,C) into y
	// (N,2H,2W,C), by nearest neighbour or bilinear interpolation with
	// half-pixel centres (PyTorch's Upsample(scale_factor=2) with
	// align_corners=False).
	Upsample2x(bilinear bool, x, y *Tensor)
	// Upsample2xBackward adds the adjoint of Upsample2x applied to dy to dx.
	Upsample2xBackward(bilinear bool, dy, dx *Tensor)

	// Concat writes a (N,H,W,Ca) and b (N,H,W,Cb) side by side into
	// y (N,H,W,Ca+Cb).
	Concat(a, b, y *Tensor)
	// ConcatBackward adds the two channel ranges of dy to da and db (either
	// may be nil).
	ConcatBackward(dy *Tensor, da, db []float32, ca int)
}

var backends = map[string]func() (Backend, error){
	"ref": func() (Backend, error) { return NewRef(0), nil },
}

// registerBackend makes a backend available to NewBackend. Backends built
// behind build tags call it from init.
func registerBackend(name string, open func() (Backend, error)) { backends[name] = open }

// Backends returns the names of the backends built into this binary.
func Backends() []string {
	names := make([]string, 0, len(backends))
	for n := range backends {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// DefaultBackend returns the name of the fastest backend built in.
func DefaultBackend() string {
	if _, ok := backends["dnnl"]; ok {
		return "dnnl"
	}
	return "ref"
}

// NewBackend opens the named backend.
func NewBackend(name string) (Backend, error) {
	open, ok := backends[name]
	if !ok {
		return nil, fmt.Errorf("nn: backend %q is not built into this binary (have %v)",
			name, Backends())
	}
	return open()
}
