package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// grid returns a w×h mask with the rectangles {x0, y0, x1, y1} (inclusive)
// set to 1.
func grid(w, h int, rects ...[4]int) []uint8 {
	m := make([]uint8, w*h)
	for _, r := range rects {
		for y := r[1]; y <= r[3]; y++ {
			for x := r[0]; x <= r[2]; x++ {
				m[y*w+x] = 1
			}
		}
	}
	return m
}

func TestHD95(t *testing.T) {
	tests := []struct {
		name        string
		pred, truth []uint8
		width       int
		want        float64
		defined     bool
	}{
		{"identical squares", grid(6, 6, [4]int{1, 1, 3, 3}), grid(6, 6, [4]int{1, 1, 3, 3}),
			6, 0, true},
		// Boundaries of 12 pixels each; either way 4 lie at 0, 4 at 1 and
		// 4 at 2, and r = 0.95·11 = 10.45 falls between two 2s.
		{"4x4 squares offset by 2", grid(12, 12, [4]int{2, 2, 5, 5}),
			grid(12, 12, [4]int{4, 2, 7, 5}), 12, 2, true},
		// Every pixel is boundary; either way two lie at 2 and two at 3.
		{"2x2 squares 1 pixel apart", grid(8, 4, [4]int{0, 1, 1, 2}),
			grid(8, 4, [4]int{3, 1, 4, 2}), 8, 3, true},
		// The square's 8 boundary pixels lie at 1 (4 of them) and √2 (the
		// corners) from the centre; r = 0.95·7 = 6.65 falls between corners.
		{"centre pixel of a 3x3 square", grid(5, 5, [4]int{2, 2, 2, 2}),
			grid(5, 5, [4]int{1, 1, 3, 3}), 5, math.Sqrt2, true},
		{"full image and its centre pixel", grid(3, 3, [4]int{1, 1, 1, 1}),
			grid(3, 3, [4]int{0, 0, 2, 2}), 3, math.Sqrt2, true},
		{"pixels 3 across and 4 down", grid(5, 5, [4]int{0, 0, 0, 0}),
			grid(5, 5, [4]int{3, 4, 3, 4}), 5, 5, true},
		// Prediction to mask: ten 0s and 11..20, r = 0.95·19 = 18.05 gives
		// 19 + 0.05. Mask to prediction: all 0. The percentile of the union
		// of both sets would be 18.55 instead.
		{"a far second piece", grid(30, 1, [4]int{0, 0, 9, 0}, [4]int{20, 0, 29, 0}),
			grid(30, 1, [4]int{0, 0, 9, 0}), 30, 19.05, true},
		{"both empty", grid(4, 4), grid(4, 4), 4, 0, true},
		{"empty prediction", grid(4, 4), grid(4, 4, [4]int{1, 1, 2, 2}), 4, 0, false},
		{"empty mask", grid(4, 4, [4]int{0, 0, 0, 0}), grid(4, 4), 4, 0, false},
		{"no pixels", nil, nil, 1, 0, true},
	}
	for _, tt := range tests {
		got, ok := HD95(tt.pred, tt.truth, tt.width)
		if ok != tt.defined || math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s: HD95 = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.defined)
		}
		back, _ := HD95(tt.truth, tt.pred, tt.width)
		if back != got {
			t.Errorf("%s: HD95 is not symmetric: %v one way, %v the other", tt.name, got, back)
		}
	}
}

func TestHD95PanicsOnBadShape(t *testing.T) {
	for _, tc := range []struct {
		name        string
		pred, truth []uint8
		width       int
	}{
		{"lengths differ", make([]uint8, 4), make([]uint8, 6), 2},
		{"width does not divide", make([]uint8, 6), make([]uint8, 6), 4},
		{"zero width", make([]uint8, 6), make([]uint8, 6), 0},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: HD95 did not panic", tc.name)
				}
			}()
			HD95(tc.pred, tc.truth, tc.width)
		}()
	}
}

// bruteBoundary lists the boundary pixels of m as coordinates, testing
// every pixel's four neighbours directly.
func bruteBoundary(m []uint8, w int) [][2]int {
	h := len(m) / w
	fg := func(x, y int) bool { return x >= 0 && y >= 0 && x < w && y < h && m[y*w+x] != 0 }
	var pts [][2]int
	for y := range h {
		for x := range w {
			if fg(x, y) && !(fg(x-1, y) && fg(x+1, y) && fg(x, y-1) && fg(x, y+1)) {
				pts = append(pts, [2]int{x, y})
			}
		}
	}
	return pts
}

// bruteDirected returns the distance from every point of a to its nearest
// point of b by trying every pair.
func bruteDirected(a, b [][2]int) []float64 {
	d := make([]float64, len(a))
	for i, p := range a {
		best := math.Inf(1)
		for _, q := range b {
			dx, dy := float64(p[0]-q[0]), float64(p[1]-q[1])
			best = min(best, math.Hypot(dx, dy))
		}
		d[i] = best
	}
	return d
}

// bruteQuantile is numpy.percentile's linear rule written with floats.
func bruteQuantile(d []float64, q float64) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	r := q * float64(len(s)-1)
	lo := int(math.Floor(r))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (r-float64(lo))*(s[hi]-s[lo])
}

func TestHD95MatchesAllPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := range 200 {
		w, h := 1+rng.IntN(23), 1+rng.IntN(17)
		density := rng.Float64()
		blob := func() []uint8 {
			m := make([]uint8, w*h)
			for i := range m {
				if rng.Float64() < density {
					m[i] = 1
				}
			}
			return m
		}
		pred, truth := blob(), blob()
		got, ok := HD95(pred, truth, w)
		a, b := bruteBoundary(pred, w), bruteBoundary(truth, w)
		if len(a) == 0 || len(b) == 0 {
			if ok != (len(a) == 0 && len(b) == 0) {
				t.Fatalf("trial %d: defined = %v with %d and %d boundary pixels",
					trial, ok, len(a), len(b))
			}
			continue
		}
		want := max(bruteQuantile(bruteDirected(a, b), 0.95),
			bruteQuantile(bruteDirected(b, a), 0.95))
		if !ok || math.Abs(got-want) > 1e-9 {
			t.Fatalf("trial %d (%dx%d): HD95 = %v, %v; all pairs give %v",
				trial, w, h, got, ok, want)
		}
	}
}

func TestDistanceTransformIsExact(t *testing.T) {
	// Seeds at (0,0) and (6,2) on a 7x4 grid; every value is checked
	// against the nearer of the two squared distances.
	const w, h = 7, 4
	seed := make([]bool, w*h)
	seed[0], seed[2*w+6] = true, true
	var s surface
	s.transform(seed, w, h)
	for y := range h {
		for x := range w {
			want := float64(min(x*x+y*y, (x-6)*(x-6)+(y-2)*(y-2)))
			if got := s.dist[y*w+x]; got != want {
				t.Errorf("(%d,%d): squared distance %v, want %v", x, y, got, want)
			}
		}
	}
	s.transform(make([]bool, w*h), w, h)
	if !math.IsInf(s.dist[0], 1) {
		t.Errorf("no seed: distance %v, want +Inf", s.dist[0])
	}
}

func TestEvaluatorHD95(t *testing.T) {
	var e Evaluator
	addFive(&e)
	s := e.Summary()
	// a: identical, 0. b: prediction (0,0),(0,1), mask (0,0),(1,0): either
	// way distances 0 and 1, r = 0.95 gives 0.95. c: both empty, 0.
	// d and e: one region empty, undefined.
	want := []float64{0, 0.95, 0, math.NaN(), math.NaN()}
	for i, w := range want {
		got := s.PerImage[i].HD95
		switch {
		case math.IsNaN(w) && got != nil:
			t.Errorf("image %d: HD95 = %v, want undefined", i, *got)
		case !math.IsNaN(w) && (got == nil || math.Abs(*got-w) > tol):
			t.Errorf("image %d: HD95 = %v, want %v", i, got, w)
		}
	}
	if s.HD95Images != 3 || math.Abs(s.HD95Mean-0.95/3) > tol {
		t.Errorf("HD95Images, HD95Mean = %d, %v; want 3, %v", s.HD95Images, s.HD95Mean, 0.95/3)
	}
	if s.HD95Rule != HD95Rule {
		t.Errorf("HD95Rule = %q", s.HD95Rule)
	}
}

func TestEvaluatorWidth(t *testing.T) {
	// One row of three pixels: prediction at x=0, mask at x=2.
	e := Evaluator{Width: 3}
	e.Add([]float32{1, 0, 0}, []uint8{0, 0, 1})
	if s := e.Summary(); s.HD95Images != 1 || s.HD95Mean != 2 {
		t.Errorf("HD95Images, HD95Mean = %d, %v; want 1, 2", s.HD95Images, s.HD95Mean)
	}
	defer func() {
		if recover() == nil {
			t.Error("Add of a 3-pixel image with Width 0 did not panic")
		}
	}()
	var square Evaluator
	square.Add([]float32{1, 0, 0}, []uint8{0, 0, 1})
}
