package ir

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// validGraph returns Input(2) → Affine → LIF(3) → Output with inferred shapes.
func validGraph() *Graph {
	g := chain(
		&Node{Name: "in", Type: TInput, Params: map[string]*Tensor{"shape": Vector(2)}},
		&Node{Name: "fc", Type: TAffine, Params: map[string]*Tensor{"weight": NewTensor(3, 2), "bias": NewTensor(3)}},
		&Node{Name: "lif", Type: TLIF, Params: map[string]*Tensor{"tau": Vector(0.01, 0.01, 0.01), "r": Scalar(1), "v_leak": Scalar(0), "v_threshold": Scalar(1)}},
		&Node{Name: "out", Type: TOutput, Params: map[string]*Tensor{"shape": Vector(3)}},
	)
	return g
}

func TestVerifyValid(t *testing.T) {
	g := validGraph()
	if err := InferShapes(g); err != nil {
		t.Fatal(err)
	}
	if err := g.Verify(); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyIssues(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(g *Graph)
		where  string
		err    error
		msg    string
	}{
		{"dangling edge", func(g *Graph) { g.Edges = append(g.Edges, Edge{"lif", "ghost"}) }, "edges[3]", ErrDangling, `"ghost"`},
		{"duplicate edge", func(g *Graph) { g.Edges = append(g.Edges, Edge{"in", "fc"}) }, "edges[3]", ErrDuplicateEdge, "repeats edges[0]"},
		{"unknown type", func(g *Graph) { g.Node("lif").Type = "Izhikevich" }, "lif", ErrUnknownType, `"Izhikevich"`},
		{"missing param", func(g *Graph) { delete(g.Node("lif").Params, "v_threshold") }, "lif", ErrBadParam, `requires parameter "v_threshold"`},
		{"shape mismatch", func(g *Graph) { g.Node("in").Params["shape"] = Vector(5) }, "edges[0]", ErrShape, "in emits [5], fc expects [2]"},
		{"NaN weight", func(g *Graph) { g.Node("fc").Params["weight"].Data[4] = math.NaN() }, "fc.weight[4]", ErrNonFinite, "NaN"},
		{"Inf threshold", func(g *Graph) { g.Node("lif").Params["v_threshold"] = Scalar(math.Inf(1)) }, "lif.v_threshold[0]", ErrNonFinite, "+Inf"},
		{"tau zero", func(g *Graph) { g.Node("lif").Params["tau"].Data[1] = 0 }, "lif.tau[1]", ErrBadParam, "want > 0"},
		{"tau_syn negative", func(g *Graph) {
			n := g.Node("lif")
			n.Type = TCubaLIF
			n.Params["tau_syn"], n.Params["tau_mem"] = Scalar(-1), Scalar(0.01)
		}, "lif.tau_syn[0]", ErrBadParam, "want > 0"},
		{"population param length", func(g *Graph) { g.Node("lif").Params["r"] = Vector(1, 1) }, "lif.r", ErrShape, "want 1 or 3"},
		{"bad dt", func(g *Graph) { g.Semantics.Dt = math.Inf(1) }, "time.dt", ErrBadParam, "finite"},
		{"bad compare", func(g *Graph) { g.Semantics.ThresholdCompare = "<" }, "defaults.threshold_compare", ErrBadParam, "allowed"},
		{"bad override", func(g *Graph) {
			g.Node("lif").Snnc = &NodeOverrides{Reset: &ResetRule{Mode: "zero", Timing: "immediate"}}
		}, "lif.snnc.reset.mode", ErrBadParam, "to_value"},
		{"bad dale", func(g *Graph) { g.Node("fc").Snnc = &NodeOverrides{Dale: []float64{1, 0}} }, "fc.snnc.dale[1]", ErrBadParam, "+1 or -1"},
		{"cycle without delay rule", func(g *Graph) {
			g.Semantics.EdgeLatency, g.Semantics.Recurrence = "zero", ""
			g.AddNode(&Node{Name: "rec", Type: TLinear, Params: map[string]*Tensor{"weight": NewTensor(3, 3)}})
			g.Edges = append(g.Edges, Edge{"lif", "rec"}, Edge{"rec", "lif"})
		}, "lif", ErrCycle, "cycle through lif, rec"},
		{"nested graph named outer.inner", func(g *Graph) {
			sub := chain(&Node{Name: "inner", Type: TLIF, Params: map[string]*Tensor{"tau": Scalar(-1), "r": Scalar(1), "v_leak": Scalar(0), "v_threshold": Scalar(1)}})
			g.AddNode(&Node{Name: "outer", Type: TGraph, Sub: sub})
		}, "outer.inner.tau[0]", ErrBadParam, "want > 0"},
		{"multicompartment parent loop", func(g *Graph) {
			g.AddNode(&Node{Name: "mc", Type: TMultiCompartment, Soma: 0, Compartments: []Compartment{
				{Type: TLIF, Join: "add", Parent: -1}, {Type: TLI, Join: "add", Parent: 2}, {Type: TLI, Join: "add", Parent: 1}}})
		}, "mc.compartments[1]", ErrCycle, "does not reach the soma"},
		{"multicompartment bad join", func(g *Graph) {
			g.AddNode(&Node{Name: "mc", Type: TMultiCompartment, Compartments: []Compartment{{Type: TLIF, Join: "xor", Parent: -1}}})
		}, "mc.compartments[0].join", ErrBadParam, "xor"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := validGraph()
			tc.mutate(g)
			_ = InferShapes(g)
			err := g.Verify()
			var is Issues
			if !errors.As(err, &is) {
				t.Fatalf("Verify = %v, want Issues", err)
			}
			for _, x := range is {
				if x.Where == tc.where && errors.Is(x, tc.err) && strings.Contains(x.Error(), tc.msg) {
					return
				}
			}
			t.Errorf("want %v at %q containing %q; got:\n%v", tc.err, tc.where, tc.msg, err)
		})
	}
}

func TestVerifyCycleRules(t *testing.T) {
	build := func(latency, recurrence string, delay bool) *Graph {
		g := validGraph()
		g.Semantics.EdgeLatency, g.Semantics.Recurrence = latency, recurrence
		g.AddNode(&Node{Name: "rec", Type: TLinear, Params: map[string]*Tensor{"weight": NewTensor(3, 3)}})
		if delay {
			g.AddNode(&Node{Name: "d", Type: TDelay, Params: map[string]*Tensor{"delay": Scalar(0.001)}})
			g.Edges = append(g.Edges, Edge{"lif", "rec"}, Edge{"rec", "d"}, Edge{"d", "lif"})
		} else {
			g.Edges = append(g.Edges, Edge{"lif", "rec"}, Edge{"rec", "lif"})
		}
		return g
	}
	tests := []struct {
		name                string
		latency, recurrence string
		delay, wantCycleErr bool
	}{
		{"one_step latency", "one_step", "", false, false},
		{"zero latency prev_step", "zero", "prev_step", false, false},
		{"zero latency with Delay node", "zero", "", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := build(tc.latency, tc.recurrence, tc.delay)
			_ = InferShapes(g)
			err := g.Verify()
			if errors.Is(err, ErrCycle) != tc.wantCycleErr {
				t.Errorf("Verify = %v", err)
			}
		})
	}
	g := build("zero", "", false)
	if got := g.CyclicComponents(); len(got) != 1 || strings.Join(got[0], ",") != "lif,rec" {
		t.Errorf("CyclicComponents = %v", got)
	}
}

func TestVerifyCollectsAll(t *testing.T) {
	g := validGraph()
	g.Node("fc").Params["weight"].Data[0] = math.NaN()
	g.Node("lif").Params["tau"].Data[0] = -1
	g.Edges = append(g.Edges, Edge{"x", "y"})
	var is Issues
	if err := g.Verify(); !errors.As(err, &is) || len(is) != 4 { // NaN, tau, two dangling ends
		t.Errorf("want 4 issues, got %v", err)
	}
}
