// Package preprocess turns a case's image file and annotations into the
// pixels the networks see: one gray channel in [0,1], resized with bilinear
// filtering, and a binary mask rasterized at the source resolution and
// resized by area coverage.
//
// Supported image formats are JPEG, PNG (8 and 16 bit per sample) and TIFF
// (https://www.itu.int/rec/T-REC-T.81, https://www.w3.org/TR/png/,
// https://www.itu.int/itudoc/itu-t/com16/tiff-fx/docs/tiff6.pdf).
package preprocess

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"

	"golang.org/x/image/tiff"
)

// Limits on what Decode accepts, checked before any pixel is decoded so that
// a small file claiming a huge image cannot exhaust memory.
const (
	// MaxSide is the largest width or height accepted, in pixels.
	MaxSide = 16384
	// MaxPixels is the largest width*height accepted.
	MaxPixels = 1 << 26
	// MaxFileBytes is the largest encoded image file accepted.
	MaxFileBytes = 1 << 30
)

// Luminance weights of ITU-R BT.601, used to turn colour into gray.
const (
	lumaR = 0.299
	lumaG = 0.587
	lumaB = 0.114
)

// Image is a gray image with pixels scaled to [0,1], row-major, len(Pix)==W*H.
type Image struct {
	W, H int
	Pix  []float32
}

// At returns the pixel in column x and row y.
func (m *Image) At(x, y int) float32 { return m.Pix[y*m.W+x] }

// Error is a problem with one image file.
type Error struct {
	Name    string // the file, as given to Decode or DecodeReader
	Problem string
}

// Error returns "preprocess: <name>: <problem>".
func (e *Error) Error() string { return "preprocess: " + e.Name + ": " + e.Problem }

// format is an encoded image format recognised by its leading bytes.
type format struct {
	name   string
	magic  []string
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

var formats = []format{
	{"jpeg", []string{"\xff\xd8"}, jpeg.DecodeConfig, jpeg.Decode},
	{"png", []string{"\x89PNG\r\n\x1a\n"}, png.DecodeConfig, png.Decode},
	{"tiff", []string{"II*\x00", "MM\x00*"}, tiff.DecodeConfig, tiff.Decode},
}

// Decode reads the image file at path and returns it as one gray channel in
// [0,1]. See DecodeReader for the conversion.
func Decode(path string) (*Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{path, openProblem(err)}
	}
	defer f.Close()
	return DecodeReader(f, path)
}

func openProblem(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "file does not exist"
	case errors.Is(err, os.ErrPermission):
		return "permission denied"
	}
	return err.Error()
}

// DecodeReader decodes a JPEG, PNG or TIFF image from r; name identifies the
// image in errors. Gray images keep their values; colour images become
// 0.299R + 0.587G + 0.114B (ITU-R BT.601); JPEG colour images use their
// luma channel, which JFIF defines by the same weights. Values are divided
// by the maximum of the bit depth, 255 or 65535. Alpha is ignored.
//
// The declared dimensions are checked against MaxSide and MaxPixels before
// the pixels are decoded.
func DecodeReader(r io.Reader, name string) (*Image, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, &Error{name, "reading: " + err.Error()}
	}
	if len(data) > MaxFileBytes {
		return nil, &Error{name, fmt.Sprintf("file is larger than %d bytes", MaxFileBytes)}
	}

	f, ok := sniff(data)
	if !ok {
		return nil, &Error{name, "unsupported image format (want JPEG, PNG or TIFF)"}
	}

	cfg, err := f.config(bytes.NewReader(data))
	if err != nil {
		return nil, &Error{name, fmt.Sprintf("bad %s header: %v", f.name, err)}
	}
	if err := checkDimensions(cfg.Width, cfg.Height); err != "" {
		return nil, &Error{name, err}
	}

	m, err := f.decode(bytes.NewReader(data))
	if err != nil {
		return nil, &Error{name, fmt.Sprintf("decoding %s: %v", f.name, err)}
	}
	b := m.Bounds()
	if err := checkDimensions(b.Dx(), b.Dy()); err != "" {
		return nil, &Error{name, err}
	}
	return toGray(m), nil
}

func sniff(data []byte) (format, bool) {
	for _, f := range formats {
		for _, m := range f.magic {
			if bytes.HasPrefix(data, []byte(m)) {
				return f, true
			}
		}
	}
	return format{}, false
}

// checkDimensions returns why a w x h image is refused, or "" when it is not.
func checkDimensions(w, h int) string {
	switch {
	case w <= 0 || h <= 0:
		return fmt.Sprintf("image is %dx%d, want positive dimensions", w, h)
	case w > MaxSide || h > MaxSide:
		return fmt.Sprintf("image is %dx%d, larger than %d on a side", w, h, MaxSide)
	case w*h > MaxPixels:
		return fmt.Sprintf("image is %dx%d, more than %d pixels", w, h, MaxPixels)
	}
	return ""
}

// toGray converts m to one channel in [0,1]; the common layouts have a
// direct path, everything else goes through 16-bit non-premultiplied RGB.
//
// TODO(lgg): LGG slices carry three MRI sequences (pre-contrast, FLAIR,
// post-contrast) as colour channels; luminance mixes them, while their
// masks were drawn on FLAIR alone. Taking the FLAIR channel needs an
// option here and a way for the dataset to say which channel it is.
func toGray(m image.Image) *Image {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	out := &Image{W: w, H: h, Pix: make([]float32, w*h)}
	switch m := m.(type) {
	case *image.Gray:
		for y := range h {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			for x, v := range row {
				out.Pix[y*w+x] = float32(v) / 255
			}
		}
	case *image.Gray16:
		for y := range h {
			row := m.Pix[y*m.Stride : y*m.Stride+2*w]
			for x := range w {
				v := uint16(row[2*x])<<8 | uint16(row[2*x+1])
				out.Pix[y*w+x] = float32(v) / 65535
			}
		}
	case *image.YCbCr:
		for y := range h {
			row := m.Y[y*m.YStride : y*m.YStride+w]
			for x, v := range row {
				out.Pix[y*w+x] = float32(v) / 255
			}
		}
	case *image.NRGBA:
		for y := range h {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := range w {
				p := row[4*x : 4*x+3]
				out.Pix[y*w+x] = luminance(float64(p[0]), float64(p[1]), float64(p[2]), 255)
			}
		}
	case *image.RGBA:
		for y := range h {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := range w {
				p := row[4*x : 4*x+4]
				if p[3] != 0xff {
					out.Pix[y*w+x] = grayAt(m, b.Min.X+x, b.Min.Y+y)
					continue
				}
				out.Pix[y*w+x] = luminance(float64(p[0]), float64(p[1]), float64(p[2]), 255)
			}
		}
	default:
		for y := range h {
			for x := range w {
				out.Pix[y*w+x] = grayAt(m, b.Min.X+x, b.Min.Y+y)
			}
		}
	}
	return out
}

// grayAt is the luminance of m's pixel at (x, y) with its alpha undone.
func grayAt(m image.Image, x, y int) float32 {
	c := color.NRGBA64Model.Convert(m.At(x, y)).(color.NRGBA64)
	return luminance(float64(c.R), float64(c.G), float64(c.B), 65535)
}

func luminance(r, g, b, max float64) float32 {
	v := (lumaR*r + lumaG*g + lumaB*b) / max
	return float32(min(v, 1))
}
