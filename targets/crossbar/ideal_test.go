package crossbar

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
)

// TestIdealEqualsRef: with the ideal profile every non-ideality is off and a crossbar
// run equals the float reference (spikes exactly, membrane potentials to float tolerance).
func TestIdealEqualsRef(t *testing.T) {
	cuba := mlp(3, []int{200, 300, 10}, 4)
	cuba.Populations[0] = cubaPop("lif1", 300, 0.005, 0.02, 20, 1)
	cuba.Populations[0].Params["bias"] = full(300, 0.05)
	nextStep := mlp(4, []int{150, 80, 20}, 5)
	for _, p := range nextStep.Populations {
		p.Reset = ir.ResetRule{Mode: "subtract", Timing: "next_step", RefractorySteps: 1}
		p.Compare = ">="
	}
	delayed := mlp(5, []int{100, 70, 12}, 5)
	pr := delayed.Projections[0]
	pr.Delay = make([]int32, len(pr.W))
	for k := range pr.Delay {
		pr.Delay[k] = int32(k % 3)
	}
	delayed.Projections[1].Delay = []int32{2}
	readout := mlp(6, []int{120, 60}, 5)
	readout.Populations = append(readout.Populations, liPop("li", 5, 0.01))
	readout.Projections = append(readout.Projections, dense("fcr", "lif1", "li", 60, 5, randW(emulator.NewRand(1, 2), 300, 0.3)))
	readout.Outputs = append(readout.Outputs, &ir.Port{Name: "v", Shape: []int{5}, Size: 5, Source: "li", Kind: "v"})
	recurrent := mlp(8, []int{90, 140}, 4)
	recurrent.Projections = append(recurrent.Projections, dense("rec", "lif1", "lif1", 140, 140, randW(emulator.NewRand(3, 3), 140*140, 0.1)))

	ifNet := mlp(9, []int{100, 60, 8}, 4)
	for _, p := range ifNet.Populations {
		p.Model = ir.TIF
		p.Params["beta"] = full(p.Size, 1)
		p.Params["b_leak"] = full(p.Size, 0)
		p.Params["b_in"] = full(p.Size, 0.3)
	}
	cubaLI := mlp(10, []int{80, 50}, 4)
	cl := cubaPop("cli", 4, 0.005, 0.02, 20, 0)
	cl.Model, cl.Spiking = ir.TCubaLI, false
	cubaLI.Populations = append(cubaLI.Populations, cl)
	cubaLI.Projections = append(cubaLI.Projections, dense("fcr", "lif1", "cli", 50, 4, randW(emulator.NewRand(4, 4), 200, 0.3)))
	cubaLI.Outputs = append(cubaLI.Outputs, &ir.Port{Name: "v", Shape: []int{4}, Size: 4, Source: "cli", Kind: "v"})

	cases := []struct {
		name  string
		nl    *ir.Netlist
		tile  string
		probe []string
	}{
		{"mlp-tile128", mlp(1, []int{200, 300, 10}, 5), "128", []string{"lif1.v", "lif2.v"}},
		{"mlp-tile256", mlp(2, []int{300, 100, 10}, 5), "256", nil},
		{"cuba-bias", cuba, "128", []string{"lif1.i", "lif1.v"}},
		{"subtract-next-step-refractory", nextStep, "128", []string{"lif1.v"}},
		{"delays", delayed, "128", nil},
		{"li-readout", readout, "128", []string{"li.v"}},
		{"recurrent", recurrent, "128", nil},
		{"IF", ifNet, "128", []string{"lif1.v"}},
		{"cubali-readout", cubaLI, "128", []string{"cli.i"}},
		{"graded-input", mlp(12, []int{100, 60, 8}, 4), "128", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			steps := 60
			stim := poisson(11, c.nl.Inputs[0].Size, steps, 0.15)
			if c.name == "graded-input" {
				in := stim.Streams["in"]
				rng := emulator.NewRand(3, 1)
				for range in.Times {
					in.Values = append(in.Values, 2*rng.Float64()-0.5)
				}
			}
			_, m := compileLoad(t, c.nl, flags("device", "ideal", "tile", c.tile))
			got := runMachine(t, m, stim, steps, c.probe...)
			want := runRef(t, c.nl, stim, steps, c.probe...)
			spikes := 0
			for name, ws := range want.Streams {
				spikes += ws.Len()
				if diff := cmp.Diff(ws, got.Streams[name], cmpopts.EquateApprox(0, 1e-9)); diff != "" {
					t.Errorf("stream %s differs from ref (-ref +crossbar):\n%s", name, diff)
				}
			}
			if spikes == 0 {
				t.Fatalf("degenerate test: no output events")
			}
			probesMatch(t, want, got)
		})
	}
}

// TestIdealQuantizedEqualsRef: ideal devices with a finite number of levels (and bit
// slices) run exactly like ref on the quantized weights Machine.Weights reports.
func TestIdealQuantizedEqualsRef(t *testing.T) {
	for _, c := range []struct{ levels, slices string }{{"16", "1"}, {"4", "2"}, {"2", "3"}} {
		t.Run("levels"+c.levels+"x"+c.slices, func(t *testing.T) {
			nl := mlp(21, []int{200, 150, 10}, 5)
			steps := 50
			stim := poisson(12, 200, steps, 0.15)
			_, m := compileLoad(t, nl, flags("device", "ideal", "tile", "128", "levels", c.levels, "slices", c.slices))
			got := runMachine(t, m, stim, steps, "lif1.v")
			qn := withWeights(t, nl, m)
			want := runRef(t, qn, stim, steps, "lif1.v")
			if e := countErr(got, want); e != 0 {
				t.Fatalf("spike count error vs ref on the quantized weights = %v, want 0", e)
			}
			// the quantization is real: the quantized weights differ from the originals
			w0 := nl.Projections[0].W
			wq := qn.Projections[0].W
			diff := 0.0
			for i := range w0 {
				diff = max(diff, math.Abs(w0[i]-wq[i]))
			}
			if diff == 0 {
				t.Fatalf("weights not quantized")
			}
		})
	}
}
