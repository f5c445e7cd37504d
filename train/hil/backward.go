package hil

import (
	"math"

	"github.com/snnc/snnc/train"
)

// state is one sample's recorded trajectory on the float model's time axis: per layer
// steps×Out spikes S and membranes U (chip membranes where the target exposes them, else
// the nominal model re-simulated with the recorded spikes), plus the chip's logits.
type state struct {
	S, U   [][]float64
	logits []float64
	argT   []int // LossMax: step of each output's maximum on the chip
}

// softmaxGrad writes p − onehot(y) into d and returns the cross-entropy.
func softmaxGrad(logits []float64, y int, d []float64) float64 {
	mx := logits[train.Argmax(logits)]
	z := 0.0
	for _, v := range logits {
		z += math.Exp(v - mx)
	}
	for k, v := range logits {
		d[k] = math.Exp(v-mx) / z
	}
	d[y] -= 1
	return -(logits[y] - mx - math.Log(z))
}

// backward accumulates into g (scaled by scale) the BPTT gradient of the cross-entropy
// of the chip's logits, through the float model m evaluated on the recorded state st
// (shared/spec/training.md "Backward", reset detached). The quantizer is passed straight
// through: the shadow weights of m carry the gradient the chip's weights would. It
// returns the loss.
func backward(m *train.Model, in *train.Input, st *state, y int, scale float64, g *train.Grads, b *bwork) float64 {
	c := &m.Cfg
	L := len(m.Layers)
	T := b.steps
	dLogit := b.dLogit
	loss := softmaxGrad(st.logits, y, dLogit)
	for k := range dLogit {
		dLogit[k] *= scale
	}
	if c.Loss == train.LossCount {
		sc := c.CountScale
		if sc == 0 {
			sc = 1
		}
		for k := range dLogit {
			dLogit[k] *= sc
		}
	}
	for li := range m.Layers {
		clear(b.dIn[li])
		clear(b.dUn[li])
	}
	static := in.Static && m.Layers[0].V == nil
	clear(b.sumDI)
	sg := c.Surrogate.Grad
	for t := T - 1; t >= 0; t-- {
		for li := L - 1; li >= 0; li-- {
			ly := m.Layers[li]
			n := ly.Out
			U := st.U[li][t*n : (t+1)*n]
			var S []float64
			if ly.Spiking {
				S = st.S[li][t*n : (t+1)*n]
			}
			dS, dU, dI := b.dS[li], b.dU[li], b.dI[li]
			leak, gain := b.nominal(li)
			dUn, dIn := b.dUn[li], b.dIn[li]
			clear(dS)
			if li == L-1 && c.Loss == train.LossCount {
				copy(dS, dLogit)
			}
			if li < L-1 { // S_t feeds layer li+1 at the same step (zero edge latency)
				nx := m.Layers[li+1]
				dIx := b.dI[li+1]
				for j := range dS {
					row := nx.W[j*nx.Out : (j+1)*nx.Out]
					s := 0.0
					for k, v := range row {
						s += v * dIx[k]
					}
					dS[j] += s
				}
			}
			if ly.V != nil && t < T-1 { // S_t feeds I_{t+1} through V
				for j := range dS {
					row := ly.V[j*n : (j+1)*n]
					s := 0.0
					for k, v := range row {
						s += v * dIn[k]
					}
					dS[j] += s
				}
			}
			if ly.Spiking {
				if c.Reset == train.ResetSubtract {
					for j := range dU {
						dU[j] = dS[j]*sg(U[j]-c.Threshold) + leak[j]*dUn[j]
					}
				} else {
					for j := range dU {
						dU[j] = dS[j]*sg(U[j]-c.Threshold) + leak[j]*dUn[j]*(1-S[j])
					}
				}
			} else {
				for j := range dU {
					dU[j] = leak[j] * dUn[j]
				}
				switch c.Loss {
				case train.LossMax:
					for k, at := range st.argT {
						if at == t {
							dU[k] += dLogit[k]
						}
					}
				case train.LossSum:
					for k := range dU {
						dU[k] += dLogit[k] / float64(T)
					}
				}
			}
			for j := range dI {
				dI[j] = gain[j]*dU[j] + c.Alpha*dIn[j]
			}
			switch {
			case li == 0 && static:
				axpy(b.sumDI, dI)
			case li == 0:
				addOuter(g.W[0], inRow(in, t, ly.In), dI)
			default:
				pn := ly.In
				addOuter(g.W[li], st.S[li-1][t*pn:(t+1)*pn], dI)
			}
			if ly.V != nil && t > 0 {
				addOuter(g.V[li], st.S[li][(t-1)*n:t*n], dI)
			}
		}
		for li := range m.Layers {
			b.dI[li], b.dIn[li] = b.dIn[li], b.dI[li]
			b.dU[li], b.dUn[li] = b.dUn[li], b.dU[li]
		}
	}
	if static {
		addOuter(g.W[0], in.X[:m.Layers[0].In], b.sumDI)
	}
	return loss
}

// bwork holds backward buffers for one model and step count.
type bwork struct {
	steps                int
	dS, dU, dI, dUn, dIn [][]float64
	sumDI, dLogit        []float64
	// Leak and Gain, per layer and neuron, replace the model's β and unit input gain in
	// the membrane update U_t = leak·U_{t−1} + gain·I_t (a dynFit of the chip); a nil
	// layer uses the nominal ones.
	Leak, Gain    [][]float64
	nomLeak, ones [][]float64
}

// nominal returns layer li's leak and gain (fitted, else β and 1).
func (b *bwork) nominal(li int) (leak, gain []float64) {
	leak, gain = b.nomLeak[li], b.ones[li]
	if li < len(b.Leak) && b.Leak[li] != nil {
		leak = b.Leak[li]
	}
	if li < len(b.Gain) && b.Gain[li] != nil {
		gain = b.Gain[li]
	}
	return leak, gain
}

func newBwork(m *train.Model, steps int) *bwork {
	b := &bwork{steps: steps, sumDI: make([]float64, m.Layers[0].Out), dLogit: make([]float64, m.Layers[len(m.Layers)-1].Out)}
	for _, l := range m.Layers {
		for _, p := range []*[][]float64{&b.dS, &b.dU, &b.dI, &b.dUn, &b.dIn} {
			*p = append(*p, make([]float64, l.Out))
		}
		nl, one := make([]float64, l.Out), make([]float64, l.Out)
		for j := range nl {
			nl[j], one[j] = m.Cfg.Beta, 1
		}
		b.nomLeak, b.ones = append(b.nomLeak, nl), append(b.ones, one)
	}
	return b
}

func inRow(in *train.Input, t, n int) []float64 {
	if in.Static {
		return in.X[:n]
	}
	return in.X[t*n : (t+1)*n]
}

func axpy(dst, src []float64) {
	for i, v := range src {
		dst[i] += v
	}
}

// addOuter adds x_j·d to row j of g (pre-major) for every non-zero x_j.
func addOuter(g, x, d []float64) {
	n := len(d)
	for j, xj := range x {
		if xj == 0 {
			continue
		}
		row := g[j*n : (j+1)*n : (j+1)*n]
		for k, v := range d {
			row[k] += xj * v
		}
	}
}
