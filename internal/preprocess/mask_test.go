package preprocess

import (
	"slices"
	"strings"
	"testing"
)

// grid turns rows of '#' (1) and '.' (0) into a row-major mask.
func grid(rows ...string) []uint8 {
	var m []uint8
	for _, r := range rows {
		for _, c := range r {
			if c == '#' {
				m = append(m, 1)
			} else {
				m = append(m, 0)
			}
		}
	}
	return m
}

// picture draws a row-major mask as rows of '#' and '.', for failure messages.
func picture(m []uint8, w int) string {
	var b strings.Builder
	for i, v := range m {
		if i%w == 0 {
			b.WriteByte('\n')
		}
		if v == 1 {
			b.WriteByte('#')
		} else if v == 0 {
			b.WriteByte('.')
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

func TestRasterizeMask(t *testing.T) {
	tests := []struct {
		name     string
		w, h     int
		polygons [][]float64
		boxes    [][4]float64
		masks    [][]uint8
		want     []uint8
	}{
		{
			// The hypotenuse passes through the centres (3.5,0.5), (2.5,1.5),
			// ...: a centre on an edge's right side is outside.
			name:     "triangle",
			w:        4,
			h:        4,
			polygons: [][]float64{{0, 0, 4, 0, 0, 4}},
			want:     grid("###.", "##..", "#...", "...."),
		},
		{
			name:     "square with a hole by the even-odd rule",
			w:        6,
			h:        6,
			polygons: [][]float64{{0, 0, 6, 0, 6, 6, 0, 6, 0, 0, 2, 2, 4, 2, 4, 4, 2, 4, 2, 2}},
			want: grid(
				"######",
				"######",
				"##..##",
				"##..##",
				"######",
				"######"),
		},
		{
			name: "overlapping polygons are a union",
			w:    5,
			h:    5,
			polygons: [][]float64{
				{0, 0, 3, 0, 3, 3, 0, 3},
				{2, 2, 5, 2, 5, 5, 2, 5},
			},
			want: grid("###..", "###..", "#####", "..###", "..###"),
		},
		{
			name:     "polygon clipped to the image",
			w:        3,
			h:        3,
			polygons: [][]float64{{-2, -2, 2, -2, 2, 2, -2, 2}},
			want:     grid("##.", "##.", "..."),
		},
		{
			name:     "polygon entirely outside",
			w:        3,
			h:        2,
			polygons: [][]float64{{5, 5, 9, 5, 9, 9}},
			want:     grid("...", "..."),
		},
		{
			// Centres 1.5 and 2.5 lie in [0.6, 2.6); 0.5 and 1.5 in [0.4, 1.6).
			name:  "box with fractional corners",
			w:     4,
			h:     3,
			boxes: [][4]float64{{0.6, 0.4, 2.0, 1.2}},
			want:  grid(".##.", ".##.", "...."),
		},
		{
			name:     "polygon of a box's corners",
			w:        4,
			h:        3,
			polygons: [][]float64{{0.6, 0.4, 2.6, 0.4, 2.6, 1.6, 0.6, 1.6}},
			want:     grid(".##.", ".##.", "...."),
		},
		{
			name:  "box edge through centres is half-open",
			w:     3,
			h:     3,
			boxes: [][4]float64{{0.5, 0.5, 1, 1}},
			want:  grid("#..", "...", "..."),
		},
		{
			name:  "box past the border",
			w:     3,
			h:     2,
			boxes: [][4]float64{{1, -4, 10, 5}},
			want:  grid(".##", "..."),
		},
		{
			name:     "polygon, box and mask together",
			w:        4,
			h:        2,
			polygons: [][]float64{{0, 0, 1, 0, 1, 1, 0, 1}},
			boxes:    [][4]float64{{3, 1, 1, 1}},
			masks:    [][]uint8{{0, 0, 7, 0, 0, 1, 0, 0}},
			want:     grid("#.#.", ".#.#"),
		},
		{
			name: "nothing",
			w:    2,
			h:    2,
			want: grid("..", ".."),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RasterizeMask(tt.w, tt.h, tt.polygons, tt.boxes, tt.masks...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got%s\nwant%s", picture(got, tt.w), picture(tt.want, tt.w))
			}
		})
	}
}

func TestResizeMask(t *testing.T) {
	tests := []struct {
		name           string
		mask           []uint8
		sw, sh, dw, dh int
		want           []uint8
	}{
		{
			// Quadrants hold 2, 1, 3 and 0 of 4 tumor pixels.
			name: "halve, half covered counts",
			mask: grid("#...", "#..#", "##..", "#..."),
			sw:   4, sh: 4, dw: 2, dh: 2,
			want: grid("#.", "#."),
		},
		{
			name: "double replicates",
			mask: grid("#.", ".#"),
			sw:   2, sh: 2, dw: 4, dh: 4,
			want: grid("##..", "##..", "..##", "..##"),
		},
		{
			// Outputs cover [0,1.5) and [1.5,3): 1/1.5 of each is tumor.
			name: "three to two, ends set",
			mask: grid("#.#"),
			sw:   3, sh: 1, dw: 2, dh: 1,
			want: grid("##"),
		},
		{
			name: "three to two, middle set",
			mask: grid(".#."),
			sw:   3, sh: 1, dw: 2, dh: 1,
			want: grid(".."),
		},
		{
			name: "three to two, left pair set",
			mask: grid("##."),
			sw:   3, sh: 1, dw: 2, dh: 1,
			want: grid("#."),
		},
		{
			// Each output covers 2.25 source pixels; the missing corner
			// leaves 1.25 of them tumor for the top-left output.
			name: "three by three to two by two",
			mask: grid(".##", "###", "###"),
			sw:   3, sh: 3, dw: 2, dh: 2,
			want: grid("##", "##"),
		},
		{
			name: "lone centre pixel vanishes",
			mask: grid("...", ".#.", "..."),
			sw:   3, sh: 3, dw: 2, dh: 2,
			want: grid("..", ".."),
		},
		{
			name: "exactly half is tumor",
			mask: grid("#."),
			sw:   2, sh: 1, dw: 1, dh: 1,
			want: grid("#"),
		},
		{
			name: "nonzero input counts as tumor",
			mask: []uint8{255, 0, 0, 9},
			sw:   2, sh: 2, dw: 2, dh: 2,
			want: grid("#.", ".#"),
		},
		{
			// Columns: outputs cover [0,2.5) and [2.5,5); rows are doubled.
			name: "five by one to two by two",
			mask: grid("##.##"),
			sw:   5, sh: 1, dw: 2, dh: 2,
			want: grid("##", "##"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ResizeMask(tt.mask, tt.sw, tt.sh, tt.dw, tt.dh)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got%s\nwant%s", picture(got, tt.dw), picture(tt.want, tt.dw))
			}
		})
	}
}

func TestResizeMaskStaysBinaryAndKeepsFullMasks(t *testing.T) {
	full := make([]uint8, 7*5)
	for i := range full {
		full[i] = 1
	}
	for _, size := range [][2]int{{1, 1}, {3, 2}, {7, 5}, {13, 11}, {64, 64}} {
		got := ResizeMask(full, 7, 5, size[0], size[1])
		for i, v := range got {
			if v != 1 {
				t.Fatalf("%dx%d: pixel %d is %d, want 1", size[0], size[1], i, v)
			}
		}
		empty := ResizeMask(make([]uint8, 7*5), 7, 5, size[0], size[1])
		if slices.Contains(empty, 1) {
			t.Fatalf("%dx%d: empty mask gained tumor pixels", size[0], size[1])
		}
	}
}
