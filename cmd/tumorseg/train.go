package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"tumorseg/internal/models"
	"tumorseg/internal/nn"
	"tumorseg/internal/train"
)

func trainCommand() *cobra.Command {
	cfg := train.Defaults()
	var out, resume string
	var noAugment bool
	cmd := &cobra.Command{
		Use:   "train --data CACHE --out RUN",
		Short: "Train a segmentation network on a prepared cache",
		Long: "train fits a network with Dice loss and Adam, scores the validation split\n" +
			"after every epoch, stops early when the Dice stops improving, and always\n" +
			"ends with the best epoch's weights. RUN/last.ckpt lets --resume continue an\n" +
			"interrupted run exactly where it stopped.",
		Example: "  tumorseg train --data cache/seed --model unet --out runs/unet\n" +
			"  tumorseg train --data cache/seed --base 64 --out runs/unet-full   # widths 64..1024\n" +
			"  tumorseg train --resume runs/unet",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			hooks := trainHooks(cmd.OutOrStdout())
			cfg.Augment = !noAugment
			var res *train.Result
			var err error
			if resume != "" {
				var other []string
				cmd.Flags().Visit(func(f *pflag.Flag) {
					if f.Name != "resume" && f.Name != "epochs" {
						other = append(other, "--"+f.Name)
					}
				})
				if len(other) > 0 {
					return fmt.Errorf("--resume continues %s with its own settings; only "+
						"--epochs may change, not %s", resume, strings.Join(other, ", "))
				}
				epochs := 0
				if cmd.Flags().Changed("epochs") {
					epochs = cfg.Epochs
				}
				slog.Info("resuming", "run", resume)
				res, err = train.Resume(cmd.Context(), resume, epochs, hooks)
			} else {
				if cfg.Data == "" || out == "" {
					return fmt.Errorf("train needs --data CACHE and --out RUN (or --resume RUN)")
				}
				slog.Info("training", "model", cfg.Model, "backend", backendName(cfg.Backend),
					"data", cfg.Data, "out", out)
				res, err = train.Run(cmd.Context(), cfg, out, hooks)
			}
			if err != nil {
				if cmd.Context().Err() != nil {
					dir := out
					if resume != "" {
						dir = resume
					}
					return fmt.Errorf("%w; continue with: tumorseg train --resume %s", err, dir)
				}
				return err
			}
			printResult(cmd.OutOrStdout(), res)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Data, "data", "", "prepared cache folder (from tumorseg prepare)")
	f.StringVar(&out, "out", "", "run folder to create")
	f.StringVar(&resume, "resume", "", "continue the run in this folder from its last checkpoint")
	f.StringVar(&cfg.Model, "model", cfg.Model, fmt.Sprintf("network: one of %v", models.Names()))
	f.IntVar(&cfg.Options.Base, "base", 0, "channels at the first level (0: network default, 16 for unet)")
	f.IntVar(&cfg.Options.Depth, "depth", 0, "number of 2x downsamplings (0: network default, 4)")
	f.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "maximum number of epochs")
	f.IntVar(&cfg.BatchSize, "batch", cfg.BatchSize, "images per batch")
	f.Float64Var(&cfg.LR, "lr", cfg.LR, "Adam learning rate")
	f.Float64Var(&cfg.WeightDecay, "weight-decay", 0, "decoupled weight decay (AdamW)")
	f.IntVar(&cfg.Patience, "patience", cfg.Patience, "epochs without improvement before stopping (0: never)")
	f.Float64Var(&cfg.MinDelta, "min-delta", cfg.MinDelta, "smallest validation Dice gain that counts")
	f.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed for weights and shuffling")
	f.IntVar(&cfg.Workers, "workers", cfg.Workers, "data loader goroutines")
	f.StringVar(&cfg.ValSplit, "val-split", "", "validation split (default: valid or val)")
	f.StringVar(&cfg.Backend, "backend", "", fmt.Sprintf("compute backend: %v", nn.Backends()))
	f.BoolVar(&noAugment, "no-augment", false, "train on the images as prepared, without augmentation")
	cfg.Augmentation.Flags(f)
	return cmd
}

func backendName(b string) string {
	if b == "" {
		return nn.DefaultBackend()
	}
	return b
}

// trainHooks prints one line per epoch to w and, on a terminal, a progress
// bar on stderr.
func trainHooks(w io.Writer) train.Hooks {
	var bar *progressbar.ProgressBar
	tty := term.IsTerminal(int(os.Stderr.Fd()))
	return train.Hooks{
		Step: func(epoch, step, steps int, loss float64) {
			if !tty {
				return
			}
			if bar == nil {
				bar = progressbar.NewOptions(steps, progressbar.OptionSetWriter(os.Stderr),
					progressbar.OptionSetDescription(fmt.Sprintf("epoch %d", epoch)),
					progressbar.OptionClearOnFinish(), progressbar.OptionShowCount(),
					progressbar.OptionSetPredictTime(true))
			}
			bar.Describe(fmt.Sprintf("epoch %d loss %.4f", epoch, loss))
			bar.Set(step)
		},
		Epoch: func(e train.Epoch, _ []train.Epoch) {
			if bar != nil {
				bar.Finish()
				bar = nil
			}
			mark := ""
			if e.Best {
				mark = "  best"
			}
			fmt.Fprintf(w, "epoch %3d  train_loss %.4f  val_loss %.4f  val_dice %.4f  %6.1fs%s\n",
				e.Epoch, e.TrainLoss, e.ValLoss, e.ValDice, e.Seconds, mark)
		},
	}
}

func printResult(w io.Writer, r *train.Result) {
	fmt.Fprintf(w, "done: %s; best epoch %d of %d, val_dice %.4f, %d parameters, %.0fs on %s\n",
		r.StopReason, r.BestEpoch, r.EpochsRun, r.BestDice, r.NumParams, r.Seconds, r.Backend)
	fmt.Fprintf(w, "run: %s (best weights in %s)\n", r.Dir, train.BestFile)
}
