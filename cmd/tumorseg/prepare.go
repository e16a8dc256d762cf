package main

import (
	"fmt"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"tumorseg/internal/cache"
)

func prepareCommand() *cobra.Command {
	var opts cache.PrepareOptions
	var out string
	cmd := &cobra.Command{
		Use:   "prepare DATASET --out CACHE",
		Short: "Read a COCO dataset, standardize its images and masks, and cache them",
		Long: "prepare reads every split folder of DATASET (train, valid or val, test), each\n" +
			"with _annotations.coco.json beside the images; resizes every image to\n" +
			"--size x --size, scales it to [0,1], turns the annotations into binary masks,\n" +
			"and writes each split once to CACHE/<split>.tsc for training to stream from.\n" +
			"Bad cases are skipped and counted in CACHE/audit.json unless --strict.",
		Example: "  tumorseg prepare ../shared/datasets/brain-tumor-seed --out cache/seed\n" +
			"  tumorseg prepare ../shared/datasets/brain-tumor-small --out cache/small --size 256 --preview preview",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("prepare needs --out CACHE")
			}
			opts.Progress = prepareProgress()
			audit, err := cache.Prepare(args[0], out, opts)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), audit.Summary())
			fmt.Fprintf(cmd.OutOrStdout(), "cache: %s\n", out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "cache folder to write")
	f.IntVar(&opts.Size, "size", 512, "side of the standardized images, in pixels")
	f.BoolVar(&opts.Strict, "strict", false, "fail on the first bad case instead of skipping it")
	f.StringVar(&opts.PreviewDir, "preview", "", "also write every prepared image and mask as PNG here")
	f.IntVar(&opts.Workers, "workers", 2, "goroutines decoding images")
	return cmd
}

// prepareProgress returns a progress callback drawing a bar per split on a
// terminal, or nil elsewhere.
func prepareProgress() func(split string, done, total int) {
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		return nil
	}
	var bar *progressbar.ProgressBar
	var current string
	return func(split string, done, total int) {
		if bar == nil || split != current {
			if bar != nil {
				bar.Finish()
			}
			current = split
			bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(io.Writer(os.Stderr)),
				progressbar.OptionSetDescription(split), progressbar.OptionShowCount(),
				progressbar.OptionClearOnFinish())
		}
		bar.Set(done)
	}
}
