package crossbar

import (
	"context"
	"math"
	"testing"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/targets/ref"
)

const testDt = 1e-3

// lifPop is a LIF population with exact discretization (beta = exp(−dt/τ),
// b_leak = (1−beta)·v_leak, b_in = (1−beta)·r).
func lifPop(name string, n int, tau, r, vth float64) *ir.Population {
	beta := math.Exp(-testDt / tau)
	return &ir.Population{Name: name, Model: ir.TLIF, Shape: []int{n}, Size: n, Spiking: true, Compare: ">",
		Reset: ir.ResetRule{Mode: "to_value", Timing: "immediate"},
		Params: map[string][]float64{"beta": full(n, beta), "b_leak": full(n, 0), "b_in": full(n, (1-beta)*r),
			"v_threshold": full(n, vth), "v_reset": full(n, 0), "tau": full(n, tau), "r": full(n, r), "v_leak": full(n, 0)}}
}

// full broadcasts v to n values (netlist parameters are per neuron).
func full(n int, v float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// cubaPop is a CubaLIF population.
func cubaPop(name string, n int, tauSyn, tauMem, r, vth float64) *ir.Population {
	p := lifPop(name, n, tauMem, r, vth)
	p.Model = ir.TCubaLIF
	alpha := math.Exp(-testDt / tauSyn)
	p.Params["alpha"] = full(n, alpha)
	p.Params["a_in"] = full(n, 1-alpha)
	return p
}

func liPop(name string, n int, tau float64) *ir.Population {
	p := lifPop(name, n, tau, 1, 0)
	p.Model, p.Spiking = ir.TLI, false
	delete(p.Params, "v_threshold")
	return p
}

func dense(name, pre, post string, nPre, nPost int, w []float64) *ir.Projection {
	return &ir.Projection{Name: name, Pre: pre, Post: post, PreSize: nPre, PostSize: nPost, Kind: ir.Dense, W: w, Latency: 1}
}

func randW(rng *emulator.Rand, n int, scale float64) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = scale * rng.Norm()
	}
	return w
}

// mlp builds in(sizes[0]) → LIF(sizes[1]) → ... → LIF(sizes[last]) with output "out".
func mlp(seed uint64, sizes []int, gain float64) *ir.Netlist {
	rng := emulator.NewRand(seed, 99)
	nl := &ir.Netlist{Semantics: ir.DefaultSemantics(testDt)}
	nl.Inputs = []*ir.Port{{Name: "in", Shape: []int{sizes[0]}, Size: sizes[0], Kind: "spikes"}}
	pre := "in"
	for l := 1; l < len(sizes); l++ {
		name := "lif" + string(rune('0'+l))
		p := lifPop(name, sizes[l], 0.02, 10, 1)
		p.Order = l - 1
		nl.Populations = append(nl.Populations, p)
		nl.Projections = append(nl.Projections, dense("fc"+string(rune('0'+l)), pre, name, sizes[l-1], sizes[l],
			randW(rng, sizes[l-1]*sizes[l], gain/math.Sqrt(float64(sizes[l-1])))))
		pre = name
	}
	last := sizes[len(sizes)-1]
	nl.Outputs = []*ir.Port{{Name: "out", Shape: []int{last}, Size: last, Source: pre, Kind: "spikes"}}
	return nl
}

// poisson is a Bernoulli(p) spike stimulus on stream "in".
func poisson(seed uint64, n, steps int, p float64) *emulator.Stimulus {
	rng := emulator.NewRand(seed, 7)
	s := &emulator.Stream{Shape: []int{n}}
	for t := 0; t < steps; t++ {
		for i := 0; i < n; i++ {
			if rng.Float64() < p {
				s.Times = append(s.Times, t)
				s.Indices = append(s.Indices, i)
			}
		}
	}
	return &emulator.Stimulus{Dt: testDt, Steps: steps, Streams: map[string]*emulator.Stream{"in": s}}
}

func flags(kv ...string) targets.Options {
	o := targets.Options{Seed: 1, Flags: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		o.Flags[kv[i]] = kv[i+1]
	}
	return targets.WithDefaults(Target{}, o)
}

func compileLoad(t testing.TB, nl *ir.Netlist, opt targets.Options) (*Image, *Machine) {
	t.Helper()
	img, _, err := Target{}.Compile(nl, opt)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	m, err := Target{}.Load(img, opt)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return img.(*Image), m.(*Machine)
}

func runMachine(t testing.TB, m targets.Machine, stim *emulator.Stimulus, steps int, probes ...string) *emulator.Trace {
	t.Helper()
	tr, err := m.Run(context.Background(), stim, steps, probes)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return tr
}

func runRef(t testing.TB, nl *ir.Netlist, stim *emulator.Stimulus, steps int, probes ...string) *emulator.Trace {
	t.Helper()
	rt := ref.Target{}
	img, _, err := rt.Compile(nl, targets.Options{})
	if err != nil {
		t.Fatalf("ref compile: %v", err)
	}
	m, err := rt.Load(img, targets.Options{})
	if err != nil {
		t.Fatalf("ref load: %v", err)
	}
	return runMachine(t, m, stim, steps, probes...)
}

// withWeights returns a copy of nl whose projections hold the machine's effective weights.
func withWeights(t testing.TB, nl *ir.Netlist, m targets.Machine) *ir.Netlist {
	t.Helper()
	cp := *nl
	cp.Projections = nil
	for _, pr := range nl.Projections {
		w, err := m.Weights(pr.Name)
		if err != nil {
			t.Fatal(err)
		}
		c := *pr
		c.W = w
		cp.Projections = append(cp.Projections, &c)
	}
	return &cp
}

// countErr is Σ|count − refCount| / Σ refCount over every output stream.
func countErr(a, b *emulator.Trace) float64 {
	var d, n float64
	for name, sb := range b.Streams {
		ca, cb := a.Streams[name].Counts(), sb.Counts()
		for i := range cb {
			d += math.Abs(float64(ca[i] - cb[i]))
			n += float64(cb[i])
		}
	}
	if n == 0 {
		return d
	}
	return d / n
}

// probesMatch fails t unless every probe of the ref trace want equals got's within 1e-9.
func probesMatch(t testing.TB, want, got *emulator.Trace) {
	t.Helper()
	for _, p := range want.Probes {
		gp := got.Probe(p.Name)
		for s := range p.Data {
			for i := range p.Data[s] {
				if d := math.Abs(p.Data[s][i] - gp.Data[s][i]); d > 1e-9 {
					t.Fatalf("probe %s step %d [%d]: crossbar %v, ref %v", p.Name, s, i, gp.Data[s][i], p.Data[s][i])
				}
			}
		}
	}
}
