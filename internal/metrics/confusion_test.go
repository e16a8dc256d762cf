package metrics

import (
	"math"
	"testing"
)

const tol = 1e-12

func TestConfusionScores(t *testing.T) {
	tests := []struct {
		name                           string
		c                              Confusion
		dice, iou, prec, rec, f1, pacc float64
	}{
		{"partial overlap", Confusion{TP: 3, FP: 1, FN: 2, TN: 4},
			2.0 / 3, 0.5, 0.75, 0.6, 2.0 / 3, 0.7},
		{"perfect", Confusion{TP: 4, TN: 6}, 1, 1, 1, 1, 1, 1},
		{"no pixels", Confusion{}, 1, 1, 1, 1, 1, 1},
		{"empty mask and empty prediction", Confusion{TN: 10}, 1, 1, 1, 1, 1, 1},
		{"empty mask and tumor predicted", Confusion{FP: 2, TN: 8}, 0, 0, 0, 0, 0, 0.8},
		{"tumor missed", Confusion{FN: 3, TN: 7}, 0, 0, 0, 0, 0, 0.7},
		{"all wrong", Confusion{FP: 1, FN: 1}, 0, 0, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		got := []float64{tt.c.Dice(), tt.c.IoU(), tt.c.Precision(), tt.c.Recall(),
			tt.c.F1(), tt.c.PixelAccuracy()}
		want := []float64{tt.dice, tt.iou, tt.prec, tt.rec, tt.f1, tt.pacc}
		names := []string{"Dice", "IoU", "Precision", "Recall", "F1", "PixelAccuracy"}
		for i := range got {
			if math.Abs(got[i]-want[i]) > tol {
				t.Errorf("%s: %s = %v, want %v", tt.name, names[i], got[i], want[i])
			}
		}
	}
}

func TestConfusionAdd(t *testing.T) {
	c := Confusion{TP: 1, FP: 2, FN: 3, TN: 4}
	c.Add(Confusion{TP: 10, FP: 20, FN: 30, TN: 40})
	if want := (Confusion{TP: 11, FP: 22, FN: 33, TN: 44}); c != want {
		t.Errorf("Add = %+v, want %+v", c, want)
	}
	if c.Pixels() != 110 {
		t.Errorf("Pixels = %d, want 110", c.Pixels())
	}
}

func TestBinarizeThresholdIsInclusive(t *testing.T) {
	prob := []float32{0, 0.49, 0.5, 0.51, 1, float32(math.NaN())}
	want := []uint8{0, 0, 1, 1, 1, 0}
	got := Binarize(prob, 0.5, nil)
	if string(got) != string(want) {
		t.Errorf("Binarize = %v, want %v", got, want)
	}
}

func TestBinarizeReusesDestination(t *testing.T) {
	dst := []uint8{7, 7, 7, 7, 7}
	got := Binarize([]float32{0.9, 0.1, 0.6}, 0.5, dst[:0])
	if string(got) != string([]uint8{1, 0, 1}) {
		t.Errorf("Binarize = %v, want [1 0 1]", got)
	}
	if &got[0] != &dst[0] {
		t.Error("Binarize allocated although dst had room")
	}
}

func TestCount(t *testing.T) {
	tests := []struct {
		name        string
		pred, truth []uint8
		want        Confusion
	}{
		{"each outcome", []uint8{1, 1, 0, 0, 2, 0}, []uint8{1, 0, 1, 0, 255, 0},
			Confusion{TP: 2, FP: 1, FN: 1, TN: 2}},
		{"empty", nil, nil, Confusion{}},
		{"all negative", []uint8{0, 0, 0}, []uint8{0, 0, 0}, Confusion{TN: 3}},
	}
	for _, tt := range tests {
		if got := Count(tt.pred, tt.truth); got != tt.want {
			t.Errorf("%s: Count = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestCountPanicsOnLengthMismatch(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Count did not panic on lengths 2 and 3")
		}
	}()
	Count([]uint8{0, 1}, []uint8{0, 1, 0})
}
