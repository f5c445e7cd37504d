package hil

import (
	"context"
	"fmt"
	"math"

	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/train"
	"github.com/snnc/snnc/train/data"
)

// Chip is everything the in-the-loop trainer may do with a chip instance: a subset of
// targets.Machine without Weights (the trainer never reads back what the devices hold).
type Chip interface {
	Run(ctx context.Context, in *emulator.Stimulus, steps int, probes []string) (*emulator.Trace, error)
	Reset()
	Projections() []string
	SetWeights(proj string, w []float64) error
}

// ObsPrefix names the extra Output ports through which hidden spikes are recorded.
const ObsPrefix = "hil_"

// membraneProbe is, per target, the probe variable holding a population's membrane in
// the model's float units (targets absent here expose none in model units: loihi's v is
// the raw integer state, so the nominal model is re-simulated there).
var membraneProbe = map[string]string{"ref": "v", "crossbar": "v", "analog": "v"}

// resetInFrame names the targets whose exposed membrane is sampled after the spike's
// reset: the analog neuron crosses its threshold within a frame and is clamped to the
// reset potential until the frame ends, so the membrane it shows at a spike step is the
// reset value, not the pre-reset value the float model's surrogate σ'(U − θ) needs (ref
// and crossbar expose the pre-reset state). A continuous-time membrane fires when it
// reaches the threshold, so at the recorded spike steps of these targets the trainer
// uses U = θ (the model's threshold) in place of the sample.
var resetInFrame = map[string]bool{"analog": true}

// biasSteadyState names the targets that realize the float model's Affine bias (a
// current bias: I_t = α·I_{t−1} + W·x_t + b) as a constant drive b/(1 − α) of the
// membrane from chip step 0 (loihi: "Affine bias enters v at its synaptic steady state",
// the precision note of its compile report). On these targets the re-simulated membrane
// (used in the surrogate where the chip exposes none) follows the chip: constant bias
// drive, integrated during the layer's Lag steps before its first input arrives.
var biasSteadyState = map[string]bool{"loihi": true}

// Lag returns the chip steps by which layer li (0-based) of the model is late on the
// named target: 0 on ref (it runs edge_latency zero exactly); one step per layer on the
// hardware targets, whose every projection (and the input) is delivered one step later.
func Lag(target string, li int) int {
	if target == "ref" {
		return 0
	}
	return li + 1
}

// observed returns the exported graph of m with an extra Output port per hidden layer
// ("hil_lif1", …) so that a Machine reports hidden spikes as output streams. With
// headroom > 1 the largest-magnitude weight of every projection is compiled headroom
// times larger, so that a target whose SetWeights keeps the compiled weight range
// (analog: the projection's gain; loihi: the weight exponent) leaves the fine-tuning
// room to grow weights instead of saturating them; the trainer overwrites every weight
// through SetWeights before the first run.
func observed(m *train.Model, meta train.ExportMeta, headroom float64) (*ir.Graph, error) {
	g, err := m.ExportGraph(meta)
	if err != nil {
		return nil, err
	}
	if headroom > 1 {
		for _, n := range g.Nodes {
			if n.Type != ir.TAffine {
				continue
			}
			w := n.P("weight")
			if w == nil || len(w.Data) == 0 {
				continue
			}
			w.Data = append([]float64(nil), w.Data...)
			k := 0
			for i, v := range w.Data {
				if math.Abs(v) > math.Abs(w.Data[k]) {
					k = i
				}
			}
			w.Data[k] *= headroom
		}
	}
	L := len(m.Layers)
	for i := 0; i < L-1; i++ {
		pop := train.PopName(i, L)
		name := ObsPrefix + pop
		g.AddNode(&ir.Node{Name: name, Type: ir.TOutput, Params: map[string]*ir.Tensor{"shape": ir.Vector(float64(m.Layers[i].Out))}})
		g.Edges = append(g.Edges, ir.Edge{From: pop, To: name})
	}
	return g, nil
}

// build compiles g for the target.
func build(g *ir.Graph, target string, topt targets.Options) (*compiler.Result, error) {
	return compiler.Build(g, target, compiler.Options{}, topt)
}

// recorder runs samples on a chip and records their states on the model's time axis.
type recorder struct {
	chip    Chip
	target  string
	m       *train.Model
	steps   int // model steps T
	run     int // chip steps T + lag of the output
	dt      float64
	probes  []string // membrane probes, one per layer ("" when not exposed)
	useMem  bool
	fit     *dynFit // with membranes: per-neuron leak and gain fitted to the chip (nil: off)
	work    *train.Work
	enc     data.Encoder
	inBuf   []float64
	st      state
	rows    []float64   // output values on the model's window
	mem     [][]float64 // per layer, recorded membranes
	spikes  float64     // of the last run (trace stat)
	energyJ float64
}

func newRecorder(chip Chip, target string, m *train.Model, enc data.Encoder, steps int, useMem bool) *recorder {
	L := len(m.Layers)
	r := &recorder{chip: chip, target: target, m: m, steps: steps, run: steps + Lag(target, L-1), dt: m.Cfg.Dt,
		useMem: useMem, enc: enc, work: m.NewWork(steps)}
	r.inBuf = make([]float64, m.Layers[0].In*steps)
	v, ok := membraneProbe[target]
	r.probes = make([]string, L)
	for i := range m.Layers {
		if ok && useMem {
			r.probes[i] = train.PopName(i, L) + "." + v
		}
		n := m.Layers[i].Out
		r.st.S = append(r.st.S, make([]float64, steps*n))
		r.st.U = append(r.st.U, nil)
	}
	nOut := m.Layers[L-1].Out
	r.st.logits = make([]float64, nOut)
	r.st.argT = make([]int, nOut)
	return r
}

// encode encodes sample i of ds for the float model.
func encode(dst []float64, enc data.Encoder, ds *data.Dataset, i, steps int, seed uint64) train.Input {
	x := ds.Sample(i)
	if enc.Static() {
		enc.Encode(dst, x, 1, seed, i)
		return train.Input{X: dst[:enc.Inputs(len(x))], Static: true}
	}
	n := enc.Inputs(len(x)) * steps
	enc.Encode(dst[:n], x, steps, seed, i)
	return train.Input{X: dst[:n]}
}

// record runs sample i on the chip (Reset first) and fills r.st. With resim it also
// re-simulates the nominal float model driven by the recorded spikes (for the
// membranes the chip does not expose) and returns the model input.
func (r *recorder) record(ctx context.Context, ds *data.Dataset, i int, seed uint64, resim bool) (*train.Input, error) {
	m, T := r.m, r.steps
	L := len(m.Layers)
	r.chip.Reset()
	stim := train.StimulusFor(r.enc, ds.Sample(i), T, seed, i, r.dt)
	var probes []string
	if resim {
		for _, p := range r.probes {
			if p != "" {
				probes = append(probes, p)
			}
		}
	}
	tr, err := r.chip.Run(ctx, stim, r.run, probes)
	if err != nil {
		return nil, fmt.Errorf("%w: sample %d: %v", ErrChip, i, err)
	}
	r.spikes, _ = tr.Stat("spikes")
	r.energyJ, _ = tr.Stat("energy_j")
	// Hidden spikes: hil_<pop> streams, shifted by the layer's lag.
	for li := 0; li < L; li++ {
		ly := m.Layers[li]
		if !ly.Spiking || (!resim && li < L-1) {
			continue
		}
		name := ObsPrefix + train.PopName(li, L)
		if li == L-1 {
			name = train.OutputName
		}
		s := tr.Streams[name]
		if s == nil {
			return nil, fmt.Errorf("%w: the trace has no stream %q", ErrChip, name)
		}
		S := r.st.S[li]
		clear(S)
		lag := Lag(r.target, li)
		for k, t := range s.Times {
			mt := t - lag
			if mt < 0 || mt >= T {
				continue
			}
			j := s.Indices[k]
			if j < 0 || j >= ly.Out {
				return nil, fmt.Errorf("%w: stream %q index %d outside 0..%d", ErrChip, name, j, ly.Out-1)
			}
			S[mt*ly.Out+j] = 1
		}
	}
	// Logits from the chip's output, on the model's window.
	out := m.Layers[L-1]
	nOut, lag := out.Out, Lag(r.target, L-1)
	lg := r.st.logits
	if m.Cfg.Loss == train.LossCount {
		sc := m.Cfg.CountScale
		if sc == 0 {
			sc = 1
		}
		clear(lg)
		S := r.st.S[L-1]
		for k, v := range S {
			lg[k%nOut] += sc * v
		}
	} else {
		s := tr.Streams[train.OutputName]
		if s == nil {
			return nil, fmt.Errorf("%w: the trace has no stream %q", ErrChip, train.OutputName)
		}
		if s.Values == nil && len(s.Times) > 0 {
			return nil, fmt.Errorf("%w: decode %q needs a graded output, the chip streams spikes", ErrChip, m.Cfg.Loss)
		}
		rows := r.outRows()
		clear(rows)
		for k, t := range s.Times {
			mt := t - lag
			j := s.Indices[k]
			if mt < 0 || mt >= T || j < 0 || j >= nOut {
				continue
			}
			rows[mt*nOut+j] = s.Values[k]
		}
		for j := 0; j < nOut; j++ {
			switch m.Cfg.Loss {
			case train.LossMax:
				best, bt := math.Inf(-1), 0
				for t := 0; t < T; t++ {
					if v := rows[t*nOut+j]; v > best {
						best, bt = v, t
					}
				}
				lg[j], r.st.argT[j] = best, bt
			default:
				sum := 0.0
				for t := 0; t < T; t++ {
					sum += rows[t*nOut+j]
				}
				lg[j] = sum / float64(T)
			}
		}
	}
	if !resim {
		return nil, nil
	}
	in := encode(r.inBuf, r.enc, ds, i, T, seed)
	override := make([][]float64, L)
	for li, ly := range m.Layers {
		if ly.Spiking {
			override[li] = r.st.S[li]
		}
	}
	r.work.Forward(&in, override)
	for li, ly := range m.Layers {
		r.st.U[li] = r.work.U[li]
		if r.probes[li] == "" && biasSteadyState[r.target] {
			r.st.U[li] = r.chipBiasU(li)
		}
		if r.probes[li] == "" {
			continue
		}
		p := tr.Probe(r.probes[li])
		if p == nil {
			continue
		}
		U := r.memBuf(li)
		lag := Lag(r.target, li)
		for t := 0; t < T; t++ {
			copy(U[t*ly.Out:(t+1)*ly.Out], p.Data[t+lag])
		}
		if ly.Spiking && resetInFrame[r.target] {
			for k, s := range r.st.S[li] {
				if s != 0 {
					U[k] = m.Cfg.Threshold
				}
			}
		}
		r.st.U[li] = U
		if r.fit != nil {
			var S []float64
			if ly.Spiking {
				S = r.st.S[li]
			}
			r.fit.add(li, U, r.work.I[li], S, ly.Out)
		}
	}
	return &in, nil
}

func (r *recorder) outRows() []float64 {
	n := r.m.Layers[len(r.m.Layers)-1].Out * r.steps
	if cap(r.rows) < n {
		r.rows = make([]float64, n)
	}
	return r.rows[:n]
}

func (r *recorder) memBuf(li int) []float64 {
	if r.mem == nil {
		r.mem = make([][]float64, len(r.m.Layers))
	}
	if r.mem[li] == nil {
		r.mem[li] = make([]float64, r.steps*r.m.Layers[li].Out)
	}
	return r.mem[li]
}

// hasMembranes reports whether the recorder probes any exposed membrane.
func (r *recorder) hasMembranes() bool {
	for _, p := range r.probes {
		if p != "" {
			return true
		}
	}
	return false
}

// chipBiasU returns layer li's membrane re-simulated as a biasSteadyState target computes
// it, on the model's time axis: the float model's synaptic current without its bias part
// (r.work.I minus b·Σ_{k≤t} α^k), the bias entering the membrane as the constant
// b/(1 − α) from chip step 0 (Lag(li) steps of bias alone first, with the model's
// threshold and reset), the recorded spikes resetting the membrane. Requires a prior
// r.work.Forward with the recorded spikes as override.
func (r *recorder) chipBiasU(li int) []float64 {
	m := r.m
	c := &m.Cfg
	ly := m.Layers[li]
	n, T := ly.Out, r.steps
	U := r.memBuf(li)
	I := r.work.I[li]
	var S []float64
	if ly.Spiking {
		S = r.st.S[li]
	}
	lag := Lag(r.target, li)
	for j := 0; j < n; j++ {
		b := 0.0
		if j < len(ly.B) {
			b = ly.B[j]
		}
		drive := b / (1 - c.Alpha)
		v := 0.0
		for k := 0; k < lag; k++ { // bias alone before the first input
			v = c.Beta*v + drive
			if ly.Spiking && v > c.Threshold {
				if c.Reset == train.ResetSubtract {
					v -= c.Threshold
				} else {
					v = 0
				}
			}
		}
		bcur, apow := 0.0, 1.0 // bias part of the float current: b·Σ_{k≤t} α^k
		prevS := 0.0
		for t := 0; t < T; t++ {
			bcur += b * apow
			apow *= c.Alpha
			in := I[t*n+j] - bcur + drive
			switch {
			case !ly.Spiking:
				v = c.Beta*v + in
			case c.Reset == train.ResetSubtract:
				v = c.Beta*v + in - c.Threshold*prevS
			default:
				v = c.Beta*v*(1-prevS) + in
			}
			U[t*n+j] = v
			if S != nil {
				prevS = S[t*n+j]
			}
		}
	}
	return U
}
