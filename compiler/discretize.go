package compiler

import (
	"fmt"
	"math"

	"github.com/snnc/snnc/ir"
)

// tau0 is the implicit time constant of NIR's IF and I nodes (model-format.md: τ₀ = 1 s).
const tau0 = 1.0

// neuronParams lists the per-neuron parameters each model keeps, with defaults for the
// optional ones (NaN: required).
var neuronParams = map[string]map[string]float64{
	ir.TLIF:         {"tau": nan, "r": nan, "v_leak": 0, "v_threshold": nan, "v_reset": 0},
	ir.TLI:          {"tau": nan, "r": nan, "v_leak": 0},
	ir.TIF:          {"r": nan, "v_threshold": nan, "v_reset": 0},
	ir.TI:           {"r": nan},
	ir.TCubaLIF:     {"tau_syn": nan, "tau_mem": nan, "r": nan, "v_leak": 0, "v_threshold": nan, "v_reset": 0, "w_in": 1},
	ir.TCubaLI:      {"tau_syn": nan, "tau_mem": nan, "r": nan, "v_leak": 0, "w_in": 1},
	ir.TThreshold:   {"threshold": nan},
	ir.TAdaptiveLIF: {"tau_syn": nan, "tau_mem": nan, "r": nan, "v_leak": 0, "v_threshold": nan, "v_reset": 0, "w_in": 1, "tau_adapt": nan, "beta_adapt": nan},
	ir.TAHPLIF:      {"tau_syn": nan, "tau_mem": nan, "r": nan, "v_leak": 0, "v_threshold": nan, "v_reset": 0, "w_in": 1, "tau_ahp": nan, "w_ahp": nan},
	ir.TLoihiCUBA: {"du": nan, "dv": nan, "vth": nan, "bias_mant": 0, "bias_exp": 0, "refract_delay": 1,
		"neg_vm_limit": 23, "pos_vm_limit": 7, "u0": 0, "v0": 0},
	ir.TMultiCompartment: {},
}

var nan = math.NaN()

// newPopulation builds a population and runs the discretize pass on it.
func newPopulation(n *ir.Node, sem ir.Semantics) (*ir.Population, error) {
	shape := shapeOf(n)
	if shape == nil {
		// neuron shape from its largest parameter
		for _, t := range n.Params {
			if len(t.Data) > ir.NumElements(shape) {
				shape = append([]int(nil), t.Shape...)
			}
		}
	}
	size := ir.NumElements(shape)
	if size <= 0 {
		return nil, fmt.Errorf("cannot tell the population size (no shape)")
	}
	p := &ir.Population{Name: n.Name, Model: n.Type, Shape: shape, Size: size, Params: map[string][]float64{},
		Reset: sem.Reset, Compare: sem.ThresholdCompare}
	if o := n.Snnc; o != nil {
		if o.Reset != nil {
			p.Reset = *o.Reset
		}
		if o.ThresholdCompare != "" {
			p.Compare = o.ThresholdCompare
		}
	}
	switch n.Type {
	case ir.TLI, ir.TCubaLI, ir.TI:
		p.Spiking = false
	default:
		p.Spiking = true
	}
	spec := neuronParams[n.Type]
	for name, def := range spec {
		t := n.P(name)
		if t == nil {
			if math.IsNaN(def) {
				return nil, fmt.Errorf("%s needs parameter %s", n.Type, name)
			}
			t = ir.Scalar(def)
		}
		v, err := t.Broadcast(size)
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %v", name, err)
		}
		p.Params[name] = v
	}
	if n.Type == ir.TMultiCompartment {
		p.Compartments = n.Compartments
		p.Soma = n.Soma
	}
	if n.Type == ir.TLoihiCUBA {
		// Already-quantized registers (du, dv, vth are per node in the spec; kept per
		// neuron like every parameter): nothing to discretize.
		return p, nil
	}
	return p, discretize(p, sem)
}

// decay returns the per-step decay factor of a time constant.
func decay(tau, dt float64, disc string) float64 {
	if disc == "euler" {
		return 1 - dt/tau
	}
	return math.Exp(-dt / tau)
}

// discretize writes alpha, beta, a_in, b_leak, b_in (and rho, a_adapt) per neuron
// (model-format.md "Discrete-time meaning").
func discretize(p *ir.Population, sem ir.Semantics) error {
	dt, disc := sem.Dt, sem.Discretization
	n := p.Size
	get := func(k string) []float64 { return p.Params[k] }
	mk := func() []float64 { return make([]float64, n) }
	alpha, beta, ain, bleak, bin := mk(), mk(), mk(), mk(), mk()
	for i := 0; i < n; i++ {
		switch p.Model {
		case ir.TLIF, ir.TLI:
			tau := get("tau")[i]
			if !(tau > 0) {
				return fmt.Errorf("tau[%d] = %g must be > 0", i, tau)
			}
			b := decay(tau, dt, disc)
			beta[i], bleak[i], bin[i] = b, (1-b)*get("v_leak")[i], (1-b)*get("r")[i]
		case ir.TIF, ir.TI:
			beta[i], bin[i] = 1, dt/tau0*get("r")[i]
		case ir.TCubaLIF, ir.TCubaLI, ir.TAdaptiveLIF, ir.TAHPLIF:
			ts, tm := get("tau_syn")[i], get("tau_mem")[i]
			if !(ts > 0) || !(tm > 0) {
				return fmt.Errorf("tau_syn[%d] = %g and tau_mem[%d] = %g must be > 0", i, ts, i, tm)
			}
			a, b := decay(ts, dt, disc), decay(tm, dt, disc)
			alpha[i], ain[i] = a, (1-a)*get("w_in")[i]
			beta[i], bleak[i], bin[i] = b, (1-b)*get("v_leak")[i], (1-b)*get("r")[i]
		case ir.TThreshold:
		}
		if disc == "euler" && (beta[i] < 0 || alpha[i] < 0) {
			return fmt.Errorf("euler discretization unstable: dt = %g s exceeds a time constant (neuron %d)", dt, i)
		}
	}
	snapOne(ain)
	snapOne(bin)
	p.Params["beta"], p.Params["b_leak"], p.Params["b_in"] = beta, bleak, bin
	switch p.Model {
	case ir.TCubaLIF, ir.TCubaLI, ir.TAdaptiveLIF, ir.TAHPLIF:
		p.Params["alpha"], p.Params["a_in"] = alpha, ain
	}
	if p.Model == ir.TAdaptiveLIF || p.Model == ir.TAHPLIF {
		key := "tau_adapt"
		if p.Model == ir.TAHPLIF {
			key = "tau_ahp"
		}
		rho, ga := mk(), mk()
		for i := 0; i < n; i++ {
			tau := get(key)[i]
			if !(tau > 0) {
				return fmt.Errorf("%s[%d] = %g must be > 0", key, i, tau)
			}
			rho[i] = decay(tau, dt, disc)
			ga[i] = 1 - rho[i]
		}
		p.Params["rho"], p.Params["a_adapt"] = rho, ga
	}
	return nil
}

// snapOne sets gains within 8 ulp of 1 to exactly 1. They come from exporters that
// encode v ← β·v + x as r = 1/(1−β) (snnTorch): (1−β)·1/(1−β) should be 1 but rounds
// to 0.9999999999999999, which would break spike-for-spike agreement with them.
func snapOne(v []float64) {
	for i, x := range v {
		if x != 1 && math.Abs(x-1) <= 8*0x1p-52 {
			v[i] = 1
		}
	}
}
