package loihi

import (
	"math"
	"slices"
	"sort"
	"sync/atomic"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/quantize"
)

// Synapse storage, fanned out by source (spec §4 delivery, §8 routing).
//
// On the chip a spike leaves its core as one message per destination core, which
// fans out there through that core's input axon into its synapse list. The emulator
// keeps what that amounts to in one table per source: every synapse a source's spike
// reaches, as (accumulator word, weight, delay), contiguous, plus the per-destination
// synapse counts the cost model charges to each core. Delivering a spike is then one
// linear pass instead of one axon lookup per destination core; the resulting
// accumulator words are the same because they are int32 wrapping sums, which do not
// depend on the order of their terms (q keeps the low 22 bits, spec §3).
//
// Sources are the neuron ids (core order) followed by the input elements.

// fanout is the synapse table by source. A source's synapses are sorted by accumulator
// offset and its routes by core, so the part each worker delivers (its own range of
// accumulators, its own cores) is contiguous: split[src·(W+1)+w] is worker w's first
// synapse relative to start[src], rsplit likewise for routes (W > 1 only).
type fanout struct {
	start []int // source → first synapse; len = sources + 1
	syn   []synEntry
	dly   []uint8 // delay per synapse; nil when every delay is 0
	// destination cores with their synapse counts, per source (cost model)
	rStart []int
	routes []route
	split  []int32
	rsplit []int32
}

// part returns worker w's (of W) synapses [s, e) and routes [rs, re) of source src
// (the whole lists when W = 1).
func (f *fanout) part(src, w, W int) (s, e, rs, re int) {
	s, e = f.start[src], f.start[src+1]
	rs, re = f.rStart[src], f.rStart[src+1]
	if W > 1 {
		k := src*(W+1) + w
		s, e = s+int(f.split[k]), s+int(f.split[k+1])
		rs, re = rs+int(f.rsplit[k]), rs+int(f.rsplit[k+1])
	}
	return s, e, rs, re
}

// synEntry is one synapse: its accumulator offset within a slot (core.accOff +
// group·ncx + compartment) and its synapse word (encode).
type synEntry struct{ acc, w int32 }

// route is a destination core of a source and the synapses the source has there.
type route struct{ core, n int32 }

// wiring is what SetWeights needs to walk the synapses in fanout order again.
type wiring struct {
	outs    [][]int // source population (then input) → projections leaving it
	byPre   []csrIn // projection → synapse ids by presynaptic neuron
	groupOf []int   // projection → accumulator group in its post's cores
	post    []int   // projection → post population
}

// inPort is an external input; its elements are sources base … base+size−1.
type inPort struct {
	name  string
	shape []int
	size  int
	base  int
}

// totals are the cost model's counts over one Run (spec §9).
type totals struct {
	syn, active, inactive, spikes int64
	msgs, inTile, ew, ns          int64
	timeS                         float64
}

// layout numbers the neurons and places every core's accumulators (and chip-mode
// single-compartment state) in the machine-wide arrays, in core order, so runs of
// such cores form one contiguous range (run.go merges their updates).
func (m *machine) layout() {
	nc := len(m.cores)
	m.nrnOff, m.ncx = make([]int, nc), make([]int32, nc)
	nn, off := 0, 0
	for ci, c := range m.cores {
		m.nrnOff[ci], c.accOff = nn, off
		nn += c.n
		off += c.stride
		m.ncx[ci] = int32(c.ncx)
		m.totalCx += int64(c.ncx)
	}
	m.slotLen = off
	m.nrnCore = make([]int32, nn)
	for ci, c := range m.cores {
		for i := range c.n {
			m.nrnCore[m.nrnOff[ci]+i] = int32(ci)
		}
	}
	m.su, m.sv, m.sref = make([]int32, off), make([]int32, off), make([]int32, off)
	for _, c := range m.cores {
		if c.u == nil {
			continue
		}
		a, b := c.accOff, c.accOff+c.n
		copy(m.su[a:b], c.u)
		copy(m.sv[a:b], c.v)
		copy(m.sref[a:b], c.ref)
		c.u, c.v, c.ref = m.su[a:b:b], m.sv[a:b:b], m.sref[a:b:b]
	}
	m.synNext, m.act, m.spkT = make([]int64, nc), make([]int32, nc), make([]float64, nc)
	for ci, c := range m.cores {
		c.synNext = &m.synNext[ci]
	}
}

// eachSource calls fn for every source in fanout order: population s = its index,
// pre its neuron index; inputs as s = P + input index.
func (m *machine) eachSource(fn func(src, s, pre int)) {
	pl := &m.im.pl
	for ci, c := range m.cores {
		cm := pl.Cores[ci]
		for i := range c.n {
			fn(m.nrnOff[ci]+i, cm.Pop, cm.Start+i)
		}
	}
	P, nn := len(m.im.n.Populations), len(m.nrnCore)
	for i, in := range m.inputs {
		for e := range in.size {
			fn(nn+in.base+e, P+i, e)
		}
	}
}

// wire builds the fan-out table, the spike costs, the inputs and the output map.
func (m *machine) wire(groupOf []int, popIdx map[string]int) error {
	n := m.im.n
	pl := &m.im.pl
	syns := m.im.syns
	P := len(n.Populations)
	w := wiring{groupOf: groupOf, outs: make([][]int, P+len(n.Inputs)), byPre: make([]csrIn, len(n.Projections)), post: make([]int, len(n.Projections))}
	inIdx := map[string]int{}
	base := 0
	m.inputs = make([]inPort, len(n.Inputs))
	for i, p := range n.Inputs {
		inIdx[p.Name] = i
		m.inputs[i] = inPort{name: p.Name, shape: p.Shape, size: p.Size, base: base}
		base += p.Size
	}
	total := 0
	for j, pr := range n.Projections {
		s, ok := popIdx[pr.Pre]
		if !ok {
			s = P + inIdx[pr.Pre]
		}
		w.outs[s] = append(w.outs[s], j)
		w.post[j] = popIdx[pr.Post]
		w.byPre[j] = byPreOf(syns[j].Pre, pr.PreSize)
		total += len(syns[j].Pre)
	}
	m.wiring = w
	nsrc := len(m.nrnCore) + base
	f := fanout{start: make([]int, nsrc+1), rStart: make([]int, nsrc+1), syn: make([]synEntry, 0, total), routes: make([]route, 0, total)}
	m.outc = make([]outCost, len(m.nrnCore))
	stamp := make([]int, len(m.cores))
	slot := make([]int32, len(m.cores)) // core → its entry in rCore for the source being built
	for i := range stamp {
		stamp[i] = -1
	}
	maxD := 0
	var scratch sortScratch
	m.eachSource(func(src, s, pre int) {
		f.start[src], f.rStart[src] = len(f.syn), len(f.routes)
		w.each(s, pre, func(j int, ks []int32) {
			sl, q := syns[j], &pl.Projs[j]
			for _, k := range ks {
				ci, acc := m.synTarget(j, k)
				if stamp[ci] != src {
					stamp[ci], slot[ci] = src, int32(len(f.routes))
					f.routes = append(f.routes, route{core: int32(ci)})
				}
				f.routes[slot[ci]].n++
				f.syn = append(f.syn, synEntry{acc, m.encode(m.w[j][sl.Widx[k]], q.Exp)})
				if d := int(sl.Delay[k]); d > 0 {
					if f.dly == nil {
						f.dly = make([]uint8, len(f.syn)-1, total)
					}
					maxD = max(maxD, d)
				}
				if f.dly != nil {
					f.dly = append(f.dly, uint8(sl.Delay[k]))
				}
			}
		})
		sortSource(&f, f.start[src], &scratch)
		rs := f.routes[f.rStart[src]:]
		slices.SortFunc(rs, func(a, b route) int { return int(a.core) - int(b.core) })
		if src < len(m.nrnCore) {
			m.outc[src] = m.outCost(int(m.nrnCore[src]), rs)
		}
	})
	f.start[nsrc], f.rStart[nsrc] = len(f.syn), len(f.routes)
	m.fan = f
	m.nslot = maxD + 1
	if slices.ContainsFunc(m.cores, func(c *core) bool { return c.tree != nil }) {
		m.nslot = max(m.nslot, 2) // self synapses deliver into the next step's slot
	}
	m.acc = make([]int32, m.nslot*m.slotLen)
	for _, c := range m.cores {
		c.acc, c.nslot, c.slotLen = m.acc, m.nslot, m.slotLen
	}
	m.outputs = make([]emulator.OutputStream, len(n.Outputs))
	m.outRef = make([]emulator.OutRef, len(m.nrnCore))
	for i := range m.outRef {
		m.outRef[i].Stream = -1
	}
	for o, port := range n.Outputs {
		pi, ok := popIdx[port.Source]
		if !ok {
			return errorf(ErrParam, "output %s reads %q, which is not a population", port.Name, port.Source)
		}
		m.outputs[o] = emulator.OutputStream{Name: port.Name, Shape: port.Shape}
		switch port.Kind {
		case "", "spikes":
		case "v":
			q := &pl.Pops[pi]
			if len(q.VScale) == 0 {
				return errorf(ErrModel, "output %s: graded output of population %s, which is not a readout (LI, CubaLI)", port.Name, port.Source)
			}
			m.graded = append(m.graded, gradedOut{stream: o, pop: pi})
			continue
		default:
			return errorf(ErrModel, "output %s: %s outputs are not supported on loihi (spikes, or v of an LI / CubaLI readout)", port.Name, port.Kind)
		}
		for i := 0; i < n.Populations[pi].Size; i++ {
			ci, local := m.coreOf(pi, i)
			if g := m.nrnOff[ci] + local; m.outRef[g].Stream < 0 {
				m.outRef[g] = emulator.OutRef{Stream: int32(o), Index: int32(i)}
			}
		}
	}
	return nil
}

// gradedOut is an output that records a readout's v each step (spec: graded events).
type gradedOut struct{ stream, pop int }

// readGraded appends population pi's readout values of step t (v / VScale + VOff in
// model units, zeros omitted) to st.
func (m *machine) readGraded(st *emulator.Stream, pi, t int) {
	q := &m.im.pl.Pops[pi]
	ro := quantize.Readout{Scale: q.VScale, Off: q.VOff}
	for _, ci := range m.popCores[pi] {
		c, start := m.cores[ci], m.im.pl.Cores[ci].Start
		for i := range c.n {
			j := start + i
			_, v := c.state(i)
			if x := ro.Value(float64(v), j); x != 0 {
				st.Times, st.Indices, st.Values = append(st.Times, t), append(st.Indices, j), append(st.Values, x)
			}
		}
	}
}

// synTarget returns the core and accumulator offset (within a slot) of synapse k of
// projection j: its post neuron's soma, or the tree compartment the projection names
// (spec §7), in the accumulator group of the projection's exponent (lava).
func (m *machine) synTarget(j int, k int32) (int, int32) {
	ci, local := m.coreOf(m.wiring.post[j], int(m.im.syns[j].Post[k]))
	c := m.cores[ci]
	if c.tree != nil {
		tc := c.tree.k - 1 // projections feed the soma unless they name a compartment
		if q := m.im.pl.Projs[j].Cx; q != nil {
			tc = *q
		}
		local = local*c.tree.k + tc
	}
	return ci, int32(c.accOff + m.wiring.groupOf[j]*c.ncx + local)
}

// byPreOf groups a projection's synapse ids by presynaptic neuron (posts in id order).
func byPreOf(pre []int32, preSize int) csrIn {
	start := make([]int32, preSize+1)
	for _, p := range pre {
		start[p+1]++
	}
	for i := 1; i <= preSize; i++ {
		start[i] += start[i-1]
	}
	idx := make([]int32, len(pre))
	fill := slices.Clone(start[:preSize])
	for k, p := range pre {
		idx[fill[p]] = int32(k)
		fill[p]++
	}
	return csrIn{start: start, post: idx}
}

// each calls fn with the synapse ids of every projection leaving neuron pre of source s.
func (w *wiring) each(s, pre int, fn func(j int, ks []int32)) {
	for _, j := range w.outs[s] {
		b := w.byPre[j]
		fn(j, b.post[b.start[pre]:b.start[pre+1]])
	}
}

// sortScratch is sortSource's reusable space.
type sortScratch struct {
	perm []int
	syn  []synEntry
	dly  []uint8
}

// sortSource sorts the synapses from s to the end of f.syn (one source's) by
// accumulator offset, stably, carrying their delays.
func sortSource(f *fanout, s int, sc *sortScratch) {
	seg := f.syn[s:]
	if slices.IsSortedFunc(seg, cmpAcc) {
		return
	}
	if f.dly == nil {
		slices.SortStableFunc(seg, cmpAcc)
		return
	}
	sc.perm = sc.perm[:0]
	for i := range seg {
		sc.perm = append(sc.perm, i)
	}
	slices.SortStableFunc(sc.perm, func(a, b int) int { return cmpAcc(seg[a], seg[b]) })
	d := f.dly[s:]
	sc.syn, sc.dly = sc.syn[:0], sc.dly[:0]
	for _, k := range sc.perm {
		sc.syn, sc.dly = append(sc.syn, seg[k]), append(sc.dly, d[k])
	}
	copy(seg, sc.syn)
	copy(d, sc.dly)
}

func cmpAcc(a, b synEntry) int { return int(a.acc) - int(b.acc) }

// setFanWeights rewrites the synapse words of projection j from m.w[j]: it walks the
// synapses in the order wire did, marking projection j's, and sorts each source's
// list the same way (stable by accumulator offset) to find where they went.
func (m *machine) setFanWeights(j int) {
	syns := m.im.syns
	e := m.im.pl.Projs[j].Exp
	type ent struct {
		synEntry
		mine bool
	}
	var buf []ent
	m.eachSource(func(src, s, pre int) {
		buf = buf[:0]
		m.wiring.each(s, pre, func(jj int, ks []int32) {
			for _, k := range ks {
				_, acc := m.synTarget(jj, k)
				x := ent{synEntry: synEntry{acc: acc}, mine: jj == j}
				if x.mine {
					x.w = m.encode(m.w[j][syns[j].Widx[k]], e)
				}
				buf = append(buf, x)
			}
		})
		slices.SortStableFunc(buf, func(a, b ent) int { return cmpAcc(a.synEntry, b.synEntry) })
		out := m.fan.syn[m.fan.start[src]:m.fan.start[src+1]]
		for i, x := range buf {
			if x.mine {
				out[i].w = x.w
			}
		}
	})
}

// deliver adds the synapses of source src, whose spike is integrated at absolute step
// T (a spike emitted at T−1), into the accumulator slots T + delay (spec §2, §4), and
// counts them against their cores for the update at T: worker w of W delivers its part
// (the whole table when W = 1).
func (m *machine) deliver(src, T, w, W int) {
	f := &m.fan
	s, e, rs, re := f.part(src, w, W)
	if f.dly == nil {
		b := (T % m.nslot) * m.slotLen
		acc := m.acc[b : b+m.slotLen]
		for _, x := range f.syn[s:e] {
			acc[x.acc] += x.w // int32 wrap is harmless: q wraps to 22 bits (chip)
		}
	} else {
		for k := s; k < e; k++ {
			x := f.syn[k]
			slot := (T + int(f.dly[k])) % m.nslot
			m.acc[slot*m.slotLen+int(x.acc)] += x.w
		}
	}
	m.countRoutes(rs, re)
}

// gradedEv is an input event carrying a value: a graded spike of that size.
type gradedEv struct {
	src int32
	val float64
}

// deliverGraded is deliver for a graded spike of size val (spikes-format "values";
// docs/loihi.md "Graded inputs"): each synapse adds gradedWord(word, val) instead of its
// word, and counts as one synaptic op.
func (m *machine) deliverGraded(src int, val float64, T, w, W int) {
	f := &m.fan
	s, e, rs, re := f.part(src, w, W)
	for k := s; k < e; k++ {
		x := f.syn[k]
		d := 0
		if f.dly != nil {
			d = int(f.dly[k])
		}
		slot := (T + d) % m.nslot
		m.acc[slot*m.slotLen+int(x.acc)] += gradedWord(x.w, val)
	}
	m.countRoutes(rs, re)
}

// countRoutes charges routes [rs, re) to their cores' synaptic ops of the next update.
func (m *machine) countRoutes(rs, re int) {
	for _, r := range m.fan.routes[rs:re] {
		m.synNext[r.core] += int64(r.n)
	}
}

// gradedWord is a synapse word scaled by a graded spike's value: round(word·val), half
// away from zero, saturated to int32 (the accumulator then wraps as for unit spikes).
func gradedWord(word int32, val float64) int32 {
	x := math.Round(float64(word) * val)
	return int32(min(max(x, math.MinInt32), math.MaxInt32))
}

// prefetch touches one word per cache line of the synapses and routes worker w will
// deliver for the pending sources, so the memory system fetches them all in parallel
// (a source's lists are cold: tens of MB of tables for large networks) before deliver
// walks them one dependent add at a time. The sum only keeps the loads alive.
func (m *machine) prefetch(w, W int) {
	f := &m.fan
	var sum int32
	for _, src := range m.pending {
		s, e, rs, re := f.part(int(src), w, W)
		for i := s; i < e; i += 8 {
			sum += f.syn[i].w
		}
		for i := rs; i < re; i += 8 {
			sum += f.routes[i].n
		}
	}
	prefetchSink.Add(sum)
}

var prefetchSink atomic.Int32

// splitFan records, for W workers owning the accumulator ranges [bound[w], bound[w+1]),
// where each source's synapses and routes change owner (a core belongs to the worker
// holding its first accumulator).
func (m *machine) splitFan(bound []int) {
	f := &m.fan
	W := len(bound) - 1
	if W <= 1 {
		f.split, f.rsplit = nil, nil
		return
	}
	nsrc := len(f.start) - 1
	f.split, f.rsplit = make([]int32, nsrc*(W+1)), make([]int32, nsrc*(W+1))
	for src := range nsrc {
		syn := f.syn[f.start[src]:f.start[src+1]]
		rt := f.routes[f.rStart[src]:f.rStart[src+1]]
		k := src * (W + 1)
		for w := 1; w < W; w++ {
			f.split[k+w] = int32(sort.Search(len(syn), func(i int) bool { return int(syn[i].acc) >= bound[w] }))
			f.rsplit[k+w] = int32(sort.Search(len(rt), func(i int) bool { return m.cores[rt[i].core].accOff >= bound[w] }))
		}
		f.split[k+W], f.rsplit[k+W] = int32(len(syn)), int32(len(rt))
	}
}
