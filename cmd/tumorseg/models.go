package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"tumorseg/internal/compare"
	"tumorseg/internal/models"
)

func modelsCommand() *cobra.Command {
	var o models.Options
	cmd := &cobra.Command{
		Use:   "models",
		Short: "List the networks with their options and parameter counts",
		Long: "models builds every network at the widths asked for (each network's defaults\n" +
			"otherwise) and prints its options and its trainable parameters, split into\n" +
			"encoder, bridge (the deepest level) and decoder by the parameters' names.",
		Example: "  tumorseg models\n" +
			"  tumorseg models --base 64          # UNet at the paper's widths 64..1024\n" +
			"  tumorseg models --base 8 --depth 3",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			nets, err := compare.Networks(o)
			if err != nil {
				return err
			}
			printNetworks(cmd.OutOrStdout(), nets)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Base, "base", 0, "channels at the first level (0: each network's default)")
	f.IntVar(&o.Depth, "depth", 0, "number of 2x downsamplings (0: each network's default)")
	return cmd
}

// printNetworks prints one row per network, then how the parameters were
// split and what each network is.
func printNetworks(w io.Writer, nets []compare.Network) {
	width := len("network")
	for _, n := range nets {
		width = max(width, len(n.Name))
	}
	row := fmt.Sprintf("%%-%ds  %%4s  %%5s  %%12s  %%12s  %%12s  %%12s\n", width)
	fmt.Fprintf(w, row, "network", "base", "depth", "encoder", "bridge", "decoder", "total")
	for _, n := range nets {
		p := n.Parts
		g := compare.GroupDigits
		fmt.Fprintf(w, row, n.Name, fmt.Sprint(n.Options.Base), fmt.Sprint(n.Options.Depth),
			g(p.Encoder), g(p.Bridge), g(p.Decoder), g(p.Total))
	}
	fmt.Fprintln(w, "\ntrainable parameters, split by their names:")
	for _, part := range strings.Split(compare.PartsRule, "; ") {
		fmt.Fprintf(w, "  %s\n", part)
	}
	fmt.Fprintln(w)
	for _, n := range nets {
		fmt.Fprintf(w, "%s: %s\n", n.Name, n.Description)
		if n.Note != "" {
			fmt.Fprintf(w, "  note: %s\n", n.Note)
		}
	}
}
