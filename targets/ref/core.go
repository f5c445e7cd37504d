package ref

import (
	"fmt"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
)

// pop is the state and coefficients of one population.
type pop struct {
	p                       *ir.Population
	n                       int
	syn, adaptive, ahp, thr bool
	geq, spiking            bool
	mode                    int // 0 to_value, 1 subtract, 2 none
	nextStep                bool
	refSteps                int
	alpha, ain, beta, bleak []float64
	bin, vth, vreset, bias  []float64
	rho, aad, badapt, wahp  []float64
	v0                      []float64
	v, i, a, c, z           []float64
	refr                    []int32
	pending                 []bool
	ring                    [][]float64
	out                     []*seg // internal out-projections (single-core mode)
}

// seg is the synapses of one projection, presynaptic-major.
type seg struct {
	dst     *pop
	csr     *ir.CSR
	latency int
}

// axon is an external input line: the synapses one source neuron has in this core.
type axon struct {
	dst   *pop
	post  []int32
	w     []float64
	delay []int32
}

func newPop(p *ir.Population, ringLen int) *pop {
	q := &pop{p: p, n: p.Size, spiking: p.Spiking}
	switch p.Model {
	case ir.TCubaLIF, ir.TCubaLI:
		q.syn = true
	case ir.TAdaptiveLIF:
		q.syn, q.adaptive = true, true
	case ir.TAHPLIF:
		q.syn, q.ahp = true, true
	case ir.TThreshold:
		q.thr = true
	}
	q.geq = p.Compare == ">="
	switch p.Reset.Mode {
	case "subtract":
		q.mode = 1
	case "none":
		q.mode = 2
	}
	q.nextStep = p.Reset.Timing == "next_step"
	q.refSteps = p.Reset.RefractorySteps
	zeros := make([]float64, q.n)
	get := func(k string) []float64 {
		if v := p.Params[k]; v != nil {
			return v
		}
		return zeros
	}
	q.alpha, q.ain, q.beta, q.bleak, q.bin = get("alpha"), get("a_in"), get("beta"), get("b_leak"), get("b_in")
	q.vth, q.vreset, q.bias = get("v_threshold"), get("v_reset"), get("bias")
	if q.thr {
		q.vth = get("threshold")
	}
	q.rho, q.aad, q.badapt, q.wahp = get("rho"), get("a_adapt"), get("beta_adapt"), get("w_ahp")
	q.v0 = get("v0")
	q.v, q.i, q.z = make([]float64, q.n), make([]float64, q.n), make([]float64, q.n)
	if !q.syn {
		q.i = nil
	}
	if q.adaptive {
		q.a = make([]float64, q.n)
	}
	if q.ahp {
		q.c = make([]float64, q.n)
	}
	q.refr, q.pending = make([]int32, q.n), make([]bool, q.n)
	q.ring = make([][]float64, ringLen)
	for k := range q.ring {
		q.ring[k] = make([]float64, q.n)
	}
	q.reset()
	return q
}

func (q *pop) reset() {
	copy(q.v, q.v0)
	for _, s := range [][]float64{q.i, q.a, q.c, q.z} {
		clear(s)
	}
	clear(q.refr)
	clear(q.pending)
	for _, r := range q.ring {
		clear(r)
	}
}

// update advances the population through step t with input x (the ring slot, which it
// clears) and returns the number of spikes.
func (q *pop) update(x []float64) int {
	spikes := 0
	for k := 0; k < q.n; k++ {
		in := x[k] + q.bias[k]
		x[k] = 0
		if q.thr {
			s := in > q.vth[k] || (q.geq && in == q.vth[k])
			q.z[k] = b2f(s)
			if s {
				spikes++
			}
			continue
		}
		cur := in
		if q.syn {
			cur = q.alpha[k]*q.i[k] + q.ain[k]*in
			q.i[k] = cur
		}
		if q.ahp {
			cur -= q.c[k]
		}
		theta := q.vth[k]
		if q.adaptive {
			theta += q.badapt[k] * q.a[k]
		}
		v := q.v[k]
		pend := q.pending[k]
		if pend && q.mode == 0 {
			v = q.vreset[k]
		}
		v = q.beta[k]*v + q.bleak[k] + q.bin[k]*cur
		if pend {
			if q.mode == 1 {
				v -= theta
			}
			q.pending[k] = false
		}
		s := false
		if q.refr[k] > 0 {
			v = q.vreset[k]
			q.refr[k]--
		} else if q.spiking {
			s = v > theta || (q.geq && v == theta)
		}
		if s {
			spikes++
			if q.nextStep {
				q.pending[k] = q.mode != 2
			} else {
				switch q.mode {
				case 0:
					v = q.vreset[k]
				case 1:
					v -= theta
				}
			}
			q.refr[k] = int32(q.refSteps)
		}
		q.v[k] = v
		z := b2f(s)
		q.z[k] = z
		if q.adaptive {
			q.a[k] = q.rho[k]*q.a[k] + q.aad[k]*z
		}
		if q.ahp {
			q.c[k] = q.rho[k]*q.c[k] + q.aad[k]*q.wahp[k]*z
		}
	}
	return spikes
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// output returns what the population sends along its edges: spikes, or v for graded
// (non-spiking) populations.
func (q *pop) output() []float64 {
	if q.spiking {
		return q.z
	}
	return q.v
}

// core is a group of populations stepped together in evaluation order.
type core struct {
	pops    []*pop
	offset  []int32 // local id of each pop's first neuron
	axons   [][]axon
	counter emulator.Counters
}

func (c *core) Reset() {
	for _, p := range c.pops {
		p.reset()
	}
	c.counter = emulator.Counters{}
}

func (c *core) Counters() *emulator.Counters { return &c.counter }

func (c *core) Step(t int, in []emulator.Event, fired []int32) []int32 {
	for _, ev := range in {
		val := float64(ev.Value)
		for _, a := range c.axons[ev.Axon] {
			r := len(a.dst.ring)
			for k, post := range a.post {
				d := 0
				if a.delay != nil {
					d = int(a.delay[k])
				}
				a.dst.ring[(t+d)%r][post] += a.w[k] * val
			}
			c.counter.SynapticEvents += int64(len(a.post))
		}
	}
	for pi, p := range c.pops {
		slot := p.ring[t%len(p.ring)]
		c.counter.Spikes += int64(p.update(slot))
		c.counter.NeuronUpdates += int64(p.n)
		outv := p.output()
		for j, val := range outv {
			if val == 0 {
				continue
			}
			if p.spiking {
				fired = append(fired, c.offset[pi]+int32(j))
			}
			for _, s := range p.out {
				r := len(s.dst.ring)
				lo, hi := s.csr.Start[j], s.csr.Start[j+1]
				for k := lo; k < hi; k++ {
					d := s.latency
					if s.csr.Delay != nil {
						d += int(s.csr.Delay[k])
					}
					s.dst.ring[(t+d)%r][s.csr.Post[k]] += s.csr.W[k] * val
				}
				c.counter.SynapticEvents += int64(hi - lo)
			}
		}
	}
	return fired
}

// build splits the netlist into cores and wires the engine.
func (m *machine) build() error {
	nl := m.nl
	byName := map[string]*pop{}
	maxD := map[string]int{}
	for _, pr := range nl.Projections {
		maxD[pr.Post] = max(maxD[pr.Post], pr.MaxDelay())
	}
	multi := nl.Semantics.EdgeLatency != "zero"
	for _, p := range nl.Populations {
		q := newPop(p, maxD[p.Name]+2)
		m.pops = append(m.pops, q)
		byName[p.Name] = q
	}
	for _, pr := range nl.Projections {
		if src := byName[pr.Pre]; src != nil && !src.spiking {
			multi = false // graded values travel inside one core
		}
	}
	coreOf := map[string]int{}
	if multi {
		for i, q := range m.pops {
			m.cores = append(m.cores, &core{pops: []*pop{q}, offset: []int32{0}})
			coreOf[q.p.Name] = i
		}
	} else {
		c := &core{}
		off := int32(0)
		for _, q := range m.pops {
			c.pops = append(c.pops, q)
			c.offset = append(c.offset, off)
			off += int32(q.n)
			coreOf[q.p.Name] = 0
		}
		m.cores = []*core{c}
	}
	// With edge_latency zero an input event at t reaches its first layer during t.
	net := &emulator.Network{Dt: nl.Semantics.Dt, SameStepInputs: !multi && nl.Semantics.EdgeLatency == "zero"}
	for _, c := range m.cores {
		net.Cores = append(net.Cores, c)
		n := 0
		for _, q := range c.pops {
			n += q.n
		}
		net.Routes = append(net.Routes, make([][]emulator.Target, n))
		net.OutMap = append(net.OutMap, nil)
	}
	// local id of neuron j of population name
	local := func(name string, j int) (int, int32) {
		ci := coreOf[name]
		c := m.cores[ci]
		for k, q := range c.pops {
			if q.p.Name == name {
				return ci, c.offset[k] + int32(j)
			}
		}
		panic("BUG: population not in its core")
	}
	// axon allocation: (core, source) → base axon
	type key struct {
		core int
		src  string
	}
	base := map[key]int32{}
	inputRoutes := map[string][][]emulator.Target{}
	for _, in := range nl.Inputs {
		inputRoutes[in.Name] = make([][]emulator.Target, in.Size)
	}
	for _, pr := range nl.Projections {
		dst := byName[pr.Post]
		if dst == nil {
			return fmt.Errorf("BUG: projection %s into unknown population %s", pr.Name, pr.Post)
		}
		csr := pr.CSR()
		dc := coreOf[pr.Post]
		src := byName[pr.Pre]
		if src != nil && coreOf[pr.Pre] == dc && !multi {
			src.out = append(src.out, &seg{dst: dst, csr: csr, latency: pr.Latency})
			continue
		}
		// external: through the engine (inputs, or populations on other cores)
		c := m.cores[dc]
		k := key{dc, pr.Pre}
		b, ok := base[k]
		if !ok {
			b = int32(len(c.axons))
			base[k] = b
			for j := 0; j < pr.PreSize; j++ {
				c.axons = append(c.axons, nil)
			}
			for j := 0; j < pr.PreSize; j++ {
				tgt := emulator.Target{Core: int32(dc), Axon: b + int32(j)}
				if src != nil {
					sc, lid := local(pr.Pre, j)
					net.Routes[sc][lid] = append(net.Routes[sc][lid], tgt)
				} else {
					inputRoutes[pr.Pre][j] = append(inputRoutes[pr.Pre][j], tgt)
				}
			}
		}
		for j := 0; j < pr.PreSize; j++ {
			lo, hi := csr.Start[j], csr.Start[j+1]
			a := axon{dst: dst, post: csr.Post[lo:hi], w: csr.W[lo:hi]}
			if csr.Delay != nil {
				a.delay = csr.Delay[lo:hi]
			}
			c.axons[b+int32(j)] = append(c.axons[b+int32(j)], a)
		}
	}
	for _, in := range nl.Inputs {
		net.Inputs = append(net.Inputs, emulator.InputRoute{Name: in.Name, Shape: in.Shape, Routes: inputRoutes[in.Name]})
	}
	for oi, o := range nl.Outputs {
		q := byName[o.Source]
		os := emulator.OutputStream{Name: o.Name, Shape: o.Shape}
		if !q.spiking {
			v := q.v
			os.Read = func(row []float64) { copy(row, v) }
		} else {
			ci := coreOf[o.Source]
			if net.OutMap[ci] == nil {
				net.OutMap[ci] = make([]emulator.OutRef, len(net.Routes[ci]))
				for k := range net.OutMap[ci] {
					net.OutMap[ci][k].Stream = -1
				}
			}
			for j := 0; j < q.n; j++ {
				_, lid := local(o.Source, j)
				net.OutMap[ci][lid] = emulator.OutRef{Stream: int32(oi), Index: int32(j)}
			}
		}
		net.Outputs = append(net.Outputs, os)
	}
	e, err := emulator.NewEngine(net)
	if err != nil {
		return err
	}
	m.engine = e
	return nil
}
