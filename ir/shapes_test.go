package ir

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConvOutSize(t *testing.T) {
	tests := []struct {
		name                    string
		in, k, stride, pad, dil int
		want                    int
	}{
		{"same 3x3", 8, 3, 1, 1, 1, 8},
		{"valid 3x3", 8, 3, 1, 0, 1, 6},
		{"stride 2 pad 1 k5 (sinabs conv0)", 34, 5, 2, 1, 1, 16},
		{"dilation 2", 10, 3, 1, 0, 2, 6},
		{"pool 2", 8, 2, 2, 0, 1, 4},
		{"odd pool floors", 7, 2, 2, 0, 1, 3},
		{"kernel larger than input", 2, 5, 1, 0, 1, 0},
		{"bad stride", 8, 3, 0, 0, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ConvOutSize(tc.in, tc.k, tc.stride, tc.pad, tc.dil); got != tc.want {
				t.Errorf("ConvOutSize(%d,%d,%d,%d,%d) = %d, want %d", tc.in, tc.k, tc.stride, tc.pad, tc.dil, got, tc.want)
			}
		})
	}
}

func conv2d(cout, cinPerGroup, kh, kw int, params map[string]*Tensor) *Node {
	p := map[string]*Tensor{"weight": NewTensor(cout, cinPerGroup, kh, kw)}
	for k, v := range params {
		p[k] = v
	}
	return &Node{Name: "c", Type: TConv2d, Params: p}
}

func TestConvGeometry(t *testing.T) {
	tests := []struct {
		name    string
		node    *Node
		inShape []int
		want    ConvSpec
		wantErr error
	}{
		{"input_shape HW (sinabs)", conv2d(16, 2, 5, 5, map[string]*Tensor{"input_shape": Vector(34, 34), "stride": Vector(2, 2), "padding": Vector(1, 1), "dilation": Vector(1, 1), "groups": Scalar(1)}), nil,
			ConvSpec{InC: 2, InH: 34, InW: 34, OutC: 16, OutH: 16, OutW: 16, KH: 5, KW: 5, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 1}, nil},
		{"scalar stride from InShape", conv2d(4, 1, 3, 3, map[string]*Tensor{"stride": Scalar(2), "groups": Scalar(2)}), []int{2, 9, 7},
			ConvSpec{InC: 2, InH: 9, InW: 7, OutC: 4, OutH: 4, OutW: 3, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0, DilH: 1, DilW: 1, Groups: 2}, nil},
		{"conv1d", &Node{Name: "c1", Type: TConv1d, Params: map[string]*Tensor{"weight": NewTensor(3, 2, 4), "padding": Scalar(1), "input_shape": Vector(2, 10)}}, nil,
			ConvSpec{InC: 2, InH: 1, InW: 10, OutC: 3, OutH: 1, OutW: 9, KH: 1, KW: 4, StrideH: 1, StrideW: 1, PadH: 0, PadW: 1, DilH: 1, DilW: 1, Groups: 1}, nil},
		{"channel mismatch", conv2d(4, 1, 3, 3, nil), []int{3, 8, 8}, ConvSpec{}, ErrShape},
		{"string padding left", func() *Node { n := conv2d(1, 1, 3, 3, nil); n.Attrs = map[string]string{"padding": "same"}; return n }(), []int{1, 8, 8}, ConvSpec{}, ErrBadParam},
		{"groups do not divide", conv2d(3, 1, 3, 3, map[string]*Tensor{"groups": Scalar(2)}), []int{2, 8, 8}, ConvSpec{}, ErrBadParam},
		{"kernel too large", conv2d(1, 1, 5, 5, nil), []int{1, 3, 3}, ConvSpec{}, ErrShape},
		{"non-integer stride", conv2d(1, 1, 3, 3, map[string]*Tensor{"stride": Scalar(1.5)}), []int{1, 8, 8}, ConvSpec{}, ErrBadParam},
		{"no input size", conv2d(1, 1, 3, 3, nil), nil, ConvSpec{}, ErrShape},
		{"not a conv", &Node{Name: "x", Type: TLIF}, nil, ConvSpec{}, ErrBadParam},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.node.InShape = tc.inShape
			got, err := ConvGeometry(tc.node)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("geometry (-want +got):\n%s", diff)
			}
		})
	}
}

// chain builds a graph whose nodes are connected in the given order.
func chain(nodes ...*Node) *Graph {
	g := &Graph{Semantics: DefaultSemantics(1e-3)}
	for i, n := range nodes {
		g.AddNode(n)
		if i > 0 {
			g.Edges = append(g.Edges, Edge{From: nodes[i-1].Name, To: n.Name})
		}
	}
	return g
}

func TestInferShapes(t *testing.T) {
	g := chain(
		&Node{Name: "a_in", Type: TInput, Params: map[string]*Tensor{"shape": Vector(1, 8, 8)}},
		&Node{Name: "b_conv", Type: TConv2d, Params: map[string]*Tensor{"weight": NewTensor(2, 1, 3, 3), "padding": Vector(1, 1)}},
		&Node{Name: "c_if", Type: TIF, Params: map[string]*Tensor{"r": Scalar(1), "v_threshold": Scalar(1)}},
		&Node{Name: "d_pool", Type: TSumPool2d, Params: map[string]*Tensor{"kernel_size": Scalar(2)}},
		&Node{Name: "e_flat", Type: TFlatten, Params: map[string]*Tensor{"start_dim": Scalar(0), "end_dim": Scalar(-1)}},
		&Node{Name: "f_fc", Type: TAffine, Params: map[string]*Tensor{"weight": NewTensor(4, 32), "bias": NewTensor(4)}},
		&Node{Name: "g_lif", Type: TLIF, Params: map[string]*Tensor{"tau": Vector(1, 1, 1, 1), "r": Scalar(1), "v_leak": Scalar(0), "v_threshold": Scalar(1)}},
		&Node{Name: "h_out", Type: TOutput, Params: map[string]*Tensor{"shape": Vector(4)}},
	)
	// A recurrent CubaLIF whose shape comes only from its recurrent weight.
	g.AddNode(&Node{Name: "r_w", Type: TLinear, Params: map[string]*Tensor{"weight": NewTensor(4, 4)}})
	g.Edges = append(g.Edges, Edge{"g_lif", "r_w"}, Edge{"r_w", "g_lif"})
	if err := InferShapes(g); err != nil {
		t.Fatal(err)
	}
	want := map[string][2][]int{
		"a_in": {{1, 8, 8}, {1, 8, 8}}, "b_conv": {{1, 8, 8}, {2, 8, 8}}, "c_if": {{2, 8, 8}, {2, 8, 8}},
		"d_pool": {{2, 8, 8}, {2, 4, 4}}, "e_flat": {{2, 4, 4}, {32}}, "f_fc": {{32}, {4}}, "g_lif": {{4}, {4}},
		"h_out": {{4}, {4}}, "r_w": {{4}, {4}},
	}
	for name, w := range want {
		n := g.Node(name)
		if !ShapeEqual(n.InShape, w[0]) || !ShapeEqual(n.OutShape, w[1]) {
			t.Errorf("%s: in %v out %v, want in %v out %v", name, n.InShape, n.OutShape, w[0], w[1])
		}
	}
	if err := g.Verify(); err != nil {
		t.Errorf("Verify after inference: %v", err)
	}
}

func TestInferShapesErrors(t *testing.T) {
	tests := []struct {
		name string
		g    *Graph
		want string
	}{
		{"huge input", chain(&Node{Name: "i", Type: TInput, Params: map[string]*Tensor{"shape": Vector(1<<20, 1<<20)}}), "exceeds"},
		{"pool too large", chain(&Node{Name: "i", Type: TInput, Params: map[string]*Tensor{"shape": Vector(1, 2, 2)}},
			&Node{Name: "p", Type: TAvgPool2d, Params: map[string]*Tensor{"kernel_size": Scalar(3)}}), "does not fit"},
		{"flatten dims", chain(&Node{Name: "i", Type: TInput, Params: map[string]*Tensor{"shape": Vector(3)}},
			&Node{Name: "f", Type: TFlatten, Params: map[string]*Tensor{"start_dim": Scalar(1)}}), "do not select"},
		{"3-d weight", chain(&Node{Name: "a", Type: TAffine, Params: map[string]*Tensor{"weight": NewTensor(1, 2, 3)}}), "want (out, in)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := InferShapes(tc.g)
			if err == nil || !contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestResolveNodeNested(t *testing.T) {
	inner := chain(&Node{Name: "B", Type: TInput, Params: map[string]*Tensor{"shape": Vector(2)}})
	g := chain(&Node{Name: "G", Type: TGraph, Sub: inner}, &Node{Name: "lif1.w_rec", Type: TLinear})
	if n := ResolveNode(g, "G.B"); n == nil || n.Name != "B" {
		t.Errorf("G.B resolved to %v", n)
	}
	if n := ResolveNode(g, "lif1.w_rec"); n == nil || n.Type != TLinear {
		t.Errorf("dotted name resolved to %v", n)
	}
	if n := ResolveNode(g, "G.C"); n != nil {
		t.Errorf("G.C resolved to %v", n)
	}
}
