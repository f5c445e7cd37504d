package loihi

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/ir/snnjson"
	"github.com/snnc/snnc/targets"
)

// fixtureModel writes a fixture as an snn-json model of snnc.loihi.CUBA and
// snnc.loihi.Dense nodes (spec §5), the form the CLI compiles.
func fixtureModel(f *fixture) ([]byte, error) {
	nodes := map[string]any{}
	edges := [][2]string{}
	prev := ""
	if f.InputRaster != nil {
		nodes["in"] = map[string]any{"type": "Input", "shape": []int{len(f.InputRaster[0])}}
		prev = "in"
	}
	for k, l := range f.Layers {
		n := len(f.Expected[k]["u"][0])
		name := fmt.Sprintf("L%d", k)
		node := map[string]any{"type": "snnc.loihi.CUBA", "shape": []int{n}, "du": l.Du, "dv": l.Dv, "vth": l.Vth}
		for key, raw := range map[string]json.RawMessage{"bias_mant": l.BiasMant, "bias_exp": l.BiasExp, "refract_delay": l.RefractDelay, "u0": l.U0, "v0": l.V0} {
			if len(raw) > 0 && string(raw) != "null" {
				node[key] = raw
			}
		}
		if l.Vmin != nil {
			node["neg_vm_limit"] = len(fmt.Sprintf("%b", int64(-*l.Vmin+1))) - 1
		}
		if l.Vmax != nil {
			node["pos_vm_limit"] = (len(fmt.Sprintf("%b", int64(*l.Vmax+1))) - 1 - 9) / 2
		}
		nodes[name] = node
		if l.Weights != nil {
			d := map[string]any{"type": "snnc.loihi.Dense", "weight": l.Weights}
			if l.WeightExp != nil {
				d["weight_exp"] = *l.WeightExp
			}
			if l.NumWeightBits != nil {
				d["num_weight_bits"] = *l.NumWeightBits
			}
			if l.SignMode != nil {
				d["sign_mode"] = *l.SignMode
			}
			nodes["D"+name] = d
			edges = append(edges, [2]string{prev, "D" + name}, [2]string{"D" + name, name})
		}
		prev = name
	}
	doc := map[string]any{
		"format": "snn-json", "format_version": "1.0.0", "requires": []string{"snnc.loihi"},
		"time":  map[string]any{"dt": 0.001, "unit": "s"},
		"graph": map[string]any{"type": "NIRGraph", "nodes": nodes, "edges": edges},
	}
	return json.Marshal(doc)
}

// TestFixturesThroughCompiler: fixture → snn-json → snnjson.Decode → compiler.Lower →
// Compile → Load → Run, bit-exact on every step.
func TestFixturesThroughCompiler(t *testing.T) {
	for name, f := range loadFixtures(t) {
		t.Run(name, func(t *testing.T) {
			doc, err := fixtureModel(f)
			if err != nil {
				t.Fatal(err)
			}
			g, err := snnjson.Decode(doc, ".")
			if err != nil {
				t.Fatalf("decode: %v\n%s", err, doc)
			}
			nl, err := compiler.Lower(g, compiler.Options{})
			if err != nil {
				t.Fatalf("lower: %v", err)
			}
			_, stim, mode, err := fixtureNetlist(f)
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
