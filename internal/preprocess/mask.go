package preprocess

import (
	"math"
	"slices"
)

// RasterizeMask returns a w x h binary mask, row-major, 1 where any region
// covers the pixel and 0 elsewhere.
//
// A pixel (x, y) is covered by a polygon when its centre (x+0.5, y+0.5) is
// inside it by the even-odd rule; polygons are flat x0,y0,x1,y1,... lists in
// pixel coordinates. A box [x, y, w, h] covers the pixels whose centres lie
// in [x, x+w) x [y, y+h). A box and the polygon of its four corners cover
// the same pixels. Each of masks is a w x h row-major mask (for example a
// decoded run-length encoding) whose nonzero pixels are covered. The result
// is the union of all regions. RasterizeMask panics if a mask is not w*h
// long.
func RasterizeMask(w, h int, polygons [][]float64, boxes [][4]float64,
	masks ...[]uint8) []uint8 {
	out := make([]uint8, w*h)
	var xs []float64
	for _, p := range polygons {
		xs = fillPolygon(out, w, h, p, xs)
	}
	for _, b := range boxes {
		x0, x1 := coveredRange(b[0], b[0]+b[2], w)
		y0, y1 := coveredRange(b[1], b[1]+b[3], h)
		for y := y0; y < y1; y++ {
			row := out[y*w : (y+1)*w]
			for x := x0; x < x1; x++ {
				row[x] = 1
			}
		}
	}
	for _, m := range masks {
		if len(m) != w*h {
			panic("preprocess: RasterizeMask given a mask of the wrong size")
		}
		for i, v := range m {
			if v != 0 {
				out[i] = 1
			}
		}
	}
	return out
}

// fillPolygon sets the pixels of out whose centres are inside polygon p by
// the even-odd rule. xs is scratch space, returned for reuse.
func fillPolygon(out []uint8, w, h int, p []float64, xs []float64) []float64 {
	n := len(p) / 2
	if n < 3 {
		return xs
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range n {
		lo, hi = min(lo, p[2*i+1]), max(hi, p[2*i+1])
	}
	y0, y1 := coveredRange(lo, hi, h)

	for y := y0; y < y1; y++ {
		cy := float64(y) + 0.5

		// An edge crosses the scanline when exactly one end lies below it;
		// treating an end on the line as above makes each vertex count once.
		xs = xs[:0]
		for i := range n {
			ax, ay := p[2*i], p[2*i+1]
			j := (i + 1) % n
			bx, by := p[2*j], p[2*j+1]
			if (ay > cy) != (by > cy) {
				xs = append(xs, ax+(cy-ay)*(bx-ax)/(by-ay))
			}
		}
		slices.Sort(xs)

		row := out[y*w : (y+1)*w]
		for k := 0; k+1 < len(xs); k += 2 {
			x0, x1 := coveredRange(xs[k], xs[k+1], w)
			for x := x0; x < x1; x++ {
				row[x] = 1
			}
		}
	}
	return xs
}

// coveredRange returns the pixels [i0, i1) of a line of n pixels whose
// centres i+0.5 lie in [a, b).
func coveredRange(a, b float64, n int) (int, int) {
	lo := clampIndex(math.Ceil(a-0.5), n)
	hi := clampIndex(math.Ceil(b-0.5), n)
	return lo, max(lo, hi)
}

func clampIndex(v float64, n int) int {
	if math.IsNaN(v) || v <= 0 {
		return 0
	}
	if v >= float64(n) {
		return n
	}
	return int(v)
}

// ResizeMask returns the sw x sh binary mask resized to dw x dh by area
// coverage: output pixel (X, Y) covers the source rectangle
// [X*sw/dw, (X+1)*sw/dw) x [Y*sh/dh, (Y+1)*sh/dh), and is 1 when at least
// half of that rectangle's area lies on nonzero source pixels. Overlaps are
// counted exactly in integers, so the result depends on no rounding; the
// coverage is that of OpenCV's INTER_AREA. ResizeMask panics if the sizes
// are not positive or mask is not sw*sh long.
func ResizeMask(mask []uint8, sw, sh, dw, dh int) []uint8 {
	if sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0 || len(mask) != sw*sh {
		panic("preprocess: ResizeMask sizes do not match the mask")
	}
	cols := areaTaps(sw, dw)
	rows := areaTaps(sh, dh)

	// In units where a source pixel is dw wide and dh tall, output pixels
	// are sw wide and sh tall, and every overlap is an integer.
	across := make([]int64, sh*dw)
	for y := range sh {
		src := mask[y*sw : (y+1)*sw]
		dst := across[y*dw : (y+1)*dw]
		for x, taps := range cols {
			var s int64
			for _, t := range taps {
				if src[t.i] != 0 {
					s += t.w
				}
			}
			dst[x] = s
		}
	}

	out := make([]uint8, dw*dh)
	whole := int64(sw) * int64(sh)
	for y, taps := range rows {
		for x := range dw {
			var s int64
			for _, t := range taps {
				s += t.w * across[t.i*dw+x]
			}
			if 2*s >= whole {
				out[y*dw+x] = 1
			}
		}
	}
	return out
}

// areaTap is a source pixel i overlapping an output pixel by w units.
type areaTap struct {
	i int
	w int64
}

// areaTaps returns, for each of dn output pixels over sn source pixels, the
// source pixels it overlaps and by how much, in units of 1/dn source pixel.
func areaTaps(sn, dn int) [][]areaTap {
	taps := make([][]areaTap, dn)
	for d := range taps {
		lo, hi := int64(d)*int64(sn), int64(d+1)*int64(sn)
		for i := lo / int64(dn); i*int64(dn) < hi; i++ {
			a := max(lo, i*int64(dn))
			b := min(hi, (i+1)*int64(dn))
			taps[d] = append(taps[d], areaTap{int(i), b - a})
		}
	}
	return taps
}
