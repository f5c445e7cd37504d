package snnjson

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/snnc/snnc/ir"
)

// base returns a small valid document as a generic map the cases mutate.
func base() map[string]any {
	return map[string]any{
		"format":         "snn-json",
		"format_version": "1.0.0",
		"time":           map[string]any{"dt": 0.001, "unit": "s"},
		"graph": map[string]any{
			"type": "NIRGraph",
			"nodes": map[string]any{
				"input":  map[string]any{"type": "Input", "shape": []any{2}},
				"fc":     map[string]any{"type": "Affine", "weight": []any{[]any{1.0, 0.5}, []any{0.25, 2.0}, []any{1.0, 1.0}}, "bias": []any{0.0, 0.0, 0.0}},
				"lif":    map[string]any{"type": "LIF", "tau": 0.01, "r": 1.0, "v_leak": 0.0, "v_threshold": 1.0},
				"output": map[string]any{"type": "Output", "shape": []any{3}},
			},
			"edges": []any{[]any{"input", "fc"}, []any{"fc", "lif"}, []any{"lif", "output"}},
		},
	}
}

func nodes(m map[string]any) map[string]any {
	return m["graph"].(map[string]any)["nodes"].(map[string]any)
}

func node(m map[string]any, name string) map[string]any { return nodes(m)[name].(map[string]any) }

func doc(t *testing.T, mutate func(m map[string]any)) []byte {
	t.Helper()
	m := base()
	if mutate != nil {
		mutate(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeValid(t *testing.T) {
	g, err := Decode(doc(t, nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if g.Semantics != ir.DefaultSemantics(0.001) {
		t.Errorf("semantics %+v, want defaults", g.Semantics)
	}
	lif := g.Node("lif")
	if lif == nil || !ir.ShapeEqual(lif.OutShape, []int{3}) {
		t.Fatalf("lif shape: %+v", lif)
	}
	if got := lif.P("v_reset"); got == nil || len(got.Data) != 3 || got.Data[0] != 0 {
		t.Errorf("v_reset not normalized to three zeros: %+v", got)
	}
	if got := lif.P("tau"); !ir.ShapeEqual(got.Shape, []int{3}) || got.Data[2] != 0.01 {
		t.Errorf("tau not broadcast: %+v", got)
	}
	if !strings.Contains(strings.Join(g.Log, "\n"), "lif: LIF has no v_reset; set to 0") {
		t.Errorf("log lacks the v_reset line:\n%s", strings.Join(g.Log, "\n"))
	}
}

func TestDecodeUnitsAndDefaults(t *testing.T) {
	g, err := Decode(doc(t, func(m map[string]any) {
		m["time"] = map[string]any{"dt": 0.5, "unit": "ms"}
		m["discretization"] = "euler"
		m["defaults"] = map[string]any{"reset": map[string]any{"mode": "subtract", "timing": "next_step", "refractory_steps": 2},
			"threshold_compare": ">=", "edge_latency": "zero"}
		node(m, "lif")["snnc"] = map[string]any{"reset": map[string]any{"mode": "to_value"}, "threshold_compare": ">", "hints": map[string]any{"core": "3"}}
	}), "")
	if err != nil {
		t.Fatal(err)
	}
	want := ir.Semantics{Dt: 0.0005, Discretization: "euler", Reset: ir.ResetRule{Mode: "subtract", Timing: "next_step", RefractorySteps: 2},
		ThresholdCompare: ">=", EdgeLatency: "zero", Recurrence: "prev_step", FanIn: "sum"}
	if g.Semantics != want {
		t.Errorf("semantics\n got %+v\nwant %+v", g.Semantics, want)
	}
	o := g.Node("lif").Snnc
	// A partial reset override keeps the graph's other reset fields.
	if o == nil || *o.Reset != (ir.ResetRule{Mode: "to_value", Timing: "next_step", RefractorySteps: 2}) || o.ThresholdCompare != ">" || o.Hints["core"] != "3" {
		t.Errorf("overrides %+v", o)
	}
}

// writeFile writes a tensor file into dir and returns its sha256.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

func f64bytes(v ...float64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return b
}

func TestDecodeErrors(t *testing.T) {
	dir := t.TempDir()
	weights := f64bytes(1, 0.5, 0.25, 2, 1, 1)
	sum := writeFile(t, filepath.Join(dir, "model"), "w.bin", weights)
	outside := writeFile(t, dir, "outside.bin", weights)
	if err := os.Symlink(filepath.Join(dir, "outside.bin"), filepath.Join(dir, "model", "link.bin")); err != nil {
		t.Fatal(err)
	}
	fileTensor := func(name, sha string, shape ...any) map[string]any {
		if shape == nil {
			shape = []any{3, 2}
		}
		return map[string]any{"dtype": "f64", "shape": shape, "file": name, "sha256": sha}
	}
	setW := func(v any) func(m map[string]any) {
		return func(m map[string]any) { node(m, "fc")["weight"] = v }
	}
	tests := []struct {
		name   string
		raw    string // used instead of mutate when set
		mutate func(m map[string]any)
		where  string
		err    error
		msg    string
	}{
		{name: "syntax", raw: "{\n\"format\": }", where: "line 2", err: ErrSyntax},
		{name: "not an object", raw: "[1, 2]", where: "(document)", err: ErrFormat},
		{name: "wrong format", mutate: func(m map[string]any) { m["format"] = "nir" }, where: "format", err: ErrFormat, msg: `want "snn-json"`},
		{name: "newer major version", mutate: func(m map[string]any) { m["format_version"] = "2.0.0" }, where: "format_version", err: ErrVersion, msg: "newer major version"},
		{name: "malformed version", mutate: func(m map[string]any) { m["format_version"] = "1.0" }, where: "format_version", err: ErrVersion, msg: "MAJOR.MINOR.PATCH"},
		{name: "missing version", mutate: func(m map[string]any) { delete(m, "format_version") }, where: "format_version", err: ErrMissing},
		{name: "unknown requires", mutate: func(m map[string]any) { m["requires"] = []any{"snnc.Teleport"} }, where: "requires[0]", err: ErrRequires, msg: `"snnc.Teleport"`},
		{name: "unknown top-level key", mutate: func(m map[string]any) { m["defualts"] = map[string]any{} }, where: "defualts", err: ErrKey, msg: "allowed: format"},
		{name: "missing time", mutate: func(m map[string]any) { delete(m, "time") }, where: "time", err: ErrMissing},
		{name: "zero dt", mutate: func(m map[string]any) { m["time"] = map[string]any{"dt": 0, "unit": "s"} }, where: "time.dt", err: ErrValue, msg: "want a finite step > 0"},
		{name: "negative dt", mutate: func(m map[string]any) { m["time"] = map[string]any{"dt": -1e-3} }, where: "time.dt", err: ErrValue},
		{name: "huge dt", raw: strings.Replace(string(doc(t, nil)), `"dt":0.001`, `"dt":1e999`, 1), where: "time.dt", err: ErrValue, msg: "not a finite number"},
		{name: "dt string", mutate: func(m map[string]any) { m["time"] = map[string]any{"dt": "1ms"} }, where: "time.dt", err: ErrType},
		{name: "bad unit", mutate: func(m map[string]any) { m["time"] = map[string]any{"dt": 1, "unit": "h"} }, where: "time.unit", err: ErrValue, msg: "allowed: s, ms, us"},
		{name: "bad discretization", mutate: func(m map[string]any) { m["discretization"] = "rk4" }, where: "discretization", err: ErrValue, msg: "allowed: exact, euler"},
		{name: "bad reset mode", mutate: func(m map[string]any) { m["defaults"] = map[string]any{"reset": map[string]any{"mode": "zero"}} }, where: "defaults.reset.mode", err: ErrValue, msg: "to_value, subtract, none"},
		{name: "negative refractory", mutate: func(m map[string]any) {
			m["defaults"] = map[string]any{"reset": map[string]any{"refractory_steps": -1}}
		}, where: "defaults.reset.refractory_steps", err: ErrValue},
		{name: "bad recurrence", mutate: func(m map[string]any) { m["defaults"] = map[string]any{"recurrence": "none"} }, where: "defaults.recurrence", err: ErrValue},
		{name: "bad node override", mutate: func(m map[string]any) { node(m, "lif")["snnc"] = map[string]any{"threshold_compare": "<"} }, where: "graph.nodes.lif.snnc.threshold_compare", err: ErrValue},
		{name: "unknown override key", mutate: func(m map[string]any) { node(m, "lif")["snnc"] = map[string]any{"colour": "red"} }, where: "graph.nodes.lif.snnc.colour", err: ErrKey},
		{name: "unknown node type", mutate: func(m map[string]any) { node(m, "lif")["type"] = "Izhikevich" }, where: "graph.nodes.lif.type", err: ir.ErrUnknownType, msg: `"Izhikevich"`},
		{name: "missing type", mutate: func(m map[string]any) { delete(node(m, "lif"), "type") }, where: "graph.nodes.lif.type", err: ErrMissing},
		{name: "missing required param", mutate: func(m map[string]any) { delete(node(m, "lif"), "tau") }, where: "graph.nodes.lif", err: ir.ErrBadParam, msg: `requires parameter "tau"`},
		{name: "missing nodes", mutate: func(m map[string]any) { delete(m["graph"].(map[string]any), "nodes") }, where: "graph.nodes", err: ErrMissing},
		{name: "ragged tensor", mutate: setW([]any{[]any{1, 2}, []any{3}, []any{4, 5}}), where: "graph.nodes.fc.weight[1]", err: ErrTensor, msg: "ragged"},
		{name: "ragged depth", mutate: setW([]any{[]any{1, 2}, 3, []any{4, 5}}), where: "graph.nodes.fc.weight[1]", err: ErrTensor, msg: "ragged"},
		{name: "empty tensor", mutate: setW([]any{}), where: "graph.nodes.fc.weight", err: ErrTensor, msg: "empty"},
		{name: "string in tensor", mutate: setW([]any{[]any{1, "x"}}), where: "graph.nodes.fc.weight[0][1]", err: ErrType},
		{name: "boolean param", mutate: func(m map[string]any) { node(m, "lif")["tau"] = true }, where: "graph.nodes.lif.tau", err: ErrType},
		{name: "weight not 2-d", mutate: setW([]any{1.0, 2.0}), where: "graph.nodes.fc", err: ir.ErrBadParam, msg: "want (out, in)"},
		{name: "shape mismatch on edge", mutate: func(m map[string]any) { node(m, "input")["shape"] = []any{5} }, where: "graph.edges[0]", err: ir.ErrShape, msg: "input emits [5], fc expects [2]"},
		{name: "population param size", mutate: func(m map[string]any) { node(m, "lif")["tau"] = []any{0.01, 0.02} }, where: "graph.edges[1]", err: ir.ErrShape, msg: "lif expects [2]"},
		{name: "tau not positive", mutate: func(m map[string]any) { node(m, "lif")["tau"] = []any{0.01, 0, 0.01} }, where: "graph.nodes.lif.tau[1]", err: ir.ErrBadParam, msg: "want > 0"},
		{name: "non-finite base64", mutate: setW(map[string]any{"dtype": "f64", "shape": []any{3, 2},
			"data_b64": base64.StdEncoding.EncodeToString(f64bytes(1, math.NaN(), 0, 0, 0, 0))}), where: "graph.nodes.fc.weight[1]", err: ir.ErrNonFinite},
		{name: "base64 size mismatch", mutate: setW(map[string]any{"dtype": "f64", "shape": []any{3, 2},
			"data_b64": base64.StdEncoding.EncodeToString(f64bytes(1, 2, 3))}), where: "graph.nodes.fc.weight.data_b64", err: ErrTensor, msg: "cannot hold"},
		{name: "bad base64", mutate: setW(map[string]any{"dtype": "i8", "shape": []any{3, 2}, "data_b64": "!!!!!!!!"}), where: "graph.nodes.fc.weight.data_b64", err: ErrTensor, msg: "invalid base64"},
		{name: "bad dtype", mutate: setW(map[string]any{"dtype": "f16", "shape": []any{3, 2}, "data_b64": ""}), where: "graph.nodes.fc.weight.dtype", err: ErrValue, msg: "allowed: f32"},
		{name: "shape too large", mutate: setW(map[string]any{"dtype": "f64", "shape": []any{1 << 20, 1 << 20}, "data_b64": ""}), where: "graph.nodes.fc.weight.shape", err: ErrTooLarge},
		{name: "zero dim", mutate: setW(map[string]any{"dtype": "f64", "shape": []any{3, 0}, "data_b64": ""}), where: "graph.nodes.fc.weight.shape[1]", err: ErrTensor},
		{name: "two data sources", mutate: setW(map[string]any{"dtype": "f64", "shape": []any{1}, "data_b64": "", "data": []any{1}}), where: "graph.nodes.fc.weight", err: ErrMissing, msg: "exactly one"},
		{name: "inline data overflow i8", mutate: setW(map[string]any{"dtype": "i8", "shape": []any{3, 2}, "data": []any{1, 2, 3, 4, 5, 300}}), where: "graph.nodes.fc.weight.data[5]", err: ErrValue},
		{name: "file ok", mutate: setW(fileTensor("w.bin", sum))},
		{name: "path traversal", mutate: setW(fileTensor("../outside.bin", outside)), where: "graph.nodes.fc.weight.file", err: ErrPath, msg: `".." is not allowed`},
		{name: "absolute path", mutate: setW(fileTensor(filepath.Join(dir, "outside.bin"), outside)), where: "graph.nodes.fc.weight.file", err: ErrPath, msg: "relative path"},
		{name: "symlink outside", mutate: setW(fileTensor("link.bin", outside)), where: "graph.nodes.fc.weight.file", err: ErrPath, msg: "outside the model's folder"},
		{name: "missing file", mutate: setW(fileTensor("nope.bin", sum)), where: "graph.nodes.fc.weight.file", err: ErrFile},
		{name: "sha mismatch", mutate: setW(fileTensor("w.bin", strings.Repeat("0", 64))), where: "graph.nodes.fc.weight.sha256", err: ErrChecksum},
		{name: "bad sha", mutate: setW(fileTensor("w.bin", "abc")), where: "graph.nodes.fc.weight.sha256", err: ErrValue, msg: "64 hex digits"},
		{name: "file size mismatch", mutate: setW(fileTensor("w.bin", sum, 2, 2)), where: "graph.nodes.fc.weight.file", err: ErrFileSize, msg: "need exactly 32"},
		{name: "duplicate edge", mutate: func(m map[string]any) {
			g := m["graph"].(map[string]any)
			g["edges"] = append(g["edges"].([]any), []any{"fc", "lif"})
		}, where: "graph.edges[3]", err: ir.ErrDuplicateEdge, msg: "repeats edges[1]"},
		{name: "dangling edge", mutate: func(m map[string]any) {
			g := m["graph"].(map[string]any)
			g["edges"] = append(g["edges"].([]any), []any{"lif", "ghost"})
		}, where: "graph.edges[3]", err: ir.ErrDangling, msg: `"ghost"`},
		{name: "malformed edge", mutate: func(m map[string]any) { m["graph"].(map[string]any)["edges"] = []any{[]any{"a"}} }, where: "graph.edges[0]", err: ErrType},
		{name: "duplicate node", raw: `{"format":"snn-json","format_version":"1.0.0","time":{"dt":0.001},"graph":{"type":"NIRGraph","nodes":{"a":{"type":"Input","shape":[1]},"a":{"type":"Output","shape":[1]}},"edges":[]}}`,
			where: "graph.nodes.a", err: ErrKey, msg: "duplicate node name"},
		{name: "padding full", mutate: func(m map[string]any) {
			nodes(m)["conv"] = map[string]any{"type": "Conv2d", "weight": []any{[]any{[]any{[]any{1.0}}}}, "padding": "full", "input_shape": []any{1, 4, 4}}
		}, where: "graph.nodes.conv.padding", err: ir.ErrBadParam, msg: `"full"`},
		{name: "same padding even kernel", mutate: func(m map[string]any) {
			nodes(m)["conv"] = map[string]any{"type": "Conv2d", "weight": []any{[]any{[]any{[]any{1.0, 1.0}, []any{1.0, 1.0}}}}, "padding": "same", "input_shape": []any{1, 4, 4}}
		}, where: "graph.nodes.conv.padding", err: ir.ErrUnsupported, msg: "asymmetric"},
		{name: "huge population", mutate: func(m map[string]any) { node(m, "input")["shape"] = []any{1 << 26} }, where: "graph.nodes.input", err: ir.ErrShape, msg: "exceeds"},
		{name: "compartments on LIF", mutate: func(m map[string]any) { node(m, "lif")["soma"] = 0 }, where: "graph.nodes.lif.soma", err: ErrKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.raw)
			if tc.raw == "" {
				data = doc(t, tc.mutate)
			}
			_, err := Decode(data, filepath.Join(dir, "model"))
			if tc.err == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; want %v at %s", tc.err, tc.where)
			}
			var is ir.Issues
			if !errors.As(err, &is) {
				t.Fatalf("error %T is not ir.Issues: %v", err, err)
			}
			found := false
			for _, x := range is {
				if strings.Contains(x.Where, tc.where) && errors.Is(x, tc.err) && strings.Contains(x.Error(), tc.msg) {
					found = true
				}
			}
			if !found {
				t.Errorf("want %v at %q containing %q; got:\n%v", tc.err, tc.where, tc.msg, err)
			}
		})
	}
}

// TestDecodeCollectsAll checks that independent problems are all reported at once.
func TestDecodeCollectsAll(t *testing.T) {
	_, err := Decode(doc(t, func(m map[string]any) {
		m["requires"] = []any{"snnc.Nope"}
		m["time"] = map[string]any{"dt": -1}
		node(m, "lif")["type"] = "Nope"
		node(m, "fc")["weight"] = []any{[]any{1}, []any{1, 2}}
	}), "")
	var is ir.Issues
	if !errors.As(err, &is) || len(is) != 4 {
		t.Fatalf("want 4 issues, got %v", err)
	}
}

func TestMinorVersionLenient(t *testing.T) {
	g, err := Decode(doc(t, func(m map[string]any) {
		m["format_version"] = "1.3.0"
		m["future_key"] = 1
	}), "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(g.Log, "\n"), "future_key: ignored") {
		t.Errorf("log: %q", g.Log)
	}
}

func TestReadFileSizeCapAndPath(t *testing.T) {
	g, raw, err := ReadFile("../../testdata/models/ff_external.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) == 0 || g.Node("fc2").P("weight").DType != "f64" || g.Node("fc1").P("weight").DType != "f32" {
		t.Errorf("external tensors not read with their dtypes")
	}
	if _, _, err := ReadFile(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestDecodeMultiCompartmentAndNested(t *testing.T) {
	g, err := Decode([]byte(`{"format":"snn-json","format_version":"1.0.0","requires":["snnc.MultiCompartment"],"time":{"dt":0.001},
	"graph":{"type":"NIRGraph","nodes":{
	  "in":{"type":"Input","shape":[2]},
	  "fc":{"type":"Linear","weight":[[1,0],[0,1]]},
	  "mc":{"type":"snnc.MultiCompartment","compartments":[
	     {"type":"LIF","tau":0.01,"r":1,"v_leak":0,"v_threshold":1},
	     {"type":"LI","tau":0.02,"r":1,"v_leak":0,"join":"min","parent":0}],"soma":0},
	  "G":{"type":"NIRGraph","nodes":{"input":{"type":"Input","shape":[2]},"output":{"type":"Output","shape":[2]}},
	       "edges":[["input","output"]],"snnc":{"hints":{"core":"1"}}},
	  "out":{"type":"Output","shape":[2]}},
	"edges":[["in","fc"],["fc","mc"],["mc","G.input"],["G","out"]]}}`), "")
	if err != nil {
		t.Fatal(err)
	}
	mc := g.Node("mc")
	if len(mc.Compartments) != 2 || mc.Compartments[1].Join != "min" || mc.Compartments[1].Parent != 0 || mc.Compartments[0].Parent != -1 {
		t.Fatalf("compartments %+v", mc.Compartments)
	}
	if got := mc.Compartments[1].Params["tau"]; !ir.ShapeEqual(got.Shape, []int{2}) {
		t.Errorf("compartment scalar not broadcast: %+v", got)
	}
	G := g.Node("G")
	if G.Sub == nil || G.Sub.Node("input") == nil || G.Snnc.Hints["core"] != "1" || !ir.ShapeEqual(G.OutShape, []int{2}) {
		t.Errorf("nested graph %+v", G)
	}
	roundTrip(t, g, "")
}
