package loihi

import (
	"math"

	"github.com/snnc/snnc/emulator"
)

// outCost is what one spike of a compartment costs on the mesh (spec §9): output
// messages (one per destination core), of which inTile stay within the tile, and the
// E-W / N-S tile hops summed over messages; pathS is the slowest message's latency.
type outCost struct {
	msgs, inTile, ew, ns int32
	pathS                float32
}

// core is one Loihi core: an emulator.Core. Synapses are a CSR table per input axon;
// targets index the accumulator ring (slot·stride + group·n + compartment).
type core struct {
	mode Mode
	n    int
	cx   []Cx
	st   []State // lava mode state
	init []State
	// chip mode: packed 32-bit parameters and state (the hot loop)
	cp      []cxp
	cs      []cxs
	uniform bool // every compartment has the same cxp (hot loop with hoisted parameters)
	// synapse table (spec §4, notes §3.3)
	axStart  []int32
	synTgt   []int32
	synW     []int32 // chip: shexp(w, e) << 6; lava: w
	synDly   []uint8 // nil when every delay is 0
	synProj  []int32 // cold: projection index per synapse (Weights/SetWeights)
	synWidx  []int32 // cold: index in the projection's W
	groupExp []int   // lava: weight_exp per accumulator group
	nslot    int
	stride   int
	acc      []int32 // nslot × stride dendritic accumulators
	q        []int32 // chip: q consumed in the last step (probe)
	t0       int     // absolute step of the engine's t = 0 in the current run
	// cost model
	prof      *Profile
	out       []outCost
	synops    int64
	active    int64
	inactive  int64
	spikes    int64
	msgs      int64
	inTile    int64
	hopsEW    int64
	hopsNS    int64
	energyJ   float64
	stepTime  []float64 // per step of the current run: core time
	stepPath  []float64 // per step: slowest spike message
	lastFired []int32
}

// Step implements emulator.Core: deliver this step's events into the accumulator ring,
// then update every compartment in index order (spec §3).
func (c *core) Step(t int, in []emulator.Event, fired []int32) []int32 {
	T := c.t0 + t
	base := (T % c.nslot) * c.stride
	var syn int64
	if c.synDly == nil {
		cur := c.acc[base : base+c.stride]
		for _, ev := range in {
			s, e := c.axStart[ev.Axon], c.axStart[ev.Axon+1]
			syn += int64(e - s)
			tg, w := c.synTgt[s:e], c.synW[s:e]
			for k := range tg {
				cur[tg[k]] += w[k] // int32 wrap is harmless: q wraps to 22 bits (chip)
			}
		}
	} else {
		for _, ev := range in {
			s, e := c.axStart[ev.Axon], c.axStart[ev.Axon+1]
			syn += int64(e - s)
			for k := s; k < e; k++ {
				slot := (T + int(c.synDly[k])) % c.nslot
				c.acc[slot*c.stride+int(c.synTgt[k])] += c.synW[k]
			}
		}
	}
	cur := c.acc[base : base+c.stride]
	n := c.n
	active := 0
	first := len(fired)
	if c.mode == Chip {
		active, fired = c.stepChip(cur[:n], fired)
	} else {
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
	}
	c.account(syn, active, fired[first:])
	return fired
}

// cxp is one compartment's chip-mode parameters packed in 32-bit fields (Cx).
type cxp struct{ decU, decV, bias, vth, vmin, vmax, refr int32 }

// cxs is one compartment's chip-mode state.
type cxs struct{ u, v, ref int32 }

// stepChip is the chip-mode update of spec §3 (ChipStep) over packed 32-bit state,
// written branch-free for the common path:
//   - shr0(x, 12) = (x + ((x >> 63) & 4095)) >> 12 (adding 2^12 − 1 to a negative x
//     before the arithmetic shift rounds toward zero);
//   - wrap(x, b) by sign extension from bit b (shift left, arithmetic shift right).
//
// TestCoreMatchesChipStep checks it against ChipStep.
func (c *core) stepChip(cur []int32, fired []int32) (int, []int32) {
	if c.uniform {
		return c.stepChipUniform(cur, fired)
	}
	n := len(cur)
	cp, cs, q := c.cp[:n], c.cs[:n], c.q[:n]
	active := 0
	for i, a := range cur {
		p, s := &cp[i], &cs[i]
		if a|s.u|s.v|p.bias != 0 {
			active++
		}
		cur[i] = 0
		qq := int64(a) << 42 >> 42 // q = wrap(acc, 21)
		x := int64(s.u) * int64(p.decU)
		un := ((x+((x>>63)&(decayOne-1)))>>decayBits + qq) << 40 >> 40 // u = wrap(decay(u) + q, 23)
		u2 := (un + int64(p.bias)) << 40 >> 40                         // wrap(u + bias, 23)
		y := int64(s.v) * int64(p.decV)
		vn := (y+((y>>63)&(decayOne-1)))>>decayBits + u2
		vn = min(max(vn, int64(p.vmin)), int64(p.vmax))
		r := s.ref
		if r > 0 { // refractory: v held at 0
			vn = 0
			r--
		}
		if vn > int64(p.vth) { // strict threshold
			vn = 0
			r = max(p.refr-1, 0)
			fired = append(fired, int32(i))
		}
		s.u, s.v, s.ref = int32(un), int32(vn), r
		q[i] = int32(qq)
	}
	return active, fired
}

// stepChipUniform is stepChip with the parameters of a uniform core held in registers.
func (c *core) stepChipUniform(cur []int32, fired []int32) (int, []int32) {
	n := len(cur)
	cs, q := c.cs[:n], c.q[:n]
	p := c.cp[0]
	decU, decV, bias, vth := int64(p.decU), int64(p.decV), int64(p.bias), int64(p.vth)
	vmin, vmax, refr := int64(p.vmin), int64(p.vmax), max(p.refr-1, 0)
	active := 0
	if bias != 0 {
		active = n
	}
	for i, a := range cur {
		s := &cs[i]
		if bias == 0 && a|s.u|s.v != 0 {
			active++
		}
		cur[i] = 0
		qq := int64(a) << 42 >> 42
		x := int64(s.u) * decU
		un := ((x+((x>>63)&(decayOne-1)))>>decayBits + qq) << 40 >> 40
		u2 := (un + bias) << 40 >> 40
		y := int64(s.v) * decV
		vn := min(max((y+((y>>63)&(decayOne-1)))>>decayBits+u2, vmin), vmax)
		r := s.ref
		if r > 0 {
			vn = 0
			r--
		}
		if vn > vth {
			vn = 0
			r = refr
			fired = append(fired, int32(i))
		}
		s.u, s.v, s.ref = int32(un), int32(vn), r
		q[i] = int32(qq)
	}
	return active, fired
}

// account adds one step to the cost model (spec §9).
func (c *core) account(syn int64, active int, fired []int32) {
	p := c.prof
	inactive := c.n - active
	c.synops += syn
	c.active += int64(active)
	c.inactive += int64(inactive)
	c.spikes += int64(len(fired))
	T := float64(syn)*p.SynOpS + float64(active)*p.ActiveS + float64(inactive)*p.InactiveS
	E := float64(syn)*p.SynOpJ + float64(active)*p.ActiveJ + float64(inactive)*p.InactiveJ
	path := 0.0
	for _, i := range fired {
		o := &c.out[i]
		c.msgs += int64(o.msgs)
		c.inTile += int64(o.inTile)
		c.hopsEW += int64(o.ew)
		c.hopsNS += int64(o.ns)
		E += p.SpikeJ + float64(o.msgs)*p.AxonOutJ + float64(o.inTile)*p.InTileJ + float64(o.ew)*p.HopEWJ + float64(o.ns)*p.HopNSJ
		T += p.SpikeS + float64(o.msgs)*p.AxonOutS
		path = max(path, float64(o.pathS))
	}
	c.energyJ += E
	c.stepTime = append(c.stepTime, T)
	c.stepPath = append(c.stepPath, path)
	c.lastFired = append(c.lastFired[:0], fired...)
}

// Reset implements emulator.Core.
func (c *core) Reset() {
	copy(c.st, c.init)
	for i, s := range c.init {
		if c.cs != nil {
			c.cs[i] = cxs{u: int32(s.U), v: int32(s.V)}
		}
	}
	clear(c.acc)
	clear(c.q)
	c.lastFired = c.lastFired[:0]
}

func (c *core) resetCounters() {
	c.synops, c.active, c.inactive, c.spikes = 0, 0, 0, 0
	c.msgs, c.inTile, c.hopsEW, c.hopsNS, c.energyJ = 0, 0, 0, 0, 0
	c.stepTime, c.stepPath = c.stepTime[:0], c.stepPath[:0]
}

// initChip fills the chip-mode packed copy of cx and init.
func (c *core) initChip() {
	n := len(c.cx)
	c.cp, c.cs = make([]cxp, n), make([]cxs, n)
	for i, p := range c.cx {
		c.cp[i] = cxp{decU: int32(p.DecU), decV: int32(p.DecV), bias: int32(p.Bias), vth: int32(p.Vth),
			vmin: int32(max(p.Vmin, math.MinInt32)), vmax: int32(p.Vmax), refr: p.Refract}
		c.cs[i] = cxs{u: int32(c.init[i].U), v: int32(c.init[i].V)}
	}
	c.uniform = n > 0
	for _, p := range c.cp {
		c.uniform = c.uniform && p == c.cp[0]
	}
}

// state returns compartment i's u and v whatever the mode.
func (c *core) state(i int) (u, v int64) {
	if c.cs != nil {
		return int64(c.cs[i].u), int64(c.cs[i].v)
	}
	return c.st[i].U, c.st[i].V
}
