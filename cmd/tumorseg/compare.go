package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"tumorseg/internal/compare"
	"tumorseg/internal/models"
	"tumorseg/internal/nn"
	"tumorseg/internal/train"
)

// compareModels is the default of --models: the three networks, simplest
// first.
const compareModels = "unet,resnext50-unet,resunet++"

func compareCommand() *cobra.Command {
	opts := compare.Options{Train: train.Defaults()}
	var nets, runs, base, depth string
	cmd := &cobra.Command{
		Use:   "compare --data CACHE --out DIR",
		Short: "Train the networks alike and compare them on the test split",
		Long: "compare trains each network of --models on CACHE with the same data, seed and\n" +
			"budget into DIR/runs/<name> (or takes finished runs given with --runs), scores\n" +
			"the best weights on the test split (the validation split when there is no test\n" +
			"split), times single-image inference, and writes DIR/table.md, table.csv,\n" +
			"table.json, PNG plots (curves, Dice distribution, confusion matrices, overlays)\n" +
			"and DIR/README.md. Run again with the same flags, it reuses finished runs and\n" +
			"resumes interrupted ones.",
		Example: "  tumorseg compare --data cache/seed --out comparison --epochs 20\n" +
			"  tumorseg compare --data cache/seed --out cmp --base 8,resnext50-unet=16\n" +
			"  tumorseg compare --data cache/seed --out cmp \\\n" +
			"      --runs unet=runs/unet,resunet++=runs/rpp",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Data == "" || opts.Out == "" {
				return fmt.Errorf("compare needs --data CACHE and --out DIR")
			}
			var err error
			if opts.Runs, err = parseRuns(runs); err != nil {
				return err
			}
			if len(opts.Runs) == 0 || cmd.Flags().Changed("models") {
				opts.Models = splitList(nets)
			}
			if err := parseWidths(&opts, base, depth); err != nil {
				return err
			}
			opts.Command = commandLine(os.Args[1:])
			w := cmd.OutOrStdout()
			opts.Hooks = compareHooks(w)
			slog.Info("comparing", "models", opts.Models, "runs", runs,
				"backend", backendName(opts.Train.Backend), "data", opts.Data, "out", opts.Out)
			rep, err := compare.Run(cmd.Context(), opts)
			if err != nil {
				if cmd.Context().Err() != nil {
					return fmt.Errorf("%w; run the same command again to continue", err)
				}
				return err
			}
			fmt.Fprintf(w, "\n%s split, %d images:\n\n", rep.Split, rep.Images)
			if err := compare.WriteMarkdown(w, rep.Rows); err != nil {
				return err
			}
			fmt.Fprintf(w, "\nwritten in %s:\n", opts.Out)
			for _, f := range rep.Files {
				fmt.Fprintf(w, "  %s\n", f)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Data, "data", "", "prepared cache folder (from tumorseg prepare)")
	f.StringVar(&opts.Out, "out", "", "folder for the runs, tables, plots and README")
	f.StringVar(&nets, "models", compareModels,
		fmt.Sprintf("networks to train, comma-separated, from %v", models.Names()))
	f.StringVar(&runs, "runs", "",
		"finished runs to compare instead of training, as name=RUN,... "+
			"(alone, without --models, only these are compared)")
	f.StringVar(&opts.Split, "split", "",
		"split to score (default test, else the validation split)")
	f.IntVar(&opts.Train.Epochs, "epochs", opts.Train.Epochs, "maximum number of epochs")
	f.IntVar(&opts.Train.Patience, "patience", opts.Train.Patience,
		"epochs without improvement before stopping (0: never)")
	f.Float64Var(&opts.Train.MinDelta, "min-delta", opts.Train.MinDelta,
		"smallest validation Dice gain that counts")
	f.IntVar(&opts.Train.BatchSize, "batch", opts.Train.BatchSize, "images per batch")
	f.Float64Var(&opts.Train.LR, "lr", opts.Train.LR, "Adam learning rate")
	f.Float64Var(&opts.Train.WeightDecay, "weight-decay", 0, "decoupled weight decay (AdamW)")
	f.Uint64Var(&opts.Train.Seed, "seed", opts.Train.Seed, "random seed for weights and shuffling")
	f.IntVar(&opts.Train.Workers, "workers", opts.Train.Workers, "data loader goroutines")
	f.StringVar(&base, "base", "",
		"channels at the first level: N for all, or name=N,... per network "+
			"(default: each network's)")
	f.StringVar(&depth, "depth", "",
		"number of 2x downsamplings, as --base (default: each network's; resnext50-unet's is 5)")
	f.StringVar(&opts.Train.Backend, "backend", "",
		fmt.Sprintf("compute backend: %v", nn.Backends()))
	f.IntVar(&opts.GridImages, "grid", compare.DefaultGridImages, "images in the overlay grid")
	f.IntVar(&opts.TimingPasses, "timing", compare.DefaultTimingPasses,
		"timed single-image forward passes per network")
	return cmd
}

// compareHooks prints a line when a network begins a stage and, while it
// trains, the lines and progress bar of train, each line led by its name.
func compareHooks(w io.Writer) compare.Hooks {
	return compare.Hooks{
		Stage: func(name, what string) {
			if name == "" {
				fmt.Fprintln(w, what)
				return
			}
			fmt.Fprintf(w, "%s: %s\n", name, what)
		},
		Train: func(name string) train.Hooks {
			return trainHooks(&prefixWriter{w: w, prefix: name + ": "})
		},
	}
}

// prefixWriter writes prefix at the start of every line it passes on to w.
type prefixWriter struct {
	w       io.Writer
	prefix  string
	midLine bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		if !p.midLine {
			if _, err := io.WriteString(p.w, p.prefix); err != nil {
				return 0, err
			}
		}
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line = b[:i+1]
		}
		if _, err := p.w.Write(line); err != nil {
			return 0, err
		}
		p.midLine = line[len(line)-1] != '\n'
		b = b[len(line):]
	}
	return n, nil
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseRuns reads --runs, a list of name=RUN.
func parseRuns(s string) ([]compare.GivenRun, error) {
	var runs []compare.GivenRun
	for _, f := range splitList(s) {
		name, dir, ok := strings.Cut(f, "=")
		if !ok || name == "" || dir == "" {
			return nil, fmt.Errorf("--runs: %q is not name=RUN", f)
		}
		runs = append(runs, compare.GivenRun{Name: name, Dir: dir})
	}
	return runs, nil
}

// parseWidths reads --base and --depth: a number for every network, then
// name=number for some, in any mix ("8,unet=16").
func parseWidths(opts *compare.Options, base, depth string) error {
	opts.Options = map[string]models.Options{}
	for _, flag := range []struct {
		name, value string
		all         *int
		set         func(o *models.Options, v int)
	}{
		{"base", base, &opts.Train.Options.Base,
			func(o *models.Options, v int) { o.Base = v }},
		{"depth", depth, &opts.Train.Options.Depth,
			func(o *models.Options, v int) { o.Depth = v }},
	} {
		for _, f := range splitList(flag.value) {
			name, num, named := strings.Cut(f, "=")
			if !named {
				num = name
			}
			v, err := strconv.Atoi(num)
			if err != nil || v < 1 {
				return fmt.Errorf("--%s: %q is neither a positive number nor name=number",
					flag.name, f)
			}
			if !named {
				*flag.all = v
				continue
			}
			o := opts.Options[name]
			flag.set(&o, v)
			opts.Options[name] = o
		}
	}
	return nil
}

// commandLine returns the tumorseg command with args, each quoted for a
// POSIX shell when it holds anything but plain characters.
func commandLine(args []string) string {
	words := []string{"tumorseg"}
	for _, a := range args {
		plain := a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"+
				"0123456789-_=+,./:@%", r)
		}) < 0
		if !plain {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		words = append(words, a)
	}
	return strings.Join(words, " ")
}
