package main

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"tumorseg/internal/infer"
	"tumorseg/internal/preprocess"
	"tumorseg/internal/train"
)

func predictCommand() *cobra.Command {
	var run, out, backend string
	var threshold float32
	cmd := &cobra.Command{
		Use:   "predict --run RUN --out DIR IMAGE...",
		Short: "Predict the tumor mask of scans and measure the findings",
		Long: "predict runs the best weights of RUN on each image (PNG, JPEG or TIFF) and\n" +
			"writes, at the image's own size, <name>_mask.png, <name>_overlay.png and\n" +
			"<name>_findings.json (tumor found or not, area, bounding box, mean probability).",
		Example: "  tumorseg predict --run runs/unet --out predictions scan1.jpg scan2.png",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, images []string) error {
			if run == "" || out == "" {
				return fmt.Errorf("predict needs --run RUN and --out DIR")
			}
			m, err := train.Load(run, backend)
			if err != nil {
				return err
			}
			slog.Info("model loaded", "run", run, "model", m.Name, "backend", m.Backend(),
				"size", m.Size(), "val_dice", m.ValDice)
			return predictImages(cmd.OutOrStdout(), m, out, threshold, images)
		},
	}
	f := cmd.Flags()
	f.StringVar(&run, "run", "", "run folder (from tumorseg train)")
	f.StringVar(&out, "out", "", "folder for the masks, overlays and findings")
	f.StringVar(&backend, "backend", "", "compute backend (default: the run's)")
	f.Float32Var(&threshold, "threshold", 0.5, "probability at or above which a pixel is tumor")
	return cmd
}

// predictImages predicts every image into out, printing one line each. A bad
// image stops with an error naming it; outputs already written stay.
func predictImages(w io.Writer, m *train.Model, out string, threshold float32,
	images []string) error {
	for _, path := range images {
		img, err := preprocess.Decode(path)
		if err != nil {
			return err
		}
		res, err := infer.Predict(m, img, threshold)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		res.Findings.Image = filepath.Base(path)
		res.Findings.Model = m.Name
		stem := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		paths, err := infer.WriteOutputs(out, stem, img, res)
		if err != nil {
			return err
		}
		f := res.Findings
		if f.TumorFound {
			fmt.Fprintf(w, "%s: tumor found, %d px (%.2f%% of the image), box %dx%d at (%d,%d), "+
				"mean probability %.2f\n", f.Image, f.AreaPixels, 100*f.AreaFraction,
				f.BBox.W, f.BBox.H, f.BBox.X, f.BBox.Y, f.MeanProbability)
		} else {
			fmt.Fprintf(w, "%s: no tumor found\n", f.Image)
		}
		fmt.Fprintf(w, "  %s\n  %s\n  %s\n", paths.Mask, paths.Overlay, paths.Findings)
	}
	return nil
}
