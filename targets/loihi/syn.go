package loihi

import (
	"github.com/snnc/snnc/ir"
)

// synList is a projection expanded to synapses: presynaptic and postsynaptic neuron,
// the index of the weight in ir.Projection.W (shared by all uses of a conv kernel entry)
// and the delay. Structural synapses are the non-zero entries of W at compile time.
type synList struct {
	Pre, Post, Widx, Delay []int32
	MaxDelay               int
}

func (s *synList) add(pre, post, widx, d int) {
	s.Pre = append(s.Pre, int32(pre))
	s.Post = append(s.Post, int32(post))
	s.Widx = append(s.Widx, int32(widx))
	s.Delay = append(s.Delay, int32(d))
	s.MaxDelay = max(s.MaxDelay, d)
}

// expand lists the synapses of p (ir.Projection.ForEach order, plus W indices).
func expand(p *ir.Projection) (*synList, error) {
	s := &synList{}
	where := "projection " + p.Name
	dl := len(p.Delay)
	checkDelay := func(n int) error {
		if dl > 1 && dl != n {
			return errorf(ErrParam, "%s: %d delays for %d weights", where, dl, n)
		}
		for _, d := range p.Delay {
			if d < 0 {
				return errorf(ErrParam, "%s: negative delay %d", where, d)
			}
		}
		return nil
	}
	switch p.Kind {
	case ir.Dense:
		if len(p.W) != p.PreSize*p.PostSize {
			return nil, errorf(ErrParam, "%s: dense W has %d entries, want %d×%d", where, len(p.W), p.PostSize, p.PreSize)
		}
		if err := checkDelay(len(p.W)); err != nil {
			return nil, err
		}
		n := 0
		for _, w := range p.W {
			if w != 0 {
				n++
			}
		}
		s.Pre, s.Post, s.Widx, s.Delay = make([]int32, 0, n), make([]int32, 0, n), make([]int32, 0, n), make([]int32, 0, n)
		for post := 0; post < p.PostSize; post++ {
			for pre := 0; pre < p.PreSize; pre++ {
				k := post*p.PreSize + pre
				if p.W[k] != 0 {
					s.add(pre, post, k, p.DelayAt(k))
				}
			}
		}
	case ir.OneToOne:
		if len(p.W) != p.PreSize || p.PreSize != p.PostSize {
			return nil, errorf(ErrParam, "%s: one-to-one W has %d entries for %d→%d", where, len(p.W), p.PreSize, p.PostSize)
		}
		if err := checkDelay(len(p.W)); err != nil {
			return nil, err
		}
		for k, w := range p.W {
			if w != 0 {
				s.add(k, k, k, p.DelayAt(k))
			}
		}
	case ir.Sparse:
		if len(p.PreIdx) != len(p.W) || len(p.PostIdx) != len(p.W) {
			return nil, errorf(ErrParam, "%s: sparse index lengths %d/%d differ from %d weights", where, len(p.PreIdx), len(p.PostIdx), len(p.W))
		}
		if err := checkDelay(len(p.W)); err != nil {
			return nil, err
		}
		s.Pre, s.Post, s.Widx, s.Delay = make([]int32, 0, len(p.W)), make([]int32, 0, len(p.W)), make([]int32, 0, len(p.W)), make([]int32, 0, len(p.W))
		for k, w := range p.W {
			pre, post := int(p.PreIdx[k]), int(p.PostIdx[k])
			if pre < 0 || pre >= p.PreSize || post < 0 || post >= p.PostSize {
				return nil, errorf(ErrParam, "%s: synapse %d connects %d→%d outside %d→%d", where, k, pre, post, p.PreSize, p.PostSize)
			}
			if w != 0 {
				s.add(pre, post, k, p.DelayAt(k))
			}
		}
	case ir.Conv:
		c := p.Conv
		if c == nil || c.Groups <= 0 || c.InC%c.Groups != 0 || c.OutC%c.Groups != 0 {
			return nil, errorf(ErrParam, "%s: bad conv geometry", where)
		}
		cinG, coutG := c.InC/c.Groups, c.OutC/c.Groups
		if len(p.W) != c.OutC*cinG*c.KH*c.KW {
			return nil, errorf(ErrParam, "%s: conv kernel has %d entries, want %d", where, len(p.W), c.OutC*cinG*c.KH*c.KW)
		}
		if len(p.Delay) > 1 {
			return nil, errorf(ErrParam, "%s: conv projections take one uniform delay", where)
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
								k := ((oc*cinG+icg)*c.KH+ky)*c.KW + kx
								if p.W[k] != 0 {
									s.add((ic*c.InH+iy)*c.InW+ix, post, k, d)
								}
							}
						}
					}
				}
			}
		}
	default:
		return nil, errorf(ErrParam, "%s: unknown connectivity %v", where, p.Kind)
	}
	return s, nil
}
