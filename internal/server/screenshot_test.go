package server

import (
	"bytes"
	"cmp"
	"image"
	"image/color"
	"image/png"
	"os"
	"slices"
	"testing"
)

// saveScreenshot writes the PNG screenshot data to path with its colours
// reduced to a palette of 256 (see medianCut), which keeps a page with a
// scan on it to a size worth committing.
func saveScreenshot(path string, data []byte) error {
	m, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return err
	}
	b := m.Bounds()
	counts := map[color.RGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			counts[color.RGBAModel.Convert(m.At(x, y)).(color.RGBA)]++
		}
	}
	colors := make([]colorCount, 0, len(counts))
	for c, n := range counts {
		colors = append(colors, colorCount{c, n})
	}
	pal := medianCut(colors, 256)

	out := image.NewPaletted(b, pal)
	index := map[color.RGBA]uint8{} // a screenshot has a few thousand colours
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(m.At(x, y)).(color.RGBA)
			i, ok := index[c]
			if !ok {
				i = uint8(pal.Index(c))
				index[c] = i
			}
			out.SetColorIndex(x, y, i)
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf,
		out); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// colorCount is one colour of an image and its number of pixels.
type colorCount struct {
	c color.RGBA
	n int
}

// medianCut returns a palette of at most k colours for colors (Heckbert's
// median cut, 1982): while there are fewer than k boxes, the box with the
// most pixels and more than one colour is cut in two at the pixel-weighted
// median of its widest channel. Each box gives its pixel-weighted mean
// colour. colors is reordered.
func medianCut(colors []colorCount, k int) color.Palette {
	boxes := [][]colorCount{colors}
	for len(boxes) < k {
		cut, pixels := -1, 0
		for i, box := range boxes {
			if n := pixelsIn(box); len(box) > 1 && n > pixels {
				cut, pixels = i, n
			}
		}
		if cut < 0 {
			break
		}
		box := boxes[cut]
		ch := widestChannel(box)
		slices.SortFunc(box, func(a, b colorCount) int {
			return cmp.Compare(channel(a.c, ch), channel(b.c, ch))
		})
		at, seen := len(box)-1, 0
		for i, c := range box[:len(box)-1] {
			if seen += c.n; 2*seen >= pixels {
				at = i + 1
				break
			}
		}
		boxes[cut] = box[:at:at]
		boxes = append(boxes, box[at:])
	}

	pal := make(color.Palette, 0, len(boxes))
	for _, box := range boxes {
		var sum [3]int
		n := pixelsIn(box)
		for _, c := range box {
			for ch := range 3 {
				sum[ch] += int(channel(c.c, ch)) * c.n
			}
		}
		mean := func(ch int) uint8 { return uint8((sum[ch] + n/2) / n) }
		pal = append(pal, color.RGBA{R: mean(0), G: mean(1), B: mean(2), A: 255})
	}
	return pal
}

// pixelsIn returns the number of pixels of the colours of box.
func pixelsIn(box []colorCount) int {
	n := 0
	for _, c := range box {
		n += c.n
	}
	return n
}

// channel returns the red (0), green (1) or blue (2) channel of c.
func channel(c color.RGBA, ch int) uint8 { return [3]uint8{c.R, c.G, c.B}[ch] }

// widestChannel returns the channel over which the colours of box spread
// most.
func widestChannel(box []colorCount) int {
	widest, spread := 0, -1
	for ch := range 3 {
		lo, hi := uint8(255), uint8(0)
		for _, c := range box {
			lo, hi = min(lo, channel(c.c, ch)), max(hi, channel(c.c, ch))
		}
		if int(hi)-int(lo) > spread {
			widest, spread = ch, int(hi)-int(lo)
		}
	}
	return widest
}

func TestMedianCut(t *testing.T) {
	red, dark, light := color.RGBA{R: 255, A: 255}, color.RGBA{R: 10, G: 10, B: 10, A: 255},
		color.RGBA{R: 30, G: 30, B: 30, A: 255}
	for _, tc := range []struct {
		name   string
		colors []colorCount
		k      int
		want   color.Palette
	}{
		{"fewer colours than k keep their own", []colorCount{{red, 5}, {dark, 1}}, 4,
			color.Palette{dark, red}},
		// The red channel spreads widest (10 to 255). Sorted on it, dark holds
		// half of the 6 pixels, so the cut falls after dark, and light and red
		// merge to their weighted mean: R (30+2·255)/3 = 180, G and B 30/3 = 10.
		{"two boxes", []colorCount{{dark, 3}, {light, 1}, {red, 2}}, 2,
			color.Palette{dark, color.RGBA{R: 180, G: 10, B: 10, A: 255}}},
		{"one box", []colorCount{{dark, 1}, {light, 1}}, 1,
			color.Palette{color.RGBA{R: 20, G: 20, B: 20, A: 255}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := medianCut(tc.colors, tc.k)
			if !slices.Equal(got, tc.want) {
				t.Errorf("palette %v, want %v", got, tc.want)
			}
		})
	}
}
