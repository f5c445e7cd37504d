package train

import (
	"fmt"
	"math"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/train/data"
)

// InitKaiming draws W ~ Normal(0, 2/fan_in) (V likewise with fan-in Out) and zero biases.
func (m *Model) InitKaiming(seed uint64) {
	for i, l := range m.Layers {
		r := emulator.NewRand(seed, uint64(100+i))
		fill(r, l.W, 0, math.Sqrt(2/float64(l.In)))
		clear(l.B)
		if l.V != nil {
			fill(r, l.V, 0, math.Sqrt(2/float64(l.Out)))
		}
	}
}

func fill(r *emulator.Rand, w []float64, mu, sigma float64) {
	r.FillNorm(w)
	for i := range w {
		w[i] = mu + sigma*w[i]
	}
}

// FluctInit are the parameters of fluctuation-driven initialization.
type FluctInit struct {
	MuU float64 // target mean membrane potential (default 0)
	Xi  float64 // distance of the threshold from μ_U in standard deviations (default 2)
	// RecurrentShare is the variance share of recurrent weights (default 0.1).
	RecurrentShare float64
	// Dale draws exponential magnitudes with fixed signs per presynaptic neuron, 80 %
	// excitatory, the inhibitory mean scaled so that E and I balance.
	Dale bool
	// Samples is the number of data samples the input rates are measured on (default 256).
	Samples int
}

// kernel returns ε̄ and ε̂ of the layer's PSP kernel over the steps-long window: the
// membrane response ε_k to a unit input at step 0 (I_k = α^k, U_k = β·U_{k−1} + I_k).
// For a static input (direct current held every step) the response at step t is the
// running sum C_t = Σ_{k≤t} ε_k, and ε̄, ε̂ are the time averages of C_t and C_t².
// (dt is the unit of time: rates are per step.)
func (m *Model) kernel(steps int, static bool) (bar, hat float64) {
	a, b := m.Cfg.Alpha, m.Cfg.Beta
	I, U, C := 0.0, 0.0, 0.0
	for k := 0; k < steps; k++ {
		if k == 0 {
			I = 1
		} else {
			I *= a
		}
		U = b*U + I
		C += U
		if static {
			bar += C
			hat += C * C
		} else {
			bar += U
			hat += U * U
		}
	}
	if static {
		bar /= float64(steps)
		hat /= float64(steps)
	}
	return bar, hat
}

// InitFluct initializes the model by fluctuation-driven initialization (Rossbroich, Gygax
// & Zenke 2022; shared/spec/training.md): layer by layer, the input's first and second
// moments m = E[x], q = E[x²] per step are measured on ds (for spikes m = q = ν), then
//
//	μ_W = μ_U / (N·m·ε̄),   σ_W² = (θ − μ_U)² / (ξ²·N·q·ε̂) − μ_W²,   W ~ Normal(μ_W, σ_W²)
//
// Recurrent layers give (1 − RecurrentShare) of the variance budget to W and the rest to V
// (with the layer's own rate measured after W is drawn). Biases are zero.
func (m *Model) InitFluct(p FluctInit, ds *data.Dataset, enc data.Encoder, steps int, seed uint64) error {
	if p.Xi == 0 {
		p.Xi = 2
	}
	if p.RecurrentShare == 0 {
		p.RecurrentShare = 0.1
	}
	if p.Samples == 0 {
		p.Samples = 256
	}
	if err := m.checkData(ds, enc); err != nil {
		return err
	}
	sub := ds.Subset(p.Samples)
	theta := m.Cfg.Threshold
	for _, l := range m.Layers {
		clear(l.W)
		clear(l.B)
		clear(l.V)
		l.Dale = nil
	}
	for li, l := range m.Layers {
		var mean, sq float64
		static := false
		if li == 0 {
			mean, sq = inputMoments(sub, enc, steps)
			static = enc.Static()
		} else {
			res, err := Evaluate(m, sub, enc, steps, seed)
			if err != nil {
				return err
			}
			mean = res.Rates[li-1]
			sq = mean
		}
		if mean <= 0 || sq <= 0 {
			return fmt.Errorf("%w: fluctuation init: the input of layer %d is silent on the data (rate %g); use a stronger encoder or Kaiming init", ErrConfig, li+1, mean)
		}
		bar, hat := m.kernel(steps, static)
		share := 1.0
		if l.V != nil {
			share = 1 - p.RecurrentShare
		}
		n := float64(l.In)
		muW := p.MuU / (n * mean * bar)
		varW := share*(theta-p.MuU)*(theta-p.MuU)/(p.Xi*p.Xi*n*sq*hat) - muW*muW
		if varW < 0 {
			varW = 0
		}
		r := emulator.NewRand(seed, uint64(200+li))
		if p.Dale {
			l.Dale = daleDraw(r, l.W, l.In, l.Out, math.Sqrt(varW))
		} else {
			fill(r, l.W, muW, math.Sqrt(varW))
		}
		if l.V != nil {
			res, err := Evaluate(m, sub, enc, steps, seed)
			if err != nil {
				return err
			}
			nu := math.Max(res.Rates[li], 1e-3)
			bh, hh := m.kernel(steps, false)
			nr := float64(l.Out)
			mu := p.MuU / (nr * nu * bh)
			v := p.RecurrentShare*(theta-p.MuU)*(theta-p.MuU)/(p.Xi*p.Xi*nr*nu*hh) - mu*mu
			fill(r, l.V, mu, math.Sqrt(math.Max(v, 0)))
		}
	}
	return nil
}

// daleDraw fills w (pre-major, in×out) with exponential magnitudes: 80 % of presynaptic
// neurons excitatory with mean magnitude s/√8, the rest inhibitory with 4× that mean, so
// E[w] = 0 and E[w²] = s². It returns the sign per presynaptic neuron.
func daleDraw(r *emulator.Rand, w []float64, in, out int, s float64) []float64 {
	signs := make([]float64, in)
	me := s / math.Sqrt(8)
	for j := range signs {
		sign, mean := 1.0, me
		if r.Float64() >= 0.8 {
			sign, mean = -1, 4*me
		}
		signs[j] = sign
		for k := 0; k < out; k++ {
			u := r.Float64()
			for u == 0 {
				u = r.Float64()
			}
			w[j*out+k] = sign * mean * -math.Log(u)
		}
	}
	return signs
}

// inputMoments returns E[x] and E[x²] per channel and step of the encoded data.
func inputMoments(ds *data.Dataset, enc data.Encoder, steps int) (mean, sq float64) {
	n := enc.Inputs(ds.Features())
	buf := make([]float64, n*steps)
	cnt := 0
	for i := 0; i < ds.Len(); i++ {
		enc.Encode(buf, ds.Sample(i), steps, 0, i)
		for _, v := range buf {
			mean += v
			sq += v * v
		}
		cnt += len(buf)
	}
	return mean / float64(cnt), sq / float64(cnt)
}
