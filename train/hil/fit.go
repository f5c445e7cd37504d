package hil

import "math"

// dynFit fits, per neuron, the chip's effective membrane update to the recorded
// membranes: U_t ≈ leak_j·U_{t−1} + gain_j·I_t + c_j, where U is the chip's membrane (the
// exposed probe, model units) and I the synaptic current of the float model driven by the
// recorded spikes (with the shadow weights). Steps right after or at a recorded spike are
// left out (reset). The fit uses only what the chip returns; the backward pass then
// propagates through leak_j and gain_j instead of the nominal β and 1, which accounts
// for the chip's per-neuron gain and leak (fixed-pattern mismatch, the analog circuit's
// continuous-time integration). The sufficient statistics decay by Decay per Update so
// the fit follows the changing weights.
type dynFit struct {
	nom   float64     // nominal leak β
	stats [][]float64 // per layer, per neuron 9 sums: the normal equations of (U_{t−1}, I_t, 1)
	Leak  [][]float64 // per layer, per neuron (nil until fitted)
	Gain  [][]float64
}

const (
	fitDecay = 0.7
	fitMin   = 0.25 // fitted gain within [fitMin, 1/fitMin] of nominal, leak within [0, 1)
)

func newDynFit(sizes []int, beta float64) *dynFit {
	f := &dynFit{nom: beta}
	for _, n := range sizes {
		f.stats = append(f.stats, make([]float64, 9*n))
		f.Leak = append(f.Leak, nil)
		f.Gain = append(f.Gain, nil)
	}
	return f
}

// add accumulates one sample of layer li: U recorded (steps×n), I model current, S recorded
// spikes (nil for a non-spiking layer).
func (f *dynFit) add(li int, U, I, S []float64, n int) {
	st := f.stats[li]
	T := len(U) / n
	for t := 1; t < T; t++ {
		for j := 0; j < n; j++ {
			if S != nil && (S[(t-1)*n+j] != 0 || S[t*n+j] != 0) {
				continue
			}
			x0, x1, y := U[(t-1)*n+j], I[t*n+j], U[t*n+j]
			s := st[9*j : 9*j+9]
			s[0] += x0 * x0
			s[1] += x0 * x1
			s[2] += x0
			s[3] += x1 * x1
			s[4] += x1
			s[5]++
			s[6] += x0 * y
			s[7] += x1 * y
			s[8] += y
		}
	}
}

// update solves the per-neuron least squares and decays the statistics. Neurons with too
// few or degenerate samples keep the nominal coefficients.
func (f *dynFit) update() {
	for li, st := range f.stats {
		n := len(st) / 9
		if f.Leak[li] == nil {
			f.Leak[li], f.Gain[li] = make([]float64, n), make([]float64, n)
		}
		for j := 0; j < n; j++ {
			s := st[9*j : 9*j+9]
			leak, gain := f.nom, 1.0
			if s[5] >= 20 {
				a := [3][3]float64{{s[0], s[1], s[2]}, {s[1], s[3], s[4]}, {s[2], s[4], s[5]}}
				b := [3]float64{s[6], s[7], s[8]}
				if x, ok := solve3(a, b); ok {
					if x[1] > fitMin && x[1] < 1/fitMin && x[0] >= 0 && x[0] < 1 {
						leak, gain = x[0], x[1]
					}
				}
			}
			f.Leak[li][j], f.Gain[li][j] = leak, gain
			for k := range s {
				s[k] *= fitDecay
			}
		}
	}
}

// solve3 solves a·x = b by Gaussian elimination with partial pivoting.
func solve3(a [3][3]float64, b [3]float64) ([3]float64, bool) {
	var x [3]float64
	scale := 0.0
	for i := range a {
		for j := range a[i] {
			scale = math.Max(scale, math.Abs(a[i][j]))
		}
	}
	if scale == 0 {
		return x, false
	}
	for c := 0; c < 3; c++ {
		p := c
		for r := c + 1; r < 3; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if math.Abs(a[p][c]) < 1e-9*scale {
			return x, false
		}
		a[c], a[p] = a[p], a[c]
		b[c], b[p] = b[p], b[c]
		for r := c + 1; r < 3; r++ {
			k := a[r][c] / a[c][c]
			for q := c; q < 3; q++ {
				a[r][q] -= k * a[c][q]
			}
			b[r] -= k * b[c]
		}
	}
	for c := 2; c >= 0; c-- {
		s := b[c]
		for q := c + 1; q < 3; q++ {
			s -= a[c][q] * x[q]
		}
		x[c] = s / a[c][c]
	}
	return x, true
}
