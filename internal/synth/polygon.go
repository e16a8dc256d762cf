package synth

import (
	"math"
	"slices"
)

// vertex is a point in pixel coordinates: x grows to the right, y down, and
// the pixel in column i and row j covers [i, i+1) x [j, j+1).
type vertex struct{ x, y float64 }

// polygon is a closed outline; the last vertex joins the first.
type polygon []vertex

// bounds returns the smallest and largest x and y of the vertices.
func (p polygon) bounds() (x0, y0, x1, y1 float64) {
	x0, y0 = math.Inf(1), math.Inf(1)
	x1, y1 = math.Inf(-1), math.Inf(-1)
	for _, v := range p {
		x0, x1 = min(x0, v.x), max(x1, v.x)
		y0, y1 = min(y0, v.y), max(y1, v.y)
	}
	return x0, y0, x1, y1
}

// area returns the enclosed area by the shoelace formula, for a polygon
// that does not cross itself.
func (p polygon) area() float64 {
	var s float64
	for i, a := range p {
		b := p[(i+1)%len(p)]
		s += a.x*b.y - b.x*a.y
	}
	return math.Abs(s) / 2
}

// fill calls set(x, y) for every pixel of a w x h grid whose centre
// (x+0.5, y+0.5) lies inside p by the even-odd rule. An edge crosses the
// row of centres y+0.5 when one end is at or below it and the other above,
// so a vertex on the row is counted once.
func (p polygon) fill(w, h int, set func(x, y int)) {
	_, y0, _, y1 := p.bounds()
	rowLo := max(0, int(math.Floor(y0-0.5)))
	rowHi := min(h-1, int(math.Ceil(y1-0.5)))
	var xs []float64
	for y := rowLo; y <= rowHi; y++ {
		yc := float64(y) + 0.5
		xs = xs[:0]
		for i, a := range p {
			b := p[(i+1)%len(p)]
			if (a.y <= yc) != (b.y <= yc) {
				xs = append(xs, a.x+(yc-a.y)*(b.x-a.x)/(b.y-a.y))
			}
		}
		slices.Sort(xs)
		for k := 0; k+1 < len(xs); k += 2 {
			// Pixels whose centre x+0.5 lies in [xs[k], xs[k+1]).
			lo := max(0, int(math.Ceil(xs[k]-0.5)))
			hi := min(w-1, int(math.Ceil(xs[k+1]-0.5))-1)
			for x := lo; x <= hi; x++ {
				set(x, y)
			}
		}
	}
}

// round2 rounds v to two decimals, the precision written to the COCO file.
func round2(v float64) float64 {
	return math.Round(v*100) / 100
}
