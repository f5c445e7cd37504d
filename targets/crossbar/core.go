package crossbar

import (
	"math"

	"github.com/snnc/snnc/emulator"
)

type activeRow struct {
	r int32
	v float64
}

// core is one (population, column group): the tiles of every row block of that group,
// the digital partial-sum adders and the neurons at the columns. It implements
// emulator.Core.
type core struct {
	cfg   *Config
	pl    *popLayout
	group int
	lo, n int
	tiles []*tileDev // by row block
	act   [][]activeRow
	x     []float64
	acc   []float64
	vv    []float64
	z     []float64
	wcum  []float64
	sw    []float64
	dG    float64
	neu   *neurons
	rng   *emulator.Rand
	nodal *nodalSolver

	// counters
	cellReads, tileReads, adcConv, partialSums, neuronUpdates, steps int64
	eCells, eADC, ePeriph, eDigital                                  float64
}

func newCore(cfg *Config, pl *popLayout, group int, tiles []*tileDev, neu *neurons, seed uint64, id int) *core {
	c := &core{cfg: cfg, pl: pl, group: group, lo: group * pl.CG, tiles: tiles, neu: neu,
		sw: pl.PW, dG: cfg.Profile.GMax - cfg.Profile.GMin,
		rng: emulator.NewRand(seed, uint64(streamReadBase+id))}
	c.n = min(pl.CG, pl.Size-c.lo)
	if pl.Blocks == 0 {
		c.n = pl.Size // a population without inputs: one core, no tiles
	}
	c.act = make([][]activeRow, len(tiles))
	c.x = make([]float64, c.n)
	P := c.n * 2 * pl.K
	c.acc = make([]float64, P)
	c.vv = make([]float64, P/2)
	c.z = make([]float64, P) // two normals per pair: read noise and ADC noise
	c.wcum = make([]float64, cfg.Tile)
	if cfg.IRDrop == "nodal" {
		c.nodal = &nodalSolver{}
	}
	return c
}

// Reset implements emulator.Core (devices are kept).
func (c *core) Reset() { c.neu.reset() }

// Step implements emulator.Core.
func (c *core) Step(t int, in []emulator.Event, fired []int32) []int32 {
	R := c.cfg.Tile
	for b := range c.act {
		c.act[b] = c.act[b][:0]
	}
	for _, ev := range in {
		row := int(ev.Axon)
		b := row / R
		// replicated rows are read at the population's lowered amplitude (readScale)
		c.act[b] = append(c.act[b], activeRow{int32(row - b*R), float64(ev.Value) * c.pl.VScale})
	}
	x := c.x
	for k := range x {
		x[k] = 0
	}
	read := 0
	for b, tile := range c.tiles {
		if len(c.act[b]) == 0 {
			continue
		}
		c.readTile(tile, c.act[b], x)
		read++
	}
	cost := &DefaultCosts
	if read > 1 {
		ps := int64(read-1) * int64(c.n)
		c.partialSums += ps
		c.eDigital += float64(ps) * cost.PartialSumJ
	}
	nf := len(fired)
	fired = c.neu.step(x, fired, 0)
	c.neuronUpdates += int64(c.n)
	c.eDigital += float64(c.n) * cost.NeuronJ
	if c.neu.mem {
		c.eDigital += float64(len(fired)-nf) * cost.MemSpikeJ
	}
	c.steps++
	return fired
}

// readTile performs one analog MVM of tile with the active rows and adds the digital
// partial sums (model units) into x.
func (c *core) readTile(t *tileDev, act []activeRow, x []float64) {
	cfg := c.cfg
	P, Q := t.P, t.Q
	acc := c.acc[:P]
	for p := range acc {
		acc[p] = 0
	}
	vv := c.vv[:Q]
	if t.v2 != nil {
		for q := range vv {
			vv[q] = 0
		}
	}
	var sumV, sumG float64
	// Column currents I_p = Σ_rows V_r·G_rp (in µS × V_read units); the read noise of
	// independent cells adds as a Gaussian of variance Σ V_r²·σ_rp², drawn once per
	// pair per read (exact in distribution, spec "read noise, redrawn per read").
	geff, v2, rowG := t.geff, t.v2, t.rowG
	if t.lead != nil {
		geff, v2, rowG = t.gSum, t.v2Sum, t.rowGSum
	}
	for _, a := range act {
		r := int(a.r)
		sumV += a.v
		if t.lead != nil && t.lead[r] != a.r {
			continue // read with its group's lead row
		}
		row := geff[r*P : r*P+P]
		row = row[:len(acc)]
		if a.v == 1 {
			for p, g := range row {
				acc[p] += g
			}
		} else {
			for p, g := range row {
				acc[p] += a.v * g
			}
		}
		if v2 != nil {
			vr := v2[r*Q : r*Q+Q]
			vr = vr[:len(vv)]
			v2 := a.v * a.v
			for q, s := range vr {
				vv[q] += v2 * s
			}
		}
		sumG += a.v * a.v * rowG[r]
	}
	switch {
	case cfg.IRDrop == "nodal" && cfg.Profile.WireOhm > 0:
		c.nodal.solve(cfg.wireRows(t.Ru), t, act, cfg.Profile.WireOhm, acc)
	case cfg.IRDrop == "first-order" && cfg.Profile.WireOhm > 0 && sumV > 0:
		// First-order column-wire drop (docs/crossbar.md "IR drop"): the column segment
		// below row m carries J_m ≈ Ḡ·Vcum_m, Vcum_m = Σ_{i≤m} V_i; the cell at row i
		// sees w_i = r·Σ_{m≥i} J_m and loses G·w_i, so I ← I·(1 − r·Ḡ·B),
		// B = Σ_active W_i / ΣV, W_i = Σ_{m=i}^{R−1} Vcum_m, Ḡ = I/ΣV — the spec's
		// r·Ḡ·a·k with the active-row fraction a and distance k made exact in counts.
		w := c.wcum[:t.Ru]
		for i := range w {
			w[i] = 0
		}
		for _, a := range act {
			w[a.r] += a.v
		}
		cum := 0.0
		for i := range w {
			cum += w[i]
			w[i] = cum // Vcum_i
		}
		s := float64(cfg.wireRows(t.Ru)-t.Ru) * sumV
		for i := t.Ru - 1; i >= 0; i-- {
			s += w[i]
			w[i] = s // W_i
		}
		var bsum float64
		for _, a := range act {
			bsum += w[a.r]
		}
		k := cfg.Profile.WireOhm * 1e-6 * bsum / (sumV * sumV)
		for p, I := range acc {
			acc[p] = I * max(0, 1-k*I)
		}
	}
	z := c.z[:2*Q]
	noisy := t.v2 != nil
	adc := cfg.Readout == "adc"
	adcNoise := adc && cfg.ADCNoise && cfg.Profile.ADCNoise > 0
	if noisy || adcNoise {
		c.rng.FillNorm(z)
	}
	lsb := 2 * cfg.ADCBound / math.Exp2(float64(cfg.ADCBits))
	hi := math.Exp2(float64(cfg.ADCBits-1)) - 1
	lo := -hi - 1
	k := c.pl.K
	inv := 1 / c.dG
	out := 1 / c.pl.VScale // digital gain undoing the read amplitude
	for q := 0; q < Q; q++ {
		d := (acc[2*q] - acc[2*q+1]) * inv
		if noisy {
			d += math.Sqrt(vv[q]) * z[2*q] * inv
		}
		d *= t.alpha
		if adc {
			if adcNoise {
				d += cfg.Profile.ADCNoise * z[2*q+1]
			}
			if cfg.ADCQuant {
				// ADC (spec "ADC quantization"): signed bits-bit code, round to nearest,
				// saturate at the output bound.
				code := math.Round(d / lsb)
				code = min(max(code, lo), hi)
				d = code * lsb
			}
		}
		col := q / k
		x[col] += d * c.sw[q-col*k] * t.scales[col] * out
	}
	c.cellReads += int64(len(act)) * int64(P)
	c.tileReads++
	cost := &DefaultCosts
	c.eCells += cost.VRead * cost.VRead * cost.TRead * sumG * 1e-6
	c.ePeriph += cost.PeriphColJ * float64(P)
	if adc {
		c.adcConv += int64(Q)
		c.eADC += float64(Q) * cost.ADC8J * math.Exp2(float64(cfg.ADCBits-8))
	}
}

// Counters implements emulator.Counted.
func (c *core) Counters() *emulator.Counters {
	return &emulator.Counters{
		SynapticEvents: c.cellReads / int64(2*c.pl.K*c.pl.Rep), // weight reads: the replicas of a weight are one synapse
		Spikes:         c.neu.spikes,
		NeuronUpdates:  c.neuronUpdates,
		EnergyJ:        c.eCells + c.eADC + c.ePeriph + c.eDigital,
		Extra: map[string]float64{
			"cell_reads":       float64(c.cellReads),
			"tile_reads":       float64(c.tileReads),
			"adc_conversions":  float64(c.adcConv),
			"partial_sums":     float64(c.partialSums),
			"energy_cells_j":   c.eCells,
			"energy_adc_j":     c.eADC,
			"energy_periph_j":  c.ePeriph,
			"energy_digital_j": c.eDigital,
		},
	}
}

func (c *core) clearCounters() {
	c.cellReads, c.tileReads, c.adcConv, c.partialSums, c.neuronUpdates, c.steps = 0, 0, 0, 0, 0, 0
	c.eCells, c.eADC, c.ePeriph, c.eDigital = 0, 0, 0, 0
	c.neu.spikes = 0
}
