package ref_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
	_ "github.com/snnc/snnc/targets/ref"
)

func node(name, typ string, params map[string]*ir.Tensor) *ir.Node {
	return &ir.Node{Name: name, Type: typ, Params: params}
}

// oneLIF is Input(1) → LIF(1) → Output with β = 0.5 (euler, dt/τ = 0.5), r·(1−β) = 1.
func oneLIF(latency, compare string, reset ir.ResetRule) *ir.Graph {
	g := &ir.Graph{Semantics: ir.DefaultSemantics(1e-3)}
	g.Semantics.Discretization = "euler"
	g.Semantics.EdgeLatency = latency
	g.Semantics.ThresholdCompare = compare
	g.Semantics.Reset = reset
	g.AddNode(node("in", ir.TInput, map[string]*ir.Tensor{"shape": ir.Vector(1)}))
	g.AddNode(node("lif", ir.TLIF, map[string]*ir.Tensor{"tau": ir.Vector(2e-3), "r": ir.Vector(2), "v_leak": ir.Vector(0),
		"v_threshold": ir.Vector(1.5), "v_reset": ir.Vector(0)}))
	g.AddNode(node("out", ir.TOutput, map[string]*ir.Tensor{"shape": ir.Vector(1)}))
	g.Edges = []ir.Edge{{From: "in", To: "lif"}, {From: "lif", To: "out"}}
	return g
}

func run(t *testing.T, g *ir.Graph, stim *emulator.Stimulus, steps int, probes ...string) *emulator.Trace {
	t.Helper()
	res, err := compiler.Build(g, "ref", compiler.Options{Verify: true}, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := res.Target.Load(res.Image, res.Options)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := m.Run(context.Background(), stim, steps, probes)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func stim(name string, size int, times ...int) *emulator.Stimulus {
	s := &emulator.Stream{Shape: []int{size}, Times: times, Indices: make([]int, len(times))}
	return &emulator.Stimulus{Dt: 1e-3, Steps: 10, Streams: map[string]*emulator.Stream{name: s}}
}

// TestHandComputedLIF checks the discrete semantics against values worked out by hand:
// v ← 0.5·v + x; input spikes at t = 0, 1, 2.
func TestHandComputedLIF(t *testing.T) {
	immediate := ir.ResetRule{Mode: "to_value", Timing: "immediate"}
	tests := []struct {
		name, latency, compare string
		reset                  ir.ResetRule
		wantV                  []float64
		wantSpikes             []int
	}{
		// one_step: inputs arrive at t = 1, 2, 3: v = 1, 1.5, 1.75 > 1.5 → spike at 3.
		{"one_step strict", "one_step", ">", immediate, []float64{0, 1, 1.5, 0, 0, 0}, []int{3}},
		// >=: 1.5 fires at t = 2, then 0.5·0 + 1 = 1 at t = 3.
		{"one_step geq", "one_step", ">=", immediate, []float64{0, 1, 0, 1, 0.5, 0.25}, []int{2}},
		// zero latency: arrivals at t = 0, 1, 2.
		{"zero strict", "zero", ">", immediate, []float64{1, 1.5, 0, 0, 0, 0}, []int{2}},
		// subtract, next_step: v records 1.75 at t = 2; next step 0.875 − 1.5 = −0.625.
		{"zero subtract next_step", "zero", ">", ir.ResetRule{Mode: "subtract", Timing: "next_step"},
			[]float64{1, 1.5, 1.75, -0.625, -0.3125, -0.15625}, []int{2}},
		// refractory 2: held at v_reset for two steps after the spike, input at t=3 ignored.
		{"zero refractory", "zero", ">", ir.ResetRule{Mode: "to_value", Timing: "immediate", RefractorySteps: 2},
			[]float64{1, 1.5, 0, 0, 0, 1}, []int{2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			times := []int{0, 1, 2}
			if tc.name == "zero refractory" {
				times = []int{0, 1, 2, 3, 4, 5}
			}
			tr := run(t, oneLIF(tc.latency, tc.compare, tc.reset), stim("in", 1, times...), 6, "lif.v")
			var got []float64
			for _, row := range tr.Probe("lif.v").Data {
				got = append(got, row[0])
			}
			if diff := cmp.Diff(tc.wantV, got); diff != "" {
				t.Errorf("v (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantSpikes, tr.Streams["out"].Times); diff != "" {
				t.Errorf("spike times (-want +got):\n%s", diff)
			}
		})
	}
}

// chain builds Input(n) → [Affine → LIF]×layers → Output with a recurrent first layer.
func chain(n, layers int, latency string) *ir.Graph {
	g := &ir.Graph{Semantics: ir.DefaultSemantics(1e-3)}
	g.Semantics.EdgeLatency = latency
	g.AddNode(node("in", ir.TInput, map[string]*ir.Tensor{"shape": ir.Vector(float64(n))}))
	prev := "in"
	r := emulator.NewRand(5, 0)
	dense := func(name string) {
		w := ir.NewTensor(n, n)
		for i := range w.Data {
			w.Data[i] = r.Float64() * 0.6
		}
		g.AddNode(node(name, ir.TAffine, map[string]*ir.Tensor{"weight": w, "bias": ir.Scalar(0.01)}))
	}
	for l := 0; l < layers; l++ {
		a, lif := "fc"+string(rune('0'+l)), "lif"+string(rune('0'+l))
		dense(a)
		g.AddNode(node(lif, ir.TCubaLIF, map[string]*ir.Tensor{"tau_syn": ir.Scalar(5e-3), "tau_mem": ir.Scalar(1e-2),
			"r": ir.Scalar(1), "v_leak": ir.Scalar(0), "v_threshold": ir.Scalar(0.3), "v_reset": ir.Scalar(0), "w_in": ir.Scalar(1)}))
		g.Edges = append(g.Edges, ir.Edge{From: prev, To: a}, ir.Edge{From: a, To: lif})
		prev = lif
	}
	dense("rec")
	g.Edges = append(g.Edges, ir.Edge{From: "lif0", To: "rec"}, ir.Edge{From: "rec", To: "lif0"})
	g.AddNode(node("out", ir.TOutput, map[string]*ir.Tensor{"shape": ir.Vector(float64(n))}))
	g.Edges = append(g.Edges, ir.Edge{From: prev, To: "out"})
	return g
}

func poisson(n, steps int, p float64) *emulator.Stimulus {
	r := emulator.NewRand(9, 0)
	s := &emulator.Stream{Shape: []int{n}}
	for t := 0; t < steps; t++ {
		for i := 0; i < n; i++ {
			if r.Float64() < p {
				s.Times, s.Indices = append(s.Times, t), append(s.Indices, i)
			}
		}
	}
	return &emulator.Stimulus{Dt: 1e-3, Steps: steps, Streams: map[string]*emulator.Stream{"in": s}}
}

// TestDeterministicAcrossGOMAXPROCS runs the same multi-core network with 1 and 2 procs.
func TestDeterministicAcrossGOMAXPROCS(t *testing.T) {
	for _, lat := range []string{"one_step", "zero"} {
		t.Run(lat, func(t *testing.T) {
			g := chain(32, 3, lat)
			st := poisson(32, 200, 0.1)
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
			var outs []string
			for _, procs := range []int{1, 2} {
				runtime.GOMAXPROCS(procs)
				tr := run(t, g, st, 200, "lif1.v", "lif0.spikes")
				var b bytesBuf
				if err := tr.Write(&b); err != nil {
					t.Fatal(err)
				}
				outs = append(outs, string(b))
			}
			if outs[0] != outs[1] {
				t.Fatal("traces differ between GOMAXPROCS 1 and 2")
			}
			if len(outs[0]) < 1000 {
				t.Fatal("trace suspiciously small")
			}
		})
	}
}

type bytesBuf []byte

func (b *bytesBuf) Write(p []byte) (int, error) { *b = append(*b, p...); return len(p), nil }

// TestLatencyShiftsLayers: an input volley at t = 0 reaches the first layer during step 0
// with zero latency and during step 1 with one_step latency (model-format.md).
func TestLatencyShiftsLayers(t *testing.T) {
	g1, g0 := chain(8, 3, "one_step"), chain(8, 3, "zero")
	st := stim("in", 8, 0, 0, 0, 0)
	st.Streams["in"].Indices = []int{0, 1, 2, 3}
	i1 := run(t, g1, st, 3, "lif0.i").Probe("lif0.i").Data
	i0 := run(t, g0, st, 3, "lif0.i").Probe("lif0.i").Data
	// Bias alone drives both at t = 0; the volley adds to zero's current at t = 0 and to
	// one_step's at t = 1, so the one_step current at t = 0 is below zero's.
	if !(i1[0][0] < i0[0][0]) || !(i1[1][0] > i1[0][0]*1.5) {
		t.Fatalf("lif0.i one_step %v, zero %v: volley not shifted by one step", i1[:2], i0[:2])
	}
}

func BenchmarkRefStep10k(b *testing.B) {
	// 10k LIF neurons: Input(1000) → Affine(sparse 2%) → LIF(10000) with recurrence.
	n, in := 10000, 1000
	g := &ir.Graph{Semantics: ir.DefaultSemantics(1e-3)}
	g.AddNode(node("in", ir.TInput, map[string]*ir.Tensor{"shape": ir.Vector(float64(in))}))
	r := emulator.NewRand(1, 0)
	w := ir.NewTensor(n, in)
	for i := range w.Data {
		if r.Float64() < 0.02 {
			w.Data[i] = r.Float64() * 0.5
		}
	}
	g.AddNode(node("fc", ir.TAffine, map[string]*ir.Tensor{"weight": w, "bias": ir.Scalar(0)}))
	g.AddNode(node("lif", ir.TLIF, map[string]*ir.Tensor{"tau": ir.Scalar(0.02), "r": ir.Scalar(1), "v_leak": ir.Scalar(0),
		"v_threshold": ir.Scalar(1), "v_reset": ir.Scalar(0)}))
	g.AddNode(node("out", ir.TOutput, map[string]*ir.Tensor{"shape": ir.Vector(float64(n))}))
	g.Edges = []ir.Edge{{From: "in", To: "fc"}, {From: "fc", To: "lif"}, {From: "lif", To: "out"}}
	res, err := compiler.Build(g, "ref", compiler.Options{}, targets.Options{})
	if err != nil {
		b.Fatal(err)
	}
	m, _ := res.Target.Load(res.Image, res.Options)
	st := poisson(in, 100, 0.05)
	b.ResetTimer()
	var events float64
	for i := 0; i < b.N; i++ {
		m.Reset()
		tr, err := m.Run(context.Background(), st, 100, nil)
		if err != nil {
			b.Fatal(err)
		}
		ev, _ := tr.Stat("synaptic_events")
		events += ev
	}
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/step")
}
