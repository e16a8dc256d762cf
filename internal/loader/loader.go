// Package loader cuts a prepared split into batches for training. Each
// epoch visits every case once, in an order that depends only on the seed
// and the epoch number, so a resumed run sees the same batches as an
// uninterrupted one. Worker goroutines fill batches a few ahead of the
// consumer from a fixed pool of buffers, so memory stays bounded; what a
// batch holds never depends on how the workers were scheduled.
//
// Batches are NHWC with one channel: images and masks are (N,H,W,1) with
// H = W = the source's size.
package loader

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
)

// Source is a split of cases that all have the same square size, such as a
// cache.Split. Its methods are called from several goroutines at once.
type Source interface {
	Len() int
	Size() int
	// Image returns case i's Size*Size pixels, row-major.
	Image(i int) []float32
	// Mask returns case i's Size*Size pixels of 0 or 1, row-major.
	Mask(i int) []uint8
}

// Transform changes one case of a batch in place after it is copied from
// the source: image and mask are (H,W,1) views into the batch, H = W =
// size, and the mask holds 0 or 1. rng is seeded from the loader's seed,
// the epoch and the case's source index, so the change is reproducible
// whatever worker runs it. A Transform runs on several goroutines at once.
type Transform func(image, mask []float32, size int, rng *rand.Rand)

// Options control a Loader.
type Options struct {
	// BatchSize is the number of cases per batch; 0 means 1.
	BatchSize int
	// Shuffle visits the cases in a new order every epoch; otherwise in
	// source order.
	Shuffle bool
	// Seed selects the shuffle orders and the Transform's random numbers.
	Seed uint64
	// Workers is the number of goroutines filling batches; 0 means
	// GOMAXPROCS.
	Workers int
	// Prefetch is the number of batches filled ahead of the one the
	// consumer holds; 0 means 2.
	Prefetch int
	// DropLast leaves out a last batch smaller than BatchSize.
	DropLast bool
	// Transform, when set, changes each case once it is in its batch.
	Transform Transform
}

// Batch is a group of cases. Images and Masks are (N,H,W,1), H = W = Size;
// Indices[k] is the source index of case k.
type Batch struct {
	N, Size  int
	Images   []float32
	Masks    []float32
	Indices  []int
	Epoch    int
	Position int // the batch's place in its epoch, from 0

	owner    *Loader
	images   []float32 // full-capacity buffers behind Images and Masks
	masks    []float32
	indices  []int
	pending  *atomic.Int32 // cases still being filled
	ready    chan struct{}
	released bool
}

// Loader hands out the batches of a source, epoch after epoch.
type Loader struct {
	src  Source
	opts Options
	size int
	// pool holds Prefetch+1 batch buffers, nil until first used.
	pool chan *Batch
}

// New returns a loader over src. It allocates nothing until the first
// epoch runs; then at most Prefetch+1 batches exist, however long it runs.
func New(src Source, opts Options) *Loader {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Prefetch <= 0 {
		opts.Prefetch = 2
	}
	l := &Loader{src: src, opts: opts, size: src.Size(),
		pool: make(chan *Batch, opts.Prefetch+1)}
	for range opts.Prefetch + 1 {
		l.pool <- nil
	}
	return l
}

// Batches returns the number of batches in an epoch.
func (l *Loader) Batches() int {
	n, bs := l.src.Len(), l.opts.BatchSize
	if l.opts.DropLast {
		return n / bs
	}
	return (n + bs - 1) / bs
}

// Order returns the source indices in the order the given epoch visits
// them: a permutation drawn from (Seed, epoch) when shuffling, else
// 0, 1, 2, ....
func (l *Loader) Order(epoch int) []int {
	n := l.src.Len()
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if !l.opts.Shuffle {
		return order
	}
	rng := rand.NewPCG(l.opts.Seed, mix(shuffleStream, uint64(epoch)))
	for i := n - 1; i > 0; i-- {
		j := below(rng, uint64(i+1))
		order[i], order[j] = order[j], order[i]
	}
	return order
}

// Streams of random numbers drawn from the seed.
const (
	shuffleStream   = 0x5348554646
	transformStream = 0x5452414e53
)

// mix derives a well-spread 64-bit seed from a stream and a value
// (SplitMix64's finalizer applied to each).
func mix(stream, v uint64) uint64 {
	h := stream
	for _, x := range []uint64{v, 0} {
		h ^= x
		h += 0x9e3779b97f4a7c15
		h = (h ^ h>>30) * 0xbf58476d1ce4e5b9
		h = (h ^ h>>27) * 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}

// below returns a uniform number in [0, n) by rejecting the draws that
// would bias the remainder. It is written out, rather than taken from
// math/rand, so that orders stay the same across Go releases.
func below(rng *rand.PCG, n uint64) int {
	threshold := -n % n // 2^64 mod n
	for {
		if v := rng.Uint64(); v >= threshold {
			return int(v % n)
		}
	}
}

// job is one case to copy into its batch.
type job struct {
	b *Batch
	k int // the case's place in the batch
}

// Epoch starts the given epoch and returns its batches in order. The
// channel closes after the last batch or once ctx is done. Every batch
// received must be handed back with Release; the loader waits for one when
// all Prefetch+1 buffers are out.
func (l *Loader) Epoch(ctx context.Context, epoch int) <-chan *Batch {
	out := make(chan *Batch)
	order := l.Order(epoch)
	nb := l.Batches()
	bs := l.opts.BatchSize

	ctx, cancel := context.WithCancel(ctx)
	queue := make(chan *Batch, cap(l.pool))
	jobs := make(chan job)

	go func() {
		defer close(queue)
		defer close(jobs)
		for p := range nb {
			var b *Batch
			select {
			case b = <-l.pool:
			case <-ctx.Done():
				return
			}
			if b == nil {
				b = l.newBatch()
			}
			b.reset(epoch, p, order[p*bs:min((p+1)*bs, len(order))])
			queue <- b // never blocks: queue holds every buffer there is
			for k := range b.N {
				select {
				case jobs <- job{b, k}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()

	var wg sync.WaitGroup
	for range l.opts.Workers {
		wg.Go(func() { l.work(jobs, epoch) })
	}

	go func() {
		defer close(out)
		defer cancel()
		for b := range queue {
			select {
			case <-b.ready:
			case <-ctx.Done():
				l.abandon(b, queue, &wg, cancel)
				return
			}
			select {
			case out <- b:
			case <-ctx.Done():
				l.abandon(b, queue, &wg, cancel)
				return
			}
		}
		wg.Wait()
	}()
	return out
}

// abandon stops an epoch early: it waits for the workers and puts b and
// the batches still queued back in the pool.
func (l *Loader) abandon(b *Batch, queue chan *Batch, wg *sync.WaitGroup,
	cancel context.CancelFunc) {
	cancel()
	wg.Wait()
	l.pool <- b
	for b := range queue {
		l.pool <- b
	}
}

// work fills the cases named by jobs. Each case's random numbers are drawn
// from its own seed, so it does not matter which worker fills it.
func (l *Loader) work(jobs <-chan job, epoch int) {
	var pcg *rand.PCG
	var rng *rand.Rand
	if l.opts.Transform != nil {
		pcg = rand.NewPCG(0, 0)
		rng = rand.New(pcg)
	}
	n := l.size * l.size
	for j := range jobs {
		b, k := j.b, j.k
		i := b.Indices[k]
		img := b.Images[k*n : (k+1)*n]
		mask := b.Masks[k*n : (k+1)*n]
		copy(img, l.src.Image(i))
		for p, v := range l.src.Mask(i) {
			mask[p] = float32(v)
		}
		if l.opts.Transform != nil {
			pcg.Seed(l.opts.Seed, mix(mix(transformStream, uint64(epoch)), uint64(i)))
			l.opts.Transform(img, mask, l.size, rng)
		}
		if b.pending.Add(-1) == 0 {
			close(b.ready)
		}
	}
}

func (l *Loader) newBatch() *Batch {
	n := l.opts.BatchSize * l.size * l.size
	return &Batch{
		owner:   l,
		images:  make([]float32, n),
		masks:   make([]float32, n),
		indices: make([]int, l.opts.BatchSize),
		pending: new(atomic.Int32),
	}
}

// reset readies b to receive the cases of batch p of epoch.
func (b *Batch) reset(epoch, p int, indices []int) {
	n := b.owner.size * b.owner.size
	b.N, b.Size, b.Epoch, b.Position = len(indices), b.owner.size, epoch, p
	b.Images = b.images[:b.N*n]
	b.Masks = b.masks[:b.N*n]
	b.Indices = b.indices[:b.N]
	copy(b.Indices, indices)
	b.pending.Store(int32(b.N))
	b.ready = make(chan struct{})
	b.released = false
}

// Release hands b's buffers back for later batches; b must not be used
// after. Release panics if b is from another loader or released twice.
func (l *Loader) Release(b *Batch) {
	if b == nil {
		return
	}
	if b.owner != l {
		panic("loader: Release of a batch from another loader")
	}
	if b.released {
		panic(fmt.Sprintf("loader: batch %d of epoch %d released twice", b.Position, b.Epoch))
	}
	b.released = true
	l.pool <- b
}
