package analog

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// Circuit kinds of a mapped population.
const (
	kindLIF  = "lif"  // membrane only: spike pulses drive the membrane directly
	kindCuba = "cuba" // current-based synaptic integrator then membrane
	kindAdEx = "adex" // cuba plus the adaptation current
)

// popMap is one population placed on the chip, in chip units (the image payload).
type popMap struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Spiking bool   `json:"spiking"`
	// First is the first physical neuron column; the population uses First..First+Size−1.
	First int `json:"first"`
	Size  int `json:"size"`
	// Chip potential = Offset + Scale·model potential (readout units).
	Scale  float64 `json:"scale"`
	Offset float64 `json:"offset"`
	// Targets per neuron: time constants in chip seconds, potentials in readout units.
	TauMem    []float64 `json:"tau_mem"`
	TauSyn    []float64 `json:"tau_syn,omitempty"`
	Leak      []float64 `json:"leak"`
	Reset     []float64 `json:"reset"`
	Threshold []float64 `json:"threshold,omitempty"`
	// InScale: readout units of drive per model input unit (Scale·r·w_in).
	InScale []float64 `json:"in_scale"`
	// Bias: constant drive (readout units), quantized by the 10-bit offset-current DAC.
	Bias []float64 `json:"bias,omitempty"`
	// Adaptation (adex): TauW chip seconds, BJump readout units per spike.
	TauW  []float64 `json:"tau_w,omitempty"`
	BJump []float64 `json:"b_jump,omitempty"`
	// V0 is the initial potential (readout units).
	V0         []float64 `json:"v0"`
	Refractory int       `json:"refractory_steps"`
}

// projMap is one projection's weight format.
type projMap struct {
	Name string `json:"name"`
	// Gain is model weight units per weight LSB, per region of the chip (equal for
	// every region with per-projection gains).
	Gain []float64 `json:"gain"`
	// Sign is +1 or −1 when every row of the projection has that sign, 0 when the
	// projection is signed (each presynaptic source uses an excitatory and an inhibitory row).
	Sign int `json:"sign"`
}

type payload struct {
	Profile string    `json:"profile"`
	Dt      float64   `json:"dt"`
	DtChip  float64   `json:"dt_chip"`
	Pops    []popMap  `json:"populations"`
	Projs   []projMap `json:"projections"`
}

type image struct {
	nl   *ir.Netlist
	prof *Profile
	pay  payload
	rep  *targets.Report
}

func (im *image) Netlist() *ir.Netlist     { return im.nl }
func (im *image) Report() *targets.Report  { return im.rep }
func (im *image) Payload() ([]byte, error) { return json.Marshal(&im.pay) }

func (im *image) pop(name string) *popMap {
	for k := range im.pay.Pops {
		if im.pay.Pops[k].Name == name {
			return &im.pay.Pops[k]
		}
	}
	return nil
}

// quantWeight is the 6-bit (WeightBits) weight of w at gain g: round half away from
// zero, saturate at ±(2^bits−1) (spec "bss2 profile", synapses row).
func quantWeight(w, g float64, qmax int) int {
	if g <= 0 {
		return 0
	}
	q := math.Round(w / g)
	if q > float64(qmax) {
		q = float64(qmax)
	} else if q < -float64(qmax) {
		q = -float64(qmax)
	}
	return int(q)
}

// synapse is one physical synapse of a projection: W index k, pre, post, delay.
type synapse struct{ k, pre, post, delay int }

// forEachSynapse visits every synapse a projection occupies on the chip, zero weights
// included (a synapse exists whatever its weight, so SetWeights can change it), with its
// index in W's layout.
func forEachSynapse(p *ir.Projection, fn func(s synapse)) {
	p.ForEachSlot(func(k, pre, post, d int) { fn(synapse{k, pre, post, d}) })
}

// chipTau converts a per-step decay factor into a chip time constant: the chip's τ is
// the one whose decay over one model step (dt/speedup of chip time) equals the model's
// (exactly the model τ for exact discretization).
func chipTau(decay, dtc float64) float64 {
	return -dtc / math.Log(decay)
}

func (t Target) compile(nl *ir.Netlist, opt targets.Options) (*image, error) {
	prof, err := LookupProfile(opt.Flag("profile", DefaultProfile))
	if err != nil {
		return nil, err
	}
	dt := nl.Semantics.Dt
	if !(dt > 0) {
		return nil, fmt.Errorf("%w: netlist dt = %g s must be > 0", targets.ErrUnsupported, dt)
	}
	im := &image{nl: nl, prof: prof, rep: &targets.Report{Target: "analog"}}
	im.pay = payload{Profile: prof.Name, Dt: dt, DtChip: dt / prof.Speedup}
	gradedR, err := opt.FloatFlag("graded-range", DefaultGradedRange)
	if err != nil {
		return nil, err
	}
	if gradedR < 0 {
		return nil, fmt.Errorf("%w: --graded-range %g: want ≥ 0 model units (0: the bounded range, however wide)", targets.ErrFlag, gradedR)
	}
	rep := im.rep
	// --- populations: circuits, parameters, placement ---
	next := 0
	blockRows := map[int]int{} // synapse rows taken per block by the populations placed
	for _, p := range nl.Populations {
		pm, err := mapPopulation(p, prof, dt, rep, nl, gradedR)
		if err != nil {
			return nil, err
		}
		if prof.SharedParams && next%prof.RegionSize != 0 {
			next += prof.RegionSize - next%prof.RegionSize // own core: parameters are per core
		}
		next = placeInBlock(prof, nl, p, next, blockRows)
		if next+p.Size > prof.Neurons {
			return nil, fmt.Errorf("%w: population %s needs %d neurons, the %s chip has %d (%d already placed before it)",
				targets.ErrDoesNotFit, p.Name, p.Size, prof.Name, prof.Neurons, next)
		}
		pm.First = next
		next += p.Size
		im.pay.Pops = append(im.pay.Pops, *pm)
	}
	// --- projections: weight formats and synapse rows ---
	if err := im.mapProjections(); err != nil {
		return nil, err
	}
	im.fillReport(next)
	return im, nil
}

// mapPopulation maps one population's model onto a circuit (spec "Mapping a model").
func mapPopulation(p *ir.Population, prof *Profile, dt float64, rep *targets.Report, nl *ir.Netlist, gradedR float64) (*popMap, error) {
	pm := &popMap{Name: p.Name, Size: p.Size, Spiking: p.Spiking}
	dtc := dt / prof.Speedup
	switch p.Model {
	case ir.TLIF, ir.TLI:
		pm.Kind = kindLIF
	case ir.TCubaLIF, ir.TCubaLI:
		pm.Kind = kindCuba
	case ir.TAHPLIF:
		pm.Kind = kindAdEx
	default:
		why := "the analog neurons are LIF or AdEx circuits with current-based synapses"
		switch p.Model {
		case ir.TIF, ir.TI:
			why = "it has no leak; the analog membrane always leaks (τ_mem at most " + fmtTime(prof.TauMem.Max) + " chip time)"
		case ir.TAdaptiveLIF:
			why = "the circuits adapt through a current (use snnc.AHPLIF), not through the threshold"
		}
		return nil, fmt.Errorf("%w: population %s: model %s is not supported by the analog target: %s",
			targets.ErrUnsupported, p.Name, p.Model, why)
	}
	if p.Spiking {
		if p.Reset.Mode != "to_value" {
			return nil, fmt.Errorf("%w: population %s: reset mode %q is not supported: the analog neuron resets to a potential (use to_value)",
				targets.ErrUnsupported, p.Name, p.Reset.Mode)
		}
		if p.Reset.Timing == "next_step" {
			rep.Warnf("population %s: reset timing next_step is approximated: the analog neuron resets when it crosses the threshold", p.Name)
		}
	}
	n := p.Size
	get := func(k string) ([]float64, error) {
		v := p.Params[k]
		if len(v) != n {
			return nil, fmt.Errorf("%w: population %s: parameter %s has %d values, want %d (was the netlist discretized?)",
				targets.ErrUnsupported, p.Name, k, len(v), n)
		}
		return v, nil
	}
	opt := func(k string, def float64) []float64 {
		if v := p.Params[k]; len(v) == n {
			return v
		}
		out := make([]float64, n)
		for i := range out {
			out[i] = def
		}
		return out
	}
	beta, err := get("beta")
	if err != nil {
		return nil, err
	}
	bleak, err := get("b_leak")
	if err != nil {
		return nil, err
	}
	bin, err := get("b_in")
	if err != nil {
		return nil, err
	}
	syn := pm.Kind != kindLIF
	var alpha, ain []float64
	if syn {
		if alpha, err = get("alpha"); err != nil {
			return nil, err
		}
		if ain, err = get("a_in"); err != nil {
			return nil, err
		}
	}
	vth := opt("v_threshold", 1)
	vreset := opt("v_reset", 0)
	v0 := opt("v0", 0)
	bias := opt("bias", 0)
	// model-unit continuous parameters equivalent to the discrete coefficients
	leakM, rEff, winEff := make([]float64, n), make([]float64, n), make([]float64, n)
	pm.TauMem = make([]float64, n)
	if syn {
		pm.TauSyn = make([]float64, n)
	}
	for i := 0; i < n; i++ {
		if !(beta[i] > 0 && beta[i] < 1) {
			return nil, fmt.Errorf("%w: population %s: neuron %d has membrane decay beta = %g per step; the analog membrane needs 0 < beta < 1",
				targets.ErrUnsupported, p.Name, i, beta[i])
		}
		pm.TauMem[i] = chipTau(beta[i], dtc)
		leakM[i] = bleak[i] / (1 - beta[i])
		rEff[i] = bin[i] / (1 - beta[i])
		winEff[i] = 1
		if syn {
			if !(alpha[i] > 0 && alpha[i] < 1) {
				return nil, fmt.Errorf("%w: population %s: neuron %d has synaptic decay alpha = %g per step; the analog synapse needs 0 < alpha < 1",
					targets.ErrUnsupported, p.Name, i, alpha[i])
			}
			pm.TauSyn[i] = chipTau(alpha[i], dtc)
			winEff[i] = ain[i] / (1 - alpha[i])
		}
	}
	if err := checkRange(p.Name, "tau_mem", pm.TauMem, prof.TauMem, prof.Speedup); err != nil {
		return nil, err
	}
	if syn {
		if err := checkRange(p.Name, "tau_syn", pm.TauSyn, prof.TauSyn, prof.Speedup); err != nil {
			return nil, err
		}
	}
	// potential map: v_reset → VReset, v_threshold → VThreshold (largest span)
	span := 0.0
	minReset := math.Inf(1)
	for i := 0; i < n; i++ {
		span = math.Max(span, vth[i]-vreset[i])
		minReset = math.Min(minReset, vreset[i])
	}
	if !p.Spiking {
		span, minReset = 1, 0 // graded: 1 model unit spans reset..threshold
		for i := 0; i < n; i++ {
			minReset = math.Min(minReset, leakM[i])
		}
	}
	if !(span > 0) {
		return nil, fmt.Errorf("%w: population %s: v_threshold must exceed v_reset (largest difference %g)", targets.ErrUnsupported, p.Name, span)
	}
	pm.Scale = (prof.VThreshold - prof.VReset) / span
	pm.Offset = prof.VReset - pm.Scale*minReset
	if !p.Spiking && prof.CADCPeriod > 0 {
		// Graded readout (spec-free decision, docs/analog.md "Graded outputs"): the
		// membrane is read through the CADC, which clips to its codes (without a CADC the
		// membrane is read as is and the default map stays). When the bounded
		// membrane range does not fit the reliable readout range with 1 model unit per
		// reset..threshold span, the map is compressed to fit it, but never below
		// ±gradedR model units around 0 over the reliable range.
		lo, hi := gradedRange(nl, p, leakM, rEff, winEff, bias, v0)
		full := prof.ReadoutMax - prof.ReadoutMin
		if chipVal(pm, lo) < prof.ReadoutMin || chipVal(pm, hi) > prof.ReadoutMax {
			width := hi - lo
			if gradedR > 0 && width > 2*gradedR {
				width = 2 * gradedR
				lo = math.Max(lo, math.Min(-gradedR, hi-width))
			}
			if w := full / width; w < pm.Scale {
				pm.Scale = w
			}
			pm.Offset = prof.ReadoutMin - pm.Scale*lo
		}
	}
	chipV := func(v float64) float64 { return pm.Offset + pm.Scale*v }
	pm.Leak, pm.Reset, pm.V0, pm.InScale = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	if p.Spiking {
		pm.Threshold = make([]float64, n)
	}
	for i := 0; i < n; i++ {
		pm.Leak[i] = chipV(leakM[i])
		pm.Reset[i] = chipV(vreset[i])
		pm.V0[i] = chipV(v0[i])
		pm.InScale[i] = pm.Scale * rEff[i] * winEff[i]
		if p.Spiking {
			pm.Threshold[i] = chipV(vth[i])
		}
	}
	for _, c := range []struct {
		name string
		v    []float64
	}{{"v_leak", pm.Leak}, {"v_reset", pm.Reset}, {"v_threshold", pm.Threshold}} {
		for i, x := range c.v {
			if x < prof.ReadoutMin || x > prof.ReadoutMax {
				return nil, fmt.Errorf("%w: population %s: neuron %d: %s maps to %.1f readout units, outside the reliable range %g..%g (reset→%g, threshold→%g)",
					targets.ErrUnsupported, p.Name, i, c.name, x, prof.ReadoutMin, prof.ReadoutMax, prof.VReset, prof.VThreshold)
			}
		}
	}
	// constant drive (Affine bias) through the 10-bit offset-current DAC
	maxB := 0.0
	for i := 0; i < n; i++ {
		maxB = math.Max(maxB, math.Abs(bias[i]*pm.InScale[i]))
	}
	if maxB > 0 {
		lsb := maxB / float64(prof.dacMid()-1)
		pm.Bias = make([]float64, n)
		for i := 0; i < n; i++ {
			pm.Bias[i] = math.Round(bias[i]*pm.InScale[i]/lsb) * lsb
		}
	}
	if pm.Kind == kindAdEx {
		rho, err := get("rho")
		if err != nil {
			return nil, err
		}
		wahp := opt("w_ahp", 0)
		aad := opt("a_adapt", 0)
		pm.TauW, pm.BJump = make([]float64, n), make([]float64, n)
		for i := 0; i < n; i++ {
			if !(rho[i] > 0 && rho[i] < 1) {
				return nil, fmt.Errorf("%w: population %s: neuron %d: adaptation decay rho = %g, need 0 < rho < 1", targets.ErrUnsupported, p.Name, i, rho[i])
			}
			pm.TauW[i] = chipTau(rho[i], dtc)
			// ref: c ← ρ·c + a_adapt·w_ahp·z, subtracted from the current: the circuit's
			// adaptation current jumps by Scale·r·a_adapt·w_ahp per spike.
			pm.BJump[i] = pm.Scale * rEff[i] * aad[i] * wahp[i]
		}
		if err := checkRange(p.Name, "tau_ahp", pm.TauW, prof.TauAdapt, prof.Speedup); err != nil {
			return nil, err
		}
	}
	pm.Refractory = p.Reset.RefractorySteps
	if r := float64(pm.Refractory) * dtc; r > prof.Refractory.Max {
		return nil, fmt.Errorf("%w: population %s: refractory %d steps = %s chip time, the %s refractory counter reaches %s",
			targets.ErrUnsupported, p.Name, pm.Refractory, fmtTime(r), prof.Name, fmtTime(prof.Refractory.Max))
	}
	if prof.SharedParams {
		for _, c := range [][]float64{pm.TauMem, pm.TauSyn, pm.Leak, pm.Reset, pm.Threshold, pm.InScale} {
			for i := 1; i < len(c); i++ {
				if math.Abs(c[i]-c[0]) > 1e-9*math.Abs(c[0]) {
					return nil, fmt.Errorf("%w: population %s: neuron %d's parameters differ from neuron 0's; %s sets them per core",
						targets.ErrUnsupported, p.Name, i, prof.Name)
				}
			}
		}
	}
	return pm, nil
}

// DefaultGradedRange is the --graded-range default: a graded (non-spiking) population
// whose bounded membrane range does not fit the reliable readout range is read over at
// least ±DefaultGradedRange model units (docs/analog.md "Graded outputs").
const DefaultGradedRange = 16.0

func chipVal(pm *popMap, v float64) float64 { return pm.Offset + pm.Scale*v }

// gradedRange bounds the membrane of a non-spiking population p in model units: with
// every presynaptic value in [0, 1] (a spike per step at most; inputs are taken as
// normalized) the summed drive of neuron i lies in [Σ min(w, 0), Σ max(w, 0)] over its
// incoming synapses; plus its bias, times the steady-state gain rEff·winEff, plus its leak
// potential, and the start value v0 (a first-order, positively coupled membrane stays
// between its extreme steady states and its start). 0 is always inside.
func gradedRange(nl *ir.Netlist, p *ir.Population, leakM, rEff, winEff, bias, v0 []float64) (lo, hi float64) {
	n := p.Size
	neg, pos := make([]float64, n), make([]float64, n)
	if nl != nil {
		for _, pr := range nl.Projections {
			if pr.Post != p.Name {
				continue
			}
			pr.ForEachSlot(func(k, _, post, _ int) {
				if post < 0 || post >= n || k >= len(pr.W) {
					return
				}
				if w := pr.W[k]; w < 0 {
					neg[post] += w
				} else {
					pos[post] += w
				}
			})
		}
	}
	for i := 0; i < n; i++ {
		g := rEff[i] * winEff[i]
		a, b := leakM[i]+g*(neg[i]+bias[i]), leakM[i]+g*(pos[i]+bias[i])
		lo = math.Min(lo, math.Min(math.Min(a, b), v0[i]))
		hi = math.Max(hi, math.Max(math.Max(a, b), v0[i]))
	}
	return lo, hi
}

func checkRange(pop, name string, v []float64, r Range, speedup float64) error {
	for i, x := range v {
		if x < r.Min*(1-1e-9) || x > r.Max*(1+1e-9) {
			return fmt.Errorf("%w: population %s: neuron %d: %s = %s model time = %s chip time, the circuit's range is %s..%s (model %s..%s)",
				targets.ErrUnsupported, pop, i, name, fmtTime(x*speedup), fmtTime(x), fmtTime(r.Min), fmtTime(r.Max),
				fmtTime(r.Min*speedup), fmtTime(r.Max*speedup))
		}
	}
	return nil
}

func fmtTime(s float64) string {
	switch a := math.Abs(s); {
	case a == 0:
		return "0 s"
	case a < 1e-6:
		return fmt.Sprintf("%.3g ns", s*1e9)
	case a < 1e-3:
		return fmt.Sprintf("%.3g µs", s*1e6)
	case a < 1:
		return fmt.Sprintf("%.3g ms", s*1e3)
	}
	return fmt.Sprintf("%.3g s", s)
}

// placeInBlock returns where population p starts when the next free neuron is next
// (decision, docs/analog.md "Placement"): on chips whose neuron blocks share a synapse
// array (bss2: 256 rows per hemisphere), a population that fits one block is moved to
// the start of the next block when, at next, it would straddle two blocks or its input
// rows would overflow the rows its block already has in use — so a readout layer gets
// the second hemisphere's rows instead of failing on the first one's. blockRows is
// updated with p's rows.
func placeInBlock(prof *Profile, nl *ir.Netlist, p *ir.Population, next int, blockRows map[int]int) int {
	if !prof.RowSign || prof.BlockSize <= 0 {
		return next
	}
	rows := popRows(nl, p)
	b := prof.block(next)
	fits := p.Size <= prof.BlockSize
	straddles := prof.block(next+p.Size-1) != b
	full := blockRows[b]+rows > prof.Rows && rows <= prof.Rows
	if fits && next%prof.BlockSize != 0 && (straddles || full) {
		if start := (b + 1) * prof.BlockSize; start+p.Size <= prof.Neurons {
			next = start
		}
	}
	for c := prof.block(next); c <= prof.block(next+p.Size-1); c++ {
		blockRows[c] += rows
	}
	return next
}

// rowSign is the sign of a projection's synapse rows: 1 (all weights ≥ 0), −1 (all ≤ 0,
// some < 0) or 0 (both signs: two rows per source).
func rowSign(w []float64) int {
	hasPos, hasNeg := false, false
	for _, x := range w {
		hasPos = hasPos || x > 0
		hasNeg = hasNeg || x < 0
	}
	switch {
	case hasPos && hasNeg:
		return 0
	case hasNeg:
		return -1
	}
	return 1
}

// popRows is the number of synapse rows population p's inputs take in a block: one per
// (projection, source neuron, sign), two for a projection with both signs (as
// mapProjections counts them).
func popRows(nl *ir.Netlist, p *ir.Population) int {
	rows := 0
	for _, pr := range nl.Projections {
		if pr.Post != p.Name {
			continue
		}
		src := map[int]bool{}
		forEachSynapse(pr, func(s synapse) { src[s.pre] = true })
		k := 1
		if rowSign(pr.W) == 0 {
			k = 2
		}
		rows += k * len(src)
	}
	return rows
}

// region is the region (quadrant or core) of physical column col.
func (prof *Profile) region(col int) int { return col / prof.RegionSize }

func (prof *Profile) block(col int) int { return col / prof.BlockSize }

// mapProjections picks each projection's weight gain and checks synapse rows.
func (im *image) mapProjections() error {
	prof, nl := im.prof, im.nl
	qmax := prof.weightMax()
	nReg := prof.Neurons / prof.RegionSize
	regMax := make([]float64, nReg) // per-core gain profiles: largest |w| into each region
	type rowKey struct {
		proj, pre, sign int
	}
	rowsPerBlock := map[int]map[rowKey]bool{}
	fanIn := map[[2]int]int{} // (pop index, post) → synapses (per-neuron fan-in profiles)
	popIdx := map[string]int{}
	for k, p := range nl.Populations {
		popIdx[p.Name] = k
	}
	for pi, pr := range nl.Projections {
		pmi, ok := popIdx[pr.Post]
		if !ok {
			return fmt.Errorf("%w: projection %s targets %q, which is not a population", targets.ErrUnsupported, pr.Name, pr.Post)
		}
		pm := &im.pay.Pops[pmi]
		if src := nl.Population(pr.Pre); src != nil && !src.Spiking {
			return fmt.Errorf("%w: projection %s: its source %s is not spiking; the analog chip routes spikes only",
				targets.ErrUnsupported, pr.Name, pr.Pre)
		} else if src == nil && nl.Input(pr.Pre) == nil {
			return fmt.Errorf("%w: projection %s: source %q is neither an input nor a population", targets.ErrUnsupported, pr.Name, pr.Pre)
		}
		if pr.Latency == 0 {
			im.rep.Warnf("projection %s has zero edge latency; the chip delivers it one step later (one step per layer), biases integrate during that step", pr.Name)
		}
		maxW := 0.0
		for _, w := range pr.W {
			maxW = math.Max(maxW, math.Abs(w))
		}
		pj := projMap{Name: pr.Name, Gain: make([]float64, nReg), Sign: rowSign(pr.W)}
		g := maxW / float64(qmax)
		if g == 0 {
			g = 1 / float64(qmax)
		}
		for r := range pj.Gain {
			pj.Gain[r] = g
		}
		forEachSynapse(pr, func(s synapse) {
			col := pm.First + s.post
			if prof.GainPerCore {
				regMax[prof.region(col)] = math.Max(regMax[prof.region(col)], math.Abs(pr.W[s.k]))
			}
			if prof.RowSign {
				b := prof.block(col)
				if rowsPerBlock[b] == nil {
					rowsPerBlock[b] = map[rowKey]bool{}
				}
				if pj.Sign == 0 {
					rowsPerBlock[b][rowKey{pi, s.pre, 1}] = true
					rowsPerBlock[b][rowKey{pi, s.pre, -1}] = true
				} else {
					rowsPerBlock[b][rowKey{pi, s.pre, pj.Sign}] = true
				}
			} else {
				fanIn[[2]int{pmi, s.post}]++
			}
		})
		im.pay.Projs = append(im.pay.Projs, pj)
	}
	if prof.GainPerCore {
		for k := range im.pay.Projs {
			for r := range im.pay.Projs[k].Gain {
				g := regMax[r] / float64(qmax)
				if g == 0 {
					g = 1 / float64(qmax)
				}
				im.pay.Projs[k].Gain[r] = g
			}
		}
	}
	if prof.RowSign {
		blocks := make([]int, 0, len(rowsPerBlock))
		for b := range rowsPerBlock {
			blocks = append(blocks, b)
		}
		sort.Ints(blocks)
		for _, b := range blocks {
			if n := len(rowsPerBlock[b]); n > prof.Rows {
				return fmt.Errorf("%w: populations %s (on neuron block %d of %d) need %d synapse rows, a %s block has %d (a row carries one source with one sign; signed projections use two rows per source)",
					targets.ErrDoesNotFit, strings.Join(im.popsInBlock(b), ", "), b, prof.BlockSize, n, prof.Name, prof.Rows)
			}
		}
	} else {
		keys := make([][2]int, 0, len(fanIn))
		for k := range fanIn {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if keys[i][0] != keys[j][0] {
				return keys[i][0] < keys[j][0]
			}
			return keys[i][1] < keys[j][1]
		})
		for _, k := range keys {
			if n := fanIn[k]; n > prof.Rows {
				return fmt.Errorf("%w: population %s: neuron %d has fan-in %d synapses, a %s neuron has %d",
					targets.ErrDoesNotFit, nl.Populations[k[0]].Name, k[1], n, prof.Name, prof.Rows)
			}
		}
	}
	return nil
}

func (im *image) popsInBlock(b int) []string {
	var out []string
	lo, hi := b*im.prof.BlockSize, (b+1)*im.prof.BlockSize
	for _, pm := range im.pay.Pops {
		if pm.First < hi && pm.First+pm.Size > lo {
			out = append(out, pm.Name)
		}
	}
	return out
}

// fillReport writes the resource and quantization tables.
func (im *image) fillReport(used int) {
	prof, rep := im.prof, im.rep
	rep.Set("profile", prof.Name)
	rep.Set("neurons_used", used)
	rep.Set("neurons_limit", prof.Neurons)
	rep.Set("speedup", prof.Speedup)
	rows := [][]string{}
	for _, pm := range im.pay.Pops {
		ts := "-"
		if pm.TauSyn != nil {
			ts = fmtTime(pm.TauSyn[0])
		}
		th := "-"
		if pm.Threshold != nil {
			th = fmt.Sprintf("%.1f", pm.Threshold[0])
		}
		rows = append(rows, []string{pm.Name, pm.Kind, fmt.Sprint(pm.Size), fmt.Sprintf("%d..%d", pm.First, pm.First+pm.Size-1),
			fmtTime(pm.TauMem[0]), ts, fmt.Sprintf("%.1f", pm.Leak[0]), fmt.Sprintf("%.1f", pm.Reset[0]), th})
	}
	rep.Tables = append(rep.Tables, targets.Table{
		Title:  fmt.Sprintf("analog %s: %d of %d neurons, %g× accelerated (dt %s model = %s chip)", prof.Name, used, prof.Neurons, prof.Speedup, fmtTime(im.pay.Dt), fmtTime(im.pay.DtChip)),
		Header: []string{"population", "circuit", "neurons", "columns", "tau_mem", "tau_syn", "leak", "reset", "threshold"},
		Rows:   rows,
	})
	qmax := prof.weightMax()
	rows = nil
	for k, pj := range im.pay.Projs {
		pr := im.nl.Projections[k]
		post := im.pop(pr.Post)
		var se, sw float64
		sat := 0
		forEachSynapse(pr, func(s synapse) {
			g := pj.Gain[prof.region(post.First+s.post)]
			w := pr.W[s.k]
			q := quantWeight(w, g, qmax)
			if math.Abs(w/g) > float64(qmax)+0.5 {
				sat++
			}
			e := float64(q)*g - w
			se += e * e
			sw += w * w
		})
		rel := 0.0
		if sw > 0 {
			rel = math.Sqrt(se / sw)
		}
		sign := map[int]string{0: "signed (2 rows/source)", 1: "excitatory", -1: "inhibitory"}[pj.Sign]
		rows = append(rows, []string{pj.Name, pr.Pre + "→" + pr.Post, fmt.Sprintf("%.4g", pj.Gain[prof.region(post.First)]),
			sign, fmt.Sprintf("%.2f%%", 100*rel), fmt.Sprint(sat)})
	}
	rep.Tables = append(rep.Tables, targets.Table{
		Title:  fmt.Sprintf("weights: %d-bit magnitude, gain per %s", prof.WeightBits, map[bool]string{true: "core", false: "projection"}[prof.GainPerCore]),
		Header: []string{"projection", "edge", "gain", "rows", "rms error", "saturated"},
		Rows:   rows,
	})
}
