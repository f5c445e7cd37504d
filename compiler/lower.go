package compiler

import (
	"errors"
	"fmt"
	"sort"

	"github.com/snnc/snnc/ir"
)

// ErrLower is wrapped by every lowering error.
var ErrLower = errors.New("cannot lower")

// Pass is one named graph pass.
type Pass struct {
	Name string
	Run  func(g *ir.Graph, opt Options) error
}

// Passes is the ordered pass table that runs on the graph before it is lowered.
var Passes = []Pass{
	{"normalize", normalize},
	{"infer-shapes", func(g *ir.Graph, _ Options) error { return inferShapes(g) }},
	{"verify", func(g *ir.Graph, _ Options) error { return g.Verify() }},
}

// inferShapes is ir.InferShapes; a variable so tests can observe passes.
var inferShapes = ir.InferShapes

// Lower runs the pass table on a copy of g and returns the netlist.
func Lower(g *ir.Graph, opt Options) (*ir.Netlist, error) {
	g = cloneGraph(g)
	for _, p := range Passes {
		if err := p.Run(g, opt); err != nil {
			return nil, fmt.Errorf("pass %s: %w", p.Name, err)
		}
		if opt.Dump != nil {
			opt.Dump(p.Name, g)
		}
		if opt.Verify && p.Name != "verify" && p.Name != "normalize" {
			if err := g.Verify(); err != nil {
				return nil, fmt.Errorf("BUG: graph invalid after pass %s: %w", p.Name, err)
			}
		}
	}
	nl, err := lowerGraph(g)
	if err != nil {
		return nil, err
	}
	if opt.Verify {
		if err := CheckNetlist(nl); err != nil {
			return nil, fmt.Errorf("BUG: netlist invalid: %w", err)
		}
	}
	return nl, nil
}

func cloneGraph(g *ir.Graph) *ir.Graph {
	c := *g
	c.Nodes = make([]*ir.Node, len(g.Nodes))
	for i, n := range g.Nodes {
		nn := *n
		nn.Params = map[string]*ir.Tensor{}
		for k, v := range n.Params {
			nn.Params[k] = v.Clone()
		}
		if n.Attrs != nil {
			nn.Attrs = map[string]string{}
			for k, v := range n.Attrs {
				nn.Attrs[k] = v
			}
		}
		if n.Sub != nil {
			nn.Sub = cloneGraph(n.Sub)
		}
		c.Nodes[i] = &nn
	}
	c.Edges = append([]ir.Edge(nil), g.Edges...)
	c.Log = append([]string(nil), g.Log...)
	return &c
}

// identity is the internal type nested graphs' Input/Output nodes become when flattened.
const identity = "Flatten"

// normalize flattens nested graphs into dotted names and applies the dt override.
func normalize(g *ir.Graph, opt Options) error {
	if opt.Dt > 0 && opt.Dt != g.Semantics.Dt {
		g.Logf("dt: %g s overridden by --dt to %g s", g.Semantics.Dt, opt.Dt)
		g.Semantics.Dt = opt.Dt
	}
	if !(g.Semantics.Dt > 0) {
		return fmt.Errorf("%w: time step dt is %g; give the model's time.dt or --dt", ErrLower, g.Semantics.Dt)
	}
	for changed := true; changed; {
		changed = false
		for _, n := range g.Nodes {
			if n.Type == ir.TGraph && n.Sub != nil {
				flattenSub(g, n)
				changed = true
				break
			}
		}
	}
	return nil
}

func flattenSub(g *ir.Graph, outer *ir.Node) {
	sub := outer.Sub
	prefix := outer.Name + "."
	var ins, outs []string
	for _, n := range sub.Nodes {
		nn := *n
		nn.Name = prefix + n.Name
		switch n.Type {
		case ir.TInput:
			ins = append(ins, nn.Name)
			nn.Type = identity
		case ir.TOutput:
			outs = append(outs, nn.Name)
			nn.Type = identity
		}
		g.AddNode(&nn)
	}
	var edges []ir.Edge
	for _, e := range g.Edges {
		switch {
		case e.To == outer.Name:
			for _, in := range ins {
				edges = append(edges, ir.Edge{From: e.From, To: in})
			}
		case e.From == outer.Name:
			for _, o := range outs {
				edges = append(edges, ir.Edge{From: o, To: e.To})
			}
		default:
			edges = append(edges, e)
		}
	}
	for _, e := range sub.Edges {
		edges = append(edges, ir.Edge{From: prefix + e.From, To: prefix + e.To})
	}
	g.Edges = edges
	g.RemoveNode(outer.Name)
	// RemoveNode dropped nothing else: edges naming outer were rewritten above.
	g.Logf("%s: nested NIRGraph flattened into %d nodes named %s*", outer.Name, len(sub.Nodes), prefix)
}

// lowerGraph builds the netlist from a verified, shape-inferred graph.
func lowerGraph(g *ir.Graph) (*ir.Netlist, error) {
	sem := g.Semantics
	nl := &ir.Netlist{Semantics: sem, Log: append([]string(nil), g.Log...)}
	var errs ir.Issues
	for _, n := range g.Nodes {
		switch {
		case n.Type == ir.TInput:
			shape := shapeOf(n)
			nl.Inputs = append(nl.Inputs, &ir.Port{Name: n.Name, Shape: shape, Size: ir.NumElements(shape)})
		case ir.IsNeuron(n.Type):
			p, err := newPopulation(n, sem)
			if err != nil {
				errs.Add(n.Name, ir.ErrBadParam, "%v", err)
				continue
			}
			nl.Populations = append(nl.Populations, p)
		case ir.IsLinear(n.Type), n.Type == ir.TOutput:
		default:
			errs.Add(n.Name, ir.ErrUnsupported, "node type %s cannot be lowered", n.Type)
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	f := &folder{g: g, nl: nl, dt: sem.Dt, ops: map[string]*linOp{}}
	for _, pop := range nl.Populations {
		if err := f.foldInto(pop); err != nil {
			errs = append(errs, ir.Issue{Where: pop.Name, Err: ErrLower, Msg: err.Error()})
		}
	}
	for _, n := range g.Nodes {
		if n.Type != ir.TOutput {
			continue
		}
		src := g.Inputs(n.Name)
		if len(src) != 1 {
			errs.Add(n.Name, ErrLower, "an Output needs exactly one incoming edge, has %d", len(src))
			continue
		}
		pop := nl.Population(src[0])
		if pop == nil {
			errs.Add(n.Name, ir.ErrUnsupported, "Output fed by %q (%s): snnc records outputs of neuron nodes only; insert a neuron node before the Output", src[0], g.Node(src[0]).Type)
			continue
		}
		kind := "spikes"
		if !pop.Spiking {
			kind = "v"
		}
		nl.Outputs = append(nl.Outputs, &ir.Port{Name: n.Name, Shape: pop.Shape, Size: pop.Size, Source: pop.Name, Kind: kind})
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	orderPopulations(nl)
	return nl, nil
}

func shapeOf(n *ir.Node) []int {
	if n.OutShape != nil {
		return append([]int(nil), n.OutShape...)
	}
	if t := n.P("shape"); t != nil {
		s := make([]int, len(t.Data))
		for i, v := range t.Data {
			s[i] = int(v)
		}
		return s
	}
	return nil
}

// orderPopulations sorts populations into zero-latency evaluation order and marks the
// projections that close a cycle (or run with one-step latency) with Latency 1.
func orderPopulations(nl *ir.Netlist) {
	zero := nl.Semantics.EdgeLatency == "zero"
	idx := map[string]int{}
	for i, p := range nl.Populations {
		idx[p.Name] = i
	}
	// DFS over projection graph in name order to find back edges.
	succ := make([][]*ir.Projection, len(nl.Populations))
	for _, pr := range nl.Projections {
		if i, ok := idx[pr.Pre]; ok {
			succ[i] = append(succ[i], pr)
		}
	}
	state := make([]int, len(nl.Populations)) // 0 new, 1 on stack, 2 done
	var post []int
	var visit func(i int)
	visit = func(i int) {
		state[i] = 1
		for _, pr := range succ[i] {
			j := idx[pr.Post]
			switch state[j] {
			case 0:
				visit(j)
			case 1:
				pr.Latency = 1 // closes a cycle
			}
		}
		state[i] = 2
		post = append(post, i)
	}
	// Roots first: populations fed by inputs or nothing, in name order; then the rest.
	hasPopIn := make([]bool, len(nl.Populations))
	for _, pr := range nl.Projections {
		if _, ok := idx[pr.Pre]; ok {
			hasPopIn[idx[pr.Post]] = true
		}
	}
	for i := range nl.Populations {
		if !hasPopIn[i] && state[i] == 0 {
			visit(i)
		}
	}
	for i := range nl.Populations {
		if state[i] == 0 {
			visit(i)
		}
	}
	order := make([]*ir.Population, 0, len(post))
	for k := len(post) - 1; k >= 0; k-- {
		order = append(order, nl.Populations[post[k]])
	}
	for i, p := range order {
		p.Order = i
	}
	nl.Populations = order
	for _, pr := range nl.Projections {
		if !zero {
			pr.Latency = 1
		}
	}
	sort.SliceStable(nl.Projections, func(a, b int) bool {
		pa, pb := nl.Population(nl.Projections[a].Post).Order, nl.Population(nl.Projections[b].Post).Order
		return pa < pb
	})
}

// CheckNetlist verifies netlist invariants (see ir.Netlist.Check).
func CheckNetlist(nl *ir.Netlist) error { return nl.Check() }
