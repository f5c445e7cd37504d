package train

import (
	"fmt"
	"math"
)

// Adam is the Adam optimizer with decoupled weight decay (AdamW) and a learning-rate
// schedule.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	WeightDecay           float64 // decoupled, applied to weights (not biases)
	Schedule              string  // "const" or "cosine" (to 0 over Total steps)
	Total                 int     // steps of the schedule
	step                  int
	m, v                  *Grads
}

// NewAdam returns Adam with the usual β₁ = 0.9, β₂ = 0.999, ε = 1e−8.
func NewAdam(lr float64) *Adam {
	return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Schedule: "const"}
}

// Rate returns the learning rate of the next step.
func (a *Adam) Rate() float64 {
	switch a.Schedule {
	case "cosine":
		if a.Total > 0 {
			return a.LR * 0.5 * (1 + math.Cos(math.Pi*math.Min(1, float64(a.step)/float64(a.Total))))
		}
	}
	return a.LR
}

// ValidateSchedule checks the schedule name.
func ValidateSchedule(s string) error {
	if s != "const" && s != "cosine" {
		return fmt.Errorf("%w: schedule %q (want const or cosine)", ErrConfig, s)
	}
	return nil
}

// Step applies one update with gradient g.
func (a *Adam) Step(m *Model, g *Grads) {
	if a.m == nil {
		a.m, a.v = m.NewGrads(), m.NewGrads()
	}
	lr := a.Rate()
	a.step++
	c1 := 1 - math.Pow(a.Beta1, float64(a.step))
	c2 := 1 - math.Pow(a.Beta2, float64(a.step))
	// One division and one square root per element: (m/c1)/(√(v/c2) + ε) written as
	// m·(1/c1)/(√(v·(1/c2)) + ε).
	b1, b2, ic1, ic2, eps := a.Beta1, a.Beta2, 1/c1, 1/c2, a.Eps
	upd := func(p, gr, mm, vv []float64, decay bool) {
		wd := 0.0
		if decay {
			wd = a.WeightDecay
		}
		p, mm, vv = p[:len(gr)], mm[:len(gr)], vv[:len(gr)]
		for i, gi := range gr {
			mi := b1*mm[i] + (1-b1)*gi
			vi := b2*vv[i] + (1-b2)*gi*gi
			mm[i], vv[i] = mi, vi
			d := mi * ic1 / (math.Sqrt(vi*ic2) + eps)
			if decay {
				d += wd * p[i]
			}
			p[i] -= lr * d
		}
	}
	for i, l := range m.Layers {
		upd(l.W, g.W[i], a.m.W[i], a.v.W[i], a.WeightDecay != 0)
		upd(l.B, g.B[i], a.m.B[i], a.v.B[i], false)
		if l.V != nil {
			upd(l.V, g.V[i], a.m.V[i], a.v.V[i], a.WeightDecay != 0)
		}
		if l.Dale != nil { // keep each presynaptic neuron's sign
			for j, s := range l.Dale {
				row := l.W[j*l.Out : (j+1)*l.Out]
				for k, v := range row {
					if v*s < 0 {
						row[k] = 0
					}
				}
			}
		}
	}
}
