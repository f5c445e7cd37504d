package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/targets/loihi"
)

func init() { addCommand(newBenchCmd) }

// benchRow is one measured configuration.
type benchRow struct {
	Suite       string  `json:"suite"`
	Target      string  `json:"target"`
	Neurons     int     `json:"neurons"`
	Synapses    int     `json:"synapses"`
	SimSeconds  float64 `json:"simulated_s"`
	CompileS    float64 `json:"compile_map_s"`
	WallS       float64 `json:"wall_s"`
	WallPerSimS float64 `json:"wall_per_simulated_s"`
	EventsPerS  float64 `json:"synaptic_events_per_s"`
	UpdatesPerS float64 `json:"neuron_updates_per_s"`
	RateHz      float64 `json:"rate_hz"`
	ExactRateHz float64 `json:"exact_two_tau_rate_hz,omitempty"`
	Cores       float64 `json:"cores,omitempty"`
	Chips       float64 `json:"chips,omitempty"`
	ChipEnergyJ float64 `json:"chip_energy_j,omitempty"`
	ChipTimeS   float64 `json:"chip_time_s,omitempty"`
	Note        string  `json:"note,omitempty"`
}

func newBenchCmd() *cobra.Command {
	var suite, sizes string
	var seconds, scaleSeconds float64
	var asJSON, withRef, twoTau bool
	var seed uint64
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Throughput figures (CUBA benchmark on loihi and ref, scaling curve)",
		Example: `  snnc bench --suite cuba
  snnc bench --suite cuba --sizes 4000,64000,256000 --scale-seconds 0.1 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if suite != "cuba" {
				return usagef("--suite %q: known suites: cuba", suite)
			}
			var ns []int
			for _, s := range strings.Split(sizes, ",") {
				n, err := strconv.Atoi(strings.TrimSpace(s))
				if err != nil || n < 10 {
					return usagef("--sizes: %q is not a neuron count ≥ 10", s)
				}
				ns = append(ns, n)
			}
			if seconds <= 0 || scaleSeconds <= 0 {
				return usagef("--seconds and --scale-seconds must be > 0")
			}
			var rows []benchRow
			for i, n := range ns {
				sim := seconds
				if i > 0 || n != 4000 {
					sim = scaleSeconds
				}
				r, err := benchCUBA(cmd.Context(), "loihi", n, sim, seed, false)
				if err != nil {
					return err
				}
				rows = append(rows, r)
				if twoTau && n == 4000 {
					r, err := benchCUBA(cmd.Context(), "loihi", n, sim, seed, true)
					if err != nil {
						return err
					}
					rows = append(rows, r)
				}
				if withRef && n == 4000 {
					r, err := benchCUBA(cmd.Context(), "ref", n, sim, seed, false)
					if err != nil {
						return err
					}
					rows = append(rows, r)
				}
			}
			brian := runBrian2(seconds)
			out := cmd.OutOrStdout()
			if asJSON {
				b, _ := json.MarshalIndent(map[string]any{"suite": suite, "gomaxprocs": runtime.GOMAXPROCS(0), "rows": rows, "brian2": brian}, "", " ")
				fmt.Fprintln(out, string(b))
				return nil
			}
			t := targets.Table{Title: fmt.Sprintf("CUBA benchmark (GOMAXPROCS=%d; 80 synapses/neuron, dt = 0.1 ms)", runtime.GOMAXPROCS(0)),
				Header: []string{"target", "neurons", "synapses", "simulated_s", "compile+map_s", "wall_per_sim_s", "syn_events/s", "updates/s", "rate_Hz", "exact_rate_Hz", "cores"}}
			for _, r := range rows {
				t.Rows = append(t.Rows, []string{r.Target, strconv.Itoa(r.Neurons), strconv.Itoa(r.Synapses), g4(r.SimSeconds), g4(r.CompileS),
					g4(r.WallPerSimS), g4(r.EventsPerS), g4(r.UpdatesPerS), g4(r.RateHz), g4(r.ExactRateHz), g4(r.Cores)})
			}
			targets.WriteTable(out, t)
			fmt.Fprintln(out)
			if brian["error"] != nil {
				fmt.Fprintf(out, "brian2: %v\n", brian["error"])
			} else {
				fmt.Fprintf(out, "brian2: wall %v s for %v s, rate %v Hz\n", brian["wall_s"], seconds, brian["rate_hz"])
				// Brian2 runs the 4000-neuron network: compare with loihi's row of that size.
				k := slices.IndexFunc(rows, func(r benchRow) bool { return r.Target == "loihi" && r.Neurons == 4000 })
				if w, ok := brian["wall_s"].(float64); ok && k >= 0 && rows[k].WallS > 0 {
					fmt.Fprintf(out, "loihi/brian2 wall ratio: %.3g\n", rows[k].WallS/w)
				}
				if b, ok := brian["rate_hz"].(float64); ok && b > 0 && k >= 0 {
					fmt.Fprintf(out, "loihi/brian2 rate ratio: %.3f (target within 0.8..1.2)\n", rows[k].RateHz/b)
					if j := slices.IndexFunc(rows, func(r benchRow) bool { return r.Target == "loihi-2tau" }); j >= 0 {
						fmt.Fprintf(out, "loihi-2tau/brian2 rate ratio: %.3f\n", rows[j].RateHz/b)
					}
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&suite, "suite", "cuba", "benchmark suite (cuba)")
	f.StringVar(&sizes, "sizes", "4000,64000,256000", "network sizes (neurons); 4000 is the CUBA benchmark, others the scaling curve")
	f.Float64Var(&seconds, "seconds", 1, "simulated seconds for the 4000-neuron CUBA run")
	f.Float64Var(&scaleSeconds, "scale-seconds", 0.1, "simulated seconds for the scaling runs")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	f.BoolVar(&withRef, "ref", true, "also run the 4000-neuron network on the float ref target")
	f.Uint64Var(&seed, "seed", 1, "network seed")
	f.BoolVar(&twoTau, "two-tau", false, "also run the 4000-neuron network with τe and τi kept as two dendrites joined by ADD (loihi-2tau row; scalar tree cores)")
	return cmd
}

func g4(x float64) string {
	if x == 0 {
		return "-"
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

// benchCUBA runs the CUBA network of n neurons for sim seconds on target; twoTau picks
// loihi.CUBATwoTau (row target "loihi-2tau").
func benchCUBA(ctx context.Context, target string, n int, sim float64, seed uint64, twoTau bool) (benchRow, error) {
	cfg := loihi.CUBAConfig{N: n, SynPerNeuron: 80, Seed: seed}
	nl := loihi.CUBA(cfg)
	label := target
	if twoTau {
		nl, label = loihi.CUBATwoTau(cfg), target+"-2tau"
	}
	steps := int(sim/nl.Semantics.Dt + 0.5)
	row := benchRow{Suite: "cuba", Target: label, Neurons: n, SimSeconds: float64(steps) * nl.Semantics.Dt}
	for _, p := range nl.Projections {
		row.Synapses += len(p.W)
	}
	t, err := targets.Lookup(target)
	if err != nil {
		return row, err
	}
	opt := targets.WithDefaults(t, targets.Options{Seed: seed})
	if target == "loihi" {
		// random connectivity: ~4096/80 neurons per core fit the input-axon limit, so the
		// scaling runs span many chips
		opt.Flags["chips"] = "1024"
	}
	t0 := time.Now()
	img, _, err := t.Compile(nl, opt)
	if err != nil {
		return row, fmt.Errorf("cuba %d on %s: %w", n, target, err)
	}
	row.CompileS = time.Since(t0).Seconds()
	m, err := t.Load(img, opt)
	if err != nil {
		return row, err
	}
	t1 := time.Now()
	tr, err := m.Run(ctx, nil, steps, nil)
	if err != nil {
		return row, err
	}
	row.WallS = time.Since(t1).Seconds()
	row.WallPerSimS = row.WallS / row.SimSeconds
	sp, _ := tr.Stat("spikes")
	if sp == 0 && tr.Streams["spikes"] != nil {
		sp = float64(tr.Streams["spikes"].Len())
	}
	ev, _ := tr.Stat("synaptic_events")
	if ev == 0 {
		ev = cubaEvents(nl, tr.Streams["spikes"].Counts())
	}
	row.RateHz = sp / float64(n) / row.SimSeconds
	row.EventsPerS = ev / row.WallS
	row.UpdatesPerS = float64(n) * float64(steps) / row.WallS
	row.Cores, _ = tr.Stat("loihi.cores")
	row.Chips, _ = tr.Stat("loihi.chips")
	row.ChipEnergyJ, _ = tr.Stat("energy_j")
	row.ChipTimeS, _ = tr.Stat("time_s")
	if n <= 4000 && target == "loihi" {
		row.ExactRateHz = loihi.CUBAExactRate(loihi.CUBA(cfg), steps)
	}
	return row, nil
}

// cubaEvents counts synaptic events from spike counts (targets that do not count them).
func cubaEvents(nl *ir.Netlist, counts []int) float64 {
	fan := make([]int, nl.Populations[0].Size)
	for _, p := range nl.Projections {
		for _, pre := range p.PreIdx {
			fan[pre]++
		}
	}
	ev := 0.0
	for i, c := range counts {
		ev += float64(c * fan[i])
	}
	return ev
}

// runBrian2 runs bench/cuba_brian2.py with Debian's python3 when Brian2 is installed.
func runBrian2(seconds float64) map[string]any {
	script := ""
	for _, dir := range []string{"bench", filepath.Join("..", "bench"), filepath.Join("..", "..", "bench")} {
		if _, err := os.Stat(filepath.Join(dir, "cuba_brian2.py")); err == nil {
			script = filepath.Join(dir, "cuba_brian2.py")
			break
		}
	}
	if script == "" {
		return map[string]any{"error": "bench/cuba_brian2.py not found (run from the repository root)"}
	}
	out, err := exec.Command("/usr/bin/python3", script, "--seconds", strconv.FormatFloat(seconds, 'g', -1, 64)).Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
			msg = strings.TrimSpace(string(ee.Stderr))
			if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
				msg = msg[i+1:]
			}
		}
		return map[string]any{"error": "not run: " + msg}
	}
	var res map[string]any
	if err := json.Unmarshal(out, &res); err != nil {
		return map[string]any{"error": fmt.Sprintf("bad output %q", out)}
	}
	return res
}
