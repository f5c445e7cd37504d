package llvm

import (
	"fmt"

	"github.com/snnc/snnc/ir"
)

// synList is a projection expanded to its structural synapses (the non-zero entries of
// the netlist's W): presynaptic and postsynaptic neuron, the index of the weight in
// ir.Projection.W (shared by all uses of a conv kernel entry) and the delay.
type synList struct {
	pre, post, widx, delay []int32
	maxDelay               int
}

func (s *synList) add(pre, post, widx, d int) {
	s.pre = append(s.pre, int32(pre))
	s.post = append(s.post, int32(post))
	s.widx = append(s.widx, int32(widx))
	s.delay = append(s.delay, int32(d))
	s.maxDelay = max(s.maxDelay, d)
}

// maxDelaySteps is the largest synaptic delay (6-bit field, spec §8 / notes §3.4).
const maxDelaySteps = 62

// expand lists the synapses of p in ir.Projection.ForEach order, with W indices.
func expand(p *ir.Projection) (*synList, error) {
	s := &synList{}
	where := "projection " + p.Name
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrPayload, where, fmt.Sprintf(format, args...))
	}
	if len(p.Delay) > 1 && p.Kind != ir.Conv && len(p.Delay) != len(p.W) {
		return nil, bad("%d delays for %d weights", len(p.Delay), len(p.W))
	}
	for _, d := range p.Delay {
		if d < 0 || d > maxDelaySteps {
			return nil, bad("delay %d outside 0..%d", d, maxDelaySteps)
		}
	}
	switch p.Kind {
	case ir.Dense:
		if len(p.W) != p.PreSize*p.PostSize {
			return nil, bad("dense W has %d entries, want %d×%d", len(p.W), p.PostSize, p.PreSize)
		}
		for post := 0; post < p.PostSize; post++ {
			for pre := 0; pre < p.PreSize; pre++ {
				if k := post*p.PreSize + pre; p.W[k] != 0 {
					s.add(pre, post, k, p.DelayAt(k))
				}
			}
		}
	case ir.OneToOne:
		if len(p.W) != p.PreSize || p.PreSize != p.PostSize {
			return nil, bad("one-to-one W has %d entries for %d→%d", len(p.W), p.PreSize, p.PostSize)
		}
		for k, w := range p.W {
			if w != 0 {
				s.add(k, k, k, p.DelayAt(k))
			}
		}
	case ir.Sparse:
		if len(p.PreIdx) != len(p.W) || len(p.PostIdx) != len(p.W) {
			return nil, bad("sparse index lengths %d/%d differ from %d weights", len(p.PreIdx), len(p.PostIdx), len(p.W))
		}
		for k, w := range p.W {
			pre, post := int(p.PreIdx[k]), int(p.PostIdx[k])
			if pre < 0 || pre >= p.PreSize || post < 0 || post >= p.PostSize {
				return nil, bad("synapse %d connects %d→%d outside %d→%d", k, pre, post, p.PreSize, p.PostSize)
			}
			if w != 0 {
				s.add(pre, post, k, p.DelayAt(k))
			}
		}
	case ir.Conv:
		c := p.Conv
		if c == nil || c.Groups <= 0 || c.InC%c.Groups != 0 || c.OutC%c.Groups != 0 {
			return nil, bad("bad conv geometry")
		}
		if len(p.Delay) > 1 {
			return nil, bad("conv projections take one uniform delay")
		}
		cinG, coutG := c.InC/c.Groups, c.OutC/c.Groups
		if len(p.W) != c.OutC*cinG*c.KH*c.KW {
			return nil, bad("conv kernel has %d entries, want %d", len(p.W), c.OutC*cinG*c.KH*c.KW)
		}
		d := p.DelayAt(0)
		for oc := 0; oc < c.OutC; oc++ {
			g := oc / coutG
			for oy := 0; oy < c.OutH; oy++ {
				for ox := 0; ox < c.OutW; ox++ {
					post := (oc*c.OutH+oy)*c.OutW + ox
					for icg := 0; icg < cinG; icg++ {
						ic := g*cinG + icg
						for ky := 0; ky < c.KH; ky++ {
							iy := oy*c.StrideH - c.PadH + ky*c.DilH
							if iy < 0 || iy >= c.InH {
								continue
							}
							for kx := 0; kx < c.KW; kx++ {
								ix := ox*c.StrideW - c.PadW + kx*c.DilW
								if ix < 0 || ix >= c.InW {
									continue
								}
								if k := ((oc*cinG+icg)*c.KH+ky)*c.KW + kx; p.W[k] != 0 {
									s.add((ic*c.InH+iy)*c.InW+ix, post, k, d)
								}
							}
						}
					}
				}
			}
		}
	default:
		return nil, bad("unknown connectivity %v", p.Kind)
	}
	return s, nil
}
