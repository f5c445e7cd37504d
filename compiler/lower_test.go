package compiler

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/snnc/snnc/ir"
)

func nd(name, typ string, p map[string]*ir.Tensor) *ir.Node {
	return &ir.Node{Name: name, Type: typ, Params: p}
}

func lif() map[string]*ir.Tensor {
	return map[string]*ir.Tensor{"tau": ir.Scalar(0.01), "r": ir.Scalar(1), "v_leak": ir.Scalar(0),
		"v_threshold": ir.Scalar(1), "v_reset": ir.Scalar(0)}
}

func mat(rows, cols int, v ...float64) *ir.Tensor {
	return &ir.Tensor{Shape: []int{rows, cols}, Data: v}
}

func graph(nodes []*ir.Node, edges ...string) *ir.Graph {
	g := &ir.Graph{Semantics: ir.DefaultSemantics(1e-3)}
	for _, n := range nodes {
		g.AddNode(n)
	}
	for _, e := range edges {
		p := strings.Split(e, ">")
		g.Edges = append(g.Edges, ir.Edge{From: p[0], To: p[1]})
	}
	return g
}

func lower(t *testing.T, g *ir.Graph) *ir.Netlist {
	t.Helper()
	nl, err := Lower(g, Options{Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	return nl
}

func TestFoldAffineChain(t *testing.T) {
	// in(2) → A1 (3x2, bias) → A2 (2x3, bias) → lif(2): one sparse projection W2·W1,
	// bias W2·b1 + b2.
	g := graph([]*ir.Node{
		nd("in", ir.TInput, map[string]*ir.Tensor{"shape": ir.Vector(2)}),
		nd("a1", ir.TAffine, map[string]*ir.Tensor{"weight": mat(3, 2, 1, 2, 3, 4, 5, 6), "bias": ir.Vector(1, 0, -1)}),
		nd("a2", ir.TAffine, map[string]*ir.Tensor{"weight": mat(2, 3, 1, 0, 1, 0, 2, 0), "bias": ir.Vector(0.5, 0.5)}),
		nd("lif", ir.TLIF, lif()),
		nd("out", ir.TOutput, map[string]*ir.Tensor{"shape": ir.Vector(2)}),
	}, "in>a1", "a1>a2", "a2>lif", "lif>out")
	nl := lower(t, g)
	if len(nl.Projections) != 1 {
		t.Fatalf("%d projections, want 1", len(nl.Projections))
	}
	pr := nl.Projections[0]
	dense := make([]float64, 4)
	pr.ForEach(func(pre, post int, w float64, _ int) { dense[post*2+pre] += w })
	// W2·W1 = [[1+5, 2+6], [2·3, 2·4]] = [[6, 8], [6, 8]]
	if diff := cmp.Diff([]float64{6, 8, 6, 8}, dense); diff != "" {
		t.Errorf("composed weights (-want +got):\n%s", diff)
	}
	// W2·b1 + b2 = [1 − 1 + 0.5, 0 + 0.5] = [0.5, 0.5]
	if diff := cmp.Diff([]float64{0.5, 0.5}, nl.Population("lif").Params["bias"]); diff != "" {
		t.Errorf("bias (-want +got):\n%s", diff)
	}
	if pr.Name != "a1" || pr.Pre != "in" || pr.Post != "lif" {
		t.Errorf("projection %s %s→%s, want a1 in→lif", pr.Name, pr.Pre, pr.Post)
	}
}

func TestFoldKinds(t *testing.T) {
	in := nd("in", ir.TInput, map[string]*ir.Tensor{"shape": ir.Vector(3)})
	out := nd("out", ir.TOutput, map[string]*ir.Tensor{"shape": ir.Vector(3)})
	tests := []struct {
		name  string
		mid   []*ir.Node
		edges []string
		kind  ir.ConnKind
		w     []float64
		delay []int32
	}{
		{"direct", nil, []string{"in>lif"}, ir.OneToOne, []float64{1, 1, 1}, nil},
		{"scale", []*ir.Node{nd("s", ir.TScale, map[string]*ir.Tensor{"scale": ir.Vector(1, 2, 3)})},
			[]string{"in>s", "s>lif"}, ir.OneToOne, []float64{1, 2, 3}, nil},
		{"delay", []*ir.Node{nd("d", ir.TDelay, map[string]*ir.Tensor{"delay": ir.Vector(0, 0.002, 0.0031)})},
			[]string{"in>d", "d>lif"}, ir.OneToOne, []float64{1, 1, 1}, []int32{0, 2, 3}},
		{"linear", []*ir.Node{nd("l", ir.TLinear, map[string]*ir.Tensor{"weight": mat(3, 3, 1, 0, 0, 0, 1, 0, 0, 0, 1)})},
			[]string{"in>l", "l>lif"}, ir.Dense, []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}, nil},
		{"delayed linear", []*ir.Node{nd("dl", ir.TDelayedLinear, map[string]*ir.Tensor{"weight": mat(3, 3, 1, 0, 0, 0, 1, 0, 0, 0, 1),
			"delay_steps": mat(3, 3, 1, 0, 0, 0, 2, 0, 0, 0, 3)})},
			[]string{"in>dl", "dl>lif"}, ir.Dense, []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}, []int32{1, 0, 0, 0, 2, 0, 0, 0, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nodes := append([]*ir.Node{in, nd("lif", ir.TLIF, lif()), out}, tc.mid...)
			nl := lower(t, graph(nodes, append(tc.edges, "lif>out")...))
			pr := nl.Projections[0]
			if pr.Kind != tc.kind {
				t.Errorf("kind %v, want %v", pr.Kind, tc.kind)
			}
			if diff := cmp.Diff(tc.w, pr.W); diff != "" {
				t.Errorf("weights (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.delay, pr.Delay, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("delays (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRecurrenceLatency(t *testing.T) {
	g := graph([]*ir.Node{
		nd("in", ir.TInput, map[string]*ir.Tensor{"shape": ir.Vector(2)}),
		nd("fc", ir.TLinear, map[string]*ir.Tensor{"weight": mat(2, 2, 1, 0, 0, 1)}),
		nd("rec", ir.TLinear, map[string]*ir.Tensor{"weight": mat(2, 2, 0, 1, 1, 0)}),
		nd("h", ir.TLIF, lif()),
		nd("fc2", ir.TLinear, map[string]*ir.Tensor{"weight": mat(2, 2, 1, 0, 0, 1)}),
		nd("o", ir.TLIF, lif()),
		nd("out", ir.TOutput, map[string]*ir.Tensor{"shape": ir.Vector(2)}),
	}, "in>fc", "fc>h", "h>rec", "rec>h", "h>fc2", "fc2>o", "o>out")
	g.Semantics.EdgeLatency = "zero"
	nl := lower(t, g)
	got := map[string]int{}
	for _, p := range nl.Projections {
		got[p.Name] = p.Latency
	}
	if diff := cmp.Diff(map[string]int{"fc": 0, "rec": 1, "fc2": 0}, got); diff != "" {
		t.Errorf("latencies (-want +got):\n%s", diff)
	}
	if nl.Populations[0].Name != "h" || nl.Populations[1].Name != "o" {
		t.Errorf("order %s, %s; want h, o", nl.Populations[0].Name, nl.Populations[1].Name)
	}
	g.Semantics.EdgeLatency = "one_step"
	for _, p := range lower(t, g).Projections {
		if p.Latency != 1 {
			t.Errorf("%s: latency %d with one_step semantics", p.Name, p.Latency)
		}
	}
}

func TestDiscretize(t *testing.T) {
	for _, disc := range []string{"exact", "euler"} {
		g := graph([]*ir.Node{
			nd("in", ir.TInput, map[string]*ir.Tensor{"shape": ir.Vector(1)}),
			nd("c", ir.TCubaLIF, map[string]*ir.Tensor{"tau_syn": ir.Scalar(0.005), "tau_mem": ir.Scalar(0.01), "r": ir.Scalar(2),
				"v_leak": ir.Scalar(0.1), "v_threshold": ir.Scalar(1), "w_in": ir.Scalar(3)}),
			nd("out", ir.TOutput, map[string]*ir.Tensor{"shape": ir.Vector(1)}),
		}, "in>c", "c>out")
		g.Semantics.Discretization = disc
		p := lower(t, g).Population("c")
		a, b := math.Exp(-0.2), math.Exp(-0.1)
		if disc == "euler" {
			a, b = 0.8, 0.9
		}
		want := map[string]float64{"alpha": a, "beta": b, "a_in": (1 - a) * 3, "b_leak": (1 - b) * 0.1, "b_in": (1 - b) * 2, "v_reset": 0}
		for k, v := range want {
			if got := p.Params[k][0]; math.Abs(got-v) > 1e-15 {
				t.Errorf("%s: %s = %v, want %v", disc, k, got, v)
			}
		}
	}
}

func TestLowerErrors(t *testing.T) {
	tests := []struct {
		name  string
		g     *ir.Graph
		want  string
		isErr error
	}{
		{"output fed by linear", graph([]*ir.Node{
			nd("in", ir.TInput, map[string]*ir.Tensor{"shape": ir.Vector(2)}),
			nd("fc", ir.TLinear, map[string]*ir.Tensor{"weight": mat(2, 2, 1, 0, 0, 1)}),
			nd("out", ir.TOutput, map[string]*ir.Tensor{"shape": ir.Vector(2)}),
		}, "in>fc", "fc>out"), `"fc"`, ir.ErrUnsupported},
		{"size mismatch", graph([]*ir.Node{
			nd("in", ir.TInput, map[string]*ir.Tensor{"shape": ir.Vector(3)}),
			nd("fc", ir.TLinear, map[string]*ir.Tensor{"weight": mat(2, 2, 1, 0, 0, 1)}),
			nd("lif", ir.TLIF, lif()),
			nd("out", ir.TOutput, map[string]*ir.Tensor{"shape": ir.Vector(2)}),
		}, "in>fc", "fc>lif", "lif>out"), "fc", nil},
		{"bad tau", graph([]*ir.Node{
			nd("in", ir.TInput, map[string]*ir.Tensor{"shape": ir.Vector(1)}),
			nd("lif", ir.TLIF, map[string]*ir.Tensor{"tau": ir.Scalar(-1), "r": ir.Scalar(1), "v_leak": ir.Scalar(0), "v_threshold": ir.Scalar(1)}),
			nd("out", ir.TOutput, map[string]*ir.Tensor{"shape": ir.Vector(1)}),
		}, "in>lif", "lif>out"), "lif", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Lower(tc.g, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want mention of %s", err, tc.want)
			}
			if tc.isErr != nil && !errors.Is(err, tc.isErr) {
				t.Fatalf("err = %v, want errors.Is %v", err, tc.isErr)
			}
		})
	}
}

func TestLowerDoesNotMutate(t *testing.T) {
	g := graph([]*ir.Node{
		nd("in", ir.TInput, map[string]*ir.Tensor{"shape": ir.Vector(2)}),
		nd("lif", ir.TLIF, lif()),
		nd("out", ir.TOutput, map[string]*ir.Tensor{"shape": ir.Vector(2)}),
	}, "in>lif", "lif>out")
	before := len(g.Log)
	if _, err := Lower(g, Options{Dt: 2e-3}); err != nil {
		t.Fatal(err)
	}
	if g.Semantics.Dt != 1e-3 || len(g.Log) != before || g.Node("lif").InShape != nil {
		t.Fatal("Lower changed its input graph")
	}
}

// TestLocallyConnected: a 1×3×3 input, 1×2×2 output, 2×2 untied kernels; output (0,1,1)
// sees input pixels (1..2, 1..2) with its own kernel.
func TestLocallyConnected(t *testing.T) {
	w := ir.NewTensor(1, 2, 2, 1, 2, 2)
	for i := range w.Data {
		w.Data[i] = float64(i + 1)
	}
	g := graph([]*ir.Node{
		nd("in", ir.TInput, map[string]*ir.Tensor{"shape": ir.Vector(1, 3, 3)}),
		nd("lc", ir.TLocallyConn2d, map[string]*ir.Tensor{"weight": w}),
		nd("lif", ir.TLIF, lif()),
		nd("out", ir.TOutput, map[string]*ir.Tensor{"shape": ir.Vector(1, 2, 2)}),
	}, "in>lc", "lc>lif", "lif>out")
	nl := lower(t, g)
	pr := nl.Projections[0]
	got := map[[2]int]float64{}
	pr.ForEach(func(pre, post int, w float64, _ int) { got[[2]int{pre, post}] = w })
	// post 3 = (oy 1, ox 1); kernel entries 13..16 in (kx, ky) order: (0,0)=13 (0,1)=14 (1,0)=15 (1,1)=16
	// input (iy, ix) = (1+ky, 1+kx): (1,1)←13, (2,1)←14, (1,2)←15, (2,2)←16 → flat 4, 7, 5, 8
	want := map[[2]int]float64{{4, 3}: 13, {7, 3}: 14, {5, 3}: 15, {8, 3}: 16}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("synapse %v = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != 16 {
		t.Errorf("%d synapses, want 16", len(got))
	}
}
