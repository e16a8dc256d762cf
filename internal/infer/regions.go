package infer

import (
	"tumorseg/internal/preprocess"
)

// label numbers the connected components of the nonzero pixels of the w×h
// mask in raster order of their first pixel: labels[i] is 0 for a zero
// pixel and 1..n for the component holding pixel i. Pixels connect through
// their 8 neighbours when eight is true and through the 4 that share a side
// otherwise.
func label(mask []uint8, w, h int, eight bool) (labels []int32, n int) {
	labels = make([]int32, len(mask))
	var stack []int
	for start, m := range mask {
		if m == 0 || labels[start] != 0 {
			continue
		}
		n++
		labels[start] = int32(n)
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := i%w, i/w
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					if dx == 0 && dy == 0 || !eight && dx != 0 && dy != 0 {
						continue
					}
					nx, ny := x+dx, y+dy
					if nx < 0 || nx >= w || ny < 0 || ny >= h {
						continue
					}
					j := ny*w + nx
					if mask[j] != 0 && labels[j] == 0 {
						labels[j] = int32(n)
						stack = append(stack, j)
					}
				}
			}
		}
	}
	return labels, n
}

// BrainMask returns a rough mask of the head on img, row-major at its size,
// 1 inside and 0 outside. It is made from intensity alone:
//
//  1. the scan's 8-bit gray levels are blurred with a (2r+1)×(2r+1) box,
//     r = BlurRadius, so that background noise does not split it;
//  2. the background threshold t is the lower of the two-threshold Otsu
//     levels of the blurred histogram (three classes: background, darker
//     and brighter tissue), or the one-threshold Otsu level (Otsu 1979)
//     when fewer than three levels occur;
//  3. the background is a band of max(1, 2r) pixels along the image border,
//     which also clears a bright frame that some exports draw there, and
//     every pixel at or below t that a 4-connected path of such pixels
//     joins to it;
//  4. the rest is the head candidate: its largest 8-connected component is
//     kept (the first in raster order on ties) and its holes are filled.
//
// Dark tissue inside the scalp stays in the mask because the background
// cannot reach it. The mask holds skull and scalp, not only brain, so a
// share of it understates a share of the brain; the blur widens it by up
// to r pixels at its edge. A scan with a single gray level gives an empty
// mask.
func BrainMask(img *preprocess.Image) []uint8 {
	w, h := img.W, img.H
	r := BlurRadius(w, h)
	levels := make([]uint8, len(img.Pix))
	for i, v := range img.Pix {
		levels[i] = grayLevel(v)
	}
	levels = boxBlur(levels, w, h, r)
	var hist [256]int
	for _, l := range levels {
		hist[l]++
	}
	out := make([]uint8, len(img.Pix))
	t, _, ok := otsuLevels(hist)
	if !ok {
		if t, ok = otsuLevel(hist); !ok {
			return out
		}
	}

	outside := make([]bool, len(levels))
	var stack []int
	push := func(x, y int, seed bool) {
		if x < 0 || x >= w || y < 0 || y >= h {
			return
		}
		if i := y*w + x; !outside[i] && (seed || int(levels[i]) <= t) {
			outside[i] = true
			stack = append(stack, i)
		}
	}
	band := max(1, 2*r)
	for y := range h {
		for x := range w {
			if x < band || y < band || x >= w-band || y >= h-band {
				push(x, y, true)
			}
		}
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		x, y := i%w, i/w
		push(x-1, y, false)
		push(x+1, y, false)
		push(x, y-1, false)
		push(x, y+1, false)
	}
	for i := range out {
		if !outside[i] {
			out[i] = 1
		}
	}

	labels, n := label(out, w, h, true)
	sizes := make([]int, n+1)
	for _, l := range labels {
		sizes[l]++
	}
	best := 0
	for l := 1; l <= n; l++ {
		if best == 0 || sizes[l] > sizes[best] {
			best = l
		}
	}
	for i, l := range labels {
		out[i] = 0
		if l == int32(best) {
			out[i] = 1
		}
	}
	fillHoles(out, w, h)
	return out
}

// BlurRadius is the radius of the box blur BrainMask applies first: 1/64
// of the shorter side, rounded down (0, no blur, under 64 pixels; 4 at
// 256x256).
func BlurRadius(w, h int) int { return min(w, h) / 64 }

// boxBlur returns the mean of each pixel's (2r+1)×(2r+1) neighbourhood in
// the w×h levels, the window clipped at the image's edges, rounded half up.
func boxBlur(levels []uint8, w, h, r int) []uint8 {
	if r == 0 {
		return levels
	}
	// rows[i] sums the row of pixel i over columns x-r..x+r.
	rows := make([]uint32, len(levels))
	for y := range h {
		var s uint32
		line := levels[y*w : (y+1)*w]
		for x := range min(r, w) {
			s += uint32(line[x])
		}
		for x := range w {
			if x+r < w {
				s += uint32(line[x+r])
			}
			if x-r-1 >= 0 {
				s -= uint32(line[x-r-1])
			}
			rows[y*w+x] = s
		}
	}
	out := make([]uint8, len(levels))
	for x := range w {
		var s uint32
		for y := range min(r, h) {
			s += rows[y*w+x]
		}
		cols := min(x+r, w-1) - max(x-r, 0) + 1
		for y := range h {
			if y+r < h {
				s += rows[(y+r)*w+x]
			}
			if y-r-1 >= 0 {
				s -= rows[(y-r-1)*w+x]
			}
			n := uint32(cols * (min(y+r, h-1) - max(y-r, 0) + 1))
			out[y*w+x] = uint8((2*s + n) / (2 * n))
		}
	}
	return out
}

// otsuLevel returns Otsu's threshold of a 256-bin histogram: the lowest
// level t in [0, 254] maximizing the between-class variance of the levels
// ≤ t and > t. ok is false when no t separates two nonempty classes.
func otsuLevel(hist [256]int) (t int, ok bool) {
	var total, sum float64
	for l, c := range hist {
		total += float64(c)
		sum += float64(l * c)
	}
	var w0, sum0, bestVar float64
	for l := range 255 {
		w0 += float64(hist[l])
		sum0 += float64(l * hist[l])
		w1 := total - w0
		if w0 == 0 || w1 == 0 {
			continue
		}
		mu0, mu1 := sum0/w0, (sum-sum0)/w1
		v := w0 * w1 * (mu0 - mu1) * (mu0 - mu1)
		if v > bestVar {
			t, bestVar, ok = l, v, true
		}
	}
	return t, ok
}

// otsuLevels returns the two-threshold Otsu levels t1 < t2 of a 256-bin
// histogram: the pair splitting the levels into ≤ t1, (t1, t2] and > t2
// that maximizes the between-class variance Σ wₖ(μₖ−μ)², the lowest pair
// in order on ties. ok is false when no pair gives three nonempty classes.
func otsuLevels(hist [256]int) (t1, t2 int, ok bool) {
	// n[l] and s[l] are the count and level sum of levels below l.
	var n, s [257]float64
	for l, c := range hist {
		n[l+1] = n[l] + float64(c)
		s[l+1] = s[l] + float64(l*c)
	}
	score := func(a, b int) float64 { // the classes' Σ w·μ², from levels a to b-1
		w := n[b] - n[a]
		if w == 0 {
			return -1
		}
		m := s[b] - s[a]
		return m * m / w
	}
	best := 0.0
	for a := 0; a < 254; a++ {
		c0 := score(0, a+1)
		if c0 < 0 {
			continue
		}
		for b := a + 1; b < 255; b++ {
			c1, c2 := score(a+1, b+1), score(b+1, 256)
			if c1 < 0 || c2 < 0 {
				continue
			}
			if v := c0 + c1 + c2; v > best {
				t1, t2, best, ok = a, b, v, true
			}
		}
	}
	return t1, t2, ok
}

// fillHoles sets to 1 every 0 pixel of the w×h mask that no 4-connected
// path of 0 pixels joins to the border.
func fillHoles(mask []uint8, w, h int) {
	outside := make([]bool, len(mask))
	var stack []int
	push := func(x, y int) {
		if x < 0 || x >= w || y < 0 || y >= h {
			return
		}
		if i := y*w + x; mask[i] == 0 && !outside[i] {
			outside[i] = true
			stack = append(stack, i)
		}
	}
	for x := range w {
		push(x, 0)
		push(x, h-1)
	}
	for y := range h {
		push(0, y)
		push(w-1, y)
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		x, y := i%w, i/w
		push(x-1, y)
		push(x+1, y)
		push(x, y-1)
		push(x, y+1)
	}
	for i := range mask {
		if !outside[i] {
			mask[i] = 1
		}
	}
}
