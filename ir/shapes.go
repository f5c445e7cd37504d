package ir

import (
	"fmt"
	"math"
	"strings"
)

// Shape inference (shared/spec/model-format.md "Import normalization": every node's input
// and output shape inferred and stored). Shapes count dimensions without a batch axis, as
// NIR does. InShape is what the node expects on its input port, OutShape what it emits.

// ConvOutSize is the output length of a convolution or pooling window along one axis:
// floor((in + 2·pad − dil·(k−1) − 1) / stride) + 1, as PyTorch and NIR define it. It returns
// a value < 1 when the window does not fit.
func ConvOutSize(in, k, stride, pad, dil int) int {
	if stride < 1 {
		return 0
	}
	num := in + 2*pad - dil*(k-1) - 1
	if num < 0 {
		return 0
	}
	return num/stride + 1
}

// IntPair reads an integer-or-pair parameter (stride, padding, dilation, kernel_size) as
// want values: a scalar or one value is repeated; exactly want values are taken as given.
// def is used when the parameter is absent. Non-integer values are an error.
func IntPair(n *Node, name string, want int, def int) ([]int, error) {
	t := n.P(name)
	if t == nil {
		out := make([]int, want)
		for i := range out {
			out[i] = def
		}
		return out, nil
	}
	if len(t.Data) != 1 && len(t.Data) != want {
		return nil, fmt.Errorf("%w: %s has %d values, want 1 or %d", ErrBadParam, name, len(t.Data), want)
	}
	out := make([]int, want)
	for i := range out {
		v := t.At(i)
		if v != math.Trunc(v) || math.Abs(v) > 1<<30 {
			return nil, fmt.Errorf("%w: %s[%d] = %v is not an integer", ErrBadParam, name, i, v)
		}
		out[i] = int(v)
	}
	return out, nil
}

// IntParam reads an integer scalar parameter, def when absent.
func IntParam(n *Node, name string, def int) (int, error) {
	t := n.P(name)
	if t == nil {
		return def, nil
	}
	if len(t.Data) != 1 {
		return 0, fmt.Errorf("%w: %s has %d values, want one integer", ErrBadParam, name, len(t.Data))
	}
	v := t.Data[0]
	if v != math.Trunc(v) || math.Abs(v) > 1<<30 {
		return 0, fmt.Errorf("%w: %s = %v is not an integer", ErrBadParam, name, v)
	}
	return int(v), nil
}

// convSpatial is the number of spatial dims of a conv-like node type.
func convSpatial(typ string) int {
	if typ == TConv1d {
		return 1
	}
	return 2
}

// ConvGeometry returns the geometry of a Conv1d or Conv2d node (NIR layout: weight
// (Cout, Cin/groups, k...)). The input size comes from the node's input_shape parameter
// ((H, W), (C, H, W), (L) or (C, L)) or, failing that, from n.InShape. Padding must be
// numeric (Normalize makes "same"/"valid" explicit). A 1-d conv has H = 1, KH = 1.
func ConvGeometry(n *Node) (ConvSpec, error) {
	var cs ConvSpec
	if n.Type != TConv1d && n.Type != TConv2d {
		return cs, fmt.Errorf("%w: %s is %s, not a convolution", ErrBadParam, n.Name, n.Type)
	}
	sd := convSpatial(n.Type)
	w := n.P("weight")
	if w == nil || len(w.Shape) != 2+sd {
		return cs, fmt.Errorf("%w: weight must have %d dims (Cout, Cin/groups, k...)", ErrBadParam, 2+sd)
	}
	for _, d := range w.Shape {
		if d < 1 {
			return cs, fmt.Errorf("%w: weight shape %v has an empty dim", ErrBadParam, w.Shape)
		}
	}
	if a, ok := n.Attrs["padding"]; ok {
		return cs, fmt.Errorf("%w: padding %q not made explicit (run normalization)", ErrBadParam, a)
	}
	groups, err := IntParam(n, "groups", 1)
	if err != nil {
		return cs, err
	}
	if groups < 1 || w.Shape[0]%groups != 0 {
		return cs, fmt.Errorf("%w: groups %d must be ≥ 1 and divide Cout %d", ErrBadParam, groups, w.Shape[0])
	}
	stride, err := IntPair(n, "stride", sd, 1)
	if err != nil {
		return cs, err
	}
	pad, err := IntPair(n, "padding", sd, 0)
	if err != nil {
		return cs, err
	}
	dil, err := IntPair(n, "dilation", sd, 1)
	if err != nil {
		return cs, err
	}
	for i := 0; i < sd; i++ {
		if stride[i] < 1 || dil[i] < 1 || pad[i] < 0 {
			return cs, fmt.Errorf("%w: stride %v and dilation %v must be ≥ 1, padding %v ≥ 0", ErrBadParam, stride, dil, pad)
		}
	}
	cin := w.Shape[1] * groups
	spatial, err := convInputSpatial(n, sd, cin)
	if err != nil {
		return cs, err
	}
	cs.Groups = groups
	cs.InC, cs.OutC = cin, w.Shape[0]
	if sd == 1 {
		cs.InH, cs.InW = 1, spatial[0]
		cs.KH, cs.KW = 1, w.Shape[2]
		cs.StrideH, cs.StrideW = 1, stride[0]
		cs.PadH, cs.PadW = 0, pad[0]
		cs.DilH, cs.DilW = 1, dil[0]
	} else {
		cs.InH, cs.InW = spatial[0], spatial[1]
		cs.KH, cs.KW = w.Shape[2], w.Shape[3]
		cs.StrideH, cs.StrideW = stride[0], stride[1]
		cs.PadH, cs.PadW = pad[0], pad[1]
		cs.DilH, cs.DilW = dil[0], dil[1]
	}
	cs.OutH = ConvOutSize(cs.InH, cs.KH, cs.StrideH, cs.PadH, cs.DilH)
	cs.OutW = ConvOutSize(cs.InW, cs.KW, cs.StrideW, cs.PadW, cs.DilW)
	if cs.OutH < 1 || cs.OutW < 1 {
		return cs, fmt.Errorf("%w: kernel %dx%d (dilation %d,%d, padding %d,%d) does not fit input %dx%d",
			ErrShape, cs.KH, cs.KW, cs.DilH, cs.DilW, cs.PadH, cs.PadW, cs.InH, cs.InW)
	}
	return cs, nil
}

// convInputSpatial returns the sd spatial input sizes of a conv-like node from its
// input_shape parameter or InShape, checking the channel count when one is given.
func convInputSpatial(n *Node, sd, cin int) ([]int, error) {
	var shape []int
	src := "input_shape"
	if t := n.P("input_shape"); t != nil {
		for i, v := range t.Data {
			if v != math.Trunc(v) || v < 1 || v > 1<<30 {
				return nil, fmt.Errorf("%w: input_shape[%d] = %v is not a positive integer", ErrBadParam, i, v)
			}
			shape = append(shape, int(v))
		}
	} else if n.InShape != nil {
		shape, src = n.InShape, "input"
	} else {
		return nil, fmt.Errorf("%w: input size unknown (no input_shape and no shaped predecessor)", ErrShape)
	}
	switch len(shape) {
	case sd:
		return shape, nil
	case sd + 1:
		if shape[0] != cin {
			return nil, fmt.Errorf("%w: %s %v has %d channels, weight expects %d", ErrShape, src, shape, shape[0], cin)
		}
		return shape[1:], nil
	}
	return nil, fmt.Errorf("%w: %s %v must have %d or %d dims", ErrShape, src, shape, sd, sd+1)
}

// PoolGeometry returns the geometry of a SumPool2d/AvgPool2d node on input (C, H, W) in
// n.InShape; stride defaults to kernel_size and padding to 0. OutC = InC, Groups = InC.
func PoolGeometry(n *Node) (ConvSpec, error) {
	var cs ConvSpec
	k, err := IntPair(n, "kernel_size", 2, 0)
	if err != nil {
		return cs, err
	}
	if n.P("kernel_size") == nil || k[0] < 1 || k[1] < 1 {
		return cs, fmt.Errorf("%w: kernel_size %v must be ≥ 1", ErrBadParam, k)
	}
	stride, err := IntPair(n, "stride", 2, 0)
	if err != nil {
		return cs, err
	}
	if n.P("stride") == nil {
		stride = k
	}
	pad, err := IntPair(n, "padding", 2, 0)
	if err != nil {
		return cs, err
	}
	if stride[0] < 1 || stride[1] < 1 || pad[0] < 0 || pad[1] < 0 {
		return cs, fmt.Errorf("%w: stride %v must be ≥ 1 and padding %v ≥ 0", ErrBadParam, stride, pad)
	}
	if len(n.InShape) != 3 {
		return cs, fmt.Errorf("%w: pooling needs a (C, H, W) input, got %v", ErrShape, n.InShape)
	}
	cs = ConvSpec{InC: n.InShape[0], InH: n.InShape[1], InW: n.InShape[2], OutC: n.InShape[0],
		KH: k[0], KW: k[1], StrideH: stride[0], StrideW: stride[1], PadH: pad[0], PadW: pad[1],
		DilH: 1, DilW: 1, Groups: n.InShape[0]}
	cs.OutH = ConvOutSize(cs.InH, cs.KH, cs.StrideH, cs.PadH, 1)
	cs.OutW = ConvOutSize(cs.InW, cs.KW, cs.StrideW, cs.PadW, 1)
	if cs.OutH < 1 || cs.OutW < 1 {
		return cs, fmt.Errorf("%w: pool window %dx%d does not fit input %v", ErrShape, cs.KH, cs.KW, n.InShape)
	}
	return cs, nil
}

// FlattenDims resolves a Flatten node's start_dim and end_dim (counted without batch,
// negative from the end) for an input of rank rank. A missing start_dim is NIR's default
// 1 and a missing end_dim is -1 (docs/model-format.md).
func FlattenDims(n *Node, rank int) (start, end int, err error) {
	start, err = IntParam(n, "start_dim", 1)
	if err != nil {
		return 0, 0, err
	}
	end, err = IntParam(n, "end_dim", -1)
	if err != nil {
		return 0, 0, err
	}
	s, e := start, end
	if s < 0 {
		s += rank
	}
	if e < 0 {
		e += rank
	}
	if rank == 0 || s < 0 || e >= rank || s > e {
		return 0, 0, fmt.Errorf("%w: start_dim %d, end_dim %d do not select dims of a rank-%d input", ErrBadParam, start, end, rank)
	}
	return s, e, nil
}

// neuronShapeParams lists, per population type, the parameters whose shape gives the
// population's shape.
var neuronShapeParams = map[string][]string{
	TI: {"r"}, TLI: {"tau", "r", "v_leak"}, TIF: {"r", "v_threshold", "v_reset"},
	TLIF:    {"tau", "r", "v_leak", "v_threshold", "v_reset"},
	TCubaLI: {"tau_syn", "tau_mem", "r", "v_leak", "w_in"}, TCubaLIF: {"tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"},
	TThreshold:   {"threshold"},
	TAdaptiveLIF: {"tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in", "tau_adapt", "beta_adapt"},
	TAHPLIF:      {"tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in", "tau_ahp", "w_ahp"},
	TDelay:       {"delay"}, TScale: {"scale"},
	TLoihiCUBA:        {"shape", "bias_mant", "refract_delay", "u0", "v0"},
	TMultiCompartment: {"shape"},
}

// PopulationParams returns the names of the per-neuron parameters of a population-like
// node type (those a scalar is broadcast for), or nil.
func PopulationParams(typ string) []string { return neuronShapeParams[typ] }

// paramShape returns the shape given by a node's per-element parameters: the first
// non-scalar one among names (for snnc.loihi.CUBA, "shape" holds the shape itself).
func paramShape(n *Node, names []string) []int {
	if n.Type == TLoihiCUBA || n.Type == TMultiCompartment {
		if t := n.P("shape"); t != nil {
			return tensorInts(t)
		}
	}
	for _, p := range names {
		if t := n.P(p); t != nil && len(t.Data) > 1 {
			return append([]int(nil), t.Shape...)
		}
	}
	if n.Type == TMultiCompartment {
		for _, c := range n.Compartments {
			for _, t := range c.Params {
				if len(t.Data) > 1 {
					return append([]int(nil), t.Shape...)
				}
			}
		}
	}
	return nil
}

func tensorInts(t *Tensor) []int {
	out := make([]int, len(t.Data))
	for i, v := range t.Data {
		if v != math.Trunc(v) || v < 0 || v > 1<<30 {
			return nil
		}
		out[i] = int(v)
	}
	return out
}

// InferShapes fills InShape and OutShape of every node (recursing into nested graphs),
// propagating along edges until nothing changes. Shapes that cannot be determined stay
// nil. It returns Issues for parameters that make a shape impossible (a conv kernel larger
// than its input, a weight that is not 2-d, ...); edge mismatches are left to Verify.
func InferShapes(g *Graph) error {
	var is Issues
	inferShapes(g, "", &is)
	return is.Err()
}

func inferShapes(g *Graph, prefix string, is *Issues) {
	for _, n := range g.Nodes {
		n.InShape, n.OutShape = nil, nil
		if n.Type == TGraph && n.Sub != nil {
			inferShapes(n.Sub, prefix+n.Name+".", is)
		}
	}
	reported := map[string]bool{}
	// Each pass can only add shapes; len(Nodes)+1 passes reach the fixed point.
	for pass := 0; pass <= len(g.Nodes); pass++ {
		changed := false
		for _, n := range g.Nodes {
			if n.OutShape != nil && n.InShape != nil {
				continue
			}
			var pred []int
			for _, src := range g.Inputs(n.Name) {
				if s := ResolveNode(g, src); s != nil && s.OutShape != nil {
					pred = s.OutShape
					break
				}
			}
			in, out, err := nodeShapes(n, pred)
			if err == nil {
				err = checkShape(in)
			}
			if err == nil {
				err = checkShape(out)
			}
			if err != nil {
				if !reported[n.Name] {
					reported[n.Name] = true
					is.Add(prefix+n.Name, err, "while inferring shapes")
				}
				continue
			}
			if in != nil && n.InShape == nil {
				n.InShape, changed = in, true
			}
			if out != nil && n.OutShape == nil {
				n.OutShape, changed = out, true
			}
		}
		if !changed {
			break
		}
	}
}

// nodeShapes computes a node's input and output shapes from its parameters and the
// output shape of a predecessor (nil when unknown). A nil result means "not yet known".
func nodeShapes(n *Node, pred []int) (in, out []int, err error) {
	clone := func(s []int) []int { return append([]int(nil), s...) }
	switch n.Type {
	case TInput, TOutput:
		if t := n.P("shape"); t != nil {
			s := tensorInts(t)
			if s == nil {
				return nil, nil, fmt.Errorf("%w: shape %v must hold non-negative integers", ErrBadParam, t.Data)
			}
			return s, clone(s), nil
		}
		return clone(pred), clone(pred), nil
	case TAffine, TLinear, TDelayedLinear, TLoihiDense:
		w := n.P("weight")
		if w == nil {
			return nil, nil, nil
		}
		if len(w.Shape) != 2 {
			return nil, nil, fmt.Errorf("%w: weight has shape %v, want (out, in)", ErrBadParam, w.Shape)
		}
		return []int{w.Shape[1]}, []int{w.Shape[0]}, nil
	case TConv1d, TConv2d:
		if n.InShape == nil && pred != nil && n.P("input_shape") == nil {
			n.InShape = clone(pred)
		}
		if n.P("input_shape") == nil && n.InShape == nil {
			return nil, nil, nil
		}
		cs, err := ConvGeometry(n)
		if err != nil {
			return nil, nil, err
		}
		if n.Type == TConv1d {
			return []int{cs.InC, cs.InW}, []int{cs.OutC, cs.OutW}, nil
		}
		return []int{cs.InC, cs.InH, cs.InW}, []int{cs.OutC, cs.OutH, cs.OutW}, nil
	case TSumPool2d, TAvgPool2d:
		if pred == nil {
			return nil, nil, nil
		}
		saved := n.InShape
		n.InShape = pred
		cs, err := PoolGeometry(n)
		n.InShape = saved
		if err != nil {
			return nil, nil, err
		}
		return clone(pred), []int{cs.OutC, cs.OutH, cs.OutW}, nil
	case TFlatten:
		src := pred
		if t := n.P("input_type"); t != nil && src == nil {
			src = tensorInts(t)
		}
		if src == nil {
			return nil, nil, nil
		}
		s, e, err := FlattenDims(n, len(src))
		if err != nil {
			return nil, nil, err
		}
		o := clone(src[:s])
		o = append(o, NumElements(src[s:e+1]))
		o = append(o, src[e+1:]...)
		return clone(src), o, nil
	case TLocallyConn2d:
		w := n.P("weight")
		if w == nil {
			return nil, nil, nil
		}
		if len(w.Shape) != 6 {
			return nil, nil, fmt.Errorf("%w: weight has shape %v, want (Cout, Hout, Wout, Cin, kx, ky)", ErrBadParam, w.Shape)
		}
		out := []int{w.Shape[0], w.Shape[1], w.Shape[2]}
		var in []int
		if t := n.P("input_shape"); t != nil {
			in = tensorInts(t)
			if len(in) == 2 {
				in = append([]int{w.Shape[3]}, in...)
			}
		} else if pred != nil {
			in = clone(pred)
		}
		return in, out, nil
	case TGraph:
		if n.Sub == nil {
			return nil, nil, nil
		}
		var in, out []int
		for _, c := range n.Sub.Nodes {
			if c.Type == TInput && in == nil {
				in = clone(c.OutShape)
			}
			if c.Type == TOutput && out == nil {
				out = clone(c.InShape)
			}
		}
		return in, out, nil
	case TBatchNormTT:
		return clone(pred), clone(pred), nil
	}
	if names, ok := neuronShapeParams[n.Type]; ok {
		s := paramShape(n, names)
		if s == nil {
			s = pred
		}
		return clone(s), clone(s), nil
	}
	return nil, nil, nil
}

// MaxShapeElements bounds the element count of any inferred shape, so that a hostile
// file cannot make later passes allocate without limit.
const MaxShapeElements = 1 << 24

// checkShape rejects shapes with negative dims or more than MaxShapeElements elements
// (checked dim by dim, so the product cannot overflow).
func checkShape(s []int) error {
	n := 1
	for _, d := range s {
		if d < 0 {
			return fmt.Errorf("%w: shape %v has a negative dim", ErrShape, s)
		}
		if d > 0 && n > MaxShapeElements/d {
			return fmt.Errorf("%w: shape %v exceeds %d elements", ErrShape, s, MaxShapeElements)
		}
		n *= d
	}
	return nil
}

// ResolveNode finds a node by name, following NIR's dotted addressing into nested graphs
// ("G.B" is node B of the NIRGraph G) when no node has the exact name.
func ResolveNode(g *Graph, name string) *Node {
	if n := g.Node(name); n != nil {
		return n
	}
	for i := strings.IndexByte(name, '.'); i >= 0; {
		if p := g.Node(name[:i]); p != nil && p.Type == TGraph && p.Sub != nil {
			if n := ResolveNode(p.Sub, name[i+1:]); n != nil {
				return n
			}
		}
		j := strings.IndexByte(name[i+1:], '.')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return nil
}
