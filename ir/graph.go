package ir

import (
	"encoding/json"
	"sort"
)

// Node types of NIR 1.0 and the snnc extensions (shared/spec/model-format.md).
const (
	TInput            = "Input"
	TOutput           = "Output"
	TAffine           = "Affine"
	TLinear           = "Linear"
	TScale            = "Scale"
	TConv1d           = "Conv1d"
	TConv2d           = "Conv2d"
	TSumPool2d        = "SumPool2d"
	TAvgPool2d        = "AvgPool2d"
	TFlatten          = "Flatten"
	TDelay            = "Delay"
	TThreshold        = "Threshold"
	TI                = "I"
	TLI               = "LI"
	TIF               = "IF"
	TLIF              = "LIF"
	TCubaLI           = "CubaLI"
	TCubaLIF          = "CubaLIF"
	TGraph            = "NIRGraph"
	TAdaptiveLIF      = "snnc.AdaptiveLIF"
	TAHPLIF           = "snnc.AHPLIF"
	TMultiCompartment = "snnc.MultiCompartment"
	TDelayedLinear    = "snnc.DelayedLinear"
	TLocallyConn2d    = "snnc.LocallyConnected2d"
	TBatchNormTT      = "snnc.BatchNormTT"
	TLoihiCUBA        = "snnc.loihi.CUBA"
	TLoihiDense       = "snnc.loihi.Dense"
)

// KnownTypes lists every accepted node type with the parameters it requires.
var KnownTypes = map[string][]string{
	TInput: {"shape"}, TOutput: {"shape"},
	TAffine: {"weight", "bias"}, TLinear: {"weight"}, TScale: {"scale"},
	TConv1d: {"weight"}, TConv2d: {"weight"},
	TSumPool2d: {"kernel_size"}, TAvgPool2d: {"kernel_size"},
	TFlatten: {}, TDelay: {"delay"}, TThreshold: {"threshold"},
	TI: {"r"}, TLI: {"tau", "r", "v_leak"}, TIF: {"r", "v_threshold"},
	TLIF:    {"tau", "r", "v_leak", "v_threshold"},
	TCubaLI: {"tau_syn", "tau_mem", "r", "v_leak"}, TCubaLIF: {"tau_syn", "tau_mem", "r", "v_leak", "v_threshold"},
	TGraph:            {},
	TAdaptiveLIF:      {"tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "tau_adapt", "beta_adapt"},
	TAHPLIF:           {"tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "tau_ahp", "w_ahp"},
	TMultiCompartment: {}, TDelayedLinear: {"weight", "delay_steps"},
	TLocallyConn2d: {"weight"}, TBatchNormTT: {"gamma", "beta", "mean", "var"},
	TLoihiCUBA: {"du", "dv", "vth"}, TLoihiDense: {"weight"},
}

// IsNeuron reports whether nodes of this type hold state and form a population.
func IsNeuron(typ string) bool {
	switch typ {
	case TI, TLI, TIF, TLIF, TCubaLI, TCubaLIF, TThreshold, TAdaptiveLIF, TAHPLIF, TMultiCompartment, TLoihiCUBA:
		return true
	}
	return false
}

// IsLinear reports whether nodes of this type are stateless linear maps (projections).
func IsLinear(typ string) bool {
	switch typ {
	case TAffine, TLinear, TScale, TConv1d, TConv2d, TSumPool2d, TAvgPool2d, TFlatten,
		TDelayedLinear, TLocallyConn2d, TLoihiDense, TDelay:
		return true
	}
	return false
}

// ResetRule is the reset semantics (model-format.md "defaults.reset").
type ResetRule struct {
	Mode            string `json:"mode"`   // "to_value" | "subtract" | "none"
	Timing          string `json:"timing"` // "immediate" | "next_step"
	RefractorySteps int    `json:"refractory_steps"`
}

// Semantics is the header that fixes what NIR leaves to each backend.
type Semantics struct {
	Dt               float64   // seconds
	Discretization   string    // "exact" | "euler"
	Reset            ResetRule // default reset
	ThresholdCompare string    // ">" | ">="
	EdgeLatency      string    // "one_step" | "zero"
	Recurrence       string    // "prev_step"
	FanIn            string    // "sum"
}

// DefaultSemantics returns the format's defaults with the given dt.
func DefaultSemantics(dt float64) Semantics {
	return Semantics{Dt: dt, Discretization: "exact", Reset: ResetRule{Mode: "to_value", Timing: "immediate"},
		ThresholdCompare: ">", EdgeLatency: "one_step", Recurrence: "prev_step", FanIn: "sum"}
}

// Compartment is one compartment of a snnc.MultiCompartment node.
type Compartment struct {
	Type   string             `json:"type"` // "LI" or "LIF" like
	Params map[string]*Tensor `json:"params"`
	Join   string             `json:"join"`   // add, min, max, pass, and, or, mul
	Parent int                `json:"parent"` // -1 for the soma
}

// NodeOverrides is a node's optional "snnc" object.
type NodeOverrides struct {
	Reset            *ResetRule        `json:"reset,omitempty"`
	ThresholdCompare string            `json:"threshold_compare,omitempty"`
	Dale             []float64         `json:"dale,omitempty"`
	Hints            map[string]string `json:"hints,omitempty"`
}

// Node is one NIR node.
type Node struct {
	Name   string
	Type   string
	Params map[string]*Tensor // numeric parameters, NIR names
	Attrs  map[string]string  // string parameters (e.g. padding "same")
	// InShape and OutShape are filled by shape inference (nil when unknown).
	InShape, OutShape []int
	Sub               *Graph        // nested NIRGraph
	Compartments      []Compartment // snnc.MultiCompartment
	Soma              int           // snnc.MultiCompartment soma index
	Snnc              *NodeOverrides
	Metadata          json.RawMessage // kept verbatim, never changes meaning
}

// P returns parameter name or nil.
func (n *Node) P(name string) *Tensor {
	if n.Params == nil {
		return nil
	}
	return n.Params[name]
}

// Edge connects the output of From to the input of To.
type Edge struct{ From, To string }

// Graph is a NIR graph plus the snn-json header.
type Graph struct {
	Nodes     []*Node // sorted by name
	Edges     []Edge  // in file order
	Semantics Semantics
	Requires  []string
	Source    json.RawMessage
	IO        json.RawMessage
	Metadata  json.RawMessage
	// Log is the conversion log: every normalization applied, in order.
	Log []string
}

// Node returns the node called name, or nil.
func (g *Graph) Node(name string) *Node {
	i := sort.Search(len(g.Nodes), func(i int) bool { return g.Nodes[i].Name >= name })
	if i < len(g.Nodes) && g.Nodes[i].Name == name {
		return g.Nodes[i]
	}
	return nil
}

// AddNode inserts n keeping Nodes sorted; it returns false if the name exists.
func (g *Graph) AddNode(n *Node) bool {
	i := sort.Search(len(g.Nodes), func(i int) bool { return g.Nodes[i].Name >= n.Name })
	if i < len(g.Nodes) && g.Nodes[i].Name == n.Name {
		return false
	}
	g.Nodes = append(g.Nodes, nil)
	copy(g.Nodes[i+1:], g.Nodes[i:])
	g.Nodes[i] = n
	return true
}

// RemoveNode deletes the node and every edge touching it.
func (g *Graph) RemoveNode(name string) {
	for i, n := range g.Nodes {
		if n.Name == name {
			g.Nodes = append(g.Nodes[:i], g.Nodes[i+1:]...)
			break
		}
	}
	out := g.Edges[:0]
	for _, e := range g.Edges {
		if e.From != name && e.To != name {
			out = append(out, e)
		}
	}
	g.Edges = out
}

// Inputs returns the sources of edges into name, in edge order.
func (g *Graph) Inputs(name string) []string {
	var out []string
	for _, e := range g.Edges {
		if e.To == name {
			out = append(out, e.From)
		}
	}
	return out
}

// Outputs returns the targets of edges out of name, in edge order.
func (g *Graph) Outputs(name string) []string {
	var out []string
	for _, e := range g.Edges {
		if e.From == name {
			out = append(out, e.To)
		}
	}
	return out
}

// Logf appends a line to the conversion log.
func (g *Graph) Logf(format string, args ...any) {
	g.Log = append(g.Log, sprintf(format, args...))
}
