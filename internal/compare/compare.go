// Package compare trains segmentation networks on the same data with the
// same seed and budget, scores them on one split and writes what tells
// them apart: a table (Markdown, CSV, JSON), plots (PNG, drawn with
// gonum.org/v1/plot) and a README that ties them together.
//
// An output folder holds:
//
//	runs/<name>/            each network's run folder (see package train)
//	eval/<name>.json        each network's scores on the split, per image too
//	table.md, table.csv, table.json
//	curves.png              Dice loss (training, validation) and validation Dice by epoch
//	dice_distribution.png   the per-image Dice of each network
//	confusion.png           each network's pixel confusion matrix
//	overlays.png            the same images with the mask and each network's prediction
//	README.md
//
// Running a comparison again with the same settings picks up where it
// stopped: a finished run in runs/<name> is reused, an interrupted one
// (last.ckpt without run.json) is resumed.
package compare

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"tumorseg/internal/atomicio"
	"tumorseg/internal/cache"
	"tumorseg/internal/metrics"
	"tumorseg/internal/models"
	"tumorseg/internal/train"
)

// Files and folders of an output folder.
const (
	RunsDir          = "runs"
	EvalDir          = "eval"
	TableMarkdown    = "table.md"
	TableCSV         = "table.csv"
	TableJSON        = "table.json"
	CurvesPlot       = "curves.png"
	DistributionPlot = "dice_distribution.png"
	ConfusionPlot    = "confusion.png"
	OverlayGrid      = "overlays.png"
	ReadmeFile       = "README.md"
)

// Defaults of Options.
const (
	DefaultGridImages   = 4
	DefaultTimingPasses = 7
	// WarmupPasses forward passes run before the timed ones, so that the
	// plan, the caches and the allocator have settled.
	WarmupPasses = 2
)

// Options say what to compare and how.
type Options struct {
	// Data is the prepared cache every network trains and is scored on.
	Data string
	// Out is the output folder; networks train into Out/runs/<name>.
	Out string
	// Models are the networks to train (see models.Names), in table order.
	Models []string
	// Runs are finished runs to take as they are; one whose name is also
	// in Models replaces its training, the others follow Models in order.
	Runs []GivenRun
	// Train is the training every network shares: epochs, patience, batch
	// size, learning rate, seed, backend and so on. Its Data and Model are
	// set per network; its Options apply to every network, field by field
	// under Options[name].
	Train train.Config
	// Options overrides Train.Options for the named networks; zero fields
	// keep Train.Options, whose zero fields take each network's default.
	Options map[string]models.Options
	// Split is the split to score; empty means test, or the validation
	// split when the cache has no test split.
	Split string
	// GridImages is the number of images in the overlay grid; 0 means
	// DefaultGridImages.
	GridImages int
	// TimingPasses is the number of timed single-image forward passes per
	// network; 0 means DefaultTimingPasses.
	TimingPasses int
	// Command is the command line that reproduces the comparison; the
	// README quotes it.
	Command string
	// Hooks report progress; any may be nil.
	Hooks Hooks
}

// GivenRun is a finished run folder compared under a name.
type GivenRun struct {
	Name string
	Dir  string
}

// Hooks let the caller follow a comparison.
type Hooks struct {
	// Stage is called when a network begins a stage, with a line saying
	// what happens; name is empty for a line about the whole comparison.
	Stage func(name, what string)
	// Train returns the training hooks for the named network.
	Train func(name string) train.Hooks
}

// Report is the outcome of a comparison; table.json holds it.
type Report struct {
	// Data is the cache folder.
	Data string `json:"data"`
	// Split is the split scored, Images its number of images and Size
	// their side in pixels.
	Split  string `json:"split"`
	Images int    `json:"images"`
	Size   int    `json:"size"`
	// SplitNote says why Split is not the one asked for, empty otherwise.
	SplitNote string `json:"split_note,omitempty"`
	// Settings is the training configuration the networks share.
	Settings train.Config `json:"settings"`
	// TimingPasses is the number of timed forward passes behind InferMillis.
	TimingPasses int `json:"timing_passes"`
	// Rows holds one row per network, in table order.
	Rows []Row `json:"rows"`
	// Files lists every file written, relative to the output folder.
	Files []string `json:"-"`
}

// Row is one network's line of the comparison table.
type Row struct {
	// Name names the row: the network's name, or a given run's name.
	Name string `json:"name"`
	// Model is the network, Base and Depth its options.
	Model string `json:"model"`
	Base  int    `json:"base"`
	Depth int    `json:"depth"`
	// Run is the run folder and Source how it came to be: "trained",
	// "resumed", "reused" (finished earlier) or "given".
	Run    string `json:"run"`
	Source string `json:"source"`
	// The scores on the split, as metrics.Summary defines them.
	DiceMean      float64 `json:"dice_mean"`
	DicePooled    float64 `json:"dice_pooled"`
	IoU           float64 `json:"iou"`
	Precision     float64 `json:"precision"`
	Recall        float64 `json:"recall"`
	F1            float64 `json:"f1"`
	PixelAccuracy float64 `json:"pixel_accuracy"`
	HD95          float64 `json:"hd95_mean"`
	HD95Images    int     `json:"hd95_images"`
	// Params is the number of trainable parameters.
	Params int `json:"params"`
	// EpochsRun and BestEpoch come from the run; TrainSeconds is the time
	// its epochs took.
	EpochsRun    int     `json:"epochs_run"`
	BestEpoch    int     `json:"best_epoch"`
	TrainSeconds float64 `json:"train_seconds"`
	// InferMillis is the median time of one single-image forward pass.
	InferMillis float64 `json:"infer_ms_per_slice"`
	// Backend is the backend that scored and timed the network.
	Backend string `json:"backend"`
}

// entry is one network of a comparison as it goes through the stages.
type entry struct {
	name   string
	dir    string
	source string       // as Row.Source, decided when the comparison is planned
	cfg    train.Config // the training wanted, for networks compared by training
	result *train.Result
	model  *train.Model
	scores metrics.Summary
	millis float64
	preds  [][]uint8 // predictions on the grid images
}

// Run trains every network of opts that has no finished run, scores all of
// them on the split and writes the comparison into opts.Out. Settings are
// checked for every network before the first one trains, so a bad one
// fails at once. A canceled ctx stops training after the current epoch,
// and a later Run with the same options resumes it.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Data == "" || opts.Out == "" {
		return nil, errors.New("compare: no cache folder or no output folder")
	}
	opts.GridImages = orDefault(opts.GridImages, DefaultGridImages)
	opts.TimingPasses = orDefault(opts.TimingPasses, DefaultTimingPasses)
	split, note, err := chooseSplit(opts.Data, opts.Split)
	if err != nil {
		return nil, err
	}
	s, err := cache.Open(opts.Data, split)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if s.Len() == 0 {
		return nil, fmt.Errorf("compare: %s: split %s has no images", opts.Data, split)
	}
	rep := &Report{Data: opts.Data, Split: split, Images: s.Len(), Size: s.Size(),
		SplitNote: note, Settings: opts.Train, TimingPasses: opts.TimingPasses}
	rep.Settings.Data, rep.Settings.Model = opts.Data, ""
	if note != "" {
		stage(opts, "", note)
	}

	entries, err := plan(opts, s.Size())
	if err != nil {
		return nil, err
	}
	for i, e := range entries {
		if err := obtain(ctx, opts, e, i, len(entries)); err != nil {
			return nil, err
		}
	}
	grid := gridImages(s, opts.GridImages)
	for _, e := range entries {
		stage(opts, e.name, fmt.Sprintf("scoring on %s (%d images) and timing %d forward passes",
			split, s.Len(), opts.TimingPasses))
		if err := score(opts, e, s, split, grid); err != nil {
			return nil, err
		}
		rep.Rows = append(rep.Rows, row(e))
	}
	if err := write(opts, rep, entries, s, grid); err != nil {
		return nil, err
	}
	return rep, nil
}

// orDefault returns v, or def when v is not positive.
func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func stage(opts Options, name, what string) {
	if opts.Hooks.Stage != nil {
		opts.Hooks.Stage(name, what)
	}
}

// chooseSplit returns the split to score and, when it is not the one asked
// for, a sentence saying why.
func chooseSplit(data, want string) (split, note string, err error) {
	names, err := cache.Splits(data)
	if err != nil {
		return "", "", err
	}
	if want != "" {
		if !slices.Contains(names, want) {
			return "", "", fmt.Errorf("compare: %s: no split %q (have %v)", data, want, names)
		}
		return want, "", nil
	}
	if slices.Contains(names, "test") {
		return "test", "", nil
	}
	v, err := cache.ValidationSplit(data)
	if err != nil {
		return "", "", err
	}
	return v, fmt.Sprintf("%s has no test split; scoring the validation split %s instead, "+
		"which also chose each network's best epoch", data, v), nil
}

// plan lists the networks to compare and checks each one's settings:
// known network, input size it can take, a run folder that matches.
func plan(opts Options, size int) ([]*entry, error) {
	var entries []*entry
	seen := map[string]bool{}
	add := func(e *entry) error {
		if e.name == "" || filepath.Base(e.name) != e.name || e.name == "." || e.name == ".." {
			return fmt.Errorf("compare: %q cannot name a network: it must be a plain file name",
				e.name)
		}
		if seen[e.name] {
			return fmt.Errorf("compare: %s is named twice", e.name)
		}
		seen[e.name] = true
		entries = append(entries, e)
		return nil
	}
	given := map[string]string{}
	for _, r := range opts.Runs {
		given[r.Name] = r.Dir
	}
	for _, name := range opts.Models {
		e := &entry{name: name, dir: filepath.Join(opts.Out, RunsDir, name)}
		if dir, ok := given[name]; ok {
			e.dir, e.source = dir, "given"
		}
		if err := add(e); err != nil {
			return nil, err
		}
	}
	for _, r := range opts.Runs {
		if !slices.Contains(opts.Models, r.Name) {
			if err := add(&entry{name: r.Name, dir: r.Dir, source: "given"}); err != nil {
				return nil, err
			}
		}
	}
	if len(entries) == 0 {
		return nil, errors.New("compare: no networks to compare")
	}
	for _, e := range entries {
		var err error
		if e.source == "given" {
			err = checkGiven(e)
		} else {
			err = checkOwn(opts, e, size)
		}
		if err != nil {
			return nil, err
		}
	}
	return entries, nil
}

// checkGiven reads the finished run a network is compared by.
func checkGiven(e *entry) error {
	res, err := readResult(e.dir)
	if err != nil {
		return fmt.Errorf("compare: %s: %w (a given run must be finished; "+
			"resume it with tumorseg train --resume)", e.name, err)
	}
	e.result = res
	return nil
}

// checkOwn works out the training of a network compared by training, and
// what its run folder already holds.
func checkOwn(opts Options, e *entry, size int) error {
	cfg := opts.Train
	cfg.Data, cfg.Model = opts.Data, e.name
	if o, ok := opts.Options[e.name]; ok {
		cfg.Options.Base = orDefault(o.Base, cfg.Options.Base)
		cfg.Options.Depth = orDefault(o.Depth, cfg.Options.Depth)
	}
	o, err := models.Resolve(e.name, cfg.Options)
	if err != nil {
		return err
	}
	cfg.Options = o
	if size%(1<<o.Depth) != 0 {
		return fmt.Errorf("compare: %s: %dpx images cannot be halved %d times (depth %d); "+
			"prepare the cache at a size divisible by %d", e.name, size, o.Depth, o.Depth,
			1<<o.Depth)
	}
	if _, err := models.Build(e.name, o, cfg.Seed); err != nil {
		return err
	}
	e.cfg = cfg

	var have train.Config
	if res, err := readResult(e.dir); err == nil {
		e.result, e.source, have = res, "reused", res.Config
	} else if h, err := train.ReadHeader(filepath.Join(e.dir, train.LastFile)); err == nil {
		e.source, have = "resumed", h.Config
	} else if _, statErr := os.Stat(filepath.Join(e.dir, train.LastFile)); statErr == nil {
		return fmt.Errorf("compare: %s: %w", e.name, err)
	} else {
		e.source = "trained"
		return nil
	}
	if d := differs(cfg, have); d != "" {
		return fmt.Errorf("compare: %s holds a %s run with %s; remove it or compare "+
			"with the settings it was made with", e.dir, e.name, d)
	}
	return nil
}

// differs names the first setting that a run made with have does not share
// with the training want, empty when it shares them all.
func differs(want, have train.Config) string {
	wantData, _ := filepath.Abs(want.Data)
	haveData, _ := filepath.Abs(have.Data)
	checks := []struct {
		name       string
		want, have any
	}{
		{"model", want.Model, have.Model},
		{"data", wantData, haveData},
		{"options", want.Options, have.Options},
		{"epochs", want.Epochs, have.Epochs},
		{"batch size", want.BatchSize, have.BatchSize},
		{"learning rate", want.LR, have.LR},
		{"weight decay", want.WeightDecay, have.WeightDecay},
		{"patience", want.Patience, have.Patience},
		{"min delta", want.MinDelta, have.MinDelta},
		{"seed", want.Seed, have.Seed},
		{"train split", want.TrainSplit, have.TrainSplit},
	}
	if want.ValSplit != "" {
		checks = append(checks, struct {
			name       string
			want, have any
		}{"validation split", want.ValSplit, have.ValSplit})
	}
	for _, c := range checks {
		if c.want != c.have {
			return fmt.Sprintf("%s %v, not %v", c.name, c.have, c.want)
		}
	}
	return ""
}

// readResult reads the summary of the finished run in dir.
func readResult(dir string) (*train.Result, error) {
	path := filepath.Join(dir, train.SummaryFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r train.Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if r.Config.Model == "" || len(r.History) == 0 {
		return nil, fmt.Errorf("%s: no network or no epochs recorded", path)
	}
	return &r, nil
}

// obtain trains, resumes or reuses the run of entry e, the i-th of n.
func obtain(ctx context.Context, opts Options, e *entry, i, n int) error {
	var hooks train.Hooks
	if opts.Hooks.Train != nil {
		hooks = opts.Hooks.Train(e.name)
	}
	pos := fmt.Sprintf("network %d of %d", i+1, n)
	var err error
	switch e.source {
	case "given":
		stage(opts, e.name, fmt.Sprintf("%s: taking the run in %s (%d epochs)", pos, e.dir,
			e.result.EpochsRun))
	case "reused":
		stage(opts, e.name, fmt.Sprintf("%s: reusing the finished run in %s (%d epochs)", pos,
			e.dir, e.result.EpochsRun))
	case "resumed":
		stage(opts, e.name, fmt.Sprintf("%s: resuming the interrupted run in %s "+
			"(up to %d epochs)", pos, e.dir, e.cfg.Epochs))
		e.result, err = train.Resume(ctx, e.dir, 0, hooks)
		if errors.Is(err, train.ErrFinished) {
			e.result, err = readResult(e.dir)
		}
	default:
		stage(opts, e.name, fmt.Sprintf("%s: training into %s (up to %d epochs)", pos, e.dir,
			e.cfg.Epochs))
		e.result, err = train.Run(ctx, e.cfg, e.dir, hooks)
	}
	return err
}

// score loads the best weights of e, scores them on the split s, times
// them and predicts the grid images.
func score(opts Options, e *entry, s *cache.Split, split string, grid []int) error {
	m, err := train.Load(e.dir, opts.Train.Backend)
	if err != nil {
		return err
	}
	e.model = m
	if e.scores, err = m.Evaluate(opts.Data, split, max(1, opts.Train.BatchSize)); err != nil {
		return fmt.Errorf("compare: %s: %w", e.name, err)
	}
	if e.millis, err = medianForward(m, s.Image(grid[0]), opts.TimingPasses); err != nil {
		return fmt.Errorf("compare: %s: %w", e.name, err)
	}
	for _, i := range grid {
		prob, err := m.Probabilities(s.Image(i))
		if err != nil {
			return fmt.Errorf("compare: %s: %w", e.name, err)
		}
		e.preds = append(e.preds, metrics.Binarize(prob, metrics.DefaultThreshold, nil))
	}
	return nil
}

// medianForward returns the median time in milliseconds of passes
// single-image forward passes of m on img, after WarmupPasses untimed ones.
func medianForward(m *train.Model, img []float32, passes int) (float64, error) {
	for range WarmupPasses {
		if _, err := m.Probabilities(img); err != nil {
			return 0, err
		}
	}
	ms := make([]float64, passes)
	for i := range ms {
		start := time.Now()
		if _, err := m.Probabilities(img); err != nil {
			return 0, err
		}
		ms[i] = float64(time.Since(start).Nanoseconds()) / 1e6
	}
	return median(ms), nil
}

// median returns the middle value of v, or the mean of the two middle ones
// when len(v) is even; it sorts v, which must not be empty.
func median(v []float64) float64 {
	sort.Float64s(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// gridImages returns up to n image indices of s, in order: spread evenly
// over the images with tumor, topped up from the others when fewer than n
// have one.
func gridImages(s *cache.Split, n int) []int {
	var tumor, empty []int
	for i := range s.Len() {
		if slices.ContainsFunc(s.Mask(i), func(v uint8) bool { return v != 0 }) {
			tumor = append(tumor, i)
		} else {
			empty = append(empty, i)
		}
	}
	pick := spread(tumor, n)
	pick = append(pick, spread(empty, n-len(pick))...)
	slices.Sort(pick)
	return pick
}

// spread returns min(n, len(v)) elements of v at evenly spaced positions.
func spread(v []int, n int) []int {
	n = min(n, len(v))
	out := make([]int, n)
	for k := range n {
		out[k] = v[k*len(v)/n]
	}
	return out
}

// row returns the table row of a scored entry.
func row(e *entry) Row {
	s, r := e.scores, e.result
	return Row{
		Name: e.name, Model: r.Config.Model, Base: r.Config.Options.Base,
		Depth: r.Config.Options.Depth, Run: e.dir, Source: e.source,
		DiceMean: s.DiceMean, DicePooled: s.DicePooled, IoU: s.IoU, Precision: s.Precision,
		Recall: s.Recall, F1: s.F1, PixelAccuracy: s.PixelAccuracy, HD95: s.HD95Mean,
		HD95Images: s.HD95Images, Params: r.NumParams, EpochsRun: r.EpochsRun,
		BestEpoch: r.BestEpoch, TrainSeconds: r.Seconds, InferMillis: e.millis,
		Backend: e.model.Backend(),
	}
}

// write writes every output file of the comparison and lists them in rep.
func write(opts Options, rep *Report, entries []*entry, s *cache.Split, grid []int) error {
	out := func(name string) string { return filepath.Join(opts.Out, name) }
	if err := os.MkdirAll(out(EvalDir), 0o755); err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	for _, e := range entries {
		name := filepath.Join(EvalDir, e.name+".json")
		js, err := json.MarshalIndent(train.EvalReport{Run: e.dir, Model: e.model.Name, Data: opts.Data,
			Split: rep.Split, Epoch: e.model.Epoch, Summary: e.scores}, "", "  ")
		if err != nil {
			return err
		}
		if err := atomicio.WriteBytes(out(name), append(js, '\n')); err != nil {
			return err
		}
		rep.Files = append(rep.Files, name)
	}

	steps := []struct {
		name string
		draw func(path string) error
	}{
		{TableMarkdown, func(p string) error { return writeWith(p, rep.Rows, WriteMarkdown) }},
		{TableCSV, func(p string) error { return writeWith(p, rep.Rows, WriteCSV) }},
		{CurvesPlot, func(p string) error { return plotCurves(p, entries) }},
		{DistributionPlot, func(p string) error {
			return plotDistribution(p, entries, rep.Split)
		}},
		{ConfusionPlot, func(p string) error { return plotConfusion(p, entries) }},
		{OverlayGrid, func(p string) error { return plotOverlays(p, entries, s, grid) }},
	}
	for _, st := range steps {
		if err := st.draw(out(st.name)); err != nil {
			return fmt.Errorf("compare: %s: %w", out(st.name), err)
		}
		rep.Files = append(rep.Files, st.name)
	}
	rep.Files = append(rep.Files, TableJSON, ReadmeFile)
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicio.WriteBytes(out(TableJSON), append(js, '\n')); err != nil {
		return err
	}
	return atomicio.WriteBytes(out(ReadmeFile), readme(opts, rep, entries))
}
