package synth

import (
	"image"
	"math"
	"math/rand/v2"
)

// Intensities in [0,1] of the parts of a slice, before noise. Brain tissue
// stays below brainMax and tumor above tumorMin even after noise, so that
// within the brain the tumor is the only bright tissue; the skull, outside
// the brain, is as bright as tumor.
const (
	backgroundLevel = 0.03
	skullLevel      = 0.85
	fluidLevel      = 0.12
	ventricleLevel  = 0.16
	brainLevel      = 0.40 // plus up to 0.16 of texture and shading
	tumorLevel      = 0.82 // plus or minus 0.06 of texture, plus up to 0.04 at the core
	noiseSigma      = 0.015
	noiseLimit      = 0.04 // pixel noise is clipped to ±noiseLimit
)

// Radii of the head's parts, as fractions of the head ellipse: the skull
// ring lies between skullInner and 1, fluid between brainEdge and
// skullInner. Tumor vertices stay within tumorReach.
const (
	skullInner = 0.93
	brainEdge  = 0.87
	tumorReach = 0.80
)

// Share of slices with a tumor, and of those, share with a second one.
const (
	tumorShare  = 0.8
	secondShare = 0.25
)

// slice is one rendered slice with what it shows.
type slice struct {
	gray   *image.Gray
	brain  []bool    // brain[y*size+x]: the pixel centre lies inside the brain ellipse
	tumors []polygon // outlines drawn, each inside the brain
}

// ellipse is a rotated ellipse with centre (cx, cy), semi-axes a along its
// own x axis and b along its own y axis, turned by angle radians.
type ellipse struct {
	cx, cy, a, b, angle float64
}

// local returns (x, y) in the ellipse's own frame, scaled so that the
// ellipse is the unit circle.
func (e ellipse) local(x, y float64) (u, v float64) {
	s, c := math.Sincos(e.angle)
	dx, dy := x-e.cx, y-e.cy
	return (c*dx + s*dy) / e.a, (-s*dx + c*dy) / e.b
}

// radius returns the normalized radius of (x, y): below 1 inside the ellipse.
func (e ellipse) radius(x, y float64) float64 {
	u, v := e.local(x, y)
	return math.Hypot(u, v)
}

// point returns the pixel coordinates of (u, v) in the ellipse's frame.
func (e ellipse) point(u, v float64) (x, y float64) {
	s, c := math.Sincos(e.angle)
	u, v = u*e.a, v*e.b
	return e.cx + c*u - s*v, e.cy + s*u + c*v
}

// newSliceFor renders slice i of the split numbered split from its own
// random stream, so that a slice does not depend on those before it.
func newSliceFor(seed, split uint64, i, size int) *slice {
	return newSlice(rand.New(rand.NewPCG(seed, split<<32|uint64(i))), size)
}

// newSlice renders one size x size slice from rng.
func newSlice(rng *rand.Rand, size int) *slice {
	n := float64(size)
	head := ellipse{
		cx:    n * (0.5 + 0.03*sym(rng)),
		cy:    n * (0.5 + 0.03*sym(rng)),
		a:     n * (0.36 + 0.04*rng.Float64()),
		b:     n * (0.42 + 0.04*rng.Float64()),
		angle: 0.15 * sym(rng),
	}
	ventricles := ventricleShapes(rng, head)
	coarse := noiseField(rng, size, 6)
	fine := noiseField(rng, size, 20)
	grain := noiseField(rng, size, 32)

	var tumors []polygon
	if rng.Float64() < tumorShare {
		count := 1
		if rng.Float64() < secondShare {
			count = 2
		}
		tumors = placeTumors(rng, head, size, count)
	}

	// edgePx is the width, in pixels, over which one part blends into the next.
	const edgePx = 1.5
	scale := min(head.a, head.b) / edgePx
	sl := &slice{
		gray:   image.NewGray(image.Rect(0, 0, size, size)),
		brain:  make([]bool, size*size),
		tumors: tumors,
	}
	val := make([]float64, size*size)
	for y := range size {
		for x := range size {
			i := y*size + x
			px, py := float64(x)+0.5, float64(y)+0.5
			r := head.radius(px, py)

			tissue := brainLevel + 0.08*coarse[i] + 0.04*fine[i] + 0.04*(1-min(r/brainEdge, 1))
			for _, v := range ventricles {
				in := (1 - v.radius(px, py)) * min(v.a, v.b) / edgePx
				tissue = blend(tissue, ventricleLevel, step(in))
			}
			inner := blend(fluidLevel, tissue, step((brainEdge-r)*scale))
			skull := blend(inner, skullLevel, step((r-skullInner)*scale))
			val[i] = blend(skull, backgroundLevel, step((r-1)*scale))
			sl.brain[i] = r < brainEdge
		}
	}

	for _, p := range tumors {
		cx, cy, reach := p.centre()
		p.fill(size, size, func(x, y int) {
			i := y*size + x
			d := math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy) / reach
			val[i] = tumorLevel + 0.06*grain[i] + 0.04*max(0, 1-d)
		})
	}

	for i, v := range val {
		v += max(-noiseLimit, min(noiseLimit, noiseSigma*rng.NormFloat64()))
		sl.gray.Pix[i] = uint8(math.Round(max(0, min(1, v)) * 255))
	}
	return sl
}

// ventricleShapes returns two dark ellipses mirrored about the head's
// vertical axis, like the lateral ventricles of an axial slice.
func ventricleShapes(rng *rand.Rand, head ellipse) []ellipse {
	off := 0.08 + 0.05*rng.Float64()
	a := head.a * (0.05 + 0.03*rng.Float64())
	b := head.b * (0.15 + 0.07*rng.Float64())
	tilt := 0.2 + 0.2*rng.Float64()
	lift := 0.1 * sym(rng)
	out := make([]ellipse, 0, 2)
	for _, side := range []float64{-1, 1} {
		cx, cy := head.point(side*off, lift)
		out = append(out, ellipse{cx: cx, cy: cy, a: a, b: b, angle: head.angle - side*tilt})
	}
	return out
}

// placeTumors returns up to count tumor outlines that lie inside the brain
// and apart from each other; a tumor that finds no room in a few tries is
// left out.
func placeTumors(rng *rand.Rand, head ellipse, size, count int) []polygon {
	const tries = 30
	var out []polygon
	for range count {
		for range tries {
			p := tumorOutline(rng, head, size)
			if fits(p, head, out) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// tumorOutline returns a star-shaped polygon of 24 to 40 vertices around a
// random point of the brain: an ellipse of random elongation and turn whose
// radius is perturbed by three low harmonics. Its angles increase and its
// radius stays positive, so it never crosses itself.
func tumorOutline(rng *rand.Rand, head ellipse, size int) polygon {
	t := 2 * math.Pi * rng.Float64()
	reach := tumorReach * 0.75 * math.Sqrt(rng.Float64())
	cx, cy := head.point(reach*math.Cos(t), reach*math.Sin(t))
	r0 := float64(size) * (0.035 + 0.06*rng.Float64())
	stretch := 0.75 + 0.5*rng.Float64()
	s, c := math.Sincos(2 * math.Pi * rng.Float64())
	var amp, phase [3]float64
	for m := range amp {
		amp[m] = 0.16 * rng.Float64()
		phase[m] = 2 * math.Pi * rng.Float64()
	}

	n := 24 + rng.IntN(17)
	p := make(polygon, n)
	for k := range p {
		theta := 2 * math.Pi * (float64(k) + 0.3*sym(rng)) / float64(n)
		r := r0
		for m := range amp {
			r += r0 * amp[m] * math.Cos(float64(m+2)*theta+phase[m])
		}
		u := r * math.Cos(theta) * stretch
		v := r * math.Sin(theta) / stretch
		p[k] = vertex{x: round2(cx + c*u - s*v), y: round2(cy + s*u + c*v)}
	}
	return p
}

// fits reports whether every vertex of p lies within tumorReach of the
// head and p keeps a gap of 3 pixels from every polygon of placed. The
// brain ellipse is convex, so vertices inside it put the whole polygon
// inside it.
func fits(p polygon, head ellipse, placed []polygon) bool {
	for _, v := range p {
		if head.radius(v.x, v.y) > tumorReach {
			return false
		}
	}
	cx, cy, r := p.centre()
	for _, q := range placed {
		qx, qy, qr := q.centre()
		if math.Hypot(cx-qx, cy-qy) < r+qr+3 {
			return false
		}
	}
	return true
}

// centre returns the mean of the vertices and the largest distance from it
// to a vertex.
func (p polygon) centre() (cx, cy, reach float64) {
	for _, v := range p {
		cx += v.x
		cy += v.y
	}
	cx /= float64(len(p))
	cy /= float64(len(p))
	for _, v := range p {
		reach = max(reach, math.Hypot(v.x-cx, v.y-cy))
	}
	return cx, cy, reach
}

// noiseField returns size*size values in [-1,1] that vary smoothly over
// cells grid cells per side: random values at the grid corners, blended
// with smoothstep weights.
func noiseField(rng *rand.Rand, size, cells int) []float64 {
	g := cells + 1
	grid := make([]float64, g*g)
	for i := range grid {
		grid[i] = sym(rng)
	}
	out := make([]float64, size*size)
	for y := range size {
		gy := (float64(y) + 0.5) / float64(size) * float64(cells)
		j := min(int(gy), cells-1)
		ty := smooth(gy - float64(j))
		for x := range size {
			gx := (float64(x) + 0.5) / float64(size) * float64(cells)
			i := min(int(gx), cells-1)
			tx := smooth(gx - float64(i))
			top := blend(grid[j*g+i], grid[j*g+i+1], tx)
			bottom := blend(grid[(j+1)*g+i], grid[(j+1)*g+i+1], tx)
			out[y*size+x] = blend(top, bottom, ty)
		}
	}
	return out
}

// sym returns a uniform value in [-1, 1).
func sym(rng *rand.Rand) float64 { return 2*rng.Float64() - 1 }

// blend returns a + t(b-a).
func blend(a, b, t float64) float64 { return a + t*(b-a) }

// smooth returns the smoothstep 3t²-2t³ of t in [0,1].
func smooth(t float64) float64 { return t * t * (3 - 2*t) }

// step maps a signed distance in edge widths to a weight: 0 well below 0,
// 1 well above, smooth in between.
func step(d float64) float64 { return smooth(max(0, min(1, d+0.5))) }
