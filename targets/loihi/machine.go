package loihi

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/quantize"
)

// machine is one emulated Loihi system running one image.
type machine struct {
	im       *image
	hw       HW
	mode     Mode
	prof     Profile
	cores    []*core
	sched    *sched
	popCores [][]int // population → its cores, in neuron order
	popL     []int   // neurons per core slice (all but the last slice)
	w        [][]int64
	steps    int // absolute steps run since Reset
	chips    int
	tiles    int

	// Neuron ids: core ci holds neurons nrnOff[ci] … nrnOff[ci]+n−1 (core order);
	// nrnCore maps an id back to its core.
	nrnOff  []int
	nrnCore []int32
	// The accumulator ring of every core (core.slot) and, for chip-mode
	// single-compartment cores, their u, v, ref, all indexed by accumulator offset.
	acc          []int32
	nslot        int
	slotLen      int
	su, sv, sref []int32
	// Synapses fanned out by source (fanout.go).
	fan     fanout
	wiring  wiring
	inputs  []inPort
	outputs []emulator.OutputStream
	graded  []gradedOut
	outRef  []emulator.OutRef // by neuron id
	outc    []outCost         // by neuron id
	// Cost model (spec §9), per core for the step in progress, and the run's totals.
	ncx     []int32
	totalCx int64 // Σ ncx
	synNext []int64
	act     []int32
	spkT    []float64
	tot     totals
	fired   []int32 // neuron ids that spiked in the last step, ascending
	pending []int32 // sources whose spikes the workers deliver at the start of the next step
	// pendingG are graded input events (spikes-format "values") for the next step
	pendingG []gradedEv
}

// sequentialBelow is the compartment count under which Run steps cores on one
// goroutine (a barrier per step costs more than it saves on small networks).
const sequentialBelow = 32768

func newMachine(im *image, hw HW, prof Profile) (*machine, error) {
	pl := &im.pl
	n := im.n
	mode, err := parseMode(pl.Mode)
	if err != nil {
		return nil, err
	}
	m := &machine{im: im, hw: hw, mode: mode, prof: prof}
	P := len(n.Populations)
	m.popCores = make([][]int, P)
	m.popL = make([]int, P)
	m.cores = make([]*core, len(pl.Cores))
	for ci, cm := range pl.Cores {
		if cm.Pop < 0 || cm.Pop >= P || cm.Count <= 0 || cm.Start < 0 || cm.Start+cm.Count > n.Populations[cm.Pop].Size {
			return nil, errorf(ErrPayload, "core %d maps %+v outside its population", ci, cm)
		}
		if len(m.popCores[cm.Pop]) == 0 {
			m.popL[cm.Pop] = cm.Count
		}
		m.popCores[cm.Pop] = append(m.popCores[cm.Pop], ci)

	}
	for pi, p := range n.Populations {
		got := 0
		for _, ci := range m.popCores[pi] {
			got += pl.Cores[ci].Count
		}
		if got != p.Size {
			return nil, errorf(ErrPayload, "population %s: cores hold %d of %d neurons", p.Name, got, p.Size)
		}
	}
	m.chips = (len(pl.Cores) + hw.CoresPerChip - 1) / hw.CoresPerChip
	tiles := map[int]bool{}
	for ci := range pl.Cores {
		tiles[ci/hw.CoresPerTile] = true
	}
	m.tiles = len(tiles)
	// Weights as held by the chip (a copy SetWeights may change).
	m.w = make([][]int64, len(pl.Projs))
	for j := range pl.Projs {
		m.w[j] = slices.Clone(pl.Projs[j].W)
	}
	// Lava: one accumulator group per distinct weight_exp into a population.
	groupOf := make([]int, len(n.Projections)) // projection → group in its post's cores
	popGroups := make([][]int, P)
	popIdx := map[string]int{}
	for i, p := range n.Populations {
		popIdx[p.Name] = i
	}
	for j, pr := range n.Projections {
		di := popIdx[pr.Post]
		e := pl.Projs[j].Exp
		if mode == Chip {
			e = 0
		}
		g := slices.Index(popGroups[di], e)
		if g < 0 {
			g = len(popGroups[di])
			popGroups[di] = append(popGroups[di], e)
		}
		groupOf[j] = g
	}
	for ci, cm := range pl.Cores {
		qp := &pl.Pops[cm.Pop]
		c := &core{mode: mode, n: cm.Count}
		c.cx = make([]Cx, cm.Count)
		c.init = make([]State, cm.Count)
		for i := 0; i < cm.Count; i++ {
			j := cm.Start + i
			c.cx[i] = NewCx(mode, qp.Du.at(j), qp.Dv.at(j), qp.Vth.at(j), qp.BiasMant.at(j), int(qp.BiasExp.at(j)),
				int32(qp.Refract.at(j)), int(qp.NegVm.at(j)), int(qp.PosVm.at(j)))
			c.init[i] = State{U: qp.U0.at(j), V: qp.V0.at(j)}
		}
		c.ncx = cm.Count
		if k := len(qp.Tree); k > 0 { // multi-compartment neurons (spec §7): soma last
			cx, init := make([]Cx, 0, k*cm.Count), make([]State, 0, k*cm.Count)
			for i := 0; i < cm.Count; i++ {
				for _, tc := range qp.Tree[:k-1] {
					cx = append(cx, NewCx(mode, tc.Du, tc.Dv, 0, tc.BiasMant, tc.BiasExp, 0, int(qp.NegVm.at(0)), int(qp.PosVm.at(0))))
					init = append(init, State{})
				}
				cx, init = append(cx, c.cx[i]), append(init, c.init[i])
			}
			c.cx, c.init, c.ncx = cx, init, k*cm.Count
			c.tree = &tree{k: k, cx: qp.Tree, q: make([]int64, cm.Count)}
		}
		c.st = slices.Clone(c.init)
		if mode == Chip && c.tree == nil {
			c.initChip()
		}
		c.groupExp = popGroups[cm.Pop]
		if len(c.groupExp) == 0 {
			c.groupExp = []int{0}
		}
		c.stride = len(c.groupExp) * c.ncx
		c.q = make([]int32, cm.Count)
		m.cores[ci] = c
	}
	m.layout()
	if err := m.wire(groupOf, popIdx); err != nil {
		return nil, err
	}
	m.sched = newSched(m)
	return m, nil
}

func (m *machine) coreOf(pi, neuron int) (ci, local int) {
	s := neuron / m.popL[pi]
	return m.popCores[pi][s], neuron - s*m.popL[pi]
}

// encode is the synapse word value: chip mode stores the scaled per-synapse
// contribution shexp(w, e) << 6 (spec §3 chip), lava mode the raw weight.
func (m *machine) encode(w int64, e int) int32 {
	if m.mode == Chip {
		return int32(SynChip(w, e))
	}
	return int32(w)
}

// place returns a core's global mesh position: chips side by side along E-W, 8×4
// tiles of 4 cores each per chip (spec §9).
func (m *machine) place(ci int) (tile, x, y int) {
	h := m.hw
	chip := ci / h.CoresPerChip
	t := (ci % h.CoresPerChip) / h.CoresPerTile
	return ci / h.CoresPerTile, chip*h.MeshW + t%h.MeshW, t / h.MeshW
}

func (m *machine) outCost(src int, dst []route) outCost {
	var o outCost
	st, sx, sy := m.place(src)
	for _, d := range dst {
		dt, dx, dy := m.place(int(d.core))
		o.msgs++
		var path float64
		if dt == st {
			o.inTile++
			path = m.prof.InTileS
		} else {
			ew, ns := abs(dx-sx), abs(dy-sy)
			o.ew += int32(ew)
			o.ns += int32(ns)
			path = float64(ew)*m.prof.HopEWS + float64(ns)*m.prof.HopNSS
		}
		o.pathS = max(o.pathS, float32(path))
	}
	return o
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Run implements targets.Machine.
func (m *machine) Run(ctx context.Context, in *emulator.Stimulus, steps int, probes []string) (*emulator.Trace, error) {
	if steps < 0 {
		return nil, errorf(ErrInput, "steps %d < 0", steps)
	}
	for _, c := range m.cores {
		c.keepQ = false
	}
	eps, err := m.probes(probes)
	if err != nil {
		return nil, err
	}
	m.tot = totals{}
	tr, err := m.run(ctx, in, steps, eps)
	if err != nil {
		return nil, err
	}
	m.steps += steps
	cnt := m.counters(steps)
	tr.Stats = cnt.Stats()
	return tr, nil
}

// Reset implements targets.Machine.
func (m *machine) Reset() {
	for _, c := range m.cores {
		c.Reset()
	}
	clear(m.acc)
	clear(m.synNext)
	m.fired, m.pending, m.pendingG = m.fired[:0], m.pending[:0], m.pendingG[:0]
	m.steps = 0
}

func (m *machine) probes(names []string) ([]emulator.Probe, error) {
	n := m.im.n
	var out []emulator.Probe
	for _, name := range names {
		dot := strings.LastIndexByte(name, '.')
		if dot <= 0 {
			return nil, errorf(ErrProbe, "%q: want NODE.VAR", name)
		}
		node, v := name[:dot], name[dot+1:]
		pi := -1
		for i, p := range n.Populations {
			if p.Name == node {
				pi = i
			}
		}
		if pi < 0 {
			return nil, fmt.Errorf("%w: %q: no population %q", emulator.ErrProbe, name, node)
		}
		var read func(c *core, i int) float64
		switch v {
		case "u":
			read = func(c *core, i int) float64 { u, _ := c.state(i); return float64(u) }
		case "v":
			read = func(c *core, i int) float64 { _, v := c.state(i); return float64(v) }
		case "q":
			if m.mode != Chip {
				return nil, fmt.Errorf("%w: %q: q is probed in chip mode only", emulator.ErrProbe, name)
			}
			read = func(c *core, i int) float64 { return float64(c.qOf(i)) }
			for _, ci := range m.popCores[pi] {
				m.cores[ci].keepQ = true
			}
		case "spikes":
			read = nil
		default:
			return nil, fmt.Errorf("%w: %q: variables are u, v, q, spikes", emulator.ErrProbe, name)
		}
		cores := m.popCores[pi]
		pcores := make([]*core, len(cores))
		offs := make([]int, len(cores))
		for k, ci := range cores {
			pcores[k], offs[k] = m.cores[ci], m.im.pl.Cores[ci].Start
		}
		rd := read
		out = append(out, emulator.Probe{Name: name, Shape: n.Populations[pi].Shape, DType: "i32", Read: func(row []float64) {
			if rd == nil {
				clear(row)
				for _, g := range m.fired {
					ci := m.nrnCore[g]
					if cm := m.im.pl.Cores[ci]; cm.Pop == pi {
						row[cm.Start+int(g)-m.nrnOff[ci]] = 1
					}
				}
				return
			}
			for k, c := range pcores {
				for i := 0; i < c.n; i++ {
					row[offs[k]+i] = rd(c, i)
				}
			}
		}})
	}
	return out, nil
}

// counters combines the cores' counts into the run's statistics (spec §9).
func (m *machine) counters(steps int) *emulator.Counters {
	p := m.prof
	var c emulator.Counters
	k := m.tot
	c.SynapticEvents, c.Spikes = k.syn, k.spikes
	c.NeuronUpdates = k.active + k.inactive
	active, inactive, msgs, inTile, ew, ns := k.active, k.inactive, k.msgs, k.inTile, k.ew, k.ns
	dyn := float64(k.syn)*p.SynOpJ + float64(active)*p.ActiveJ + float64(inactive)*p.InactiveJ +
		float64(k.spikes)*p.SpikeJ + float64(msgs)*p.AxonOutJ + float64(inTile)*p.InTileJ + float64(ew)*p.HopEWJ + float64(ns)*p.HopNSJ
	barrier := m.barrier()
	t := k.timeS
	static := p.StaticWPerChip * float64(max(m.chips, 1)) * t
	c.TimeS = t
	c.EnergyJ = dyn + static
	c.Cycles = int64(steps) // Loihi is asynchronous: one cycle = one algorithmic step
	c.Extra = map[string]float64{
		"loihi.active_updates":   float64(active),
		"loihi.inactive_updates": float64(inactive),
		"loihi.spike_messages":   float64(msgs),
		"loihi.spikes_in_tile":   float64(inTile),
		"loihi.tile_hops_ew":     float64(ew),
		"loihi.tile_hops_ns":     float64(ns),
		"loihi.energy_dynamic_j": dyn,
		"loihi.energy_static_j":  static,
		"loihi.barrier_s":        barrier * float64(steps),
		"loihi.cores":            float64(len(m.cores)),
		"loihi.chips":            float64(m.chips),
		"loihi.tiles":            float64(m.tiles),
	}
	return &c
}

// barrier is the per-step barrier time: 113 ns (1 tile) … 465 ns (32 tiles), linear in
// the tiles spanned (Davies 2018 Table 2); multi-chip systems use the measured
// 14.3 µs (Frady 2020).
func (m *machine) barrier() float64 {
	p := m.prof
	if m.chips > 1 {
		return p.BarrierMultiChipS
	}
	tiles := max(m.tiles, 1)
	maxT := m.hw.MeshW * m.hw.MeshH
	return p.BarrierMinS + (p.BarrierMaxS-p.BarrierMinS)*float64(tiles-1)/float64(maxT-1)
}

// Projections implements targets.Machine.
func (m *machine) Projections() []string {
	var out []string
	for _, p := range m.im.n.Projections {
		out = append(out, p.Name)
	}
	return out
}

func (m *machine) proj(name string) (int, error) {
	for j, p := range m.im.n.Projections {
		if p.Name == name {
			return j, nil
		}
	}
	return 0, fmt.Errorf("loihi: projection %q: %w", name, errNoProj)
}

// Weights implements targets.Machine: the legalized weights in model units
// (w8 / scale for quantized float models, the 8-bit-domain integers for native ones).
func (m *machine) Weights(name string) ([]float64, error) {
	j, err := m.proj(name)
	if err != nil {
		return nil, err
	}
	q := m.im.pl.Projs[j]
	out := make([]float64, len(m.w[j]))
	for k, w := range m.w[j] {
		if q.Scale != 0 {
			out[k] = float64(w) / q.Scale
		} else {
			out[k] = float64(w)
		}
	}
	return out, nil
}

// SetWeights implements targets.Machine: re-quantizes with the projection's compiled
// scale and exponent and rewrites every synapse. Entries that were 0 at compile time are
// not synapses and must stay 0.
func (m *machine) SetWeights(name string, w []float64) error {
	j, err := m.proj(name)
	if err != nil {
		return err
	}
	pr := m.im.n.Projections[j]
	q := m.im.pl.Projs[j]
	if len(w) != len(pr.W) {
		return errorf(ErrParam, "projection %s: %d weights, want %d", name, len(w), len(pr.W))
	}
	for k, x := range w {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return errorf(ErrParam, "projection %s: weight[%d] = %g", name, k, x)
		}
		if pr.W[k] == 0 && x != 0 {
			return errorf(ErrParam, "projection %s: weight[%d] was 0 at compile time (no synapse); recompile to add synapses", name, k)
		}
	}
	sm, _ := quantize.ParseSignMode(q.Sign)
	f := quantize.Format8{Domain: m.hw.WeightDomain, Bits: q.Bits, Sign: sm}
	scale := q.Scale
	if scale == 0 {
		scale = 1
	}
	nw, _ := quantize.QuantizeWeights(w, scale, f, DefaultQuant.Rounding)
	m.w[j] = nw
	m.setFanWeights(j)
	return nil
}
