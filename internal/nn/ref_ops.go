package nn

import "math"

// MaxPool implements Backend.
func (r *Ref) MaxPool(k, s, p int, x, y *Tensor, arg []int32) {
	c := x.C
	r.parallel(y.N*y.H, func(_, row int) {
		n, i := row/y.H, row%y.H
		for j := range y.W {
			out := ((n*y.H+i)*y.W + j) * c
			for ch := range c {
				best, bv := int32(-1), float32(math.Inf(-1))
				for ky := range k {
					iy := i*s - p + ky
					if iy < 0 || iy >= x.H {
						continue
					}
					for kx := range k {
						ix := j*s - p + kx
						if ix < 0 || ix >= x.W {
							continue
						}
						idx := ((n*x.H+iy)*x.W+ix)*c + ch
						if v := x.Data[idx]; best < 0 || v > bv {
							best, bv = int32(idx), v
						}
					}
				}
				y.Data[out+ch] = bv
				arg[out+ch] = best
			}
		}
	})
}

// MaxPoolBackward implements Backend. Overlapping windows may pick the same
// input, so the scatter runs in order on one goroutine.
func (r *Ref) MaxPoolBackward(dy []float32, arg []int32, dx []float32) {
	for i, a := range arg {
		dx[a] += dy[i]
	}
}

// Add implements Backend.
func (r *Ref) Add(a, b, y []float32) {
	r.elementwise(len(y), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			y[i] = a[i] + b[i]
		}
	})
}

// broadcast describes how b's index follows a's in Mul: b is a's shape,
// per channel (N,1,1,C) or per pixel (N,H,W,1).
func broadcastIndex(a, b *Tensor) func(i int) int {
	switch {
	case b.Len() == a.Len():
		return func(i int) int { return i }
	case b.H == 1 && b.W == 1 && b.C == a.C:
		hwc := a.H * a.W * a.C
		return func(i int) int { return i/hwc*a.C + i%a.C }
	case b.C == 1 && b.H == a.H && b.W == a.W:
		return func(i int) int { return i / a.C }
	}
	panic("nn: Mul: shapes " + a.Shape() + " and " + b.Shape() + " do not broadcast")
}

// Mul implements Backend.
func (r *Ref) Mul(a, b, y *Tensor) {
	bi := broadcastIndex(a, b)
	r.elementwise(a.Len(), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			y.Data[i] = a.Data[i] * b.Data[bi(i)]
		}
	})
}

// MulBackward implements Backend. The reduction into a broadcast db runs per
// image on one goroutine each, in a fixed order.
func (r *Ref) MulBackward(a, b, dy *Tensor, da, db []float32) {
	bi := broadcastIndex(a, b)
	if da != nil {
		r.elementwise(a.Len(), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				da[i] += dy.Data[i] * b.Data[bi(i)]
			}
		})
	}
	if db == nil {
		return
	}
	per := a.Len() / a.N
	r.parallel(a.N, func(_, n int) {
		for i := n * per; i < (n+1)*per; i++ {
			db[bi(i)] += dy.Data[i] * a.Data[i]
		}
	})
}

// Sigmoid implements Backend.
func (r *Ref) Sigmoid(x, y []float32) {
	r.elementwise(len(x), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			y[i] = Sigmoid(x[i])
		}
	})
}

// SigmoidBackward implements Backend.
func (r *Ref) SigmoidBackward(y, dy, dx []float32) {
	r.elementwise(len(y), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			dx[i] += dy[i] * y[i] * (1 - y[i])
		}
	})
}

// GlobalAvgPool implements Backend.
func (r *Ref) GlobalAvgPool(x, y *Tensor) {
	hw := x.H * x.W
	r.parallel(x.N, func(_, n int) {
		sum := make([]float64, x.C)
		for p := range hw {
			for c, v := range x.Data[(n*hw+p)*x.C : (n*hw+p+1)*x.C] {
				sum[c] += float64(v)
			}
		}
		for c := range x.C {
			y.Data[n*x.C+c] = float32(sum[c] / float64(hw))
		}
	})
}

// GlobalAvgPoolBackward implements Backend.
func (r *Ref) GlobalAvgPoolBackward(dy, dx *Tensor) {
	hw := dx.H * dx.W
	inv := 1 / float32(hw)
	r.parallel(dx.N, func(_, n int) {
		g := dy.Data[n*dx.C : (n+1)*dx.C]
		for p := range hw {
			row := dx.Data[(n*hw+p)*dx.C : (n*hw+p+1)*dx.C]
			for c := range row {
				row[c] += g[c] * inv
			}
		}
	})
}

// upTaps returns, for output coordinate o of a 2x bilinear upsampling of n
// samples, the two source indices and the weight of the second: the source
// position is (o+0.5)/2-0.5, clamped to the edges.
func upTaps(o, n int) (i0, i1 int, w1 float32) {
	src := max(0, (float32(o)+0.5)/2-0.5)
	i0 = int(src)
	i1 = min(i0+1, n-1)
	return min(i0, n-1), i1, src - float32(i0)
}

// Upsample2x implements Backend.
func (r *Ref) Upsample2x(bilinear bool, x, y *Tensor) {
	c := x.C
	r.parallel(y.N*y.H, func(_, row int) {
		n, oy := row/y.H, row%y.H
		for ox := range y.W {
			dst := y.Data[((n*y.H+oy)*y.W+ox)*c:][:c]
			if !bilinear {
				copy(dst, x.Data[((n*x.H+oy/2)*x.W+ox/2)*c:][:c])
				continue
			}
			y0, y1, wy := upTaps(oy, x.H)
			x0, x1, wx := upTaps(ox, x.W)
			p00 := x.Data[((n*x.H+y0)*x.W+x0)*c:]
			p01 := x.Data[((n*x.H+y0)*x.W+x1)*c:]
			p10 := x.Data[((n*x.H+y1)*x.W+x0)*c:]
			p11 := x.Data[((n*x.H+y1)*x.W+x1)*c:]
			for ch := range dst {
				top := p00[ch] + wx*(p01[ch]-p00[ch])
				bot := p10[ch] + wx*(p11[ch]-p10[ch])
				dst[ch] = top + wy*(bot-top)
			}
		}
	})
}

// Upsample2xBackward implements Backend. Each image is scattered by one
// goroutine, so the sums run in a fixed order.
func (r *Ref) Upsample2xBackward(bilinear bool, dy, dx *Tensor) {
	c := dy.C
	r.parallel(dy.N, func(_, n int) {
		for oy := range dy.H {
			for ox := range dy.W {
				g := dy.Data[((n*dy.H+oy)*dy.W+ox)*c:][:c]
				if !bilinear {
					d := dx.Data[((n*dx.H+oy/2)*dx.W+ox/2)*c:][:c]
					for ch, v := range g {
						d[ch] += v
					}
					continue
				}
				y0, y1, wy := upTaps(oy, dx.H)
				x0, x1, wx := upTaps(ox, dx.W)
				taps := [4]struct {
					y, x int
					w    float32
				}{{y0, x0, (1 - wy) * (1 - wx)}, {y0, x1, (1 - wy) * wx},
					{y1, x0, wy * (1 - wx)}, {y1, x1, wy * wx}}
				for _, t := range taps {
					d := dx.Data[((n*dx.H+t.y)*dx.W+t.x)*c:][:c]
					for ch, v := range g {
						d[ch] += t.w * v
					}
				}
			}
		}
	})
}
