package cache

import (
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"

	"tumorseg/internal/preprocess"
)

// writePreview writes img as base.png, 16-bit gray, and mask as
// base_mask.png, 0 or 255.
func writePreview(base string, img *preprocess.Image, mask []uint8) error {
	if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
		return &Error{filepath.Dir(base), err.Error()}
	}

	g := image.NewGray16(image.Rect(0, 0, img.W, img.H))
	for i, v := range img.Pix {
		q := uint16(math.Round(float64(min(max(v, 0), 1)) * 65535))
		g.Pix[2*i], g.Pix[2*i+1] = uint8(q>>8), uint8(q)
	}
	if err := writePNG(base+".png", g); err != nil {
		return err
	}

	m := image.NewGray(image.Rect(0, 0, img.W, img.H))
	for i, v := range mask {
		m.Pix[i] = 255 * v
	}
	return writePNG(base+"_mask.png", m)
}

func writePNG(path string, m image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return &Error{path, err.Error()}
	}
	err = png.Encode(f, m)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return &Error{path, err.Error()}
	}
	return nil
}
