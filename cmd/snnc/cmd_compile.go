package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/targets/llvm"
)

func init() { addCommand(newCompileCmd) }

// compileFlags are shared by compile and the commands that compile on the fly.
type compileFlags struct {
	target string
	dt     float64
	seed   uint64
	imp    importOptions
	tf     *targetFlags
}

func (c *compileFlags) register(cmd *cobra.Command, defTarget string) {
	cmd.Flags().StringVar(&c.target, "target", defTarget, "target chip: "+strings.Join(targets.Names(), ", "))
	cmd.Flags().Float64Var(&c.dt, "dt", 0, "override the model's time step (seconds)")
	cmd.Flags().Uint64Var(&c.seed, "seed", 1, "seed of every random draw (for a noisy target: the chip instance)")
	cmd.Flags().StringVar(&c.imp.reset, "reset", "", ".nir import: reset mode to_value|subtract")
	cmd.Flags().BoolVar(&c.imp.dropDangling, "drop-dangling-edges", false, ".nir import: drop edges that name a missing node (logged) instead of failing")
	cmd.Flags().StringVar(&c.imp.framework, "source-framework", "", ".nir import: exporter convention snntorch|norse|rockpool|sinabs|spyx|nengo")
	c.tf = addTargetFlags(cmd)
}

// build loads and compiles a model.
func (c *compileFlags) build(cmd *cobra.Command, path string) (*compiler.Result, string, *ir.Graph, error) {
	t, err := targets.Lookup(c.target)
	if err != nil {
		return nil, "", nil, usagef("%v", err)
	}
	flags, err := c.tf.forTarget(cmd, t)
	if err != nil {
		return nil, "", nil, err
	}
	c.imp.dt = c.dt
	g, hash, err := loadModel(path, c.imp)
	if err != nil {
		return nil, "", nil, err
	}
	res, err := compiler.Build(g, c.target, compiler.Options{Dt: c.dt}, targets.Options{Seed: c.seed, Flags: flags})
	if err != nil {
		return nil, "", nil, fmt.Errorf("%s: %w", path, err)
	}
	return res, hash, g, nil
}

func newCompileCmd() *cobra.Command {
	var cf compileFlags
	var out, emit string
	var report, asJSON, verbose bool
	cmd := &cobra.Command{
		Use:   "compile MODEL",
		Short: "Lower, quantize and map a model (snn-json or .nir) for a target; write an image",
		Example: `  snnc compile testdata/models/ff_lif.json --target ref -o net.img
  snnc compile testdata/models/ff_lif.json --target loihi --report
  snnc compile model.json --target loihi --emit netlist`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, hash, g, err := cf.build(cmd, args[0])
			if err != nil {
				return err
			}
			stdout := cmd.OutOrStdout()
			if verbose {
				for _, l := range res.Netlist.Log {
					fmt.Fprintf(cmd.ErrOrStderr(), "conversion: %s\n", l)
				}
			}
			if !report {
				for _, w := range res.Report.Warnings {
					fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
				}
			}
			writeImage := func(w io.Writer) error {
				return targets.EncodeImage(w, res.Target, res.Options, hash, res.Image)
			}
			switch emit {
			case "":
			case "graph":
				g.WriteText(stdout)
				return nil
			case "netlist":
				res.Netlist.WriteText(stdout)
				return nil
			case "image":
				return writeImage(stdout)
			default:
				return usagef("--emit %q: want graph, netlist or image", emit)
			}
			if out == "" && !report {
				out = strings.TrimSuffix(args[0], ".json") + ".img"
			}
			if strings.HasSuffix(out, ".ll") {
				if res.Target.Name() != "llvm" {
					return usagef("-o %s: a .ll module is written by --target llvm only", out)
				}
				text, err := llvm.ModuleText(res.Image)
				if err != nil {
					return err
				}
				writeImage = func(w io.Writer) error { _, err := io.WriteString(w, text); return err }
			}
			if out != "" {
				if err := atomicWrite(out, stdout, writeImage); err != nil {
					return err
				}
			}
			if report {
				return printReport(stdout, res.Report, asJSON, nil)
			}
			if out != "-" {
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%s, %d populations, %d projections)\n", out, res.Target.Name(), len(res.Netlist.Populations), len(res.Netlist.Projections))
			}
			return nil
		},
	}
	cf.register(cmd, "ref")
	cmd.Flags().StringVarP(&out, "output", "o", "", "image file (default MODEL.img; - for stdout)")
	cmd.Flags().StringVar(&emit, "emit", "", "print a stage instead of writing an image: graph, netlist or image")
	cmd.Flags().BoolVar(&report, "report", false, "print the compile report (resources, quantization)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "machine-readable report")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print the conversion log")
	return cmd
}

// printReport prints a report as tables or JSON; header holds extra key/values.
func printReport(w io.Writer, r *targets.Report, asJSON bool, header map[string]any) error {
	if asJSON {
		obj := map[string]any{"target": r.Target, "warnings": r.Warnings, "tables": r.Tables, "data": r.Data}
		for k, v := range header {
			obj[k] = v
		}
		if obj["warnings"] == nil {
			obj["warnings"] = []string{}
		}
		b, err := json.MarshalIndent(obj, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	r.Write(w)
	return nil
}

// readImage loads an image file.
func readImage(path string) (*targets.Loaded, error) {
	b, err := readCapped(path)
	if err != nil {
		return nil, err
	}
	l, err := targets.DecodeImage(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4<<30))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}
