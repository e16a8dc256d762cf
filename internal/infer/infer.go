// Package infer turns one scan into tumor probabilities, a prediction mask
// and findings, and writes them out as a mask, an overlay and JSON. The
// findings JSON is described field by field in docs/findings-schema.md.
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
	// at or above the threshold and the pixel's region is kept, 0 elsewhere.
	// Regions smaller than the minimum area are cleared, so the mask, the
	// overlay and the findings always agree.
	Mask []uint8
	// Findings measures Mask and Prob.
	Findings Findings
}

// Options tune Predict.
type Options struct {
	// Threshold is the probability at or above which a pixel is tumor; it
	// must lie in (0, 1].
	Threshold float32
	// MinAreaPixels drops predicted regions of fewer pixels; 0 keeps all.
	MinAreaPixels int
	// PixelSpacingMM is the side of one scan pixel in millimetres, 0 when
	// unknown. Pixels are taken to be square.
	//
	// TODO(spacing): rows and columns of one spacing only, given by hand;
	// DICOM and NIfTI headers, which carry both, are not read.
	PixelSpacingMM float64
}

// DefaultMinArea returns the default minimum region area for a w×h scan:
// 0.01% of its pixels rounded up, at least 1 (27 pixels at 512x512, 7 at
// 256x256). Smaller specks are more often noise of the network than tumor.
func DefaultMinArea(w, h int) int {
	return max(1, (w*h+9999)/10000)
}

// MaxPixelSpacingMM bounds the pixel spacing accepted, in millimetres: no
// brain slice has pixels a centimetre wide.
const MaxPixelSpacingMM = 10

// Predict runs seg on img, thresholds the probabilities at threshold, which
// must lie in (0, 1], and drops regions under DefaultMinArea. The pixel
// spacing is unknown. It is PredictWith with those options.
func Predict(seg Segmenter, img *preprocess.Image, threshold float32) (*Result, error) {
	if err := checkImage(img); err != nil {
		return nil, err
	}
	return PredictWith(seg, img, Options{Threshold: threshold,
		MinAreaPixels: DefaultMinArea(img.W, img.H)})
}

// PredictWith runs seg on img and measures the prediction with opt. It
// returns an error when img is empty or inconsistent, when an option is out
// of range, or when seg fails or returns anything but Size()² values in
// [0,1].
func PredictWith(seg Segmenter, img *preprocess.Image, opt Options) (*Result, error) {
	if seg == nil {
		return nil, errors.New("infer: no segmenter")
	}
	if err := checkImage(img); err != nil {
		return nil, err
	}
	threshold := opt.Threshold
	if !(threshold > 0 && threshold <= 1) {
		return nil, fmt.Errorf("infer: threshold %v is outside (0, 1]", threshold)
	}
	if opt.MinAreaPixels < 0 {
		return nil, fmt.Errorf("infer: minimum area %d is negative", opt.MinAreaPixels)
	}
	if !(opt.PixelSpacingMM >= 0 && opt.PixelSpacingMM <= MaxPixelSpacingMM) {
		return nil, fmt.Errorf("infer: pixel spacing %v mm is outside [0, %d]",
			opt.PixelSpacingMM, MaxPixelSpacingMM)
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
	res.Findings = measure(img, res.Prob, res.Mask, opt.MinAreaPixels, opt.PixelSpacingMM)
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
