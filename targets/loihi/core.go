package loihi

import (
	"math"
	"slices"
)

// outCost is what one spike of a compartment costs on the mesh (spec §9): output
// messages (one per destination core), of which inTile stay within the tile, and the
// E-W / N-S tile hops summed over messages; pathS is the slowest message's latency.
type outCost struct {
	msgs, inTile, ew, ns int32
	pathS                float32
}

// core is one Loihi core: its compartments' state and parameters and its window of the
// machine's accumulator ring. The synapses reaching it are held by the machine, fanned
// out by presynaptic source (run.go).
//
// Chip-mode state is structure-of-arrays int32 (u, v, ref); parameters are either
// uniform over the core (p0, held in registers by the hot loop) or per compartment
// (pr). Lava-mode and multi-compartment (tree) cores use the int64 reference steps
// (LavaStep, ChipStep) per compartment.
type core struct {
	mode Mode
	n    int // neurons (spiking units) on the core
	ncx  int // compartments (n × tree size)
	cx   []Cx
	st   []State // lava / tree state
	init []State
	// chip mode, single-compartment: SoA state and parameters
	u, v, ref []int32
	uniform   bool // every compartment has the same parameters (p0)
	p0        cxp
	pr        cxpSoA
	// tree is non-nil for multi-compartment neurons (spec §7).
	tree *tree
	// Accumulators (spec §4): acc is the machine-wide ring of nslot slots of slotLen
	// words; this core's slot s is acc[s·slotLen + accOff :][:stride], group g's
	// compartment x at g·ncx + x. Synapse tables live in the machine (fan-out by source).
	groupExp []int // lava: weight_exp per accumulator group
	acc      []int32
	accOff   int
	slotLen  int
	nslot    int
	stride   int
	curT     int     // absolute step of the update in progress
	keepQ    bool    // a q probe is active: copy the consumed slot to q
	q        []int32 // chip: the raw accumulator consumed in the last step (probe wraps)
	synNext  *int64  // synapses delivered since the last update (the machine's counter)
}

// slot returns the accumulator slot consumed at absolute step T.
func (c *core) slot(T int) []int32 {
	base := (T%c.nslot)*c.slotLen + c.accOff
	return c.acc[base : base+c.stride]
}

// update advances every compartment through absolute step T (spec §3), appending the
// local ids of neurons that spiked to fired; it returns the number of active
// compartments (cost model).
func (c *core) update(T int, fired []int32) (int, []int32) {
	cur := c.slot(T)
	c.curT = T
	switch {
	case c.tree != nil:
		return c.stepTree(cur, fired)
	case c.mode == Chip:
		return c.stepChip(cur, fired)
	}
	n := c.n
	active := 0
	groups := len(c.groupExp)
	for i := 0; i < n; i++ {
		var a int64
		nz := false
		for g := 0; g < groups; g++ {
			x := cur[g*n+i]
			if x != 0 {
				nz = true
				a += shexp(int64(x), c.groupExp[g]) // exponent on the per-step sum (Lava)
				cur[g*n+i] = 0
			}
		}
		s := &c.st[i]
		if nz || s.U != 0 || s.V != 0 || c.cx[i].Bias != 0 {
			active++
		}
		if LavaStep(&c.cx[i], s, a) {
			fired = append(fired, int32(i))
		}
	}
	return active, fired
}

// cxp is one compartment's chip-mode parameters packed in 32-bit fields (Cx); refr is
// the counter loaded on a spike (max(refract_delay − 1, 0), see ChipStep).
type cxp struct{ decU, decV, bias, vth, vmin, vmax, refr int32 }

// cxpSoA is cxp per compartment, structure of arrays.
type cxpSoA struct{ decU, decV, bias, vth, vmin, vmax, refr []int32 }

// stepChip updates every compartment of a single-compartment chip core from cur (its
// slot; update's chip-mode path, and the tests' and benchmarks' entry point).
func (c *core) stepChip(cur []int32, fired []int32) (int, []int32) {
	if c.keepQ {
		copy(c.q, cur)
	}
	return c.stepChipRange(cur, 0, c.n, fired)
}

// stepChipRange is the chip-mode update of spec §3 (ChipStep) over compartments
// [lo, hi), int32 structure of arrays, branch-free:
//   - q = wrap(acc, 21): sign extension from bit 21 (int32 a << 10 >> 10);
//   - shr0(x, 12) = (x + ((x >> 63) & 4095)) >> 12 (adding 2^12 − 1 to a negative x
//     before the arithmetic shift rounds toward zero);
//   - wrap(x, 23) by sign extension from bit 23 (x << 40 >> 40);
//   - refractory: m = (−ref) >> 31 is all ones while ref > 0; v &^= m, ref += m;
//   - spike: f = (vth − v) >> 63 is all ones when v > vth (strict); v &^= f, ref loads
//     refr under f; the compartment id is written unconditionally and the fired length
//     advanced by −f.
//
// The slot is cleared afterwards. TestCoreMatchesChipStep checks it against ChipStep.
func (c *core) stepChipRange(cur []int32, lo, hi int, fired []int32) (int, []int32) {
	fired = slices.Grow(fired, hi-lo)
	k := len(fired)
	out := fired[:cap(fired)]
	var active int
	if c.uniform {
		active, k = chipUniformFast(c.p0, cur[lo:hi], c.u[lo:hi], c.v[lo:hi], c.ref[lo:hi], out, k, int32(lo)) // clears cur[lo:hi]
	} else {
		active, k = chipGeneral(&c.pr, cur, c.u, c.v, c.ref, out, k, lo, hi)
		clear(cur[lo:hi])
	}
	return active, out[:k]
}

// chipUniform is the hot loop of a core whose compartments share one parameter set.
func chipUniform(p cxp, cur, us, vs, rs []int32, out []int32, k int, base int32) (int, int) {
	n := len(cur)
	us, vs, rs = us[:n], vs[:n], rs[:n]
	decU, decV, bias, vth := int64(p.decU), int64(p.decV), int64(p.bias), int64(p.vth)
	vmin, vmax, refr := int64(p.vmin), int64(p.vmax), p.refr
	var nz int32
	for i := 0; i < n; i++ {
		a, u, v, r := cur[i], us[i], vs[i], rs[i]
		x := a | u | v
		nz += int32(uint32(x|-x) >> 31) // active: accumulator or state non-zero
		qq := int64(a << 10 >> 10)      // q = wrap(acc, 21)
		xu := int64(u) * decU
		un := ((xu+((xu>>63)&(decayOne-1)))>>decayBits + qq) << 40 >> 40 // u = wrap(decay(u) + q, 23)
		u2 := (un + bias) << 40 >> 40                                    // wrap(u + bias, 23)
		yv := int64(v) * decV
		vn := min(max((yv+((yv>>63)&(decayOne-1)))>>decayBits+u2, vmin), vmax)
		m := (-r) >> 31 // refractory: v held at 0, counter decremented
		vn &^= int64(m)
		r += m
		f := (vth - vn) >> 63 // strict threshold (vth ≥ 0, so a held v never spikes)
		vn &^= f
		r = r&^int32(f) | refr&int32(f)
		out[k] = base + int32(i)
		k -= int(f)
		us[i], vs[i], rs[i] = int32(un), int32(vn), r
	}
	active := int(nz)
	if bias != 0 {
		active = n
	}
	return active, k
}

// chipGeneral is chipUniform with per-compartment parameters.
func chipGeneral(p *cxpSoA, cur, us, vs, rs []int32, out []int32, k, lo, hi int) (int, int) {
	cur, us, vs, rs = cur[lo:hi], us[lo:hi], vs[lo:hi], rs[lo:hi]
	n := len(cur)
	us, vs, rs = us[:n], vs[:n], rs[:n]
	pdu, pdv, pb, pth := p.decU[lo:hi][:n], p.decV[lo:hi][:n], p.bias[lo:hi][:n], p.vth[lo:hi][:n]
	pmin, pmax, prf := p.vmin[lo:hi][:n], p.vmax[lo:hi][:n], p.refr[lo:hi][:n]
	var nz int32
	for i := 0; i < n; i++ {
		a, u, v, r, b := cur[i], us[i], vs[i], rs[i], pb[i]
		x := a | u | v | b
		nz += int32(uint32(x|-x) >> 31)
		qq := int64(a << 10 >> 10)
		xu := int64(u) * int64(pdu[i])
		un := ((xu+((xu>>63)&(decayOne-1)))>>decayBits + qq) << 40 >> 40
		u2 := (un + int64(b)) << 40 >> 40
		yv := int64(v) * int64(pdv[i])
		vn := min(max((yv+((yv>>63)&(decayOne-1)))>>decayBits+u2, int64(pmin[i])), int64(pmax[i]))
		m := (-r) >> 31
		vn &^= int64(m)
		r += m
		f := (int64(pth[i]) - vn) >> 63
		vn &^= f
		r = r&^int32(f) | prf[i]&int32(f)
		out[k] = int32(lo + i)
		k -= int(f)
		us[i], vs[i], rs[i] = int32(un), int32(vn), r
	}
	return int(nz), k
}

// Reset returns the dynamic state to t = 0.
func (c *core) Reset() {
	copy(c.st, c.init)
	if c.u != nil {
		for i, s := range c.init {
			c.u[i], c.v[i], c.ref[i] = int32(s.U), int32(s.V), 0
		}
	}
	if c.tree != nil {
		c.tree.reset()
	}
	clear(c.q)
}

// initChip fills the chip-mode structure-of-arrays copy of cx and init.
func (c *core) initChip() {
	n := len(c.cx)
	if c.ncx == 0 {
		c.ncx = n
	}
	c.u, c.v, c.ref = make([]int32, n), make([]int32, n), make([]int32, n)
	pr := cxpSoA{make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)}
	c.uniform = n > 0
	for i, p := range c.cx {
		x := packCx(p)
		pr.decU[i], pr.decV[i], pr.bias[i], pr.vth[i], pr.vmin[i], pr.vmax[i], pr.refr[i] = x.decU, x.decV, x.bias, x.vth, x.vmin, x.vmax, x.refr
		c.u[i], c.v[i] = int32(c.init[i].U), int32(c.init[i].V)
		c.uniform = c.uniform && x == packCx(c.cx[0])
	}
	if c.uniform {
		c.p0 = packCx(c.cx[0])
	} else {
		c.pr = pr
	}
}

func packCx(p Cx) cxp {
	return cxp{decU: int32(p.DecU), decV: int32(p.DecV), bias: int32(p.Bias), vth: int32(p.Vth),
		vmin: int32(max(p.Vmin, math.MinInt32)), vmax: int32(p.Vmax), refr: max(p.Refract-1, 0)}
}

// state returns neuron i's u and v whatever the mode (the soma's for trees).
func (c *core) state(i int) (u, v int64) {
	if c.tree != nil {
		s := c.st[i*c.tree.k+c.tree.k-1]
		return s.U, s.V
	}
	if c.u != nil {
		return int64(c.u[i]), int64(c.v[i])
	}
	return c.st[i].U, c.st[i].V
}

// qOf returns neuron i's q of the last step (chip mode; the soma's for trees).
func (c *core) qOf(i int) int64 {
	if c.tree != nil {
		return c.tree.q[i]
	}
	return wrap(int64(c.q[i]), qBits)
}
