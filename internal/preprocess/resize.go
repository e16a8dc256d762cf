package preprocess

import "math"

// Resize returns img stretched to w x h by bilinear interpolation, the
// aspect ratio not kept.
//
// Output pixel (x, y) samples the source at
//
//	sx = (x+0.5)*img.W/w - 0.5,  sy = (y+0.5)*img.H/h - 0.5
//
// (pixel centres aligned), with sx and sy clamped to [0, W-1] and [0, H-1],
// and interpolates the four neighbours. This matches OpenCV's resize with
// INTER_LINEAR on float images and PyTorch's interpolate with
// mode="bilinear", align_corners=False, antialias=False, up to float
// rounding. Resize panics if w or h is not positive or img is empty.
func Resize(img *Image, w, h int) *Image {
	if w <= 0 || h <= 0 || img.W <= 0 || img.H <= 0 || len(img.Pix) != img.W*img.H {
		panic("preprocess: Resize of an empty image or to a non-positive size")
	}
	xs := linearTaps(img.W, w)
	ys := linearTaps(img.H, h)
	out := &Image{W: w, H: h, Pix: make([]float32, w*h)}

	// Interpolate along x into two row buffers, then blend them along y.
	upper := make([]float64, w)
	lower := make([]float64, w)
	for y, ty := range ys {
		rowAt(img, ty.i0, xs, upper)
		rowAt(img, ty.i1, xs, lower)
		dst := out.Pix[y*w : (y+1)*w]
		for x := range dst {
			dst[x] = float32(upper[x] + ty.f*(lower[x]-upper[x]))
		}
	}
	return out
}

// tap names the two source samples around one output position and the
// weight f of the second one.
type tap struct {
	i0, i1 int
	f      float64
}

// linearTaps returns, for each of dn output positions over a source of sn
// samples, the neighbours and weight of half-pixel-centred interpolation.
func linearTaps(sn, dn int) []tap {
	taps := make([]tap, dn)
	scale := float64(sn) / float64(dn)
	for d := range taps {
		s := max((float64(d)+0.5)*scale-0.5, 0)
		i0 := min(int(math.Floor(s)), sn-1)
		taps[d] = tap{i0: i0, i1: min(i0+1, sn-1), f: s - float64(i0)}
		if i0 == sn-1 {
			taps[d].f = 0
		}
	}
	return taps
}

// rowAt fills dst with source row y interpolated at the x taps.
func rowAt(img *Image, y int, xs []tap, dst []float64) {
	row := img.Pix[y*img.W : (y+1)*img.W]
	for x, t := range xs {
		a := float64(row[t.i0])
		dst[x] = a + t.f*(float64(row[t.i1])-a)
	}
}
