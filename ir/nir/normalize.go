package nir

import (
	"fmt"
	"math"
	"strings"

	"github.com/snnc/snnc/ir"
)

// normalizer applies model-format.md's import normalization to a freshly read graph,
// logging every change and collecting every problem.
type normalizer struct {
	logf         func(format string, args ...any)
	issues       ir.Issues
	dt           float64
	dropDangling bool
}

// graph normalizes g; prefix is the dotted name of the enclosing sub-graph node ("" at top).
func (n *normalizer) graph(g *ir.Graph, prefix string) {
	// Log lines the reader attached to the (sub-)graph come first.
	for _, l := range g.Log {
		n.logf("%s", l)
	}
	g.Log = nil
	for _, node := range g.Nodes {
		qn := prefix + node.Name
		if node.Sub != nil {
			n.graph(node.Sub, qn+".")
			for _, s := range node.Sub.Nodes {
				if g.Node(node.Name+"."+s.Name) != nil {
					n.issues.Add("node "+qn, ir.ErrBadParam,
						"sub-graph node %q flattens to %q, which is also a node name", s.Name, qn+"."+s.Name)
				}
			}
			continue
		}
		n.node(node, qn)
	}
	n.edges(g, prefix)
}

func (n *normalizer) edges(g *ir.Graph, prefix string) {
	seen := map[ir.Edge]bool{}
	out := g.Edges[:0]
	for i, e := range g.Edges {
		where := fmt.Sprintf("%sedges[%d] %q -> %q", prefix, i, e.From, e.To)
		if seen[e] {
			n.logf("%s: duplicate edge dropped", where)
			continue
		}
		seen[e] = true
		var missing []string
		for _, end := range []string{e.From, e.To} {
			if !resolves(g, end, 0) {
				missing = append(missing, end)
			}
		}
		if len(missing) > 0 {
			if n.dropDangling {
				n.logf("warning: %s names missing node %s; edge dropped (--drop-dangling-edges)", where, strings.Join(quoteAll(missing), " and "))
				continue
			}
			n.issues.Add(where, ir.ErrDangling, "no node named %s in this graph (pass --drop-dangling-edges to drop such edges)", strings.Join(quoteAll(missing), " or "))
		}
		out = append(out, e)
	}
	g.Edges = out
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

// resolves reports whether name is a node of g: its exact name (which may contain dots),
// or "G.rest" with G a NIRGraph node whose sub-graph resolves rest.
func resolves(g *ir.Graph, name string, depth int) bool {
	if g.Node(name) != nil {
		return true
	}
	if depth > DefaultLimits.MaxDepth {
		return false
	}
	for i := len(name) - 1; i > 0; i-- {
		if name[i] != '.' {
			continue
		}
		if sg := g.Node(name[:i]); sg != nil && sg.Sub != nil && resolves(sg.Sub, name[i+1:], depth+1) {
			return true
		}
	}
	return false
}

// node normalizes one non-graph node; qn is its dotted name for messages.
func (n *normalizer) node(nd *ir.Node, qn string) {
	where := "node " + qn
	// Required parameters of the type.
	for _, p := range ir.KnownTypes[nd.Type] {
		if p == "shape" {
			continue // checked below
		}
		if nd.P(p) == nil {
			n.issues.Add(where, ir.ErrBadParam, "%s needs parameter %q, which is missing", nd.Type, p)
		}
	}
	switch nd.Type {
	case ir.TInput, ir.TOutput:
		n.ioShape(nd, qn)
	case ir.TLIF, ir.TIF, ir.TCubaLIF:
		if nd.P("v_reset") == nil && nd.P("v_threshold") != nil {
			t := nd.P("v_threshold")
			nd.Params["v_reset"] = &ir.Tensor{Shape: append([]int(nil), t.Shape...), Data: make([]float64, len(t.Data)), DType: t.DType}
			n.logf("%s (%s): missing v_reset set to 0 (files written before 2025 have none)", where, nd.Type)
		}
	}
	if nd.Type == ir.TCubaLIF || nd.Type == ir.TCubaLI {
		if nd.P("w_in") == nil && nd.P("tau_syn") != nil {
			t := nd.P("tau_syn")
			w := &ir.Tensor{Shape: append([]int(nil), t.Shape...), Data: make([]float64, len(t.Data)), DType: t.DType}
			for i := range w.Data {
				w.Data[i] = 1
			}
			nd.Params["w_in"] = w
			n.logf("%s (%s): missing w_in set to 1", where, nd.Type)
		}
	}
	if ir.IsNeuron(nd.Type) {
		n.broadcast(nd, qn)
	}
	switch nd.Type {
	case ir.TAffine, ir.TLinear:
		n.dense(nd, qn)
	case ir.TConv1d, ir.TConv2d:
		n.conv(nd, qn)
	case ir.TSumPool2d, ir.TAvgPool2d:
		n.pool(nd, qn)
	case ir.TFlatten:
		if nd.P("start_dim") == nil {
			nd.Params = setParam(nd.Params, "start_dim", &ir.Tensor{Data: []float64{0}, DType: "i64"})
			n.logf("%s (Flatten): missing start_dim set to 0", where)
		}
		if nd.P("end_dim") == nil {
			nd.Params = setParam(nd.Params, "end_dim", &ir.Tensor{Data: []float64{-1}, DType: "i64"})
			n.logf("%s (Flatten): missing end_dim set to -1", where)
		}
		n.intParams(nd, qn, "start_dim", "end_dim")
	}
}

func (n *normalizer) ioShape(nd *ir.Node, qn string) {
	where := "node " + qn
	if nd.P("shape") == nil {
		for _, alt := range []string{"input_type.input", "output_type.output", "input_type", "output_type"} {
			if t := nd.P(alt); t != nil {
				nd.Params["shape"] = t
				delete(nd.Params, alt)
				n.logf("%s (%s): shape taken from legacy %s", where, nd.Type, alt)
				break
			}
		}
	}
	t := nd.P("shape")
	if t == nil {
		n.issues.Add(where, ir.ErrBadParam, "%s needs parameter \"shape\", which is missing", nd.Type)
		return
	}
	if len(t.Data) == 0 {
		n.issues.Add(where, ir.ErrShape, "%s shape is empty", nd.Type)
		return
	}
	total := 1
	for i, v := range t.Data {
		if v < 1 || v != math.Trunc(v) || v > float64(DefaultLimits.MaxDatasetElems) {
			n.issues.Add(where, ir.ErrShape, "%s shape[%d] = %v, want a positive integer", nd.Type, i, v)
			return
		}
		total *= int(v)
		if total > DefaultLimits.MaxDatasetElems {
			n.issues.Add(where, ir.ErrShape, "%s shape %v has more than %d elements", nd.Type, t.Data, DefaultLimits.MaxDatasetElems)
			return
		}
	}
	if t.Shape == nil {
		t.Shape = []int{len(t.Data)}
	}
}

// broadcast makes every parameter of a neuron node the size of its largest one.
func (n *normalizer) broadcast(nd *ir.Node, qn string) {
	var big *ir.Tensor
	bigName := ""
	for _, k := range sortedParams(nd) {
		t := nd.Params[k]
		if big == nil || len(t.Data) > len(big.Data) {
			big, bigName = t, k
		}
	}
	if big == nil {
		return
	}
	for _, k := range sortedParams(nd) {
		t := nd.Params[k]
		switch {
		case len(t.Data) == len(big.Data):
			if len(t.Shape) == 0 && len(big.Shape) == 0 {
				continue
			}
			if !ir.ShapeEqual(t.Shape, big.Shape) && len(t.Data) > 0 {
				n.logf("node %s (%s): %s reshaped from %v to %v (as %s)", qn, nd.Type, k, t.Shape, big.Shape, bigName)
				t.Shape = append([]int(nil), big.Shape...)
			}
		case len(t.Data) == 1:
			v := t.Data[0]
			t.Data = make([]float64, len(big.Data))
			for i := range t.Data {
				t.Data[i] = v
			}
			n.logf("node %s (%s): scalar %s = %g broadcast to shape %v", qn, nd.Type, k, v, big.Shape)
			t.Shape = append([]int(nil), big.Shape...)
		default:
			n.issues.Add("node "+qn, ir.ErrShape, "%s has %d values but %s has %d", k, len(t.Data), bigName, len(big.Data))
		}
	}
}

func sortedParams(nd *ir.Node) []string {
	out := make([]string, 0, len(nd.Params))
	for k := range nd.Params {
		out = append(out, k)
	}
	// small: insertion sort keeps the package free of another import
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func (n *normalizer) dense(nd *ir.Node, qn string) {
	w := nd.P("weight")
	if w == nil {
		return
	}
	if len(w.Shape) != 2 {
		n.issues.Add("node "+qn, ir.ErrShape, "%s weight has shape %v, want (out, in)", nd.Type, w.Shape)
		return
	}
	if nd.Type != ir.TAffine {
		return
	}
	b := nd.P("bias")
	if b == nil {
		return
	}
	switch {
	case len(b.Data) == w.Shape[0]:
		if len(b.Shape) != 1 {
			b.Shape = []int{w.Shape[0]}
		}
	case len(b.Data) == 1:
		v := b.Data[0]
		b.Data = make([]float64, w.Shape[0])
		for i := range b.Data {
			b.Data[i] = v
		}
		b.Shape = []int{w.Shape[0]}
		n.logf("node %s (Affine): scalar bias %g broadcast to %d outputs", qn, v, w.Shape[0])
	default:
		n.issues.Add("node "+qn, ir.ErrShape, "Affine bias has %d values, weight has %d rows", len(b.Data), w.Shape[0])
	}
}

// spatialParam returns an integer parameter as `rank` values: missing → def, scalar →
// repeated; each change logged.
func (n *normalizer) spatialParam(nd *ir.Node, qn, key string, rank int, def []float64) {
	t := nd.P(key)
	if t == nil {
		if def == nil {
			return
		}
		nd.Params = setParam(nd.Params, key, &ir.Tensor{Shape: []int{rank}, Data: append([]float64(nil), def...), DType: "i64"})
		n.logf("node %s (%s): missing %s set to %v", qn, nd.Type, key, def)
		return
	}
	if len(t.Data) == 1 && rank > 1 {
		v := t.Data[0]
		t.Data = make([]float64, rank)
		for i := range t.Data {
			t.Data[i] = v
		}
		t.Shape = []int{rank}
		n.logf("node %s (%s): scalar %s = %g made explicit as %v", qn, nd.Type, key, v, t.Data)
	} else if len(t.Data) != rank {
		n.issues.Add("node "+qn, ir.ErrShape, "%s has %d values, want %d", key, len(t.Data), rank)
		return
	}
	if len(t.Shape) != 1 {
		t.Shape = []int{rank}
	}
	n.intParams(nd, qn, key)
}

// intParams checks that the named parameters hold integers.
func (n *normalizer) intParams(nd *ir.Node, qn string, keys ...string) {
	for _, k := range keys {
		t := nd.P(k)
		if t == nil {
			continue
		}
		for i, v := range t.Data {
			if v != math.Trunc(v) || math.Abs(v) > 1<<30 {
				n.issues.Add("node "+qn, ir.ErrBadParam, "%s[%d] = %v, want an integer", k, i, v)
				return
			}
		}
	}
}

func repeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func (n *normalizer) conv(nd *ir.Node, qn string) {
	w := nd.P("weight")
	if w == nil {
		return
	}
	rank := 2
	if nd.Type == ir.TConv1d {
		rank = 1
	}
	if len(w.Shape) != rank+2 {
		n.issues.Add("node "+qn, ir.ErrShape, "%s weight has shape %v, want (Cout, Cin/groups, %d kernel dims)", nd.Type, w.Shape, rank)
		return
	}
	n.spatialParam(nd, qn, "stride", rank, repeat(1, rank))
	n.spatialParam(nd, qn, "dilation", rank, repeat(1, rank))
	if nd.P("groups") == nil {
		nd.Params["groups"] = &ir.Tensor{Data: []float64{1}, DType: "i64"}
		n.logf("node %s (%s): missing groups set to 1", qn, nd.Type)
	}
	n.intParams(nd, qn, "groups")
	if nd.P("bias") == nil {
		nd.Params["bias"] = &ir.Tensor{Shape: []int{w.Shape[0]}, Data: make([]float64, w.Shape[0]), DType: w.DType}
		n.logf("node %s (%s): missing bias set to 0", qn, nd.Type)
	}
	if s, ok := nd.Attrs["padding"]; ok {
		pad := make([]float64, rank)
		switch strings.ToLower(s) {
		case "valid":
		case "same":
			st, dil := nd.P("stride"), nd.P("dilation")
			for i := 0; i < rank; i++ {
				if st.Data[i] != 1 {
					n.issues.Add("node "+qn, ir.ErrBadParam, "padding \"same\" with stride %v is not defined", st.Data)
					return
				}
				total := dil.Data[i] * float64(w.Shape[2+i]-1)
				pad[i] = math.Floor(total / 2)
				if math.Mod(total, 2) != 0 {
					n.logf("warning: node %s (%s): padding \"same\" needs %g cells on axis %d; asymmetric padding is not representable, using %g on both sides", qn, nd.Type, total, i, pad[i])
				}
			}
		default:
			n.issues.Add("node "+qn, ir.ErrBadParam, "padding %q, want \"same\", \"valid\" or integers", s)
			return
		}
		delete(nd.Attrs, "padding")
		if len(nd.Attrs) == 0 {
			nd.Attrs = nil
		}
		nd.Params["padding"] = &ir.Tensor{Shape: []int{rank}, Data: pad, DType: "i64"}
		n.logf("node %s (%s): padding %q made explicit as %v", qn, nd.Type, s, pad)
	}
	n.spatialParam(nd, qn, "padding", rank, repeat(0, rank))
	if t := nd.P("input_shape"); t != nil {
		n.intParams(nd, qn, "input_shape")
	}
}

func (n *normalizer) pool(nd *ir.Node, qn string) {
	if nd.P("kernel_size") == nil {
		return
	}
	n.spatialParam(nd, qn, "kernel_size", 2, nil)
	if nd.P("stride") == nil {
		k := nd.P("kernel_size")
		nd.Params["stride"] = &ir.Tensor{Shape: []int{2}, Data: append([]float64(nil), k.Data...), DType: "i64"}
		n.logf("node %s (%s): missing stride set to kernel_size %v", qn, nd.Type, k.Data)
	}
	n.spatialParam(nd, qn, "stride", 2, nil)
	n.spatialParam(nd, qn, "padding", 2, []float64{0, 0})
}

// impliedDt warns when the neuron parameters encode a dt (τ/r constant, the snnTorch/Spyx
// euler encoding τ = dt/(1−β), r = 1/(1−β)) other than the one chosen.
func (n *normalizer) impliedDt(g *ir.Graph, conv Convention) {
	if conv.Framework == "rockpool" || conv.Framework == "sinabs" || conv.Framework == "norse" || conv.Framework == "nengo" {
		return
	}
	var vals []float64
	var walk func(g *ir.Graph)
	walk = func(g *ir.Graph) {
		for _, nd := range g.Nodes {
			if nd.Sub != nil {
				walk(nd.Sub)
				continue
			}
			tau := nd.P("tau")
			if tau == nil {
				tau = nd.P("tau_mem")
			}
			r := nd.P("r")
			if tau == nil || r == nil || len(tau.Data) != len(r.Data) {
				continue
			}
			for i := range r.Data {
				if r.Data[i] != 1 && r.Data[i] > 0 {
					vals = append(vals, tau.Data[i]/r.Data[i])
				}
			}
		}
	}
	walk(g)
	if len(vals) == 0 {
		return
	}
	lo, hi := vals[0], vals[0]
	for _, v := range vals {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if hi-lo > 1e-3*hi {
		return // no single dt encoded
	}
	mid := (lo + hi) / 2
	if math.Abs(mid-n.dt) > 0.01*n.dt {
		g.Logf("warning: neuron parameters imply dt = %.4g s (tau/r is the same for every neuron, the snnTorch encoding tau = dt/(1-beta), r = 1/(1-beta)), but dt = %g s is used; pass --dt %.4g or --source-framework snntorch if the file came from snnTorch", mid, n.dt, mid)
	} else {
		g.Logf("neuron parameters are consistent with dt = %g s (tau/r = %.4g s)", n.dt, mid)
	}
}
