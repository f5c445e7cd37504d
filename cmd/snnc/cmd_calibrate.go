package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/targets/analog"
)

func init() { addCommand(newCalibrateCmd) }

type calibrateFlags struct {
	target, out, profile, temperature string
	mismatch, noise                   float64
	seed                              uint64
	asJSON                            bool
}

func newCalibrateCmd() *cobra.Command {
	f := &calibrateFlags{}
	cmd := &cobra.Command{
		Use:   "calibrate --target analog --seed N -o CHIP.cal",
		Short: "Calibrate one analog chip instance through its readout",
		Long: `calibrate measures every neuron of the chip instance picked by --seed through the
readout only (CADC membrane samples and spike times) and binary-searches its 10-bit
parameter DACs (reset, leak, tau_mem, threshold) to the profile's targets. Use the file
with compile or run --calibration CHIP.cal and the same --seed.`,
		Example: `  snnc calibrate --target analog --seed 3 -o chip3.cal
  snnc compile model.json --target analog --seed 3 --calibration chip3.cal -o net.img`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCalibrate(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", "analog", "target to calibrate (only analog has calibratable circuits)")
	fl.Uint64Var(&f.seed, "seed", 0, "chip instance")
	fl.StringVarP(&f.out, "output", "o", "", "calibration file to write (default stdout)")
	fl.StringVar(&f.profile, "profile", analog.DefaultProfile, "analog profile: "+strings.Join(analog.ProfileNames(), ", "))
	fl.Float64Var(&f.mismatch, "mismatch", 1, "scale of the fixed-pattern mismatch")
	fl.Float64Var(&f.noise, "noise", 1, "scale of the membrane noise during the measurements")
	fl.StringVar(&f.temperature, "temperature", "", "chip temperature in kelvin during calibration (default 300)")
	fl.BoolVar(&f.asJSON, "json", false, "print the summary as JSON")
	return cmd
}

func runCalibrate(cmd *cobra.Command, f *calibrateFlags) error {
	if f.target != "analog" {
		if _, err := targets.Lookup(f.target); err != nil {
			return usagef("--target: %v", err)
		}
		return usagef("--target %s has no calibration; only analog does", f.target)
	}
	prof, err := analog.LookupProfile(f.profile)
	if err != nil {
		return usagef("--profile: %v", err)
	}
	if f.mismatch < 0 || f.noise < 0 {
		return usagef("--mismatch and --noise must be ≥ 0")
	}
	opt := analog.CalibrateOptions{Mismatch: f.mismatch, Noise: f.noise}
	if f.temperature != "" {
		v, err := strconv.ParseFloat(strings.TrimSuffix(f.temperature, "K"), 64)
		if err != nil || !(v > 0 && v < 1000) {
			return usagef("--temperature %q: want kelvin, e.g. 300", f.temperature)
		}
		opt.Temperature = v
	}
	bar := newBar(cmd.ErrOrStderr(), 1, "calibrating")
	if bar != nil {
		opt.Progress = func(step, total int) {
			bar.ChangeMax(total)
			_ = bar.Set(step)
		}
	}
	cal, err := analog.Calibrate(prof, f.seed, opt)
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		return err
	}
	if err := atomicWrite(f.out, cmd.OutOrStdout(), cal.Write); err != nil {
		return err
	}
	if f.out == "" || f.out == "-" {
		return nil // the file went to stdout: no summary mixed into it
	}
	return printCalibration(cmd.OutOrStdout(), cal, f.asJSON)
}

func printCalibration(w io.Writer, cal *analog.Calibration, asJSON bool) error {
	if asJSON {
		return writeJSON(w, map[string]any{"profile": cal.Profile, "seed": cal.Seed, "temperature_k": cal.Temperature, "spread": cal.Spread})
	}
	t := targets.Table{
		Title:  fmt.Sprintf("calibrated %s chip --seed %d at %g K (measured through the readout)", cal.Profile, cal.Seed, cal.Temperature),
		Header: []string{"parameter", "target", "CV before", "CV after"},
	}
	for _, p := range []string{"tau_mem", "threshold", "gain", "tau_syn_half_rise"} {
		s := cal.Spread[p]
		tg := "ideal"
		switch p {
		case "tau_mem":
			tg = fmt.Sprintf("%g µs", cal.Targets[p]*1e6)
		case "threshold", "gain":
			tg = fmt.Sprintf("%g", cal.Targets[p])
		case "tau_syn_half_rise":
			tg = fmt.Sprintf("τ_syn %g µs", cal.Targets["tau_syn"]*1e6)
		}
		t.Rows = append(t.Rows, []string{p, tg, fmt.Sprintf("%.1f%%", 100*s.Before), fmt.Sprintf("%.1f%%", 100*s.After)})
	}
	targets.WriteTable(w, t)
	return nil
}
