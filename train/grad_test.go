package train

import (
	"fmt"
	"math"
	"testing"

	"github.com/snnc/snnc/emulator"
)

// lossOf runs a forward pass and returns the loss.
func lossOf(m *Model, in *Input, y, steps int, reg float64) float64 {
	w := m.NewWork(steps)
	w.Forward(in, nil)
	return w.Loss(y, reg)
}

// TestGradientFiniteDifferences compares BPTT with central differences on the smooth
// surrogate forward (Surrogate.Smooth in place of H, reset kept in the gradient).
func TestGradientFiniteDifferences(t *testing.T) {
	type tc struct {
		reset, readout, loss, surr string
		recurrent, static          bool
	}
	var cases []tc
	for _, reset := range []string{ResetSubtract, ResetZero} {
		for _, ro := range []struct{ readout, loss string }{{"leaky", LossMax}, {"leaky", LossSum}, {"spiking", LossCount}} {
			for _, rec := range []bool{false, true} {
				cases = append(cases, tc{reset, ro.readout, ro.loss, "fast_sigmoid", rec, rec})
			}
		}
	}
	cases = append(cases, tc{ResetSubtract, "leaky", LossSum, "atan", true, false})
	for _, c := range cases {
		name := fmt.Sprintf("%s/%s/%s/%s/rec=%v/static=%v", c.reset, c.readout, c.loss, c.surr, c.recurrent, c.static)
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig(3, 5, 4, 3)
			cfg.Reset, cfg.Readout, cfg.Loss, cfg.Recurrent = c.reset, c.readout, c.loss, c.recurrent
			cfg.Surrogate = Surrogate{Kind: c.surr, Scale: 2}
			cfg.SmoothForward = true
			m, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			m.InitKaiming(3)
			r := emulator.NewRand(5, 0)
			for _, l := range m.Layers {
				for i := range l.B {
					l.B[i] = 0.3 * r.Norm()
				}
			}
			const steps = 6
			in := &Input{Static: c.static}
			if c.static {
				in.X = []float64{0.4, 0.9, 0.1}
			} else {
				in.X = make([]float64, steps*3)
				for i := range in.X {
					in.X[i] = float64(r.Intn(2))
				}
			}
			const y, reg = 1, 0.3
			w := m.NewWork(steps)
			w.Forward(in, nil)
			g := m.NewGrads()
			w.Backward(in, y, reg, 1, g)
			const h = 1e-6
			check := func(what string, p, gr []float64) {
				for i := range p {
					old := p[i]
					p[i] = old + h
					lp := lossOf(m, in, y, steps, reg)
					p[i] = old - h
					lm := lossOf(m, in, y, steps, reg)
					p[i] = old
					fd := (lp - lm) / (2 * h)
					if d := math.Abs(fd - gr[i]); d > 1e-6+1e-4*math.Abs(fd) {
						t.Errorf("%s[%d]: backprop %.9g, finite difference %.9g", what, i, gr[i], fd)
					}
				}
			}
			for li, l := range m.Layers {
				check(fmt.Sprintf("W%d", li), l.W, g.W[li])
				check(fmt.Sprintf("B%d", li), l.B, g.B[li])
				if l.V != nil {
					check(fmt.Sprintf("V%d", li), l.V, g.V[li])
				}
			}
		})
	}
}
