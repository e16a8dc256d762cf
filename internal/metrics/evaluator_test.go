package metrics

import (
	"encoding/json"
	"math"
	"testing"
)

// imageDice scores one 2x2 image with a fresh Evaluator.
func imageDice(prob []float32, truth []uint8) float64 {
	var e Evaluator
	e.Add(prob, truth)
	return e.Summary().PerImage[0].Dice
}

func TestDiceEmptyMaskAndEmptyPrediction(t *testing.T) {
	if d := imageDice([]float32{0.1, 0.2, 0.3, 0.4}, []uint8{0, 0, 0, 0}); d != 1 {
		t.Errorf("Dice = %v, want 1", d)
	}
}

func TestDiceEmptyMaskAndTumorPredicted(t *testing.T) {
	if d := imageDice([]float32{0.5, 0, 0, 0}, []uint8{0, 0, 0, 0}); d != 0 {
		t.Errorf("Dice = %v, want 0", d)
	}
}

func TestDiceTumorAndEmptyPrediction(t *testing.T) {
	if d := imageDice([]float32{0.49, 0, 0, 0}, []uint8{1, 0, 0, 0}); d != 0 {
		t.Errorf("Dice = %v, want 0", d)
	}
}

// addFive adds five 2x2 images whose scores are worked out in
// TestEvaluatorSummary.
func addFive(e *Evaluator) {
	e.AddNamed("a", []float32{0.9, 0.8, 0.2, 0.1}, []uint8{1, 1, 0, 0})
	e.AddNamed("b", []float32{0.6, 0.4, 0.7, 0}, []uint8{1, 1, 0, 0})
	e.Add([]float32{0.1, 0.2, 0.3, 0.4}, []uint8{0, 0, 0, 0})
	e.Add([]float32{0.5, 0, 0, 0}, []uint8{0, 0, 0, 0})
	e.AddNamed("e", []float32{0.49, 0, 0, 0}, []uint8{1, 0, 0, 0})
}

func TestEvaluatorSummary(t *testing.T) {
	var e Evaluator
	addFive(&e)
	s := e.Summary()

	// Per image: a TP2 TN2; b TP1 FP1 FN1 TN1; c TN4; d FP1 TN3; e FN1 TN3.
	wantImages := []ImageScore{
		{Index: 0, Name: "a", Dice: 1, IoU: 1, MaskPixels: 2, PredictedPixels: 2},
		{Index: 1, Name: "b", Dice: 0.5, IoU: 1.0 / 3, MaskPixels: 2, PredictedPixels: 2},
		{Index: 2, Dice: 1, IoU: 1},
		{Index: 3, Dice: 0, IoU: 0, PredictedPixels: 1},
		{Index: 4, Name: "e", Dice: 0, IoU: 0, MaskPixels: 1},
	}
	if len(s.PerImage) != len(wantImages) {
		t.Fatalf("PerImage has %d entries, want %d", len(s.PerImage), len(wantImages))
	}
	for i, w := range wantImages {
		g := s.PerImage[i]
		if g.Index != w.Index || g.Name != w.Name || g.MaskPixels != w.MaskPixels ||
			g.PredictedPixels != w.PredictedPixels ||
			math.Abs(g.Dice-w.Dice) > tol || math.Abs(g.IoU-w.IoU) > tol {
			t.Errorf("PerImage[%d] = %+v, want %+v", i, g, w)
		}
	}

	if want := (Confusion{TP: 3, FP: 2, FN: 2, TN: 13}); s.Confusion != want {
		t.Errorf("Confusion = %+v, want %+v", s.Confusion, want)
	}
	scores := []struct {
		name      string
		got, want float64
	}{
		{"Threshold", s.Threshold, 0.5},
		{"DiceMean", s.DiceMean, 2.5 / 5},
		{"DicePooled", s.DicePooled, 6.0 / 10},
		{"IoU", s.IoU, 3.0 / 7},
		{"Precision", s.Precision, 3.0 / 5},
		{"Recall", s.Recall, 3.0 / 5},
		{"F1", s.F1, 0.6},
		{"PixelAccuracy", s.PixelAccuracy, 16.0 / 20},
	}
	for _, sc := range scores {
		if math.Abs(sc.got-sc.want) > tol {
			t.Errorf("%s = %v, want %v", sc.name, sc.got, sc.want)
		}
	}
	if s.Images != 5 || s.EmptyMaskImages != 2 || s.EmptyMaskCorrect != 1 {
		t.Errorf("Images, EmptyMaskImages, EmptyMaskCorrect = %d, %d, %d; want 5, 2, 1",
			s.Images, s.EmptyMaskImages, s.EmptyMaskCorrect)
	}
	if s.EmptyRule != EmptyRule {
		t.Errorf("EmptyRule = %q", s.EmptyRule)
	}
}

func TestEvaluatorThreshold(t *testing.T) {
	e := Evaluator{Threshold: 0.3}
	// Prediction 1,1,1,0 against 1,1,0,0: TP2 FP1, Dice 4/5.
	e.Add([]float32{0.6, 0.4, 0.7, 0}, []uint8{1, 1, 0, 0})
	s := e.Summary()
	if s.Threshold != 0.3 {
		t.Errorf("Threshold = %v, want 0.3", s.Threshold)
	}
	if math.Abs(s.DiceMean-0.8) > tol {
		t.Errorf("DiceMean = %v, want 0.8", s.DiceMean)
	}
}

func TestEvaluatorNoImages(t *testing.T) {
	var e Evaluator
	s := e.Summary()
	if s.Images != 0 || s.DiceMean != 0 || s.DicePooled != 0 || s.PixelAccuracy != 0 {
		t.Errorf("Summary of no images = %+v, want zero scores", s)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if pi, ok := m["per_image"].([]any); !ok || len(pi) != 0 {
		t.Errorf("per_image = %v, want []", m["per_image"])
	}
}

func TestSummaryIsACopy(t *testing.T) {
	var e Evaluator
	e.Add([]float32{1}, []uint8{1})
	s := e.Summary()
	e.Add([]float32{1}, []uint8{0})
	if len(s.PerImage) != 1 || s.Images != 1 {
		t.Errorf("earlier Summary changed: %+v", s)
	}
}

func TestSummaryJSONFields(t *testing.T) {
	var e Evaluator
	addFive(&e)
	b, err := json.Marshal(e.Summary())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"threshold": 0.5, "images": 5.0, "dice_mean": 0.5, "dice_pooled": 0.6,
		"iou": 3.0 / 7, "precision": 0.6, "recall": 0.6, "f1": 0.6,
		"pixel_accuracy": 0.8, "empty_mask_images": 2.0, "empty_mask_correct": 1.0,
		"empty_rule": EmptyRule, "hd95_mean": 0.95 / 3, "hd95_images": 3.0,
		"hd95_rule": HD95Rule,
	}
	for k, w := range want {
		g, ok := m[k]
		if !ok {
			t.Errorf("JSON lacks %q", k)
			continue
		}
		if gf, isNum := g.(float64); isNum {
			if math.Abs(gf-w.(float64)) > tol {
				t.Errorf("%s = %v, want %v", k, g, w)
			}
		} else if g != w {
			t.Errorf("%s = %v, want %v", k, g, w)
		}
	}
	conf, _ := m["confusion"].(map[string]any)
	if conf["tp"] != 3.0 || conf["fp"] != 2.0 || conf["fn"] != 2.0 || conf["tn"] != 13.0 {
		t.Errorf("confusion = %v, want tp 3 fp 2 fn 2 tn 13", m["confusion"])
	}
	per, _ := m["per_image"].([]any)
	if len(per) != 5 {
		t.Fatalf("per_image has %d entries, want 5", len(per))
	}
	first, _ := per[0].(map[string]any)
	if first["index"] != 0.0 || first["name"] != "a" || first["dice"] != 1.0 {
		t.Errorf("per_image[0] = %v, want index 0, name a, dice 1", first)
	}
	if hd, present := per[3].(map[string]any)["hd95"]; !present || hd != nil {
		t.Errorf("per_image[3].hd95 = %v, want null", hd)
	}
	if _, named := per[2].(map[string]any)["name"]; named {
		t.Errorf("per_image[2] has a name, want none: %v", per[2])
	}
}

func TestEvaluatorSkipHD95(t *testing.T) {
	// The same image scored with and without HD95: overlap scores agree,
	// and the skipping evaluator reports no HD95 at all.
	prob := []float32{1, 1, 0, 0}
	truth := []uint8{1, 0, 0, 0}
	var with Evaluator
	without := Evaluator{SkipHD95: true}
	with.Add(prob, truth)
	without.Add(prob, truth)
	a, b := with.Summary(), without.Summary()
	if a.DiceMean != b.DiceMean || a.Confusion != b.Confusion {
		t.Errorf("overlap scores differ: %+v vs %+v", a, b)
	}
	if a.HD95Images != 1 || b.HD95Images != 0 || b.PerImage[0].HD95 != nil {
		t.Errorf("HD95 images %d and %d, skipped per-image %v", a.HD95Images, b.HD95Images,
			b.PerImage[0].HD95)
	}
}
