package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"tumorseg/internal/explain"
	"tumorseg/internal/infer"
	"tumorseg/internal/preprocess"
	"tumorseg/internal/train"
)

func predictCommand() *cobra.Command {
	var run, out, backend string
	var threshold float32
	var lang string
	opt := predictOptions{MinArea: -1}
	cmd := &cobra.Command{
		Use:   "predict --run RUN --out DIR IMAGE...",
		Short: "Predict the tumor mask of scans and measure the findings",
		Long: "predict runs the best weights of RUN on each image (PNG, JPEG or TIFF) and\n" +
			"writes, at the image's own size, <name>_mask.png, <name>_overlay.png and\n" +
			"<name>_findings.json (each tumor region: area in pixels, share of the head, mm²\n" +
			"when --pixel-spacing is given, position on the image, mean probability).\n" +
			"--report adds <name>_report.pdf and <name>_report.html, explained from\n" +
			"templates, or by the language model that $" + explain.EnvBaseURL + " and\n" +
			"$" + explain.EnvModel + " name (see tumorseg explain).",
		Example: "  tumorseg predict --run runs/unet --out predictions scan1.jpg scan2.png",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("predict needs at least one IMAGE to predict")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, images []string) error {
			if run == "" || out == "" {
				return fmt.Errorf("predict needs --run RUN and --out DIR")
			}
			l, err := explain.ParseLang(lang)
			if err != nil {
				return err
			}
			opt.Threshold = threshold
			if opt.Report {
				opt.Explainer, err = newExplainer(explain.LLMConfig{}.WithEnv(os.Getenv), l)
				if err != nil {
					return err
				}
			}
			m, err := train.Load(run, backend)
			if err != nil {
				return err
			}
			slog.Info("model loaded", "run", run, "model", m.Name, "backend", m.Backend(),
				"size", m.Size(), "val_dice", m.ValDice)
			return predictImagesWith(cmd.Context(), cmd.OutOrStdout(), m, out, opt, images)
		},
	}
	f := cmd.Flags()
	f.StringVar(&run, "run", "", "run folder (from tumorseg train)")
	f.StringVar(&out, "out", "", "folder for the masks, overlays and findings")
	f.StringVar(&backend, "backend", "", "compute backend (default: the run's)")
	f.Float32Var(&threshold, "threshold", 0.5, "probability at or above which a pixel is tumor")
	f.IntVar(&opt.MinArea, "min-area", -1, "drop tumor regions of fewer pixels "+
		"(default: 0.01% of the image, 27 px at 512x512)")
	f.Float64Var(&opt.PixelSpacing, "pixel-spacing", 0, "pixel size in mm, for areas in mm² "+
		"(JPEG and PNG carry none)")
	f.BoolVar(&opt.Report, "report", false, "also write <name>_report.pdf and .html")
	f.StringVar(&lang, "lang", "en", "language of the report: en or zh-TW")
	return cmd
}

// predictOptions tune predictImagesWith.
type predictOptions struct {
	Threshold    float32
	MinArea      int     // pixels; negative means infer.DefaultMinArea
	PixelSpacing float64 // mm per pixel; 0 means unknown
	Report       bool
	Explainer    explain.Explainer // explains the reports
}

// predictImages predicts every image into out, printing one line each. A bad
// image stops with an error naming it; outputs already written stay.
func predictImages(w io.Writer, m *train.Model, out string, threshold float32,
	images []string) error {
	return predictImagesWith(context.Background(), w, m, out,
		predictOptions{Threshold: threshold, MinArea: -1}, images)
}

// predictImagesWith is predictImages with every option.
// predictImagesWith predicts every image into out, one line each. Two
// images whose names give the same output stem are refused before anything
// is written, so that one patient's results cannot replace another's. An
// image that fails is reported and skipped; the error at the end counts
// them.
func predictImagesWith(ctx context.Context, w io.Writer, m *train.Model, out string,
	opt predictOptions, images []string) error {
	stems := map[string]string{}
	for _, path := range images {
		stem := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		if other, ok := stems[stem]; ok {
			return fmt.Errorf("%s and %s would both write %s_*: rename one or predict them "+
				"into different folders", other, path, filepath.Join(out, stem))
		}
		stems[stem] = path
	}
	failed := 0
	for _, path := range images {
		if err := predictOne(ctx, w, m, out, opt, path); err != nil {
			if ctx.Err() != nil {
				return err
			}
			fmt.Fprintf(w, "%s: skipped: %v\n", path, err)
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d images could not be predicted", failed, len(images))
	}
	return nil
}

// predictOne predicts one image and writes its outputs.
func predictOne(ctx context.Context, w io.Writer, m *train.Model, out string,
	opt predictOptions, path string) error {
	img, err := preprocess.Decode(path)
	if err != nil {
		return err
	}
	minArea := opt.MinArea
	if minArea < 0 {
		minArea = infer.DefaultMinArea(img.W, img.H)
	}
	res, err := infer.PredictWith(m, img, infer.Options{Threshold: opt.Threshold,
		MinAreaPixels: minArea, PixelSpacingMM: opt.PixelSpacing})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	res.Findings.Image = filepath.Base(path)
	res.Findings.Model = m.Name
	valDice := m.ValDice
	res.Findings.ModelValDice = &valDice
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
	if opt.Report {
		reports, err := writeReports(ctx, opt.Explainer, out, stem, img, res)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprintf(w, "  %s\n", strings.Join(reports, "\n  "))
	}
	return nil
}
