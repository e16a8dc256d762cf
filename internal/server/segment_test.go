package server

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tumorseg/internal/infer"
)

// decodeDataURI decodes a PNG data URI of an answer.
func decodeDataURI(t *testing.T, uri string) image.Image {
	t.Helper()
	b64, ok := strings.CutPrefix(uri, dataURIPrefix)
	if !ok {
		t.Fatalf("%.40q is not a PNG data URI", uri)
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	m, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSegmentMeasuresTheFakeSquare(t *testing.T) {
	_, ts := testServer(t, Config{})
	scan := scanPNG(t, 64, 64)
	resp := postForm(t, ts.URL+"/api/v1/segment", imagePart("brain.png", scan),
		field(FieldPixelSpacing, "0.5"))
	var got SegmentResponse
	decode(t, resp, http.StatusOK, &got)

	f := got.Findings
	// The fake network marks columns and rows 16..31 with 0.9: 256 pixels
	// whose centroid (23.5, 23.5) lies above and left of the midlines 31.5.
	p := float64(float32(0.9))
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"schema", f.Schema, infer.FindingsSchema},
		{"image", f.Image, "brain.png"},
		{"size", [2]int{f.Width, f.Height}, [2]int{64, 64}},
		{"model", f.Model, "fake"},
		{"model_val_dice", *f.ModelValDice, 0.75},
		{"threshold", f.Threshold, 0.5},
		{"min_area_pixels", f.MinAreaPixels, 1},
		{"tumor_found", f.TumorFound, true},
		{"region_count", f.RegionCount, 1},
		{"area_pixels", f.AreaPixels, 256},
		{"area_fraction", f.AreaFraction, 0.0625},
		{"area_mm2", *f.AreaMM2, 64.0},
		{"pixel_spacing_mm", *f.PixelSpacingMM, 0.5},
		{"bbox", *f.BBox, infer.Box{X: 16, Y: 16, W: 16, H: 16}},
		{"centroid", f.Regions[0].Centroid, infer.Point{X: 23.5, Y: 23.5}},
		{"position", f.Regions[0].Position,
			infer.Position{Vertical: infer.Upper, Horizontal: infer.Left}},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if math.Abs(f.MeanProbability-p) > 1e-12 {
		t.Errorf("mean_probability = %v, want %v", f.MeanProbability, p)
	}

	// The mask is 255 on the square only; the overlay is pure red on the
	// square's outline; the scan comes back as it was sent.
	mask := decodeDataURI(t, got.Mask).(*image.Gray)
	overlay := decodeDataURI(t, got.Overlay)
	back := decodeDataURI(t, got.Scan).(*image.Gray)
	sent, _ := png.Decode(bytes.NewReader(scan))
	for y := range 64 {
		for x := range 64 {
			in := x >= 16 && x < 32 && y >= 16 && y < 32
			if v := mask.GrayAt(x, y).Y; (v == 255) != in || (v != 0 && v != 255) {
				t.Fatalf("mask at (%d,%d) = %d", x, y, v)
			}
			if back.GrayAt(x, y) != sent.(*image.Gray).GrayAt(x, y) {
				t.Fatalf("scan at (%d,%d) = %v, sent %v", x, y, back.GrayAt(x, y),
					sent.At(x, y))
			}
		}
	}
	red := color.NRGBAModel.Convert(overlay.At(16, 20)).(color.NRGBA)
	if red != (color.NRGBA{R: 255, A: 255}) {
		t.Errorf("overlay at the outline (16,20) = %v, want pure red", red)
	}
}

func TestSegmentRefusesBadRequests(t *testing.T) {
	_, ts := testServer(t, Config{MaxSide: 1024})
	scan := scanPNG(t, 64, 64)
	for _, tc := range []struct {
		name   string
		parts  []part
		status int
		want   string
	}{
		{"no scan", []part{field(FieldModel, "fake")}, 400, `no scan in the field "image"`},
		{"empty scan", []part{imagePart("a.png", nil)}, 400, "no scan"},
		{"unknown field", []part{imagePart("a.png", scan), field("spacing", "1")}, 400,
			`unknown field "spacing" (want image, model, pixel_spacing)`},
		{"repeated field", []part{imagePart("a.png", scan), imagePart("b.png", scan)}, 400,
			`field "image" is sent twice`},
		{"long field", []part{imagePart("a.png", scan), field(FieldModel,
			strings.Repeat("x", 2000))}, 400, `field "model" is longer than 1024 bytes`},
		{"unknown model", []part{imagePart("a.png", scan), field(FieldModel, "resunet")}, 404,
			`no network named "resunet" is loaded`},
		{"spacing not a number", []part{imagePart("a.png", scan),
			field(FieldPixelSpacing, "half")}, 400, `pixel_spacing "half" is not a number`},
		{"spacing too large", []part{imagePart("a.png", scan),
			field(FieldPixelSpacing, "11")}, 400, "in (0, 10]"},
		{"not an image", []part{imagePart("a.txt", []byte("hello"))}, 415,
			"a.txt is not a PNG, JPEG or TIFF image"},
		{"gif", []part{imagePart("a.gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00"))},
			415, "a.gif is a GIF image"},
		{"bomb", []part{imagePart("bomb.png", bombPNG(100000, 100000))}, 413,
			"bomb.png: image is 100000x100000, larger than 1024 on a side"},
		{"wide", []part{imagePart("wide.png", bombPNG(2000, 10))}, 413,
			"image is 2000x10, larger than 1024"},
		{"broken pixels", []part{imagePart("cut.png", bombPNG(64, 64))}, 422,
			"preprocess: cut.png: decoding png"},
		{"file name cleaned", []part{imagePart(`C:\scans\x.txt`, []byte("hi"))}, 415,
			"x.txt is not"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := postForm(t, ts.URL+"/api/v1/segment", tc.parts...)
			wantError(t, resp, tc.status, tc.want)
		})
	}
}

func TestSegmentNeedsAMultipartBody(t *testing.T) {
	_, ts := testServer(t, Config{})
	for _, tc := range []struct {
		name, ct, body string
	}{
		{"json", "application/json", `{"image": "x"}`},
		{"no boundary", "multipart/form-data", "--x\r\n"},
		{"cut short", "multipart/form-data; boundary=x",
			"--x\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\nab"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := post(t, ts.URL+"/api/v1/segment", tc.ct, strings.NewReader(tc.body), "")
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", resp.StatusCode)
			}
		})
	}
}

func TestSegmentRefusesLargeBodies(t *testing.T) {
	_, ts := testServer(t, Config{MaxUploadBytes: 1 << 20})
	big := bytes.Repeat([]byte{0}, 2<<20)
	body, ct := multipartBody(t, imagePart("big.png", big))

	t.Run("declared length", func(t *testing.T) {
		resp := post(t, ts.URL+"/api/v1/segment", ct, bytes.NewReader(body.Bytes()), "")
		wantError(t, resp, http.StatusRequestEntityTooLarge, "larger than 1 MB")
	})
	t.Run("chunked", func(t *testing.T) {
		// A reader of unknown length makes the client send the body chunked,
		// so only reading it finds it too large.
		resp := post(t, ts.URL+"/api/v1/segment", ct, struct{ *bytes.Reader }{
			bytes.NewReader(body.Bytes())}, "")
		wantError(t, resp, http.StatusRequestEntityTooLarge, "larger than 1 MB")
	})
}

func TestSegmentChoosesTheNetwork(t *testing.T) {
	a, b := newSquare(), &squareSeg{size: 32, lo: 0, hi: 6, p: 1}
	_, ts := testServer(t, Config{Networks: []Network{fakeNetwork("a", a),
		fakeNetwork("b", b)}})
	scan := scanPNG(t, 64, 64)
	for _, tc := range []struct {
		model    string
		wantArea int
	}{
		{"", 256}, // the first network is the default
		{"a", 256},
		// b marks 6x6 of its 32x32 input. Scaled up bilinearly to 64x64,
		// column x samples the input at (x+0.5)/2-0.5: columns 0..11 come to
		// at least 0.5 (column 11 samples 5.25, 0.75 inside).
		{"b", 144},
	} {
		parts := []part{imagePart("s.png", scan)}
		if tc.model != "" {
			parts = append(parts, field(FieldModel, tc.model))
		}
		var got SegmentResponse
		decode(t, postForm(t, ts.URL+"/api/v1/segment", parts...), http.StatusOK, &got)
		want := tc.model
		if want == "" {
			want = "a"
		}
		if got.Findings.Model != want || got.Findings.AreaPixels != tc.wantArea {
			t.Errorf("model %q: findings of %q with %d pixels, want %q with %d", tc.model,
				got.Findings.Model, got.Findings.AreaPixels, want, tc.wantArea)
		}
	}
}

func TestKeepUploads(t *testing.T) {
	scan := scanPNG(t, 64, 64)
	t.Run("kept when asked", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "kept")
		_, ts := testServer(t, Config{KeepUploads: dir})
		decode(t, postForm(t, ts.URL+"/api/v1/segment", imagePart("s.png", scan)),
			http.StatusOK, nil)
		files, err := filepath.Glob(filepath.Join(dir, "*.png"))
		if err != nil || len(files) != 1 {
			t.Fatalf("kept %v (%v), want one PNG", files, err)
		}
		data, err := os.ReadFile(files[0])
		if err != nil || !bytes.Equal(data, scan) {
			t.Errorf("kept file differs from the upload (%v)", err)
		}
	})
	t.Run("nothing on disk by default", func(t *testing.T) {
		// Temporary files, where multipart parsing could spill a large
		// upload, would land in TMPDIR.
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		_, ts := testServer(t, Config{})
		big := scanPNG(t, 1500, 1500)
		decode(t, postForm(t, ts.URL+"/api/v1/segment", imagePart("s.png", big)),
			http.StatusOK, nil)
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("TMPDIR holds %d files after an upload, want none", len(left))
		}
	})
}
