// Command tumorseg finds brain tumors on MRI and CT slices, measures them
// and explains the result. Each stage of the pipeline is a subcommand:
//
//	tumorseg prepare DATASET --out CACHE
//	tumorseg train --data CACHE --model unet --out RUN
//	tumorseg evaluate --run RUN --data CACHE --split test
//	tumorseg compare --data CACHE --out DIR
//	tumorseg models
//	tumorseg predict --run RUN --out DIR IMAGE...
//	tumorseg explain FINDINGS.json
//	tumorseg report FINDINGS.json --scan IMAGE --overlay OVERLAY --out REPORT.pdf
//	tumorseg serve --run RUN...
//	tumorseg demo
//
// This package only parses flags, calls the stages and prints.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{})))
	root := rootCommand()
	if err := root.ExecuteContext(ctx); err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "tumorseg: interrupted")
		} else {
			fmt.Fprintln(os.Stderr, "tumorseg:", err)
		}
		os.Exit(1)
	}
}

func rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "tumorseg",
		Short: "Find, measure and explain brain tumors on MRI and CT slices",
		Long: "tumorseg prepares brain-scan datasets, trains and compares segmentation\n" +
			"networks, evaluates them, predicts tumor masks with measured findings,\n" +
			"explains them in plain words, writes reports and serves a web page.",
		Example: "  tumorseg demo\n" +
			"  tumorseg prepare ../shared/datasets/brain-tumor-seed --out cache/seed",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(prepareCommand(), trainCommand(), evaluateCommand(), predictCommand(),
		demoCommand(), compareCommand(), modelsCommand(), explainCommand(), reportCommand(),
		serveCommand())
	return root
}
