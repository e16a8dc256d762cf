package dataset

import (
	"slices"
	"testing"
)

func TestDecodeCounts(t *testing.T) {
	tests := []struct {
		in      string
		want    []uint32
		wantErr string
	}{
		{in: "", want: nil},
		{in: "123", want: []uint32{1, 2, 3}},
		// 40 takes two groups ('X' = 8|0x20, '1'); the fourth count is
		// written as 6-10 = -4 ('L' = 28, sign bit set), the fifth as 4-4.
		{in: "X1:4L0", want: []uint32{40, 10, 4, 6, 4}},
		{in: "0<", want: []uint32{0, 12}},
		{in: "WPP612ol^k03", want: []uint32{196615, 1, 2, 900000, 5}},
		{in: "X", wantErr: "counts string ends inside a number"},
		{in: "1 ", wantErr: "counts string has byte ' ' at 1"},
		{in: "1L", wantErr: "counts string gives run 1 the length -4"},
		{in: "ooooooooo", wantErr: "counts string has a number too long at byte 8"},
	}
	for _, tt := range tests {
		got, err := decodeCounts(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%q: error %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%q: got %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestRLEMaskIsColumnMajor(t *testing.T) {
	tests := []struct {
		name string
		rle  RLE
		want []string
	}{
		{
			// Pixels 1 and 2 in column order are (row 1, col 0), (row 0, col 1).
			name: "3x2",
			rle:  RLE{W: 3, H: 2, Counts: []uint32{1, 2, 3}},
			want: []string{".#.", "#.."},
		},
		{
			// Runs of 1 over pixels 40-49 and 54-59, eight to a column.
			name: "8x8",
			rle:  RLE{W: 8, H: 8, Counts: []uint32{40, 10, 4, 6, 4}},
			want: []string{
				".....###",
				".....###",
				".....#.#",
				".....#.#",
				".....#..",
				".....#..",
				".....##.",
				".....##.",
			},
		},
		{
			name: "starts with tumor",
			rle:  RLE{W: 2, H: 2, Counts: []uint32{0, 1, 3}},
			want: []string{"#.", ".."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.rle.Mask()
			var want []uint8
			for _, row := range tt.want {
				for _, c := range row {
					want = append(want, map[rune]uint8{'#': 1, '.': 0}[c])
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}
