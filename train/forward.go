package train

import (
	"math"

	"gonum.org/v1/gonum/floats"
)

// Input is one encoded sample: Steps rows of In values, or a single row when Static
// (the same input at every step).
type Input struct {
	X      []float64
	Static bool
}

func (in *Input) row(t, n int) []float64 {
	if in.Static {
		return in.X[:n]
	}
	return in.X[t*n : (t+1)*n]
}

// Work is the per-sample state of a forward and backward pass. One Work serves one
// goroutine; its buffers are reused between samples.
type Work struct {
	m       *Model
	steps   int
	I, U, S [][]float64 // per layer, steps×Out (the recorded trajectory)
	h       []float64   // summed input of one layer and step
	h0      []float64   // b + W·x of layer 0 for a static input
	logits  []float64
	argT    []int // LossMax: step of each output's maximum
	counts  [][]float64
	// backward buffers, per layer
	dI, dInext, dU, dUnext, dS [][]float64
	sumDI                      []float64
	wT, vT                     [][]float64 // transposed W (layers ≥ 1) and V, refreshed per Backward
}

// NewWork returns a workspace for steps-long samples.
func (m *Model) NewWork(steps int) *Work {
	w := &Work{m: m, steps: steps}
	maxOut := 0
	for _, l := range m.Layers {
		maxOut = max(maxOut, l.Out)
		w.I = append(w.I, make([]float64, steps*l.Out))
		w.U = append(w.U, make([]float64, steps*l.Out))
		w.S = append(w.S, make([]float64, steps*l.Out))
		w.counts = append(w.counts, make([]float64, l.Out))
		for _, b := range []*[][]float64{&w.dI, &w.dInext, &w.dU, &w.dUnext, &w.dS} {
			*b = append(*b, make([]float64, l.Out))
		}
	}
	for li, l := range m.Layers {
		var wt, vt []float64
		if li > 0 {
			wt = make([]float64, len(l.W))
		}
		if l.V != nil {
			vt = make([]float64, len(l.V))
		}
		w.wT, w.vT = append(w.wT, wt), append(w.vT, vt)
	}
	w.h = make([]float64, maxOut)
	w.h0 = make([]float64, m.Layers[0].Out)
	w.sumDI = make([]float64, m.Layers[0].Out)
	out := m.Layers[len(m.Layers)-1].Out
	w.logits = make([]float64, out)
	w.argT = make([]int, out)
	return w
}

// addRows adds Σ_j x_j·W[j,:] to h (W pre-major with n columns), skipping zero inputs:
// a binary spike vector adds one contiguous row per spike.
func addRows(h, w, x []float64, n int) {
	for j, xj := range x {
		if xj == 0 {
			continue
		}
		addRow(h, w[j*n:(j+1)*n:(j+1)*n], xj)
	}
}

// addRow adds xj·row to h. gonum's kernels compute h[k] + row[k] and h[k] + xj·row[k]
// element by element (no fused multiply-add), the same numbers as the plain loop the ref
// target runs.
func addRow(h, row []float64, xj float64) {
	n := len(row)
	switch {
	case n < shortRow && xj == 1:
		for k, v := range row {
			h[k] += v
		}
	case n < shortRow:
		for k, v := range row {
			h[k] += xj * v
		}
	case xj == 1:
		floats.Add(h, row)
	default:
		floats.AddScaled(h, xj, row)
	}
}

// shortRow is the row length below which plain loops beat a call into gonum's kernels.
const shortRow = 32

// transpose writes the (cols × rows) transpose of the rows × cols matrix a into dst.
func transpose(dst, a []float64, rows, cols int) {
	for r := 0; r < rows; r++ {
		for c, v := range a[r*cols : (r+1)*cols] {
			dst[c*rows+r] = v
		}
	}
}

// addOuter adds x_j·d to row j of g for every non-zero x_j.
func addOuter(g, x, d []float64) {
	n := len(d)
	for j, xj := range x {
		if xj == 0 {
			continue
		}
		row := g[j*n : (j+1)*n : (j+1)*n]
		if n >= shortRow {
			floats.AddScaled(row, xj, d)
			continue
		}
		for k, v := range d {
			row[k] += xj * v
		}
	}
}

// Forward runs one sample and returns the output logits (owned by w). override, when
// non-nil, gives per layer a steps×Out spike record that replaces the layer's own spikes
// (hardware-in-the-loop: spikes recorded on a chip); a nil entry keeps the model's spikes.
func (w *Work) Forward(in *Input, override [][]float64) []float64 {
	m, T := w.m, w.steps
	c := &m.Cfg
	L := len(m.Layers)
	// Summation order of a layer's input, the one the ref target uses (so exported models
	// reproduce predictions exactly): recurrent spikes of t−1 in presynaptic order, then the
	// feed-forward input in presynaptic order, then the bias.
	static := in.Static && m.Layers[0].V == nil
	if static { // (Σ_j x_j·W_j) + b is the same number at every step: compute it once
		l0 := m.Layers[0]
		clear(w.h0)
		addRows(w.h0, l0.W, in.X[:l0.In], l0.Out)
		for k, b := range l0.B {
			w.h0[k] += b
		}
	}
	for t := 0; t < T; t++ {
		for li, ly := range m.Layers {
			n := ly.Out
			h := w.h[:n]
			clear(h)
			if ly.V != nil && t > 0 {
				addRows(h, ly.V, w.S[li][(t-1)*n:t*n], n)
			}
			if li == 0 && static {
				h = w.h0
			} else {
				var x []float64
				if li == 0 {
					x = in.row(t, ly.In)
				} else {
					x = w.S[li-1][t*ly.In : (t+1)*ly.In]
				}
				addRows(h, ly.W, x, n)
				for k, b := range ly.B {
					h[k] += b
				}
			}
			I := w.I[li][t*n : (t+1)*n]
			U := w.U[li][t*n : (t+1)*n]
			S := w.S[li][t*n : (t+1)*n]
			if t == 0 {
				copy(I, h)
				copy(U, I)
			} else {
				Ip := w.I[li][(t-1)*n : t*n]
				Up := w.U[li][(t-1)*n : t*n]
				Sp := w.S[li][(t-1)*n : t*n]
				for k := range I {
					I[k] = c.Alpha*Ip[k] + h[k]
				}
				switch {
				case !ly.Spiking:
					for k := range U {
						U[k] = c.Beta*Up[k] + I[k]
					}
				case c.Reset == ResetSubtract:
					for k := range U {
						U[k] = c.Beta*Up[k] + I[k] - c.Threshold*Sp[k]
					}
				default:
					for k := range U {
						U[k] = c.Beta*Up[k]*(1-Sp[k]) + I[k]
					}
				}
			}
			switch {
			case !ly.Spiking:
				clear(S)
			case override != nil && li < len(override) && override[li] != nil:
				copy(S, override[li][t*n:(t+1)*n])
			case c.SmoothForward:
				for k, u := range U {
					S[k] = c.Surrogate.Smooth(u - c.Threshold)
				}
			default:
				for k, u := range U {
					if u > c.Threshold { // threshold_compare ">"
						S[k] = 1
					} else {
						S[k] = 0
					}
				}
			}
		}
	}
	for li, ly := range m.Layers {
		cnt := w.counts[li]
		clear(cnt)
		n := ly.Out
		for t := 0; t < T; t++ {
			for k, s := range w.S[li][t*n : (t+1)*n] {
				cnt[k] += s
			}
		}
	}
	out := m.Layers[L-1]
	n := out.Out
	switch c.Loss {
	case LossCount:
		sc := c.CountScale
		if sc == 0 {
			sc = 1
		}
		for k, v := range w.counts[L-1] {
			w.logits[k] = sc * v
		}
	case LossMax:
		for k := 0; k < n; k++ {
			best, bt := math.Inf(-1), 0
			for t := 0; t < T; t++ {
				if u := w.U[L-1][t*n+k]; u > best {
					best, bt = u, t
				}
			}
			w.logits[k], w.argT[k] = best, bt
		}
	case LossSum:
		for k := 0; k < n; k++ {
			s := 0.0
			for t := 0; t < T; t++ {
				s += w.U[L-1][t*n+k]
			}
			w.logits[k] = s / float64(T)
		}
	}
	return w.logits
}

// Argmax returns the index of the largest value, the first one on ties (the prediction
// rule shared by the trainer and snnc eval).
func Argmax(v []float64) int {
	b := 0
	for i, x := range v {
		if x > v[b] {
			b = i
		}
	}
	return b
}

// Grads holds gradients shaped like the model's parameters.
type Grads struct {
	W, B, V [][]float64
}

// NewGrads returns zero gradients for m.
func (m *Model) NewGrads() *Grads {
	g := &Grads{}
	for _, l := range m.Layers {
		g.W = append(g.W, make([]float64, len(l.W)))
		g.B = append(g.B, make([]float64, len(l.B)))
		var v []float64
		if l.V != nil {
			v = make([]float64, len(l.V))
		}
		g.V = append(g.V, v)
	}
	return g
}

// Zero clears g.
func (g *Grads) Zero() {
	for i := range g.W {
		clear(g.W[i])
		clear(g.B[i])
		clear(g.V[i])
	}
}

// Add accumulates o into g.
func (g *Grads) Add(o *Grads) {
	for i := range g.W {
		axpy(g.W[i], o.W[i])
		axpy(g.B[i], o.B[i])
		axpy(g.V[i], o.V[i])
	}
}

func axpy(dst, src []float64) {
	if len(src) > 0 {
		floats.Add(dst, src)
	}
}

// Loss returns the cross-entropy of the logits of the last Forward for label y plus the
// rate regularization λ·Σ_hidden mean_i (c_i/T)² (c_i the spike count of neuron i).
func (w *Work) Loss(y int, reg float64) float64 {
	l := ce(w.logits, y, nil)
	if reg != 0 {
		T := float64(w.steps)
		for li := 0; li < len(w.m.Layers)-1; li++ {
			s := 0.0
			for _, c := range w.counts[li] {
				s += (c / T) * (c / T)
			}
			l += reg * s / float64(len(w.counts[li]))
		}
	}
	return l
}

// ce returns the softmax cross-entropy and, when d is non-nil, writes p − onehot(y).
func ce(logits []float64, y int, d []float64) float64 {
	mx := logits[Argmax(logits)]
	z := 0.0
	for _, v := range logits {
		z += math.Exp(v - mx)
	}
	if d != nil {
		for k, v := range logits {
			d[k] = math.Exp(v-mx) / z
		}
		d[y] -= 1
	}
	return -(logits[y] - mx - math.Log(z))
}

// Backward accumulates into g the gradient of Loss(y, reg) for the last Forward of in,
// scaled by scale, by BPTT (shared/spec/training.md "Backward"; reset detached unless
// SmoothForward).
func (w *Work) Backward(in *Input, y int, reg, scale float64, g *Grads) {
	m, T := w.m, w.steps
	c := &m.Cfg
	L := len(m.Layers)
	out := m.Layers[L-1]
	dLogit := make([]float64, out.Out)
	ce(w.logits, y, dLogit)
	for k := range dLogit {
		dLogit[k] *= scale
	}
	if c.Loss == LossCount {
		sc := c.CountScale
		if sc == 0 {
			sc = 1
		}
		for k := range dLogit {
			dLogit[k] *= sc
		}
	}
	regCoef := make([]float64, L)
	if reg != 0 {
		for li := 0; li < L-1; li++ {
			regCoef[li] = scale * 2 * reg / (float64(T) * float64(T) * float64(m.Layers[li].Out))
		}
	}
	for li := range m.Layers {
		clear(w.dInext[li])
		clear(w.dUnext[li])
	}
	clear(w.sumDI)
	for li, l := range m.Layers {
		if w.wT[li] != nil {
			transpose(w.wT[li], l.W, l.In, l.Out)
		}
		if w.vT[li] != nil {
			transpose(w.vT[li], l.V, l.Out, l.Out)
		}
	}
	static := in.Static && m.Layers[0].V == nil
	sg := c.Surrogate.Grad
	if c.SmoothForward {
		sg = c.Surrogate.smoothGrad
	}
	fast := c.Surrogate.Kind == "fast_sigmoid" && !c.SmoothForward
	for t := T - 1; t >= 0; t-- {
		for li := L - 1; li >= 0; li-- {
			ly := m.Layers[li]
			n := ly.Out
			U := w.U[li][t*n : (t+1)*n]
			S := w.S[li][t*n : (t+1)*n]
			dS, dU, dI := w.dS[li], w.dU[li], w.dI[li]
			dUn, dIn := w.dUnext[li], w.dInext[li]
			clear(dS)
			if li == L-1 && c.Loss == LossCount {
				copy(dS, dLogit)
			}
			if li < L-1 { // S_t feeds layer li+1 at the same step: dS += Wᵀ·δI
				addRows(dS, w.wT[li+1], w.dI[li+1], n)
			}
			if ly.V != nil && t < T-1 { // S_t feeds I_{t+1} through V
				addRows(dS, w.vT[li], dIn, n)
			}
			if rc := regCoef[li]; rc != 0 {
				for j, cnt := range w.counts[li] {
					dS[j] += rc * cnt
				}
			}
			if ly.Spiking {
				if c.SmoothForward && t < T-1 { // reset kept in the gradient
					if c.Reset == ResetSubtract {
						for j := range dS {
							dS[j] -= c.Threshold * dUn[j]
						}
					} else {
						for j := range dS {
							dS[j] -= c.Beta * U[j] * dUn[j]
						}
					}
				}
				switch {
				case fast && c.Reset == ResetSubtract: // σ' inlined: 1/(1+k|x|)²
					k := c.Surrogate.Scale
					for j := range dU {
						d := 1 + k*math.Abs(U[j]-c.Threshold)
						dU[j] = dS[j]*(1/(d*d)) + c.Beta*dUn[j]
					}
				case c.Reset == ResetSubtract:
					for j := range dU {
						dU[j] = dS[j]*sg(U[j]-c.Threshold) + c.Beta*dUn[j]
					}
				default:
					for j := range dU {
						dU[j] = dS[j]*sg(U[j]-c.Threshold) + c.Beta*dUn[j]*(1-S[j])
					}
				}
			} else {
				for j := range dU {
					dU[j] = c.Beta * dUn[j]
				}
				switch c.Loss {
				case LossMax:
					for k, at := range w.argT {
						if at == t {
							dU[k] += dLogit[k]
						}
					}
				case LossSum:
					for k := range dU {
						dU[k] += dLogit[k] / float64(T)
					}
				}
			}
			for j := range dI {
				dI[j] = dU[j] + c.Alpha*dIn[j]
			}
			axpy(g.B[li], dI)
			switch {
			case li == 0 && static:
				axpy(w.sumDI, dI)
			case li == 0:
				addOuter(g.W[0], in.row(t, ly.In), dI)
			default:
				pn := ly.In
				addOuter(g.W[li], w.S[li-1][t*pn:(t+1)*pn], dI)
			}
			if ly.V != nil && t > 0 {
				addOuter(g.V[li], w.S[li][(t-1)*n:t*n], dI)
			}
		}
		for li := range m.Layers { // the current step becomes "next" for t−1
			w.dI[li], w.dInext[li] = w.dInext[li], w.dI[li]
			w.dU[li], w.dUnext[li] = w.dUnext[li], w.dU[li]
		}
	}
	if static {
		addOuter(g.W[0], in.X[:m.Layers[0].In], w.sumDI)
	}
}
