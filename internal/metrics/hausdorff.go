package metrics

import (
	"fmt"
	"math"
	"slices"
)

// HD95Rule states how the 95th-percentile Hausdorff distance is computed and
// how images without tumor are treated. It is written into every Summary.
const HD95Rule = "HD95 is the larger of the two directed 95th percentiles of the " +
	"distances, in pixels, from each boundary pixel of one region to the nearest " +
	"boundary pixel of the other; it is 0 when mask and prediction are both empty " +
	"and undefined (null, left out of hd95_mean) when exactly one of them is empty."

// HD95 returns the 95th-percentile symmetric Hausdorff distance between the
// boundaries of a prediction and a mask of one image, row-major with width
// columns, and whether it is defined. In both, a nonzero value is tumor.
//
// The boundary of a region is its pixels with a left, right, upper or lower
// neighbour that is background or lies outside the image (the outline that
// package infer draws). For every boundary pixel of the prediction the
// Euclidean distance to the nearest boundary pixel of the mask is taken,
// and the other way round. Each of these two sets gives its 95th percentile
// with linear interpolation: with the n distances sorted as d₀ ≤ … ≤ dₙ₋₁
// and r = 0.95·(n−1), it is d⌊r⌋ + (r−⌊r⌋)·(d⌊r⌋+1 − d⌊r⌋). HD95 is the
// larger of the two. This is MONAI's compute_hausdorff_distance with
// percentile=95 and directed=False, whose quantile is torch.quantile's.
//
// When both regions are empty the distance is 0 and defined (a correct "no
// tumor"); when exactly one is empty it is undefined and HD95 returns 0,
// false. Distances come from an exact Euclidean distance transform over the
// bounding box of the two regions, so the cost grows with that box's area,
// not with the number of boundary pairs.
//
// HD95 panics if the lengths differ or are not a multiple of width.
func HD95(pred, truth []uint8, width int) (float64, bool) {
	var s surface
	return s.hd95(pred, truth, width)
}

// hd95Rank is the percentile HD95 reports, as a whole number of percent.
const hd95Rank = 95

// surface holds the scratch buffers of HD95, reused across images.
type surface struct {
	edgeA, edgeB []bool
	dist         []float64 // squared distance transform of one boundary
	col, out     []float64 // one column or row of the transform
	env          []int     // parabolas of the lower envelope
	cut          []float64 // where they meet
	da, db       []float64 // the two directed distance sets
}

func (s *surface) hd95(pred, truth []uint8, width int) (float64, bool) {
	if len(pred) != len(truth) {
		panic(fmt.Sprintf("metrics: HD95: prediction has %d pixels, mask has %d",
			len(pred), len(truth)))
	}
	if len(pred) == 0 {
		return 0, true
	}
	if width <= 0 || len(pred)%width != 0 {
		panic(fmt.Sprintf("metrics: HD95: %d pixels do not make rows of width %d",
			len(pred), width))
	}
	x0, y0, x1, y1, anyA, anyB := unionBox(pred, truth, width)
	switch {
	case !anyA && !anyB:
		return 0, true
	case !anyA || !anyB:
		return 0, false
	}

	// Work on the bounding box of both regions: a pixel just outside it is
	// background in both, exactly as a pixel outside the image counts, so
	// the boundaries and their distances are those of the whole image.
	w, h := x1-x0+1, y1-y0+1
	s.edgeA = boundary(s.edgeA, pred, width, x0, y0, w, h)
	s.edgeB = boundary(s.edgeB, truth, width, x0, y0, w, h)
	s.da = s.directed(s.da, s.edgeA, s.edgeB, w, h)
	s.db = s.directed(s.db, s.edgeB, s.edgeA, w, h)
	return max(percentile(s.da, hd95Rank), percentile(s.db, hd95Rank)), true
}

// unionBox returns the smallest box x0..x1, y0..y1 holding every nonzero
// pixel of a and b, and whether each has one.
func unionBox(a, b []uint8, width int) (x0, y0, x1, y1 int, anyA, anyB bool) {
	x0, y0, x1, y1 = width, len(a)/width, -1, -1
	for i := range a {
		if a[i] == 0 && b[i] == 0 {
			continue
		}
		anyA = anyA || a[i] != 0
		anyB = anyB || b[i] != 0
		x, y := i%width, i/width
		x0, x1 = min(x0, x), max(x1, x)
		y0, y1 = min(y0, y), max(y1, y)
	}
	return x0, y0, x1, y1, anyA, anyB
}

// boundary marks, in a w×h box whose top left pixel is (x0,y0) of the
// image m of the given width, the tumor pixels with a 4-neighbour that is
// background or outside the box. dst is reused when it is large enough.
func boundary(dst []bool, m []uint8, width, x0, y0, w, h int) []bool {
	dst = grow(dst, w*h)
	in := func(x, y int) bool {
		return x >= 0 && x < w && y >= 0 && y < h && m[(y0+y)*width+x0+x] != 0
	}
	for y := range h {
		for x := range w {
			dst[y*w+x] = in(x, y) &&
				(!in(x-1, y) || !in(x+1, y) || !in(x, y-1) || !in(x, y+1))
		}
	}
	return dst
}

// directed appends to dst[:0] the distance from every pixel set in from to
// the nearest pixel set in to, both w×h; to must have a set pixel.
func (s *surface) directed(dst []float64, from, to []bool, w, h int) []float64 {
	s.transform(to, w, h)
	dst = dst[:0]
	for i, f := range from {
		if f {
			dst = append(dst, math.Sqrt(s.dist[i]))
		}
	}
	return dst
}

// transform fills s.dist with the squared Euclidean distance transform of
// seed on a w×h grid: s.dist[y*w+x] is the least (x−x')² + (y−y')² over
// the pixels (x',y') where seed is true, +Inf when there are none. It runs
// the one-dimensional transform over every column, then over every row of
// the result (Felzenszwalb and Huttenlocher, "Distance Transforms of
// Sampled Functions", Theory of Computing 8, 2012).
func (s *surface) transform(seed []bool, w, h int) {
	n := max(w, h)
	s.dist = grow(s.dist, w*h)
	s.col, s.out = grow(s.col, n), grow(s.out, n)
	s.env, s.cut = grow(s.env, n), grow(s.cut, n+1)
	inf := math.Inf(1)
	for x := range w {
		for y := range h {
			s.col[y] = inf
			if seed[y*w+x] {
				s.col[y] = 0
			}
		}
		lowerEnvelope(s.col[:h], s.out[:h], s.env, s.cut)
		for y := range h {
			s.dist[y*w+x] = s.out[y]
		}
	}
	for y := range h {
		row := s.dist[y*w : (y+1)*w]
		copy(s.col, row)
		lowerEnvelope(s.col[:w], row, s.env, s.cut)
	}
}

// lowerEnvelope sets d[q] = min over p of (q−p)² + f[p], taking only the p
// where f[p] is finite, and +Inf everywhere when there is none. env and cut
// are scratch of at least len(f) and len(f)+1 elements.
//
// The parabolas q ↦ (q−p)² + f[p] are kept in env in the order they appear
// on the lower envelope; cut[k] is the abscissa where parabola env[k] takes
// over from env[k−1]. All f here are integers, so every d is an exact
// integer in float64; the cuts are rationals whose rounding cannot move
// them across an integer q, since they lie at least 1/(2·len(f)) from any
// integer they do not equal.
func lowerEnvelope(f, d []float64, env []int, cut []float64) {
	k := -1
	for q := range f {
		if math.IsInf(f[q], 1) {
			continue
		}
		s := math.Inf(-1)
		for k >= 0 {
			p := env[k]
			s = (f[q] + float64(q*q) - f[p] - float64(p*p)) / float64(2*(q-p))
			if s > cut[k] {
				break
			}
			k--
		}
		if k < 0 {
			s = math.Inf(-1)
		}
		k++
		env[k], cut[k] = q, s
		cut[k+1] = math.Inf(1)
	}
	if k < 0 {
		for q := range d {
			d[q] = math.Inf(1)
		}
		return
	}
	k = 0
	for q := range d {
		for cut[k+1] < float64(q) {
			k++
		}
		p := env[k]
		d[q] = float64((q-p)*(q-p)) + f[p]
	}
}

// percentile returns the rank-th percentile (rank in whole percent) of d
// with linear interpolation between the two nearest order statistics, as
// torch.quantile and numpy.percentile compute it. It sorts d; d must not be
// empty.
func percentile(d []float64, rank int) float64 {
	slices.Sort(d)
	num := rank * (len(d) - 1)
	lo := num / 100
	if lo+1 >= len(d) {
		return d[lo]
	}
	frac := float64(num%100) / 100
	return d[lo] + frac*(d[lo+1]-d[lo])
}

// grow returns buf resliced to n elements, reallocated when its capacity is
// smaller.
func grow[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}
