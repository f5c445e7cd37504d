package crossbar

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// Machine is one crossbar chip instance running an image.
type Machine struct {
	img    *Image
	cfg    *Config
	lay    *layout
	seed   uint64
	tiles  []*tileDev
	cores  []*core
	popCor [][]int // population → its cores (column groups in order)
	net    *emulator.Network
	eng    *emulator.Engine
	w      map[string][]float64 // the machine's own copy of every projection's weights
	reprog *emulator.Rand
}

// Load implements targets.Target: it draws the chip instance from opt.Seed.
func (Target) Load(img targets.Image, opt targets.Options) (targets.Machine, error) {
	im, ok := img.(*Image)
	if !ok {
		return nil, fmt.Errorf("%w: not a crossbar image", targets.ErrImage)
	}
	return load(im, opt.Seed)
}

func load(im *Image, seed uint64) (*Machine, error) {
	cfg := im.cfg
	nl := im.nl
	// The machine owns a copy of the layout's matrices (SetWeights rewrites them).
	L := &layout{cfg: cfg, nl: nl, byPop: im.lay.byPop, tileOf: im.lay.tileOf}
	for _, pl := range im.lay.pops {
		cp := *pl
		cp.M = append([]float64(nil), pl.M...)
		L.pops = append(L.pops, &cp)
	}
	for _, tp := range im.lay.tiles {
		cp := *tp
		cp.Scales = append([]float64(nil), tp.Scales...)
		L.tiles = append(L.tiles, &cp)
	}
	m := &Machine{img: im, cfg: cfg, lay: L, seed: seed, w: map[string][]float64{},
		reprog: emulator.NewRand(seed, streamReprogram)}
	for _, pr := range nl.Projections {
		m.w[pr.Name] = append([]float64(nil), pr.W...)
	}
	for i, tp := range L.tiles {
		t := newTileDev(cfg, tp, L.pops[tp.Pop], seed, i)
		t.program(cfg, L.pops[tp.Pop], emulator.NewRand(seed, uint64(streamTileBase+4*i+1)))
		t.compensate(cfg, emulator.NewRand(seed, uint64(streamTileBase+4*i+2)))
		m.tiles = append(m.tiles, t)
	}
	net := &emulator.Network{Dt: nl.Semantics.Dt}
	m.popCor = make([][]int, len(L.pops))
	for pi, pl := range L.pops {
		pop := nl.Populations[pl.Pop]
		groups := max(pl.Groups, 1)
		for g := 0; g < groups; g++ {
			var tiles []*tileDev
			for b := 0; b < pl.Blocks; b++ {
				tiles = append(tiles, m.tiles[L.tileOf[pi][g*pl.Blocks+b]])
			}
			id := len(m.cores)
			c := newCore(cfg, pl, g, tiles, nil, seed, id)
			c.neu = newNeurons(pop, c.lo, c.n, cfg, nl.Semantics.Dt, seed, id)
			m.popCor[pi] = append(m.popCor[pi], id)
			m.cores = append(m.cores, c)
			net.Cores = append(net.Cores, c)
		}
	}
	// Routes: a spike of source neuron i reaches every core of each target population
	// on axon (segment offset + i), after the segment's delay.
	net.Routes = make([][][]emulator.Target, len(m.cores))
	for ci, c := range m.cores {
		net.Routes[ci] = make([][]emulator.Target, c.n)
	}
	inRoutes := map[string][][]emulator.Target{}
	for _, in := range nl.Inputs {
		inRoutes[in.Name] = make([][]emulator.Target, in.Size)
	}
	for pi, pl := range L.pops {
		for _, s := range pl.Segs {
			for _, ci := range m.popCor[pi] {
				for row := 0; row < s.PreSize*s.Rep; row++ {
					tg := emulator.Target{Core: int32(ci), Axon: int32(s.Off + row), Delay: int32(s.Delay)}
					i := row % s.PreSize // the presynaptic neuron (replica row / PreSize)
					if rs, ok := inRoutes[s.Pre]; ok {
						rs[i] = append(rs[i], tg)
						continue
					}
					src := L.byPop[s.Pre]
					for _, sc := range m.popCor[src] {
						c := m.cores[sc]
						if i >= c.lo && i < c.lo+c.n {
							net.Routes[sc][i-c.lo] = append(net.Routes[sc][i-c.lo], tg)
						}
					}
				}
			}
		}
	}
	for _, in := range nl.Inputs {
		net.Inputs = append(net.Inputs, emulator.InputRoute{Name: in.Name, Shape: in.Shape, Routes: inRoutes[in.Name]})
	}
	net.OutMap = make([][]emulator.OutRef, len(m.cores))
	for oi, o := range nl.Outputs {
		pi := L.byPop[o.Source]
		pop := nl.Populations[L.pops[pi].Pop]
		os := emulator.OutputStream{Name: o.Name, Shape: o.Shape}
		if !pop.Spiking || o.Kind == "v" {
			cores := m.popCor[pi]
			os.Read = func(row []float64) {
				for _, ci := range cores {
					c := m.cores[ci]
					copy(row[c.lo:c.lo+c.n], c.neu.v)
				}
			}
		} else {
			for _, ci := range m.popCor[pi] {
				c := m.cores[ci]
				if net.OutMap[ci] == nil {
					net.OutMap[ci] = make([]emulator.OutRef, c.n)
					for k := range net.OutMap[ci] {
						net.OutMap[ci][k].Stream = -1
					}
				}
				for k := 0; k < c.n; k++ {
					net.OutMap[ci][k] = emulator.OutRef{Stream: int32(oi), Index: int32(c.lo + k)}
				}
			}
		}
		net.Outputs = append(net.Outputs, os)
	}
	cells := 0
	for _, t := range m.tiles {
		cells += t.Ru * t.P
	}
	net.Sequential = cells < 1<<14 && cfg.IRDrop != "nodal"
	eng, err := emulator.NewEngine(net)
	if err != nil {
		return nil, err
	}
	m.net, m.eng = net, eng
	return m, nil
}

// Run implements targets.Machine. Statistics are those of this run; time_s is the
// pipeline period (tile read + partial-sum tree + neuron update) times the steps.
func (m *Machine) Run(ctx context.Context, in *emulator.Stimulus, steps int, probes []string) (*emulator.Trace, error) {
	ps, err := m.probes(probes)
	if err != nil {
		return nil, err
	}
	for _, c := range m.cores {
		c.clearCounters()
	}
	tr, err := m.eng.Run(ctx, in, steps, ps)
	if err != nil {
		return nil, err
	}
	period := m.StepLatency()
	for i := range tr.Stats {
		if tr.Stats[i].Key == "time_s" {
			tr.Stats[i].Value = period * float64(steps)
		}
	}
	return tr, nil
}

// StepLatency is the pipeline period of one step: every tile reads in parallel (130 ns
// for an 8-bit MVM, scaled by bits/8 for a SAR ADC), the partial sums add in a tree of
// depth ⌈log2 blocks⌉, then the neurons update.
func (m *Machine) StepLatency() float64 {
	c := &DefaultCosts
	depth := 0
	for _, pl := range m.lay.pops {
		if pl.Blocks > 1 {
			depth = max(depth, int(math.Ceil(math.Log2(float64(pl.Blocks)))))
		}
	}
	read := c.TileReadS
	if m.cfg.Readout == "adc" {
		read *= float64(m.cfg.ADCBits) / 8
	} else {
		read = c.TRead
	}
	return read + float64(depth)*c.PartialSumS + c.NeuronS
}

func (m *Machine) probes(names []string) ([]emulator.Probe, error) {
	var out []emulator.Probe
	for _, name := range names {
		dot := strings.LastIndex(name, ".")
		if dot <= 0 {
			return nil, fmt.Errorf("%w: %q (want NODE.VAR)", emulator.ErrProbe, name)
		}
		node, v := name[:dot], name[dot+1:]
		pi, ok := m.lay.byPop[node]
		if !ok {
			return nil, fmt.Errorf("%w: %q: no population %q", emulator.ErrProbe, name, node)
		}
		pop := m.img.nl.Populations[m.lay.pops[pi].Pop]
		cores := m.popCor[pi]
		var read emulator.ProbeFunc
		switch v {
		case "v":
			read = func(row []float64) {
				for _, ci := range cores {
					c := m.cores[ci]
					copy(row[c.lo:c.lo+c.n], c.neu.v)
				}
			}
		case "i":
			if pop.Model != ir.TCubaLIF && pop.Model != ir.TCubaLI {
				return nil, fmt.Errorf("%w: %q: %s has no synaptic current (probes: v, spikes)", emulator.ErrProbe, name, pop.Model)
			}
			read = func(row []float64) {
				for _, ci := range cores {
					c := m.cores[ci]
					copy(row[c.lo:c.lo+c.n], c.neu.i)
				}
			}
		default:
			return nil, fmt.Errorf("%w: %q: variable %q unknown (crossbar probes: v, i)", emulator.ErrProbe, name, v)
		}
		out = append(out, emulator.Probe{Name: name, Shape: pop.Shape, DType: "f64", Read: read})
	}
	return out, nil
}

// Reset implements targets.Machine.
func (m *Machine) Reset() { m.eng.Reset() }

// Projections implements targets.Machine.
func (m *Machine) Projections() []string {
	var out []string
	for _, pr := range m.img.nl.Projections {
		out = append(out, pr.Name)
	}
	return out
}

// forSlots calls fn for every replica of every weight slot of pr with its tile, row in
// the tile and column.
func (m *Machine) forSlots(pr *ir.Projection, fn func(k int, t *tileDev, r, col int)) {
	pi := m.lay.byPop[pr.Post]
	pl := m.lay.pops[pi]
	R := m.cfg.Tile
	pl.forRows(m.img.nl, pr, func(k, row, post int) {
		t := m.tiles[m.lay.tileOf[pi][(post/pl.CG)*pl.Blocks+row/R]]
		fn(k, t, row%R, post%pl.CG)
	})
}

// Weights implements targets.Machine: the effective weights as the programmed, spread,
// faulty, drifted (and drift-compensated) devices hold them, in model units; read noise
// and IR drop are read-time effects and are not included. Conv kernels report the mean
// over their unrolled positions.
func (m *Machine) Weights(proj string) ([]float64, error) {
	pr := m.img.nl.Projection(proj)
	if pr == nil {
		return nil, fmt.Errorf("%w: %q (have %v)", targets.ErrNoProjection, proj, m.Projections())
	}
	out := make([]float64, len(pr.W))
	cnt := make([]int, len(pr.W))
	pl := m.lay.pops[m.lay.byPop[pr.Post]]
	k, sw := pl.K, pl.PW
	dG := m.cfg.Profile.GMax - m.cfg.Profile.GMin
	m.forSlots(pr, func(i int, t *tileDev, r, col int) {
		u := 0.0
		for s := 0; s < k; s++ {
			u += t.pairValue(r, col*k+s, dG) * sw[s]
		}
		out[i] += u * t.scales[col]
		cnt[i]++
	})
	// The replicas of a weight add on the column; several unrolled positions (conv) are
	// averaged.
	rep := float64(pl.Rep)
	for i, n := range cnt {
		if n > 0 {
			out[i] *= rep / float64(n)
		}
	}
	return out, nil
}

// SetWeights implements targets.Machine: the projection's weights are replaced, the
// column scales of the tiles holding them recomputed, and those tiles re-programmed
// (quantization to levels + programming noise from the chip's reprogramming stream;
// spread, faults and drift draws are the chip's own and kept).
func (m *Machine) SetWeights(proj string, w []float64) error {
	pr := m.img.nl.Projection(proj)
	if pr == nil {
		return fmt.Errorf("%w: %q (have %v)", targets.ErrNoProjection, proj, m.Projections())
	}
	if len(w) != len(pr.W) {
		return fmt.Errorf("%w: SetWeights(%q): %d values, the projection has %d", targets.ErrFlag, proj, len(w), len(pr.W))
	}
	for i, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("SetWeights(%q): w[%d] = %v is not finite", proj, i, v)
		}
	}
	pi := m.lay.byPop[pr.Post]
	pl := m.lay.pops[pi]
	old := m.w[proj]
	// Rewrite M: remove the old contribution, add the new one.
	touched := map[*tileDev]bool{}
	share := 1 / float64(pl.Rep)
	pl.forRows(m.img.nl, pr, func(k, row, post int) {
		pl.M[row*pl.Size+post] += (w[k] - old[k]) * share
	})
	m.w[proj] = append([]float64(nil), w...)
	m.forSlots(pr, func(_ int, t *tileDev, _, _ int) { touched[t] = true })
	for i, t := range m.tiles {
		if !touched[t] {
			continue
		}
		t.place.Scales = m.lay.tileScales(t.place)
		t.scales = append(t.scales[:0], t.place.Scales...)
		t.program(m.cfg, pl, m.reprog)
		t.compensate(m.cfg, emulator.NewRand(m.seed, uint64(streamTileBase+4*i+2)))
	}
	return nil
}
