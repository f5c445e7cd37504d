package train

import "fmt"

// Training methods.
const (
	MethodBPTT = "bptt"
	MethodOTTT = "ottt"
)

// OnlineWork is the state of online training through time (OTTT, Xiao et al. 2022) for
// one sample: only the current step's state and eligibility traces, so its memory does
// not depend on the number of steps (it has no steps parameter at all).
//
// OTTT minimizes the per-step loss (1/T)·Σ_t CE(U^out_t) of a leaky readout. At each step
// the error is propagated through the layers of that step only (no backward pass through
// time): δU^L_t = (softmax(U^L_t) − y)/T, δS^{l−1}_t = W_l·δU^l_t,
// δU^{l−1}_t = δS^{l−1}_t·σ'(U^{l−1}_t − θ), and the weight gradient uses the presynaptic
// eligibility trace of the CUBA kernel, ĩ_t = α·ĩ_{t−1} + x_t, e_t = β·e_{t−1} + ĩ_t
// (e_t = ∂U_t/∂W with the reset and the spike path ignored): ∂W += e_t·δU_tᵀ.
type OnlineWork struct {
	m                 *Model
	I, U, S, Sp       [][]float64 // per layer, Out
	ti, te, ri, re    [][]float64 // input traces (In) and recurrent traces (Out)
	bi, be            []float64   // bias traces per layer
	h                 []float64
	dU, dS            [][]float64
	sumOut, p, logits []float64
}

// NewOnlineWork returns an OTTT workspace.
func (m *Model) NewOnlineWork() *OnlineWork {
	w := &OnlineWork{m: m, bi: make([]float64, len(m.Layers)), be: make([]float64, len(m.Layers))}
	mk := func(n int) []float64 { return make([]float64, n) }
	mo := 0
	for _, l := range m.Layers {
		mo = max(mo, l.Out)
		w.I, w.U, w.S, w.Sp = append(w.I, mk(l.Out)), append(w.U, mk(l.Out)), append(w.S, mk(l.Out)), append(w.Sp, mk(l.Out))
		w.ti, w.te = append(w.ti, mk(l.In)), append(w.te, mk(l.In))
		var ri, re []float64
		if l.V != nil {
			ri, re = mk(l.Out), mk(l.Out)
		}
		w.ri, w.re = append(w.ri, ri), append(w.re, re)
		w.dU, w.dS = append(w.dU, mk(l.Out)), append(w.dS, mk(l.Out))
	}
	w.h = mk(mo)
	out := m.Layers[len(m.Layers)-1].Out
	w.sumOut, w.p, w.logits = mk(out), mk(out), mk(out)
	return w
}

// Floats is the number of float64 values the workspace holds (the memory test's measure).
func (w *OnlineWork) Floats() int {
	n := len(w.bi) + len(w.be) + len(w.h) + len(w.sumOut) + len(w.p) + len(w.logits)
	for _, s := range [][][]float64{w.I, w.U, w.S, w.Sp, w.ti, w.te, w.ri, w.re, w.dU, w.dS} {
		for _, v := range s {
			n += len(v)
		}
	}
	return n
}

func trace(ti, te, x []float64, a, b float64) {
	for j, v := range x {
		ti[j] = a*ti[j] + v
		te[j] = b*te[j] + ti[j]
	}
}

// Sample runs one sample for steps steps, accumulating scale·∂L/∂θ into g, and returns
// the loss and the logits (mean readout membrane, as the sum decoding).
func (w *OnlineWork) Sample(in *Input, steps, y int, scale float64, g *Grads) (float64, []float64) {
	m := w.m
	c := &m.Cfg
	L := len(m.Layers)
	for li := range m.Layers {
		for _, s := range [][]float64{w.I[li], w.U[li], w.S[li], w.Sp[li], w.ti[li], w.te[li], w.ri[li], w.re[li]} {
			clear(s)
		}
		w.bi[li], w.be[li] = 0, 0
	}
	clear(w.sumOut)
	loss := 0.0
	sg := c.Surrogate.Grad
	for t := 0; t < steps; t++ {
		for li, ly := range m.Layers {
			n := ly.Out
			h := w.h[:n]
			clear(h)
			copy(w.Sp[li], w.S[li])
			if ly.V != nil && t > 0 {
				addRows(h, ly.V, w.Sp[li], n)
				trace(w.ri[li], w.re[li], w.Sp[li], c.Alpha, c.Beta)
			} else if ly.V != nil {
				trace(w.ri[li], w.re[li], w.Sp[li], c.Alpha, c.Beta) // zeros at t = 0
			}
			var x []float64
			if li == 0 {
				x = in.row(t, ly.In)
			} else {
				x = w.S[li-1]
			}
			addRows(h, ly.W, x, n)
			trace(w.ti[li], w.te[li], x, c.Alpha, c.Beta)
			w.bi[li] = c.Alpha*w.bi[li] + 1
			w.be[li] = c.Beta*w.be[li] + w.bi[li]
			for k, b := range ly.B {
				h[k] += b
			}
			I, U, S, Sp := w.I[li], w.U[li], w.S[li], w.Sp[li]
			for k := range I {
				I[k] = c.Alpha*I[k] + h[k]
				switch {
				case !ly.Spiking:
					U[k] = c.Beta*U[k] + I[k]
				case c.Reset == ResetSubtract:
					U[k] = c.Beta*U[k] + I[k] - c.Threshold*Sp[k]
				default:
					U[k] = c.Beta*U[k]*(1-Sp[k]) + I[k]
				}
				if ly.Spiking && U[k] > c.Threshold {
					S[k] = 1
				} else {
					S[k] = 0
				}
			}
		}
		out := w.U[L-1]
		axpy(w.sumOut, out)
		loss += ce(out, y, w.p) / float64(steps)
		copy(w.dU[L-1], w.p)
		for k := range w.dU[L-1] {
			w.dU[L-1][k] *= scale / float64(steps)
		}
		for li := L - 1; li >= 0; li-- {
			ly := m.Layers[li]
			dU := w.dU[li]
			addOuter(g.W[li], w.te[li], dU)
			for k, d := range dU {
				g.B[li][k] += w.be[li] * d
			}
			if ly.V != nil {
				addOuter(g.V[li], w.re[li], dU)
			}
			if li == 0 {
				break
			}
			dS, dUp := w.dS[li-1], w.dU[li-1]
			Up := w.U[li-1]
			for j := range dS {
				row := ly.W[j*ly.Out : (j+1)*ly.Out]
				s := 0.0
				for k, v := range row {
					s += v * dU[k]
				}
				dS[j] = s
				dUp[j] = s * sg(Up[j]-c.Threshold)
			}
		}
	}
	for k, v := range w.sumOut {
		w.logits[k] = v / float64(steps)
	}
	return loss, w.logits
}

func (m *Model) checkOTTT() error {
	if m.Cfg.Readout != "leaky" || m.Cfg.Loss != LossSum {
		return fmt.Errorf("%w: --method ottt trains a leaky readout with loss sum (per-step cross-entropy), got readout %s, loss %s", ErrConfig, m.Cfg.Readout, m.Cfg.Loss)
	}
	return nil
}
