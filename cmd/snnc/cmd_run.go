package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/targets/llvm"
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
	var stats, asJSON bool
	var seed uint64
	var trials int
	var tf *targetFlags
	cmd := &cobra.Command{
		Use:   "run IMAGE",
		Short: "Run a compiled image on its target's emulator and write a spike trace",
		Example: `  snnc run net.img --input testdata/stimuli/ff_lif.json --steps 100 -o trace.json --probe lif1.v --stats
  snnc run net.img --input stim.json --seed 7 --age 1d     # another chip instance, aged a day`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.HasSuffix(args[0], ".ll") {
				return runModule(cmd, args[0], input, out, probes, steps, stats)
			}
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
			if trials > 1 {
				return runTrials(cmd, l, tf, seed, cmd.Flags().Changed("seed"), trials, stim, steps, asJSON)
			}
			m, _, err := loadMachine(cmd, l, tf, seed, cmd.Flags().Changed("seed"))
			if err != nil {
				return err
			}
			tr, err := m.Run(runContext(cmd, steps), stim, steps, splitProbes(probes))
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
	cmd.Flags().IntVar(&trials, "trials", 1, "run N chip instances (seeds seed..seed+N-1) and report mean and spread")
	cmd.Flags().BoolVar(&asJSON, "json", false, "with --trials: machine-readable summary")
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

func splitProbes(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// runModule runs a bare LLVM module written by compile --target llvm -o net.ll.
func runModule(cmd *cobra.Command, path, input, out, probes string, steps int, stats bool) error {
	text, err := readCapped(path)
	if err != nil {
		return err
	}
	m, err := llvm.ModuleMachine(string(text))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var stim *emulator.Stimulus
	if input != "" {
		f, err := os.Open(input)
		if err != nil {
			return err
		}
		defer f.Close()
		if stim, err = emulator.ReadStimulus(f, nil); err != nil {
			return fmt.Errorf("%s: %w", input, err)
		}
		if !cmd.Flags().Changed("steps") {
			steps = stim.Steps
		}
	}
	if steps <= 0 {
		return usagef("--steps must be > 0 (or give --input whose steps are used)")
	}
	tr, err := m.Run(context.Background(), stim, steps, splitProbes(probes))
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
}

// runTrials runs n chip instances of an image on one stimulus and prints the mean and
// spread (sample standard deviation) of each output's event count and of each statistic.
func runTrials(cmd *cobra.Command, l *targets.Loaded, tf *targetFlags, seed uint64, seedSet bool, n int, stim *emulator.Stimulus, steps int, asJSON bool) error {
	base := l.Options.Seed
	if seedSet {
		base = seed
	}
	type acc struct {
		key  string
		vals []float64
	}
	var rows []*acc
	find := func(k string) *acc {
		for _, r := range rows {
			if r.key == k {
				return r
			}
		}
		r := &acc{key: k}
		rows = append(rows, r)
		return r
	}
	for i := 0; i < n; i++ {
		m, _, err := loadMachine(cmd, l, tf, base+uint64(i), true)
		if err != nil {
			return err
		}
		tr, err := m.Run(context.Background(), stim, steps, nil)
		if err != nil {
			return fmt.Errorf("trial %d (seed %d): %w", i, base+uint64(i), err)
		}
		for _, o := range l.Image.Netlist().Outputs {
			find("output " + o.Name + " events").vals = append(find("output "+o.Name+" events").vals, float64(tr.Streams[o.Name].Len()))
		}
		for _, s := range tr.Stats {
			find(s.Key).vals = append(find(s.Key).vals, s.Value)
		}
	}
	type summary struct {
		Key      string    `json:"key"`
		Mean     float64   `json:"mean"`
		Std      float64   `json:"std"`
		Min, Max float64   `json:"-"`
		Values   []float64 `json:"values"`
	}
	var sums []summary
	for _, r := range rows {
		s := summary{Key: r.key, Values: r.vals, Min: math.Inf(1), Max: math.Inf(-1)}
		for _, v := range r.vals {
			s.Mean += v
			s.Min, s.Max = math.Min(s.Min, v), math.Max(s.Max, v)
		}
		s.Mean /= float64(len(r.vals))
		for _, v := range r.vals {
			s.Std += (v - s.Mean) * (v - s.Mean)
		}
		if len(r.vals) > 1 {
			s.Std = math.Sqrt(s.Std / float64(len(r.vals)-1))
		}
		sums = append(sums, s)
	}
	w := cmd.OutOrStdout()
	if asJSON {
		b, err := json.MarshalIndent(map[string]any{"target": l.Target.Name(), "trials": n, "first_seed": base, "summary": sums}, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	t := targets.Table{Title: fmt.Sprintf("%d chip instances of %s (seeds %d..%d)", n, l.Target.Name(), base, base+uint64(n)-1),
		Header: []string{"quantity", "mean", "std", "min", "max"}}
	for _, s := range sums {
		t.Rows = append(t.Rows, []string{s.Key, fmt.Sprintf("%.6g", s.Mean), fmt.Sprintf("%.3g", s.Std), fmt.Sprintf("%.6g", s.Min), fmt.Sprintf("%.6g", s.Max)})
	}
	targets.WriteTable(w, t)
	return nil
}

// runContext shows a progress bar for long runs when stderr is a terminal.
func runContext(cmd *cobra.Command, steps int) context.Context {
	ctx := context.Background()
	if steps < 1<<14 {
		return ctx
	}
	bar := newBar(cmd.ErrOrStderr(), steps, "run")
	if bar == nil {
		return ctx
	}
	return emulator.WithProgress(ctx, func(done, _ int) { _ = bar.Set(done) })
}
