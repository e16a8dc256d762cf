// Package augment changes training cases at random, so that a network sees
// more variety than its split holds. For each case one geometric transform
// is drawn and applied to the image and the mask alike; then the image
// alone gets changes of brightness, contrast, gamma and Gaussian noise. The
// mask stays exactly 0 or 1 and never gets an intensity change.
//
// The geometric transform is made of, in forward order: a horizontal flip,
// a vertical flip, a rotation and a scaling about the image centre, a
// shift, and an elastic deformation after Simard, Steinkraus and Platt,
// "Best Practices for Convolutional Neural Networks Applied to Visual
// Document Analysis" (ICDAR 2003): uniform random displacements per pixel,
// smoothed by a Gaussian and scaled. It is computed as one inverse map: each
// output pixel finds the input point it comes from, the image is read there
// with bilinear interpolation and the mask with the nearest neighbour. A
// point outside the input reads as 0, background in both.
//
// The intensity changes follow, in this order, on the image only:
//
//	v ← m + c·(v − m) + δ, clamped to [0,1]   contrast c, brightness δ
//	v ← v^γ                                   gamma
//	v ← v + σ·z, clamped to [0,1]             Gaussian noise, z ~ N(0,1)
//
// where m is the mean of the image after the geometric transform.
//
// New turns Options into a loader.Transform. Every random number comes from
// the rng the loader hands over, so a case's augmentation depends only on
// that rng's seed.
package augment

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"tumorseg/internal/loader"
)

// New returns a transform that augments one case at a time as o says:
// image and mask are size×size row-major, the image in [0,1] and the mask
// 0 or 1, and both are changed in place. The random numbers are drawn in a
// fixed order (the parts' choices and values as Options lists them, then
// the noise pixel by pixel), so the same rng seed gives the same case.
//
// The transform may run on several goroutines at once; its working buffers
// come from a pool and, once warm, it allocates nothing. It panics if image
// or mask does not hold size×size pixels. New panics if o.Validate fails;
// check options from users with Validate first.
func New(o Options) loader.Transform {
	if err := o.Validate(); err != nil {
		panic(err)
	}
	a := &augmenter{opts: o}
	return a.apply
}

// augmenter holds the options of a transform and the buffers its calls
// borrow.
type augmenter struct {
	opts    Options
	scratch sync.Pool // of *scratch
}

// scratch is the working memory of one call. image and mask receive the
// resampled case before it is copied back; dx, dy and blur hold the elastic
// displacement field, all size×size; kernel is the Gaussian that smooths it.
type scratch struct {
	image, mask []float32
	dx, dy      []float32
	blur        []float32
	kernel      []float32
}

func (a *augmenter) apply(image, mask []float32, size int, rng *rand.Rand) {
	n := size * size
	if len(image) != n || len(mask) != n {
		panic(fmt.Sprintf("augment: case has %d image and %d mask pixels, want %d×%d",
			len(image), len(mask), size, size))
	}
	if n == 0 {
		return
	}
	s, _ := a.scratch.Get().(*scratch)
	if s == nil {
		s = new(scratch)
	}
	defer a.scratch.Put(s)

	if w, ok := drawWarp(&a.opts, rng, size, s); ok {
		w.apply(image, mask, size, s)
	}
	if t, ok := drawIntensity(&a.opts, rng); ok {
		t.apply(image, rng)
	}
}

// chance reports true with probability p.
func chance(rng *rand.Rand, p float64) bool {
	return rng.Float64() < p
}

// uniform returns a number drawn uniformly from [lo, hi).
func uniform(rng *rand.Rand, lo, hi float64) float64 {
	return lo + (hi-lo)*rng.Float64()
}

// grow returns buf resized to n, reusing its memory when it is big enough.
func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}
