package loihi

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/snnc/snnc/emulator"
)

// Run loop (spec §2 time base). Per absolute step T each worker, on its own range of
// cores (whole cores, in core order):
//  1. delivers the spikes of T − 1 and the external inputs of T − 1 (m.pending) into
//     its accumulators, slots T + delay (spec §2, §4: one-step latency), counting the
//     synaptic ops against its cores;
//  2. updates its compartments from slot T (spec §3);
//  3. accounts its cores' step (spec §9): their spikes, the slowest core time.
// After the barrier the caller combines the workers' accounts, records the outputs and
// probes, and makes this step's spikes the next step's pending deliveries. Every
// accumulator word is an int32 wrapping sum, so its value does not depend on the order
// in which its synapses are added; the spikes, outputs and statistics are therefore the
// same for any number of workers (TestGOMAXPROCSInvariant). Workers are persistent
// goroutines with a spin-then-sleep barrier (parker); the step count is absolute, so a
// Run continued after another Run keeps in-flight spikes whatever the split.

// chunk is a piece of one worker's update: one core (any kind of core), or — merged —
// the accumulator range [lo, hi) of consecutive chip-mode cores core…last that share
// one parameter set with a non-zero bias, run as one kernel call over the machine-wide
// state (every such compartment is active each step, so no per-core count is needed).
type chunk struct {
	core, last int
	lo, hi     int // merged only
	merged     bool
	fired      []int32 // neuron ids
}

// account is one worker's share of a step's cost model (spec §9).
type account struct {
	tc, path                     float64 // slowest core time, slowest spike message
	syn, active                  int64
	spikes, msgs, inTile, ew, ns int64
	_                            [64]byte // keep workers' accounts off one cache line
}

// worker is the cores one worker owns and its results for the step.
type worker struct {
	chunks []chunk
	c0, c1 int // cores [c0, c1)
	acct   account
}

// sched partitions the cores over workers and runs them in lock step.
type sched struct {
	m       *machine
	workers int
	ws      []worker
	keepQ   bool // some core copies its consumed slot to q this run
	T       int
	gen     atomic.Int64
	quit    atomic.Bool
	helpers sync.WaitGroup
	done    []paddedGen
	park    []parker
}

type paddedGen struct {
	g atomic.Int64
	_ [56]byte
}

// forceWorkers, when > 0, overrides the worker count (tests: the parallel engine on
// small networks).
var forceWorkers int

// fastCore reports whether c's update may be merged with its neighbours' (see chunk).
func fastCore(c *core) bool {
	return !noMerge && c.mode == Chip && c.tree == nil && c.uniform && c.p0.bias != 0
}

// noMerge turns merged chunks off (tests: the merged path against core.update).
var noMerge bool

// newSched gives each of at most GOMAXPROCS workers a run of whole cores holding about
// an equal share of the compartments; small networks (fewer than sequentialBelow
// compartments) run on the calling goroutine.
func newSched(m *machine) *sched {
	total := int(m.totalCx)
	W := min(runtime.GOMAXPROCS(0), 8, max(len(m.cores), 1))
	if total < sequentialBelow {
		W = 1
	}
	if forceWorkers > 0 {
		W = min(forceWorkers, max(len(m.cores), 1))
	}
	s := &sched{m: m, workers: W, ws: make([]worker, W), done: make([]paddedGen, W)}
	w, filled := 0, 0
	for ci, c := range m.cores {
		// move on once this worker has its share, leaving a core for each later one
		if w < W-1 && (filled*W >= total*(w+1) || len(m.cores)-ci <= W-1-w) && s.ws[w].c1 > s.ws[w].c0 {
			w++
			s.ws[w].c0 = ci
		}
		wk := &s.ws[w]
		wk.c1 = ci + 1
		filled += c.ncx
		if !fastCore(c) {
			wk.chunks = append(wk.chunks, chunk{core: ci, last: ci})
			continue
		}
		m.act[ci] = int32(c.ncx)
		a, b := c.accOff, c.accOff+c.ncx
		if k := len(wk.chunks) - 1; k >= 0 {
			if p := &wk.chunks[k]; p.merged && p.hi == a && m.cores[p.core].p0 == c.p0 {
				p.hi, p.last = b, ci
				continue
			}
		}
		wk.chunks = append(wk.chunks, chunk{core: ci, last: ci, lo: a, hi: b, merged: true})
	}
	// worker w owns the accumulators of its cores and delivers into them
	bound := make([]int, W+1)
	for w := range W {
		bound[w] = m.slotLen
		if s.ws[w].c1 > s.ws[w].c0 {
			bound[w] = m.cores[s.ws[w].c0].accOff
		}
	}
	bound[0], bound[W] = 0, m.slotLen
	m.splitFan(bound)
	return s
}

func (s *sched) work(w, T int) {
	m := s.m
	if len(m.pending) > 1 {
		m.prefetch(w, s.workers)
	}
	for _, src := range m.pending {
		m.deliver(int(src), T, w, s.workers)
	}
	for _, g := range m.pendingG {
		m.deliverGraded(int(g.src), g.val, T, w, s.workers)
	}
	wk := &s.ws[w]
	for i := range wk.chunks {
		ch := &wk.chunks[i]
		if ch.merged {
			ch.fired = m.stepMerged(ch, T, s.keepQ, ch.fired[:0])
			continue
		}
		active, fired := m.cores[ch.core].update(T, ch.fired[:0])
		off := int32(m.nrnOff[ch.core])
		for k := range fired {
			fired[k] += off
		}
		ch.fired = fired
		m.act[ch.core] = int32(active)
	}
	m.account(wk)
}

// account is the cost model's step (spec §9) for one worker's cores: a core's time is
// its synaptic ops, compartment updates (active or not) and spikes sent; the caller
// takes the slowest core and the slowest spike message over all workers.
func (m *machine) account(wk *worker) {
	p := &m.prof
	a := account{}
	for i := range wk.chunks {
		for _, g := range wk.chunks[i].fired {
			o := &m.outc[g]
			m.spkT[m.nrnCore[g]] += p.SpikeS + float64(o.msgs)*p.AxonOutS
			a.msgs += int64(o.msgs)
			a.inTile += int64(o.inTile)
			a.ew += int64(o.ew)
			a.ns += int64(o.ns)
			if x := float64(o.pathS); x > a.path {
				a.path = x
			}
		}
		a.spikes += int64(len(wk.chunks[i].fired))
	}
	c0, c1 := wk.c0, wk.c1
	syn, act, ncx, spkT := m.synNext[c0:c1], m.act[c0:c1], m.ncx[c0:c1], m.spkT[c0:c1]
	act, ncx, spkT = act[:len(syn)], ncx[:len(syn)], spkT[:len(syn)]
	for i, sn := range syn {
		k := act[i]
		x := float64(sn)*p.SynOpS + float64(k)*p.ActiveS + float64(ncx[i]-k)*p.InactiveS + spkT[i]
		if x > a.tc {
			a.tc = x
		}
		a.syn += sn
		a.active += int64(k)
	}
	clear(syn)
	clear(spkT)
	wk.acct = a
}

// stepMerged runs a merged chunk's update through absolute step T (spec §3, as
// core.update), appending the neuron ids that spiked.
func (m *machine) stepMerged(ch *chunk, T int, keepQ bool, fired []int32) []int32 {
	b := (T % m.nslot) * m.slotLen
	if keepQ {
		for ci := ch.core; ci <= ch.last; ci++ {
			if c := m.cores[ci]; c.keepQ {
				copy(c.q, m.acc[b+c.accOff:b+c.accOff+c.ncx])
			}
		}
	}
	first := m.cores[ch.core]
	fired = slices.Grow(fired, ch.hi-ch.lo)
	k := len(fired)
	out := fired[:cap(fired)]
	base := int32(m.nrnOff[ch.core] + ch.lo - first.accOff)
	_, k = chipUniformFast(first.p0, m.acc[b+ch.lo:b+ch.hi], m.su[ch.lo:ch.hi], m.sv[ch.lo:ch.hi], m.sref[ch.lo:ch.hi], out, k, base)
	return out[:k]
}

// parker is a barrier wait: spin briefly (a step of a large network lasts tens of
// microseconds, less than a sleep and wake-up), then sleep until signalled, so a
// worker descheduled by a busy machine does not leave the others spinning on its core.
type parker struct {
	sleeping atomic.Bool
	wake     chan struct{} // buffered (1): a signal is never lost, a stale one is harmless
	_        [48]byte
}

// spinIters is how many checks a waiter spins before sleeping.
const spinIters = 4096

func (p *parker) wait(cond func() bool) {
	for i := 1; i <= spinIters; i++ {
		if cond() {
			return
		}
		if i&63 == 0 {
			runtime.Gosched()
		}
	}
	for {
		p.sleeping.Store(true)
		if cond() { // re-checked after announcing the sleep: a signal sent before it is seen here
			p.sleeping.Store(false)
			return
		}
		<-p.wake
		p.sleeping.Store(false)
		if cond() {
			return
		}
	}
}

func (p *parker) signal() {
	if p.sleeping.Load() {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

// start launches the helper workers (one per worker beyond the caller).
func (s *sched) start() {
	s.quit.Store(false)
	if s.park == nil {
		s.park = make([]parker, s.workers) // [w]: worker w ≥ 1; [0]: the caller
		for i := range s.park {
			s.park[i].wake = make(chan struct{}, 1)
		}
	}
	g0 := s.gen.Load()
	for w := 1; w < s.workers; w++ {
		s.helpers.Add(1)
		go func(w int) {
			defer s.helpers.Done()
			seen := g0
			for {
				s.park[w].wait(func() bool { return s.gen.Load() != seen })
				seen = s.gen.Load()
				if s.quit.Load() {
					return
				}
				s.work(w, s.T)
				s.done[w].g.Store(seen)
				s.park[0].signal()
			}
		}(w)
	}
}

// stop ends the helpers started by start.
func (s *sched) stop() {
	if s.workers > 1 {
		s.quit.Store(true)
		s.gen.Add(1)
		for w := 1; w < s.workers; w++ {
			s.park[w].signal()
		}
		s.helpers.Wait()
	}
}

// step updates every core through absolute step T (the barrier included).
func (s *sched) step(T int) {
	if s.workers == 1 {
		s.work(0, T)
		return
	}
	s.T = T
	g := s.gen.Add(1)
	for w := 1; w < s.workers; w++ {
		s.park[w].signal()
	}
	s.work(0, T)
	s.park[0].wait(func() bool {
		for w := 1; w < s.workers; w++ {
			if s.done[w].g.Load() != g {
				return false
			}
		}
		return true
	})
}

// run advances the machine steps steps from its current state (m.steps).
func (m *machine) run(ctx context.Context, stim *emulator.Stimulus, steps int, probes []emulator.Probe) (*emulator.Trace, error) {
	tr := emulator.NewTrace(m.im.n.Semantics.Dt, steps)
	streams := make([]*emulator.Stream, len(m.outputs))
	for i, o := range m.outputs {
		streams[i] = tr.AddStream(o.Name, o.Shape)
	}
	type cursor struct {
		base int // source id of element 0
		name string
		s    *emulator.Stream
		k    int
	}
	var cursors []cursor
	if stim != nil {
		for name, st := range stim.Streams {
			var in *inPort
			for i := range m.inputs {
				if m.inputs[i].name == name {
					in = &m.inputs[i]
				}
			}
			if in == nil {
				return nil, fmt.Errorf("%w: stream %q is not an input of the network", emulator.ErrStimulus, name)
			}
			if k := numElements(st.Shape); in.size != k {
				return nil, fmt.Errorf("%w: stream %q has %d elements, the input has %d", emulator.ErrStimulus, name, k, in.size)
			}
			if len(st.Indices) != len(st.Times) {
				return nil, fmt.Errorf("%w: stream %q has %d times and %d indices", emulator.ErrStimulus, name, len(st.Times), len(st.Indices))
			}
			if st.Values != nil && len(st.Values) != len(st.Times) {
				return nil, fmt.Errorf("%w: stream %q has %d times and %d values", emulator.ErrStimulus, name, len(st.Times), len(st.Values))
			}
			for k, v := range st.Values {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, fmt.Errorf("%w: stream %q: value %d is %g", emulator.ErrStimulus, name, k, v)
				}
			}
			for _, ix := range st.Indices {
				if ix < 0 || ix >= in.size {
					return nil, fmt.Errorf("%w: stream %q: index %d outside 0..%d", emulator.ErrStimulus, name, ix, in.size-1)
				}
			}
			cursors = append(cursors, cursor{base: len(m.nrnCore) + in.base, name: name, s: st})
		}
		sort.Slice(cursors, func(i, j int) bool { return cursors[i].name < cursors[j].name })
	}
	for _, p := range probes {
		tr.AddProbe(p.Name, p.Shape, p.DType, steps)
	}
	progress := emulator.ProgressFrom(ctx)
	s := m.sched
	s.keepQ = slices.ContainsFunc(m.cores, func(c *core) bool { return c.keepQ })
	s.start()
	defer s.stop()
	barrier := m.barrier()
	tot := &m.tot
	for t := 0; t < steps; t++ {
		T := m.steps + t
		if t&1023 == 0 {
			if err := ctx.Err(); err != nil {
				m.steps += t
				return nil, err
			}
			if progress != nil && t > 0 {
				progress(t, steps)
			}
		}
		s.step(T)
		// Barrier passed: combine the workers' accounts, gather the spikes (ascending
		// neuron ids).
		tc, path := 0.0, 0.0
		fired := m.fired[:0]
		var act int64
		for w := range s.ws {
			wk := &s.ws[w]
			a := &wk.acct
			tc, path = max(tc, a.tc), max(path, a.path)
			tot.syn += a.syn
			act += a.active
			tot.spikes += a.spikes
			tot.msgs += a.msgs
			tot.inTile += a.inTile
			tot.ew += a.ew
			tot.ns += a.ns
			for i := range wk.chunks {
				fired = append(fired, wk.chunks[i].fired...)
			}
		}
		m.fired = fired
		tot.active += act
		tot.inactive += m.totalCx - act
		tot.timeS += tc + path + barrier
		// The spikes of T and the external inputs at t are delivered into T + 1 (+ delay)
		// by the workers, each into its own accumulators, as step T + 1 begins.
		pend, pendG := append(m.pending[:0], fired...), m.pendingG[:0]
		for _, g := range fired {
			if om := m.outRef[g]; om.Stream >= 0 {
				st := streams[om.Stream]
				st.Times = append(st.Times, t)
				st.Indices = append(st.Indices, int(om.Index))
			}
		}
		for ci := range cursors {
			c := &cursors[ci]
			for c.k < len(c.s.Times) && c.s.Times[c.k] <= t {
				if c.s.Times[c.k] == t {
					if c.s.Values != nil {
						pendG = append(pendG, gradedEv{src: int32(c.base + c.s.Indices[c.k]), val: c.s.Values[c.k]})
					} else {
						pend = append(pend, int32(c.base+c.s.Indices[c.k]))
					}
				}
				c.k++
			}
		}
		m.pending, m.pendingG = pend, pendG
		for _, g := range m.graded {
			m.readGraded(streams[g.stream], g.pop, t)
		}
		for i, p := range probes {
			p.Read(tr.Probes[i].Data[t])
		}
	}
	m.flush(m.steps + steps)
	if progress != nil {
		progress(steps, steps)
	}
	return tr, nil
}

// flush delivers the pending spikes into absolute step T now (the end of a Run: the
// machine's state between Runs is as if every spike had been routed).
func (m *machine) flush(T int) {
	W := m.sched.workers
	for w := range W {
		for _, src := range m.pending {
			m.deliver(int(src), T, w, W)
		}
		for _, g := range m.pendingG {
			m.deliverGraded(int(g.src), g.val, T, w, W)
		}
	}
	m.pending, m.pendingG = m.pending[:0], m.pendingG[:0]
}

func numElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
