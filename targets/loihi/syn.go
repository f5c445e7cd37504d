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
	if err := p.Validate(); err != nil {
		return nil, errorf(ErrParam, "projection %s: %v", p.Name, err)
	}
	if p.Kind == ir.Conv && len(p.Delay) > 1 {
		return nil, errorf(ErrParam, "projection %s: conv projections take one uniform delay", p.Name)
	}
	p.ForEachSlot(func(k, pre, post, d int) {
		if p.W[k] != 0 {
			s.add(pre, post, k, d)
		}
	})
	return s, nil
}
