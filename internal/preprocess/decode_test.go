package preprocess

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/tiff"
)

func encodePNG(t *testing.T, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeTIFF(t *testing.T, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := tiff.Encode(&b, m, &tiff.Options{Compression: tiff.Deflate}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t *testing.T, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gray8(w, h int, pix ...uint8) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	copy(m.Pix, pix)
	return m
}

func gray16(w, h int, pix ...uint16) *image.Gray16 {
	m := image.NewGray16(image.Rect(0, 0, w, h))
	for i, v := range pix {
		m.SetGray16(i%w, i/w, color.Gray16{Y: v})
	}
	return m
}

// rgb64 is a 2x1 opaque image of 16-bit red and white, so that png and tiff
// write it with 16 bits per sample.
func rgb64() *image.RGBA64 {
	m := image.NewRGBA64(image.Rect(0, 0, 2, 1))
	m.SetRGBA64(0, 0, color.RGBA64{R: 65535, A: 65535})
	m.SetRGBA64(1, 0, color.RGBA64{R: 65535, G: 65535, B: 65535, A: 65535})
	return m
}

func rgb8(w, h int, c color.RGBA) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return m
}

func TestDecodeReader(t *testing.T) {
	tests := []struct {
		name string
		data func(t *testing.T) []byte
		w, h int
		want []float32
		tol  float64
	}{
		{
			name: "png 8-bit gray",
			data: func(t *testing.T) []byte { return encodePNG(t, gray8(3, 1, 0, 128, 255)) },
			w:    3, h: 1,
			want: []float32{0, 128.0 / 255, 1},
		},
		{
			name: "png 16-bit gray is scaled by 65535",
			data: func(t *testing.T) []byte {
				return encodePNG(t, gray16(2, 2, 0, 65535, 32768, 1000))
			},
			w: 2, h: 2,
			want: []float32{0, 1, 32768.0 / 65535, 1000.0 / 65535},
		},
		{
			name: "png 16-bit colour by BT.601 luminance",
			data: func(t *testing.T) []byte { return encodePNG(t, rgb64()) },
			w:    2, h: 1,
			want: []float32{0.299, 1},
			tol:  1e-7,
		},
		{
			name: "png 8-bit colour by BT.601 luminance",
			data: func(t *testing.T) []byte {
				return encodePNG(t, rgb8(1, 1, color.RGBA{200, 100, 50, 255}))
			},
			w: 1, h: 1,
			// 0.299*200 + 0.587*100 + 0.114*50 = 124.2
			want: []float32{124.2 / 255},
			tol:  1e-7,
		},
		{
			name: "tiff 8-bit gray",
			data: func(t *testing.T) []byte { return encodeTIFF(t, gray8(2, 1, 51, 204)) },
			w:    2, h: 1,
			want: []float32{0.2, 0.8},
		},
		{
			name: "tiff 16-bit gray",
			data: func(t *testing.T) []byte { return encodeTIFF(t, gray16(1, 2, 65535, 13107)) },
			w:    1, h: 2,
			want: []float32{1, 0.2},
		},
		{
			name: "tiff 16-bit colour",
			data: func(t *testing.T) []byte { return encodeTIFF(t, rgb64()) },
			w:    2, h: 1,
			want: []float32{0.299, 1},
			tol:  1e-7,
		},
		{
			// Quality 100 quantizes a flat block's DC term by 1: exact.
			name: "jpeg gray",
			data: func(t *testing.T) []byte {
				return encodeJPEG(t, gray8(8, 1, 90, 90, 90, 90, 90, 90, 90, 90))
			},
			w: 8, h: 1,
			want: []float32{
				90.0 / 255, 90.0 / 255, 90.0 / 255, 90.0 / 255,
				90.0 / 255, 90.0 / 255, 90.0 / 255, 90.0 / 255,
			},
		},
		{
			// The luma of (200,100,50) is 124.2; JPEG stores it rounded.
			name: "jpeg colour uses luma",
			data: func(t *testing.T) []byte {
				return encodeJPEG(t, rgb8(1, 1, color.RGBA{200, 100, 50, 255}))
			},
			w: 1, h: 1,
			want: []float32{124.0 / 255},
			tol:  1.01 / 255,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeReader(bytes.NewReader(tt.data(t)), "x")
			if err != nil {
				t.Fatal(err)
			}
			if got.W != tt.w || got.H != tt.h || len(got.Pix) != tt.w*tt.h {
				t.Fatalf("got %dx%d with %d pixels, want %dx%d",
					got.W, got.H, len(got.Pix), tt.w, tt.h)
			}
			for i, v := range got.Pix {
				if math.Abs(float64(v)-float64(tt.want[i])) > tt.tol {
					t.Errorf("pixel %d = %v, want %v (tolerance %g)", i, v, tt.want[i], tt.tol)
				}
			}
		})
	}
}

// pngClaiming returns a valid 1x1 PNG whose header claims w x h.
func pngClaiming(t *testing.T, w, h uint32) []byte {
	data := encodePNG(t, gray8(1, 1, 0))
	// Signature (8), IHDR length (4) and type (4), then width and height.
	binary.BigEndian.PutUint32(data[16:], w)
	binary.BigEndian.PutUint32(data[20:], h)
	binary.BigEndian.PutUint32(data[29:], crc32.ChecksumIEEE(data[12:29]))
	return data
}

func TestDecodeReaderErrors(t *testing.T) {
	truncated := encodePNG(t, gray8(16, 16))
	truncated = truncated[:len(truncated)-20]
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"too wide", pngClaiming(t, 20000, 1),
			"preprocess: scan.png: image is 20000x1, larger than 16384 on a side"},
		{"too many pixels", pngClaiming(t, 10000, 10000),
			"preprocess: scan.png: image is 10000x10000, more than 67108864 pixels"},
		{"not an image", []byte("GIF89a......"),
			"preprocess: scan.png: unsupported image format (want JPEG, PNG or TIFF)"},
		{"empty", nil,
			"preprocess: scan.png: unsupported image format (want JPEG, PNG or TIFF)"},
		{"truncated", truncated, "preprocess: scan.png: decoding png: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeReader(bytes.NewReader(tt.data), "scan.png")
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDecodeFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.png")
	if err := os.WriteFile(path, encodePNG(t, gray8(2, 1, 0, 255)), 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := Decode(path)
	if err != nil {
		t.Fatal(err)
	}
	if img.W != 2 || img.H != 1 || img.At(0, 0) != 0 || img.At(1, 0) != 1 {
		t.Errorf("got %+v", img)
	}

	missing := filepath.Join(dir, "none.png")
	_, err = Decode(missing)
	if want := "preprocess: " + missing + ": file does not exist"; err == nil ||
		err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}
