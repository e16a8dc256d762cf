package metrics

import (
	"fmt"
	"math"
	"strconv"
)

// ImageScore is the score of one image within a Summary.
type ImageScore struct {
	// Index is the position of the image in the order it was added, from 0.
	Index int `json:"index"`
	// Name is the name given to AddNamed, empty for Add.
	Name string `json:"name,omitempty"`
	// Dice is the image's Dice under EmptyRule.
	Dice float64 `json:"dice"`
	// IoU is the image's intersection over union under EmptyRule.
	IoU float64 `json:"iou"`
	// MaskPixels is the number of tumor pixels in the mask.
	MaskPixels int64 `json:"mask_pixels"`
	// PredictedPixels is the number of pixels predicted as tumor.
	PredictedPixels int64 `json:"predicted_pixels"`
	// HD95 is the image's 95th-percentile Hausdorff distance in pixels under
	// HD95Rule, nil (null in JSON) where it is undefined.
	HD95 *float64 `json:"hd95"`
}

// Summary is the JSON report of an Evaluator over a split.
//
// DiceMean averages the per-image Dice, so every image weighs the same and
// empty masks count under EmptyRule. DicePooled and the other scores are
// computed once from the Confusion summed over all pixels of all images, so
// large tumors weigh more and images without tumor add only to FP and TN.
// HD95Mean averages the per-image HD95 over the HD95Images images where it
// is defined (see HD95Rule), so it tells an outline that is off by a few
// pixels from one that is off by many when their overlap is the same.
// With no images added every score is 0, and HD95Mean is 0 whenever
// HD95Images is.
type Summary struct {
	// Threshold is the probability at or above which a pixel was predicted.
	Threshold float64 `json:"threshold"`
	// Images is the number of images added.
	Images int `json:"images"`
	// DiceMean is the mean of the per-image Dice.
	DiceMean float64 `json:"dice_mean"`
	// DicePooled is the Dice of the pooled confusion.
	DicePooled float64 `json:"dice_pooled"`
	// IoU is the intersection over union of the pooled confusion.
	IoU float64 `json:"iou"`
	// Precision is the precision of the pooled confusion.
	Precision float64 `json:"precision"`
	// Recall is the recall of the pooled confusion.
	Recall float64 `json:"recall"`
	// F1 is the F1 score of the pooled confusion.
	F1 float64 `json:"f1"`
	// PixelAccuracy is the pixel accuracy of the pooled confusion.
	PixelAccuracy float64 `json:"pixel_accuracy"`
	// HD95Mean is the mean of the per-image HD95 where it is defined.
	HD95Mean float64 `json:"hd95_mean"`
	// HD95Images is the number of images whose HD95 is defined.
	HD95Images int `json:"hd95_images"`
	// Confusion is the pixel counts summed over all images.
	Confusion Confusion `json:"confusion"`
	// EmptyMaskImages is the number of images whose mask has no tumor.
	EmptyMaskImages int `json:"empty_mask_images"`
	// EmptyMaskCorrect is how many of those were predicted without tumor.
	EmptyMaskCorrect int `json:"empty_mask_correct"`
	// EmptyRule is the sentence EmptyRule.
	EmptyRule string `json:"empty_rule"`
	// HD95Rule is the sentence HD95Rule.
	HD95Rule string `json:"hd95_rule"`
	// PerImage holds one score per image in the order they were added.
	PerImage []ImageScore `json:"per_image"`
}

// Evaluator accumulates scores image by image. Its zero value is ready to
// use with DefaultThreshold. It is not safe for concurrent use.
type Evaluator struct {
	// Threshold is the probability at or above which a pixel is predicted as
	// tumor; 0 means DefaultThreshold. Set it before the first Add.
	Threshold float32
	// Width is the number of columns of the images, which HD95 needs; 0
	// means square images, whose width is the square root of their length.
	Width int
	// SkipHD95 leaves HD95 out (nil for every image), for callers that need
	// only the overlap scores, such as the validation after each epoch.
	SkipHD95 bool

	pooled  Confusion
	images  []ImageScore
	pred    []uint8
	surface surface
}

// Add scores the probabilities of one image against its mask, as AddNamed
// with an empty name.
func (e *Evaluator) Add(prob []float32, truth []uint8) {
	e.AddNamed("", prob, truth)
}

// AddNamed thresholds the probabilities of one image, compares the
// prediction with the mask truth (nonzero is tumor) and records the image
// under name. It panics if len(prob) != len(truth), or if the image is not
// a whole number of rows of Width (or, with Width 0, not square).
func (e *Evaluator) AddNamed(name string, prob []float32, truth []uint8) {
	e.pred = Binarize(prob, e.threshold(), e.pred)
	c := Count(e.pred, truth)
	e.pooled.Add(c)
	score := ImageScore{
		Index:           len(e.images),
		Name:            name,
		Dice:            c.Dice(),
		IoU:             c.IoU(),
		MaskPixels:      c.TP + c.FN,
		PredictedPixels: c.TP + c.FP,
	}
	if !e.SkipHD95 {
		if d, ok := e.surface.hd95(e.pred, truth, e.width(len(truth))); ok {
			score.HD95 = &d
		}
	}
	e.images = append(e.images, score)
}

// Summary returns the scores of all images added so far. The PerImage slice
// is a copy; later calls to Add do not change it.
func (e *Evaluator) Summary() Summary {
	s := Summary{
		Threshold: ShortFloat64(e.threshold()),
		Images:    len(e.images),
		Confusion: e.pooled,
		EmptyRule: EmptyRule,
		HD95Rule:  HD95Rule,
		PerImage:  append([]ImageScore{}, e.images...),
	}
	if len(e.images) == 0 {
		return s
	}

	var diceSum, hdSum float64
	for _, im := range e.images {
		diceSum += im.Dice
		if im.HD95 != nil {
			hdSum += *im.HD95
			s.HD95Images++
		}
		if im.MaskPixels == 0 {
			s.EmptyMaskImages++
			if im.PredictedPixels == 0 {
				s.EmptyMaskCorrect++
			}
		}
	}
	s.DiceMean = diceSum / float64(len(e.images))
	if s.HD95Images > 0 {
		s.HD95Mean = hdSum / float64(s.HD95Images)
	}
	s.DicePooled = e.pooled.Dice()
	s.IoU = e.pooled.IoU()
	s.Precision = e.pooled.Precision()
	s.Recall = e.pooled.Recall()
	s.F1 = e.pooled.F1()
	s.PixelAccuracy = e.pooled.PixelAccuracy()
	return s
}

// width returns the number of columns of an image of n pixels. It panics
// when Width is 0 and n is not a square.
func (e *Evaluator) width(n int) int {
	if e.Width > 0 || n == 0 {
		return e.Width
	}
	side := int(math.Sqrt(float64(n)))
	for side*side > n {
		side--
	}
	for (side+1)*(side+1) <= n {
		side++
	}
	if side*side != n {
		panic(fmt.Sprintf("metrics: image of %d pixels is not square; set Evaluator.Width", n))
	}
	return side
}

func (e *Evaluator) threshold() float32 {
	if e.Threshold == 0 {
		return DefaultThreshold
	}
	return e.Threshold
}

// ShortFloat64 widens t to the float64 nearest its shortest decimal form, so
// that 0.3 is reported as 0.3 rather than as 0.30000001192092896.
func ShortFloat64(t float32) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(t), 'g', -1, 32), 64)
	return f
}
