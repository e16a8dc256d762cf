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
// version 2.x, the CPU kernels PyTorch uses). Convolutions, transposed
// convolutions and batch normalization run as oneDNN primitives; the
// memory-bound rest (ReLU, pooling, concatenation) runs on the embedded
// reference backend's goroutines.
//
// Activations stay NHWC ("nhwc" in oneDNN's terms) throughout, which
// oneDNN's AVX-512 and AVX2 kernels read directly; weights are reordered
// into the layout each primitive chose. Primitives are created once per
// layer shape and cached. oneDNN's OpenMP runtime keeps a thread team per
// OS thread, so every primitive runs from one goroutine locked to its OS
// thread.
type DNNL struct {
	*Ref
	ctx   *C.tsg_ctx
	calls chan func()
	convs map[ConvDesc]*dnnlConv
	bns   map[[4]int]*dnnlBN
	up    map[ConvDesc]*dnnlConv
}

// dnnlConv holds the three primitives of one convolution shape.
type dnnlConv struct{ fwd, bwdData, bwdWeights *C.tsg_exec }

// dnnlBN holds the three primitives of one batch-norm shape.
type dnnlBN struct{ train, infer, bwd *C.tsg_exec }

// NewDNNL starts the oneDNN backend.
func NewDNNL() (*DNNL, error) {
	d := &DNNL{Ref: NewRef(0), calls: make(chan func()), convs: map[ConvDesc]*dnnlConv{},
		bns: map[[4]int]*dnnlBN{}, up: map[ConvDesc]*dnnlConv{}}
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
	for f := range d.calls {
		f()
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

// run executes e with the caller buffers in argument order.
func (d *DNNL) run(e *C.tsg_exec, bufs ...[]float32) {
	var p [10]unsafe.Pointer
	for i, b := range bufs {
		p[i] = ptr(b)
	}
	var s C.int
	d.do(func() {
		s = C.tsg_run(d.ctx, e, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9])
	})
	runtime.KeepAlive(bufs)
	if s != 0 {
		panic(fmt.Sprintf("nn: dnnl: executing a primitive: %s", C.GoString(C.tsg_status(s))))
	}
}

// conv returns the cached primitives for d, creating them on first use.
func (d *DNNL) conv(cd ConvDesc) *dnnlConv {
	if c, ok := d.convs[cd]; ok {
		return c
	}
	c := &dnnlConv{fwd: newExec(), bwdData: newExec(), bwdWeights: newExec()}
	bias := 0
	if cd.WithBias {
		bias = 1
	}
	var s C.int
	d.do(func() {
		s = C.tsg_conv(d.ctx, c.fwd, c.bwdData, c.bwdWeights, C.int(cd.N), C.int(cd.InC),
			C.int(cd.InH), C.int(cd.InW), C.int(cd.OutC), C.int(cd.OutH), C.int(cd.OutW),
			C.int(cd.Groups), C.int(cd.KH), C.int(cd.KW), C.int(cd.StrideH), C.int(cd.StrideW),
			C.int(cd.PadH), C.int(cd.PadW), C.int(cd.DilH), C.int(cd.DilW), C.int(bias))
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
// (C,2,2,O) is exactly a (1,1,C,4O) kernel.
func upDesc(x *Tensor, o int) ConvDesc {
	return ConvDesc{KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1,
		InC: x.C, OutC: 4 * o, InH: x.H, InW: x.W, OutH: x.H, OutW: x.W, N: x.N}
}

// ConvTranspose2x2 implements Backend.
func (d *DNNL) ConvTranspose2x2(x *Tensor, w, bias []float32, y *Tensor) {
	cd := upDesc(x, y.C)
	z := d.buf(0, x.N*x.H*x.W*4*y.C)
	d.Conv(cd, x.Data, w, nil, z)
	d.scatter2x2(x, z, bias, y)
}

// ConvTranspose2x2Backward implements Backend.
func (d *DNNL) ConvTranspose2x2Backward(x *Tensor, w []float32, dy *Tensor, dx, dw, db []float32) {
	cd := upDesc(x, dy.C)
	dz := d.buf(0, x.N*x.H*x.W*4*dy.C)
	d.gather2x2(x, dy, dz, db)
	if dx != nil {
		d.ConvBackwardData(cd, dz, w, dx)
	}
	d.ConvBackwardWeights(cd, x.Data, dz, dw, nil)
}

// bn returns the cached batch-norm primitives for x's shape.
func (d *DNNL) bn(x *Tensor, eps float32) *dnnlBN {
	k := [4]int{x.N, x.H, x.W, x.C}
	if b, ok := d.bns[k]; ok {
		return b
	}
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
