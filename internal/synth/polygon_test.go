package synth

import (
	"strings"
	"testing"
)

func TestPolygonFillAndArea(t *testing.T) {
	tests := []struct {
		name string
		p    polygon
		w, h int
		want []string // rows of the filled grid, '#' for a set pixel
		area float64
	}{
		{"square", polygon{{1, 1}, {3, 1}, {3, 3}, {1, 3}}, 4, 4,
			[]string{"....", ".##.", ".##.", "...."}, 4},
		{"triangle with an edge through pixel centres",
			polygon{{0, 0}, {4, 0}, {0, 4}}, 4, 4,
			[]string{"###.", "##..", "#...", "...."}, 8},
		{"concave U", polygon{{0, 0}, {3, 0}, {3, 3}, {2, 3}, {2, 1}, {1, 1}, {1, 3}, {0, 3}},
			3, 3, []string{"###", "#.#", "#.#"}, 7},
		{"clipped at the grid", polygon{{-2, -2}, {2, -2}, {2, 2}, {-2, 2}}, 3, 3,
			[]string{"##.", "##.", "..."}, 16},
		{"between centres", polygon{{0.6, 0.6}, {1.4, 0.6}, {1.4, 1.4}, {0.6, 1.4}}, 2, 2,
			[]string{"..", ".."}, 0.64},
	}
	for _, tt := range tests {
		grid := make([][]byte, tt.h)
		for y := range grid {
			grid[y] = []byte(strings.Repeat(".", tt.w))
		}
		tt.p.fill(tt.w, tt.h, func(x, y int) { grid[y][x] = '#' })
		for y, row := range grid {
			if string(row) != tt.want[y] {
				t.Errorf("%s: row %d = %s, want %s", tt.name, y, row, tt.want[y])
			}
		}
		if got := tt.p.area(); got < tt.area-1e-12 || got > tt.area+1e-12 {
			t.Errorf("%s: area = %v, want %v", tt.name, got, tt.area)
		}
	}
}

func TestPolygonBounds(t *testing.T) {
	p := polygon{{2, 5}, {7.5, 1}, {4, 9.25}}
	x0, y0, x1, y1 := p.bounds()
	if x0 != 2 || y0 != 1 || x1 != 7.5 || y1 != 9.25 {
		t.Errorf("bounds = %v %v %v %v, want 2 1 7.5 9.25", x0, y0, x1, y1)
	}
}
