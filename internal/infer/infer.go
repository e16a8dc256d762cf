// Package infer turns one scan into tumor probabilities, a prediction mask
// and findings, and writes them out as a mask, an overlay and JSON.
//
// The network sees a square image of its own size: Predict resizes the scan
// to it, runs the Segmenter, resizes the probabilities back to the scan's
// size (both bilinear, as preprocess.Resize) and thresholds them there, so
// the mask and the findings are in the scan's own pixels.
package infer

import (
	"errors"
	"fmt"

	"tumorseg/internal/metrics"
	"tumorseg/internal/preprocess"
)

// FindingsSchema names the layout of Findings; it changes when a field
// changes meaning.
const FindingsSchema = "tumorseg.findings/v1"

// Segmenter returns tumor probabilities for one size×size image (row-major,
// [0,1]), where size is Size(). Probabilities must not keep or change img.
type Segmenter interface {
	Size() int
	Probabilities(img []float32) ([]float32, error)
}

// Result is the prediction on one scan.
type Result struct {
	// Prob holds the probabilities at the scan's own width and height.
	Prob *preprocess.Image
	// Mask is the prediction, row-major at the scan's size: 1 where Prob is
	// at or above the threshold, 0 elsewhere.
	Mask []uint8
	// Findings measures Mask and Prob.
	Findings Findings
}

// Findings is what the prediction says about a scan, in the scan's pixels.
type Findings struct {
	// Schema is FindingsSchema.
	Schema string `json:"schema"`
	// Image names the scan; Predict leaves it empty for the caller to set.
	Image string `json:"image"`
	// Width and Height are the scan's size in pixels.
	Width  int `json:"width"`
	Height int `json:"height"`
	// TumorFound is true when at least one pixel is predicted as tumor.
	TumorFound bool `json:"tumor_found"`
	// AreaPixels is the number of pixels predicted as tumor.
	AreaPixels int `json:"area_pixels"`
	// AreaFraction is AreaPixels divided by Width*Height.
	AreaFraction float64 `json:"area_fraction"`
	// BBox is the smallest box holding every tumor pixel, nil when none.
	BBox *Box `json:"bbox"`
	// MeanProbability is the mean probability over the tumor pixels, 0 when
	// there are none.
	MeanProbability float64 `json:"mean_probability"`
	// Threshold is the probability at or above which a pixel is tumor.
	Threshold float64 `json:"threshold"`
	// Model names the network: the Segmenter's Name() when it has one.
	Model string `json:"model"`
}

// Box is a rectangle of whole pixels: columns X to X+W-1, rows Y to Y+H-1.
type Box struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

// Predict runs seg on img and thresholds the probabilities at threshold,
// which must lie in (0, 1]. It returns an error when img is empty or
// inconsistent, or when seg fails or returns anything but Size()² values in
// [0,1].
func Predict(seg Segmenter, img *preprocess.Image, threshold float32) (*Result, error) {
	if seg == nil {
		return nil, errors.New("infer: no segmenter")
	}
	if err := checkImage(img); err != nil {
		return nil, err
	}
	if !(threshold > 0 && threshold <= 1) {
		return nil, fmt.Errorf("infer: threshold %v is outside (0, 1]", threshold)
	}
	size := seg.Size()
	if size <= 0 || size > preprocess.MaxSide {
		return nil, fmt.Errorf("infer: segmenter size %d is outside [1, %d]",
			size, preprocess.MaxSide)
	}

	in := preprocess.Resize(img, size, size)
	prob, err := seg.Probabilities(in.Pix)
	if err != nil {
		return nil, fmt.Errorf("infer: segmenter: %w", err)
	}
	if err := checkProbabilities(prob, size); err != nil {
		return nil, err
	}

	res := &Result{Prob: preprocess.Resize(&preprocess.Image{W: size, H: size, Pix: prob},
		img.W, img.H)}
	res.Mask = metrics.Binarize(res.Prob.Pix, threshold, nil)
	res.Findings = measure(res.Prob, res.Mask)
	res.Findings.Threshold = metrics.ShortFloat64(threshold)
	if n, ok := seg.(interface{ Name() string }); ok {
		res.Findings.Model = n.Name()
	}
	return res, nil
}

// checkImage returns an error unless img has positive dimensions and
// W*H pixels.
func checkImage(img *preprocess.Image) error {
	if img == nil {
		return errors.New("infer: no image")
	}
	if img.W <= 0 || img.H <= 0 || len(img.Pix) != img.W*img.H {
		return fmt.Errorf("infer: image is %dx%d with %d pixels", img.W, img.H, len(img.Pix))
	}
	return nil
}

// checkProbabilities returns an error unless prob has size² values in [0,1].
func checkProbabilities(prob []float32, size int) error {
	if len(prob) != size*size {
		return fmt.Errorf("infer: segmenter returned %d probabilities, want %dx%d",
			len(prob), size, size)
	}
	for i, p := range prob {
		if !(p >= 0 && p <= 1) {
			return fmt.Errorf("infer: segmenter returned probability %v at pixel (%d,%d)",
				p, i%size, i/size)
		}
	}
	return nil
}

// measure returns the findings of a mask and its probabilities, all but
// Image, Threshold and Model.
func measure(prob *preprocess.Image, mask []uint8) Findings {
	f := Findings{Schema: FindingsSchema, Width: prob.W, Height: prob.H}
	x0, y0, x1, y1 := prob.W, prob.H, -1, -1
	var sum float64
	for i, m := range mask {
		if m == 0 {
			continue
		}
		x, y := i%prob.W, i/prob.W
		x0, x1 = min(x0, x), max(x1, x)
		y0, y1 = min(y0, y), max(y1, y)
		sum += float64(prob.Pix[i])
		f.AreaPixels++
	}
	if f.AreaPixels == 0 {
		return f
	}
	f.TumorFound = true
	f.AreaFraction = float64(f.AreaPixels) / float64(prob.W*prob.H)
	f.BBox = &Box{X: x0, Y: y0, W: x1 - x0 + 1, H: y1 - y0 + 1}
	f.MeanProbability = sum / float64(f.AreaPixels)
	return f
}
