package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/nir"
	"github.com/snnc/snnc/ir/snnjson"
)

func init() {
	addCommand(newImportCmd, newExportCmd)
	importNIR = func(path string, opt importOptions) (*ir.Graph, error) {
		return nir.Import(path, nir.ImportOptions{Dt: opt.dt, Reset: opt.reset, SourceFramework: opt.framework, DropDanglingEdges: opt.dropDangling})
	}
}

func newImportCmd() *cobra.Command {
	var out, reset, framework string
	var dt float64
	var drop, quiet bool
	cmd := &cobra.Command{
		Use:   "import MODEL.nir",
		Short: "Convert a NIR file (HDF5) to snn-json, printing the conversion log",
		Long: `Reads a .nir file exported by snnTorch, Norse, Rockpool, Sinabs, Spyx, Nengo or any NIR
writer and writes the equivalent snn-json model. NIR stores neither the time step nor
the reset rule: --source-framework applies the exporter's convention (see docs/nir.md),
--dt and --reset override it. Every normalization is printed to stderr.`,
		Example: `  snnc import net.nir --source-framework snntorch -o net.json
  snnc import lif_norse.nir --source-framework norse --dt 1e-3 -o lif.json
  snnc import braille.nir --source-framework snntorch --reset to_value -o braille.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := nir.LookupConvention(framework); err != nil {
				return usagef("--source-framework: %v", err)
			}
			g, err := nir.Import(args[0], nir.ImportOptions{Dt: dt, Reset: reset, SourceFramework: framework, DropDanglingEdges: drop})
			if err != nil {
				return err
			}
			if !quiet {
				for _, l := range g.Log {
					fmt.Fprintf(cmd.ErrOrStderr(), "conversion: %s\n", l)
				}
			}
			b, err := snnjson.Encode(g)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if out == "" {
				out = strings.TrimSuffix(args[0], filepath.Ext(args[0])) + ".json"
			}
			if err := atomicWrite(out, cmd.OutOrStdout(), func(w io.Writer) error {
				_, err := w.Write(b)
				return err
			}); err != nil {
				return err
			}
			if out != "-" {
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%d nodes, %d edges, dt %g s)\n", out, len(g.Nodes), len(g.Edges), g.Semantics.Dt)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "snn-json file (default MODEL.json; - for stdout)")
	cmd.Flags().Float64Var(&dt, "dt", 0, "time step in seconds (default: the source framework's)")
	cmd.Flags().StringVar(&reset, "reset", "", "reset mode to_value|subtract|none (default: the source framework's)")
	cmd.Flags().StringVar(&framework, "source-framework", "", "exporter convention: "+strings.Join(nir.Frameworks(), "|"))
	cmd.Flags().BoolVar(&drop, "drop-dangling-edges", false, "drop edges naming a missing node (logged) instead of failing")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "do not print the conversion log")
	return cmd
}

func newExportCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "export MODEL.json -o MODEL.nir",
		Short: "Write an snn-json model that uses only NIR node types as a .nir file",
		Long: `Writes the model as NIR (HDF5). The semantics header (dt, discretization, reset rule,
threshold compare, edge latency) goes into the graph's metadata as snnc_* keys, which
NIR readers ignore and snnc import reads back. Models using snnc.* extension types
cannot be exported.`,
		Example: `  snnc export testdata/models/ff_lif.json -o ff_lif.nir
  snnc import ff_lif.nir -o ff_lif.roundtrip.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" || out == "-" {
				return usagef("export needs -o MODEL.nir (HDF5 is not written to stdout)")
			}
			g, _, err := snnjson.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if err := nir.Export(g, out); err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%d nodes, %d edges)\n", out, len(g.Nodes), len(g.Edges))
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "NIR file to write")
	return cmd
}
