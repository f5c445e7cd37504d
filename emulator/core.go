package emulator

import (
	"context"
	"fmt"
	"runtime"
	"sync"
)

// Event is one delivery to a core's input axon. Value is 1 for a spike and the graded
// value for graded events.
type Event struct {
	Axon  int32
	Value float32
}

// Core is one compute unit advanced in lock step with the others.
type Core interface {
	// Step advances the core through step t (counted since the last Reset; a Run
	// continues the count). in holds the events due at t in a
	// deterministic order. Step appends the local ids of neurons that emitted a spike
	// during t to fired and returns it. Step must only touch the core's own state.
	Step(t int, in []Event, fired []int32) []int32
	// Reset returns the dynamic state to t = 0 (fixed device properties are kept).
	Reset()
}

// Counted is implemented by cores that count operations.
type Counted interface{ Counters() *Counters }

// Target is one route destination.
type Target struct {
	Core  int32
	Axon  int32
	Delay int32 // steps added to the one-step latency
}

// OutRef maps a neuron to an output stream element (Stream < 0: none).
type OutRef struct {
	Stream int32
	Index  int32
}

// ProbeFunc writes the probed values of the current state into row.
type ProbeFunc func(row []float64)

// Probe is a resolved probe: a name (NODE.VAR), its shape, dtype and reader.
type Probe struct {
	Name  string
	Shape []int
	DType string // "i32", "i64" or "f64"
	Read  ProbeFunc
}

// InputRoute maps external input streams to core axons.
type InputRoute struct {
	Name   string
	Shape  []int
	Routes [][]Target // per flat index
}

// OutputStream names an output stream; graded outputs read values with Read.
type OutputStream struct {
	Name  string
	Shape []int
	// Read, when set, makes the stream graded: every step all non-zero values are emitted.
	Read ProbeFunc
}

// Network is everything the engine needs to run cores.
type Network struct {
	Cores   []Core
	Routes  [][][]Target // Routes[core][local neuron] → destinations
	Inputs  []InputRoute
	Outputs []OutputStream
	OutMap  [][]OutRef // OutMap[core][local neuron]; nil for a core with no outputs
	Dt      float64
	// SameStepInputs delivers external input events of step t during step t (the
	// zero-latency semantics of the ref target) instead of t+1.
	SameStepInputs bool
	// Sequential forces single-goroutine stepping (small networks run faster so).
	Sequential bool
}

// MaxProbeValues bounds what one run may record (2^28 values, 2 GiB of float64).
const MaxProbeValues = 1 << 28

// Engine runs a Network.
type Engine struct {
	net     *Network
	maxD    int
	pending [][][]Event // [core][slot] events due at slot
	fired   [][]int32
	// now is the number of steps run since the last Reset: a Run continues where the
	// previous one stopped (cores and slots see this global step number).
	now int
}

// NewEngine validates the routes and prepares buffers.
func NewEngine(net *Network) (*Engine, error) {
	maxD := 0
	check := func(ts []Target) error {
		for _, t := range ts {
			if int(t.Core) < 0 || int(t.Core) >= len(net.Cores) || t.Delay < 0 {
				return fmt.Errorf("BUG: bad route %+v", t)
			}
			maxD = max(maxD, int(t.Delay))
		}
		return nil
	}
	for _, rs := range net.Routes {
		for _, ts := range rs {
			if err := check(ts); err != nil {
				return nil, err
			}
		}
	}
	for _, in := range net.Inputs {
		for _, ts := range in.Routes {
			if err := check(ts); err != nil {
				return nil, err
			}
		}
	}
	e := &Engine{net: net, maxD: maxD}
	e.pending = make([][][]Event, len(net.Cores))
	for i := range e.pending {
		e.pending[i] = make([][]Event, maxD+2)
	}
	e.fired = make([][]int32, len(net.Cores))
	return e, nil
}

// Reset clears pending events and resets every core.
func (e *Engine) Reset() {
	e.now = 0
	for c := range e.pending {
		for s := range e.pending[c] {
			e.pending[c][s] = e.pending[c][s][:0]
		}
		e.net.Cores[c].Reset()
	}
}

func (e *Engine) deliver(t int, ts []Target, v float32) {
	e.deliverAt(t+1, ts, v)
}

func (e *Engine) deliverAt(due int, ts []Target, v float32) {
	for _, r := range ts {
		slot := (due + int(r.Delay)) % len(e.pending[r.Core])
		e.pending[r.Core][slot] = append(e.pending[r.Core][slot], Event{Axon: r.Axon, Value: v})
	}
}

// Run advances the network steps steps from its current state, feeding stim and
// recording probes; the returned trace has spikes of every output stream.
func (e *Engine) Run(ctx context.Context, stim *Stimulus, steps int, probes []Probe) (*Trace, error) {
	net := e.net
	tr := NewTrace(net.Dt, steps)
	for _, o := range net.Outputs {
		tr.AddStream(o.Name, o.Shape)
	}
	streams := make([]*Stream, len(net.Outputs))
	for i, o := range net.Outputs {
		streams[i] = tr.Streams[o.Name]
	}
	type cursor struct {
		route *InputRoute
		s     *Stream
		k     int
	}
	var cursors []cursor
	if stim != nil {
		for name, s := range stim.Streams {
			var r *InputRoute
			for i := range net.Inputs {
				if net.Inputs[i].Name == name {
					r = &net.Inputs[i]
				}
			}
			if r == nil {
				return nil, fmt.Errorf("%w: stream %q is not an input of the network", ErrStimulus, name)
			}
			if n := numElements(r.Shape); n != numElements(s.Shape) {
				return nil, fmt.Errorf("%w: stream %q has %d elements, the input has %d", ErrStimulus, name, numElements(s.Shape), n)
			}
			cursors = append(cursors, cursor{route: r, s: s})
		}
		sortCursors := func(i, j int) bool { return cursors[i].route.Name < cursors[j].route.Name }
		for i := 1; i < len(cursors); i++ { // insertion sort: few streams
			for j := i; j > 0 && sortCursors(j, j-1); j-- {
				cursors[j], cursors[j-1] = cursors[j-1], cursors[j]
			}
		}
	}
	perStep := 0
	for _, p := range probes {
		perStep += numElements(p.Shape)
	}
	if int64(perStep)*int64(steps) > MaxProbeValues {
		return nil, fmt.Errorf("%w: %d probed values per step × %d steps exceeds the limit of %d values; probe fewer neurons or run fewer steps", ErrProbe, perStep, steps, MaxProbeValues)
	}
	for _, p := range probes {
		tr.AddProbe(p.Name, p.Shape, p.DType, steps)
	}
	workers := runtime.GOMAXPROCS(0)
	if net.Sequential || len(net.Cores) < 2 {
		workers = 1
	}
	workers = min(workers, len(net.Cores))
	nslot := e.maxD + 2
	progress := ProgressFrom(ctx)
	for t := 0; t < steps; t++ {
		g := e.now + t // global step since Reset
		if t&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if progress != nil && t > 0 {
				progress(t, steps)
			}
		}
		slot := g % nslot
		// External inputs at t are routed like spikes emitted at t.
		for ci := range cursors {
			c := &cursors[ci]
			for c.k < len(c.s.Times) && c.s.Times[c.k] == t {
				v := float32(1)
				if c.s.Values != nil {
					v = float32(c.s.Values[c.k])
				}
				due := g + 1
				if net.SameStepInputs {
					due = g
				}
				e.deliverAt(due, c.route.Routes[c.s.Indices[c.k]], v)
				c.k++
			}
		}
		if workers == 1 {
			for ci, core := range net.Cores {
				e.fired[ci] = core.Step(g, e.pending[ci][slot], e.fired[ci][:0])
			}
		} else {
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for ci := w; ci < len(net.Cores); ci += workers {
						e.fired[ci] = net.Cores[ci].Step(g, e.pending[ci][slot], e.fired[ci][:0])
					}
				}(w)
			}
			wg.Wait()
		}
		for ci := range net.Cores {
			e.pending[ci][slot] = e.pending[ci][slot][:0]
		}
		// Barrier passed: route in core order (deterministic).
		for ci, f := range e.fired {
			routes := net.Routes[ci]
			var om []OutRef
			if ci < len(net.OutMap) {
				om = net.OutMap[ci]
			}
			for _, n := range f {
				if routes != nil {
					e.deliver(g, routes[n], 1)
				}
				if om != nil && om[n].Stream >= 0 {
					s := streams[om[n].Stream]
					s.Times = append(s.Times, t)
					s.Indices = append(s.Indices, int(om[n].Index))
				}
			}
		}
		for i, o := range net.Outputs {
			if o.Read == nil {
				continue
			}
			row := make([]float64, numElements(o.Shape))
			o.Read(row)
			s := streams[i]
			for k, v := range row {
				if v != 0 {
					s.Times = append(s.Times, t)
					s.Indices = append(s.Indices, k)
					s.Values = append(s.Values, v)
				}
			}
		}
		for i, p := range probes {
			p.Read(tr.Probes[i].Data[t])
		}
	}
	e.now += steps
	if progress != nil {
		progress(steps, steps)
	}
	var total Counters
	for _, c := range net.Cores {
		if cc, ok := c.(Counted); ok {
			total.Add(cc.Counters())
		}
	}
	tr.Stats = total.Stats()
	return tr, nil
}

func numElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
