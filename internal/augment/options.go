package augment

import (
	"fmt"
	"math"
)

// Options choose which parts of the augmentation run and how strongly.
// Every part has a probability, tried once per case, and the range its
// value is drawn from, uniformly unless said otherwise. A part whose
// probability is 0 never runs and its range is not checked, so the zero
// Options change nothing. Lengths are in pixels of the case as the loader
// hands it over.
type Options struct {
	// FlipHorizontalP is the probability of mirroring left to right.
	FlipHorizontalP float64
	// FlipVerticalP is the probability of mirroring top to bottom.
	FlipVerticalP float64

	// RotateP is the probability of a rotation about the image centre.
	RotateP float64
	// RotateMaxDegrees bounds the angle, drawn from
	// [−RotateMaxDegrees, RotateMaxDegrees]; positive turns
	// counter-clockwise as displayed. At most 180.
	RotateMaxDegrees float64

	// ScaleP is the probability of scaling about the image centre.
	ScaleP float64
	// ScaleMin is the smallest scale factor; below 1 shrinks the content.
	ScaleMin float64
	// ScaleMax is the largest scale factor; above 1 enlarges the content.
	ScaleMax float64

	// ShiftP is the probability of a shift.
	ShiftP float64
	// ShiftMaxFraction bounds the shift along each axis, drawn from
	// [−ShiftMaxFraction, ShiftMaxFraction] times the size. At most 1.
	ShiftMaxFraction float64

	// ElasticP is the probability of an elastic deformation.
	ElasticP float64
	// ElasticAlpha scales the smoothed displacement field (Simard's α).
	ElasticAlpha float64
	// ElasticSigma is the standard deviation of the Gaussian that smooths
	// the field (Simard's σ), in pixels. Each displacement component
	// has a standard deviation of about α / (2σ·√(3π)) pixels.
	ElasticSigma float64

	// BrightnessP is the probability of a brightness change.
	BrightnessP float64
	// BrightnessMaxDelta bounds the value added to every pixel, drawn
	// from [−BrightnessMaxDelta, BrightnessMaxDelta]. At most 1.
	BrightnessMaxDelta float64

	// ContrastP is the probability of a contrast change.
	ContrastP float64
	// ContrastMin is the smallest factor by which pixels move away from
	// the image mean.
	ContrastMin float64
	// ContrastMax is the largest such factor.
	ContrastMax float64

	// GammaP is the probability of a gamma change, v ← v^γ.
	GammaP float64
	// GammaMin is the smallest γ; log γ is drawn uniformly.
	GammaMin float64
	// GammaMax is the largest γ.
	GammaMax float64

	// NoiseP is the probability of adding Gaussian noise.
	NoiseP float64
	// NoiseStd is the noise's standard deviation, in units of the
	// image's [0,1] range. At most 1.
	NoiseStd float64
}

// Defaults returns moderate augmentation for brain MRI slices. Flips are
// as likely as not in both directions, as nnU-Net mirrors; a brain is
// roughly symmetric and slices come in either orientation. Rotations up to
// 15°, scaling by 0.9-1.1 and shifts up to 5% of the size keep the head
// in view. The elastic deformation is off; when turned on, α 120 and σ 10
// move pixels by about 2 pixels, smoothly over about 10. The intensity
// changes stay within what differing scanners and settings produce.
func Defaults() Options {
	return Options{
		FlipHorizontalP: 0.5,
		FlipVerticalP:   0.5,

		RotateP:          0.5,
		RotateMaxDegrees: 15,

		ScaleP:   0.5,
		ScaleMin: 0.9,
		ScaleMax: 1.1,

		ShiftP:           0.5,
		ShiftMaxFraction: 0.05,

		ElasticP:     0,
		ElasticAlpha: 120,
		ElasticSigma: 10,

		BrightnessP:        0.5,
		BrightnessMaxDelta: 0.1,

		ContrastP:   0.5,
		ContrastMin: 0.9,
		ContrastMax: 1.1,

		GammaP:   0.3,
		GammaMin: 0.8,
		GammaMax: 1.25,

		NoiseP:   0.2,
		NoiseStd: 0.02,
	}
}

// RangeError reports an option outside the values it may take.
type RangeError struct {
	Flag  string  // the option's flag name, e.g. "aug-rotate-max"
	Value float64 // what it was set to
	Want  string  // the values allowed, e.g. "in [0, 180]"
}

// Error names the flag, its value and the values it may take.
func (e *RangeError) Error() string {
	return fmt.Sprintf("augment: --%s is %g, want %s", e.Flag, e.Value, e.Want)
}

// Validate returns a *RangeError for the first option out of range, in
// the order Options lists them: a probability outside [0, 1], or a range
// of an enabled part that is empty, reversed or not finite.
func (o Options) Validate() error {
	for _, part := range o.parts() {
		for i, p := range part {
			if err := p.check(); err != nil {
				return err
			}
			if i == 0 && *p.v == 0 {
				break
			}
		}
	}
	return nil
}

// param is one number of Options as its flag and Validate see it: it may
// take values in [lo, hi], or (lo, hi] when open.
type param struct {
	flag   string
	v      *float64
	lo, hi float64
	open   bool
	usage  string
}

// parts returns o's numbers grouped by part, each group led by the
// part's probability, in the order of Options. A bound that refers to
// another option takes that option's value now.
func (o *Options) parts() [][]param {
	return [][]param{
		{prob("aug-flip-h", &o.FlipHorizontalP, "mirroring left to right")},
		{prob("aug-flip-v", &o.FlipVerticalP, "mirroring top to bottom")},
		{
			prob("aug-rotate", &o.RotateP, "a rotation about the centre"),
			within("aug-rotate-max", &o.RotateMaxDegrees, 0, 180,
				"largest rotation either way, in degrees"),
		},
		{
			prob("aug-scale", &o.ScaleP, "scaling about the centre"),
			above("aug-scale-min", &o.ScaleMin, 0, "smallest scale factor"),
			atLeast("aug-scale-max", &o.ScaleMax, o.ScaleMin, "largest scale factor"),
		},
		{
			prob("aug-shift", &o.ShiftP, "a shift"),
			within("aug-shift-max", &o.ShiftMaxFraction, 0, 1,
				"largest shift along each axis, as a fraction of the size"),
		},
		{
			prob("aug-elastic", &o.ElasticP, "an elastic deformation"),
			atLeast("aug-elastic-alpha", &o.ElasticAlpha, 0,
				"scale of the smoothed elastic displacement field"),
			above("aug-elastic-sigma", &o.ElasticSigma, 0,
				"standard deviation of the elastic field's smoothing, in pixels"),
		},
		{
			prob("aug-brightness", &o.BrightnessP, "a brightness change"),
			within("aug-brightness-max", &o.BrightnessMaxDelta, 0, 1,
				"largest brightness change either way, on the [0,1] scale"),
		},
		{
			prob("aug-contrast", &o.ContrastP, "a contrast change"),
			atLeast("aug-contrast-min", &o.ContrastMin, 0,
				"smallest contrast factor about the image mean"),
			atLeast("aug-contrast-max", &o.ContrastMax, o.ContrastMin,
				"largest contrast factor about the image mean"),
		},
		{
			prob("aug-gamma", &o.GammaP, "a gamma change"),
			above("aug-gamma-min", &o.GammaMin, 0, "smallest gamma"),
			atLeast("aug-gamma-max", &o.GammaMax, o.GammaMin, "largest gamma"),
		},
		{
			prob("aug-noise", &o.NoiseP, "adding Gaussian noise"),
			within("aug-noise-std", &o.NoiseStd, 0, 1,
				"standard deviation of the noise, on the [0,1] scale"),
		},
	}
}

// prob is a part's probability, in [0, 1]; what names the part.
func prob(flag string, v *float64, what string) param {
	return param{flag: flag, v: v, lo: 0, hi: 1, usage: "probability of " + what}
}

// within is a number in [lo, hi].
func within(flag string, v *float64, lo, hi float64, usage string) param {
	return param{flag: flag, v: v, lo: lo, hi: hi, usage: usage}
}

// atLeast is a finite number no smaller than lo.
func atLeast(flag string, v *float64, lo float64, usage string) param {
	return param{flag: flag, v: v, lo: lo, hi: math.MaxFloat64, usage: usage}
}

// above is a finite number greater than lo.
func above(flag string, v *float64, lo float64, usage string) param {
	return param{flag: flag, v: v, lo: lo, hi: math.MaxFloat64, open: true, usage: usage}
}

// check returns a *RangeError if p's value is outside its range; NaN is
// outside every range.
func (p param) check() error {
	v := *p.v
	if v <= p.hi && (v > p.lo || !p.open && v == p.lo) {
		return nil
	}
	return &RangeError{Flag: p.flag, Value: v, Want: p.want()}
}

// want describes p's range.
func (p param) want() string {
	if p.hi == math.MaxFloat64 {
		if p.open {
			return fmt.Sprintf("> %g", p.lo)
		}
		return fmt.Sprintf(">= %g", p.lo)
	}
	left := "["
	if p.open {
		left = "("
	}
	return fmt.Sprintf("in %s%g, %g]", left, p.lo, p.hi)
}
