package hil

import (
	"math"
	"testing"

	"github.com/snnc/snnc/train"
	"github.com/snnc/snnc/train/data"
)

// TestChipBiasMembrane: on a biasSteadyState target (loihi) the re-simulated membrane
// of a bias-only neuron is the chip's — the constant drive b/(1 − α) integrated from
// chip step 0, i.e. Lag(l) steps before the model's step 0 — and not the float model's
// (whose current bias ramps up from b).
func TestChipBiasMembrane(t *testing.T) {
	const T = 12
	m, err := train.New(train.DefaultConfig(2, 3, 2))
	if err != nil {
		t.Fatal(err)
	}
	m.Cfg.Reset = train.ResetZero
	for _, l := range m.Layers {
		clear(l.W)
		l.V = nil
	}
	bias := [][]float64{{0.02, -0.03, 0}, {0.01, -0.015}}
	for li, b := range bias {
		copy(m.Layers[li].B, b)
	}
	r := newRecorder(nil, "loihi", m, data.Current{}, T, false)
	in := train.Input{X: make([]float64, 2*T)}
	override := make([][]float64, len(m.Layers))
	for li := range m.Layers {
		override[li] = r.st.S[li] // no spikes recorded
	}
	r.work.Forward(&in, override)
	c := m.Cfg
	for li, b := range bias {
		n := len(b)
		lag := Lag("loihi", li)
		floatU := append([]float64(nil), r.work.U[li]...)
		U := r.chipBiasU(li)
		for j, bj := range b {
			d := bj / (1 - c.Alpha)
			for tt := 0; tt < T; tt++ {
				want := d * (1 - math.Pow(c.Beta, float64(tt+lag+1))) / (1 - c.Beta)
				if got := U[tt*n+j]; math.Abs(got-want) > 1e-12 {
					t.Errorf("layer %d neuron %d step %d: U = %.9g, want %.9g", li, j, tt, got, want)
				}
			}
			if bj != 0 && math.Abs(floatU[j]-U[j]) < 1e-6 {
				t.Errorf("layer %d neuron %d: chip-aligned U_0 %g equals the float model's %g", li, j, U[j], floatU[j])
			}
		}
	}
}
