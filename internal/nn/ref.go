package nn

import (
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Ref is the pure-Go reference backend: straightforward loops spread over
// goroutines, with convolutions lowered to matrix products (im2col) on
// gonum's BLAS. It is the oracle that faster backends are tested against.
//
// Every reduction is split into a fixed number of parts summed in a fixed
// order, so results do not depend on goroutine scheduling: the same inputs
// give bit-identical outputs.
//
// A Ref keeps scratch buffers between calls and is not safe for concurrent
// use; give each graph its own.
type Ref struct {
	workers int
	blas    gonum.Implementation
	scratch [][]float32 // one per worker, grown on demand
	partial [][]float32 // one per worker, for reductions
}

// NewRef returns a reference backend using the given number of goroutines
// (0 means runtime.GOMAXPROCS).
func NewRef(workers int) *Ref {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &Ref{workers: workers, scratch: make([][]float32, workers),
		partial: make([][]float32, workers)}
}

// Name returns "ref".
func (r *Ref) Name() string { return "ref" }

// buf returns worker w's scratch buffer of n elements (contents undefined).
func (r *Ref) buf(w, n int) []float32 {
	if cap(r.scratch[w]) < n {
		r.scratch[w] = make([]float32, n)
	}
	return r.scratch[w][:n]
}

// part returns worker w's zeroed reduction buffer of n elements.
func (r *Ref) part(w, n int) []float32 {
	if cap(r.partial[w]) < n {
		r.partial[w] = make([]float32, n)
	}
	p := r.partial[w][:n]
	clear(p)
	return p
}

// parallel runs f(worker, i) for i in [0,n), item i on worker i%workers,
// each worker taking its items in increasing order.
func (r *Ref) parallel(n int, f func(worker, i int)) {
	workers := min(r.workers, n)
	if workers <= 1 {
		for i := range n {
			f(0, i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				f(w, i)
			}
		}()
	}
	wg.Wait()
}

// convChunk is a band of whole output rows of one image, the unit of work
// of the im2col convolution.
type convChunk struct{ n, y0, y1 int }

// convChunks splits the output into bands whose im2col matrix stays near
// 4 MiB, so the matrix fits in cache-friendly pieces whatever the image size.
func convChunks(d ConvDesc) []convChunk {
	k := d.KH * d.KW * (d.InC / d.Groups)
	rows := max(1, (1<<20)/max(1, k*d.OutW))
	var cs []convChunk
	for n := range d.N {
		for y := 0; y < d.OutH; y += rows {
			cs = append(cs, convChunk{n, y, min(d.OutH, y+rows)})
		}
	}
	return cs
}

// pointwise reports whether the convolution is a plain 1x1 matrix product
// that needs no im2col.
func (d ConvDesc) pointwise() bool {
	return d.KH == 1 && d.KW == 1 && d.StrideH == 1 && d.StrideW == 1 &&
		d.PadH == 0 && d.PadW == 0 && d.Groups == 1
}

// im2col writes the patches of group g for output rows [y0,y1) of image n
// into col, (rows*OutW, KH*KW*Cg), zero where the window leaves the image.
func im2col(d ConvDesc, x []float32, n, g, y0, y1 int, col []float32) {
	cg := d.InC / d.Groups
	k := d.KH * d.KW * cg
	i := 0
	for oy := y0; oy < y1; oy++ {
		for ox := range d.OutW {
			row := col[i*k : (i+1)*k]
			j := 0
			for ky := range d.KH {
				iy := oy*d.StrideH - d.PadH + ky*d.DilH
				for kx := range d.KW {
					ix := ox*d.StrideW - d.PadW + kx*d.DilW
					dst := row[j : j+cg]
					if iy < 0 || iy >= d.InH || ix < 0 || ix >= d.InW {
						clear(dst)
					} else {
						src := ((n*d.InH+iy)*d.InW+ix)*d.InC + g*cg
						copy(dst, x[src:src+cg])
					}
					j += cg
				}
			}
			i++
		}
	}
}

// col2im adds the patch gradients in col back onto dx; the inverse
// scatter of im2col.
func col2im(d ConvDesc, col []float32, n, g, y0, y1 int, dx []float32) {
	cg := d.InC / d.Groups
	k := d.KH * d.KW * cg
	i := 0
	for oy := y0; oy < y1; oy++ {
		for ox := range d.OutW {
			row := col[i*k : (i+1)*k]
			j := 0
			for ky := range d.KH {
				iy := oy*d.StrideH - d.PadH + ky*d.DilH
				for kx := range d.KW {
					ix := ox*d.StrideW - d.PadW + kx*d.DilW
					if iy >= 0 && iy < d.InH && ix >= 0 && ix < d.InW {
						dst := dx[((n*d.InH+iy)*d.InW+ix)*d.InC+g*cg:]
						for c, v := range row[j : j+cg] {
							dst[c] += v
						}
					}
					j += cg
				}
			}
			i++
		}
	}
}

// Conv implements Backend.
func (r *Ref) Conv(d ConvDesc, x, w, bias, y []float32) {
	cg, og := d.InC/d.Groups, d.OutC/d.Groups
	k := d.KH * d.KW * cg
	chunks := convChunks(d)
	r.parallel(len(chunks), func(wk, i int) {
		c := chunks[i]
		p := (c.y1 - c.y0) * d.OutW
		out := y[((c.n*d.OutH+c.y0)*d.OutW)*d.OutC:]
		for g := range d.Groups {
			var col []float32
			if d.pointwise() {
				col = x[((c.n*d.InH+c.y0)*d.InW)*d.InC:]
			} else {
				col = r.buf(wk, p*k)
				im2col(d, x, c.n, g, c.y0, c.y1, col)
			}
			r.blas.Sgemm(blas.NoTrans, blas.NoTrans, p, og, k, 1, col, k,
				w[g*og:], d.OutC, 0, out[g*og:], d.OutC)
		}
		if bias != nil {
			for j := range p {
				row := out[j*d.OutC : (j+1)*d.OutC]
				for o, b := range bias {
					row[o] += b
				}
			}
		}
		if d.ReLU {
			for j, v := range out[:p*d.OutC] {
				out[j] = max(v, 0)
			}
		}
	})
}

// ConvBackwardData implements Backend: dx += im2col^T(dy * w^T).
func (r *Ref) ConvBackwardData(d ConvDesc, dy, w, dx []float32) {
	cg, og := d.InC/d.Groups, d.OutC/d.Groups
	k := d.KH * d.KW * cg
	if d.pointwise() {
		// dx (P,C) += dy (P,OC) * w^T; rows of different images never overlap.
		r.parallel(d.N, func(_, n int) {
			p := d.OutH * d.OutW
			r.blas.Sgemm(blas.NoTrans, blas.Trans, p, k, d.OutC, 1, dy[n*p*d.OutC:], d.OutC,
				w, d.OutC, 1, dx[n*p*d.InC:], d.InC)
		})
		return
	}
	// Bands of one image overlap in dx when the kernel is taller than the
	// stride, so each worker owns whole images.
	r.parallel(d.N, func(wk, n int) {
		for _, c := range convChunks(ConvDesc{N: 1, KH: d.KH, KW: d.KW, InC: d.InC,
			Groups: d.Groups, OutH: d.OutH, OutW: d.OutW}) {
			p := (c.y1 - c.y0) * d.OutW
			col := r.buf(wk, p*k)
			g0 := dy[((n*d.OutH+c.y0)*d.OutW)*d.OutC:]
			for g := range d.Groups {
				r.blas.Sgemm(blas.NoTrans, blas.Trans, p, k, og, 1, g0[g*og:], d.OutC,
					w[g*og:], d.OutC, 0, col, k)
				col2im(d, col, n, g, c.y0, c.y1, dx)
			}
		}
	})
}

// ConvBackwardWeights implements Backend: dw += im2col(x)^T * dy and
// db += the sum of dy over (N,H,W).
func (r *Ref) ConvBackwardWeights(d ConvDesc, x, dy, dw, db []float32) {
	cg, og := d.InC/d.Groups, d.OutC/d.Groups
	k := d.KH * d.KW * cg
	chunks := convChunks(d)
	nw := min(r.workers, len(chunks))
	size := len(dw) + d.OutC
	for w := range nw {
		r.part(w, size)
	}
	r.parallel(len(chunks), func(wk, i int) {
		c := chunks[i]
		p := (c.y1 - c.y0) * d.OutW
		part := r.partial[wk][:size]
		g0 := dy[((c.n*d.OutH+c.y0)*d.OutW)*d.OutC:]
		for g := range d.Groups {
			var col []float32
			if d.pointwise() {
				col = x[((c.n*d.InH+c.y0)*d.InW)*d.InC:]
			} else {
				col = r.buf(wk, p*k)
				im2col(d, x, c.n, g, c.y0, c.y1, col)
			}
			r.blas.Sgemm(blas.Trans, blas.NoTrans, k, og, p, 1, col, k, g0[g*og:], d.OutC,
				1, part[g*og:], d.OutC)
		}
		if db != nil {
			sums := part[len(dw):]
			for j := range p {
				for o, v := range g0[j*d.OutC : (j+1)*d.OutC] {
					sums[o] += v
				}
			}
		}
	})
	for w := range nw {
		part := r.partial[w][:size]
		for i, v := range part[:len(dw)] {
			dw[i] += v
		}
		if db != nil {
			for i, v := range part[len(dw):] {
				db[i] += v
			}
		}
	}
}

// ConvTranspose2x2 implements Backend as one matrix product
// z (NHW,4O) = x (NHW,C) * w (C,4O), scattered into the 2x2 output cells.
func (r *Ref) ConvTranspose2x2(x *Tensor, w, bias []float32, y *Tensor) {
	m, o := x.N*x.H*x.W, y.C
	z := r.buf(0, m*4*o)
	r.blas.Sgemm(blas.NoTrans, blas.NoTrans, m, 4*o, x.C, 1, x.Data, x.C, w, 4*o, 0, z, 4*o)
	r.scatter2x2(x, z, bias, y)
}

// scatter2x2 writes z (N*H*W, 2*2*O), the 2x2 cells of every input pixel,
// plus bias into y (N,2H,2W,O).
func (r *Ref) scatter2x2(x *Tensor, z, bias []float32, y *Tensor) {
	o := y.C
	r.parallel(x.N*x.H, func(_, row int) {
		n, i := row/x.H, row%x.H
		for j := range x.W {
			zr := z[((n*x.H+i)*x.W+j)*4*o:]
			for a := range 2 {
				for b := range 2 {
					dst := y.Data[((n*y.H+2*i+a)*y.W+2*j+b)*o:][:o]
					src := zr[(a*2+b)*o:][:o]
					for c := range dst {
						dst[c] = src[c] + bias[c]
					}
				}
			}
		}
	})
}

// gather2x2 is the inverse of scatter2x2 without the bias: it reads
// dy (N,2H,2W,O) into dz (N*H*W, 2*2*O) and adds the bias gradient to db.
func (r *Ref) gather2x2(x *Tensor, dy *Tensor, dz, db []float32) {
	o := dy.C
	r.parallel(x.N*x.H, func(_, row int) {
		n, i := row/x.H, row%x.H
		for j := range x.W {
			zr := dz[((n*x.H+i)*x.W+j)*4*o:]
			for a := range 2 {
				for b := range 2 {
					copy(zr[(a*2+b)*o:][:o], dy.Data[((n*dy.H+2*i+a)*dy.W+2*j+b)*o:][:o])
				}
			}
		}
	})
	for p := range 4 * x.N * x.H * x.W {
		for c, v := range dz[p*o : (p+1)*o] {
			db[c] += v
		}
	}
}

// ConvTranspose2x2Backward implements Backend.
func (r *Ref) ConvTranspose2x2Backward(x *Tensor, w []float32, dy *Tensor, dx, dw, db []float32) {
	m, o := x.N*x.H*x.W, dy.C
	dz := r.buf(0, m*4*o)
	r.gather2x2(x, dy, dz, db)
	if dx != nil {
		r.blas.Sgemm(blas.NoTrans, blas.Trans, m, x.C, 4*o, 1, dz, 4*o, w, 4*o, 1, dx, x.C)
	}
	r.blas.Sgemm(blas.Trans, blas.NoTrans, x.C, 4*o, m, 1, x.Data, x.C, dz, 4*o, 1, dw, 4*o)
}

// pixelParts splits p pixels into at most 8*workers equal bands, a fixed
// partition for channel reductions.
func (r *Ref) pixelParts(p int) int { return max(1, min(p, 8*r.workers)) }

// channelSums returns per-channel sums of f(pixel, c) over all pixels of
// x, in float64, reduced in a fixed order.
func (r *Ref) channelSums(p, c int, f func(i, c int) float64) []float64 {
	parts := r.pixelParts(p)
	acc := make([][]float64, parts)
	r.parallel(parts, func(_, k int) {
		s := make([]float64, c)
		for i := k * p / parts; i < (k+1)*p/parts; i++ {
			for ch := range c {
				s[ch] += f(i, ch)
			}
		}
		acc[k] = s
	})
	total := make([]float64, c)
	for _, s := range acc {
		for ch, v := range s {
			total[ch] += v
		}
	}
	return total
}

// BatchNormTrain implements Backend.
func (r *Ref) BatchNormTrain(x *Tensor, gamma, beta []float32, eps float32, y *Tensor,
	mean, variance []float32) {
	p, c := x.N*x.H*x.W, x.C
	sum := r.channelSums(p, c, func(i, ch int) float64 { return float64(x.Data[i*c+ch]) })
	mu := make([]float64, c)
	for ch := range c {
		mu[ch] = sum[ch] / float64(p)
	}
	sq := r.channelSums(p, c, func(i, ch int) float64 {
		d := float64(x.Data[i*c+ch]) - mu[ch]
		return d * d
	})
	for ch := range c {
		mean[ch] = float32(mu[ch])
		variance[ch] = float32(sq[ch] / float64(p))
	}
	r.bnApply(x, gamma, beta, mean, invStdOf(variance, eps), y)
}

// bnApply computes y = gamma*(x-mean)*invStd + beta.
func (r *Ref) bnApply(x *Tensor, gamma, beta, mean, invStd []float32, y *Tensor) {
	p, c := x.N*x.H*x.W, x.C
	scale, shift := make([]float32, c), make([]float32, c)
	for ch := range c {
		scale[ch] = gamma[ch] * invStd[ch]
		shift[ch] = beta[ch] - mean[ch]*scale[ch]
	}
	parts := r.pixelParts(p)
	r.parallel(parts, func(_, k int) {
		for i := k * p / parts; i < (k+1)*p/parts; i++ {
			xr, yr := x.Data[i*c:(i+1)*c], y.Data[i*c:(i+1)*c]
			for ch := range c {
				yr[ch] = xr[ch]*scale[ch] + shift[ch]
			}
		}
	})
}

// BatchNormInfer implements Backend.
func (r *Ref) BatchNormInfer(x *Tensor, gamma, beta, mean, variance []float32, eps float32,
	y *Tensor) {
	r.bnApply(x, gamma, beta, mean, invStdOf(variance, eps), y)
}

// invStdOf returns 1/sqrt(variance+eps) per channel.
func invStdOf(variance []float32, eps float32) []float32 {
	s := make([]float32, len(variance))
	for c, v := range variance {
		s[c] = float32(1 / math.Sqrt(float64(v)+float64(eps)))
	}
	return s
}

// BatchNormBackward implements Backend. With xh = (x-mean)*invStd and M
// pixels per channel: dbeta = sum dy, dgamma = sum dy*xh and
// dx = gamma*invStd/M * (M*dy - dbeta - xh*dgamma).
func (r *Ref) BatchNormBackward(x, dy *Tensor, gamma, mean, variance []float32, eps float32,
	dx, dgamma, dbeta []float32) {
	p, c := x.N*x.H*x.W, x.C
	invStd := invStdOf(variance, eps)
	sdy := r.channelSums(p, c, func(i, ch int) float64 { return float64(dy.Data[i*c+ch]) })
	sdyx := r.channelSums(p, c, func(i, ch int) float64 {
		xh := (x.Data[i*c+ch] - mean[ch]) * invStd[ch]
		return float64(dy.Data[i*c+ch]) * float64(xh)
	})
	for ch := range c {
		dbeta[ch] += float32(sdy[ch])
		dgamma[ch] += float32(sdyx[ch])
	}
	if dx == nil {
		return
	}
	m := float32(p)
	k1, k2, k3 := make([]float32, c), make([]float32, c), make([]float32, c)
	for ch := range c {
		k1[ch] = gamma[ch] * invStd[ch]
		k2[ch] = float32(sdy[ch]) / m
		k3[ch] = float32(sdyx[ch]) / m
	}
	parts := r.pixelParts(p)
	r.parallel(parts, func(_, k int) {
		for i := k * p / parts; i < (k+1)*p/parts; i++ {
			for ch := range c {
				j := i*c + ch
				xh := (x.Data[j] - mean[ch]) * invStd[ch]
				dx[j] += k1[ch] * (dy.Data[j] - k2[ch] - xh*k3[ch])
			}
		}
	})
}

// elementwise runs f over [0,n) split into bands across workers.
func (r *Ref) elementwise(n int, f func(lo, hi int)) {
	parts := max(1, min(n/4096, 4*r.workers))
	r.parallel(parts, func(_, k int) { f(k*n/parts, (k+1)*n/parts) })
}

// ReLU implements Backend.
func (r *Ref) ReLU(x, y []float32) {
	r.elementwise(len(x), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			y[i] = max(x[i], 0)
		}
	})
}

// ReLUBackward implements Backend.
func (r *Ref) ReLUBackward(y, dy, dx []float32) {
	r.elementwise(len(y), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if y[i] > 0 {
				dx[i] += dy[i]
			}
		}
	})
}

// Concat implements Backend.
func (r *Ref) Concat(a, b, y *Tensor) {
	r.elementwise(a.N*a.H*a.W, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			copy(y.Data[p*y.C:], a.Data[p*a.C:(p+1)*a.C])
			copy(y.Data[p*y.C+a.C:], b.Data[p*b.C:(p+1)*b.C])
		}
	})
}

// ConcatBackward implements Backend.
func (r *Ref) ConcatBackward(dy *Tensor, da, db []float32, ca int) {
	cb := dy.C - ca
	r.elementwise(dy.N*dy.H*dy.W, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			row := dy.Data[p*dy.C : (p+1)*dy.C]
			if da != nil {
				for i, v := range row[:ca] {
					da[p*ca+i] += v
				}
			}
			if db != nil {
				for i, v := range row[ca:] {
					db[p*cb+i] += v
				}
			}
		}
	})
}
