package loihi

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"testing"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// fixtureDir holds the public Lava / nengo-loihi vectors (loihi-notes.md §12).
const fixtureDir = "../../../shared/fixtures/loihi"

type fixLayer struct {
	Weights       [][]float64 `json:"weights"`
	WeightExp     *float64    `json:"weight_exp"`
	NumWeightBits *float64    `json:"num_weight_bits"`
	SignMode      *string     `json:"sign_mode"`
	Du, Dv, Vth   float64
	BiasMant      json.RawMessage `json:"bias_mant"`
	BiasExp       json.RawMessage `json:"bias_exp"`
	RefractDelay  json.RawMessage `json:"refract_delay"`
	U0            json.RawMessage `json:"u0"`
	V0            json.RawMessage `json:"v0"`
	Vmin          *float64        `json:"vmin"`
	Vmax          *float64        `json:"vmax"`
}

type fixture struct {
	Name        string                   `json:"name"`
	Reference   string                   `json:"reference"`
	NumSteps    int                      `json:"num_steps"`
	InputRaster [][]int                  `json:"input_raster"`
	Layers      []fixLayer               `json:"layers"`
	Expected    []map[string][][]float64 `json:"expected"`
}

// vec decodes a scalar or array parameter into n values.
func vec(raw json.RawMessage, n int, def float64) ([]float64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		out := make([]float64, n)
		for i := range out {
			out[i] = def
		}
		return out, nil
	}
	var a []float64
	if err := json.Unmarshal(raw, &a); err == nil {
		return a, nil
	}
	var s float64
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = s
	}
	return out, nil
}

// fixtureNetlist converts a fixture into a native netlist (populations snnc.loihi.CUBA,
// projections with Native weight_exp), the stimulus, and the loihi mode.
func fixtureNetlist(f *fixture) (*ir.Netlist, *emulator.Stimulus, string, error) {
	nl := &ir.Netlist{Semantics: ir.DefaultSemantics(1e-3)}
	stim := &emulator.Stimulus{Dt: 1e-3, Steps: f.NumSteps, Streams: map[string]*emulator.Stream{}}
	if f.InputRaster != nil {
		nin := len(f.InputRaster[0])
		nl.Inputs = append(nl.Inputs, &ir.Port{Name: "in", Shape: []int{nin}, Size: nin})
		s := &emulator.Stream{Shape: []int{nin}}
		for t, row := range f.InputRaster {
			for j, x := range row {
				if x != 0 {
					s.Times = append(s.Times, t)
					s.Indices = append(s.Indices, j)
				}
			}
		}
		stim.Streams["in"] = s
	}
	prev, prevSize := "in", 0
	if f.InputRaster != nil {
		prevSize = len(f.InputRaster[0])
	}
	for k, l := range f.Layers {
		bm := l.BiasMant
		var n int
		var tmp []float64
		if err := json.Unmarshal(bm, &tmp); err == nil {
			n = len(tmp)
		} else if l.Weights != nil {
			n = len(l.Weights)
		}
		if n == 0 {
			n = len(f.Expected[k]["u"][0])
		}
		name := fmt.Sprintf("L%d", k)
		p := &ir.Population{Name: name, Model: ir.TLoihiCUBA, Shape: []int{n}, Size: n, Spiking: true,
			Params: map[string][]float64{}, Reset: ir.ResetRule{Mode: "to_value", Timing: "immediate"}, Compare: ">", Order: k}
		p.Params["du"], p.Params["dv"], p.Params["vth"] = []float64{l.Du}, []float64{l.Dv}, []float64{l.Vth}
		for _, kv := range []struct {
			key string
			raw json.RawMessage
			def float64
		}{{"bias_mant", l.BiasMant, 0}, {"bias_exp", l.BiasExp, 0}, {"refract_delay", l.RefractDelay, 1}, {"u0", l.U0, 0}, {"v0", l.V0, 0}} {
			v, err := vec(kv.raw, n, kv.def)
			if err != nil {
				return nil, nil, "", fmt.Errorf("layer %d %s: %v", k, kv.key, err)
			}
			p.Params[kv.key] = v
		}
		if l.Vmin != nil {
			p.Params["neg_vm_limit"] = []float64{float64(bits.Len64(uint64(-*l.Vmin+1)) - 1)}
		}
		if l.Vmax != nil {
			p.Params["pos_vm_limit"] = []float64{float64((bits.Len64(uint64(*l.Vmax+1)) - 1 - 9) / 2)}
		}
		nl.Populations = append(nl.Populations, p)
		if l.Weights != nil {
			pre := len(l.Weights[0])
			pr := &ir.Projection{Name: "D" + name, Pre: prev, Post: name, PreSize: pre, PostSize: n, Kind: ir.Dense, Latency: 1,
				Native: map[string]float64{"weight_exp": 0, "num_weight_bits": 8}}
			if pre != prevSize {
				return nil, nil, "", fmt.Errorf("layer %d: %d inputs, previous layer has %d", k, pre, prevSize)
			}
			for _, row := range l.Weights {
				pr.W = append(pr.W, row...)
			}
			if l.WeightExp != nil {
				pr.Native["weight_exp"] = *l.WeightExp
			}
			if l.NumWeightBits != nil {
				pr.Native["num_weight_bits"] = *l.NumWeightBits
			}
			if l.SignMode != nil {
				pr.Attrs = map[string]string{"sign_mode": *l.SignMode}
			}
			nl.Projections = append(nl.Projections, pr)
		}
		prev, prevSize = name, n
	}
	mode := "chip"
	if f.Reference == "lava" {
		mode = "lava"
	}
	return nl, stim, mode, nil
}

func loadFixtures(t *testing.T) map[string]*fixture {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s (%v)", fixtureDir, err)
	}
	out := map[string]*fixture{}
	for _, fn := range files {
		b, err := os.ReadFile(fn)
		if err != nil {
			t.Fatal(err)
		}
		f := &fixture{}
		if err := json.Unmarshal(b, f); err != nil {
			t.Fatalf("%s: %v", fn, err)
		}
		out[filepath.Base(fn)] = f
	}
	return out
}

// checkFixture runs a compiled image and compares every probed value on every step.
func checkFixture(t *testing.T, f *fixture, img targets.Image, stim *emulator.Stimulus, mode string) {
	t.Helper()
	tg := New(Loihi1)
	m, err := tg.Load(img, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var probes []string
	keys := []string{"u", "v", "spikes"}
	for k := range f.Layers {
		for _, key := range keys {
			probes = append(probes, fmt.Sprintf("L%d.%s", k, key))
		}
		if _, ok := f.Expected[k]["q"]; ok && mode == "chip" {
			probes = append(probes, fmt.Sprintf("L%d.q", k))
		}
	}
	tr, err := m.Run(context.Background(), stim, f.NumSteps, probes)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, pname := range probes {
		var k int
		var key string
		fmt.Sscanf(pname, "L%d.", &k)
		key = pname[len(fmt.Sprintf("L%d.", k)):]
		want := f.Expected[k][key]
		got := tr.Probe(pname)
		if len(want) != f.NumSteps {
			t.Fatalf("%s: expected has %d rows", pname, len(want))
		}
		for s := 0; s < f.NumSteps; s++ {
			for i, w := range want[s] {
				if got.Data[s][i] != w {
					t.Fatalf("%s step %d (row %d) neuron %d: got %v, want %v\n got row  %v\n want row %v", pname, s+1, s, i, got.Data[s][i], w, got.Data[s], want[s])
				}
				checked++
			}
		}
	}
	t.Logf("%s (%s mode): %d values equal", f.Name, mode, checked)
}

// TestFixtures converts every public vector into a native netlist, compiles it for
// loihi in the fixture's mode and requires u, v, spikes (and q) to match on every step.
func TestFixtures(t *testing.T) {
	for name, f := range loadFixtures(t) {
		t.Run(name, func(t *testing.T) {
			nl, stim, mode, err := fixtureNetlist(f)
			if err != nil {
				t.Fatal(err)
			}
			img, _, err := New(Loihi1).Compile(nl, targets.Options{Flags: map[string]string{"loihi-mode": mode}})
			if err != nil {
				t.Fatal(err)
			}
			checkFixture(t, f, img, stim, mode)
		})
	}
}

var _ = math.Abs
