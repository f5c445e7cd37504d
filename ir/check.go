package ir

import (
	"fmt"
	"math"
)

// maxNetlistDelay bounds synaptic delays (steps).
const maxNetlistDelay = 1 << 20

// Check verifies the netlist's invariants: sizes agree, indices are in range, weight and
// delay arrays have their kind's length, values are finite. It is run on every netlist
// the compiler produces (in tests) and on every netlist read back from an image file,
// which may come from anywhere.
func (n *Netlist) Check() error {
	var errs Issues
	if !(n.Semantics.Dt > 0) || math.IsInf(n.Semantics.Dt, 0) {
		errs.Add("netlist", ErrBadParam, "dt = %v must be positive", n.Semantics.Dt)
	}
	names := map[string]bool{}
	for _, p := range n.Inputs {
		if p == nil || p.Size <= 0 || p.Size > MaxShapeElements || NumElements(p.Shape) != p.Size || names[p.Name] {
			errs.Add("input", ErrShape, "bad or duplicate input port %+v", p)
			continue
		}
		names[p.Name] = true
	}
	for _, p := range n.Populations {
		if p == nil || p.Size <= 0 || p.Size > MaxShapeElements || NumElements(p.Shape) != p.Size || names[p.Name] {
			errs.Add("population", ErrShape, "bad or duplicate population %+v", p)
			continue
		}
		names[p.Name] = true
		for k, v := range p.Params {
			if len(v) != p.Size {
				errs.Add(p.Name, ErrShape, "param %s has %d values for %d neurons", k, len(v), p.Size)
				continue
			}
			for i, x := range v {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					errs.Add(p.Name, ErrNonFinite, "param %s[%d] = %v", k, i, x)
					break
				}
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	for _, o := range n.Outputs {
		if o == nil || n.Population(o.Source) == nil {
			errs.Add("output", ErrDangling, "output %+v reads no population", o)
		} else if o.Size != n.Population(o.Source).Size {
			errs.Add(o.Name, ErrShape, "output size %d, population %s has %d", o.Size, o.Source, n.Population(o.Source).Size)
		}
	}
	for _, pr := range n.Projections {
		if pr == nil {
			errs.Add("projection", ErrDangling, "null projection")
			continue
		}
		if err := n.checkProjection(pr); err != nil {
			errs.Add(pr.Name, ErrShape, "%v", err)
		}
	}
	return errs.Err()
}

func (n *Netlist) checkProjection(pr *Projection) error {
	pre, err := n.SourceSize(pr.Pre)
	if err != nil {
		return err
	}
	post := n.Population(pr.Post)
	if post == nil {
		return fmt.Errorf("post %q is not a population", pr.Post)
	}
	if pre != pr.PreSize || post.Size != pr.PostSize {
		return fmt.Errorf("sizes %d→%d, endpoints have %d→%d", pr.PreSize, pr.PostSize, pre, post.Size)
	}
	return pr.Validate()
}

// Validate checks a projection's internal consistency: its latency, that W, the index
// arrays and the delays have its kind's lengths, indices and conv geometry fit the sizes,
// and values are finite. Targets call it before expanding synapses.
func (pr *Projection) Validate() error {
	if pr.PreSize <= 0 || pr.PostSize <= 0 {
		return fmt.Errorf("sizes %d→%d must be positive", pr.PreSize, pr.PostSize)
	}
	if pr.Latency < 0 || pr.Latency > 1 {
		return fmt.Errorf("latency %d (want 0 or 1)", pr.Latency)
	}
	want := 0
	switch pr.Kind {
	case Dense:
		want = pr.PreSize * pr.PostSize
	case OneToOne:
		if pr.PreSize != pr.PostSize {
			return fmt.Errorf("one-to-one between sizes %d and %d", pr.PreSize, pr.PostSize)
		}
		want = pr.PreSize
	case Sparse:
		want = len(pr.W)
		if len(pr.PreIdx) != want || len(pr.PostIdx) != want {
			return fmt.Errorf("sparse: %d weights, %d pre and %d post indices", want, len(pr.PreIdx), len(pr.PostIdx))
		}
		for k := range pr.PreIdx {
			if pr.PreIdx[k] < 0 || int(pr.PreIdx[k]) >= pr.PreSize || pr.PostIdx[k] < 0 || int(pr.PostIdx[k]) >= pr.PostSize {
				return fmt.Errorf("sparse synapse %d: (%d→%d) outside %d→%d", k, pr.PreIdx[k], pr.PostIdx[k], pr.PreSize, pr.PostSize)
			}
		}
	case Conv:
		c := pr.Conv
		if c == nil || c.Groups <= 0 || c.InC%c.Groups != 0 || c.OutC%c.Groups != 0 || c.KH <= 0 || c.KW <= 0 ||
			c.StrideH <= 0 || c.StrideW <= 0 || c.DilH <= 0 || c.DilW <= 0 ||
			c.InC*c.InH*c.InW != pr.PreSize || c.OutC*c.OutH*c.OutW != pr.PostSize {
			return fmt.Errorf("inconsistent conv geometry %+v for %d→%d", c, pr.PreSize, pr.PostSize)
		}
		want = c.OutC * (c.InC / c.Groups) * c.KH * c.KW
	default:
		return fmt.Errorf("unknown connectivity kind %d", pr.Kind)
	}
	if len(pr.W) != want {
		return fmt.Errorf("%s: %d weights, want %d", pr.Kind, len(pr.W), want)
	}
	for i, w := range pr.W {
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return fmt.Errorf("weight %d is %v", i, w)
		}
	}
	if len(pr.Delay) > 1 && len(pr.Delay) != len(pr.W) {
		return fmt.Errorf("%d delays for %d synapses", len(pr.Delay), len(pr.W))
	}
	for _, d := range pr.Delay {
		if d < 0 || d > maxNetlistDelay {
			return fmt.Errorf("delay %d outside 0..%d", d, maxNetlistDelay)
		}
	}
	if pr.Dale != nil && len(pr.Dale) != pr.PreSize {
		return fmt.Errorf("%d Dale signs for %d presynaptic neurons", len(pr.Dale), pr.PreSize)
	}
	return nil
}
