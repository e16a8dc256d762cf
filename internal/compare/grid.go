package compare

import (
	"fmt"
	"image"
	"unicode/utf8"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"tumorseg/internal/cache"
	"tumorseg/internal/infer"
	"tumorseg/internal/preprocess"
)

// cellPixels is about the side, in pixels, of one image of the overlay
// grid; smaller images are enlarged by whole factors to reach it.
const cellPixels = 200

// plotOverlays draws one row per grid image: the scan, the mask over it,
// then each network's prediction over it, in the colours of package infer.
func plotOverlays(path string, entries []*entry, s *cache.Split, grid []int) error {
	size := s.Size()
	empty := make([]uint8, size*size)
	rows := make([][]*plot.Plot, len(grid))
	for r, idx := range grid {
		img := &preprocess.Image{W: size, H: size, Pix: s.Image(idx)}
		cells := []*plot.Plot{
			imageCell(shorten(s.Name(idx), 28), infer.Overlay(img, empty)),
			imageCell("mask", infer.Overlay(img, s.Mask(idx))),
		}
		for _, e := range entries {
			title := fmt.Sprintf("%s  Dice %.3f", e.name, e.scores.PerImage[idx].Dice)
			cells = append(cells, imageCell(title, infer.Overlay(img, e.preds[r])))
		}
		rows[r] = cells
	}
	// A row is a column's width plus the title's height, so that the images
	// keep their square shape.
	cols := len(rows[0])
	cell := 2.3 * vg.Inch
	return savePNG(path, rows, vg.Length(cols)*cell, vg.Length(len(rows))*(cell+0.15*vg.Inch))
}

// imageCell returns a plot that shows m alone under a title, without axes.
func imageCell(title string, m *image.NRGBA) *plot.Plot {
	m = enlarge(m, max(1, cellPixels/m.Rect.Dx()))
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(10)
	p.HideAxes()
	w, h := float64(m.Rect.Dx()), float64(m.Rect.Dy())
	p.Add(plotter.NewImage(m, 0, 0, w, h))
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, w, 0, h
	return p
}

// enlarge returns m scaled up k times by repeating pixels, so that the
// plot's smoothing does not blur small images; k 1 returns m.
func enlarge(m *image.NRGBA, k int) *image.NRGBA {
	if k <= 1 {
		return m
	}
	w, h := m.Rect.Dx(), m.Rect.Dy()
	out := image.NewNRGBA(image.Rect(0, 0, w*k, h*k))
	for y := range h * k {
		for x := range w * k {
			out.SetNRGBA(x, y, m.NRGBAAt(m.Rect.Min.X+x/k, m.Rect.Min.Y+y/k))
		}
	}
	return out
}

// shorten returns s cut to n characters, the last an ellipsis, when longer.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
