package compare

import (
	"context"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"tumorseg/internal/cache"
	"tumorseg/internal/models"
	"tumorseg/internal/synth"
	"tumorseg/internal/train"
)

// tinyCache prepares synthetic slices at 64x64: 12 train, 4 valid and, when
// test is set, 4 test.
func tinyCache(t *testing.T, test bool) string {
	t.Helper()
	dir := t.TempDir()
	o := synth.Options{Train: 12, Valid: 4, Size: 64, Seed: 5}
	if test {
		o.Test = 4
	}
	if _, err := synth.WriteCOCO(filepath.Join(dir, "data"), o); err != nil {
		t.Fatal(err)
	}
	if _, err := cache.Prepare(filepath.Join(dir, "data"), filepath.Join(dir, "cache"),
		cache.PrepareOptions{Size: 64, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "cache")
}

// tinyOptions compares UNet and ResUNet++ at base 2, depth 2 for two epochs.
func tinyOptions(data, out string) Options {
	cfg := train.Defaults()
	cfg.Options = models.Options{Base: 2, Depth: 2}
	cfg.Epochs, cfg.Patience, cfg.BatchSize, cfg.LR, cfg.Backend, cfg.Workers =
		2, 0, 4, 1e-2, "ref", 1
	return Options{Data: data, Out: out, Models: []string{"unet", "resunet++"}, Train: cfg,
		TimingPasses: 3, Command: "tumorseg compare --data " + data + " --out " + out}
}

// stages records the Stage lines of a comparison by network.
type stages map[string][]string

func (s stages) hooks() Hooks {
	return Hooks{Stage: func(name, what string) { s[name] = append(s[name], what) }}
}

func (s stages) said(name, part string) bool {
	for _, line := range s[name] {
		if strings.Contains(line, part) {
			return true
		}
	}
	return false
}

func TestRunResumesThenReuses(t *testing.T) {
	data, out := tinyCache(t, true), t.TempDir()
	opts := tinyOptions(data, out)

	// Leave an interrupted UNet run, as a crash after epoch 1 would.
	cfg := opts.Train
	cfg.Data, cfg.Model = data, "unet"
	ctx, cancel := context.WithCancel(context.Background())
	_, err := train.Run(ctx, cfg, filepath.Join(out, RunsDir, "unet"), train.Hooks{
		Epoch: func(train.Epoch, []train.Epoch) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run returned %v", err)
	}

	st := stages{}
	opts.Hooks = st.hooks()
	rep, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !st.said("unet", "resuming") || !st.said("resunet++", "training into") {
		t.Errorf("stages: %v", st)
	}
	if rep.Split != "test" || rep.Images != 4 || rep.SplitNote != "" {
		t.Errorf("split %s, %d images, note %q; want test, 4, none",
			rep.Split, rep.Images, rep.SplitNote)
	}
	checkRows(t, rep.Rows)
	if rep.Rows[0].Source != "resumed" || rep.Rows[1].Source != "trained" {
		t.Errorf("sources %s, %s; want resumed, trained", rep.Rows[0].Source, rep.Rows[1].Source)
	}
	checkFiles(t, out, rep)

	st = stages{}
	opts.Hooks = st.hooks()
	again, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !st.said("unet", "reusing") || !st.said("resunet++", "reusing") {
		t.Errorf("second run stages: %v", st)
	}
	for i, r := range again.Rows {
		if r.DiceMean != rep.Rows[i].DiceMean || r.HD95 != rep.Rows[i].HD95 ||
			r.TrainSeconds != rep.Rows[i].TrainSeconds {
			t.Errorf("%s: reused run scores %+v, first run %+v", r.Name, r, rep.Rows[i])
		}
	}

	opts.Train.Epochs = 3
	if _, err := Run(context.Background(), opts); err == nil ||
		!strings.Contains(err.Error(), "epochs 2, not 3") {
		t.Errorf("changed epochs: %v, want an error naming them", err)
	}
}

// checkRows checks the rows of the tiny comparison: names, counts that
// follow from the settings, scores in range.
func checkRows(t *testing.T, rows []Row) {
	t.Helper()
	// Parameter counts as TestCountParts works them out (UNet) and as
	// models.Build gives them (ResUNet++ at base 2, depth 2).
	want := []struct {
		name   string
		params int
	}{{"unet", 1923}, {"resunet++", 16255}}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, r := range rows {
		if r.Name != want[i].name || r.Model != want[i].name || r.Params != want[i].params {
			t.Errorf("row %d: %s (%s), %d parameters; want %s, %d", i, r.Name, r.Model,
				r.Params, want[i].name, want[i].params)
		}
		if r.Base != 2 || r.Depth != 2 || r.EpochsRun != 2 || r.BestEpoch < 1 ||
			r.BestEpoch > 2 || r.Backend != "ref" {
			t.Errorf("%s: base %d depth %d, %d epochs, best %d, backend %s", r.Name, r.Base,
				r.Depth, r.EpochsRun, r.BestEpoch, r.Backend)
		}
		for _, s := range []float64{r.DiceMean, r.DicePooled, r.IoU, r.Precision, r.Recall,
			r.F1, r.PixelAccuracy} {
			if !(s >= 0 && s <= 1) {
				t.Errorf("%s: score %v outside [0,1]: %+v", r.Name, s, r)
			}
		}
		if r.HD95Images < 0 || r.HD95Images > 4 || !(r.HD95 >= 0 && r.HD95 <= 64*1.5) {
			t.Errorf("%s: HD95 %v over %d images", r.Name, r.HD95, r.HD95Images)
		}
		if !(r.TrainSeconds > 0) || !(r.InferMillis > 0) {
			t.Errorf("%s: training %vs, inference %vms", r.Name, r.TrainSeconds, r.InferMillis)
		}
	}
}

// checkFiles checks that every output exists and every PNG decodes at a
// size that fits its layout.
func checkFiles(t *testing.T, out string, rep *Report) {
	t.Helper()
	for _, f := range []string{TableMarkdown, TableCSV, TableJSON, ReadmeFile,
		"eval/unet.json", "eval/resunet++.json", "runs/unet/run.json",
		"runs/resunet++/run.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	// Sizes at 96 dpi: curves 12x5 in; the distribution at least 6 in wide;
	// confusion 4 in per network; overlays 2.3 in per column (scan, mask,
	// two networks) and 2.45 in per grid row.
	for _, tc := range []struct {
		name string
		w, h int
	}{
		{CurvesPlot, 1152, 480},
		{DistributionPlot, 576, 480},
		{ConfusionPlot, 768, 403},
		{OverlayGrid, 883, 941},
	} {
		f, err := os.Open(filepath.Join(out, tc.name))
		if err != nil {
			t.Errorf("missing %s", tc.name)
			continue
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != tc.w || cfg.Height != tc.h {
			t.Errorf("%s: %dx%d (%v), want %dx%d", tc.name, cfg.Width, cfg.Height, err, tc.w, tc.h)
		}
	}
	readme, _ := os.ReadFile(filepath.Join(out, ReadmeFile))
	for _, part := range []string{"| unet |", "| resunet++ |", CurvesPlot, DistributionPlot,
		ConfusionPlot, OverlayGrid, rep.Data, "```sh\ntumorseg compare --data "} {
		if !strings.Contains(string(readme), part) {
			t.Errorf("README lacks %q", part)
		}
	}
	if len(rep.Files) != 10 {
		t.Errorf("Files lists %d, want 10: %v", len(rep.Files), rep.Files)
	}
}

func TestChooseSplitFallsBackToValidation(t *testing.T) {
	data := tinyCache(t, false)
	for _, tc := range []struct {
		want, split string
		noted       bool
		err         string
	}{
		{"", "valid", true, ""},
		{"train", "train", false, ""},
		{"test", "", false, `no split "test"`},
	} {
		split, note, err := chooseSplit(data, tc.want)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) ||
				!strings.Contains(err.Error(), data) {
				t.Errorf("split %q: error %v, want one naming %s and saying %q", tc.want, err,
					data, tc.err)
			}
			continue
		}
		if err != nil || split != tc.split || (note != "") != tc.noted {
			t.Errorf("split %q: got %q, note %q, %v; want %q", tc.want, split, note, err, tc.split)
		}
	}
}

func TestPlanRefusesBadSettingsBeforeTraining(t *testing.T) {
	data, out := tinyCache(t, true), t.TempDir()
	unfinished := filepath.Join(out, "half")
	os.MkdirAll(unfinished, 0o755)
	for _, tc := range []struct {
		name string
		edit func(o *Options)
		err  string
	}{
		{"unknown network", func(o *Options) { o.Models = []string{"vgg"} },
			`unknown network "vgg"`},
		{"too deep for 64px", func(o *Options) {
			o.Options = map[string]models.Options{"unet": {Depth: 7}}
		}, "64px images cannot be halved 7 times"},
		{"fixed depth", func(o *Options) { o.Models = []string{"resnext50-unet"} },
			"fixed depth of 5"},
		{"named twice", func(o *Options) { o.Models = []string{"unet", "unet"} }, "named twice"},
		{"given run unfinished", func(o *Options) {
			o.Runs = []GivenRun{{Name: "half", Dir: unfinished}}
		}, "a given run must be finished"},
		{"name with a folder", func(o *Options) {
			o.Runs = []GivenRun{{Name: "a/b", Dir: unfinished}}
		}, "plain file name"},
	} {
		opts := tinyOptions(data, out)
		tc.edit(&opts)
		_, err := plan(opts, 64)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.err)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(out, RunsDir)); len(entries) != 0 {
		t.Errorf("planning created run folders: %v", entries)
	}
}

func TestDiffers(t *testing.T) {
	base := train.Defaults()
	base.Data, base.Options = "cache", models.Options{Base: 2, Depth: 2}
	for _, tc := range []struct {
		name string
		edit func(c *train.Config)
		want string
	}{
		{"same", func(c *train.Config) {}, ""},
		{"backend and workers do not count", func(c *train.Config) {
			c.Backend, c.Workers = "dnnl", 7
		}, ""},
		{"same folder spelled otherwise", func(c *train.Config) { c.Data = "./cache/" }, ""},
		{"options", func(c *train.Config) { c.Options.Base = 4 }, "options {4 2}, not {2 2}"},
		{"learning rate", func(c *train.Config) { c.LR = 0.01 }, "learning rate 0.01, not 0.001"},
		{"seed", func(c *train.Config) { c.Seed = 9 }, "seed 9, not 1"},
	} {
		have := base
		tc.edit(&have)
		if got := differs(base, have); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestSpreadAndMedian(t *testing.T) {
	v := []int{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}
	if got := spread(v, 4); !slices.Equal(got, []int{10, 12, 15, 17}) {
		t.Errorf("spread 4 of 10 = %v, want [10 12 15 17]", got)
	}
	if got := spread(v[:2], 4); !slices.Equal(got, []int{10, 11}) {
		t.Errorf("spread 4 of 2 = %v, want both", got)
	}
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median of 3, 1, 2 = %v", got)
	}
	if got := median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("median of 4, 1, 3, 2 = %v", got)
	}
}
