package augment

import (
	"math"
	"math/rand/v2"
)

// warp is one draw of the geometric transform. Forward, a point p of the
// input, taken relative to the centre c = ((size−1)/2, (size−1)/2), is
// flipped by F, rotated by R, scaled by s and shifted by t; the elastic
// field d then moves the result. apply inverts this for every output pixel
// q: it reads the input at F·R⁻¹·(q + d(q) − c − t)/s + c.
type warp struct {
	flipX, flipY   bool
	angle          float64 // radians, counter-clockwise as displayed
	scale          float64
	shiftX, shiftY float64 // pixels, positive to the right and down
	elastic        bool    // the scratch's dx and dy hold d, in pixels
}

// identity is the warp that changes nothing.
var identity = warp{scale: 1}

// drawWarp draws the geometric transform of one case, filling s with the
// elastic field when one is drawn. It reports false when the draw is the
// identity, so the case can be left alone.
func drawWarp(o *Options, rng *rand.Rand, size int, s *scratch) (warp, bool) {
	w := identity
	w.flipX = chance(rng, o.FlipHorizontalP)
	w.flipY = chance(rng, o.FlipVerticalP)
	if chance(rng, o.RotateP) {
		w.angle = uniform(rng, -o.RotateMaxDegrees, o.RotateMaxDegrees) * math.Pi / 180
	}
	if chance(rng, o.ScaleP) {
		w.scale = uniform(rng, o.ScaleMin, o.ScaleMax)
	}
	if chance(rng, o.ShiftP) {
		d := o.ShiftMaxFraction * float64(size)
		w.shiftX = uniform(rng, -d, d)
		w.shiftY = uniform(rng, -d, d)
	}
	if chance(rng, o.ElasticP) {
		w.elastic = true
		elasticField(s, size, o.ElasticAlpha, o.ElasticSigma, rng)
	}
	return w, w != identity
}

// apply resamples image (bilinear) and mask (nearest neighbour) through the
// inverse map, in place. Both are size×size.
func (w *warp) apply(image, mask []float32, size int, s *scratch) {
	n := size * size
	s.image, s.mask = grow(s.image, n), grow(s.mask, n)
	c := float64(size-1) / 2
	sin, cos := math.Sincos(w.angle)
	fx, fy := 1.0, 1.0
	if w.flipX {
		fx = -1
	}
	if w.flipY {
		fy = -1
	}
	// The rows of F·R⁻¹/s, with R⁻¹ = [cos −sin; sin cos] in image
	// coordinates, where y points down.
	m00, m01 := fx*cos/w.scale, -fx*sin/w.scale
	m10, m11 := fy*sin/w.scale, fy*cos/w.scale

	for y := range size {
		for x := range size {
			i := y*size + x
			qx, qy := float64(x)-c-w.shiftX, float64(y)-c-w.shiftY
			if w.elastic {
				qx += float64(s.dx[i])
				qy += float64(s.dy[i])
			}
			sx := snap(m00*qx + m01*qy + c)
			sy := snap(m10*qx + m11*qy + c)
			s.image[i] = bilinear(image, size, sx, sy)
			s.mask[i] = nearest(mask, size, sx, sy)
		}
	}
	copy(image, s.image)
	copy(mask, s.mask)
}

// snap rounds v to the nearest integer when it is within a millionth of a
// pixel of it, so that flips, quarter turns and whole-pixel shifts copy
// pixels exactly instead of blending in rounding error.
func snap(v float64) float64 {
	if r := math.Round(v); math.Abs(v-r) < 1e-6 {
		return r
	}
	return v
}

// bilinear interpolates image, size×size, at the point (x, y), taking every
// pixel outside the image as 0.
func bilinear(image []float32, size int, x, y float64) float32 {
	x0, y0 := math.Floor(x), math.Floor(y)
	// Written so that NaN coordinates also land here.
	if !(x0 >= -1 && y0 >= -1 && x0 < float64(size) && y0 < float64(size)) {
		return 0
	}
	i, j := int(x0), int(y0)
	ax, ay := x-x0, y-y0
	v00 := pixel(image, size, i, j)
	v10 := pixel(image, size, i+1, j)
	v01 := pixel(image, size, i, j+1)
	v11 := pixel(image, size, i+1, j+1)
	top := v00 + ax*(v10-v00)
	bottom := v01 + ax*(v11-v01)
	return float32(top + ay*(bottom-top))
}

// pixel returns image's pixel in column i and row j, or 0 outside.
func pixel(image []float32, size, i, j int) float64 {
	if uint(i) >= uint(size) || uint(j) >= uint(size) {
		return 0
	}
	return float64(image[j*size+i])
}

// nearest returns mask's pixel nearest to the point (x, y), halves rounding
// up, or 0 outside the mask.
func nearest(mask []float32, size int, x, y float64) float32 {
	i, j := math.Floor(x+0.5), math.Floor(y+0.5)
	if !(i >= 0 && j >= 0 && i < float64(size) && j < float64(size)) {
		return 0
	}
	return mask[int(j)*size+int(i)]
}

// elasticField fills s.dx and s.dy, size×size, with Simard's displacement
// field: noise drawn uniformly from [−1, 1] per pixel, convolved with a
// Gaussian of standard deviation sigma pixels (zero beyond the border) and
// multiplied by alpha. Away from the border each component's standard
// deviation is about alpha / (2·sigma·√(3π)) pixels.
//
// TODO(elastic): the direct convolution costs O(size²·sigma) per field;
// a recursive Gaussian would make the cost independent of sigma.
func elasticField(s *scratch, size int, alpha, sigma float64, rng *rand.Rand) {
	n := size * size
	s.dx, s.dy, s.blur = grow(s.dx, n), grow(s.dy, n), grow(s.blur, n)
	s.kernel = gaussian(s.kernel, sigma, size)
	for _, f := range [...][]float32{s.dx, s.dy} {
		for i := range f {
			f[i] = float32(2*rng.Float64() - 1)
		}
		blur(f, s.blur, s.kernel, size)
		for i := range f {
			f[i] *= float32(alpha)
		}
	}
}

// gaussian returns, in buf's memory, the weights exp(−k²/(2σ²)) for
// k = −r..r, normalized to sum to 1, with r = ⌈3σ⌉ but at most size−1:
// wider taps would only ever meet the zeros beyond the border.
func gaussian(buf []float32, sigma float64, size int) []float32 {
	r := min(int(math.Ceil(3*sigma)), size-1)
	g := grow(buf, 2*r+1)
	var sum float64
	for k := -r; k <= r; k++ {
		w := math.Exp(-float64(k*k) / (2 * sigma * sigma))
		g[k+r] = float32(w)
		sum += w
	}
	for i := range g {
		g[i] = float32(float64(g[i]) / sum)
	}
	return g
}

// blur convolves f, size×size, with the separable kernel g along rows and
// then along columns, in place, taking values beyond the border as 0; tmp
// holds the rows' result.
func blur(f, tmp, g []float32, size int) {
	r := len(g) / 2
	for y := range size {
		row, out := f[y*size:(y+1)*size], tmp[y*size:(y+1)*size]
		for x := range out {
			var sum float32
			for k := max(x-r, 0); k <= min(x+r, size-1); k++ {
				sum += g[k-x+r] * row[k]
			}
			out[x] = sum
		}
	}

	clear(f)
	for y := range size {
		out := f[y*size : (y+1)*size]
		for k := max(y-r, 0); k <= min(y+r, size-1); k++ {
			w, in := g[k-y+r], tmp[k*size:(k+1)*size]
			for x := range out {
				out[x] += w * in[x]
			}
		}
	}
}
