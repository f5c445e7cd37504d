package snnjson

import (
	"errors"
	"fmt"
	"sort"

	"github.com/snnc/snnc/ir"
)

// paramDefaults are the documented values of parameters a file may leave out
// (shared/spec/model-format.md "Import normalization"; docs/model-format.md).
var paramDefaults = []struct {
	param string
	value float64
	types []string
}{
	{"v_reset", 0, []string{ir.TIF, ir.TLIF, ir.TCubaLIF, ir.TAdaptiveLIF, ir.TAHPLIF}},
	{"w_in", 1, []string{ir.TCubaLI, ir.TCubaLIF, ir.TAdaptiveLIF, ir.TAHPLIF}},
	{"v_leak", 0, []string{ir.TLIF, ir.TLI}},
}

// Normalize makes the implicit explicit, logging one line per change in g.Log: missing
// v_reset → 0, missing w_in → 1, missing v_leak on LIF/LI → 0, missing Affine bias →
// zeros, missing Flatten start_dim/end_dim → NIR's defaults 1/-1, "same"/"valid" conv
// padding → numbers, extension node types missing from requires → added; then it infers
// every node's shapes (ir.InferShapes) and broadcasts scalar per-neuron parameters to the
// population's shape. Normalize is idempotent: a second call changes and logs nothing.
func Normalize(g *ir.Graph) error {
	var is ir.Issues
	recordDTypes(g)
	normalize(g, g, "", &is)
	if err := ir.InferShapes(g); err != nil {
		var more ir.Issues
		if !errors.As(err, &more) {
			return err
		}
		is = append(is, more...)
	}
	broadcast(g, g, "")
	return is.Err()
}

func normalize(root, g *ir.Graph, prefix string, is *ir.Issues) {
	for _, n := range g.Nodes {
		name := prefix + n.Name
		if ext := extensionOf(n.Type); ext != "" && !contains(root.Requires, ext) {
			root.Requires = append(root.Requires, ext)
			root.Logf("%s: node type %s uses extension %q, which requires did not list; added", name, n.Type, ext)
		}
		if n.Snnc != nil && n.Snnc.Dale != nil && !contains(root.Requires, "snnc.Dale") {
			root.Requires = append(root.Requires, "snnc.Dale")
			root.Logf("%s: snnc.dale uses extension \"snnc.Dale\", which requires did not list; added", name)
		}
		for _, pd := range paramDefaults {
			if contains(pd.types, n.Type) && n.P(pd.param) == nil {
				setParam(n, pd.param, &ir.Tensor{Data: []float64{pd.value}, DType: "f64"})
				root.Logf("%s: %s has no %s; set to %v", name, n.Type, pd.param, pd.value)
			}
		}
		switch n.Type {
		case ir.TAffine:
			if w := n.P("weight"); w != nil && n.P("bias") == nil && len(w.Shape) == 2 {
				b := ir.NewTensor(w.Shape[0])
				b.DType = "f64"
				setParam(n, "bias", b)
				root.Logf("%s: Affine has no bias; set to %d zeros", name, w.Shape[0])
			}
		case ir.TFlatten:
			for _, p := range []struct {
				name string
				def  float64
			}{{"start_dim", 1}, {"end_dim", -1}} {
				if n.P(p.name) == nil {
					setParam(n, p.name, &ir.Tensor{Data: []float64{p.def}, DType: "i64"})
					root.Logf("%s: Flatten has no %s; set to NIR's default %v (dims counted without batch)", name, p.name, p.def)
				}
			}
		case ir.TConv1d, ir.TConv2d:
			explicitPadding(root, n, name, is)
		}
		if n.Type == ir.TGraph && n.Sub != nil {
			normalize(root, n.Sub, name+".", is)
		}
	}
}

func setParam(n *ir.Node, name string, t *ir.Tensor) {
	if n.Params == nil {
		n.Params = map[string]*ir.Tensor{}
	}
	n.Params[name] = t
}

// explicitPadding replaces padding "valid" by 0 and "same" by dil·(k−1)/2 per axis
// (PyTorch's rule, stride 1 only; an odd total would need asymmetric padding, which the
// IR cannot express, and is an error).
func explicitPadding(root *ir.Graph, n *ir.Node, name string, is *ir.Issues) {
	mode, ok := n.Attrs["padding"]
	if !ok {
		return
	}
	sd := 2
	if n.Type == ir.TConv1d {
		sd = 1
	}
	w := n.P("weight")
	if w == nil || len(w.Shape) != 2+sd {
		return // Verify reports the weight
	}
	pad := make([]float64, sd)
	switch mode {
	case "valid":
	case "same":
		stride, err := ir.IntPair(n, "stride", sd, 1)
		if err != nil {
			is.Add(name+".stride", err, "")
			return
		}
		dil, err := ir.IntPair(n, "dilation", sd, 1)
		if err != nil {
			is.Add(name+".dilation", err, "")
			return
		}
		for i := 0; i < sd; i++ {
			if stride[i] != 1 {
				is.Add(name+".padding", ir.ErrUnsupported, "padding \"same\" needs stride 1, got stride %v", stride)
				return
			}
			total := dil[i] * (w.Shape[2+i] - 1)
			if total%2 != 0 {
				is.Add(name+".padding", ir.ErrUnsupported, "padding \"same\" with kernel %v and dilation %v needs asymmetric padding (total %d on axis %d); pad explicitly", w.Shape[2:], dil, total, i)
				return
			}
			pad[i] = float64(total / 2)
		}
	default:
		is.Add(name+".padding", ir.ErrBadParam, "%q; allowed: an integer, a pair, \"same\", \"valid\"", mode)
		return
	}
	delete(n.Attrs, "padding")
	if len(n.Attrs) == 0 {
		n.Attrs = nil
	}
	setParam(n, "padding", &ir.Tensor{Shape: []int{sd}, Data: pad, DType: "i64"})
	root.Logf("%s: padding %q made explicit: %v", name, mode, pad)
}

// broadcast expands single-value per-neuron parameters to the population's shape.
func broadcast(root, g *ir.Graph, prefix string) {
	for _, n := range g.Nodes {
		name := prefix + n.Name
		if n.Type == ir.TGraph && n.Sub != nil {
			broadcast(root, n.Sub, name+".")
			continue
		}
		if n.OutShape == nil {
			continue
		}
		expand := func(where string, params map[string]*ir.Tensor, names []string) {
			for _, p := range names {
				t := params[p]
				if t == nil || p == "shape" || len(t.Data) != 1 || ir.ShapeEqual(t.Shape, n.OutShape) {
					continue
				}
				size := ir.NumElements(n.OutShape)
				nt := &ir.Tensor{Shape: append([]int(nil), n.OutShape...), Data: make([]float64, size), DType: t.DType}
				for i := range nt.Data {
					nt.Data[i] = t.Data[0]
				}
				params[p] = nt
				root.Logf("%s.%s: scalar %v broadcast to shape %v", where, p, t.Data[0], n.OutShape)
			}
		}
		if names := ir.PopulationParams(n.Type); names != nil && n.Params != nil {
			expand(name, n.Params, names)
		}
		for i := range n.Compartments {
			c := &n.Compartments[i]
			names := make([]string, 0, len(c.Params))
			for p := range c.Params {
				names = append(names, p)
			}
			sort.Strings(names)
			expand(fmt.Sprintf("%s.compartments[%d]", name, i), c.Params, names)
		}
	}
}

// recordDTypes records "f64" for tensors built in code without a dtype, so that a graph
// and its re-decoded encoding agree. The dtype only chooses the encoding, never the
// meaning, so this is not logged.
func recordDTypes(g *ir.Graph) {
	fix := func(ps map[string]*ir.Tensor) {
		for _, t := range ps {
			if t != nil && t.DType == "" {
				t.DType = "f64"
			}
		}
	}
	for _, n := range g.Nodes {
		fix(n.Params)
		for i := range n.Compartments {
			fix(n.Compartments[i].Params)
		}
		if n.Sub != nil {
			recordDTypes(n.Sub)
		}
	}
}
