package nir_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/nir"
	"github.com/snnc/snnc/targets"
	_ "github.com/snnc/snnc/targets/loihi"
	_ "github.com/snnc/snnc/targets/ref"
)

const (
	fixtureDir  = "../../../shared/fixtures/nir"
	snntorchDir = "../../../shared/fixtures/snntorch"
)

// runOn compiles g for target and runs it.
func runOn(t *testing.T, g *ir.Graph, target string, stim *emulator.Stimulus, steps int, probes ...string) *emulator.Trace {
	t.Helper()
	res, err := compiler.Build(g, target, compiler.Options{Verify: true}, targets.Options{Seed: 1})
	if err != nil {
		t.Fatalf("build for %s: %v", target, err)
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

// TestNorseLIFByHand runs the NIR paper's Norse LIF (Affine w=1 b=0 → LIF τ=2.5 ms, r=1,
// v_th=0.1) at Norse's dt = 1 ms, euler, reset to 0 at once. With a constant graded input
// x = 0.2: v ← v + (dt/τ)(−v + x) = v + 0.4(0.2 − v):
// step 0: 0.08; step 1: 0.08 + 0.4·0.12 = 0.128 > 0.1 → spike, v = 0; then it repeats.
func TestNorseLIFByHand(t *testing.T) {
	g, err := nir.Import(filepath.Join(fixtureDir, "lif_norse.nir"), nir.ImportOptions{SourceFramework: "norse"})
	if err != nil {
		t.Fatal(err)
	}
	const steps = 6
	in := &emulator.Stream{Shape: []int{1}}
	for s := 0; s < steps; s++ {
		in.Times = append(in.Times, s)
		in.Indices = append(in.Indices, 0)
		in.Values = append(in.Values, 0.2)
	}
	stim := &emulator.Stimulus{Dt: 1e-3, Steps: steps, Streams: map[string]*emulator.Stream{"input": in}}
	tr := runOn(t, g, "ref", stim, steps, "1.v")
	wantV := []float64{0.08, 0, 0.08, 0, 0.08, 0}
	wantSpikes := []int{1, 3, 5}
	v := tr.Probe("1.v")
	if v == nil {
		t.Fatal("no probe 1.v")
	}
	for s := range wantV {
		if math.Abs(v.Data[s][0]-wantV[s]) > 1e-6 {
			t.Errorf("step %d: v = %.9g, want %g", s, v.Data[s][0], wantV[s])
		}
	}
	out := tr.Streams["output"]
	if out == nil {
		t.Fatalf("no output stream; streams %v", tr.Streams)
	}
	if len(out.Times) != len(wantSpikes) {
		t.Fatalf("output spikes at %v, want %v", out.Times, wantSpikes)
	}
	for i, s := range wantSpikes {
		if out.Times[i] != s {
			t.Errorf("output spikes at %v, want %v", out.Times, wantSpikes)
			break
		}
	}
}

type expected struct {
	Layers []struct {
		Name    string      `json:"name"`
		NIRNode string      `json:"nir_node"`
		Size    int         `json:"size"`
		Spikes  [][]float64 `json:"spikes"`
		Mem     [][]float64 `json:"mem"`
		Syn     [][]float64 `json:"syn"`
	} `json:"layers"`
}

// TestSnnTorchReproduction imports snnTorch's own exports of net1 (Leaky) and net2
// (Synaptic) with --source-framework snntorch, runs them on ref, and compares with what
// snnTorch recorded: spikes exactly, membranes and synaptic currents within float32
// tolerance.
func TestSnnTorchReproduction(t *testing.T) {
	for _, net := range []string{"net1", "net2"} {
		t.Run(net, func(t *testing.T) {
			g, err := nir.Import(filepath.Join(snntorchDir, net+".nir"), nir.ImportOptions{SourceFramework: "snntorch"})
			if err != nil {
				t.Fatal(err)
			}
			var raster [][]float64
			readJSON(t, filepath.Join(snntorchDir, net+"_input.json"), &raster)
			var exp expected
			readJSON(t, filepath.Join(snntorchDir, net+"_expected.json"), &exp)
			steps := len(raster)
			in := &emulator.Stream{Shape: []int{len(raster[0])}}
			for s, row := range raster {
				for i, x := range row {
					if x != 0 {
						in.Times = append(in.Times, s)
						in.Indices = append(in.Indices, i)
					}
				}
			}
			stim := &emulator.Stimulus{Dt: g.Semantics.Dt, Steps: steps, Streams: map[string]*emulator.Stream{"input": in}}
			var probes []string
			for _, l := range exp.Layers {
				probes = append(probes, l.NIRNode+".spikes", l.NIRNode+".v")
				if l.Syn != nil {
					probes = append(probes, l.NIRNode+".i")
				}
			}
			tr := runOn(t, g, "ref", stim, steps, probes...)
			totalSpikes := 0
			for _, l := range exp.Layers {
				sp, v := tr.Probe(l.NIRNode+".spikes"), tr.Probe(l.NIRNode+".v")
				var maxV, maxI float64
				mismatches := 0
				for s := 0; s < steps; s++ {
					for i := 0; i < l.Size; i++ {
						if sp.Data[s][i] != l.Spikes[s][i] {
							if mismatches < 5 {
								t.Errorf("%s step %d neuron %d: spike %v, snnTorch %v (mem %v vs %v)", l.Name, s, i, sp.Data[s][i], l.Spikes[s][i], v.Data[s][i], l.Mem[s][i])
							}
							mismatches++
						}
						totalSpikes += int(l.Spikes[s][i])
						maxV = math.Max(maxV, math.Abs(v.Data[s][i]-l.Mem[s][i]))
						if l.Syn != nil {
							maxI = math.Max(maxI, math.Abs(tr.Probe(l.NIRNode + ".i").Data[s][i]-l.Syn[s][i]))
						}
					}
				}
				if mismatches > 0 {
					t.Errorf("%s: %d spike mismatches", l.Name, mismatches)
				}
				if maxV > 1e-5 || maxI > 1e-5 {
					t.Errorf("%s: max |v - mem| = %.3g, max |i - syn| = %.3g, want ≤ 1e-5 (float32)", l.Name, maxV, maxI)
				}
				t.Logf("%s: spikes identical, max |Δmem| = %.2g, max |Δsyn| = %.2g", l.Name, maxV, maxI)
			}
			if totalSpikes == 0 {
				t.Fatal("the recording has no spikes; the comparison would be vacuous")
			}
		})
	}
}

// TestFixturesCompileAndRun compiles every NIR paper file for ref and loihi and runs it.
func TestFixturesCompileAndRun(t *testing.T) {
	for _, tc := range []struct{ file, fw, target string }{
		{"lif_norse.nir", "norse", "ref"}, {"cnn_sinabs.nir", "sinabs", "ref"}, {"braille.nir", "snntorch", "ref"},
		{"lif_norse.nir", "norse", "loihi"}, {"cnn_sinabs.nir", "sinabs", "loihi"}, {"braille.nir", "snntorch", "loihi"},
	} {
		t.Run(tc.file+"/"+tc.target, func(t *testing.T) {
			g, err := nir.Import(filepath.Join(fixtureDir, tc.file), nir.ImportOptions{SourceFramework: tc.fw})
			if err != nil {
				t.Fatal(err)
			}
			in := g.Node("input")
			n := 1
			for _, d := range in.P("shape").Data {
				n *= int(d)
			}
			rng := emulator.NewRand(7, 0)
			s := &emulator.Stream{Shape: toInts(in.P("shape").Data)}
			const steps = 20
			for st := 0; st < steps; st++ {
				for i := 0; i < n; i++ {
					if rng.Float64() < 0.3 {
						s.Times = append(s.Times, st)
						s.Indices = append(s.Indices, i)
					}
				}
			}
			stim := &emulator.Stimulus{Dt: g.Semantics.Dt, Steps: steps, Streams: map[string]*emulator.Stream{"input": s}}
			tr := runOn(t, g, tc.target, stim, steps)
			if tr.Streams["output"] == nil {
				t.Fatalf("no output stream")
			}
			t.Logf("%s: %d output spikes in %d steps", tc.file, tr.Streams["output"].Len(), steps)
		})
	}
}

func toInts(v []float64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
