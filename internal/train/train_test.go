package train

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"tumorseg/internal/cache"
	"tumorseg/internal/models"
	"tumorseg/internal/nn"
	"tumorseg/internal/synth"
)

// tinyCache prepares a small synthetic dataset at 64x64 once per test.
func tinyCache(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := synth.WriteCOCO(filepath.Join(dir, "data"),
		synth.Options{Train: 12, Valid: 4, Size: 64, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := cache.Prepare(filepath.Join(dir, "data"), filepath.Join(dir, "cache"),
		cache.PrepareOptions{Size: 64, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "cache")
}

func tinyConfig(data string) Config {
	c := Defaults()
	c.Data, c.Options, c.BatchSize, c.Epochs, c.Backend = data,
		models.Options{Base: 2, Depth: 2}, 4, 3, "ref"
	c.LR = 1e-2
	c.Augment = false
	return c
}

// paramsOf reads the network parameters stored in a checkpoint.
func paramsOf(t *testing.T, cfg Config, path string) []*nn.Param {
	t.Helper()
	g, err := buildGraph(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readCheckpoint(path, g.Params(), nil); err != nil {
		t.Fatal(err)
	}
	return g.Params()
}

func sameParams(a, b []*nn.Param) bool {
	for i := range a {
		if !slices.Equal(a[i].Data, b[i].Data) {
			return false
		}
	}
	return true
}

func TestEarlyStoppingRestoresBestEpoch(t *testing.T) {
	data := tinyCache(t)
	for _, tc := range []struct {
		name               string
		epochs, patience   int
		wantRun, wantBest  int
		wantReasonContains string
	}{
		// A min delta of 1 can never be beaten (Dice <= 1): epoch 1 stays best.
		{"patience ends it", 10, 2, 3, 1, "early stop"},
		{"epoch limit ends it", 2, 0, 2, 1, "epoch limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig(data)
			cfg.Epochs, cfg.Patience, cfg.MinDelta = tc.epochs, tc.patience, 1
			dir := t.TempDir()
			res, err := Run(context.Background(), cfg, dir, Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			if res.EpochsRun != tc.wantRun || res.BestEpoch != tc.wantBest {
				t.Fatalf("ran %d epochs, best %d; want %d and %d", res.EpochsRun, res.BestEpoch,
					tc.wantRun, tc.wantBest)
			}
			if res.BestDice != res.History[0].ValDice {
				t.Errorf("best Dice %g, epoch 1 had %g", res.BestDice, res.History[0].ValDice)
			}
			final := res.Graph().Params()
			if !sameParams(final, paramsOf(t, res.Config, filepath.Join(dir, BestFile))) {
				t.Error("the final weights are not the best epoch's")
			}
			if sameParams(final, paramsOf(t, res.Config, filepath.Join(dir, LastFile))) {
				t.Error("the final weights are the last epoch's, not the best's")
			}
			if !strings.Contains(res.StopReason, tc.wantReasonContains) {
				t.Errorf("stop reason %q", res.StopReason)
			}
		})
	}
}

func TestResumeMatchesUninterruptedRun(t *testing.T) {
	data := tinyCache(t)
	cfg := tinyConfig(data)
	cfg.Epochs, cfg.Patience, cfg.Augment = 4, 0, true

	whole := t.TempDir()
	want, err := Run(context.Background(), cfg, whole, Hooks{})
	if err != nil {
		t.Fatal(err)
	}

	// Interrupt after epoch 2, as a crash after its checkpoint would.
	broken := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	_, err = Run(ctx, cfg, broken, Hooks{Epoch: func(e Epoch, _ []Epoch) {
		if e.Epoch == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run returned %v", err)
	}
	got, err := Resume(context.Background(), broken, 0, Hooks{})
	if err != nil {
		t.Fatal(err)
	}

	if !sameParams(got.Graph().Params(), want.Graph().Params()) {
		t.Error("resumed weights differ from the uninterrupted run's")
	}
	if len(got.History) != len(want.History) {
		t.Fatalf("history has %d epochs, want %d", len(got.History), len(want.History))
	}
	for i := range want.History {
		g, w := got.History[i], want.History[i]
		g.Seconds, w.Seconds = 0, 0
		if g != w {
			t.Errorf("epoch %d: %+v, want %+v", i+1, g, w)
		}
	}
	hg, _ := ReadHeader(filepath.Join(broken, LastFile))
	hw, _ := ReadHeader(filepath.Join(whole, LastFile))
	if hg.AdamStep != hw.AdamStep || !slices.Equal(hg.RNGState, hw.RNGState) {
		t.Errorf("optimizer step %d and random state differ from %d", hg.AdamStep, hw.AdamStep)
	}
	if !sameParams(paramsOf(t, got.Config, filepath.Join(broken, LastFile)),
		paramsOf(t, want.Config, filepath.Join(whole, LastFile))) {
		t.Error("last checkpoints differ")
	}

	if _, err := Resume(context.Background(), broken, 0, Hooks{}); !errors.Is(err, ErrFinished) {
		t.Errorf("resuming a finished run: %v, want ErrFinished", err)
	}
}

func TestCheckpointFromAnotherVersion(t *testing.T) {
	data := tinyCache(t)
	cfg := tinyConfig(data)
	cfg.Epochs = 1
	dir := t.TempDir()
	if _, err := Run(context.Background(), cfg, dir, Hooks{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, BestFile)
	h, err := ReadHeader(path)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := buildGraph(h.Config)
	if err := writeCheckpointVersion(path, *h, g.Params(), 99); err != nil {
		t.Fatal(err)
	}
	_, err = Load(dir, "")
	if !errors.Is(err, ErrCheckpointVersion) || !strings.Contains(err.Error(), path) {
		t.Errorf("loading a version-99 checkpoint: %v", err)
	}
}

func writeCheckpointVersion(path string, h Header, ps []*nn.Param, v int) error {
	return writeCheckpointAs(path, h, ps, nil, v)
}

func TestAugmentationOnlyTouchesTrainingBatches(t *testing.T) {
	data := tinyCache(t)
	cfg := tinyConfig(data)
	cfg.Epochs, cfg.Augment = 2, true
	tr, err := newTrainer(cfg, t.TempDir(), Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.close()
	var calls atomic.Int64
	inner := tr.transform
	tr.transform = func(image, mask []float32, size int, rng *rand.Rand) {
		calls.Add(1)
		inner(image, mask, size, rng)
	}
	res, err := tr.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// 12 training images in batches of 4, and none of the 4 validation ones.
	if got := calls.Load(); got != int64(12*res.EpochsRun) {
		t.Errorf("%d augmented cases over %d epochs, want %d", got, res.EpochsRun, 12*res.EpochsRun)
	}
	// Validation reads the cache as prepared: scoring again gives the same Dice.
	ev, err := evaluateSplit(tr.graph, tr.val, cfg.BatchSize, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if ev.summary.DiceMean != res.BestDice {
		t.Errorf("rescored validation Dice %g, training saw %g", ev.summary.DiceMean, res.BestDice)
	}
}
