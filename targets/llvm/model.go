package llvm

import (
	"fmt"
	"math"
	"sort"

	"github.com/snnc/snnc/ir"
)

// Constants of the chip-mode arithmetic (shared/spec/loihi.md §3). They mirror the
// loihi target's HW description; the native code folds them into instructions.
const (
	qBits     = 21 // q = wrap(Σ, 21): 22-bit dendritic accumulator
	uBits     = 23 // u, u+bias = wrap(·, 23): 24-bit
	decayBits = 12 // decay(x, D) = shr0(x·(4096 − D), 12)
	decayOne  = 1 << decayBits
	vthShift  = 6 // spike = v > vth << 6
	wShift    = 6 // synaptic contribution shexp(w, e) << 6
	maxW      = 256
)

// popM is one population as the native code sees it: register values folded into the
// forms the update uses (spec §3), each a single value (uniform, folded into the code
// as an immediate) or one per neuron (a constant array).
type popM struct {
	name       string
	shape      []int
	n          int
	decU, decV ivec // 4096 − (du + 1), 4096 − dv
	bias       ivec // shexp(bias_mant, bias_exp)
	vth        ivec // vth << 6
	vmin, vmax ivec
	refract    ivec
	u0, v0     ivec
	slots      int  // dendritic accumulator ring length (power of two ≥ max delay + 1)
	needRef    bool // some refract_delay > 1: keep a refractory counter
	satAdd     bool // decay(v) + u2 may leave int32: add with saturation (the clip follows)
	uSmall     bool // |u| ≤ 2^23 on every step (u0 in 24 bits): decay's high part fits 12 bits
	vSmall     bool // |v| ≤ 2^23 on every step (vmin, vmax, v0 in 24 bits)
	fired      bool // keep a fired list (source of an output stream)
	qExact     bool // every accumulator sum lies in 22 bits: wrap(Σ, 21) is the identity
	uExact     bool // |u| + |bias| stays below 2^23: both 24-bit wraps of u are the identity
	fused      bool // slots == 1 && qExact && uExact: delivery may add into u (compartmentLoop)
	vmaxExact  bool // vmax > vth << 6 everywhere: the upper clip of v is unobservable
	routes     []int
}

// projM is one projection: either dense rows (post-contiguous weights per presynaptic
// neuron, one uniform delay) or a CSR table per presynaptic neuron.
type projM struct {
	name              string
	src               int // population index, or len(pops)+input index
	post              int
	preSize, postSize int
	exp               int
	dense             bool
	delay             int     // uniform delay (dense, or CSR without per-synapse delays)
	w                 []int64 // dense: [pre][post]; CSR: per synapse
	start, tgt, dly   []int64 // CSR (dly nil when uniform)
}

type inM struct {
	name   string
	size   int
	offset int // first global input id
	routes []int
}

type outM struct {
	name  string
	shape []int
	pop   int
	// graded: the output is the readout v / scale + off of every neuron, every step
	// (read through a v probe), instead of spikes.
	graded     bool
	scale, off []float64
}

// netM is the network the code generator specializes on.
type netM struct {
	pops    []popM
	projs   []projM
	inputs  []inM
	outputs []outM
	nIn     int
	dt      float64
}

func shexp(x int64, e int) int64 {
	if e >= 0 {
		return x << uint(e)
	}
	return x >> uint(-e)
}

// compactIvec collapses a uniform vector to one value.
func compactIvec(v []int64) ivec {
	for _, x := range v[1:] {
		if x != v[0] {
			return v
		}
	}
	return ivec{v[0]}
}

func mapIvec(n int, f func(i int) int64) ivec {
	if n == 0 {
		return ivec{0}
	}
	v := make([]int64, n)
	for i := range v {
		v[i] = f(i)
	}
	return compactIvec(v)
}

func nextPow2(x int) int {
	p := 1
	for p < x {
		p <<= 1
	}
	return p
}

// buildModel joins the netlist (connectivity, delays, ports) and the loihi payload
// (quantized registers and weights) into the model the code generator specializes on.
func buildModel(n *ir.Netlist, pl *loihiPayload) (*netM, error) {
	if pl.Mode != "chip" {
		return nil, fmt.Errorf("%w: loihi mode %q: the native code implements chip mode only (spec §3)", ErrUnsupported, pl.Mode)
	}
	if len(pl.Pops) != len(n.Populations) || len(pl.Projs) != len(n.Projections) {
		return nil, fmt.Errorf("%w: %d populations / %d projections, netlist has %d / %d", ErrPayload, len(pl.Pops), len(pl.Projs), len(n.Populations), len(n.Projections))
	}
	m := &netM{dt: n.Semantics.Dt}
	popIdx := map[string]int{}
	for i, p := range n.Populations {
		q := &pl.Pops[i]
		if q.Name != p.Name || q.Size != p.Size {
			return nil, fmt.Errorf("%w: population %d is %s/%d, netlist has %s/%d", ErrPayload, i, q.Name, q.Size, p.Name, p.Size)
		}
		if len(p.Compartments) > 0 {
			return nil, fmt.Errorf("%w: population %s: multi-compartment neurons", ErrUnsupported, p.Name)
		}
		for _, v := range []ivec{q.Du, q.Dv, q.Vth, q.BiasMant, q.BiasExp, q.Refract, q.NegVm, q.PosVm, q.U0, q.V0} {
			if len(v) != 1 && len(v) != p.Size {
				return nil, fmt.Errorf("%w: population %s: parameter vector of %d for %d neurons", ErrPayload, p.Name, len(v), p.Size)
			}
		}
		N := p.Size
		pm := popM{name: p.Name, shape: p.Shape, n: N, slots: 1}
		pm.decU = mapIvec(N, func(i int) int64 { return decayOne - (q.Du.at(i) + 1) })
		pm.decV = mapIvec(N, func(i int) int64 { return decayOne - q.Dv.at(i) })
		pm.bias = mapIvec(N, func(i int) int64 { return shexp(q.BiasMant.at(i), int(q.BiasExp.at(i))) })
		pm.vth = mapIvec(N, func(i int) int64 { return q.Vth.at(i) << vthShift })
		pm.vmin = mapIvec(N, func(i int) int64 { return -(int64(1) << uint(q.NegVm.at(i))) + 1 })
		pm.vmax = mapIvec(N, func(i int) int64 { return int64(1)<<uint(9+2*q.PosVm.at(i)) - 1 })
		pm.refract = mapIvec(N, func(i int) int64 { return q.Refract.at(i) })
		pm.u0 = mapIvec(N, func(i int) int64 { return q.U0.at(i) })
		pm.v0 = mapIvec(N, func(i int) int64 { return q.V0.at(i) })
		// Register ranges the int32 code relies on (spec §3; loihi validates them at compile).
		for i := 0; i < max(N, 1); i++ {
			chk := []struct {
				name      string
				v, lo, hi int64
			}{
				{"du", q.Du.at(i), 0, decayOne - 1}, {"dv", q.Dv.at(i), 0, decayOne},
				{"vth", q.Vth.at(i), 0, 1<<17 - 1}, {"bias_exp", q.BiasExp.at(i), 0, 23},
				{"bias_mant", q.BiasMant.at(i), -4096, 4095}, {"refract_delay", q.Refract.at(i), 0, 63},
				{"neg_vm_limit", q.NegVm.at(i), 0, 31}, {"pos_vm_limit", q.PosVm.at(i), 0, 7},
				{"u0", q.U0.at(i), math.MinInt32, math.MaxInt32}, {"v0", q.V0.at(i), math.MinInt32, math.MaxInt32},
			}
			for _, c := range chk {
				if c.v < c.lo || c.v > c.hi {
					return nil, fmt.Errorf("%w: population %s[%d]: %s = %d outside %d..%d", ErrPayload, p.Name, i, c.name, c.v, c.lo, c.hi)
				}
			}
			if q.Refract.at(i) > 1 {
				pm.needRef = true
			}
			// |decay(v)| ≤ |v| and |u2| < 2^23: a plain int32 add cannot overflow while
			// every v stays within ±2^30.
			if q.NegVm.at(i) > 30 || q.V0.at(i) < -(1<<30) || q.V0.at(i) > 1<<30 {
				pm.satAdd = true
			}
		}
		// The upper clip v = min(v, vmax) is unobservable when vmax > vth << 6 for every
		// neuron: a v above vmax is above vth << 6 both before and after the clip, so
		// the neuron spikes and stores v = 0 either way (and a refractory neuron stores 0
		// regardless); nothing else reads the clipped v (spec §3 order: clip, refractory,
		// compare, reset).
		pm.vmaxExact = true
		for i := 0; i < max(N, 1); i++ {
			if pm.vmax.at(i) <= pm.vth.at(i) {
				pm.vmaxExact = false
			}
		}
		pm.uSmall, pm.vSmall = true, true
		for i := 0; i < max(N, 1); i++ {
			if u := q.U0.at(i); u < -(1<<uBits) || u > 1<<uBits {
				pm.uSmall = false
			}
			if v := q.V0.at(i); v < -(1<<uBits) || v > 1<<uBits || q.NegVm.at(i) > uBits {
				pm.vSmall = false
			}
		}
		popIdx[p.Name] = i
		m.pops = append(m.pops, pm)
	}
	inIdx := map[string]int{}
	for i, p := range n.Inputs {
		inIdx[p.Name] = i
		m.inputs = append(m.inputs, inM{name: p.Name, size: p.Size, offset: m.nIn})
		m.nIn += p.Size
	}
	P := len(m.pops)
	for j, pr := range n.Projections {
		q := &pl.Projs[j]
		where := "projection " + pr.Name
		if q.Name != pr.Name {
			return nil, fmt.Errorf("%w: projection %d is %s, netlist has %s", ErrPayload, j, q.Name, pr.Name)
		}
		if len(q.W) != len(pr.W) {
			return nil, fmt.Errorf("%w: %s: %d weights, netlist has %d", ErrPayload, where, len(q.W), len(pr.W))
		}
		if q.Exp < -8 || q.Exp > 7 {
			return nil, fmt.Errorf("%w: %s: weight_exp %d outside -8..7", ErrPayload, where, q.Exp)
		}
		for k, w := range q.W {
			if w < -maxW || w >= maxW {
				return nil, fmt.Errorf("%w: %s: weight[%d] = %d outside the 8-bit domain", ErrPayload, where, k, w)
			}
		}
		post, ok := popIdx[pr.Post]
		if !ok {
			return nil, fmt.Errorf("%w: %s: post %q is not a population", ErrPayload, where, pr.Post)
		}
		src, ok := popIdx[pr.Pre]
		if !ok {
			in, ok := inIdx[pr.Pre]
			if !ok {
				return nil, fmt.Errorf("%w: %s: pre %q is neither a population nor an input", ErrPayload, where, pr.Pre)
			}
			src = P + in
		}
		syn, err := expand(pr)
		if err != nil {
			return nil, err
		}
		pm := projM{name: pr.Name, src: src, post: post, preSize: pr.PreSize, postSize: pr.PostSize, exp: q.Exp}
		if err := pm.fill(pr, syn, q.W); err != nil {
			return nil, err
		}
		m.pops[post].slots = max(m.pops[post].slots, nextPow2(syn.maxDelay+1))
		if src < P {
			m.pops[src].routes = append(m.pops[src].routes, j)
		} else {
			m.inputs[src-P].routes = append(m.inputs[src-P].routes, j)
		}
		m.projs = append(m.projs, pm)
	}
	m.boundAccumulators()
	for _, port := range n.Outputs {
		pi, ok := popIdx[port.Source]
		if !ok {
			return nil, fmt.Errorf("%w: output %s reads %q, which is not a population", ErrPayload, port.Name, port.Source)
		}
		switch port.Kind {
		case "", "spikes":
		case "v":
			q := &pl.Pops[pi]
			if len(q.VScale) == 0 {
				return nil, fmt.Errorf("%w: output %s: graded output of %s, which is not a readout (LI, CubaLI)", ErrUnsupported, port.Name, port.Source)
			}
			m.outputs = append(m.outputs, outM{name: port.Name, shape: port.Shape, pop: pi, graded: true, scale: q.VScale, off: q.VOff})
			continue
		default:
			return nil, fmt.Errorf("%w: output %s: graded (%s) outputs", ErrUnsupported, port.Name, port.Kind)
		}
		m.pops[pi].fired = true
		m.outputs = append(m.outputs, outM{name: port.Name, shape: port.Shape, pop: pi})
	}
	return m, nil
}

// denseMinFill is the fraction of structural synapses above which a projection with a
// uniform delay is stored as dense rows (a vectorizable row add per spike).
const denseMinFill = 0.25

// fill lays out the synapses of one projection. Structural synapses are the non-zero
// entries of the netlist's W (as in the loihi target); their weights come from the
// payload (which may be 0 after quantization).
func (pm *projM) fill(pr *ir.Projection, s *synList, qw []int64) error {
	uniform := true
	for _, d := range s.delay {
		if d != s.delay[0] {
			uniform = false
			break
		}
	}
	if len(s.delay) > 0 {
		pm.delay = int(s.delay[0])
	}
	total := pr.PreSize * pr.PostSize
	if pr.Kind == ir.Dense && uniform && total > 0 && float64(len(s.pre)) >= denseMinFill*float64(total) {
		// Dense W has one entry per (post, pre): no two synapses share a target slot.
		pm.dense = true
		pm.w = make([]int64, total)
		for k := range s.pre {
			pm.w[int(s.pre[k])*pr.PostSize+int(s.post[k])] = qw[s.widx[k]]
		}
		return nil
	}
	// CSR by presynaptic neuron, synapses in synList order within a row.
	pm.start = make([]int64, pr.PreSize+1)
	for _, p := range s.pre {
		pm.start[p+1]++
	}
	for i := 1; i <= pr.PreSize; i++ {
		pm.start[i] += pm.start[i-1]
	}
	fillAt := append([]int64(nil), pm.start[:pr.PreSize]...)
	ns := len(s.pre)
	pm.tgt, pm.w = make([]int64, ns), make([]int64, ns)
	if !uniform {
		pm.dly = make([]int64, ns)
	}
	for k, p := range s.pre {
		pos := fillAt[p]
		fillAt[p]++
		pm.tgt[pos] = int64(s.post[k])
		pm.w[pos] = qw[s.widx[k]]
		if !uniform {
			pm.dly[pos] = int64(s.delay[k])
		}
	}
	return nil
}

// boundAccumulators sets qExact on the populations whose dendritic sum cannot leave the
// 22-bit accumulator (spec §3 q = wrap(Σ, 21)): a spiking neuron fires at most once per
// step, so one slot (one arrival step) receives each synapse at most once, and Σ |shexp(w,
// e) << 6| over a neuron's incoming synapses bounds it. External input events carry no
// such guarantee (a stimulus may repeat an event), so a population fed by an input keeps
// the wrap.
func (m *netM) boundAccumulators() {
	sum := make([][]int64, len(m.pops))
	usum := make([][]float64, len(m.pops))
	for pi := range m.pops {
		sum[pi] = make([]int64, m.pops[pi].n)
		usum[pi] = make([]float64, m.pops[pi].n)
		m.pops[pi].qExact = true
	}
	for j := range m.projs {
		pr := &m.projs[j]
		if pr.src >= len(m.pops) {
			m.pops[pr.post].qExact = false
			continue
		}
		src, post := &m.pops[pr.src], &m.pops[pr.post]
		s, us := sum[pr.post], usum[pr.post]
		for k, w := range pr.w {
			c := synContrib(w, pr.exp)
			if c < 0 {
				c = -c
			}
			var pre, tgt int
			if pr.dense {
				pre, tgt = k/pr.postSize, k%pr.postSize
			} else {
				tgt = int(pr.tgt[k])
				pre = sort.Search(pr.preSize, func(i int) bool { return pr.start[i+1] > int64(k) })
			}
			s[tgt] += c
			// Arrivals over one synapse are at least R = max(refract_delay, 1) steps
			// apart (a refractory neuron has v = 0 and cannot fire), and u decays by
			// φ = f/4096 per step (rounding toward zero only shrinks it), so the
			// synapse adds at most |c|·Σ φ^(kR) = |c| / (1 − φ^R) to |u|.
			phi := float64(post.decU.at(tgt)) / decayOne
			r := max(src.refract.at(pre), 1)
			us[tgt] += float64(c) / (1 - math.Pow(phi, float64(r)))
		}
	}
	for pi := range m.pops {
		p := &m.pops[pi]
		for _, x := range sum[pi] {
			if x >= 1<<qBits {
				p.qExact = false
				break
			}
		}
		// |u_t| ≤ |u0| + Σ_syn |c| / (1 − φ^R) when every q is the exact sum (qExact);
		// with a margin for the float64 bound, both wraps of u are then the identity.
		p.uExact = p.qExact
		for i := 0; i < p.n && p.uExact; i++ {
			b := math.Abs(float64(p.u0.at(i))) + usum[pi][i] + math.Abs(float64(p.bias.at(i)))
			if math.IsNaN(b) || b*(1+1e-6)+1 >= 1<<uBits {
				p.uExact = false
			}
		}
		// With one accumulator slot and no wrap on q or u, u_t = decay(u_{t−1}) + Σ c
		// holds as plain int32 arithmetic in any order of the terms: every partial sum is
		// bounded like u itself, so the contributions may be added straight into a
		// pre-decayed u (codegen compartmentLoop, the fused layout).
		p.fused = p.slots == 1 && p.qExact && p.uExact
	}
}
