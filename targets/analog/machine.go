package analog

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// core is one emulator core: one population's neurons in one region, with the synapse
// rows (axons) that feed them.
type core struct {
	arr   *array
	pop   *popRT
	first int     // population index of arr's neuron 0
	start []int32 // axon a's synapses are [start[a], start[a+1])
	col   []int32 // local neuron of each synapse
	amp   []float64
	bias  []float64
	gain  []float64 // actual synaptic input gain per neuron
	prof  *Profile
	// raw counts of the current run
	frames, synEvents, spikes, samples int64
	cnt                                emulator.Counters
	share                              float64 // this core's share of the chip's used neurons
	dt                                 float64
}

// Step implements emulator.Core.
func (c *core) Step(_ int, in []emulator.Event, fired []int32) []int32 {
	u := c.arr.u
	if c.bias != nil {
		copy(u, c.bias)
	}
	for _, ev := range in {
		lo, hi := c.start[ev.Axon], c.start[ev.Axon+1]
		val := float64(ev.Value)
		for k := lo; k < hi; k++ {
			u[c.col[k]] += c.amp[k] * val
		}
		c.synEvents += int64(hi - lo)
	}
	before := c.arr.nextSample
	fired, s := c.arr.advance(fired, 0)
	if c.arr.period > 0 {
		c.samples += int64(math.Round((c.arr.nextSample - before) / c.arr.period))
	}
	c.spikes += int64(s)
	c.frames++
	return fired
}

// Reset implements emulator.Core.
func (c *core) Reset() { c.arr.reset() }

// Counters implements emulator.Counted (cost model of docs/analog.md).
func (c *core) Counters() *emulator.Counters {
	n := float64(c.arr.n)
	chipT := float64(c.frames) * c.arr.dtc
	c.cnt = emulator.Counters{
		SynapticEvents: c.synEvents,
		Spikes:         c.spikes,
		NeuronUpdates:  c.frames * int64(c.arr.n),
		Cycles:         c.frames * int64(c.arr.nsub),
		TimeS:          chipT * c.share,
		EnergyJ: c.prof.StaticWPerNeuron*n*chipT + c.prof.SynEventJ*float64(c.synEvents) +
			c.prof.SpikeJ*float64(c.spikes) + c.prof.SampleJ*float64(c.samples)*n,
		Extra: map[string]float64{
			"cadc_samples":     float64(c.samples) * n,
			"internal_steps":   float64(c.frames * int64(c.arr.nsub)),
			"model_time_s":     float64(c.frames) * c.dt * c.share,
			"static_energy_j":  c.prof.StaticWPerNeuron * n * chipT,
			"dynamic_energy_j": c.prof.SynEventJ*float64(c.synEvents) + c.prof.SpikeJ*float64(c.spikes) + c.prof.SampleJ*float64(c.samples)*n,
		},
	}
	return &c.cnt
}

func (c *core) clearCounts() { c.frames, c.synEvents, c.spikes, c.samples = 0, 0, 0, 0 }

// popRT is a population at run time: its slices in column order.
type popRT struct {
	pm     *popMap
	slices []*core
}

// synRef locates one synapse of a projection in its core.
type synRef struct {
	core *core
	pos  int32
	k    int32   // index in W's layout
	gain float64 // model units per LSB
	base float64 // readout units of drive per LSB (gain · in_scale · actual synaptic gain)
}

type projRT struct {
	pr   *ir.Projection
	pj   *projMap
	syn  []synRef
	q    []int8 // current weight of each synapse
	clip int    // synapses SetWeights zeroed because their row has the other sign
}

// machine is one chip instance running an image.
type machine struct {
	im     *image
	prof   *Profile
	chip   *chip
	set    *settings
	cores  []*core
	pops   map[string]*popRT
	projs  []*projRT
	engine *emulator.Engine
}

// colParams returns the actual parameters of column col set to the image's targets:
// each target becomes a DAC code (ideal inverse, corrected by the calibration when
// there is one) and the code becomes a value through the chip's own transfer.
func (m *machine) colParams(pm *popMap, i int) (neuronParams, float64) {
	col := pm.First + i // (SharedParams profiles: Compile made every neuron's targets equal)
	set := func(param int, target float64) float64 {
		return m.chip.value(param, col, m.code(param, col, target))
	}
	q := neuronParams{
		tauMem: set(pTauMem, pm.TauMem[i]),
		leak:   set(pLeak, pm.Leak[i]),
		reset:  set(pReset, pm.Reset[i]),
		thr:    math.Inf(1),
	}
	if pm.Threshold != nil {
		q.thr = set(pThreshold, pm.Threshold[i])
	}
	if pm.TauSyn != nil {
		q.tauSyn = set(pTauSyn, pm.TauSyn[i])
	}
	if pm.TauW != nil {
		q.tauW = pm.TauW[i] // adaptation bias: not mismatched in this model
		q.bJump = pm.BJump[i]
	}
	gain := set(pGain, 1)
	return q, gain
}

// code is the DAC code for target on column col.
func (m *machine) code(param, col int, target float64) int {
	p := m.prof
	ideal := p.dacCodeF(param, target)
	if cal := m.set.cal; cal != nil {
		c := float64(cal.Codes[paramNames[param]][col])
		t := p.dacCodeF(param, cal.Targets[paramNames[param]])
		switch param {
		case pTauMem, pTauSyn: // log DAC: mismatch is a shift in code
			return p.clampCode(ideal + c - t)
		default: // linear DAC: mismatch is a ratio of codes
			if t > 0 {
				return p.clampCode(ideal * c / t)
			}
		}
	}
	return p.clampCode(ideal)
}

func newMachine(im *image, opt targets.Options) (*machine, error) {
	st, err := parseConditions(opt, im.prof)
	if err != nil {
		return nil, err
	}
	m := &machine{im: im, prof: im.prof, set: st, pops: map[string]*popRT{}}
	m.chip = newChip(im.prof, opt.Seed, st.cond)
	nl := im.nl
	prof := im.prof
	used := 0
	for _, pm := range im.pay.Pops {
		used += pm.Size
	}
	net := &emulator.Network{Dt: im.pay.Dt}
	colCore := map[int]*core{}
	coreIdx := map[*core]int{}
	noiseSD := prof.NoiseLSB * st.cond.Noise
	for pi := range im.pay.Pops {
		pm := &im.pay.Pops[pi]
		rt := &popRT{pm: pm}
		m.pops[pm.Name] = rt
		cir := circuit{syn: pm.Kind != kindLIF, adex: pm.Kind == kindAdEx, spiking: pm.Spiking}
		minTau := math.Inf(1)
		for _, ts := range [][]float64{pm.TauMem, pm.TauSyn, pm.TauW} {
			for _, x := range ts {
				minTau = math.Min(minTau, x)
			}
		}
		for i := 0; i < pm.Size; {
			col := pm.First + i
			n := min(pm.Size-i, prof.RegionSize-col%prof.RegionSize)
			params := make([]neuronParams, n)
			gains := make([]float64, n)
			for j := 0; j < n; j++ {
				params[j], gains[j] = m.colParams(pm, i+j)
			}
			ci := len(m.cores)
			arr := newArray(cir, params, im.pay.DtChip, minTau, st.stepsPerTau, pm.Refractory, prof, noiseSD,
				emulator.NewRand(opt.Seed, streamNoise+uint64(ci)))
			for j := 0; j < n; j++ {
				arr.v0[j] = pm.V0[i+j]
			}
			arr.reset()
			c := &core{arr: arr, pop: rt, first: i, prof: prof, gain: gains, share: float64(n) / float64(max(used, 1)), dt: im.pay.Dt}
			if pm.Bias != nil {
				c.bias = make([]float64, n)
				for j := 0; j < n; j++ {
					c.bias[j] = pm.Bias[i+j] * gains[j]
				}
			}
			for j := 0; j < n; j++ {
				colCore[col+j] = c
			}
			m.cores = append(m.cores, c)
			coreIdx[c] = ci
			rt.slices = append(rt.slices, c)
			net.Cores = append(net.Cores, c)
			net.Routes = append(net.Routes, make([][]emulator.Target, n))
			net.OutMap = append(net.OutMap, nil)
			i += n
		}
	}
	// --- synapse tables ---
	type pending struct {
		axon, local int32
		ref         int // index into the projection's syn list
		proj        int
	}
	type axKey struct{ proj, pre, delay int }
	perCore := make([][]pending, len(m.cores))
	axons := make([]map[axKey]int32, len(m.cores))
	for i := range axons {
		axons[i] = map[axKey]int32{}
	}
	inputRoutes := map[string][][]emulator.Target{}
	for _, in := range nl.Inputs {
		inputRoutes[in.Name] = make([][]emulator.Target, in.Size)
	}
	qmax := prof.weightMax()
	for pi, pr := range nl.Projections {
		pj := &im.pay.Projs[pi]
		post := m.pops[pr.Post]
		src := m.pops[pr.Pre]
		rt := &projRT{pr: pr, pj: pj}
		var err error
		forEachSynapse(pr, func(s synapse) {
			if err != nil {
				return
			}
			col := post.pm.First + s.post
			c := colCore[col]
			ci := coreIdx[c]
			local := int32(col - post.pm.First - c.first)
			key := axKey{pi, s.pre, s.delay}
			a, ok := axons[ci][key]
			if !ok {
				a = int32(len(axons[ci]))
				axons[ci][key] = a
				tgt := emulator.Target{Core: int32(ci), Axon: a, Delay: int32(s.delay)}
				if src != nil {
					sc, sl := m.locate(src, s.pre)
					net.Routes[coreIdx[sc]][sl] = append(net.Routes[coreIdx[sc]][sl], tgt)
				} else if r, ok := inputRoutes[pr.Pre]; ok {
					r[s.pre] = append(r[s.pre], tgt)
				} else {
					err = fmt.Errorf("BUG: projection %s from unknown source %s", pr.Name, pr.Pre)
					return
				}
			}
			g := pj.Gain[prof.region(col)]
			ref := synRef{core: c, k: int32(s.k), gain: g, base: g * post.pm.InScale[s.post] * c.gain[local]}
			perCore[ci] = append(perCore[ci], pending{axon: a, local: local, ref: len(rt.syn), proj: pi})
			rt.syn = append(rt.syn, ref)
			rt.q = append(rt.q, int8(m.rowClip(pj, quantWeight(pr.W[s.k], g, qmax), rt)))
		})
		if err != nil {
			return nil, err
		}
		m.projs = append(m.projs, rt)
	}
	for ci, c := range m.cores {
		ps := perCore[ci]
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].axon < ps[j].axon })
		na := len(axons[ci])
		c.start = make([]int32, na+1)
		c.col = make([]int32, len(ps))
		c.amp = make([]float64, len(ps))
		for k, p := range ps {
			c.start[p.axon+1]++
			c.col[k] = p.local
			rt := m.projs[p.proj]
			rt.syn[p.ref].pos = int32(k)
			c.amp[k] = float64(rt.q[p.ref]) * rt.syn[p.ref].base
		}
		for a := 1; a <= na; a++ {
			c.start[a] += c.start[a-1]
		}
	}
	for _, in := range nl.Inputs {
		net.Inputs = append(net.Inputs, emulator.InputRoute{Name: in.Name, Shape: in.Shape, Routes: inputRoutes[in.Name]})
	}
	for oi, o := range nl.Outputs {
		rt := m.pops[o.Source]
		if rt == nil {
			return nil, fmt.Errorf("%w: output %s reads %q, which is not a population", targets.ErrUnsupported, o.Name, o.Source)
		}
		os := emulator.OutputStream{Name: o.Name, Shape: o.Shape}
		if !rt.pm.Spiking {
			os.Read = m.graded(rt)
		} else {
			for _, c := range rt.slices {
				ci := coreIdx[c]
				if net.OutMap[ci] == nil {
					net.OutMap[ci] = make([]emulator.OutRef, c.arr.n)
					for k := range net.OutMap[ci] {
						net.OutMap[ci][k].Stream = -1
					}
				}
				for j := 0; j < c.arr.n; j++ {
					net.OutMap[ci][j] = emulator.OutRef{Stream: int32(oi), Index: int32(c.first + j)}
				}
			}
		}
		net.Outputs = append(net.Outputs, os)
	}
	net.Sequential = len(m.cores) < 2
	e, err := emulator.NewEngine(net)
	if err != nil {
		return nil, err
	}
	m.engine = e
	return m, nil
}

// rowClip applies the per-row sign: a weight whose sign differs from its row's becomes 0.
func (m *machine) rowClip(pj *projMap, q int, rt *projRT) int {
	if m.prof.RowSign && pj.Sign != 0 && q != 0 && (q > 0) != (pj.Sign > 0) {
		rt.clip++
		return 0
	}
	return q
}

// locate returns the core and local index of neuron i of a population.
func (m *machine) locate(rt *popRT, i int) (*core, int) {
	for _, c := range rt.slices {
		if i >= c.first && i < c.first+c.arr.n {
			return c, i - c.first
		}
	}
	panic(fmt.Sprintf("BUG: neuron %d outside population %s", i, rt.pm.Name))
}

// graded reads a non-spiking population's output in model units, through the CADC when
// the chip has one.
func (m *machine) graded(rt *popRT) emulator.ProbeFunc {
	return func(row []float64) {
		for _, c := range rt.slices {
			for j := 0; j < c.arr.n; j++ {
				v := c.arr.v[j]
				if c.arr.period > 0 {
					v = float64(c.arr.cadc[j])
				}
				row[c.first+j] = (v - rt.pm.Offset) / rt.pm.Scale
			}
		}
	}
}

// Run implements targets.Machine. It continues from the current state (Reset returns to
// t = 0); the temporal noise stream continues across runs, as on a chip.
func (m *machine) Run(ctx context.Context, in *emulator.Stimulus, steps int, probes []string) (*emulator.Trace, error) {
	ps, err := m.resolveProbes(probes)
	if err != nil {
		return nil, err
	}
	for _, c := range m.cores {
		c.clearCounts()
	}
	return m.engine.Run(ctx, in, steps, ps)
}

func (m *machine) resolveProbes(names []string) ([]emulator.Probe, error) {
	var out []emulator.Probe
	for _, name := range names {
		dot := strings.LastIndexByte(name, '.')
		if dot <= 0 {
			return nil, fmt.Errorf("%w: %q: want NODE.VAR (VAR: v, cadc)", emulator.ErrProbe, name)
		}
		node, v := name[:dot], name[dot+1:]
		rt := m.pops[node]
		if rt == nil {
			names := make([]string, 0, len(m.pops))
			for n := range m.pops {
				names = append(names, n)
			}
			sort.Strings(names)
			return nil, fmt.Errorf("%w: %q: no population %q (populations: %s)", emulator.ErrProbe, name, node, strings.Join(names, ", "))
		}
		pm := rt.pm
		p := emulator.Probe{Name: name, Shape: m.im.nl.Population(node).Shape}
		switch v {
		case "v":
			p.DType = "f64"
			p.Read = func(row []float64) {
				for _, c := range rt.slices {
					for j, x := range c.arr.v {
						row[c.first+j] = (x - pm.Offset) / pm.Scale
					}
				}
			}
		case "cadc":
			if m.prof.CADCPeriod <= 0 {
				return nil, fmt.Errorf("%w: %q: the %s chip has no membrane ADC", ErrNoReadout, name, m.prof.Name)
			}
			p.DType = "i32"
			p.Read = func(row []float64) {
				for _, c := range rt.slices {
					for j, x := range c.arr.cadc {
						row[c.first+j] = float64(x)
					}
				}
			}
		default:
			return nil, fmt.Errorf("%w: %q: the analog target probes v (model units) and cadc (8-bit membrane samples)", emulator.ErrProbe, name)
		}
		out = append(out, p)
	}
	return out, nil
}

// Reset implements targets.Machine.
func (m *machine) Reset() { m.engine.Reset() }

// Projections implements targets.Machine.
func (m *machine) Projections() []string {
	out := make([]string, len(m.projs))
	for i, p := range m.projs {
		out[i] = p.pr.Name
	}
	return out
}

func (m *machine) proj(name string) (*projRT, error) {
	for _, p := range m.projs {
		if p.pr.Name == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("%w: %q (projections: %s)", targets.ErrNoProjection, name, strings.Join(m.Projections(), ", "))
}

// Weights implements targets.Machine: the digital weights as written (q·gain, model
// units); the analog gain mismatch is not visible.
func (m *machine) Weights(name string) ([]float64, error) {
	rt, err := m.proj(name)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(rt.pr.W))
	for i, s := range rt.syn {
		out[s.k] = float64(rt.q[i]) * s.gain
	}
	return out, nil
}

// SetWeights implements targets.Machine: re-quantize to 6-bit magnitude and the row's
// sign at the projection's gain (saturating), and write.
func (m *machine) SetWeights(name string, w []float64) error {
	rt, err := m.proj(name)
	if err != nil {
		return err
	}
	if len(w) != len(rt.pr.W) {
		return fmt.Errorf("projection %s has %d weights (laid out as ir.Projection.W), got %d", name, len(rt.pr.W), len(w))
	}
	for _, x := range w {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("projection %s: weight is not finite", name)
		}
	}
	qmax := m.prof.weightMax()
	rt.clip = 0
	for i, s := range rt.syn {
		q := m.rowClip(rt.pj, quantWeight(w[s.k], s.gain, qmax), rt)
		rt.q[i] = int8(q)
		s.core.amp[s.pos] = float64(q) * s.base
	}
	return nil
}
