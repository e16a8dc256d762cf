package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"tumorseg/internal/atomicio"
	"tumorseg/internal/cache"
	"tumorseg/internal/synth"
	"tumorseg/internal/train"
)

func demoCommand() *cobra.Command {
	var out, data string
	var size, images, predictN int
	cfg := train.Defaults()
	cfg.Epochs, cfg.Patience, cfg.Options.Base, cfg.Options.Depth = 8, 0, 8, 3
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole pipeline on built-in synthetic slices (or on --data)",
		Long: "demo generates brain-like synthetic slices with known tumor outlines, then\n" +
			"prepares them, trains a small UNet, evaluates it on the test split and\n" +
			"predicts masks, overlays and findings for a few test slices. With --data it\n" +
			"does the same on a real COCO dataset instead.",
		Example: "  tumorseg demo\n" +
			"  tumorseg demo --data ../shared/datasets/brain-tumor-small --size 128 --epochs 10",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			start := time.Now()
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			dataset := data
			if dataset == "" {
				dataset = filepath.Join(out, "dataset")
				s, err := synth.WriteCOCO(dataset, synth.Options{Train: images,
					Valid: max(4, images/4), Test: max(4, images/8), Size: size, Seed: cfg.Seed})
				if err != nil {
					return err
				}
				for _, sp := range s.Splits {
					fmt.Fprintf(w, "synthetic %s: %d slices, %d with tumor\n", sp.Name, sp.Images,
						sp.WithTumor)
				}
			}

			cacheDir := filepath.Join(out, "cache")
			audit, err := cache.Prepare(dataset, cacheDir, cache.PrepareOptions{Size: size,
				Workers: 2, Progress: prepareProgress()})
			if err != nil {
				return err
			}
			fmt.Fprint(w, audit.Summary())

			runDir := filepath.Join(out, "run")
			os.RemoveAll(runDir)
			cfg.Data = cacheDir
			res, err := train.Run(cmd.Context(), cfg, runDir, trainHooks(w))
			if err != nil {
				return err
			}
			printResult(w, res)

			split, err := testSplit(cacheDir)
			if err != nil {
				return err
			}
			m, err := train.Load(runDir, "")
			if err != nil {
				return err
			}
			s, err := m.Evaluate(cacheDir, split, cfg.BatchSize)
			if err != nil {
				return err
			}
			evalPath := filepath.Join(out, "eval_"+split+".json")
			js, _ := json.MarshalIndent(train.EvalReport{Run: runDir, Model: m.Name, Data: cacheDir,
				Split: split, Epoch: m.Epoch, Summary: s}, "", "  ")
			if err := atomicio.WriteBytes(evalPath, append(js, '\n')); err != nil {
				return err
			}
			fmt.Fprintf(w, "%s split: dice_mean %.4f  dice_pooled %.4f  pixel_accuracy %.4f "+
				"over %d images\n", split, s.DiceMean, s.DicePooled, s.PixelAccuracy, s.Images)

			images, err := sourceImages(dataset, split, predictN)
			if err != nil {
				return err
			}
			predDir := filepath.Join(out, "predictions")
			if err := predictImages(w, m, predDir, 0.5, images); err != nil {
				return err
			}
			fmt.Fprintf(w, "\ndemo finished in %s. Results in %s:\n", time.Since(start).Round(time.Second), out)
			fmt.Fprintf(w, "  %s  trained network, history.csv, run.json\n", runDir)
			fmt.Fprintf(w, "  %s  scores on the %s split\n", evalPath, split)
			fmt.Fprintf(w, "  %s  masks, overlays and findings\n", predDir)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "tumorseg-demo", "folder for everything the demo writes")
	f.StringVar(&data, "data", "", "a real COCO dataset to use instead of synthetic slices")
	f.IntVar(&size, "size", 128, "image side for preparing and training")
	f.IntVar(&images, "images", 96, "synthetic training slices (validation and test get fewer)")
	f.IntVar(&predictN, "predict", 4, "test images to predict")
	f.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "training epochs")
	f.IntVar(&cfg.Options.Base, "base", cfg.Options.Base, "UNet channels at the first level")
	f.IntVar(&cfg.Options.Depth, "depth", cfg.Options.Depth, "UNet downsamplings")
	f.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed")
	return cmd
}

// testSplit returns the split to score in a demo: test when it was
// prepared, else the validation split.
func testSplit(cacheDir string) (string, error) {
	if s, err := cache.Open(cacheDir, "test"); err == nil {
		s.Close()
		return "test", nil
	}
	return cache.ValidationSplit(cacheDir)
}

// sourceImages returns the paths of the first n source images of a split.
func sourceImages(dataset, split string, n int) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(dataset, split))
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, e := range entries {
		switch filepath.Ext(e.Name()) {
		case ".png", ".jpg", ".jpeg", ".tif", ".tiff":
			if len(paths) < n {
				paths = append(paths, filepath.Join(dataset, split, e.Name()))
			}
		}
	}
	return paths, nil
}
