package infer

import (
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tumorseg/internal/preprocess"
)

// decodePNG reads the PNG at path.
func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// discOutputs predicts the radius-3 disc on an 8x8 scan of gray 0.5 and
// writes the outputs under a temporary folder.
func discOutputs(t *testing.T) (*Result, Paths) {
	t.Helper()
	img := gray(8, 8, 0.5)
	res, err := Predict(&fakeSegmenter{size: 8, prob: disc(8, 4, 4, 3)}, img, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	res.Findings.Image = "scan.png"
	p, err := WriteOutputs(filepath.Join(t.TempDir(), "out"), "scan", img, res)
	if err != nil {
		t.Fatal(err)
	}
	return res, p
}

func TestWriteOutputsMask(t *testing.T) {
	res, p := discOutputs(t)
	m, ok := decodePNG(t, p.Mask).(*image.Gray)
	if !ok || m.Rect.Dx() != 8 || m.Rect.Dy() != 8 {
		t.Fatalf("mask is %T %v, want 8x8 gray", m, m.Rect)
	}
	for i, v := range m.Pix {
		if want := 255 * res.Mask[i]; v != want {
			t.Fatalf("mask pixel %d = %d, want %d", i, v, want)
		}
	}
}

func TestWriteOutputsOverlayColours(t *testing.T) {
	_, p := discOutputs(t)
	m := decodePNG(t, p.Overlay)
	if b := m.Bounds(); b.Dx() != 8 || b.Dy() != 8 {
		t.Fatalf("overlay is %v, want 8x8", b)
	}

	// Gray 0.5 is level 128; inside, 0.6*128 + 0.4*255 = 178.8 and 0.6*128 = 76.8.
	tests := []struct {
		name string
		x, y int
		want color.NRGBA
	}{
		{"background corner", 0, 0, color.NRGBA{128, 128, 128, 255}},
		{"background beside the disc", 0, 3, color.NRGBA{128, 128, 128, 255}},
		{"tumor inside", 3, 3, color.NRGBA{179, 77, 77, 255}},
		{"tumor inside, other quadrant", 4, 5, color.NRGBA{179, 77, 77, 255}},
		{"outline, left edge of the disc", 1, 3, color.NRGBA{255, 0, 0, 255}},
		{"outline, corner of the disc", 2, 1, color.NRGBA{255, 0, 0, 255}},
	}
	for _, tt := range tests {
		got := color.NRGBAModel.Convert(m.At(tt.x, tt.y)).(color.NRGBA)
		if got != tt.want {
			t.Errorf("%s (%d,%d) = %v, want %v", tt.name, tt.x, tt.y, got, tt.want)
		}
	}
}

func TestWriteOutputsFindings(t *testing.T) {
	res, p := discOutputs(t)
	b, err := os.ReadFile(p.Findings)
	if err != nil {
		t.Fatal(err)
	}
	var f Findings
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if f.Image != "scan.png" || f.AreaPixels != 32 || *f.BBox != *res.Findings.BBox ||
		f.MeanProbability != 1 || f.Threshold != 0.5 || f.AreaFraction != 0.5 {
		t.Errorf("findings file = %+v, want %+v", f, res.Findings)
	}

	dir := filepath.Dir(p.Findings)
	if want := filepath.Join(dir, "scan_mask.png"); p.Mask != want {
		t.Errorf("mask path %s, want %s", p.Mask, want)
	}
	if want := filepath.Join(dir, "scan_overlay.png"); p.Overlay != want {
		t.Errorf("overlay path %s, want %s", p.Overlay, want)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("%s holds %d files, want 3 and no temporary ones", dir, len(entries))
	}
}

func TestWriteOutputsErrors(t *testing.T) {
	img := gray(8, 8, 0.5)
	res, err := Predict(&fakeSegmenter{size: 8, prob: disc(8, 4, 4, 3)}, img, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		stem string
		img  *preprocess.Image
		res  *Result
		want string
	}{
		{"empty stem", "", img, res, `stem ""`},
		{"stem with a folder", "../scan", img, res, `stem "../scan"`},
		{"dot-dot stem", "..", img, res, `stem ".."`},
		{"other size", "scan", gray(4, 4, 0.5), res, "result does not match the 4x4 scan"},
		{"no result", "scan", img, nil, "result does not match the 8x8 scan"},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		_, err := WriteOutputs(dir, tt.stem, tt.img, tt.res)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one with %q", tt.name, err, tt.want)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%s: wrote %d files despite the error", tt.name, len(entries))
		}
	}
}
