package ir

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// maxInline is the number of tensor values the text form prints before eliding.
const maxInline = 8

// WriteText writes the canonical text form of the graph (snnc compile --emit graph).
func (g *Graph) WriteText(w io.Writer) {
	s := g.Semantics
	fmt.Fprintf(w, "graph dt=%s discretization=%s reset=%s/%s refractory=%d compare=%q latency=%s recurrence=%s\n",
		num(s.Dt), s.Discretization, s.Reset.Mode, s.Reset.Timing, s.Reset.RefractorySteps, s.ThresholdCompare, s.EdgeLatency, s.Recurrence)
	for _, n := range g.Nodes {
		fmt.Fprintf(w, "node %s %s in=%v out=%v", n.Name, n.Type, n.InShape, n.OutShape)
		keys := make([]string, 0, len(n.Params))
		for k := range n.Params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, " %s=%s", k, tensorText(n.Params[k]))
		}
		akeys := make([]string, 0, len(n.Attrs))
		for k := range n.Attrs {
			akeys = append(akeys, k)
		}
		sort.Strings(akeys)
		for _, k := range akeys {
			fmt.Fprintf(w, " %s=%q", k, n.Attrs[k])
		}
		fmt.Fprintln(w)
	}
	for _, e := range g.Edges {
		fmt.Fprintf(w, "edge %s -> %s\n", e.From, e.To)
	}
	for _, l := range g.Log {
		fmt.Fprintf(w, "# %s\n", l)
	}
}

// WriteText writes the canonical text form of the netlist (snnc compile --emit netlist).
func (n *Netlist) WriteText(w io.Writer) {
	s := n.Semantics
	fmt.Fprintf(w, "netlist dt=%s discretization=%s latency=%s\n", num(s.Dt), s.Discretization, s.EdgeLatency)
	for _, p := range n.Inputs {
		fmt.Fprintf(w, "input %s shape=%v\n", p.Name, p.Shape)
	}
	for _, p := range n.Populations {
		fmt.Fprintf(w, "population %s %s size=%d shape=%v spiking=%v reset=%s/%s/%d compare=%q order=%d\n",
			p.Name, p.Model, p.Size, p.Shape, p.Spiking, p.Reset.Mode, p.Reset.Timing, p.Reset.RefractorySteps, p.Compare, p.Order)
		keys := make([]string, 0, len(p.Params))
		for k := range p.Params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %s=%s\n", k, tensorText(&Tensor{Shape: []int{len(p.Params[k])}, Data: p.Params[k]}))
		}
	}
	for _, p := range n.Projections {
		fmt.Fprintf(w, "projection %s %s -> %s %s %dx%d synapses=%d latency=%d max_delay=%d w=%s\n",
			p.Name, p.Pre, p.Post, p.Kind, p.PostSize, p.PreSize, p.NumSynapses(), p.Latency, p.MaxDelay(),
			tensorText(&Tensor{Shape: []int{len(p.W)}, Data: p.W}))
	}
	for _, p := range n.Outputs {
		fmt.Fprintf(w, "output %s <- %s (%s)\n", p.Name, p.Source, p.Kind)
	}
	for _, l := range n.Log {
		fmt.Fprintf(w, "# %s\n", l)
	}
}

func tensorText(t *Tensor) string {
	if t == nil {
		return "nil"
	}
	var b strings.Builder
	if len(t.Data) == 1 && len(t.Shape) == 0 {
		return num(t.Data[0])
	}
	b.WriteString("[")
	for i, v := range t.Data {
		if i == maxInline {
			fmt.Fprintf(&b, " … %d values", len(t.Data))
			break
		}
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(num(v))
	}
	b.WriteString("]")
	if len(t.Shape) > 1 {
		fmt.Fprintf(&b, "%v", t.Shape)
	}
	return b.String()
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
