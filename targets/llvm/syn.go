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
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%w: projection %s: %v", ErrPayload, p.Name, err)
	}
	if p.Kind == ir.Conv && len(p.Delay) > 1 {
		return nil, fmt.Errorf("%w: projection %s: conv projections take one uniform delay", ErrPayload, p.Name)
	}
	for _, d := range p.Delay {
		if d > maxDelaySteps {
			return nil, fmt.Errorf("%w: projection %s: delay %d outside 0..%d", ErrPayload, p.Name, d, maxDelaySteps)
		}
	}
	p.ForEachSlot(func(k, pre, post, d int) {
		if p.W[k] != 0 {
			s.add(pre, post, k, d)
		}
	})
	return s, nil
}
