package preprocess

import (
	"slices"
	"testing"
)

func TestResize(t *testing.T) {
	tests := []struct {
		name string
		in   *Image
		w, h int
		want []float32
	}{
		{
			// PyTorch's interpolate of [[1,2],[3,4]] to 4x4 (bilinear,
			// align_corners=False) is [[1,1.25,1.75,2],[1.5,1.75,2.25,2.5],
			// [2.5,2.75,3.25,3.5],[3,3.25,3.75,4]]; here divided by 4.
			name: "double",
			in:   &Image{W: 2, H: 2, Pix: []float32{0.25, 0.5, 0.75, 1}},
			w:    4,
			h:    4,
			want: []float32{
				0.25, 0.3125, 0.4375, 0.5,
				0.375, 0.4375, 0.5625, 0.625,
				0.625, 0.6875, 0.8125, 0.875,
				0.75, 0.8125, 0.9375, 1,
			},
		},
		{
			// Output centres sample at 0.5 and 2.5: the mean of each pair.
			name: "halve",
			in:   &Image{W: 4, H: 1, Pix: []float32{0, 0.25, 0.5, 1}},
			w:    2,
			h:    1,
			want: []float32{0.125, 0.75},
		},
		{
			// Samples at 0.25 and 1.75.
			name: "three to two",
			in:   &Image{W: 3, H: 1, Pix: []float32{0, 0.5, 1}},
			w:    2,
			h:    1,
			want: []float32{0.125, 0.875},
		},
		{
			name: "same size",
			in:   &Image{W: 3, H: 2, Pix: []float32{0.5, 0, 1, 0.25, 0.75, 0.125}},
			w:    3,
			h:    2,
			want: []float32{0.5, 0, 1, 0.25, 0.75, 0.125},
		},
		{
			// Rows are stretched from 1 to 2, columns squeezed from 2 to 1.
			name: "stretch one axis, squeeze the other",
			in:   &Image{W: 2, H: 1, Pix: []float32{0.25, 0.75}},
			w:    1,
			h:    2,
			want: []float32{0.5, 0.5},
		},
		{
			name: "one pixel to many",
			in:   &Image{W: 1, H: 1, Pix: []float32{0.5}},
			w:    3,
			h:    2,
			want: []float32{0.5, 0.5, 0.5, 0.5, 0.5, 0.5},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Resize(tt.in, tt.w, tt.h)
			if got.W != tt.w || got.H != tt.h {
				t.Fatalf("size %dx%d, want %dx%d", got.W, got.H, tt.w, tt.h)
			}
			if !slices.Equal(got.Pix, tt.want) {
				t.Errorf("got %v, want %v", got.Pix, tt.want)
			}
		})
	}
}
