package compare

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"tumorseg/internal/metrics"
)

// readme returns the README.md of a comparison: what was compared and how,
// the table, the plots and the command that makes it all again.
func readme(opts Options, rep *Report, entries []*entry) []byte {
	var b bytes.Buffer
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.name
	}
	fmt.Fprintf(&b, "# Comparison: %s\n\n", strings.Join(names, ", "))

	cfg := entries[0].result.Config
	fmt.Fprintf(&b, "Each network was trained on the `%s` split of the cache `%s` and "+
		"validated on `%s` after every epoch, for at most %d epochs%s; the best epoch's "+
		"weights were kept and then scored on the `%s` split (%d images of %dx%d "+
		"pixels).\n\n", cfg.TrainSplit, rep.Data, cfg.ValSplit, cfg.Epochs,
		patience(cfg.Patience), rep.Split, rep.Images, rep.Size, rep.Size)
	if rep.SplitNote != "" {
		fmt.Fprintf(&b, "Note: %s.\n\n", rep.SplitNote)
	}

	b.WriteString("## Networks and settings\n\n")
	b.WriteString("| name | network | base | depth | epochs (limit) | batch | learning rate " +
		"| seed | backend | run | run was |\n")
	b.WriteString("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |\n")
	for _, e := range entries {
		c := e.result.Config
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d | %g | %d | %s | `%s` | %s |\n",
			e.name, c.Model, c.Options.Base, c.Options.Depth, c.Epochs, c.BatchSize, c.LR,
			c.Seed, e.result.Backend, e.dir, e.source)
	}
	b.WriteString("\nAll networks share the data, the seed and the training budget unless " +
		"the table says otherwise (a given run keeps its own settings).\n\n")

	b.WriteString("## Results\n\n")
	WriteMarkdown(&b, rep.Rows)
	fmt.Fprintf(&b, "\nThe same table is in `%s` and `%s`; each network's per-image scores are "+
		"in `%s/<name>.json`.\n\n", TableCSV, TableJSON, EvalDir)
	fmt.Fprintf(&b, "- Dice (per image) is the mean of every image's Dice; Dice (pooled), "+
		"IoU, precision, recall, F1 and pixel accuracy are computed once over all pixels of "+
		"the split. %s\n", metrics.EmptyRule)
	fmt.Fprintf(&b, "- HD95 (px) is the mean over the images where it is defined. %s\n",
		metrics.HD95Rule)
	fmt.Fprintf(&b, "- Parameters are the trainable ones. Training time is the sum of the "+
		"epochs' times. Inference is the median of %d single-image forward passes, after %d "+
		"untimed ones, on the backend listed above.\n\n", rep.TimingPasses, WarmupPasses)

	b.WriteString("## Plots\n\n")
	fmt.Fprintf(&b, "- `%s`: soft Dice loss on the training and validation splits (left) and "+
		"validation Dice (right) by epoch; a large dot marks each network's best epoch.\n",
		CurvesPlot)
	fmt.Fprintf(&b, "- `%s`: the Dice of every image of the `%s` split, as a box plot and as "+
		"points, per network.\n", DistributionPlot, rep.Split)
	fmt.Fprintf(&b, "- `%s`: each network's confusion matrix over all pixels of the split, "+
		"with the pixel counts and each row's share (the tumor row is recall and miss rate).\n",
		ConfusionPlot)
	fmt.Fprintf(&b, "- `%s`: the same %d images of the split, one per row: the scan, the mask "+
		"over it, and each network's prediction over it (tumor tinted red, its outline in "+
		"red).\n\n", OverlayGrid, opts.GridImages)

	b.WriteString("## Reproduce\n\nFrom the folder the comparison was run in:\n\n```sh\n")
	if opts.Command != "" {
		b.WriteString(opts.Command)
	} else {
		fmt.Fprintf(&b, "tumorseg compare --data %s --out %s", rep.Data, opts.Out)
	}
	fmt.Fprintf(&b, "\n```\n\nRun again with the same settings, it reuses the finished runs "+
		"under `%s/` and resumes any interrupted one.\n", filepath.ToSlash(RunsDir))
	return b.Bytes()
}

// patience says when early stopping ends training, as a clause.
func patience(n int) string {
	if n <= 0 {
		return " with no early stopping"
	}
	return fmt.Sprintf(", stopping early after %d epochs without a better validation Dice", n)
}
