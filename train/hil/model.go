package hil

import (
	"fmt"
	"math"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/train"
)

// ModelFromGraph rebuilds the train.Model an snn-json written by `snnc train` describes
// (train.Model.ExportGraph is its inverse): the chain input → fc1 → lif1 [⇄ rec1] → … →
// fcL → out → output, with the decays recovered from tau_syn, tau_mem and dt. The
// surrogate is not part of the exported meaning; the train defaults are used (override
// Cfg.Surrogate afterwards). The training metadata (train.ReadMeta) is returned too
// (nil when the model carries none).
func ModelFromGraph(g *ir.Graph) (*train.Model, *train.ExportMeta, error) {
	L := 0
	for g.Node(train.ProjName(L)) != nil {
		L++
	}
	if L == 0 {
		return nil, nil, fmt.Errorf("%w: no Affine node %q (a model written by snnc train has fc1, lif1, …, out)", ErrModel, train.ProjName(0))
	}
	sem := g.Semantics
	dt := sem.Dt
	if !(dt > 0) {
		return nil, nil, fmt.Errorf("%w: dt %g", ErrModel, dt)
	}
	sizes := []int{}
	cfg := train.DefaultConfig()
	cfg.Dt = dt
	scalar := func(n *ir.Node, name string) (float64, error) {
		t := n.P(name)
		if t == nil || len(t.Data) == 0 {
			return 0, fmt.Errorf("%w: node %s has no parameter %s", ErrModel, n.Name, name)
		}
		for _, v := range t.Data[1:] {
			if v != t.Data[0] {
				return 0, fmt.Errorf("%w: node %s: %s varies per neuron; the trainer uses one value per model", ErrModel, n.Name, name)
			}
		}
		return t.Data[0], nil
	}
	decay := func(tau float64) float64 {
		if sem.Discretization == "exact" {
			return math.Exp(-dt / tau)
		}
		return 1 - dt/tau
	}
	type layerParams struct {
		w, b, v []float64
		in, out int
		dale    []float64
	}
	var lps []layerParams
	recurrent := 0
	for i := 0; i < L; i++ {
		fc := g.Node(train.ProjName(i))
		if fc.Type != ir.TAffine {
			return nil, nil, fmt.Errorf("%w: node %s is %s, want Affine", ErrModel, fc.Name, fc.Type)
		}
		wt := fc.P("weight")
		if wt == nil || len(wt.Shape) != 2 || len(wt.Data) != wt.Shape[0]*wt.Shape[1] {
			return nil, nil, fmt.Errorf("%w: node %s: weight must be a 2-d (out, in) tensor", ErrModel, fc.Name)
		}
		out, in := wt.Shape[0], wt.Shape[1]
		if i == 0 {
			sizes = append(sizes, in)
		} else if in != sizes[len(sizes)-1] {
			return nil, nil, fmt.Errorf("%w: node %s takes %d inputs, the layer before has %d neurons", ErrModel, fc.Name, in, sizes[len(sizes)-1])
		}
		sizes = append(sizes, out)
		lp := layerParams{w: wt.Data, in: in, out: out, b: make([]float64, out)}
		if bt := fc.P("bias"); bt != nil {
			if len(bt.Data) != out {
				return nil, nil, fmt.Errorf("%w: node %s: bias has %d values, want %d", ErrModel, fc.Name, len(bt.Data), out)
			}
			copy(lp.b, bt.Data)
		}
		if fc.Snnc != nil && fc.Snnc.Dale != nil {
			lp.dale = fc.Snnc.Dale
		}
		pop := g.Node(train.PopName(i, L))
		if pop == nil {
			return nil, nil, fmt.Errorf("%w: no population node %q after %s", ErrModel, train.PopName(i, L), fc.Name)
		}
		spiking := pop.Type == ir.TCubaLIF
		if !spiking && pop.Type != ir.TCubaLI {
			return nil, nil, fmt.Errorf("%w: node %s is %s, want CubaLIF or CubaLI", ErrModel, pop.Name, pop.Type)
		}
		if i < L-1 && !spiking {
			return nil, nil, fmt.Errorf("%w: hidden node %s is %s, want CubaLIF", ErrModel, pop.Name, pop.Type)
		}
		if i == L-1 {
			cfg.Readout = "leaky"
			if spiking {
				cfg.Readout = "spiking"
			}
		}
		tauSyn, err := scalar(pop, "tau_syn")
		if err != nil {
			return nil, nil, err
		}
		tauMem, err := scalar(pop, "tau_mem")
		if err != nil {
			return nil, nil, err
		}
		a, b := decay(tauSyn), decay(tauMem)
		if i > 0 && (a != cfg.Alpha || b != cfg.Beta) {
			return nil, nil, fmt.Errorf("%w: node %s has decays (%g, %g), the layers before (%g, %g); the trainer uses one neuron model", ErrModel, pop.Name, a, b, cfg.Alpha, cfg.Beta)
		}
		cfg.Alpha, cfg.Beta = a, b
		for _, chk := range []struct {
			name string
			want float64
		}{{"w_in", 1 / (1 - a)}, {"r", 1 / (1 - b)}, {"v_leak", 0}} {
			v, err := scalar(pop, chk.name)
			if err != nil {
				return nil, nil, err
			}
			if math.Abs(v-chk.want) > 1e-9*math.Max(1, math.Abs(chk.want)) {
				return nil, nil, fmt.Errorf("%w: node %s: %s = %g, the trainer's normalization needs %g", ErrModel, pop.Name, chk.name, v, chk.want)
			}
		}
		if spiking {
			th, err := scalar(pop, "v_threshold")
			if err != nil {
				return nil, nil, err
			}
			cfg.Threshold = th
		}
		if rec := g.Node(train.RecName(i)); rec != nil {
			rt := rec.P("weight")
			if rt == nil || len(rt.Data) != out*out {
				return nil, nil, fmt.Errorf("%w: node %s: weight must be %d×%d", ErrModel, rec.Name, out, out)
			}
			lp.v = rt.Data
			recurrent++
		}
		lps = append(lps, lp)
	}
	if recurrent != 0 && recurrent != L-1 {
		return nil, nil, fmt.Errorf("%w: %d of %d hidden layers are recurrent; the trainer makes all or none recurrent", ErrModel, recurrent, L-1)
	}
	cfg.Sizes = sizes
	cfg.Recurrent = recurrent > 0
	switch sem.Reset.Mode {
	case "subtract":
		cfg.Reset = train.ResetSubtract
	case "to_value":
		cfg.Reset = train.ResetZero
	default:
		return nil, nil, fmt.Errorf("%w: reset mode %q (want subtract or to_value)", ErrModel, sem.Reset.Mode)
	}
	if sem.ThresholdCompare != ">" || sem.EdgeLatency != "zero" {
		return nil, nil, fmt.Errorf("%w: threshold_compare %q and edge_latency %q (the trainer writes > and zero)", ErrModel, sem.ThresholdCompare, sem.EdgeLatency)
	}
	meta := train.ReadMeta(g)
	switch {
	case cfg.Readout == "spiking":
		cfg.Loss = train.LossCount
	case meta != nil && (meta.Decode == train.LossMax || meta.Decode == train.LossSum):
		cfg.Loss = meta.Decode
	default:
		cfg.Loss = train.LossSum
	}
	m, err := train.New(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrModel, err)
	}
	for i, lp := range lps {
		if err := m.SetWeights(train.ProjName(i), lp.w); err != nil {
			return nil, nil, err
		}
		copy(m.Layers[i].B, lp.b)
		if lp.v != nil {
			if err := m.SetWeights(train.RecName(i), lp.v); err != nil {
				return nil, nil, err
			}
		}
		if lp.dale != nil {
			m.Layers[i].Dale = append([]float64(nil), lp.dale...)
		}
	}
	return m, meta, nil
}
