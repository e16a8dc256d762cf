package main

import (
	"encoding/csv"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"tumorseg/internal/cache"
	"tumorseg/internal/compare"
	"tumorseg/internal/models"
	"tumorseg/internal/synth"
)

// TestCompareEndToEnd compares UNet and ResUNet++ at tiny widths on
// synthetic 64x64 slices (12 train, 4 valid, 4 test) for one epoch each, on
// the pure-Go backend whatever the build, so that it runs the same in both
// test passes.
func TestCompareEndToEnd(t *testing.T) {
	work := t.TempDir()
	if _, err := synth.WriteCOCO(filepath.Join(work, "data"),
		synth.Options{Train: 12, Valid: 4, Test: 4, Size: 64, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	data, out := filepath.Join(work, "cache"), filepath.Join(work, "cmp")
	if _, err := cache.Prepare(filepath.Join(work, "data"), data,
		cache.PrepareOptions{Size: 64, Workers: 1}); err != nil {
		t.Fatal(err)
	}

	args := []string{"compare", "--data", data, "--out", out, "--models", "unet,resunet++",
		"--base", "2", "--depth", "2", "--epochs", "1", "--batch", "4", "--lr", "0.01",
		"--workers", "1", "--timing", "3", "--backend", "ref"}
	log := tumorseg(t, args...)
	for _, line := range []string{"unet: network 1 of 2: training into", "unet: epoch   1",
		"resunet++: network 2 of 2: training into", "resunet++: epoch   1", "| unet | 2 | 2 |",
		"README.md"} {
		if !strings.Contains(log, line) {
			t.Errorf("output lacks %q:\n%s", line, log)
		}
	}

	f, err := os.Open(filepath.Join(out, compare.TableCSV))
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(records) != 3 {
		t.Fatalf("table.csv: %d records (%v), want a header and 2 rows", len(records), err)
	}
	col := map[string]int{}
	for i, h := range records[0] {
		col[h] = i
	}
	for i, name := range []string{"unet", "resunet++"} {
		r := records[i+1]
		if r[col["name"]] != name || r[col["epochs_run"]] != "1" || r[col["best_epoch"]] != "1" {
			t.Errorf("row %d: %v", i+1, r)
		}
		for _, k := range []string{"dice_mean", "dice_pooled", "iou", "precision", "recall",
			"f1", "pixel_accuracy"} {
			if v, err := strconv.ParseFloat(r[col[k]], 64); err != nil || v < 0 || v > 1 {
				t.Errorf("%s: %s = %q", name, k, r[col[k]])
			}
		}
		for _, k := range []string{"params", "train_seconds", "infer_ms_per_slice"} {
			if v, err := strconv.ParseFloat(r[col[k]], 64); err != nil || !(v > 0) {
				t.Errorf("%s: %s = %q", name, k, r[col[k]])
			}
		}
	}

	for _, tc := range []struct {
		name       string
		minW, minH int
	}{
		{compare.CurvesPlot, 800, 300}, {compare.DistributionPlot, 400, 300},
		{compare.ConfusionPlot, 600, 300}, {compare.OverlayGrid, 800, 800},
	} {
		f, err := os.Open(filepath.Join(out, tc.name))
		if err != nil {
			t.Errorf("missing %s", tc.name)
			continue
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() < tc.minW || img.Bounds().Dy() < tc.minH {
			t.Errorf("%s: %v, %v; want at least %dx%d", tc.name, err, img.Bounds(),
				tc.minW, tc.minH)
		}
	}
	for _, name := range []string{compare.TableMarkdown, compare.TableJSON,
		"eval/unet.json", "eval/resunet++.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("missing %s", name)
		}
	}
	readme, err := os.ReadFile(filepath.Join(out, compare.ReadmeFile))
	if err != nil || !strings.Contains(string(readme), "tumorseg "+strings.Join(args, " ")) {
		t.Errorf("README.md does not quote the command (%v):\n%s", err, readme)
	}

	again := tumorseg(t, args...)
	if strings.Count(again, "reusing the finished run") != 2 ||
		strings.Contains(again, "epoch   1") {
		t.Errorf("second compare did not reuse both runs:\n%s", again)
	}
}

func TestModelsListsPartsAtTheWidthsAsked(t *testing.T) {
	out := tumorseg(t, "models", "--base", "2", "--depth", "2")
	// UNet at base 2, depth 2, as compare.TestCountParts works it out.
	want := []string{"unet", "2", "2", "294", "896", "733", "1,923"}
	found := false
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "unet" {
			found = slices.Equal(f, want)
		}
	}
	if !found {
		t.Errorf("models output has no row %v:\n%s", want, out)
	}
	for _, part := range []string{"depth 2 not accepted", "bridge: bottleneck*"} {
		if !strings.Contains(out, part) {
			t.Errorf("models output lacks %q:\n%s", part, out)
		}
	}
}

func TestParseWidths(t *testing.T) {
	for _, tc := range []struct {
		base, depth string
		all         models.Options
		per         map[string]models.Options
		err         string
	}{
		{"", "", models.Options{}, map[string]models.Options{}, ""},
		{"8", "3", models.Options{Base: 8, Depth: 3}, map[string]models.Options{}, ""},
		{"8,unet=16", "resunet++=2", models.Options{Base: 8},
			map[string]models.Options{"unet": {Base: 16}, "resunet++": {Depth: 2}}, ""},
		{"unet=0", "", models.Options{}, nil, `--base: "unet=0"`},
		{"", "deep", models.Options{}, nil, `--depth: "deep"`},
	} {
		var o compare.Options
		err := parseWidths(&o, tc.base, tc.depth)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q %q: error %v, want %q", tc.base, tc.depth, err, tc.err)
			}
			continue
		}
		if err != nil || o.Train.Options != tc.all || len(o.Options) != len(tc.per) {
			t.Errorf("%q %q: %+v %v (%v)", tc.base, tc.depth, o.Train.Options, o.Options, err)
		}
		for k, v := range tc.per {
			if o.Options[k] != v {
				t.Errorf("%q %q: %s = %+v, want %+v", tc.base, tc.depth, k, o.Options[k], v)
			}
		}
	}
}

func TestParseRuns(t *testing.T) {
	runs, err := parseRuns("unet=runs/a, resunet++=b=c")
	want := []compare.GivenRun{{Name: "unet", Dir: "runs/a"}, {Name: "resunet++", Dir: "b=c"}}
	if err != nil || !slices.Equal(runs, want) {
		t.Errorf("parseRuns = %+v, %v", runs, err)
	}
	if _, err := parseRuns("unet"); err == nil || !strings.Contains(err.Error(), `"unet"`) {
		t.Errorf("parseRuns(unet) = %v, want an error naming it", err)
	}
}

func TestCommandLineQuotes(t *testing.T) {
	got := commandLine([]string{"compare", "--data", "my cache", "--runs", "a=it's", "--lr", ""})
	want := `tumorseg compare --data 'my cache' --runs 'a=it'\''s' --lr ''`
	if got != want {
		t.Errorf("commandLine = %s, want %s", got, want)
	}
}

func TestPrefixWriterLeadsEveryLine(t *testing.T) {
	var b strings.Builder
	w := &prefixWriter{w: &b, prefix: "unet: "}
	for _, s := range []string{"epoch 1", " done\nepoch 2\n", "", "x\n"} {
		w.Write([]byte(s))
	}
	if want := "unet: epoch 1 done\nunet: epoch 2\nunet: x\n"; b.String() != want {
		t.Errorf("wrote %q, want %q", b.String(), want)
	}
}
