package infer

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"

	"tumorseg/internal/atomicio"
	"tumorseg/internal/preprocess"
)

// Paths are the files WriteOutputs wrote.
type Paths struct {
	// Mask is the prediction as a gray PNG, 255 for tumor and 0 elsewhere.
	Mask string `json:"mask"`
	// Overlay is the scan in gray with the prediction tinted red.
	Overlay string `json:"overlay"`
	// Findings is the findings as JSON.
	Findings string `json:"findings"`
}

// Overlay colours: tumor pixels mix the scan's gray with red at
// overlayAlpha; pixels on the outline of the prediction are pure red.
const overlayAlpha = 0.4

var outlineColor = color.NRGBA{R: 255, A: 255}

// WriteOutputs writes dir/<stem>_mask.png, dir/<stem>_overlay.png and
// dir/<stem>_findings.json for the prediction res on the scan img, creating
// dir when needed. Each file is written to a temporary name in dir, synced
// and renamed. stem must be a plain file name, without a folder.
func WriteOutputs(dir, stem string, img *preprocess.Image, res *Result) (Paths, error) {
	if stem == "" || stem == "." || stem == ".." || filepath.Base(stem) != stem {
		return Paths{}, fmt.Errorf("infer: output stem %q is not a plain file name", stem)
	}
	if err := checkImage(img); err != nil {
		return Paths{}, err
	}
	if res == nil || res.Prob == nil || res.Prob.W != img.W || res.Prob.H != img.H ||
		len(res.Mask) != img.W*img.H {
		return Paths{}, fmt.Errorf("infer: %s: result does not match the %dx%d scan",
			stem, img.W, img.H)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Paths{}, fmt.Errorf("infer: %w", err)
	}

	p := Paths{
		Mask:     filepath.Join(dir, stem+"_mask.png"),
		Overlay:  filepath.Join(dir, stem+"_overlay.png"),
		Findings: filepath.Join(dir, stem+"_findings.json"),
	}
	if err := atomicio.WriteFile(p.Mask, func(w io.Writer) error {
		return png.Encode(w, maskImage(img.W, img.H, res.Mask))
	}); err != nil {
		return Paths{}, err
	}
	if err := atomicio.WriteFile(p.Overlay, func(w io.Writer) error {
		return png.Encode(w, overlayImage(img, res.Mask))
	}); err != nil {
		return Paths{}, err
	}
	if err := atomicio.WriteFile(p.Findings, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res.Findings)
	}); err != nil {
		return Paths{}, err
	}
	return p, nil
}

// maskImage returns mask as a gray image, 255 where mask is nonzero.
func maskImage(w, h int, mask []uint8) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for i, v := range mask {
		if v != 0 {
			m.Pix[i] = 255
		}
	}
	return m
}

// Overlay returns the scan img in gray with the tumor pixels of mask
// (row-major at the scan's size, nonzero is tumor) tinted red and their
// outline in pure red: the image WriteOutputs writes as <stem>_overlay.png.
// It panics unless img holds W*H pixels and mask as many.
func Overlay(img *preprocess.Image, mask []uint8) *image.NRGBA {
	if n := img.W * img.H; len(img.Pix) != n || len(mask) != n {
		panic(fmt.Sprintf("infer: Overlay: %dx%d image with %d pixels and a mask of %d",
			img.W, img.H, len(img.Pix), len(mask)))
	}
	return overlayImage(img, mask)
}

// ScanImage returns the scan img as an 8-bit gray image, each pixel rounded
// to the nearest level, values outside [0,1] clamped.
func ScanImage(img *preprocess.Image) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, img.W, img.H))
	for i, v := range img.Pix {
		m.Pix[i] = grayLevel(v)
	}
	return m
}

// overlayImage returns the scan in gray with the tumor pixels of mask
// tinted red and its outline in outlineColor. An outline pixel is a tumor
// pixel with a left, right, upper or lower neighbour that is not tumor or
// lies outside the image.
func overlayImage(img *preprocess.Image, mask []uint8) *image.NRGBA {
	w, h := img.W, img.H
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	tumor := func(x, y int) bool {
		return x >= 0 && x < w && y >= 0 && y < h && mask[y*w+x] != 0
	}
	for y := range h {
		for x := range w {
			g := float64(grayLevel(img.Pix[y*w+x]))
			c := color.NRGBA{R: uint8(g), G: uint8(g), B: uint8(g), A: 255}
			switch {
			case !tumor(x, y):
			case !tumor(x-1, y) || !tumor(x+1, y) || !tumor(x, y-1) || !tumor(x, y+1):
				c = outlineColor
			default:
				rest := uint8(math.Round(g * (1 - overlayAlpha)))
				c.R = uint8(math.Round(g*(1-overlayAlpha) + 255*overlayAlpha))
				c.G, c.B = rest, rest
			}
			out.SetNRGBA(x, y, c)
		}
	}
	return out
}

// grayLevel returns v in [0,1] as an 8-bit level, clamping values outside.
func grayLevel(v float32) uint8 {
	return uint8(math.Round(float64(max(0, min(1, v))) * 255))
}
