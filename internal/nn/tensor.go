// Package nn is tumorseg's neural-network engine: float32 tensors, a static
// network graph planned once per input shape, forward and backward passes,
// parameter storage and the Adam optimizer.
//
// Tensors are logically NHWC: a (N,H,W,C) tensor stores element (n,y,x,c) at
// ((n*H+y)*W+x)*C+c. Every shape comment in this package and in the packages
// built on it uses that order.
//
// The arithmetic is done by a Backend. The pure-Go reference backend ("ref")
// is always built; faster backends plug in behind the same interface, and
// nothing above the engine depends on which one runs.
package nn

import "fmt"

// Tensor is a dense float32 tensor of shape (N,H,W,C), stored NHWC.
type Tensor struct {
	N, H, W, C int
	Data       []float32
}

// NewTensor returns a zeroed tensor of shape (n,h,w,c).
func NewTensor(n, h, w, c int) *Tensor {
	return &Tensor{N: n, H: h, W: w, C: c, Data: make([]float32, n*h*w*c)}
}

// Len returns the number of elements, N*H*W*C.
func (t *Tensor) Len() int { return t.N * t.H * t.W * t.C }

// Shape returns the shape as a string, for errors and logs.
func (t *Tensor) Shape() string { return fmt.Sprintf("(%d,%d,%d,%d)", t.N, t.H, t.W, t.C) }

// Zero sets every element to 0.
func (t *Tensor) Zero() { clear(t.Data) }

// At returns element (n,y,x,c).
func (t *Tensor) At(n, y, x, c int) float32 { return t.Data[((n*t.H+y)*t.W+x)*t.C+c] }

// Set sets element (n,y,x,c) to v.
func (t *Tensor) Set(n, y, x, c int, v float32) { t.Data[((n*t.H+y)*t.W+x)*t.C+c] = v }
