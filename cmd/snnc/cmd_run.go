package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/targets"
)

func init() { addCommand(newRunCmd, newInspectCmd) }

// loadMachine instantiates an image; flags set on the command override the image's.
func loadMachine(cmd *cobra.Command, l *targets.Loaded, tf *targetFlags, seed uint64, seedSet bool) (targets.Machine, targets.Options, error) {
	opt := targets.Options{Seed: l.Options.Seed, Flags: map[string]string{}}
	for k, v := range l.Options.Flags {
		opt.Flags[k] = v
	}
	if seedSet {
		opt.Seed = seed
	}
	if tf != nil {
		set, err := tf.forTarget(cmd, l.Target)
		if err != nil {
			return nil, opt, err
		}
		for k, v := range set {
			opt.Flags[k] = v
		}
	}
	m, err := l.Target.Load(l.Image, opt)
	return m, opt, err
}

// readStimulus reads a stimulus and checks it against the image's inputs and dt.
func readStimulus(path string, l *targets.Loaded) (*emulator.Stimulus, error) {
	nl := l.Image.Netlist()
	inputs := map[string][]int{}
	for _, in := range nl.Inputs {
		inputs[in.Name] = in.Shape
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, err := emulator.ReadStimulus(f, inputs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if dt := nl.Semantics.Dt; math.Abs(s.Dt-dt) > 1e-12*dt {
		return nil, fmt.Errorf("%s: stimulus dt = %g s but the model's dt = %g s; regenerate the stimulus or compile with --dt %g", path, s.Dt, dt, s.Dt)
	}
	return s, nil
}

func newRunCmd() *cobra.Command {
	var input, out, probes string
	var steps int
	var stats bool
	var seed uint64
	var tf *targetFlags
	cmd := &cobra.Command{
		Use:   "run IMAGE",
		Short: "Run a compiled image on its target's emulator and write a spike trace",
		Example: `  snnc run net.img --input testdata/stimuli/ff_lif.json --steps 100 -o trace.json --probe lif1.v --stats
  snnc run net.img --input stim.json --seed 7 --age 1d     # another chip instance, aged a day`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := readImage(args[0])
			if err != nil {
				return err
			}
			var stim *emulator.Stimulus
			if input != "" {
				if stim, err = readStimulus(input, l); err != nil {
					return err
				}
				if !cmd.Flags().Changed("steps") {
					steps = stim.Steps
				}
			}
			if steps <= 0 {
				return usagef("--steps must be > 0 (or give --input whose steps are used)")
			}
			m, _, err := loadMachine(cmd, l, tf, seed, cmd.Flags().Changed("seed"))
			if err != nil {
				return err
			}
			var ps []string
			if probes != "" {
				ps = strings.Split(probes, ",")
			}
			tr, err := m.Run(context.Background(), stim, steps, ps)
			if err != nil {
				return err
			}
			if err := atomicWrite(out, cmd.OutOrStdout(), tr.Write); err != nil {
				return err
			}
			if stats {
				printStats(cmd.ErrOrStderr(), tr)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&input, "input", "", "stimulus (snn-spikes file)")
	cmd.Flags().IntVar(&steps, "steps", 0, "number of steps (default: the stimulus's)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "trace file (default stdout)")
	cmd.Flags().StringVar(&probes, "probe", "", "comma-separated NODE.VAR probes (v, u, i, spikes, q, cadc, ...)")
	cmd.Flags().BoolVar(&stats, "stats", false, "print counters and cost estimates to stderr")
	cmd.Flags().Uint64Var(&seed, "seed", 0, "chip instance / random seed (default: the image's)")
	tf = addTargetFlags(cmd)
	return cmd
}

func printStats(w io.Writer, tr *emulator.Trace) {
	t := targets.Table{Title: "run statistics", Header: []string{"counter", "total", "per step"}}
	for _, s := range tr.Stats {
		per := s.Value / float64(max(tr.Steps, 1))
		t.Rows = append(t.Rows, []string{s.Key, fmt.Sprintf("%.6g", s.Value), fmt.Sprintf("%.6g", per)})
	}
	targets.WriteTable(w, t)
}

func newInspectCmd() *cobra.Command {
	var asJSON bool
	var plotPath string
	cmd := &cobra.Command{
		Use:   "inspect IMAGE",
		Short: "Show an image: target, options, resources per core/tile, quantization report",
		Example: `  snnc inspect net.img
  snnc inspect net.img --json | jq .data`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := readImage(args[0])
			if err != nil {
				return err
			}
			r := l.Image.Report()
			if r == nil {
				r = &targets.Report{Target: l.Target.Name()}
			}
			hdr := map[string]any{"image": args[0], "model_sha256": l.File.ModelSHA256, "seed": l.Options.Seed, "flags": l.Options.Flags}
			if !asJSON {
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "image   %s\ntarget  %s\nmodel   sha256:%s\nseed    %d\n", args[0], l.Target.Name(), l.File.ModelSHA256, l.Options.Seed)
				for _, k := range sortedKeys(l.Options.Flags) {
					fmt.Fprintf(w, "flag    --%s=%s\n", k, l.Options.Flags[k])
				}
				fmt.Fprintln(w)
			}
			if plotPath != "" {
				if plotUtilization == nil {
					return fmt.Errorf("--plot: plotting is not built into this snnc")
				}
				if err := plotUtilization(r, plotPath); err != nil {
					return err
				}
			}
			return printReport(cmd.OutOrStdout(), r, asJSON, hdr)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "machine-readable output")
	cmd.Flags().StringVar(&plotPath, "plot", "", "write a core/tile utilization chart (PNG)")
	return cmd
}

// plotUtilization is set by cmd_plot.go.
var plotUtilization func(r *targets.Report, path string) error

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
