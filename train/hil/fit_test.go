package hil

import (
	"math"
	"testing"

	"github.com/snnc/snnc/emulator"
)

// TestDynFitRecoversLeakAndGain: membranes generated with known per-neuron leak, gain
// and offset (and resets after spikes, which the fit must skip) are fitted back; a
// degenerate neuron (no drive) keeps the nominal coefficients.
func TestDynFitRecoversLeakAndGain(t *testing.T) {
	const n, T, beta = 3, 40, 0.9
	leak := []float64{0.8, 0.95, 0.9}
	gain := []float64{0.7, 1.3, 0}
	f := newDynFit([]int{n}, beta)
	r := emulator.NewRand(1, 1)
	U, I, S := make([]float64, n*T), make([]float64, n*T), make([]float64, n*T)
	for sample := 0; sample < 20; sample++ {
		for j := 0; j < n; j++ {
			u := 0.0
			for t := 0; t < T; t++ {
				I[t*n+j] = r.Float64()
				S[t*n+j] = 0
				if j < 2 {
					u = leak[j]*u + gain[j]*I[t*n+j] + 0.05
				}
				if t > 0 && S[(t-1)*n+j] != 0 {
					u = 0
				}
				if u > 1.5 {
					S[t*n+j] = 1
				}
				U[t*n+j] = u
			}
		}
		f.add(0, U, I, S, n)
	}
	f.update()
	for j := 0; j < 2; j++ {
		if math.Abs(f.Leak[0][j]-leak[j]) > 1e-6 || math.Abs(f.Gain[0][j]-gain[j]) > 1e-6 {
			t.Errorf("neuron %d: fitted leak %.6f gain %.6f, want %.2f %.2f", j, f.Leak[0][j], f.Gain[0][j], leak[j], gain[j])
		}
	}
	if f.Leak[0][2] != beta || f.Gain[0][2] != 1 {
		t.Errorf("undriven neuron: leak %g gain %g, want the nominal %g and 1", f.Leak[0][2], f.Gain[0][2], beta)
	}
}
