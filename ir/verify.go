package ir

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Verify checks the graph and returns every problem found as Issues (nil when none).
// Each issue names the node ("lif1", nested "outer.inner"), the node's parameter
// ("lif1.tau[3]") or the edge ("edges[2]"). Checked: the semantics header, unknown node
// types, missing required parameters, non-finite values, time constants ≤ 0, dangling
// and duplicate edges, shape mismatches on edges whose ends both have known shapes, and
// cycles that no delay rule makes well defined. Verify does not modify the graph; run
// InferShapes first for the shape checks to see inferred shapes.
func (g *Graph) Verify() error {
	var is Issues
	verifySemantics(g.Semantics, &is)
	g.verify("", &is)
	return is.Err()
}

var enumValues = []struct {
	field string
	get   func(Semantics) string
	ok    []string
}{
	{"discretization", func(s Semantics) string { return s.Discretization }, []string{"exact", "euler"}},
	{"defaults.reset.mode", func(s Semantics) string { return s.Reset.Mode }, ResetModes},
	{"defaults.reset.timing", func(s Semantics) string { return s.Reset.Timing }, ResetTimings},
	{"defaults.threshold_compare", func(s Semantics) string { return s.ThresholdCompare }, Compares},
	{"defaults.edge_latency", func(s Semantics) string { return s.EdgeLatency }, []string{"one_step", "zero"}},
	{"defaults.recurrence", func(s Semantics) string { return s.Recurrence }, []string{"prev_step"}},
	{"defaults.fan_in", func(s Semantics) string { return s.FanIn }, []string{"sum"}},
}

// Allowed values of the reset rule and threshold comparison (model-format.md "defaults").
var (
	ResetModes   = []string{"to_value", "subtract", "none"}
	ResetTimings = []string{"immediate", "next_step"}
	Compares     = []string{">", ">="}
)

func oneOf(v string, ok []string) bool {
	for _, o := range ok {
		if v == o {
			return true
		}
	}
	return false
}

func verifySemantics(s Semantics, is *Issues) {
	if !(s.Dt > 0) || math.IsInf(s.Dt, 0) {
		is.Add("time.dt", ErrBadParam, "dt = %v s; want a finite value > 0", s.Dt)
	}
	for _, e := range enumValues {
		if v := e.get(s); !oneOf(v, e.ok) {
			is.Add(e.field, ErrBadParam, "%q; allowed: %s", v, strings.Join(e.ok, ", "))
		}
	}
	if s.Reset.RefractorySteps < 0 {
		is.Add("defaults.reset.refractory_steps", ErrBadParam, "%d; want ≥ 0", s.Reset.RefractorySteps)
	}
}

func (g *Graph) verify(prefix string, is *Issues) {
	for _, n := range g.Nodes {
		verifyNode(n, prefix+n.Name, is)
		if n.Type == TGraph && n.Sub != nil {
			n.Sub.verify(prefix+n.Name+".", is)
		}
	}
	seen := map[Edge]int{}
	for k, e := range g.Edges {
		where := fmt.Sprintf("%sedges[%d]", prefix, k)
		src, dst := ResolveNode(g, e.From), ResolveNode(g, e.To)
		if src == nil {
			is.Add(where, ErrDangling, "source %q (edge %s -> %s) is not a node of the graph", e.From, e.From, e.To)
		}
		if dst == nil {
			is.Add(where, ErrDangling, "target %q (edge %s -> %s) is not a node of the graph", e.To, e.From, e.To)
		}
		if j, dup := seen[e]; dup {
			is.Add(where, ErrDuplicateEdge, "%s -> %s repeats edges[%d]", e.From, e.To, j)
			continue
		}
		seen[e] = k
		if src != nil && dst != nil && src.OutShape != nil && dst.InShape != nil && !ShapeCompatible(src.OutShape, dst.InShape) {
			is.Add(where, ErrShape, "%s -> %s: %s emits %v, %s expects %v", e.From, e.To, e.From, src.OutShape, e.To, dst.InShape)
		}
	}
	g.verifyCycles(prefix, is)
}

// ShapeCompatible reports whether an output of shape a can feed an input of shape b:
// equal after dropping leading dims of size 1 (a batch-like axis some exporters keep).
func ShapeCompatible(a, b []int) bool {
	trim := func(s []int) []int {
		for len(s) > 1 && s[0] == 1 {
			s = s[1:]
		}
		return s
	}
	return ShapeEqual(trim(a), trim(b))
}

func verifyNode(n *Node, where string, is *Issues) {
	req, known := KnownTypes[n.Type]
	if !known {
		is.Add(where, ErrUnknownType, "type %q; known types: %s", n.Type, strings.Join(sortedTypes(), ", "))
		return
	}
	for _, p := range req {
		if n.P(p) == nil {
			if _, ok := n.Attrs[p]; !ok {
				is.Add(where, ErrBadParam, "%s requires parameter %q", n.Type, p)
			}
		}
	}
	verifyParams(n.Params, where, is)
	if n.Snnc != nil {
		if r := n.Snnc.Reset; r != nil {
			if !oneOf(r.Mode, ResetModes) {
				is.Add(where+".snnc.reset.mode", ErrBadParam, "%q; allowed: %s", r.Mode, strings.Join(ResetModes, ", "))
			}
			if !oneOf(r.Timing, ResetTimings) {
				is.Add(where+".snnc.reset.timing", ErrBadParam, "%q; allowed: %s", r.Timing, strings.Join(ResetTimings, ", "))
			}
			if r.RefractorySteps < 0 {
				is.Add(where+".snnc.reset.refractory_steps", ErrBadParam, "%d; want ≥ 0", r.RefractorySteps)
			}
		}
		if c := n.Snnc.ThresholdCompare; c != "" && !oneOf(c, Compares) {
			is.Add(where+".snnc.threshold_compare", ErrBadParam, "%q; allowed: %s", c, strings.Join(Compares, ", "))
		}
		for i, v := range n.Snnc.Dale {
			if v != 1 && v != -1 {
				is.Add(fmt.Sprintf("%s.snnc.dale[%d]", where, i), ErrBadParam, "%v; want +1 or -1", v)
				break
			}
		}
	}
	// Per-neuron parameters hold one value or one per neuron.
	if names := PopulationParams(n.Type); names != nil && n.OutShape != nil {
		size := NumElements(n.OutShape)
		for _, p := range names {
			if t := n.P(p); t != nil && p != "shape" && len(t.Data) != 1 && len(t.Data) != size {
				is.Add(where+"."+p, ErrShape, "%d values for a population of shape %v (%d neurons); want 1 or %d", len(t.Data), n.OutShape, size, size)
			}
		}
	}
	if n.Type == TMultiCompartment {
		verifyCompartments(n, where, is)
	}
	if n.Type == TGraph && n.Sub == nil {
		is.Add(where, ErrBadParam, "NIRGraph node without nodes")
	}
}

func verifyCompartments(n *Node, where string, is *Issues) {
	k := len(n.Compartments)
	if k == 0 {
		is.Add(where+".compartments", ErrBadParam, "empty; a multi-compartment neuron needs at least its soma")
		return
	}
	if n.Soma < 0 || n.Soma >= k {
		is.Add(where+".soma", ErrBadParam, "%d; want 0..%d", n.Soma, k-1)
	}
	for i, c := range n.Compartments {
		cw := fmt.Sprintf("%s.compartments[%d]", where, i)
		if !oneOf(c.Type, CompartmentTypes) {
			is.Add(cw+".type", ErrUnknownType, "%q; allowed: %s", c.Type, strings.Join(CompartmentTypes, ", "))
		}
		if !oneOf(c.Join, JoinOps) {
			is.Add(cw+".join", ErrBadParam, "%q; allowed: %s", c.Join, strings.Join(JoinOps, ", "))
		}
		if i == n.Soma {
			if c.Parent != -1 {
				is.Add(cw+".parent", ErrBadParam, "%d; the soma has no parent (-1)", c.Parent)
			}
		} else if c.Parent < 0 || c.Parent >= k || c.Parent == i {
			is.Add(cw+".parent", ErrBadParam, "%d; want another compartment's index 0..%d", c.Parent, k-1)
		}
		verifyParams(c.Params, cw, is)
	}
	// Every compartment must reach the soma by following parents (a tree, no loops).
	for i := range n.Compartments {
		j, steps := i, 0
		for j != n.Soma && j >= 0 && j < k && steps <= k {
			j, steps = n.Compartments[j].Parent, steps+1
		}
		if j != n.Soma {
			is.Add(fmt.Sprintf("%s.compartments[%d]", where, i), ErrCycle, "parent chain does not reach the soma %d", n.Soma)
			break
		}
	}
}

// CompartmentTypes and JoinOps are the values allowed in snnc.MultiCompartment.
var (
	CompartmentTypes = []string{TLI, TLIF, TCubaLI, TCubaLIF, TIF, TI}
	JoinOps          = []string{"add", "min", "max", "pass", "and", "or", "mul"}
)

func verifyParams(params map[string]*Tensor, where string, is *Issues) {
	names := make([]string, 0, len(params))
	for p := range params {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		t := params[p]
		if t == nil {
			is.Add(where+"."+p, ErrBadParam, "nil tensor")
			continue
		}
		if NumElements(t.Shape) != len(t.Data) {
			is.Add(where+"."+p, ErrShape, "shape %v holds %d values, data has %d", t.Shape, NumElements(t.Shape), len(t.Data))
			continue
		}
		if i := t.FirstNonFinite(); i >= 0 {
			is.Add(fmt.Sprintf("%s.%s[%d]", where, p, i), ErrNonFinite, "%v; parameters must be finite", t.Data[i])
			continue
		}
		if strings.HasPrefix(p, "tau") {
			for i, v := range t.Data {
				if v <= 0 {
					is.Add(fmt.Sprintf("%s.%s[%d]", where, p, i), ErrBadParam, "time constant %v s; want > 0", v)
					break
				}
			}
		}
	}
}

func sortedTypes() []string {
	out := make([]string, 0, len(KnownTypes))
	for t := range KnownTypes {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// verifyCycles reports every strongly connected component with a cycle that no delay
// rule resolves: a cycle is well defined when edges have one-step latency, when the
// recurrence rule is prev_step (the closing edge carries the previous step's output), or
// when the cycle contains a Delay node.
func (g *Graph) verifyCycles(prefix string, is *Issues) {
	s := g.Semantics
	if s.EdgeLatency == "one_step" || s.Recurrence == "prev_step" {
		return
	}
	for _, comp := range g.CyclicComponents() {
		hasDelay := false
		for _, name := range comp {
			if n := g.Node(name); n != nil && (n.Type == TDelay || n.Type == TDelayedLinear) {
				hasDelay = true
			}
		}
		if !hasDelay {
			is.Add(prefix+comp[0], ErrCycle, "cycle through %s with edge_latency %q and recurrence %q; add a Delay node or use recurrence \"prev_step\"",
				strings.Join(comp, ", "), s.EdgeLatency, s.Recurrence)
		}
	}
}

// CyclicComponents returns the strongly connected components of the edge graph that
// contain a cycle (more than one node, or a self-loop), each sorted by name, in order of
// their first node. Edges naming missing nodes are ignored.
func (g *Graph) CyclicComponents() [][]string {
	idx := map[string]int{}
	for i, n := range g.Nodes {
		idx[n.Name] = i
	}
	adj := make([][]int, len(g.Nodes))
	self := make([]bool, len(g.Nodes))
	for _, e := range g.Edges {
		a, ok1 := idx[e.From]
		b, ok2 := idx[e.To]
		if !ok1 || !ok2 {
			continue
		}
		adj[a] = append(adj[a], b)
		if a == b {
			self[a] = true
		}
	}
	// Tarjan's algorithm, iterative so deep graphs cannot overflow the stack.
	n := len(g.Nodes)
	index, low := make([]int, n), make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var comps [][]string
	next := 0
	type frame struct{ v, edge int }
	for root := 0; root < n; root++ {
		if index[root] >= 0 {
			continue
		}
		call := []frame{{root, 0}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.edge < len(adj[f.v]) {
				w := adj[f.v][f.edge]
				f.edge++
				if index[w] < 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				} else if onStack[w] && index[w] < low[f.v] {
					low[f.v] = index[w]
				}
				continue
			}
			v := f.v
			call = call[:len(call)-1]
			if len(call) > 0 {
				if u := call[len(call)-1].v; low[v] < low[u] {
					low[u] = low[v]
				}
			}
			if low[v] == index[v] {
				var comp []string
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp = append(comp, g.Nodes[w].Name)
					if w == v {
						break
					}
				}
				if len(comp) > 1 || self[v] {
					sort.Strings(comp)
					comps = append(comps, comp)
				}
			}
		}
	}
	sort.Slice(comps, func(i, j int) bool { return comps[i][0] < comps[j][0] })
	return comps
}
