package snnjson

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/snnc/snnc/ir"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

const modelsDir = "../../testdata/models"

// ignoreLog compares graphs apart from their conversion logs.
var ignoreLog = cmpopts.IgnoreFields(ir.Graph{}, "Log")

func modelFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(modelsDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no models in %s: %v", modelsDir, err)
	}
	return files
}

// roundTrip checks Decode(Encode(g)) == g and that Encode is a fixed point.
func roundTrip(t *testing.T, g *ir.Graph, dir string) []byte {
	t.Helper()
	b1, err := Encode(g)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	g2, err := Decode(b1, dir)
	if err != nil {
		t.Fatalf("Decode(Encode(g)): %v\n%s", err, b1)
	}
	if diff := cmp.Diff(g, g2, ignoreLog); diff != "" {
		t.Errorf("Decode(Encode(g)) differs (-g +decoded):\n%s", diff)
	}
	if len(g2.Log) != 0 {
		t.Errorf("re-decoding a canonical file normalized again: %q", g2.Log)
	}
	b2, err := Encode(g2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b1, b2) {
		t.Errorf("Encode is not a fixed point:\n%s\n----\n%s", b1, b2)
	}
	return b1
}

func TestRoundTripModels(t *testing.T) {
	for _, f := range modelFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			g, _, err := ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, g, modelsDir)
		})
	}
}

// TestGolden pins the canonical text of two models; run with -update to rewrite.
func TestGolden(t *testing.T) {
	for _, name := range []string{"ff_lif", "lif_norse"} {
		t.Run(name, func(t *testing.T) {
			g, _, err := ReadFile(filepath.Join(modelsDir, name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Encode(g)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("canonical encoding changed (-golden +got):\n%s", diff)
			}
		})
	}
}

// kitchenSink builds a graph using every structural feature of the format.
func kitchenSink(t *testing.T) *ir.Graph {
	big := ir.NewTensor(80, 60) // 4800 elements: base64
	bigI8 := ir.NewTensor(70, 70)
	bigI8.DType = "i8"
	for i := range big.Data {
		big.Data[i] = math.Sin(float64(i)) / 3
		bigI8.Data[i] = float64(i%255 - 127)
	}
	big.DType = "f32"
	for i, v := range big.Data {
		big.Data[i] = float64(float32(v))
	}
	small32 := &ir.Tensor{Shape: []int{3}, Data: []float64{float64(float32(0.1)), 2, -3.5}, DType: "f32"}
	g := &ir.Graph{Semantics: ir.DefaultSemantics(1e-4)}
	g.Semantics.Discretization = "euler"
	g.Semantics.EdgeLatency = "zero"
	g.Semantics.Reset = ir.ResetRule{Mode: "subtract", Timing: "next_step", RefractorySteps: 1}
	g.Source = []byte(`{"framework":"test","note":"<&>"}`)
	g.IO = []byte(`{"num_steps":10}`)
	g.Metadata = []byte(`{"k":[1,2]}`)
	add := func(n *ir.Node) { g.AddNode(n) }
	add(&ir.Node{Name: "in", Type: ir.TInput, Params: map[string]*ir.Tensor{"shape": {Shape: []int{1}, Data: []float64{60}, DType: "i64"}}})
	add(&ir.Node{Name: "fc", Type: ir.TAffine, Params: map[string]*ir.Tensor{"weight": big, "bias": ir.NewTensor(80)},
		Snnc: &ir.NodeOverrides{Dale: func() []float64 {
			d := make([]float64, 60)
			for i := range d {
				d[i] = float64(1 - 2*(i%2))
			}
			return d
		}()}, Metadata: []byte(`{"from":"torch.nn.Linear"}`)})
	add(&ir.Node{Name: "fc.i8", Type: ir.TLinear, Params: map[string]*ir.Tensor{"weight": bigI8}})
	add(&ir.Node{Name: "mc", Type: ir.TMultiCompartment, Params: map[string]*ir.Tensor{"shape": {Shape: []int{1}, Data: []float64{80}, DType: "i64"}},
		Compartments: []ir.Compartment{
			{Type: ir.TLIF, Join: "add", Parent: -1, Params: map[string]*ir.Tensor{"tau": ir.Scalar(0.01), "v_threshold": ir.Scalar(1), "r": ir.Scalar(1), "v_leak": ir.Scalar(0)}},
			{Type: ir.TLI, Join: "pass", Parent: 0, Params: map[string]*ir.Tensor{"tau": ir.Scalar(0.02), "r": ir.Scalar(1), "v_leak": ir.Scalar(0)}},
		}})
	sub := &ir.Graph{Semantics: g.Semantics}
	sub.AddNode(&ir.Node{Name: "input", Type: ir.TInput, Params: map[string]*ir.Tensor{"shape": ir.Vector(3)}})
	sub.AddNode(&ir.Node{Name: "s", Type: ir.TScale, Params: map[string]*ir.Tensor{"scale": small32}})
	sub.AddNode(&ir.Node{Name: "output", Type: ir.TOutput, Params: map[string]*ir.Tensor{"shape": ir.Vector(3)}})
	sub.Edges = []ir.Edge{{From: "input", To: "s"}, {From: "s", To: "output"}}
	sub.Metadata = []byte(`{"inner":true}`)
	add(&ir.Node{Name: "G", Type: ir.TGraph, Sub: sub, Snnc: &ir.NodeOverrides{Hints: map[string]string{"core": "0"}}})
	add(&ir.Node{Name: "lif", Type: ir.TLIF, Params: map[string]*ir.Tensor{"tau": ir.Scalar(0.02), "r": ir.Scalar(1), "v_leak": ir.Scalar(0), "v_threshold": ir.Scalar(1e-7)},
		Snnc: &ir.NodeOverrides{Reset: &ir.ResetRule{Mode: "none", Timing: "immediate"}, ThresholdCompare: ">="}})
	add(&ir.Node{Name: "conv", Type: ir.TConv1d, Params: map[string]*ir.Tensor{"weight": ir.NewTensor(2, 1, 3), "input_shape": ir.Vector(1, 10)},
		Attrs: map[string]string{"padding": "same"}})
	add(&ir.Node{Name: "out", Type: ir.TOutput, Params: map[string]*ir.Tensor{"shape": ir.Vector(80)}})
	g.Edges = []ir.Edge{{From: "in", To: "fc"}, {From: "fc", To: "mc"}, {From: "mc", To: "out"}, {From: "fc.i8", To: "lif"}, {From: "lif", To: "fc.i8"}}
	if err := Normalize(g); err != nil {
		t.Fatal(err)
	}
	if err := g.Verify(); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestRoundTripKitchenSink(t *testing.T) {
	g := kitchenSink(t)
	text := string(roundTrip(t, g, ""))
	for _, want := range []string{`"dtype": "f32", "shape": [80, 60], "data_b64"`, `"dtype": "i8", "shape": [70, 70], "data_b64"`,
		`"dtype": "f32", "shape": [3], "data": [0.1, 2.0, -3.5]`, `"threshold_compare": ">="`, `"note":"<&>"`, `"padding": [1]`,
		`"v_threshold": [1e-07,`, `"dale": [1, -1,`, `"join": ["add", "pass"]`} {
		if !strings.Contains(text, want) {
			t.Errorf("canonical text lacks %s", want)
		}
	}
	if !strings.Contains(strings.Join(g.Log, "\n"), `conv: padding "same" made explicit: [1]`) {
		t.Errorf("log: %q", g.Log)
	}
}

func TestEncodeFallbacks(t *testing.T) {
	g := &ir.Graph{Semantics: ir.DefaultSemantics(0.001)}
	// A value an f32 cannot hold makes the tensor f64; a NaN forces base64.
	g.AddNode(&ir.Node{Name: "a", Type: ir.TInput, Params: map[string]*ir.Tensor{"shape": {Shape: []int{1}, Data: []float64{0.1}, DType: "f32"}, "x": {Shape: []int{2}, Data: []float64{1, math.NaN()}}}})
	b, err := Encode(g)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"shape": [0.1]`) || !strings.Contains(string(b), `"x": {"dtype": "f64", "shape": [2], "data_b64"`) {
		t.Errorf("fallbacks not applied:\n%s", b)
	}
	g.Semantics.Dt = 0
	if _, err := Encode(g); err == nil {
		t.Error("dt 0 encoded")
	}
}

func TestNormalizeIdempotent(t *testing.T) {
	for _, f := range modelFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			g, _, err := ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			n := len(g.Log)
			if err := Normalize(g); err != nil {
				t.Fatal(err)
			}
			if len(g.Log) != n {
				t.Errorf("second Normalize logged %q", g.Log[n:])
			}
		})
	}
}

func TestNormalizeFlattenDefaults(t *testing.T) {
	g, err := Decode([]byte(`{"format":"snn-json","format_version":"1.0.0","time":{"dt":0.001},
	"graph":{"type":"NIRGraph","nodes":{"i":{"type":"Input","shape":[2,3,4]},"f":{"type":"Flatten"},"o":{"type":"Output","shape":[2,12]}},
	"edges":[["i","f"],["f","o"]]}}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if f := g.Node("f"); !ir.ShapeEqual(f.OutShape, []int{2, 12}) {
		t.Errorf("Flatten with NIR defaults: out %v, want [2 12]", f.OutShape)
	}
	if log := strings.Join(g.Log, "\n"); !strings.Contains(log, "f: Flatten has no start_dim; set to NIR's default 1") {
		t.Errorf("log: %s", log)
	}
}
