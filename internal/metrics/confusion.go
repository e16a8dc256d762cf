// Package metrics scores thresholded predictions against binary tumor masks.
//
// A prediction and a mask are row-major []uint8 of one image, where a
// nonzero value marks a tumor pixel. Count compares them pixel by pixel into
// a Confusion; the overlap scores (Dice, IoU, precision, recall, F1, pixel
// accuracy) are ratios of its four counts. HD95 measures instead how far
// apart the outlines of prediction and mask lie, in pixels. Evaluator
// collects both over a split and reports Dice per image (mean) and pooled
// over all pixels, with the rules for empty masks stated in EmptyRule and
// HD95Rule.
package metrics

import "fmt"

// DefaultThreshold is the probability at or above which a pixel is
// predicted as tumor when no other threshold is given.
const DefaultThreshold = 0.5

// EmptyRule states how images without tumor are scored. It is written into
// every Summary so that a reader of the JSON knows how empty masks counted.
const EmptyRule = "Dice and IoU are 1 when the mask and the prediction are both " +
	"empty (a correct \"no tumor\") and 0 when exactly one of them is empty."

// Confusion holds the pixel counts of a prediction against a mask: true
// positives (tumor predicted and present), false positives (predicted, not
// present), false negatives (present, not predicted) and true negatives.
//
// Every ratio below whose denominator is zero is defined instead of being
// NaN: it is 1 when the prediction agrees with the mask on every pixel that
// could enter it, and 0 otherwise. The rule for each is stated with it.
type Confusion struct {
	TP int64 `json:"tp"`
	FP int64 `json:"fp"`
	FN int64 `json:"fn"`
	TN int64 `json:"tn"`
}

// Add adds the counts of o to c.
func (c *Confusion) Add(o Confusion) {
	c.TP += o.TP
	c.FP += o.FP
	c.FN += o.FN
	c.TN += o.TN
}

// Pixels returns the number of pixels counted, TP+FP+FN+TN.
func (c Confusion) Pixels() int64 {
	return c.TP + c.FP + c.FN + c.TN
}

// Dice returns 2TP / (2TP+FP+FN). When TP+FP+FN is 0, mask and prediction
// are both empty and Dice is 1, as EmptyRule states.
func (c Confusion) Dice() float64 {
	d := 2*c.TP + c.FP + c.FN
	if d == 0 {
		return 1
	}
	return float64(2*c.TP) / float64(d)
}

// IoU returns the intersection over union, TP / (TP+FP+FN). When TP+FP+FN
// is 0, mask and prediction are both empty and IoU is 1.
func (c Confusion) IoU() float64 {
	d := c.TP + c.FP + c.FN
	if d == 0 {
		return 1
	}
	return float64(c.TP) / float64(d)
}

// Precision returns TP / (TP+FP), the share of predicted tumor pixels that
// are tumor. When nothing is predicted (TP+FP is 0) it is 1 if the mask is
// empty too (FN is 0) and 0 if tumor was missed.
func (c Confusion) Precision() float64 {
	return ratioOr(c.TP, c.TP+c.FP, c.FN == 0)
}

// Recall returns TP / (TP+FN), the share of tumor pixels that are found.
// When the mask is empty (TP+FN is 0) it is 1 if nothing is predicted
// either (FP is 0) and 0 if tumor was predicted where there is none.
func (c Confusion) Recall() float64 {
	return ratioOr(c.TP, c.TP+c.FN, c.FP == 0)
}

// F1 returns the harmonic mean 2PR / (P+R) of Precision and Recall, or 0
// when both are 0. Under the rules above it equals Dice up to rounding; it
// is reported beside Dice because readers look for either name.
func (c Confusion) F1() float64 {
	p, r := c.Precision(), c.Recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// PixelAccuracy returns (TP+TN) / (TP+FP+FN+TN), the share of pixels
// classified correctly. With no pixels counted it is 1: nothing was wrong.
func (c Confusion) PixelAccuracy() float64 {
	return ratioOr(c.TP+c.TN, c.Pixels(), true)
}

// ratioOr returns num/den, or 1 when den is 0 and agree is true, or 0 when
// den is 0 and agree is false.
func ratioOr(num, den int64, agree bool) float64 {
	if den != 0 {
		return float64(num) / float64(den)
	}
	if agree {
		return 1
	}
	return 0
}

// Binarize thresholds probabilities into a prediction: dst[i] is 1 where
// prob[i] >= threshold and 0 elsewhere (a NaN probability gives 0). dst is
// reused when its capacity is at least len(prob) and allocated otherwise;
// the prediction, of length len(prob), is returned.
func Binarize(prob []float32, threshold float32, dst []uint8) []uint8 {
	if cap(dst) < len(prob) {
		dst = make([]uint8, len(prob))
	}
	dst = dst[:len(prob)]
	for i, p := range prob {
		if p >= threshold {
			dst[i] = 1
		} else {
			dst[i] = 0
		}
	}
	return dst
}

// Count compares a prediction with a mask pixel by pixel; in both, a
// nonzero value is tumor. It panics if the two lengths differ, since that
// means they do not describe the same image.
func Count(pred, truth []uint8) Confusion {
	if len(pred) != len(truth) {
		panic(fmt.Sprintf("metrics: Count: prediction has %d pixels, mask has %d",
			len(pred), len(truth)))
	}
	var c Confusion
	for i, p := range pred {
		switch {
		case p != 0 && truth[i] != 0:
			c.TP++
		case p != 0:
			c.FP++
		case truth[i] != 0:
			c.FN++
		default:
			c.TN++
		}
	}
	return c
}
