package llvm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/snnjson"
	"github.com/snnc/snnc/targets"
	_ "github.com/snnc/snnc/targets/loihi"
)

// needTools skips a test when the LLVM toolchain is not installed (the error names the
// package); everything that does not build code still runs.
func needTools(t testing.TB) {
	t.Helper()
	if _, err := findToolchain(); err != nil {
		t.Skip(err)
	}
}

// allProbes lists u, v, q and spikes of every population.
func allProbes(n *ir.Netlist) []string {
	var out []string
	for _, p := range n.Populations {
		for _, v := range []string{"u", "v", "q", "spikes"} {
			out = append(out, p.Name+"."+v)
		}
	}
	return out
}

// runBoth compiles nl for loihi (chip mode) and llvm, runs both on stim and returns the
// traces.
func runBoth(t *testing.T, nl *ir.Netlist, stim *emulator.Stimulus, steps int, probes []string) (loihiTr, nativeTr *emulator.Trace) {
	t.Helper()
	lt, err := targets.Lookup("loihi")
	if err != nil {
		t.Fatal(err)
	}
	limg, _, err := lt.Compile(nl, loihiOptions(targets.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	lm, err := lt.Load(limg, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	loihiTr, err = lm.Run(context.Background(), stim, steps, probes)
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := Target{}.Compile(nl, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	nm, err := Target{}.Load(img, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	nativeTr, err = nm.Run(context.Background(), stim, steps, probes)
	if err != nil {
		t.Fatal(err)
	}
	return loihiTr, nativeTr
}

// sameTrace compares spike streams and probes (not the cost statistics, which the
// native code does not model).
func sameTrace(t *testing.T, want, got *emulator.Trace) {
	t.Helper()
	if want.Steps != got.Steps && want.Steps != 0 {
		t.Errorf("steps: loihi %d, native %d", want.Steps, got.Steps)
	}
	if d := cmp.Diff(want.Streams, got.Streams); d != "" {
		t.Errorf("spike streams differ (-loihi +native):\n%s", d)
	}
	if len(want.Probes) != len(got.Probes) {
		t.Fatalf("probes: loihi %d, native %d", len(want.Probes), len(got.Probes))
	}
	for k, wp := range want.Probes {
		gp := got.Probes[k]
		if wp.Name != gp.Name || wp.DType != gp.DType || !cmp.Equal(wp.Shape, gp.Shape) {
			t.Errorf("probe %d: loihi %s %s %v, native %s %s %v", k, wp.Name, wp.DType, wp.Shape, gp.Name, gp.DType, gp.Shape)
			continue
		}
		for s := range wp.Data {
			if !cmp.Equal(wp.Data[s], gp.Data[s]) {
				t.Errorf("probe %s step %d differs:\n loihi  %v\n native %v", wp.Name, s, wp.Data[s], gp.Data[s])
				break
			}
		}
	}
}

func countSpikes(tr *emulator.Trace) int {
	n := 0
	for _, s := range tr.Streams {
		n += s.Len()
	}
	return n
}

// --- fixtures (shared/fixtures/loihi; layout of loihi-notes.md "golden") ---

const fixtureDir = "../../../shared/fixtures/loihi"

type fixLayer struct {
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

type fixture struct {
	Name        string                   `json:"name"`
	Reference   string                   `json:"reference"`
	NumSteps    int                      `json:"num_steps"`
	InputRaster [][]int                  `json:"input_raster"`
	Layers      []fixLayer               `json:"layers"`
	Expected    []map[string][][]float64 `json:"expected"`
}

// fixVec decodes a scalar-or-array parameter into n values.
func fixVec(raw json.RawMessage, n int, def float64) ([]float64, error) {
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

// fixtureNetlist builds the native netlist of a fixture (snnc.loihi.CUBA populations
// L0, L1, …; Dense projections with native weight_exp), as spec §5 describes.
func fixtureNetlist(f *fixture) (*ir.Netlist, *emulator.Stimulus, error) {
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
			} else {
				n = len(f.Expected[k]["u"][0])
			}
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
			v, err := fixVec(kv.raw, n, kv.def)
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

func loadFixtures(t *testing.T) []*fixture {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Skipf("no fixtures in %s (%v)", fixtureDir, err)
	}
	sort.Strings(files)
	var out []*fixture
	for _, fn := range files {
		b, err := os.ReadFile(fn)
		if err != nil {
			t.Fatal(err)
		}
		f := &fixture{}
		if err := json.Unmarshal(b, f); err != nil {
			t.Fatalf("%s: %v", fn, err)
		}
		if f.Name == "" {
			f.Name = strings.TrimSuffix(filepath.Base(fn), ".json")
		}
		out = append(out, f)
	}
	return out
}

// TestFixturesMatchLoihi runs every public fixture's network in chip mode on the Go
// loihi emulator and natively and requires identical spikes and u, v, q on every step;
// the fixtures whose reference is chip-mode arithmetic (nengo-loihi) are also checked
// against their expected values.
func TestFixturesMatchLoihi(t *testing.T) {
	needTools(t)
	for _, f := range loadFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			nl, stim, err := fixtureNetlist(f)
			if err != nil {
				t.Fatal(err)
			}
			probes := allProbes(nl)
			want, got := runBoth(t, nl, stim, f.NumSteps, probes)
			sameTrace(t, want, got)
			if f.Reference == "lava" {
				return // lava-mode expectations; the chip-mode run is checked against loihi above
			}
			checked := 0
			for k := range f.Layers {
				for _, key := range []string{"u", "v", "spikes", "q"} {
					exp, ok := f.Expected[k][key]
					if !ok {
						continue
					}
					pd := got.Probe(fmt.Sprintf("L%d.%s", k, key))
					for s := range exp {
						if !cmp.Equal(exp[s], pd.Data[s]) {
							t.Fatalf("L%d.%s step %d: native %v, fixture %v", k, key, s, pd.Data[s], exp[s])
						}
						checked += len(exp[s])
					}
				}
			}
			if checked == 0 {
				t.Fatal("no expected values checked")
			}
			t.Logf("%d expected values equal", checked)
		})
	}
}

// --- testdata/models ---

// TestModelsMatchLoihi runs every example model the loihi target accepts on both and
// compares spikes and probes; models loihi rejects must be rejected by llvm as well.
func TestModelsMatchLoihi(t *testing.T) {
	needTools(t)
	files, err := filepath.Glob("../../testdata/models/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no models (%v)", err)
	}
	sort.Strings(files)
	ran := 0
	for _, fn := range files {
		name := strings.TrimSuffix(filepath.Base(fn), ".json")
		t.Run(name, func(t *testing.T) {
			g, _, err := snnjson.ReadFile(fn)
			if err != nil {
				t.Fatal(err)
			}
			nl, err := compiler.Lower(g, compiler.Options{})
			if err != nil {
				t.Fatal(err)
			}
			lt, _ := targets.Lookup("loihi")
			if _, _, lerr := lt.Compile(nl, loihiOptions(targets.Options{})); lerr != nil {
				_, _, err := Target{}.Compile(nl, targets.Options{})
				if err == nil {
					t.Fatalf("loihi rejects (%v) but llvm accepts", lerr)
				}
				t.Skipf("loihi rejects: %v", lerr)
			}
			var stim *emulator.Stimulus
			steps := 50
			if b, err := os.ReadFile(filepath.Join("../../testdata/stimuli", name+".json")); err == nil {
				inputs := map[string][]int{}
				for _, p := range nl.Inputs {
					inputs[p.Name] = p.Shape
				}
				stim, err = emulator.ReadStimulus(strings.NewReader(string(b)), inputs)
				if err != nil {
					t.Fatal(err)
				}
				steps = stim.Steps
			}
			want, got := runBoth(t, nl, stim, steps, allProbes(nl))
			sameTrace(t, want, got)
			ran++
			t.Logf("%d steps, %d output spikes", steps, countSpikes(got))
		})
	}
	_ = errors.New
}
