package crossbar

import (
	"math"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
)

// neurons is the digital (or memristive) periphery of a range of one population. The
// float update is the netlist's discretized equations (ir.Population, model-format.md
// "Discrete-time meaning"):
//
//	I ← alpha·I + a_in·x                     (CubaLIF, CubaLI)
//	v ← beta·v + b_leak + b_in·d,  d = I or x
//
// then threshold, reset (immediate or next_step; to_value, subtract or none) and
// refractory steps.
type neurons struct {
	n                            int
	syn, spiking                 bool
	alpha, ain, beta, bleak, bin []float64
	vth, vreset, bias, v0        []float64
	ge                           bool // threshold compare ">="
	mode                         string
	nextStep                     bool
	refSteps                     int
	v, i                         []float64
	pending                      []bool
	refr                         []int32
	mem                          bool      // memristive neurons
	thr                          []float64 // current threshold (memristive: redrawn per spike)
	relaxSteps                   []int32   // memristive: extra refractory steps from relaxation
	c2c                          float64
	rng                          *emulator.Rand
	spikes                       int64
}

func param(p *ir.Population, name string, lo, n int, def float64) []float64 {
	v := p.Params[name]
	out := make([]float64, n)
	for k := range out {
		switch len(v) {
		case 0:
			out[k] = def
		case 1:
			out[k] = v[0]
		default:
			out[k] = v[lo+k]
		}
	}
	return out
}

func newNeurons(p *ir.Population, lo, n int, cfg *Config, dt float64, seed uint64, core int) *neurons {
	nu := &neurons{n: n, spiking: p.Spiking, syn: p.Model == ir.TCubaLIF || p.Model == ir.TCubaLI,
		alpha: param(p, "alpha", lo, n, 0), ain: param(p, "a_in", lo, n, 0), beta: param(p, "beta", lo, n, 1),
		bleak: param(p, "b_leak", lo, n, 0), bin: param(p, "b_in", lo, n, 0), vth: param(p, "v_threshold", lo, n, 0),
		vreset: param(p, "v_reset", lo, n, 0), bias: param(p, "bias", lo, n, 0), v0: param(p, "v0", lo, n, 0),
		ge: p.Compare == ">=", mode: p.Reset.Mode, nextStep: p.Reset.Timing == "next_step", refSteps: p.Reset.RefractorySteps,
		v: make([]float64, n), i: make([]float64, n), pending: make([]bool, n), refr: make([]int32, n),
	}
	if nu.mode == "" {
		nu.mode = "to_value"
	}
	nu.thr = append([]float64(nil), nu.vth...)
	if cfg.Neuron == "memristive" && p.Spiking {
		nu.mem = true
		nu.rng = emulator.NewRand(seed, uint64(streamNeuronBase+core))
		nu.relaxSteps = make([]int32, n)
		if cfg.NeuronVar {
			nu.c2c = DefaultCosts.MemC2C
			// Relaxation time log-uniform in [MemRelaxMinS, MemRelaxMaxS] per device;
			// while the threshold switch relaxes the capacitor stays discharged.
			lo, hi := math.Log(DefaultCosts.MemRelaxMinS), math.Log(DefaultCosts.MemRelaxMaxS)
			for k := range nu.relaxSteps {
				tr := math.Exp(lo + (hi-lo)*nu.rng.Float64())
				if dt > 0 {
					nu.relaxSteps[k] = int32(tr / dt)
				}
			}
		}
	}
	nu.reset()
	return nu
}

func (nu *neurons) reset() {
	copy(nu.v, nu.v0)
	for k := range nu.v {
		nu.i[k], nu.pending[k], nu.refr[k] = 0, false, 0
	}
	nu.drawThresholds()
}

func (nu *neurons) drawThresholds() {
	copy(nu.thr, nu.vth)
	if nu.mem && nu.c2c > 0 {
		for k := range nu.thr {
			nu.thr[k] = nu.vth[k] * (1 + nu.c2c*nu.rng.Norm())
		}
	}
}

// step updates every neuron with input x (partial sums; bias added here) and appends
// the local ids (plus off) of spiking neurons to fired. The order of operations is the
// reference's (targets/ref): synapse, pending next-step reset, membrane, refractory
// hold, threshold, reset.
func (nu *neurons) step(x []float64, fired []int32, off int32) []int32 {
	for k := 0; k < nu.n; k++ {
		in := x[k] + nu.bias[k]
		cur := in
		if nu.syn {
			cur = nu.alpha[k]*nu.i[k] + nu.ain[k]*in
			nu.i[k] = cur
		}
		theta := nu.thr[k]
		v := nu.v[k]
		pend := nu.pending[k]
		if pend && nu.mode == "to_value" {
			v = nu.vreset[k]
		}
		v = nu.beta[k]*v + nu.bleak[k] + nu.bin[k]*cur
		if pend {
			if nu.mode == "subtract" {
				v -= theta
			}
			nu.pending[k] = false
		}
		s := false
		if nu.refr[k] > 0 {
			v = nu.vreset[k]
			nu.refr[k]--
		} else if nu.spiking {
			s = v > theta || (nu.ge && v == theta)
		}
		if s {
			fired = append(fired, off+int32(k))
			nu.spikes++
			if nu.nextStep {
				nu.pending[k] = nu.mode != "none"
			} else {
				switch nu.mode {
				case "to_value":
					v = nu.vreset[k]
				case "subtract":
					v -= theta
				}
			}
			nu.refr[k] = int32(nu.refSteps)
			if nu.mem {
				// The threshold switch relaxes for relaxSteps more steps (capacitor
				// held discharged), and the next switching threshold is redrawn
				// (cycle-to-cycle variation).
				nu.refr[k] += nu.relaxSteps[k]
				if nu.c2c > 0 {
					nu.thr[k] = nu.vth[k] * (1 + nu.c2c*nu.rng.Norm())
				}
			}
		}
		nu.v[k] = v
	}
	return fired
}
