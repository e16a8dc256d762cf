package augment

import (
	"math"
	"math/rand/v2"
)

// intensity is one draw of the changes to the image alone; the package
// comment gives the formula.
type intensity struct {
	contrast   float64 // c, the factor about the image mean
	brightness float64 // δ, added
	gamma      float64 // γ, the power
	noise      float64 // σ, the noise's standard deviation
}

// unchanged is the intensity draw that changes nothing.
var unchanged = intensity{contrast: 1, gamma: 1}

// drawIntensity draws the intensity changes of one case. It reports false
// when none was drawn. Gamma is drawn uniformly in log γ, so that γ and 1/γ
// are equally likely when the range is symmetric that way.
func drawIntensity(o *Options, rng *rand.Rand) (intensity, bool) {
	t := unchanged
	if chance(rng, o.BrightnessP) {
		t.brightness = uniform(rng, -o.BrightnessMaxDelta, o.BrightnessMaxDelta)
	}
	if chance(rng, o.ContrastP) {
		t.contrast = uniform(rng, o.ContrastMin, o.ContrastMax)
	}
	if chance(rng, o.GammaP) {
		t.gamma = math.Exp(uniform(rng, math.Log(o.GammaMin), math.Log(o.GammaMax)))
	}
	if chance(rng, o.NoiseP) {
		t.noise = o.NoiseStd
	}
	return t, t != unchanged
}

// apply changes image in place, drawing the noise from rng pixel by pixel.
func (t intensity) apply(image []float32, rng *rand.Rand) {
	var mean float64
	if t.contrast != 1 {
		for _, v := range image {
			mean += float64(v)
		}
		mean /= float64(len(image))
	}
	for i, v := range image {
		u := clamp01(mean + t.contrast*(float64(v)-mean) + t.brightness)
		if t.gamma != 1 {
			u = math.Pow(u, t.gamma)
		}
		if t.noise > 0 {
			u = clamp01(u + t.noise*rng.NormFloat64())
		}
		image[i] = float32(u)
	}
}

// clamp01 returns v limited to [0, 1].
func clamp01(v float64) float64 {
	return min(max(v, 0), 1)
}
