package loihi

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/snnc/snnc/emulator"
)

// Run loop (spec §2 time base): per step T, every core updates its compartments from
// accumulator slot T (parallel over compartment ranges), then — after the barrier, in
// core order — the spikes of T are routed: each destination (core, input axon) adds its
// synapses into the slots T + 1 + delay, and the external input events of T likewise.
// This is emulator.Engine's contract (one-step latency, deterministic order) with the
// delivery done straight into the cores' accumulator rings, persistent workers and a
// spinning barrier instead of goroutines per step, and the absolute step count (so a
// Run continued after another Run keeps in-flight spikes whatever the split).

// chunk is a compartment range of one core updated by one worker.
type chunk struct {
	core, lo, hi int
	worker       int
	fired        []int32
	active       int
	_            [24]byte // keep neighbouring chunks' results off one cache line
}

// sched partitions the cores' updates over workers and runs them in lock step.
type sched struct {
	cores    []*core
	workers  int
	chunks   []chunk // sorted by (core, lo)
	byWorker [][]int
	coreCh   [][]int // core → its chunks in order
	merged   [][]int32
	T        int
	gen      atomic.Int64
	quit     atomic.Bool
	helpers  sync.WaitGroup
	done     []paddedGen
}

type paddedGen struct {
	g atomic.Int64
	_ [56]byte
}

// newSched splits the update into at most GOMAXPROCS equal compartment ranges; small
// networks (fewer than sequentialBelow compartments) run on the calling goroutine.
func newSched(cores []*core, total int) *sched {
	W := min(runtime.GOMAXPROCS(0), 8)
	if total < sequentialBelow {
		W = 1
	}
	s := &sched{cores: cores, workers: W, coreCh: make([][]int, len(cores)), merged: make([][]int32, len(cores))}
	target := (total + W - 1) / W
	w, filled := 0, 0
	add := func(ci, lo, hi int) {
		s.chunks = append(s.chunks, chunk{core: ci, lo: lo, hi: hi, worker: w})
		filled += hi - lo
		if w < W-1 && filled >= target*(w+1) {
			w++
		}
	}
	for ci, c := range cores {
		if !c.splittable() || W == 1 {
			add(ci, 0, c.n)
			continue
		}
		for lo := 0; lo < c.n; {
			room := c.n - lo
			if w < W-1 {
				room = min(room, target*(w+1)-filled)
				if room < c.n-lo && room > 0 {
					room = max(room&^15, min(16, c.n-lo)) // 64-byte aligned cuts
				}
			}
			add(ci, lo, lo+max(room, 1))
			lo += max(room, 1)
		}
	}
	s.byWorker = make([][]int, W)
	for i, ch := range s.chunks {
		s.byWorker[ch.worker] = append(s.byWorker[ch.worker], i)
		s.coreCh[ch.core] = append(s.coreCh[ch.core], i)
	}
	s.done = make([]paddedGen, W)
	return s
}

func (s *sched) work(w, T int) {
	for _, i := range s.byWorker[w] {
		ch := &s.chunks[i]
		ch.active, ch.fired = s.cores[ch.core].update(T, ch.lo, ch.hi, ch.fired[:0])
	}
}

// spinWait spins until cond holds, yielding to the Go scheduler now and then.
func spinWait(cond func() bool) {
	for i := 1; !cond(); i++ {
		if i&63 == 0 {
			runtime.Gosched()
		}
	}
}

// start launches the helper workers (one per worker beyond the caller).
func (s *sched) start() {
	s.quit.Store(false)
	g0 := s.gen.Load()
	for w := 1; w < s.workers; w++ {
		s.helpers.Add(1)
		go func(w int) {
			defer s.helpers.Done()
			seen := g0
			for {
				spinWait(func() bool { return s.gen.Load() != seen })
				seen = s.gen.Load()
				if s.quit.Load() {
					return
				}
				s.work(w, s.T)
				s.done[w].g.Store(seen)
			}
		}(w)
	}
}

// stop ends the helpers started by start.
func (s *sched) stop() {
	if s.workers > 1 {
		s.quit.Store(true)
		s.gen.Add(1)
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
	s.work(0, T)
	for w := 1; w < s.workers; w++ {
		d := &s.done[w].g
		spinWait(func() bool { return d.Load() == g })
	}
}

// firedOf returns core ci's spikes of the last step (its chunks concatenated in order)
// and its active compartment count.
func (s *sched) firedOf(ci int) ([]int32, int) {
	chs := s.coreCh[ci]
	if len(chs) == 1 {
		ch := &s.chunks[chs[0]]
		return ch.fired, ch.active
	}
	out := s.merged[ci][:0]
	active := 0
	for _, i := range chs {
		out = append(out, s.chunks[i].fired...)
		active += s.chunks[i].active
	}
	s.merged[ci] = out
	return out, active
}

// run advances the machine steps steps from its current state (m.steps).
func (m *machine) run(ctx context.Context, stim *emulator.Stimulus, steps int, probes []emulator.Probe) (*emulator.Trace, error) {
	tr := emulator.NewTrace(m.im.n.Semantics.Dt, steps)
	streams := make([]*emulator.Stream, len(m.outputs))
	for i, o := range m.outputs {
		streams[i] = tr.AddStream(o.Name, o.Shape)
	}
	type cursor struct {
		route *emulator.InputRoute
		s     *emulator.Stream
		k     int
	}
	var cursors []cursor
	if stim != nil {
		for name, st := range stim.Streams {
			var r *emulator.InputRoute
			for i := range m.inRoutes {
				if m.inRoutes[i].Name == name {
					r = &m.inRoutes[i]
				}
			}
			if r == nil {
				return nil, fmt.Errorf("%w: stream %q is not an input of the network", emulator.ErrStimulus, name)
			}
			if n, k := numElements(r.Shape), numElements(st.Shape); n != k {
				return nil, fmt.Errorf("%w: stream %q has %d elements, the input has %d", emulator.ErrStimulus, name, k, n)
			}
			if len(st.Indices) != len(st.Times) {
				return nil, fmt.Errorf("%w: stream %q has %d times and %d indices", emulator.ErrStimulus, name, len(st.Times), len(st.Indices))
			}
			for _, ix := range st.Indices {
				if ix < 0 || ix >= len(r.Routes) {
					return nil, fmt.Errorf("%w: stream %q: index %d outside 0..%d", emulator.ErrStimulus, name, ix, len(r.Routes)-1)
				}
			}
			cursors = append(cursors, cursor{route: r, s: st})
		}
		sort.Slice(cursors, func(i, j int) bool { return cursors[i].route.Name < cursors[j].route.Name })
	}
	for _, p := range probes {
		tr.AddProbe(p.Name, p.Shape, p.DType, steps)
	}
	progress := emulator.ProgressFrom(ctx)
	s := m.sched
	s.start()
	defer s.stop()
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
		// Barrier passed: account, record and route in core order (deterministic).
		for ci, c := range m.cores {
			fired, active := s.firedOf(ci)
			c.account(active, fired)
			rs, om := m.routes[ci], m.outMap[ci]
			for _, n := range fired {
				for _, r := range rs[n] {
					m.cores[r.Core].deliver(r.Axon, T+1)
				}
				if om != nil && om[n].Stream >= 0 {
					st := streams[om[n].Stream]
					st.Times = append(st.Times, t)
					st.Indices = append(st.Indices, int(om[n].Index))
				}
			}
		}
		// External inputs at t are routed like spikes emitted at t.
		for ci := range cursors {
			c := &cursors[ci]
			for c.k < len(c.s.Times) && c.s.Times[c.k] <= t {
				if c.s.Times[c.k] == t {
					for _, r := range c.route.Routes[c.s.Indices[c.k]] {
						m.cores[r.Core].deliver(r.Axon, T+1)
					}
				}
				c.k++
			}
		}
		for i, p := range probes {
			p.Read(tr.Probes[i].Data[t])
		}
	}
	if progress != nil {
		progress(steps, steps)
	}
	return tr, nil
}

func numElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
