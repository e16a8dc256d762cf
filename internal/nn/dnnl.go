//go:build dnnl

package nn

/*
#cgo LDFLAGS: -ldnnl
#include <stdlib.h>
#include "dnnl.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

func init() { registerBackend("dnnl", func() (Backend, error) { return NewDNNL() }) }

// DNNL is the oneDNN backend (Intel's oneAPI Deep Neural Network Library,
// version 2.x, the CPU kernels PyTorch uses). Every layer runs as oneDNN
// primitives: convolutions, transposed convolutions (a 1x1 convolution to
// the 2x2 cells, then a strided copy), batch normalization, ReLU and
// sigmoid, pooling, elementwise and broadcast arithmetic, concatenation and
// resampling. The embedded reference backend lends its scratch buffers.
//
// Activations stay NHWC ("nhwc" in oneDNN's terms) throughout, which
// oneDNN's AVX-512 and AVX2 kernels read directly; weights are reordered
// into the layout each primitive chose. Primitives are created once per
// layer shape and cached. oneDNN's OpenMP runtime keeps a thread team per
// OS thread, so every primitive runs from one goroutine locked to its OS
// thread.
type DNNL struct {
	*Ref
	ctx    *C.tsg_ctx
	calls  chan func()
	execs  chan *C.tsg_exec // primitives to run on the locked thread
	done   chan C.int       // their statuses
	args   [10]unsafe.Pointer
	convs  map[ConvDesc]*dnnlConv
	bns    map[[4]int]*dnnlBN
	pairs  map[opKey]*dnnlPair   // forward and backward of the other layers
	execs1 map[opKey]*C.tsg_exec // single primitives
	pools  map[*int32]*dnnlPair  // max pooling, per layer: its workspace is the layer's
}

// opKey identifies the primitives of one layer shape; a struct rather than
// a formatted string so that looking one up allocates nothing.
type opKey struct {
	kind   string
	a, b   [4]int
	f1, f2 bool
}

// dnnlPair is a forward primitive and its backward.
type dnnlPair struct{ fwd, bwd, bwd2 *C.tsg_exec }

// dnnlConv holds the three primitives of one convolution shape.
type dnnlConv struct{ fwd, bwdData, bwdWeights *C.tsg_exec }

// dnnlBN holds the three primitives of one batch-norm shape.
type dnnlBN struct{ train, infer, bwd *C.tsg_exec }

// NewDNNL starts the oneDNN backend.
func NewDNNL() (*DNNL, error) {
	d := &DNNL{Ref: NewRef(0), calls: make(chan func()), execs: make(chan *C.tsg_exec),
		done: make(chan C.int), convs: map[ConvDesc]*dnnlConv{},
		bns: map[[4]int]*dnnlBN{}, pairs: map[opKey]*dnnlPair{},
		execs1: map[opKey]*C.tsg_exec{}, pools: map[*int32]*dnnlPair{}}
	d.ctx = (*C.tsg_ctx)(C.calloc(1, C.sizeof_tsg_ctx))
	go d.loop()
	var err error
	d.do(func() {
		if s := C.tsg_init(d.ctx); s != 0 {
			err = fmt.Errorf("nn: dnnl: creating the CPU engine: %s", C.GoString(C.tsg_status(s)))
		}
	})
	return d, err
}

// Name returns "dnnl".
func (d *DNNL) Name() string { return "dnnl" }

func (d *DNNL) loop() {
	runtime.LockOSThread()
	for {
		select {
		case f := <-d.calls:
			f()
		case e := <-d.execs:
			p := &d.args
			d.done <- C.tsg_run(d.ctx, e, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9])
		}
	}
}

// do runs f on the backend's locked OS thread and waits for it.
func (d *DNNL) do(f func()) {
	done := make(chan struct{})
	d.calls <- func() { f(); close(done) }
	<-done
}

func newExec() *C.tsg_exec { return (*C.tsg_exec)(C.calloc(1, C.sizeof_tsg_exec)) }

func ptr(s []float32) unsafe.Pointer {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Pointer(&s[0])
}

// run executes e with the caller buffers in argument order, on the locked
// thread, without allocating.
func (d *DNNL) run(e *C.tsg_exec, bufs ...[]float32) {
	for i := range d.args {
		d.args[i] = nil
		if i < len(bufs) {
			d.args[i] = ptr(bufs[i])
		}
	}
	// d.args keeps the buffers reachable until the primitive returns.
	d.execs <- e
	s := <-d.done
	if s != 0 {
		panic(fmt.Sprintf("nn: dnnl: executing a primitive: %s", C.GoString(C.tsg_status(s))))
	}
}

// conv returns the cached primitives for d, creating them on first use.
func (d *DNNL) conv(cd ConvDesc) *dnnlConv {
	if c, ok := d.convs[cd]; ok {
		return c
	}
	return d.newConv(cd)
}

// newConv creates the primitives of a convolution shape. It stands apart
// from conv so that the lookup of a cached one allocates nothing.
func (d *DNNL) newConv(cd ConvDesc) *dnnlConv {
	c := &dnnlConv{fwd: newExec(), bwdData: newExec(), bwdWeights: newExec()}
	bias, relu := 0, 0
	if cd.WithBias {
		bias = 1
	}
	if cd.ReLU {
		relu = 1
	}
	var s C.int
	d.do(func() {
		s = C.tsg_conv(d.ctx, c.fwd, c.bwdData, c.bwdWeights, C.int(cd.N), C.int(cd.InC),
			C.int(cd.InH), C.int(cd.InW), C.int(cd.OutC), C.int(cd.OutH), C.int(cd.OutW),
			C.int(cd.Groups), C.int(cd.KH), C.int(cd.KW), C.int(cd.StrideH), C.int(cd.StrideW),
			C.int(cd.PadH), C.int(cd.PadW), C.int(cd.DilH), C.int(cd.DilW), C.int(bias),
			C.int(relu))
	})
	if s != 0 {
		panic(fmt.Sprintf("nn: dnnl: convolution %+v: %s", cd, C.GoString(C.tsg_status(s))))
	}
	d.convs[cd] = c
	return c
}

// Conv implements Backend.
func (d *DNNL) Conv(cd ConvDesc, x, w, bias, y []float32) {
	c := d.conv(cd)
	if cd.WithBias {
		d.run(c.fwd, x, w, bias, y)
	} else {
		d.run(c.fwd, x, w, y)
	}
}

// ConvBackwardData implements Backend.
func (d *DNNL) ConvBackwardData(cd ConvDesc, dy, w, dx []float32) {
	d.run(d.conv(cd).bwdData, dy, w, dx)
}

// ConvBackwardWeights implements Backend.
func (d *DNNL) ConvBackwardWeights(cd ConvDesc, x, dy, dw, db []float32) {
	if cd.WithBias {
		d.run(d.conv(cd).bwdWeights, x, dy, dw, db)
	} else {
		d.run(d.conv(cd).bwdWeights, x, dy, dw)
	}
}

// upDesc is the 1x1 convolution to 4·O channels that computes the 2x2
// transposed convolution before its cells are scattered: the weight
// (C,2,2,O) is exactly a (1,1,C,4O) kernel, and the bias repeats four times.
func upDesc(x *Tensor, o int) ConvDesc {
	return ConvDesc{KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1,
		InC: x.C, OutC: 4 * o, InH: x.H, InW: x.W, OutH: x.H, OutW: x.W, N: x.N, WithBias: true}
}

// cells returns the strided copies between the 2x2 cells z and y.
func (d *DNNL) cells(x *Tensor, o int) *dnnlPair {
	k := opKey{kind: "cells", a: [4]int{x.N, x.H, x.W, o}}
	if p, ok := d.pairs[k]; ok {
		return p
	}
	p := &dnnlPair{fwd: newExec(), bwd: newExec()}
	d.create("transposed convolution cells", func() C.int {
		return C.tsg_cells2x2(d.ctx, p.fwd, p.bwd, C.int(x.N), C.int(x.H), C.int(x.W), C.int(o))
	})
	d.pairs[k] = p
	return p
}

// create runs a primitive constructor on the locked thread and panics with
// what names the layer when oneDNN refuses it.
func (d *DNNL) create(what string, f func() C.int) {
	var s C.int
	d.do(func() { s = f() })
	if s != 0 {
		panic(fmt.Sprintf("nn: dnnl: %s: %s", what, C.GoString(C.tsg_status(s))))
	}
}

// ConvTranspose2x2 implements Backend: z = conv1x1(x) to the 2x2 cells of
// every pixel, then a strided copy of the cells into y.
func (d *DNNL) ConvTranspose2x2(x *Tensor, w, bias []float32, y *Tensor) {
	o := y.C
	cd := upDesc(x, o)
	z := d.buf(0, x.N*x.H*x.W*4*o)
	b4 := d.part(1, 4*o)
	for i := range 4 {
		copy(b4[i*o:], bias)
	}
	d.Conv(cd, x.Data, w, b4, z)
	d.run(d.cells(x, o).fwd, z, y.Data)
}

// ConvTranspose2x2Backward implements Backend.
func (d *DNNL) ConvTranspose2x2Backward(x *Tensor, w []float32, dy *Tensor, dx, dw, db []float32) {
	o := dy.C
	cd := upDesc(x, o)
	dz := d.buf(0, x.N*x.H*x.W*4*o)
	d.run(d.cells(x, o).bwd, dy.Data, dz)
	if dx != nil {
		d.ConvBackwardData(cd, dz, w, dx)
	}
	db4 := d.part(1, 4*o)
	d.ConvBackwardWeights(cd, x.Data, dz, dw, db4)
	for i := range 4 {
		for c, v := range db4[i*o : (i+1)*o] {
			db[c] += v
		}
	}
}

// bn returns the cached batch-norm primitives for x's shape.
func (d *DNNL) bn(x *Tensor, eps float32) *dnnlBN {
	k := [4]int{x.N, x.H, x.W, x.C}
	if b, ok := d.bns[k]; ok {
		return b
	}
	return d.newBN(x, eps)
}

// newBN creates the batch-norm primitives of a shape.
func (d *DNNL) newBN(x *Tensor, eps float32) *dnnlBN {
	k := [4]int{x.N, x.H, x.W, x.C}
	b := &dnnlBN{train: newExec(), infer: newExec(), bwd: newExec()}
	var s C.int
	d.do(func() {
		s = C.tsg_bnorm(d.ctx, b.train, b.infer, b.bwd, C.int(x.N), C.int(x.C), C.int(x.H),
			C.int(x.W), C.float(eps))
	})
	if s != 0 {
		panic(fmt.Sprintf("nn: dnnl: batch norm %s: %s", x.Shape(), C.GoString(C.tsg_status(s))))
	}
	d.bns[k] = b
	return b
}

// BatchNormTrain implements Backend.
func (d *DNNL) BatchNormTrain(x *Tensor, gamma, beta []float32, eps float32, y *Tensor,
	mean, variance []float32) {
	d.run(d.bn(x, eps).train, x.Data, gamma, beta, y.Data, mean, variance)
}

// BatchNormInfer implements Backend.
func (d *DNNL) BatchNormInfer(x *Tensor, gamma, beta, mean, variance []float32, eps float32,
	y *Tensor) {
	d.run(d.bn(x, eps).infer, x.Data, gamma, beta, mean, variance, y.Data)
}

// BatchNormBackward implements Backend.
func (d *DNNL) BatchNormBackward(x, dy *Tensor, gamma, mean, variance []float32, eps float32,
	dx, dgamma, dbeta []float32) {
	if dx == nil {
		d.Ref.BatchNormBackward(x, dy, gamma, mean, variance, eps, nil, dgamma, dbeta)
		return
	}
	// oneDNN 2.6 asks for the shift although the gradient does not depend
	// on it; gamma stands in, read and unused.
	d.run(d.bn(x, eps).bwd, x.Data, dy.Data, gamma, gamma, mean, variance, dx, dgamma, dbeta)
}

// shape4 returns t's shape as a key.
func shape4(t *Tensor) [4]int { return [4]int{t.N, t.H, t.W, t.C} }

// dims4 returns t's logical dims in oneDNN's (N,C,H,W) order.
func dims4(t *Tensor) [4]C.int { return [4]C.int{C.int(t.N), C.int(t.C), C.int(t.H), C.int(t.W)} }

// eltwise returns the ReLU or sigmoid primitives over n elements.
func (d *DNNL) eltwise(n int, logistic bool) *dnnlPair {
	k := opKey{kind: "eltwise", a: [4]int{n}, f1: logistic}
	if p, ok := d.pairs[k]; ok {
		return p
	}
	p := &dnnlPair{fwd: newExec(), bwd: newExec()}
	l := 0
	if logistic {
		l = 1
	}
	d.create("eltwise", func() C.int { return C.tsg_eltwise(d.ctx, p.fwd, p.bwd, C.int(n), C.int(l)) })
	d.pairs[k] = p
	return p
}

// ReLU implements Backend.
func (d *DNNL) ReLU(x, y []float32) { d.run(d.eltwise(len(x), false).fwd, x, y) }

// ReLUBackward implements Backend.
func (d *DNNL) ReLUBackward(y, dy, dx []float32) { d.run(d.eltwise(len(y), false).bwd, y, dy, dx) }

// Sigmoid implements Backend.
func (d *DNNL) Sigmoid(x, y []float32) { d.run(d.eltwise(len(x), true).fwd, x, y) }

// SigmoidBackward implements Backend.
func (d *DNNL) SigmoidBackward(y, dy, dx []float32) {
	d.run(d.eltwise(len(y), true).bwd, y, dy, dx)
}

// binary returns the primitive y = a+b or a·b (b broadcast), adding to y
// when add is set.
func (d *DNNL) binary(mul bool, a, b *Tensor, add bool) *C.tsg_exec {
	k := opKey{kind: "binary", a: shape4(a), b: shape4(b), f1: mul, f2: add}
	if e, ok := d.execs1[k]; ok {
		return e
	}
	return d.newBinary(k, mul, a, b, add)
}

func (d *DNNL) newBinary(k opKey, mul bool, a, b *Tensor, add bool) *C.tsg_exec {
	da, db := dims4(a), dims4(b)
	e := newExec()
	m, ad := 0, 0
	if mul {
		m = 1
	}
	if add {
		ad = 1
	}
	d.create("binary "+a.Shape()+" "+b.Shape(), func() C.int {
		return C.tsg_binary(d.ctx, e, C.int(m), &da[0], &db[0], C.int(ad))
	})
	d.execs1[k] = e
	return e
}

// flat views a slice as an (1,1,1,n) tensor.
func flat(s []float32) Tensor { return Tensor{N: 1, H: 1, W: 1, C: len(s), Data: s} }

// Add implements Backend.
func (d *DNNL) Add(a, b, y []float32) {
	ta, tb := flat(a), flat(b)
	d.run(d.binary(false, &ta, &tb, false), a, b, y)
}

// Mul implements Backend.
func (d *DNNL) Mul(a, b, y *Tensor) { d.run(d.binary(true, a, b, false), a.Data, b.Data, y.Data) }

// MulBackward implements Backend: da += dy·b; db += the sum of dy·a over
// b's broadcast axes.
func (d *DNNL) MulBackward(a, b, dy *Tensor, da, db []float32) {
	if da != nil {
		d.run(d.binary(true, dy, b, true), dy.Data, b.Data, da)
	}
	if db == nil {
		return
	}
	if b.Len() == a.Len() {
		d.run(d.binary(true, dy, a, true), dy.Data, a.Data, db)
		return
	}
	tmp := d.buf(0, a.Len())
	d.run(d.binary(true, dy, a, false), dy.Data, a.Data, tmp)
	k := opKey{kind: "reduce", a: shape4(a), b: shape4(b)}
	e, ok := d.execs1[k]
	if !ok {
		e = d.newReduce(k, a, b)
	}
	d.run(e, tmp, db)
}

func (d *DNNL) newReduce(k opKey, a, b *Tensor) *C.tsg_exec {
	src, dst := dims4(a), dims4(b)
	e := newExec()
	d.create("reduction", func() C.int { return C.tsg_reduce_sum(d.ctx, e, &src[0], &dst[0]) })
	d.execs1[k] = e
	return e
}

// pool creates pooling primitives for x → y.
func (d *DNNL) pool(avg bool, k, s, p int, x, y *Tensor) *dnnlPair {
	pr := &dnnlPair{fwd: newExec(), bwd: newExec()}
	a := 0
	if avg {
		a = 1
	}
	kh, kw := k, k
	if avg {
		kh, kw = x.H, x.W
	}
	d.create(fmt.Sprintf("pooling %s", x.Shape()), func() C.int {
		return C.tsg_pool(d.ctx, pr.fwd, pr.bwd, C.int(a), C.int(x.N), C.int(x.C), C.int(x.H),
			C.int(x.W), C.int(y.H), C.int(y.W), C.int(kh), C.int(kw), C.int(s), C.int(p))
	})
	return pr
}

// MaxPool implements Backend. oneDNN records the positions of the maxima
// in a workspace of its own, which arg identifies: each layer's arg is its
// own, so each layer gets its own primitives and workspace.
func (d *DNNL) MaxPool(k, s, p int, x, y *Tensor, arg []int32) {
	pr, ok := d.pools[&arg[0]]
	if !ok {
		pr = d.pool(false, k, s, p, x, y)
		d.pools[&arg[0]] = pr
	}
	d.run(pr.fwd, x.Data, y.Data)
}

// MaxPoolBackward implements Backend.
func (d *DNNL) MaxPoolBackward(dy []float32, arg []int32, dx []float32) {
	d.run(d.pools[&arg[0]].bwd, dy, dx)
}

// gap returns global average pooling over x's shape.
func (d *DNNL) gap(x *Tensor) *dnnlPair {
	k := opKey{kind: "gap", a: shape4(x)}
	if p, ok := d.pairs[k]; ok {
		return p
	}
	p := d.pool(true, 0, 1, 0, x, &Tensor{N: x.N, H: 1, W: 1, C: x.C})
	d.pairs[k] = p
	return p
}

// GlobalAvgPool implements Backend.
func (d *DNNL) GlobalAvgPool(x, y *Tensor) { d.run(d.gap(x).fwd, x.Data, y.Data) }

// GlobalAvgPoolBackward implements Backend.
func (d *DNNL) GlobalAvgPoolBackward(dy, dx *Tensor) { d.run(d.gap(dx).bwd, dy.Data, dx.Data) }

// concat returns the channel concatenation of (N,H,W,ca) and (N,H,W,cb).
func (d *DNNL) concat(n, h, w, ca, cb int) *dnnlPair {
	k := opKey{kind: "concat", a: [4]int{n, h, w, ca}, b: [4]int{cb}}
	if p, ok := d.pairs[k]; ok {
		return p
	}
	p := &dnnlPair{fwd: newExec(), bwd: newExec(), bwd2: newExec()}
	d.create("concat", func() C.int {
		return C.tsg_concat(d.ctx, p.fwd, p.bwd, p.bwd2, C.int(n), C.int(h), C.int(w),
			C.int(ca), C.int(cb))
	})
	d.pairs[k] = p
	return p
}

// Concat implements Backend.
func (d *DNNL) Concat(a, b, y *Tensor) {
	d.run(d.concat(a.N, a.H, a.W, a.C, b.C).fwd, a.Data, b.Data, y.Data)
}

// ConcatBackward implements Backend.
func (d *DNNL) ConcatBackward(dy *Tensor, da, db []float32, ca int) {
	p := d.concat(dy.N, dy.H, dy.W, ca, dy.C-ca)
	if da != nil {
		d.run(p.bwd, dy.Data, da)
	}
	if db != nil {
		d.run(p.bwd2, dy.Data, db)
	}
}

// resample returns 2x upsampling of x's shape.
func (d *DNNL) resample(bilinear bool, x *Tensor) *dnnlPair {
	k := opKey{kind: "resample", a: shape4(x), f1: bilinear}
	if p, ok := d.pairs[k]; ok {
		return p
	}
	p := &dnnlPair{fwd: newExec(), bwd: newExec()}
	b := 0
	if bilinear {
		b = 1
	}
	d.create("resampling", func() C.int {
		return C.tsg_resample(d.ctx, p.fwd, p.bwd, C.int(b), C.int(x.N), C.int(x.C), C.int(x.H),
			C.int(x.W))
	})
	d.pairs[k] = p
	return p
}

// Upsample2x implements Backend.
func (d *DNNL) Upsample2x(bilinear bool, x, y *Tensor) {
	d.run(d.resample(bilinear, x).fwd, x.Data, y.Data)
}

// Upsample2xBackward implements Backend.
func (d *DNNL) Upsample2xBackward(bilinear bool, dy, dx *Tensor) {
	d.run(d.resample(bilinear, dx).bwd, dy.Data, dx.Data)
}
