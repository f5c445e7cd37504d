package loihifix

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
)

// Layer is one layer of a fixture: an optional Dense input and its compartments.
type Layer struct {
	Weights       [][]float64     `json:"weights"`
	WeightExp     *float64        `json:"weight_exp"`
	NumWeightBits *float64        `json:"num_weight_bits"`
	SignMode      *string         `json:"sign_mode"`
	Du            float64         `json:"du"`
	Dv            float64         `json:"dv"`
	Vth           float64         `json:"vth"`
	BiasMant      json.RawMessage `json:"bias_mant"`
	BiasExp       json.RawMessage `json:"bias_exp"`
	RefractDelay  json.RawMessage `json:"refract_delay"`
	U0            json.RawMessage `json:"u0"`
	V0            json.RawMessage `json:"v0"`
	Vmin          *float64        `json:"vmin"`
	Vmax          *float64        `json:"vmax"`
}

// Fixture is one golden-vector file.
type Fixture struct {
	Name        string                   `json:"name"`
	Reference   string                   `json:"reference"` // "lava" or "nengo-loihi"
	NumSteps    int                      `json:"num_steps"`
	InputRaster [][]int                  `json:"input_raster"`
	Layers      []Layer                  `json:"layers"`
	Expected    []map[string][][]float64 `json:"expected"` // per layer: u, v, q, spikes rows
}

// Load reads every *.json fixture in dir, sorted by file name.
func Load(dir string) ([]*Fixture, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no fixtures in %s", dir)
	}
	sort.Strings(files)
	var out []*Fixture
	for _, fn := range files {
		b, err := os.ReadFile(fn)
		if err != nil {
			return nil, err
		}
		f := &Fixture{}
		if err := json.Unmarshal(b, f); err != nil {
			return nil, fmt.Errorf("%s: %v", fn, err)
		}
		if f.Name == "" {
			f.Name = strings.TrimSuffix(filepath.Base(fn), ".json")
		}
		out = append(out, f)
	}
	return out, nil
}

// Mode is the loihi mode whose arithmetic the fixture's reference used: lava for Lava's
// bit-accurate models, chip for nengo-loihi.
func (f *Fixture) Mode() string {
	if f.Reference == "lava" {
		return "lava"
	}
	return "chip"
}

// vec decodes a scalar-or-array parameter into n values (def when absent).
func vec(raw json.RawMessage, n int, def float64) ([]float64, error) {
	out := make([]float64, n)
	if len(raw) == 0 || string(raw) == "null" {
		for i := range out {
			out[i] = def
		}
		return out, nil
	}
	var a []float64
	if err := json.Unmarshal(raw, &a); err == nil {
		if len(a) != n {
			return nil, fmt.Errorf("%d values for %d neurons", len(a), n)
		}
		return a, nil
	}
	var s float64
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	for i := range out {
		out[i] = s
	}
	return out, nil
}

// Netlist builds the fixture's native netlist (populations L0, L1, …; projections DL0,
// DL1, …; an Output "out" of the last layer) and its stimulus on Input "in".
func (f *Fixture) Netlist() (*ir.Netlist, *emulator.Stimulus, error) {
	nl := &ir.Netlist{Semantics: ir.DefaultSemantics(1e-3)}
	stim := &emulator.Stimulus{Dt: 1e-3, Steps: f.NumSteps, Streams: map[string]*emulator.Stream{}}
	prev, prevSize := "in", 0
	if f.InputRaster != nil {
		prevSize = len(f.InputRaster[0])
		nl.Inputs = append(nl.Inputs, &ir.Port{Name: "in", Shape: []int{prevSize}, Size: prevSize})
		s := &emulator.Stream{Shape: []int{prevSize}}
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
	for k, l := range f.Layers {
		n := len(l.Weights)
		if n == 0 {
			var tmp []float64
			if json.Unmarshal(l.BiasMant, &tmp) == nil {
				n = len(tmp)
			} else if k < len(f.Expected) && len(f.Expected[k]["u"]) > 0 {
				n = len(f.Expected[k]["u"][0])
			}
		}
		if n == 0 {
			return nil, nil, fmt.Errorf("layer %d: cannot tell its size", k)
		}
		name := fmt.Sprintf("L%d", k)
		p := &ir.Population{Name: name, Model: ir.TLoihiCUBA, Shape: []int{n}, Size: n, Spiking: true, Order: k,
			Params: map[string][]float64{"du": {l.Du}, "dv": {l.Dv}, "vth": {l.Vth}}, Compare: ">",
			Reset: ir.ResetRule{Mode: "to_value", Timing: "immediate"}}
		for _, kv := range []struct {
			key string
			raw json.RawMessage
			def float64
		}{{"bias_mant", l.BiasMant, 0}, {"bias_exp", l.BiasExp, 0}, {"refract_delay", l.RefractDelay, 1}, {"u0", l.U0, 0}, {"v0", l.V0, 0}} {
			v, err := vec(kv.raw, n, kv.def)
			if err != nil {
				return nil, nil, fmt.Errorf("layer %d %s: %v", k, kv.key, err)
			}
			p.Params[kv.key] = v
		}
		if l.Vmin != nil { // vmin = −2^neg_vm_limit + 1
			p.Params["neg_vm_limit"] = []float64{float64(bits.Len64(uint64(-*l.Vmin+1)) - 1)}
		}
		if l.Vmax != nil { // vmax = 2^(9 + 2·pos_vm_limit) − 1
			p.Params["pos_vm_limit"] = []float64{float64((bits.Len64(uint64(*l.Vmax+1)) - 1 - 9) / 2)}
		}
		nl.Populations = append(nl.Populations, p)
		if l.Weights != nil {
			pr := &ir.Projection{Name: "D" + name, Pre: prev, Post: name, PreSize: len(l.Weights[0]), PostSize: n, Kind: ir.Dense,
				Latency: 1, Native: map[string]float64{"weight_exp": 0, "num_weight_bits": 8}}
			if pr.PreSize != prevSize {
				return nil, nil, fmt.Errorf("layer %d: %d inputs, previous layer has %d", k, pr.PreSize, prevSize)
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
	last := nl.Populations[len(nl.Populations)-1]
	nl.Outputs = append(nl.Outputs, &ir.Port{Name: "out", Shape: last.Shape, Size: last.Size, Source: last.Name, Kind: "spikes"})
	return nl, stim, nil
}

// GradedNetlist is the hand-computed graded-input network (docs/loihi.md "Graded
// inputs"; the loihi and llvm targets' graded-input tests): 3 inputs → 2 native CUBA
// neurons that never fire (vth 100000, du 4095, dv 0), weights (10, 7, −3) into neuron 0
// and (5, ·, 1) into neuron 1 at weight_exp 0, the synapse 2 → 0 delayed by 2 steps.
func GradedNetlist() *ir.Netlist {
	nl := &ir.Netlist{Semantics: ir.DefaultSemantics(1e-3), Inputs: []*ir.Port{{Name: "in", Shape: []int{3}, Size: 3}}}
	nl.Populations = []*ir.Population{{Name: "A", Model: ir.TLoihiCUBA, Shape: []int{2}, Size: 2,
		Params: map[string][]float64{"du": {4095}, "dv": {0}, "vth": {100000}}}}
	nl.Projections = []*ir.Projection{{Name: "D", Pre: "in", Post: "A", PreSize: 3, PostSize: 2, Kind: ir.Sparse, Latency: 1,
		PreIdx: []int32{0, 1, 2, 0, 2}, PostIdx: []int32{0, 0, 0, 1, 1}, W: []float64{10, 7, -3, 5, 1}, Delay: []int32{0, 0, 2, 0, 0},
		Native: map[string]float64{"weight_exp": 0}}}
	return nl
}
