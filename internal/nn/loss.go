package nn

import "math"

// Sigmoid returns 1/(1+exp(-z)), computed without overflow for large |z|.
func Sigmoid(z float32) float32 {
	if z >= 0 {
		return float32(1 / (1 + math.Exp(-float64(z))))
	}
	e := math.Exp(float64(z))
	return float32(e / (1 + e))
}

// DiceSmooth is the constant s added to the numerator and the denominator
// of the soft Dice loss, so that a batch with an empty mask and an empty
// prediction has loss 0 and the gradient stays finite.
const DiceSmooth = 1

// DiceLoss returns the soft Dice loss of logits against a 0/1 target,
// pooled over the whole batch:
//
//	p = sigmoid(z), I = Σ p·t, S = Σ p + Σ t
//	L = 1 - (2I + s) / (S + s)
//
// with s = DiceSmooth, and writes dL/dz into dlogits:
//
//	dL/dz_i = -(2 t_i (S+s) - (2I+s)) / (S+s)² · p_i (1 - p_i).
//
// logits, target and dlogits have the same length. Sums are taken in
// float64.
func DiceLoss(logits, target, dlogits []float32) float64 {
	var inter, sum float64
	for i, z := range logits {
		p := float64(Sigmoid(z))
		t := float64(target[i])
		inter += p * t
		sum += p + t
	}
	den := sum + DiceSmooth
	num := 2*inter + DiceSmooth
	for i, z := range logits {
		p := float64(Sigmoid(z))
		dp := -(2*float64(target[i])*den - num) / (den * den)
		dlogits[i] = float32(dp * p * (1 - p))
	}
	return 1 - num/den
}
