package loihi

import (
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
	st   []State
	init []State
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
		cx, st, q := c.cx[:n], c.st[:n], c.q[:n]
		cur = cur[:n]
		for i := range cx {
			a := cur[i]
			s := &st[i]
			if a != 0 || s.U != 0 || s.V != 0 || cx[i].Bias != 0 {
				active++
			}
			qq, spike := ChipStep(&cx[i], s, int64(a))
			q[i] = int32(qq)
			cur[i] = 0
			if spike {
				fired = append(fired, int32(i))
			}
		}
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
	clear(c.acc)
	clear(c.q)
	c.lastFired = c.lastFired[:0]
}

func (c *core) resetCounters() {
	c.synops, c.active, c.inactive, c.spikes = 0, 0, 0, 0
	c.msgs, c.inTile, c.hopsEW, c.hopsNS, c.energyJ = 0, 0, 0, 0, 0
	c.stepTime, c.stepPath = c.stepTime[:0], c.stepPath[:0]
}
