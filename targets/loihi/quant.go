package loihi

import (
	"fmt"
	"math"
	"slices"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/quantize"
	"github.com/snnc/snnc/targets"
)

// QuantConfig are the quantizer's own choices (spec §6), reported with every compile.
type QuantConfig struct {
	// VthTarget caps the threshold mantissa (the 17-bit register maximum by default);
	// the scale is otherwise as large as the static q/u bounds allow.
	VthTarget float64
	// VthMin is the smallest threshold mantissa the scale may drop to while trying to
	// keep the static accumulator bound below 2^21 (precision floor).
	VthMin float64
	// TreeVthTarget caps the soma threshold mantissa of snnc.MultiCompartment trees:
	// dendrites' v enter the soma's 22-bit q unscaled, so the tree's scale is kept
	// well inside it.
	TreeVthTarget float64
	Rounding      quantize.Rounding
}

// DefaultQuant is the quantizer configuration used by Compile.
var DefaultQuant = QuantConfig{VthTarget: 1<<17 - 1, VthMin: 1 << 8, TreeVthTarget: 1<<15 - 1, Rounding: quantize.HalfAway}

// quantizer turns a netlist into quantized populations and projections.
type quantizer struct {
	hw     HW
	mode   Mode
	cfg    QuantConfig
	n      *ir.Netlist
	issues ir.Issues
	rep    *targets.Report
	qrep   quantize.Report
	syns   []*synList
	pops   []qPop
	projs  []qProj
	popIdx map[string]int
	trees  [][]string // report rows of multi-compartment trees
}

const nativeModel = ir.TLoihiCUBA

func (qz *quantizer) run() error {
	n := qz.n
	qz.popIdx = map[string]int{}
	for i, p := range n.Populations {
		if _, dup := qz.popIdx[p.Name]; dup {
			qz.issues.Add("population "+p.Name, ErrParam, "duplicate population name")
		}
		qz.popIdx[p.Name] = i
	}
	qz.syns = make([]*synList, len(n.Projections))
	for i, pr := range n.Projections {
		if _, ok := qz.popIdx[pr.Post]; !ok {
			qz.issues.Add("projection "+pr.Name, ErrParam, "post %q is not a population", pr.Post)
			continue
		}
		size, err := n.SourceSize(pr.Pre)
		if err != nil {
			qz.issues.Add("projection "+pr.Name, ErrParam, "%v", err)
			continue
		}
		if size != pr.PreSize || n.Populations[qz.popIdx[pr.Post]].Size != pr.PostSize {
			qz.issues.Add("projection "+pr.Name, ErrParam, "sizes %d→%d do not match %q (%d) → %q", pr.PreSize, pr.PostSize, pr.Pre, size, pr.Post)
			continue
		}
		s, err := expand(pr)
		if err != nil {
			qz.issues.Add("projection "+pr.Name, ErrParam, "%v", err)
			continue
		}
		if s.MaxDelay > qz.hw.MaxDelay {
			qz.issues.Add("projection "+pr.Name+" (into population "+pr.Post+")", targets.ErrDoesNotFit, "resource delay: need %d steps, limit %d", s.MaxDelay, qz.hw.MaxDelay)
		}
		qz.syns[i] = s
	}
	if err := qz.issues.Err(); err != nil {
		return err
	}
	qz.pops = make([]qPop, len(n.Populations))
	qz.projs = make([]qProj, len(n.Projections))
	for i, p := range n.Populations {
		if p.Model == nativeModel {
			qz.nativePop(i, p)
		} else if p.Model == ir.TMultiCompartment {
			qz.mcPop(i, p)
		} else {
			qz.floatPop(i, p)
		}
	}
	for i, pr := range n.Projections {
		post := n.Populations[qz.popIdx[pr.Post]]
		if post.Model == nativeModel {
			qz.nativeProj(i, pr)
		}
	}
	if err := qz.issues.Err(); err != nil {
		return err
	}
	qz.bounds()
	return nil
}

// intParam reads a per-neuron integer register (spec §5), checking range and integrality.
func (qz *quantizer) intParam(p *ir.Population, name string, def, lo, hi int64) ivec {
	v := p.Params[name]
	where := fmt.Sprintf("population %s: %s", p.Name, name)
	if len(v) == 0 {
		return ivec{def}
	}
	if len(v) != 1 && len(v) != p.Size {
		qz.issues.Add(where, ErrParam, "has %d values, want 1 or %d", len(v), p.Size)
		return ivec{def}
	}
	out := make([]int64, len(v))
	for i, x := range v {
		if x != math.Trunc(x) || math.IsInf(x, 0) {
			qz.issues.Add(fmt.Sprintf("%s[%d]", where, i), ErrParam, "%g is not an integer", x)
			continue
		}
		if x < float64(lo) || x > float64(hi) {
			qz.issues.Add(fmt.Sprintf("%s[%d]", where, i), ErrParam, "%g outside %d..%d", x, lo, hi)
			continue
		}
		out[i] = int64(x)
	}
	return compact(out)
}

func (qz *quantizer) nativePop(i int, p *ir.Population) {
	h := qz.hw
	q := qPop{Name: p.Name, Size: p.Size, Native: true}
	biasExpMax := int64(h.BiasExpMax)
	if qz.mode == Lava {
		biasExpMax = 23 // Lava does not range-check bias_exp
	}
	q.Du = qz.intParam(p, "du", 0, 0, h.DuMax)
	q.Dv = qz.intParam(p, "dv", 0, 0, h.DvMax)
	q.Vth = qz.intParam(p, "vth", 0, 0, h.VthMax)
	q.BiasMant = qz.intParam(p, "bias_mant", 0, h.BiasMantMin, h.BiasMantMax)
	q.BiasExp = qz.intParam(p, "bias_exp", 0, 0, biasExpMax)
	q.Refract = qz.intParam(p, "refract_delay", 1, 0, int64(h.RefractMax))
	q.NegVm = qz.intParam(p, "neg_vm_limit", int64(h.DefaultNegVmLimit), 0, int64(h.NegVmLimitMax))
	q.PosVm = qz.intParam(p, "pos_vm_limit", int64(h.DefaultPosVmLimit), 0, int64(h.PosVmLimitMax))
	q.U0 = qz.intParam(p, "u0", 0, math.MinInt32, math.MaxInt32)
	q.V0 = qz.intParam(p, "v0", 0, math.MinInt32, math.MaxInt32)
	if qz.mode == Lava {
		if len(q.Refract) > 1 || q.Refract[0] > 1 {
			qz.rep.Warnf("population %s: refract_delay > 1 is ignored in lava mode (Lava's bit-accurate LIF has no refractory period)", p.Name)
		}
		if len(q.NegVm) > 1 || len(q.PosVm) > 1 || q.NegVm[0] != int64(h.DefaultNegVmLimit) || q.PosVm[0] != int64(h.DefaultPosVmLimit) {
			qz.rep.Warnf("population %s: neg/pos_vm_limit are ignored in lava mode (v is clipped to ±(2^23−1))", p.Name)
		}
	}
	qz.pops[i] = q
	pr := quantize.PopulationReport{Name: p.Name, Model: p.Model, Native: true, Du: q.Du[0], Dv: q.Dv[0],
		Vth: q.Vth[0], BiasExp: int(q.BiasExp[0]), Refract: int(q.Refract[0])}
	pr.TauSyn, pr.TauMem = quantize.Tau(realizedTau(q.Du[0]+1, qz.n.Semantics)), quantize.Tau(realizedTau(q.Dv[0], qz.n.Semantics))
	qz.qrep.Populations = append(qz.qrep.Populations, pr)
}

// realizedTau is the time constant a decay D (0..4096) realizes at dt: the exact
// inverse of D = 4096·(1 − e^(−dt/τ)) (or dt·4096/D for euler). 0 means "no memory"
// (D = 4096), +Inf "no decay" (D = 0).
func realizedTau(d int64, sem ir.Semantics) float64 {
	dt := sem.Dt
	if dt <= 0 {
		dt = 1
	}
	switch {
	case d <= 0:
		return math.Inf(1)
	case d >= decayOne:
		return 0
	}
	if sem.Discretization == "euler" {
		return dt * decayOne / float64(d)
	}
	return -dt / math.Log(1-float64(d)/decayOne)
}

func (qz *quantizer) nativeProj(i int, pr *ir.Projection) {
	h := qz.hw
	where := "projection " + pr.Name
	get := func(key string, def float64) float64 {
		if v, ok := pr.Native[key]; ok {
			return v
		}
		return def
	}
	e, nb := get("weight_exp", 0), get("num_weight_bits", 8)
	if e != math.Trunc(e) || e < float64(h.WeightExpMin) || e > float64(h.WeightExpMax) {
		qz.issues.Add(where, ErrParam, "weight_exp %g outside %d..%d", e, h.WeightExpMin, h.WeightExpMax)
		return
	}
	if nb != math.Trunc(nb) || nb < 1 || nb > float64(h.WeightDomain) {
		qz.issues.Add(where, ErrParam, "num_weight_bits %g outside 1..%d", nb, h.WeightDomain)
		return
	}
	sm, err := quantize.ParseSignMode(pr.Attrs["sign_mode"])
	if err != nil {
		qz.issues.Add(where, ErrParam, "%v", err)
		return
	}
	w := make([]int64, len(pr.W))
	for k, x := range pr.W {
		if x != math.Trunc(x) || math.Abs(x) > 1<<20 {
			qz.issues.Add(fmt.Sprintf("%s: weight[%d]", where, k), ErrParam, "%g is not an integer weight", x)
			return
		}
		w[k] = int64(x)
	}
	sm = sm.Resolve(pr.W)
	f := quantize.Format8{Domain: h.WeightDomain, Bits: int(nb), Sign: sm}
	lw, changed := quantize.LegalizeInts(w, f) // spec §4
	qz.projs[i] = qProj{Name: pr.Name, Exp: int(e), Bits: int(nb), Sign: sm.String(), W: lw}
	if changed > 0 {
		qz.rep.Warnf("projection %s: legalization (sign mode %s, %d bits) changed %d of %d weights", pr.Name, sm, int(nb), changed, len(w))
	}
	qz.qrep.Projections = append(qz.qrep.Projections, quantize.ProjectionReport{Name: pr.Name, Exp: int(e), Sign: sm.String(),
		Bits: int(nb), Synapses: len(qz.syns[i].Pre), Rounded: changed, Native: true})
}

// floatPop quantizes a float LIF / CubaLIF / IF population, or a non-spiking LI /
// CubaLI readout, and its incoming projections (spec §6).
//
// Mapping (per neuron i, model units → hardware units): v_hw = S_i·(v − v_reset),
// u_hw = S_i·b_in·I (CubaLIF) or S_i·b_in·x (LIF, IF: du = 4095 makes u the current
// input), with S_i = K/g_i, g_i = b_in·a_in (CubaLIF) or b_in. A model weight W then adds
// K·W to the accumulator, so K is per population and each projection only picks its
// exponent: w8 = round(W·K/2^(6+e)).
func (qz *quantizer) floatPop(i int, p *ir.Population) {
	h := qz.hw
	where := "population " + p.Name
	switch p.Model {
	case ir.TLIF, ir.TCubaLIF, ir.TIF, ir.TAHPLIF, ir.TAdaptiveLIF, ir.TLI, ir.TCubaLI:
	default:
		qz.issues.Add(where, ErrModel, "model %s is not supported by --target loihi (supported: LIF, CubaLIF, IF, LI and CubaLI readouts, snnc.AHPLIF, snnc.AdaptiveLIF, snnc.MultiCompartment, snnc.loihi.CUBA)", p.Model)
		return
	}
	// A readout (LI, CubaLI) is a compartment whose threshold it can never reach: v is
	// clipped to ±(2^21 − 1) (chip mode) below vth = (2^17 − 1)·2^6, and the graded
	// output is v / S + v_reset in model units (docs/loihi.md, "Readouts").
	readout := p.Model == ir.TLI || p.Model == ir.TCubaLI
	if qz.mode == Lava && (p.Model == ir.TAHPLIF || p.Model == ir.TAdaptiveLIF) {
		qz.issues.Add(where, ErrModel, "multi-compartment neurons (%s) are implemented in chip mode only", p.Model)
		return
	}
	if readout {
		// no spikes, so no reset or compare to approximate
	} else if p.Reset.Mode != "" && p.Reset.Mode != "to_value" {
		qz.rep.Warnf("population %s: reset mode %q approximated by Loihi's reset to v_reset", p.Name, p.Reset.Mode)
	}
	if p.Reset.Timing == "next_step" && !readout {
		qz.rep.Warnf("population %s: reset timing next_step approximated by Loihi's immediate reset", p.Name)
	}
	if p.Compare == ">=" && !readout {
		qz.rep.Warnf("population %s: threshold compare >= approximated by Loihi's strict > at the quantized threshold", p.Name)
	}
	n := p.Size
	par := func(k string, def float64) []float64 {
		v := p.Params[k]
		if len(v) == p.Size {
			return v
		}
		out := make([]float64, n)
		for j := range out {
			out[j] = def
			if len(v) == 1 {
				out[j] = v[0]
			}
		}
		return out
	}
	cuba := p.Model == ir.TCubaLIF || p.Model == ir.TAHPLIF || p.Model == ir.TAdaptiveLIF || p.Model == ir.TCubaLI
	alpha, ain := par("alpha", 0), par("a_in", 1)
	beta, bleak, bin := par("beta", 1), par("b_leak", 0), par("b_in", 1)
	vth, vreset, bias, vinit := par("v_threshold", 1), par("v_reset", 0), par("bias", 0), par("v0", 0)
	g := make([]float64, n)
	for j := range g {
		g[j] = bin[j]
		if cuba {
			g[j] *= ain[j]
		}
		if !(g[j] > 0) || math.IsInf(g[j], 0) {
			qz.issues.Add(fmt.Sprintf("%s[%d]", where, j), ErrParam, "input gain %g must be > 0", g[j])
			return
		}
		if !readout && !(vth[j] > vreset[j]) {
			qz.issues.Add(fmt.Sprintf("%s[%d]", where, j), ErrParam, "v_threshold %g must exceed v_reset %g", vth[j], vreset[j])
			return
		}
	}
	// Constant per-step drive of v (model units): leak, reset shift, and Affine bias
	// (through the synapse for CubaLIF: its steady state b_in·a_in·b/(1−α)).
	drive := make([]float64, n)
	for j := range drive {
		drive[j] = bleak[j] + (beta[j]-1)*vreset[j]
		if cuba {
			if bias[j] != 0 {
				drive[j] += bin[j] * ain[j] * bias[j] / math.Max(1-alpha[j], 1e-12)
			}
		} else {
			drive[j] += bin[j] * bias[j]
		}
	}
	// Choose K: largest value such that every incoming weight fits at weight_exp ≤ 7,
	// thresholds stay ≤ VthTarget and biases fit 13 bits at bias_exp ≤ 7.
	maxContrib := float64(h.WeightDomain2Max()) * math.Ldexp(1, wShift+h.WeightExpMax)
	K := math.Inf(1)
	for pi, pr := range qz.n.Projections {
		if pr.Post != p.Name || qz.syns[pi] == nil {
			continue
		}
		if m := maxAbs(pr.W); m > 0 {
			K = math.Min(K, maxContrib/m)
		}
	}
	biasMax := float64(h.BiasMantMax) * math.Ldexp(1, h.BiasExpMax)
	if readout {
		// No threshold sets the scale: resolve the weights (the largest one 8 bits at
		// exponent 0), which leaves v room for ~2^21/K model units before clipping.
		K = math.Min(K, math.Ldexp(K, -h.WeightExpMax))
	}
	for j := 0; j < n; j++ {
		if !readout {
			K = math.Min(K, qz.cfg.VthTarget*math.Ldexp(1, vthShift)*g[j]/(vth[j]-vreset[j]))
		}
		if drive[j] != 0 {
			K = math.Min(K, biasMax*g[j]/math.Abs(drive[j]))
		}
	}
	// Keep the all-inputs-fire accumulator bound below 2^21 when that costs less than
	// dropping the threshold under VthMin (spec §6 static bounds; the report warns).
	fan := make([]float64, n)
	for pi, pr := range qz.n.Projections {
		if s := qz.syns[pi]; pr.Post == p.Name && s != nil {
			for k := range s.Pre {
				fan[s.Post[k]] += math.Abs(pr.W[s.Widx[k]])
			}
		}
	}
	kMin := 0.0
	kq := math.Inf(1)
	for j := 0; j < n; j++ {
		if !readout {
			kMin = math.Max(kMin, qz.cfg.VthMin*math.Ldexp(1, vthShift)*g[j]/(vth[j]-vreset[j]))
		}
		if fan[j] > 0 {
			// |q| < 2^21 even when every input fires in the same step. (The |u| bound of
			// every input firing every step is far too pessimistic to size the scale: it
			// only produces the warning in bounds().)
			kq = math.Min(kq, float64(int64(1)<<qBits-1)/fan[j])
		}
	}
	if kq < K {
		K = math.Max(kq, math.Min(kMin, K))
	}
	q := qPop{Name: p.Name, Size: n, K: K}
	du, dv, vt, bm, be, rf, u0, v0 := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	maxRel := 0.0
	for j := 0; j < n; j++ {
		S := K / g[j]
		if cuba {
			D := int64(math.Round(decayOne * (1 - alpha[j])))
			du[j] = min(max(D-1, 0), h.DuMax) // spec §6: du register = D − 1, clamped ≥ 0
		} else {
			du[j] = h.DuMax // u = q every step
		}
		dv[j] = min(max(int64(math.Round(decayOne*(1-beta[j]))), 0), h.DvMax)
		th := S * (vth[j] - vreset[j]) / math.Ldexp(1, vthShift)
		if readout {
			th = float64(h.VthMax)
		}
		vt[j] = int64(math.Round(th))
		if vt[j] > h.VthMax {
			qz.issues.Add(fmt.Sprintf("%s[%d]", where, j), ErrParam, "threshold mantissa %d exceeds 17 bits (%d)", vt[j], h.VthMax)
			return
		}
		if th > 0 && !readout {
			maxRel = math.Max(maxRel, math.Abs(float64(vt[j])-th)/th)
		}
		b := S * drive[j]
		mant, e, ok := quantize.MantExp(b, h.BiasMantMax, 0, h.BiasExpMax, qz.cfg.Rounding)
		if !ok {
			qz.issues.Add(fmt.Sprintf("%s[%d]", where, j), ErrParam, "bias %g (hardware units) exceeds 13-bit mantissa × 2^%d", b, h.BiasExpMax)
			return
		}
		bm[j], be[j] = mant, int64(e)
		rf[j] = int64(p.Reset.RefractorySteps) + 1
		if rf[j] > int64(h.RefractMax) {
			qz.issues.Add(where, ErrParam, "refractory_steps %d exceeds %d", p.Reset.RefractorySteps, h.RefractMax-1)
			return
		}
		v0[j] = int64(math.Round(S * (vinit[j] - vreset[j]))) // initial v (Params "v0", default 0)
	}
	q.Du, q.Dv, q.Vth, q.BiasMant, q.BiasExp, q.Refract = compact(du), compact(dv), compact(vt), compact(bm), compact(be), compact(rf)
	q.NegVm, q.PosVm, q.U0, q.V0 = ivec{int64(h.DefaultNegVmLimit)}, ivec{int64(h.DefaultPosVmLimit)}, compact(u0), compact(v0)
	if readout {
		q.NegVm, q.PosVm = ivec{readoutVmBits}, ivec{(readoutVmBits - 9) / 2}
		q.VScale, q.VOff = make([]float64, n), slices.Clone(vreset)
		for j := range q.VScale {
			q.VScale[j] = K / g[j]
		}
	}
	if qz.mode == Lava && rf[0] > 1 {
		qz.rep.Warnf("population %s: refractory period ignored in lava mode", p.Name)
	}
	if p.Model == ir.TAHPLIF || p.Model == ir.TAdaptiveLIF {
		q.Tree = qz.ahpTree(p, K/g[0], alpha[0], beta[0], bin[0])
	}
	qz.pops[i] = q
	pr := quantize.PopulationReport{Name: p.Name, Model: p.Model, Scale: K / g[0], Du: du[0], Dv: dv[0], Vth: vt[0], VthErr: maxRel,
		BiasMant: bm[0], BiasExp: int(be[0]), Refract: int(rf[0])}
	pr.TauMem = quantize.Tau(realizedTau(dv[0], qz.n.Semantics))
	if cuba {
		pr.TauSyn = quantize.Tau(realizedTau(du[0]+1, qz.n.Semantics))
	}
	if cuba && bias[0] != 0 {
		pr.Precision = "Affine bias enters v at its synaptic steady state"
	}
	if readout {
		pr.Vth = 0
		pr.Precision = fmt.Sprintf("readout: graded v = v_hw/%.4g, clipped at ±%.4g model units", K/g[0], float64(int64(1)<<readoutVmBits-1)*g[0]/K)
	}
	qz.qrep.Populations = append(qz.qrep.Populations, pr)
	// Incoming projections: one exponent each (spec §6).
	for pi, prj := range qz.n.Projections {
		if prj.Post != p.Name || qz.syns[pi] == nil {
			continue
		}
		if prj.Native != nil {
			qz.issues.Add("projection "+prj.Name, ErrModel, "snnc.loihi.Dense into float population %s: use snnc.loihi.CUBA", p.Name)
			continue
		}
		qz.floatProj(pi, prj, K)
	}
}

// readoutVmBits: a readout's v is clipped to ±(2^21 − 1) (neg_vm_limit 21, pos_vm_limit
// 6), below the largest threshold (2^17 − 1)·2^6, so it never spikes (chip mode).
const readoutVmBits = 21

func maxAbs(w []float64) float64 {
	m := 0.0
	for _, x := range w {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

// WeightDomain2Max is the largest weight magnitude of the 8-bit domain (255).
func (h HW) WeightDomain2Max() int64 { return int64(1)<<uint(h.WeightDomain) - 1 }

func (qz *quantizer) floatProj(i int, pr *ir.Projection, K float64) {
	h := qz.hw
	sm := quantize.AnalyzeSign(pr.W) // sign analysis: exc/inh gain a bit over mixed
	if len(pr.Dale) == pr.PreSize && sm == quantize.SignMixed {
		qz.rep.Warnf("projection %s: Dale signs given but weights are mixed-sign; stored as mixed (one bit less)", pr.Name)
	}
	f := quantize.Format8{Domain: h.WeightDomain, Bits: h.WeightDomain, Sign: sm}
	m := maxAbs(pr.W) * K / math.Ldexp(1, wShift)
	minE := h.WeightExpMin
	if qz.mode == Chip {
		minE = 0 // chip mode floors shexp(w, e < 0) per synapse: negative exponents only lose bits
	}
	e, ok := quantize.ChooseExponent(m, float64(f.MaxMag()), minE, h.WeightExpMax)
	if !ok {
		qz.rep.Warnf("projection %s: largest weight does not fit at weight_exp %d; clipped", pr.Name, e)
	}
	scale := K / math.Ldexp(1, wShift+e)
	w, st := quantize.QuantizeWeights(pr.W, scale, f, qz.cfg.Rounding)
	qz.projs[i] = qProj{Name: pr.Name, Exp: e, Bits: f.Bits, Sign: sm.String(), W: w, Scale: scale}
	if st.Zeroed > 0 {
		qz.rep.Warnf("projection %s: %d non-zero weights quantized to 0", pr.Name, st.Zeroed)
	}
	qz.qrep.Projections = append(qz.qrep.Projections, quantize.ProjectionReport{Name: pr.Name, Scale: scale, Exp: e,
		Sign: sm.String(), Bits: f.Bits, Synapses: len(qz.syns[i].Pre), Clipped: st.Clipped, Rounded: st.Rounded,
		Zeroed: st.Zeroed, MaxAbsErr: st.MaxAbsErr})
}

// bounds computes the static |q| and |u| bounds of spec §6 and warns when a wrap is
// reachable.
func (qz *quantizer) bounds() {
	n := qz.n
	qmax := make([][]float64, len(n.Populations))
	for i, p := range n.Populations {
		qmax[i] = make([]float64, p.Size)
	}
	for pi, pr := range n.Projections {
		s, q := qz.syns[pi], qz.projs[pi]
		if q.Cx != nil {
			continue // feeds a dendrite, not the soma's q
		}
		dst := qmax[qz.popIdx[pr.Post]]
		for k := range s.Pre {
			w := q.W[s.Widx[k]]
			dst[s.Post[k]] += math.Abs(float64(SynChip(w, q.Exp)))
		}
	}
	for i, p := range n.Populations {
		qp := qz.pops[i]
		qm, um := 0.0, 0.0
		for j := 0; j < p.Size; j++ {
			d := float64(qp.Du.at(j) + 1)
			u := qmax[i][j] * decayOne / d
			qm, um = math.Max(qm, qmax[i][j]), math.Max(um, u+math.Abs(float64(shexp(qp.BiasMant.at(j), int(qp.BiasExp.at(j))))))
		}
		for k := range qz.qrep.Populations {
			if qz.qrep.Populations[k].Name == p.Name {
				r := &qz.qrep.Populations[k]
				r.BoundQ, r.BoundU = qm, um
				r.WrapRisk = qm >= 1<<qBits || um >= 1<<uBits
			}
		}
		if qm >= 1<<qBits {
			qz.rep.Warnf("population %s: dendritic accumulator wrap reachable (|q| up to %.0f ≥ 2^21)", p.Name, qm)
		}
		if um >= 1<<uBits {
			qz.rep.Warnf("population %s: u wrap reachable (|u| up to %.0f ≥ 2^23)", p.Name, um)
		}
	}
}

// ahpTree lowers snnc.AHPLIF / snnc.AdaptiveLIF to a two-compartment neuron (spec §7):
// compartment 0 is the AHP current c (u decays with rho, a self synapse from the soma
// adds the per-spike increment, PUSH_U), compartment 1 the CubaLIF soma (POP_A, ADD).
// The joined value enters the soma's dendritic input q, so it passes the soma's
// synaptic filter: the increment is scaled by (1 − alpha) to keep the DC gain, i.e.
// the soma sees c low-pass filtered by tau_syn (an approximation, reported).
// AdaptiveLIF's threshold rise beta_adapt·a is emulated by the AHP current whose
// steady-state effect on v is the same: c = (1 − beta)·beta_adapt·a / b_in.
// S is the soma's hardware units per model unit of v.
func (qz *quantizer) ahpTree(p *ir.Population, S, alpha, beta, bin float64) []tcx {
	at := func(k string, def float64) float64 {
		if v := p.Params[k]; len(v) > 0 {
			return v[0]
		}
		return def
	}
	rho, aad := at("rho", 0), at("a_adapt", 0)
	var inc float64 // model units of the membrane input per spike
	if p.Model == ir.TAHPLIF {
		inc = aad * at("w_ahp", 0)
		qz.rep.Warnf("population %s: AHP current enters through the soma's synaptic filter (2 compartments; see docs/loihi.md)", p.Name)
	} else {
		inc = (1 - beta) * at("beta_adapt", 0) * aad / bin
		qz.rep.Warnf("population %s: adaptive threshold emulated by an AHP current (2 compartments; see docs/loihi.md)", p.Name)
	}
	for _, k := range []string{"rho", "a_adapt", "w_ahp", "beta_adapt"} {
		if v := p.Params[k]; len(v) > 1 && slices.Min(v) != slices.Max(v) {
			qz.rep.Warnf("population %s: %s differs per neuron; loihi uses %s[0] for the whole population", p.Name, k, k)
		}
	}
	// accumulator units per spike: −S·b_in·(1 − alpha)·inc, legalized as an 8-bit
	// inhibitory weight at the smallest exponent that fits (spec §4).
	x := -S * bin * (1 - alpha) * inc
	var w int64
	for e := 0; e <= qz.hw.WeightExpMax; e++ {
		m := math.Round(x / math.Ldexp(1, wShift+e))
		if math.Abs(m) <= float64(qz.hw.WeightDomain2Max()) || e == qz.hw.WeightExpMax {
			m = max(min(m, 0), -float64(qz.hw.WeightDomain2Max()))
			w = SynChip(int64(m), e)
			break
		}
	}
	D := int64(math.Round(decayOne * (1 - rho)))
	return []tcx{
		{StackOut: pushU, SelfW: w, Du: min(max(D-1, 0), qz.hw.DuMax)},
		{StackIn: stackPopA, Join: joinAdd, Soma: true},
	}
}
