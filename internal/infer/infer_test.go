package infer

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"tumorseg/internal/preprocess"
)

// fakeSegmenter returns fixed probabilities and records what it was given.
type fakeSegmenter struct {
	size int
	prob []float32
	err  error
	seen []float32
}

func (f *fakeSegmenter) Size() int { return f.size }

func (f *fakeSegmenter) Probabilities(img []float32) ([]float32, error) {
	f.seen = append([]float32(nil), img...)
	return f.prob, f.err
}

// namedSegmenter is a fakeSegmenter that names its model.
type namedSegmenter struct{ fakeSegmenter }

func (namedSegmenter) Name() string { return "disc" }

// disc returns size×size probabilities, 1 where the pixel centre lies
// within radius r of (cx, cy) and 0 elsewhere.
func disc(size int, cx, cy, r float64) []float32 {
	p := make([]float32, size*size)
	for y := range size {
		for x := range size {
			if math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy) < r {
				p[y*size+x] = 1
			}
		}
	}
	return p
}

// fill returns n copies of v.
func fill(n int, v float32) []float32 {
	p := make([]float32, n)
	for i := range p {
		p[i] = v
	}
	return p
}

// gray returns a w×h scan of constant value v.
func gray(w, h int, v float32) *preprocess.Image {
	return &preprocess.Image{W: w, H: h, Pix: fill(w*h, v)}
}

func TestPredictFindings(t *testing.T) {
	// halves is 8x8: the left four columns 1, the right four 0.
	halves := make([]float32, 64)
	for i := range halves {
		if i%8 < 4 {
			halves[i] = 1
		}
	}
	// pattern is 8x8: 0.8 in columns 2..4 of rows 3..4, 0.6 at (5,4), 0.2 elsewhere.
	pattern := fill(64, 0.2)
	for y := 3; y <= 4; y++ {
		for x := 2; x <= 4; x++ {
			pattern[y*8+x] = 0.8
		}
	}
	pattern[4*8+5] = 0.6

	tests := []struct {
		name      string
		img       *preprocess.Image
		prob      []float32
		threshold float64
		area      int
		bbox      *Box
		mean      float64
	}{
		// Centres within 3 of (4,4): 6+6+4 per half, 32 pixels in rows and columns 1..6.
		{"disc at the network size", gray(8, 8, 0.5), disc(8, 4, 4, 3), 0.5,
			32, &Box{X: 1, Y: 1, W: 6, H: 6}, 1},
		{"pattern", gray(8, 8, 0.5), pattern, 0.5,
			7, &Box{X: 2, Y: 3, W: 4, H: 2}, (6*float64(float32(0.8)) + float64(float32(0.6))) / 7},
		{"threshold above the pattern's edge", gray(8, 8, 0.5), pattern, 0.7,
			6, &Box{X: 2, Y: 3, W: 3, H: 2}, float64(float32(0.8))},
		// Back at 16 wide, column 7 samples 3.25 (0.75) and column 8 samples 3.75
		// (0.25): 8 columns of 16 rows, mean (7 + 0.75)/8.
		{"halves resized up", gray(16, 16, 0.5), halves, 0.5,
			128, &Box{X: 0, Y: 0, W: 8, H: 16}, 7.75 / 8},
		{"constant resized down", gray(4, 4, 0.5), fill(64, 0.7), 0.5,
			16, &Box{X: 0, Y: 0, W: 4, H: 4}, float64(float32(0.7))},
		{"no tumor", gray(8, 8, 0.5), fill(64, 0.1), 0.5, 0, nil, 0},
	}
	for _, tt := range tests {
		seg := &fakeSegmenter{size: 8, prob: tt.prob}
		res, err := Predict(seg, tt.img, float32(tt.threshold))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		f := res.Findings
		w, h := tt.img.W, tt.img.H
		if f.Schema != FindingsSchema || f.Width != w || f.Height != h {
			t.Errorf("%s: schema, size = %q, %dx%d", tt.name, f.Schema, f.Width, f.Height)
		}
		if f.AreaPixels != tt.area || f.TumorFound != (tt.area > 0) {
			t.Errorf("%s: area %d, found %v; want %d", tt.name, f.AreaPixels, f.TumorFound, tt.area)
		}
		if want := float64(tt.area) / float64(w*h); f.AreaFraction != want {
			t.Errorf("%s: area fraction %v, want %v", tt.name, f.AreaFraction, want)
		}
		if (f.BBox == nil) != (tt.bbox == nil) || f.BBox != nil && *f.BBox != *tt.bbox {
			t.Errorf("%s: bbox %+v, want %+v", tt.name, f.BBox, tt.bbox)
		}
		if math.Abs(f.MeanProbability-tt.mean) > 1e-6 {
			t.Errorf("%s: mean probability %v, want %v", tt.name, f.MeanProbability, tt.mean)
		}
		if f.Threshold != tt.threshold {
			t.Errorf("%s: threshold %v, want %v", tt.name, f.Threshold, tt.threshold)
		}
		if res.Prob.W != w || res.Prob.H != h || len(res.Mask) != w*h {
			t.Errorf("%s: result is %dx%d with %d mask pixels, want %dx%d",
				tt.name, res.Prob.W, res.Prob.H, len(res.Mask), w, h)
		}
		var n int
		for _, m := range res.Mask {
			n += int(m)
		}
		if n != tt.area {
			t.Errorf("%s: mask has %d tumor pixels, findings say %d", tt.name, n, tt.area)
		}
		if len(seg.seen) != 64 || seg.seen[0] != 0.5 || seg.seen[63] != 0.5 {
			t.Errorf("%s: segmenter saw %d pixels, want 64 of 0.5", tt.name, len(seg.seen))
		}
	}
}

func TestPredictReportsThresholdAndModel(t *testing.T) {
	seg := &namedSegmenter{fakeSegmenter{size: 8, prob: disc(8, 4, 4, 3)}}
	res, err := Predict(seg, gray(8, 8, 0.5), 0.3)
	if err != nil {
		t.Fatal(err)
	}
	if res.Findings.Threshold != 0.3 || res.Findings.Model != "disc" {
		t.Errorf("threshold, model = %v, %q; want 0.3, disc",
			res.Findings.Threshold, res.Findings.Model)
	}
	if res.Findings.Image != "" {
		t.Errorf("Image = %q, want it left to the caller", res.Findings.Image)
	}
}

func TestPredictErrors(t *testing.T) {
	nan := fill(64, 0.5)
	nan[9] = float32(math.NaN())
	tests := []struct {
		name      string
		seg       Segmenter
		img       *preprocess.Image
		threshold float32
		want      string
	}{
		{"no segmenter", nil, gray(8, 8, 0), 0.5, "no segmenter"},
		{"no image", &fakeSegmenter{size: 8}, nil, 0.5, "no image"},
		{"short image", &fakeSegmenter{size: 8},
			&preprocess.Image{W: 4, H: 4, Pix: make([]float32, 15)}, 0.5, "4x4 with 15 pixels"},
		{"zero threshold", &fakeSegmenter{size: 8}, gray(8, 8, 0), 0, "threshold 0"},
		{"threshold above 1", &fakeSegmenter{size: 8}, gray(8, 8, 0), 1.5, "threshold 1.5"},
		{"zero size", &fakeSegmenter{size: 0}, gray(8, 8, 0), 0.5, "size 0"},
		{"segmenter fails", &fakeSegmenter{size: 8, err: errors.New("out of memory")},
			gray(8, 8, 0), 0.5, "segmenter: out of memory"},
		{"wrong count", &fakeSegmenter{size: 8, prob: fill(63, 0)}, gray(8, 8, 0), 0.5,
			"63 probabilities, want 8x8"},
		{"NaN", &fakeSegmenter{size: 8, prob: nan}, gray(8, 8, 0), 0.5,
			"probability NaN at pixel (1,1)"},
		{"above 1", &fakeSegmenter{size: 8, prob: fill(64, 1.25)}, gray(8, 8, 0), 0.5,
			"probability 1.25 at pixel (0,0)"},
	}
	for _, tt := range tests {
		_, err := Predict(tt.seg, tt.img, tt.threshold)
		if err == nil || !strings.HasPrefix(err.Error(), "infer: ") ||
			!strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one with %q", tt.name, err, tt.want)
		}
	}
}

func TestFindingsJSON(t *testing.T) {
	for _, tt := range []struct {
		prob []float32
		bbox string
	}{
		{disc(8, 4, 4, 3), `{"x":1,"y":1,"w":6,"h":6}`},
		{fill(64, 0), `null`},
	} {
		res, err := Predict(&fakeSegmenter{size: 8, prob: tt.prob}, gray(8, 8, 0.5), 0.5)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(res.Findings)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"schema", "image", "width", "height", "pixel_spacing_mm",
			"threshold", "min_area_pixels", "model", "model_val_dice", "brain_area_pixels",
			"tumor_found", "region_count", "regions", "dropped_regions", "dropped_area_pixels",
			"area_pixels", "area_fraction", "brain_fraction", "area_mm2", "bbox",
			"mean_probability", "position_note"} {
			if _, ok := m[k]; !ok {
				t.Errorf("findings JSON lacks %q: %s", k, b)
			}
		}
		if string(m["bbox"]) != tt.bbox {
			t.Errorf("bbox = %s, want %s", m["bbox"], tt.bbox)
		}
	}
}
