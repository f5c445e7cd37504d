package ir

import "fmt"

// ConnKind is the connectivity of a projection.
type ConnKind int

const (
	Dense    ConnKind = iota // W has PostSize×PreSize entries, row-major (post, pre)
	Sparse                   // W, PreIdx, PostIdx have one entry per synapse
	Conv                     // W is the kernel (Cout, Cin/groups, kh, kw); Conv describes the geometry
	OneToOne                 // W has PreSize entries (PreSize == PostSize)
)

func (k ConnKind) String() string {
	return [...]string{"dense", "sparse", "conv", "one_to_one"}[k]
}

// ConvSpec is the geometry of a 2-d convolution (1-d convs use H = 1).
type ConvSpec struct {
	InC, InH, InW    int
	OutC, OutH, OutW int
	KH, KW           int
	StrideH, StrideW int
	PadH, PadW       int
	DilH, DilW       int
	Groups           int
}

// Port is a network input or output.
type Port struct {
	Name  string
	Shape []int
	Size  int
	// Source is the population an Output reads (empty for inputs).
	Source string
	// Kind is "spikes" for spiking sources, "v" for graded (LI, CubaLI, I) sources.
	Kind string
}

// Population is a group of identical-model neurons.
//
// Params holds per-neuron values (broadcast to Size) under NIR names (tau_mem, tau_syn,
// tau, r, v_leak, v_threshold, v_reset, w_in, ...), "bias" (constant input per step, from
// Affine biases), and the discretized coefficients written by the compiler's discretize
// pass, which every float target uses:
//
//	alpha  synaptic decay per step (CubaLIF, CubaLI, AdaptiveLIF, AHPLIF)
//	beta   membrane decay per step (1 for IF and I)
//	a_in   input gain of the synaptic current: I ← alpha·I + a_in·x
//	b_leak, b_in: v ← beta·v + b_leak + b_in·I   (I = x for models without a synapse)
//	rho    adaptation / AHP decay per step; a_adapt its input gain
type Population struct {
	Name    string
	Model   string // an ir node type (TLIF, TCubaLIF, ...)
	Shape   []int
	Size    int
	Params  map[string][]float64
	Reset   ResetRule
	Compare string // ">" or ">="
	Spiking bool
	// Compartments and Soma describe a snnc.MultiCompartment population.
	Compartments []Compartment
	Soma         int
	// Order is the population's position in the zero-latency evaluation order.
	Order int
}

// Param returns Params[name] or nil.
func (p *Population) Param(name string) []float64 { return p.Params[name] }

// Projection carries spikes (or graded values) from Pre (an input port or population)
// to Post (a population).
type Projection struct {
	Name              string // the linear node it came from (first of a folded chain)
	Pre, Post         string
	PreSize, PostSize int
	Kind              ConnKind
	W                 []float64
	PreIdx, PostIdx   []int32   // Sparse only
	Conv              *ConvSpec // Conv only
	// Delay is nil (no delay), one value (uniform) or one per synapse in W's layout
	// (Dense, Sparse, OneToOne), in whole steps added to the edge latency.
	Delay []int32
	// Latency is 1 for one-step delivery and 0 for same-step delivery (edge_latency zero);
	// an edge closing a cycle always has latency 1.
	Latency int
	// Dale is an optional sign per presynaptic neuron (+1 excitatory, -1 inhibitory).
	Dale []float64
	// Native holds already-quantized target parameters (e.g. snnc.loihi.Dense weight_exp).
	Native map[string]float64
	Attrs  map[string]string
}

// NumSynapses is the number of stored synapses (conv synapses counted expanded).
func (p *Projection) NumSynapses() int {
	switch p.Kind {
	case Conv:
		n := 0
		p.ForEach(func(_, _ int, _ float64, _ int) { n++ })
		return n
	default:
		return len(p.W)
	}
}

// DelayAt returns the delay of synapse k (in W's layout).
func (p *Projection) DelayAt(k int) int {
	switch len(p.Delay) {
	case 0:
		return 0
	case 1:
		return int(p.Delay[0])
	}
	return int(p.Delay[k])
}

// MaxDelay is the largest synaptic delay.
func (p *Projection) MaxDelay() int {
	m := 0
	for _, d := range p.Delay {
		m = max(m, int(d))
	}
	return m
}

// ForEachSlot calls fn for every synapse slot of the projection, zero weights included
// (a synapse exists on a chip whatever its weight, so SetWeights can change it), with k
// its index in W (for conv: the kernel entry it shares). Order: post-major for dense,
// storage order for one-to-one and sparse, output order for conv.
func (p *Projection) ForEachSlot(fn func(k, pre, post, delay int)) {
	switch p.Kind {
	case Dense:
		for post := 0; post < p.PostSize; post++ {
			for pre := 0; pre < p.PreSize; pre++ {
				k := post*p.PreSize + pre
				fn(k, pre, post, p.DelayAt(k))
			}
		}
	case OneToOne:
		for i := range p.W {
			fn(i, i, i, p.DelayAt(i))
		}
	case Sparse:
		for k := range p.W {
			fn(k, int(p.PreIdx[k]), int(p.PostIdx[k]), p.DelayAt(k))
		}
	case Conv:
		c := p.Conv
		cinG, coutG := c.InC/c.Groups, c.OutC/c.Groups
		d := p.DelayAt(0)
		for oc := 0; oc < c.OutC; oc++ {
			g := oc / coutG
			for oy := 0; oy < c.OutH; oy++ {
				for ox := 0; ox < c.OutW; ox++ {
					post := (oc*c.OutH+oy)*c.OutW + ox
					for icg := 0; icg < cinG; icg++ {
						ic := g*cinG + icg
						for ky := 0; ky < c.KH; ky++ {
							iy := oy*c.StrideH - c.PadH + ky*c.DilH
							if iy < 0 || iy >= c.InH {
								continue
							}
							for kx := 0; kx < c.KW; kx++ {
								ix := ox*c.StrideW - c.PadW + kx*c.DilW
								if ix < 0 || ix >= c.InW {
									continue
								}
								fn(((oc*cinG+icg)*c.KH+ky)*c.KW+kx, (ic*c.InH+iy)*c.InW+ix, post, d)
							}
						}
					}
				}
			}
		}
	}
}

// ForEach calls fn for every synapse with non-zero weight, in ForEachSlot's order.
func (p *Projection) ForEach(fn func(pre, post int, w float64, delay int)) {
	p.ForEachSlot(func(k, pre, post, d int) {
		if w := p.W[k]; w != 0 {
			fn(pre, post, w, d)
		}
	})
}

// CSR is a presynaptic-major synapse table: synapses of pre neuron i are Post[Start[i]:Start[i+1]].
type CSR struct {
	Start []int32
	Post  []int32
	W     []float64
	Delay []int32 // nil when every delay is 0
}

// CSR expands the projection into a presynaptic-major table (zero weights dropped).
func (p *Projection) CSR() *CSR {
	count := make([]int32, p.PreSize+1)
	hasDelay := false
	p.ForEach(func(pre, _ int, _ float64, d int) {
		count[pre+1]++
		if d != 0 {
			hasDelay = true
		}
	})
	for i := 1; i < len(count); i++ {
		count[i] += count[i-1]
	}
	n := count[p.PreSize]
	c := &CSR{Start: count, Post: make([]int32, n), W: make([]float64, n)}
	if hasDelay {
		c.Delay = make([]int32, n)
	}
	fill := append([]int32(nil), count[:p.PreSize]...)
	p.ForEach(func(pre, post int, w float64, d int) {
		k := fill[pre]
		fill[pre]++
		c.Post[k], c.W[k] = int32(post), w
		if hasDelay {
			c.Delay[k] = int32(d)
		}
	})
	return c
}

// Netlist is a lowered network: what targets compile.
type Netlist struct {
	Semantics   Semantics
	Inputs      []*Port
	Outputs     []*Port
	Populations []*Population // in evaluation order (Order field)
	Projections []*Projection
	Log         []string
}

// Population returns the population called name, or nil.
func (n *Netlist) Population(name string) *Population {
	for _, p := range n.Populations {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Input returns the input port called name, or nil.
func (n *Netlist) Input(name string) *Port {
	for _, p := range n.Inputs {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Projection returns the projection called name, or nil.
func (n *Netlist) Projection(name string) *Projection {
	for _, p := range n.Projections {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// SourceSize is the size of a projection's presynaptic side (input or population).
func (n *Netlist) SourceSize(name string) (int, error) {
	if p := n.Population(name); p != nil {
		return p.Size, nil
	}
	if p := n.Input(name); p != nil {
		return p.Size, nil
	}
	return 0, fmt.Errorf("%w: %q is neither an input nor a population", ErrDangling, name)
}

// Into returns the projections whose Post is pop, in netlist order.
func (n *Netlist) Into(pop string) []*Projection {
	var out []*Projection
	for _, p := range n.Projections {
		if p.Post == pop {
			out = append(out, p)
		}
	}
	return out
}
