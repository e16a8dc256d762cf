// Package train fits a segmentation network on a prepared cache: Dice loss,
// Adam, the validation Dice after every epoch, early stopping that always
// ends with the best weights restored, and checkpoints that survive a crash
// and resume exactly.
//
// A run folder holds:
//
//	best.ckpt     weights of the best epoch so far (what evaluate and predict use)
//	last.ckpt     weights, optimizer state and random state after the last epoch
//	history.csv   one row per epoch
//	run.json      the summary, written when training ends
package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"tumorseg/internal/atomicio"
	"tumorseg/internal/augment"
	"tumorseg/internal/cache"
	"tumorseg/internal/loader"
	"tumorseg/internal/metrics"
	"tumorseg/internal/models"
	"tumorseg/internal/nn"
)

// Config is everything that determines a training run.
type Config struct {
	Data        string         `json:"data"`  // cache folder
	Model       string         `json:"model"` // network name, see models.Names
	Options     models.Options `json:"options"`
	Size        int            `json:"size"` // image side, from the cache
	Epochs      int            `json:"epochs"`
	BatchSize   int            `json:"batch_size"`
	LR          float64        `json:"lr"`
	WeightDecay float64        `json:"weight_decay"`
	Patience    int            `json:"patience"`
	MinDelta    float64        `json:"min_delta"`
	Seed        uint64         `json:"seed"`
	Workers     int            `json:"workers"` // loader goroutines
	TrainSplit  string         `json:"train_split"`
	ValSplit    string         `json:"val_split"`
	Backend     string         `json:"backend"`
	// Augment turns augmentation of training batches on; Augmentation says
	// how. Validation and test images are never augmented.
	Augment      bool            `json:"augment"`
	Augmentation augment.Options `json:"augmentation"`
}

// Defaults returns the configuration a plain `tumorseg train` uses.
func Defaults() Config {
	return Config{Model: "unet", Epochs: 30, BatchSize: 8, LR: 1e-3, Patience: 5,
		MinDelta: 1e-3, Seed: 1, Workers: 2, TrainSplit: "train", Augment: true,
		Augmentation: augment.Defaults()}
}

// Epoch is one row of the training history.
type Epoch struct {
	Epoch     int     `json:"epoch"`
	TrainLoss float64 `json:"train_loss"` // mean soft Dice loss over the epoch's batches
	ValLoss   float64 `json:"val_loss"`   // mean soft Dice loss over validation batches
	ValDice   float64 `json:"val_dice"`   // mean per-image Dice, thresholded at 0.5
	Seconds   float64 `json:"seconds"`
	Best      bool    `json:"best"`
}

// Hooks lets the caller watch training; any may be nil.
type Hooks struct {
	// Step is called after every training step.
	Step func(epoch, step, steps int, loss float64)
	// Epoch is called after every epoch, with the history so far.
	Epoch func(e Epoch, history []Epoch)
}

// Result is the outcome of a finished run.
type Result struct {
	Dir        string  `json:"dir"`
	Config     Config  `json:"config"`
	EpochsRun  int     `json:"epochs_run"`
	BestEpoch  int     `json:"best_epoch"`
	BestDice   float64 `json:"best_val_dice"`
	StopReason string  `json:"stop_reason"`
	Seconds    float64 `json:"train_seconds"`
	NumParams  int     `json:"num_params"`
	Backend    string  `json:"backend"`
	History    []Epoch `json:"history"`

	graph *nn.Graph
}

// Graph returns the trained network with the best weights restored.
func (r *Result) Graph() *nn.Graph { return r.graph }

// Paths of a run folder.
const (
	BestFile    = "best.ckpt"
	LastFile    = "last.ckpt"
	HistoryFile = "history.csv"
	SummaryFile = "run.json"
)

// ErrFinished is returned by Resume for a run that already ended.
var ErrFinished = errors.New("train: run already finished")

// trainer holds one run's state.
type trainer struct {
	cfg     Config
	dir     string
	graph   *nn.Graph
	adam    *nn.Adam
	pcg     *rand.PCG
	stopper Stopper
	history []Epoch
	epoch   int
	seconds float64
	hooks   Hooks

	train, val *cache.Split
	transform  loader.Transform // nil when augmentation is off
}

// Run trains a new network with cfg into the folder dir, which must not
// already hold a run.
func Run(ctx context.Context, cfg Config, dir string, hooks Hooks) (*Result, error) {
	if _, err := os.Stat(filepath.Join(dir, LastFile)); err == nil {
		return nil, fmt.Errorf("train: %s already holds a run; use resume or another folder", dir)
	}
	t, err := newTrainer(cfg, dir, hooks)
	if err != nil {
		return nil, err
	}
	defer t.close()
	// The folder is made only once the configuration is known to be good.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return t.run(ctx)
}

// Resume continues the run in dir from its last checkpoint, exactly as if it
// had not been interrupted. epochs, when positive, replaces the epoch limit.
func Resume(ctx context.Context, dir string, epochs int, hooks Hooks) (*Result, error) {
	path := filepath.Join(dir, LastFile)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("train: %s holds no finished epoch to resume from (no %s): "+
			"start it again without --resume", dir, LastFile)
	}
	h, err := ReadHeader(path)
	if err != nil {
		return nil, err
	}
	finished := h.Finished && epochs <= h.Epoch
	cfg := h.Config
	if epochs > 0 {
		cfg.Epochs = epochs
	}
	t, err := newTrainer(cfg, dir, hooks)
	if err != nil {
		return nil, err
	}
	defer t.close()
	if _, err := readCheckpoint(path, t.graph.Params(), t.adam); err != nil {
		return nil, err
	}
	if err := t.pcg.UnmarshalBinary(h.RNGState); err != nil {
		return nil, fmt.Errorf("train: %s: random state: %w", path, err)
	}
	t.stopper, t.history, t.epoch, t.seconds = h.Stopper, h.History, h.Epoch, h.TrainSeconds
	if finished {
		// Training had ended; make sure the summary is there and say so.
		if _, err := t.finish(h.StopReason); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %s (%s; raise --epochs to train further)",
			ErrFinished, dir, h.StopReason)
	}
	os.Remove(filepath.Join(dir, SummaryFile))
	return t.run(ctx)
}

func newTrainer(cfg Config, dir string, hooks Hooks) (*trainer, error) {
	if cfg.BatchSize < 1 || cfg.Epochs < 1 || cfg.LR <= 0 {
		return nil, fmt.Errorf("train: batch size, epochs and learning rate must be positive")
	}
	t := &trainer{cfg: cfg, dir: dir, hooks: hooks,
		stopper: Stopper{Patience: cfg.Patience, MinDelta: cfg.MinDelta}}
	var err error
	if t.train, err = cache.Open(cfg.Data, cfg.TrainSplit); err != nil {
		return nil, err
	}
	if t.cfg.ValSplit == "" {
		if t.cfg.ValSplit, err = cache.ValidationSplit(cfg.Data); err != nil {
			t.close()
			return nil, err
		}
	}
	if t.val, err = cache.Open(cfg.Data, t.cfg.ValSplit); err != nil {
		t.close()
		return nil, err
	}
	if t.train.Size() != t.val.Size() {
		t.close()
		return nil, fmt.Errorf("train: %s: splits %s and %s have different sizes",
			cfg.Data, cfg.TrainSplit, t.cfg.ValSplit)
	}
	if t.cfg.Size != 0 && t.cfg.Size != t.train.Size() {
		t.close()
		return nil, fmt.Errorf("train: %s holds %dpx images, the run was made for %dpx",
			cfg.Data, t.train.Size(), t.cfg.Size)
	}
	t.cfg.Size = t.train.Size()
	if t.cfg.Options, err = models.Resolve(cfg.Model, cfg.Options); err != nil {
		t.close()
		return nil, err
	}
	if t.cfg.Backend == "" {
		t.cfg.Backend = nn.DefaultBackend()
	}
	if t.graph, err = buildGraph(t.cfg); err != nil {
		t.close()
		return nil, err
	}
	if t.cfg.Augment {
		if err := t.cfg.Augmentation.Validate(); err != nil {
			t.close()
			return nil, err
		}
		t.transform = augment.New(t.cfg.Augmentation)
	}
	t.adam = nn.NewAdam(t.graph.Params(), cfg.LR)
	t.adam.WeightDecay = cfg.WeightDecay
	t.pcg = rand.NewPCG(cfg.Seed, 0x7472_6169_6e)
	return t, nil
}

// buildGraph builds the configured network on the configured backend.
func buildGraph(cfg Config) (*nn.Graph, error) {
	g, err := models.Build(cfg.Model, cfg.Options, cfg.Seed)
	if err != nil {
		return nil, err
	}
	b, err := nn.NewBackend(cfg.Backend)
	if err != nil {
		return nil, err
	}
	g.SetBackend(b)
	if err := g.Plan(1, cfg.Size, cfg.Size, false); err != nil {
		return nil, fmt.Errorf("train: %s at %dpx: %w", cfg.Model, cfg.Size, err)
	}
	return g, nil
}

func (t *trainer) close() {
	if t.train != nil {
		t.train.Close()
	}
	if t.val != nil {
		t.val.Close()
	}
}

func (t *trainer) run(ctx context.Context) (*Result, error) {
	reason := fmt.Sprintf("epoch limit %d reached", t.cfg.Epochs)
	for t.epoch < t.cfg.Epochs {
		start := time.Now()
		e, err := t.trainEpoch(ctx, t.epoch+1)
		if err != nil {
			return nil, err
		}
		e.ValLoss, e.ValDice, err = t.validate()
		if err != nil {
			return nil, err
		}
		var stop bool
		e.Best, stop = t.stopper.Observe(e.Epoch, e.ValDice)
		e.Seconds = time.Since(start).Seconds()
		t.seconds += e.Seconds
		t.epoch = e.Epoch
		t.history = append(t.history, e)
		if stop {
			reason = fmt.Sprintf("early stop: no improvement over %.4g for %d epochs",
				t.cfg.MinDelta, t.cfg.Patience)
		}
		if err := t.save(e, stop || t.epoch >= t.cfg.Epochs, reason); err != nil {
			return nil, err
		}
		if t.hooks.Epoch != nil {
			t.hooks.Epoch(e, t.history)
		}
		if stop {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return t.finish(reason)
}

// trainEpoch runs one pass over the training split.
func (t *trainer) trainEpoch(ctx context.Context, epoch int) (Epoch, error) {
	n := t.train.Len()
	l := loader.New(t.train, loader.Options{BatchSize: min(t.cfg.BatchSize, n), Shuffle: true,
		Seed: rand.New(t.pcg).Uint64(), Workers: t.cfg.Workers, Prefetch: 2,
		DropLast: n > t.cfg.BatchSize, Transform: t.transform})
	steps := l.Batches()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var dlogits *nn.Tensor
	sum, step := 0.0, 0
	for b := range l.Epoch(ctx, epoch) {
		x := &nn.Tensor{N: b.N, H: b.Size, W: b.Size, C: 1, Data: b.Images}
		out, err := t.graph.Forward(x, true)
		if err != nil {
			l.Release(b)
			return Epoch{}, err
		}
		if dlogits == nil || dlogits.Len() != out.Len() {
			dlogits = nn.NewTensor(out.N, out.H, out.W, 1)
		}
		loss := nn.DiceLoss(out.Data, b.Masks, dlogits.Data)
		l.Release(b)
		if err := t.graph.Backward(dlogits); err != nil {
			return Epoch{}, err
		}
		t.adam.Update()
		sum += loss
		step++
		if t.hooks.Step != nil {
			t.hooks.Step(epoch, step, steps, loss)
		}
	}
	if err := ctx.Err(); err != nil {
		return Epoch{}, err
	}
	return Epoch{Epoch: epoch, TrainLoss: sum / float64(max(step, 1))}, nil
}

// validate returns the mean soft Dice loss and mean per-image Dice on the
// validation split.
func (t *trainer) validate() (loss, dice float64, err error) {
	s, err := evaluateSplit(t.graph, t.val, t.cfg.BatchSize, nil, false)
	if err != nil {
		return 0, 0, err
	}
	return s.loss, s.summary.DiceMean, nil
}

// save writes best.ckpt when e improved, then last.ckpt and history.csv.
// finished marks the last epoch of the run, and reason why it ends.
func (t *trainer) save(e Epoch, finished bool, reason string) error {
	state, err := t.pcg.MarshalBinary()
	if err != nil {
		return err
	}
	h := Header{Config: t.cfg, Epoch: t.epoch, AdamStep: t.adam.Step, RNGState: state,
		Stopper: t.stopper, History: t.history, ValDice: e.ValDice,
		TrainSeconds: t.seconds, NumParams: t.graph.NumParams(), Finished: finished}
	if finished {
		h.StopReason = reason
	}
	if e.Best {
		if err := writeCheckpoint(filepath.Join(t.dir, BestFile), h, t.graph.Params(), nil); err != nil {
			return err
		}
	}
	if err := writeCheckpoint(filepath.Join(t.dir, LastFile), h, t.graph.Params(), t.adam); err != nil {
		return err
	}
	return writeHistory(filepath.Join(t.dir, HistoryFile), t.history)
}

// finish restores the best weights and writes the run summary.
func (t *trainer) finish(reason string) (*Result, error) {
	if _, err := readCheckpoint(filepath.Join(t.dir, BestFile), t.graph.Params(), nil); err != nil {
		return nil, fmt.Errorf("train: restoring the best weights: %w", err)
	}
	r := &Result{Dir: t.dir, Config: t.cfg, EpochsRun: t.epoch, BestEpoch: t.stopper.BestEpoch,
		BestDice: t.stopper.Best, StopReason: reason, Seconds: t.seconds,
		NumParams: t.graph.NumParams(), Backend: t.graph.Backend().Name(),
		History: t.history, graph: t.graph}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return r, atomicio.WriteBytes(filepath.Join(t.dir, SummaryFile), append(js, '\n'))
}

// evaluation is what evaluateSplit measures.
type evaluation struct {
	loss    float64
	summary metrics.Summary
}

// evaluateSplit runs g in inference mode over every image of s, in batches
// of batch (the last one padded with zeros so the plan never changes), and
// scores the probabilities against the masks; HD95 only when withHD95.
func evaluateSplit(g *nn.Graph, s *cache.Split, batch int, names func(int) string,
	withHD95 bool) (*evaluation, error) {
	size := s.Size()
	px := size * size
	batch = max(1, min(batch, s.Len()))
	x := nn.NewTensor(batch, size, size, 1)
	target := make([]float32, batch*px)
	dl := make([]float32, batch*px)
	prob := make([]float32, px)
	ev := metrics.Evaluator{SkipHD95: !withHD95}
	loss, batches := 0.0, 0
	for i := 0; i < s.Len(); i += batch {
		n := min(batch, s.Len()-i)
		x.Zero()
		for j := range n {
			copy(x.Data[j*px:], s.Image(i+j))
			for k, m := range s.Mask(i + j) {
				target[j*px+k] = float32(m)
			}
		}
		out, err := g.Forward(x, false)
		if err != nil {
			return nil, err
		}
		loss += nn.DiceLoss(out.Data[:n*px], target[:n*px], dl[:n*px])
		batches++
		for j := range n {
			for k, z := range out.Data[j*px : (j+1)*px] {
				prob[k] = nn.Sigmoid(z)
			}
			name := ""
			if names != nil {
				name = names(i + j)
			}
			ev.AddNamed(name, prob, s.Mask(i+j))
		}
	}
	return &evaluation{loss: loss / float64(max(batches, 1)), summary: ev.Summary()}, nil
}
