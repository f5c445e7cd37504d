package analog

import (
	"context"
	"math"
	"testing"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
	_ "github.com/snnc/snnc/targets/ref"
)

// popSpec describes a hand-built population (exact discretization at dt).
type popSpec struct {
	name, model     string
	size            int
	tauMem, tauSyn  float64
	vth, vreset, vl float64
	reset           string
	refractorySteps int
	tauAHP, wAHP    float64 // snnc.AHPLIF
}

// buildPop writes the continuous parameters and the discretized coefficients the
// compiler's discretize pass would write (model-format.md, exact).
func buildPop(s popSpec, dt float64) *ir.Population {
	n := s.size
	fill := func(v float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	if s.reset == "" {
		s.reset = "to_value"
	}
	if s.vth == 0 {
		s.vth = 1
	}
	p := &ir.Population{Name: s.name, Model: s.model, Shape: []int{n}, Size: n, Params: map[string][]float64{},
		Reset: ir.ResetRule{Mode: s.reset, Timing: "immediate", RefractorySteps: s.refractorySteps}, Compare: ">",
		Spiking: s.model == ir.TLIF || s.model == ir.TCubaLIF || s.model == ir.TAHPLIF}
	beta := math.Exp(-dt / s.tauMem)
	p.Params["r"] = fill(1)
	p.Params["v_leak"] = fill(s.vl)
	p.Params["v_threshold"] = fill(s.vth)
	p.Params["v_reset"] = fill(s.vreset)
	p.Params["beta"] = fill(beta)
	p.Params["b_leak"] = fill((1 - beta) * s.vl)
	p.Params["b_in"] = fill(1 - beta)
	if s.model == ir.TLIF || s.model == ir.TLI {
		p.Params["tau"] = fill(s.tauMem)
	} else {
		alpha := math.Exp(-dt / s.tauSyn)
		p.Params["tau_mem"] = fill(s.tauMem)
		p.Params["tau_syn"] = fill(s.tauSyn)
		p.Params["w_in"] = fill(1)
		p.Params["alpha"] = fill(alpha)
		p.Params["a_in"] = fill(1 - alpha)
	}
	if s.model == ir.TAHPLIF {
		rho := math.Exp(-dt / s.tauAHP)
		p.Params["tau_ahp"] = fill(s.tauAHP)
		p.Params["w_ahp"] = fill(s.wAHP)
		p.Params["rho"] = fill(rho)
		p.Params["a_adapt"] = fill(1 - rho)
	}
	return p
}

// ffNetlist is input → dense → population → output.
func ffNetlist(dt float64, nIn int, pop popSpec, w []float64) *ir.Netlist {
	p := buildPop(pop, dt)
	return &ir.Netlist{
		Semantics:   ir.DefaultSemantics(dt),
		Inputs:      []*ir.Port{{Name: "in", Shape: []int{nIn}, Size: nIn, Kind: "spikes"}},
		Outputs:     []*ir.Port{{Name: "out", Shape: []int{pop.size}, Size: pop.size, Source: pop.name, Kind: "spikes"}},
		Populations: []*ir.Population{p},
		Projections: []*ir.Projection{{Name: "fc", Pre: "in", Post: pop.name, PreSize: nIn, PostSize: pop.size,
			Kind: ir.Dense, W: w, Latency: 1}},
	}
}

// representable returns weights k·g with integer k in [lo, 63], one of them 63, so that
// the analog target's per-projection gain max|w|/63 represents them exactly.
func representable(n int, g float64, lo int, seed uint64) []float64 {
	r := emulator.NewRand(seed, 1)
	w := make([]float64, n)
	for i := range w {
		w[i] = float64(lo+r.Intn(63-lo+1)) * g
	}
	w[0] = 63 * g
	return w
}

// poisson is a stimulus with each input firing with probability p per step.
func poisson(dt float64, n, steps int, p float64, seed uint64) *emulator.Stimulus {
	r := emulator.NewRand(seed, 2)
	s := &emulator.Stream{Shape: []int{n}, Times: []int{}, Indices: []int{}}
	for t := 0; t < steps; t++ {
		for i := 0; i < n; i++ {
			if r.Float64() < p {
				s.Times = append(s.Times, t)
				s.Indices = append(s.Indices, i)
			}
		}
	}
	return &emulator.Stimulus{Dt: dt, Steps: steps, Streams: map[string]*emulator.Stream{"in": s}}
}

// runOn compiles nl for target name with flags and runs it.
func runOn(t testing.TB, name string, nl *ir.Netlist, seed uint64, flags map[string]string, stim *emulator.Stimulus, steps int, probes ...string) (*emulator.Trace, targets.Machine) {
	t.Helper()
	tg, err := targets.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	opt := targets.WithDefaults(tg, targets.Options{Seed: seed, Flags: flags})
	img, _, err := tg.Compile(nl, opt)
	if err != nil {
		t.Fatalf("compile for %s: %v", name, err)
	}
	m, err := tg.Load(img, opt)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	tr, err := m.Run(context.Background(), stim, steps, probes)
	if err != nil {
		t.Fatalf("run %s: %v", name, err)
	}
	return tr, m
}

// ideal turns every non-ideality off.
func ideal() map[string]string {
	return map[string]string{"mismatch": "0", "noise": "0", "age": "0"}
}

// trains splits a stream into per-neuron spike times.
func trains(s *emulator.Stream) [][]int {
	out := make([][]int, s.Shape[0])
	for k, i := range s.Indices {
		out[i] = append(out[i], s.Times[k])
	}
	return out
}
