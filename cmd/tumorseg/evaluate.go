package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/spf13/cobra"

	"tumorseg/internal/atomicio"
	"tumorseg/internal/train"
)

func evaluateCommand() *cobra.Command {
	var run, data, split, out, backend string
	var batch int
	cmd := &cobra.Command{
		Use:   "evaluate --run RUN --data CACHE --split NAME",
		Short: "Score a trained network on a prepared split",
		Long: "evaluate runs the best weights of RUN over every image of a split and writes\n" +
			"Dice (mean per image and pooled), IoU, precision, recall, F1, pixel accuracy\n" +
			"and the confusion matrix as JSON (default RUN/eval_<split>.json).",
		Example: "  tumorseg evaluate --run runs/unet --data cache/seed --split valid",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if run == "" || data == "" || split == "" {
				return fmt.Errorf("evaluate needs --run, --data and --split")
			}
			m, err := train.Load(run, backend)
			if err != nil {
				return err
			}
			slog.Info("model loaded", "run", run, "model", m.Name, "backend", m.Backend(),
				"size", m.Size(), "val_dice", m.ValDice)
			s, err := m.Evaluate(data, split, batch)
			if err != nil {
				return err
			}
			if out == "" {
				out = filepath.Join(run, "eval_"+split+".json")
			}
			js, err := json.MarshalIndent(train.EvalReport{Run: run, Model: m.Name, Data: data,
				Split: split, Epoch: m.Epoch, Summary: s}, "", "  ")
			if err != nil {
				return err
			}
			if err := atomicio.WriteBytes(out, append(js, '\n')); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%s on %s/%s: %d images (%d with an empty mask, %d of them predicted empty)\n",
				m.Name, data, split, s.Images, s.EmptyMaskImages, s.EmptyMaskCorrect)
			fmt.Fprintf(w, "dice_mean %.4f  dice_pooled %.4f  iou %.4f  precision %.4f  "+
				"recall %.4f  f1 %.4f  pixel_accuracy %.4f\n", s.DiceMean, s.DicePooled, s.IoU,
				s.Precision, s.Recall, s.F1, s.PixelAccuracy)
			fmt.Fprintf(w, "hd95_mean %.2f px over the %d images where it is defined\n",
				s.HD95Mean, s.HD95Images)
			fmt.Fprintf(w, "written: %s\n", out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&run, "run", "", "run folder (from tumorseg train)")
	f.StringVar(&data, "data", "", "prepared cache folder")
	f.StringVar(&split, "split", "", "split to score, e.g. valid or test")
	f.StringVar(&out, "out", "", "JSON file to write (default RUN/eval_<split>.json)")
	f.StringVar(&backend, "backend", "", "compute backend (default: the run's)")
	f.IntVar(&batch, "batch", 8, "images per forward pass")
	return cmd
}
