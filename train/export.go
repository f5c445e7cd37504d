package train

import (
	"encoding/json"
	"fmt"

	"github.com/snnc/snnc/ir"
)

// ExportMeta is what an exported model records about its training (kept in the graph's
// metadata under "snnc_train"; it never changes the model's meaning).
type ExportMeta struct {
	Dataset  string  `json:"dataset,omitempty"`
	Encoder  string  `json:"encoder,omitempty"`
	Steps    int     `json:"steps"`
	Decode   string  `json:"decode"` // "count", "max" or "sum": how predictions are read
	Seed     uint64  `json:"seed"`
	TestAcc  float64 `json:"test_accuracy,omitempty"`
	EvalSeed uint64  `json:"eval_seed"`
}

// Input and Output node names of an exported model.
const (
	InputName  = "input"
	OutputName = "output"
)

// ExportGraph returns the model as an ir.Graph whose discrete-time meaning
// (model-format.md) is exactly the trainer's update:
//
//   - discretization "euler" with τ_syn = dt/(1−α), τ_mem = dt/(1−β), w_in = 1/(1−α),
//     r = 1/(1−β), v_leak = 0: then I ← α·I + x and v ← β·v + I. The decays are checked
//     to round-trip (1 − dt/τ == α in float64); with α, β of the form 1 − 2^−k and dt a
//     power of two (the defaults) every coefficient is exact.
//   - reset "subtract" (or "to_value" with v_reset 0 for ResetZero), timing "next_step":
//     U_t = β·U_{t−1} + I_t − θ·S_{t−1}.
//   - threshold_compare ">", edge_latency "zero" (every layer sees its input layer's
//     spikes of the same step), recurrence "prev_step" (rec edges carry S_{t−1}).
//
// Nodes: input → fc1 (Affine) → lif1 (CubaLIF) [→ rec1 (Affine) → lif1] → fc2 → … →
// out (CubaLI for a leaky readout, CubaLIF for a spiking one) → output.
func (m *Model) ExportGraph(meta ExportMeta) (*ir.Graph, error) {
	c := m.Cfg
	dt := c.Dt
	tauSyn, tauMem := dt/(1-c.Alpha), dt/(1-c.Beta)
	if a := 1 - dt/tauSyn; a != c.Alpha {
		return nil, fmt.Errorf("%w: alpha %v becomes %v after euler discretization at dt %v; use alpha = 1 − 2^−k", ErrExportable, c.Alpha, a, dt)
	}
	if b := 1 - dt/tauMem; b != c.Beta {
		return nil, fmt.Errorf("%w: beta %v becomes %v after euler discretization at dt %v; use beta = 1 − 2^−k", ErrExportable, c.Beta, b, dt)
	}
	sem := ir.DefaultSemantics(dt)
	sem.Discretization = "euler"
	sem.Reset = ir.ResetRule{Mode: "subtract", Timing: "next_step"}
	if c.Reset == ResetZero {
		sem.Reset.Mode = "to_value"
	}
	sem.ThresholdCompare = ">"
	sem.EdgeLatency = "zero"
	sem.Recurrence = "prev_step"
	g := &ir.Graph{Semantics: sem}
	add := func(n *ir.Node) { g.AddNode(n) }
	edge := func(a, b string) { g.Edges = append(g.Edges, ir.Edge{From: a, To: b}) }
	L := len(m.Layers)
	add(&ir.Node{Name: InputName, Type: ir.TInput, Params: map[string]*ir.Tensor{"shape": ir.Vector(float64(m.Layers[0].In))}})
	prev := InputName
	for i, l := range m.Layers {
		w, _ := m.Weights(ProjName(i))
		fc := ProjName(i)
		add(&ir.Node{Name: fc, Type: ir.TAffine, Params: map[string]*ir.Tensor{
			"weight": {Shape: []int{l.Out, l.In}, Data: w, DType: "f64"},
			"bias":   {Shape: []int{l.Out}, Data: append([]float64(nil), l.B...), DType: "f64"},
		}})
		if l.Dale != nil {
			g.Node(fc).Snnc = &ir.NodeOverrides{Dale: append([]float64(nil), l.Dale...)}
		}
		pop := PopName(i, L)
		typ := ir.TCubaLIF
		if !l.Spiking {
			typ = ir.TCubaLI
		}
		p := map[string]*ir.Tensor{
			"tau_syn": ir.Scalar(tauSyn), "tau_mem": ir.Scalar(tauMem),
			"r": ir.Scalar(1 / (1 - c.Beta)), "w_in": ir.Scalar(1 / (1 - c.Alpha)), "v_leak": ir.Scalar(0),
		}
		if l.Spiking {
			p["v_threshold"], p["v_reset"] = ir.Scalar(c.Threshold), ir.Scalar(0)
		}
		add(&ir.Node{Name: pop, Type: typ, Params: p})
		edge(prev, fc)
		edge(fc, pop)
		if l.V != nil {
			v, _ := m.Weights(RecName(i))
			rec := RecName(i)
			add(&ir.Node{Name: rec, Type: ir.TAffine, Params: map[string]*ir.Tensor{
				"weight": {Shape: []int{l.Out, l.Out}, Data: v, DType: "f64"},
				"bias":   {Shape: []int{l.Out}, Data: make([]float64, l.Out), DType: "f64"},
			}})
			edge(pop, rec)
			edge(rec, pop)
		}
		prev = pop
	}
	out := m.Layers[L-1].Out
	add(&ir.Node{Name: OutputName, Type: ir.TOutput, Params: map[string]*ir.Tensor{"shape": ir.Vector(float64(out))}})
	edge(prev, OutputName)
	meta.Decode = c.Loss
	if meta.Steps == 0 {
		return nil, fmt.Errorf("%w: export needs the number of steps", ErrConfig)
	}
	inKind, outKind := "current", "v_mem"
	if meta.Encoder != "" && meta.Encoder != "current" && !hasPrefix(meta.Encoder, "current:") {
		inKind = "spikes"
	}
	if c.Readout == "spiking" {
		outKind = "spike_count"
	}
	io, _ := json.Marshal(map[string]any{"input": inKind, "output": outKind, "num_steps": meta.Steps})
	g.IO = io
	md, _ := json.Marshal(map[string]any{"snnc_train": meta})
	g.Metadata = md
	g.Source, _ = json.Marshal(map[string]string{"framework": "snnc train"})
	return g, nil
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// ReadMeta returns the training metadata of an exported graph (nil when absent).
func ReadMeta(g *ir.Graph) *ExportMeta {
	if len(g.Metadata) == 0 {
		return nil
	}
	var md struct {
		T *ExportMeta `json:"snnc_train"`
	}
	if json.Unmarshal(g.Metadata, &md) != nil {
		return nil
	}
	return md.T
}
