package loihi

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/quantize"
	"github.com/snnc/snnc/targets"
)

// snnc.MultiCompartment → a tree of Loihi compartments (spec §7, notes §5;
// docs/loihi.md "snnc.MultiCompartment"). Decisions (the spec is silent):
//
//   - A compartment's join says how it enters its parent (model-format: "passes its
//     state or spikes to its parent through its join op"); the parent's hardware join op
//     is its children's join. The soma's own join is unused. A parent takes one child
//     (POP_A) or two with the same join (POP_A_AND_B); more children, or two with
//     different joins, are refused (Loihi has one join op per compartment, two operands).
//     With two `pass` children the child listed later is the gate A, the earlier one B.
//   - `mul` has no Loihi join and is refused, naming the node and the compartment.
//   - A child with a threshold (LIF, CubaLIF, IF) pushes its above-threshold v
//     (PUSH_VTH: NO_SPIKE_AND_PASS_V_LG_VTH_TO_PARENT), one without (LI, CubaLI, I)
//     its v (PUSH_V). Dendrites never spike, reset or go refractory.
//   - The pushed value is the parent's input in model units: one scale K for the tree,
//     the soma's input is K per model unit, its v S = K/g (g its input gain, as in
//     floatPop); a child's v uses its parent's input scale and its own input is that
//     times its gain, so the raw stack value is exactly the parent's input (no
//     multiplier exists on the stack).
//   - Projections feed the compartment named by Attrs["compartment"] (the model's index,
//     set by the compiler from a weight node's snnc hint "compartment"), else the soma.
//   - Dendrite parameters are per population (tcx is a template): per-neuron values that
//     differ use neuron 0's, with a warning.

var nan = math.NaN()

// mcComp is one discretized compartment of a snnc.MultiCompartment population.
type mcComp struct {
	typ                             string
	parent                          int
	join                            string
	kids                            []int
	alpha, ain, beta, bleak, bin, g []float64
	vth, vreset, v0                 []float64
	thresh, cuba                    bool
	inRel, vRel                     []float64 // input and v scale per neuron, relative to K
}

// mcJoin maps model-format join names to Loihi join ops (mul has none).
var mcJoin = map[string]int{"add": joinAdd, "min": joinMin, "max": joinMax, "pass": joinPass, "and": joinAnd, "or": joinOr}

// mcPostOrder returns the compartments (model indices) in service order: each
// compartment after its children (children in model order), the soma last.
func mcPostOrder(cs []*mcComp, soma int) []int {
	var out []int
	var walk func(c int)
	walk = func(c int) {
		for _, k := range cs[c].kids {
			walk(k)
		}
		out = append(out, c)
	}
	walk(soma)
	return out
}

// mcPop quantizes a snnc.MultiCompartment population and its incoming projections.
func (qz *quantizer) mcPop(i int, p *ir.Population) {
	h := qz.hw
	where := "population " + p.Name + " (snnc.MultiCompartment)"
	if qz.mode == Lava {
		qz.issues.Add(where, ErrModel, "multi-compartment neurons are implemented in chip mode only")
		return
	}
	k := len(p.Compartments)
	if k == 0 || p.Soma < 0 || p.Soma >= k {
		qz.issues.Add(where, ErrParam, "%d compartments, soma %d", k, p.Soma)
		return
	}
	n := p.Size
	sem := qz.n.Semantics
	dt := sem.Dt
	if dt <= 0 {
		dt = 1
	}
	decayOf := func(tau float64) float64 {
		if sem.Discretization == "euler" {
			return 1 - dt/tau
		}
		return math.Exp(-dt / tau)
	}
	cs := make([]*mcComp, k)
	ok := true
	for ci, c := range p.Compartments {
		cw := fmt.Sprintf("%s: compartment %d (%s)", where, ci, c.Type)
		par := func(name string, def float64) []float64 {
			t := c.Params[name]
			if t == nil {
				if math.IsNaN(def) {
					qz.issues.Add(cw, ErrParam, "needs parameter %s", name)
					ok = false
					def = 1
				}
				t = ir.Scalar(def)
			}
			v, err := t.Broadcast(n)
			if err != nil {
				qz.issues.Add(cw+": "+name, ErrParam, "%v", err)
				ok = false
				v = make([]float64, n)
			}
			return v
		}
		m := &mcComp{typ: c.Type, parent: c.Parent, join: c.Join}
		if ci == p.Soma {
			m.parent = -1
		} else if c.Parent < 0 || c.Parent >= k || c.Parent == ci {
			qz.issues.Add(cw, ErrParam, "parent %d; want another compartment's index 0..%d", c.Parent, k-1)
			return
		}
		one, zero := make([]float64, n), make([]float64, n)
		for j := range one {
			one[j] = 1
		}
		m.alpha, m.ain, m.beta, m.bleak, m.bin = zero, one, one, zero, one
		m.vth, m.vreset, m.v0 = zero, zero, par("v0", 0)
		switch c.Type {
		case ir.TLIF, ir.TLI:
			tau, r, vl := par("tau", nan), par("r", 1), par("v_leak", 0)
			m.beta, m.bleak, m.bin = make([]float64, n), make([]float64, n), make([]float64, n)
			for j := range tau {
				if !(tau[j] > 0) {
					qz.issues.Add(cw, ErrParam, "tau[%d] = %g must be > 0", j, tau[j])
					return
				}
				b := decayOf(tau[j])
				m.beta[j], m.bleak[j], m.bin[j] = b, (1-b)*vl[j], (1-b)*r[j]
			}
		case ir.TIF, ir.TI:
			r := par("r", 1)
			m.bin = make([]float64, n)
			for j := range r {
				m.bin[j] = dt / 1.0 * r[j] // NIR's implicit τ₀ = 1 s (model-format.md)
			}
		case ir.TCubaLIF, ir.TCubaLI:
			ts, tm, r, vl, win := par("tau_syn", nan), par("tau_mem", nan), par("r", 1), par("v_leak", 0), par("w_in", 1)
			m.cuba = true
			m.alpha, m.ain, m.beta, m.bleak, m.bin = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
			for j := range ts {
				if !(ts[j] > 0) || !(tm[j] > 0) {
					qz.issues.Add(cw, ErrParam, "tau_syn[%d] = %g and tau_mem[%d] = %g must be > 0", j, ts[j], j, tm[j])
					return
				}
				a, b := decayOf(ts[j]), decayOf(tm[j])
				m.alpha[j], m.ain[j] = a, (1-a)*win[j]
				m.beta[j], m.bleak[j], m.bin[j] = b, (1-b)*vl[j], (1-b)*r[j]
			}
		default:
			qz.issues.Add(cw, ErrModel, "compartment type %s is not supported (LI, LIF, CubaLI, CubaLIF, IF, I)", c.Type)
			return
		}
		switch c.Type {
		case ir.TLIF, ir.TIF, ir.TCubaLIF:
			m.thresh = true
			m.vth, m.vreset = par("v_threshold", nan), par("v_reset", 0)
		}
		m.g = make([]float64, n)
		for j := range m.g {
			m.g[j] = m.bin[j]
			if m.cuba {
				m.g[j] *= m.ain[j]
			}
			if !(m.g[j] > 0) || math.IsInf(m.g[j], 0) {
				qz.issues.Add(cw, ErrParam, "input gain %g of neuron %d must be > 0", m.g[j], j)
				return
			}
		}
		cs[ci] = m
	}
	if !ok {
		return
	}
	soma := cs[p.Soma]
	if !soma.thresh {
		qz.issues.Add(fmt.Sprintf("%s: compartment %d", where, p.Soma), ErrModel, "the soma is %s; a Loihi soma spikes (use LIF, CubaLIF or IF)", soma.typ)
		return
	}
	for j := 0; j < n; j++ {
		if !(soma.vth[j] > soma.vreset[j]) {
			qz.issues.Add(fmt.Sprintf("%s: soma[%d]", where, j), ErrParam, "v_threshold %g must exceed v_reset %g", soma.vth[j], soma.vreset[j])
			return
		}
	}
	// Tree structure: children per compartment, joins (spec §7).
	for ci, m := range cs {
		if ci == p.Soma {
			continue
		}
		if _, ok := mcJoin[m.join]; !ok {
			qz.issues.Add(fmt.Sprintf("%s: compartment %d", where, ci), ErrModel, "join %q has no Loihi join op (supported: add, min, max, pass, and, or)", m.join)
			return
		}
		cs[m.parent].kids = append(cs[m.parent].kids, ci)
	}
	for ci, m := range cs {
		switch {
		case len(m.kids) > 2:
			qz.issues.Add(fmt.Sprintf("%s: compartment %d", where, ci), ErrModel, "%d children %v; a Loihi compartment joins at most two (POP_A_AND_B)", len(m.kids), m.kids)
			return
		case len(m.kids) == 2 && cs[m.kids[0]].join != cs[m.kids[1]].join:
			qz.issues.Add(fmt.Sprintf("%s: compartment %d", where, ci), ErrModel, "children %d and %d join by %s and %s; Loihi has one join op per compartment",
				m.kids[0], m.kids[1], cs[m.kids[0]].join, cs[m.kids[1]].join)
			return
		}
	}
	order := mcPostOrder(cs, p.Soma)
	if len(order) != k {
		qz.issues.Add(where, ErrParam, "compartments do not form one tree rooted at the soma %d", p.Soma)
		return
	}
	pos := make([]int, k)
	for ti, ci := range order {
		pos[ci] = ti
	}
	if !slices.IsSorted(order) {
		qz.rep.Warnf("population %s: compartments reordered for Loihi's service order (children before parents): model %v → tree 0..%d", p.Name, order, k-1)
	}
	// Relative scales (K = 1): soma input 1, soma v 1/g; a child's v uses its parent's
	// input scale, its input that times its gain. Walk parents before children.
	soma.inRel = []float64{1}
	soma.vRel = make([]float64, n)
	for j := range soma.vRel {
		soma.vRel[j] = 1 / soma.g[j]
	}
	for ti := k - 2; ti >= 0; ti-- {
		m := cs[order[ti]]
		m.vRel = []float64{cs[m.parent].inRel[0]}
		m.inRel = []float64{m.vRel[0] * m.g[0]}
		for _, v := range [][]float64{m.alpha, m.beta, m.bin, m.ain, m.bleak, m.vth, m.g} {
			if slices.Min(v) != slices.Max(v) {
				qz.rep.Warnf("population %s: dendrite compartment %d parameters differ per neuron; loihi uses neuron 0's for every neuron (compartment templates)", p.Name, order[ti])
				break
			}
		}
	}
	// Which compartment each incoming projection feeds.
	tgt := map[int]int{}
	var incoming []int
	for pi, prj := range qz.n.Projections {
		if prj.Post != p.Name || qz.syns[pi] == nil {
			continue
		}
		if prj.Native != nil {
			qz.issues.Add("projection "+prj.Name, ErrModel, "snnc.loihi.Dense into float population %s: use snnc.loihi.CUBA", p.Name)
			continue
		}
		c := p.Soma
		if s := prj.Attrs["compartment"]; s != "" {
			v, err := strconv.Atoi(s)
			if err != nil || v < 0 || v >= k {
				qz.issues.Add("projection "+prj.Name, ErrParam, "compartment hint %q: want 0..%d (population %s)", s, k-1, p.Name)
				continue
			}
			c = v
		}
		tgt[pi] = c
		incoming = append(incoming, pi)
	}
	// Affine bias: the netlist keeps one per population, so it must belong to the soma.
	bias := p.Params["bias"]
	if maxAbs(bias) != 0 {
		for _, pi := range incoming {
			if tgt[pi] != p.Soma {
				qz.issues.Add(where, ErrModel, "an Affine bias with inputs into dendrites (projection %s → compartment %d): the netlist does not say which compartment the bias feeds; use Linear into dendrites", qz.n.Projections[pi].Name, tgt[pi])
				return
			}
		}
	}
	biasAt := func(j int) float64 {
		if len(bias) == n {
			return bias[j]
		}
		if len(bias) == 1 {
			return bias[0]
		}
		return 0
	}
	drive := make([]float64, n) // soma's constant per-step drive of v (model units)
	for j := range drive {
		drive[j] = soma.bleak[j] + (soma.beta[j]-1)*soma.vreset[j]
		if b := biasAt(j); b != 0 {
			if soma.cuba {
				drive[j] += soma.bin[j] * soma.ain[j] * b / math.Max(1-soma.alpha[j], 1e-12)
			} else {
				drive[j] += soma.bin[j] * b
			}
		}
	}
	// Choose K (spec §6 rules, per compartment): weights fit at weight_exp ≤ 7, the soma
	// threshold stays ≤ TreeVthTarget (children's v enter the 22-bit q unscaled, so the
	// tree is kept small), biases fit 13 bits × 2^7, pass thresholds fit q.
	maxContrib := float64(h.WeightDomain2Max()) * math.Ldexp(1, wShift+h.WeightExpMax)
	biasMax := float64(h.BiasMantMax) * math.Ldexp(1, h.BiasExpMax)
	K := math.Inf(1)
	for _, pi := range incoming {
		if m := maxAbs(qz.n.Projections[pi].W); m > 0 {
			K = math.Min(K, maxContrib/(m*cs[tgt[pi]].inRel[0]))
		}
	}
	vthCap := math.Min(qz.cfg.VthTarget, qz.cfg.TreeVthTarget)
	for j := 0; j < n; j++ {
		K = math.Min(K, vthCap*math.Ldexp(1, vthShift)/(soma.vRel[j]*(soma.vth[j]-soma.vreset[j])))
		if drive[j] != 0 {
			K = math.Min(K, biasMax/(soma.vRel[j]*math.Abs(drive[j])))
		}
	}
	for _, ci := range order[:k-1] {
		m := cs[ci]
		if m.bleak[0] != 0 {
			K = math.Min(K, biasMax/(m.vRel[0]*math.Abs(m.bleak[0])))
		}
		if m.thresh && m.vth[0] > 0 {
			K = math.Min(K, float64(int64(1)<<qBits-1)/(m.vRel[0]*m.vth[0]))
		}
	}
	if math.IsInf(K, 1) || !(K > 0) {
		qz.issues.Add(where, ErrParam, "no usable scale (K = %g)", K)
		return
	}
	// Registers (spec §6 formulas per compartment).
	regs := func(m *mcComp, j int) (du, dv int64) {
		du = h.DuMax // u = q every step
		if m.cuba {
			du = min(max(int64(math.Round(decayOne*(1-m.alpha[j])))-1, 0), h.DuMax)
		}
		dv = min(max(int64(math.Round(decayOne*(1-m.beta[j]))), 0), h.DvMax)
		return du, dv
	}
	tree := make([]tcx, k)
	var trows [][]string
	for ti, ci := range order {
		m := cs[ci]
		t := &tree[ti]
		switch len(m.kids) {
		case 1:
			t.StackIn = stackPopA
		case 2:
			t.StackIn = stackPopAB
		}
		if len(m.kids) > 0 {
			t.Join = mcJoin[cs[m.kids[0]].join]
		}
		if ci == p.Soma {
			t.Soma = true
		} else {
			t.Du, t.Dv = regs(m, 0)
			t.StackOut = pushV
			if m.thresh {
				t.StackOut = pushVth
				t.VthPass = int64(math.Round(K * m.vRel[0] * m.vth[0]))
			}
			if m.bleak[0] != 0 {
				mant, e, ok := quantize.MantExp(K*m.vRel[0]*m.bleak[0], h.BiasMantMax, 0, h.BiasExpMax, qz.cfg.Rounding)
				if !ok {
					qz.issues.Add(fmt.Sprintf("%s: compartment %d", where, ci), ErrParam, "leak bias does not fit 13 bits × 2^%d", h.BiasExpMax)
					return
				}
				t.BiasMant, t.BiasExp = mant, e
			}
		}
		role, parent := "soma", "-"
		if !t.Soma {
			role, parent = "dendrite", strconv.Itoa(pos[m.parent])
		}
		join := "-"
		if len(m.kids) > 0 {
			join = joinNames[t.Join]
		}
		du, dv := t.Du, t.Dv
		if t.Soma {
			du, dv = regs(m, 0)
		}
		trows = append(trows, []string{p.Name, strconv.Itoa(ti), strconv.Itoa(ci), m.typ, role, parent, join,
			[]string{"skip", "pop_a", "pop_a_and_b"}[t.StackIn], []string{"skip", "push_v", "push_vth", "push_u"}[t.StackOut],
			strconv.FormatInt(du, 10), strconv.FormatInt(dv, 10), strconv.FormatInt(t.VthPass, 10), fmt.Sprintf("%.6g", K*m.inRel[0])})
	}
	// Soma registers per neuron (as floatPop).
	q := qPop{Name: p.Name, Size: n, K: K, Tree: tree}
	du, dv, vt, bm, be, rf, u0, v0 := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	maxRel := 0.0
	for j := 0; j < n; j++ {
		S := K * soma.vRel[j]
		du[j], dv[j] = regs(soma, j)
		th := S * (soma.vth[j] - soma.vreset[j]) / math.Ldexp(1, vthShift)
		vt[j] = int64(math.Round(th))
		if vt[j] > h.VthMax {
			qz.issues.Add(fmt.Sprintf("%s: soma[%d]", where, j), ErrParam, "threshold mantissa %d exceeds 17 bits (%d)", vt[j], h.VthMax)
			return
		}
		if th > 0 {
			maxRel = math.Max(maxRel, math.Abs(float64(vt[j])-th)/th)
		}
		mant, e, ok := quantize.MantExp(S*drive[j], h.BiasMantMax, 0, h.BiasExpMax, qz.cfg.Rounding)
		if !ok {
			qz.issues.Add(fmt.Sprintf("%s: soma[%d]", where, j), ErrParam, "bias %g (hardware units) exceeds 13-bit mantissa × 2^%d", S*drive[j], h.BiasExpMax)
			return
		}
		bm[j], be[j] = mant, int64(e)
		rf[j] = int64(p.Reset.RefractorySteps) + 1
		if rf[j] > int64(h.RefractMax) {
			qz.issues.Add(where, ErrParam, "refractory_steps %d exceeds %d", p.Reset.RefractorySteps, h.RefractMax-1)
			return
		}
		v0[j] = int64(math.Round(S * (soma.v0[j] - soma.vreset[j])))
	}
	if p.Reset.Mode != "" && p.Reset.Mode != "to_value" {
		qz.rep.Warnf("population %s: reset mode %q approximated by Loihi's reset to v_reset", p.Name, p.Reset.Mode)
	}
	if p.Compare == ">=" {
		qz.rep.Warnf("population %s: threshold compare >= approximated by Loihi's strict > at the quantized threshold", p.Name)
	}
	q.Du, q.Dv, q.Vth, q.BiasMant, q.BiasExp, q.Refract = compact(du), compact(dv), compact(vt), compact(bm), compact(be), compact(rf)
	q.NegVm, q.PosVm, q.U0, q.V0 = ivec{int64(h.DefaultNegVmLimit)}, ivec{int64(h.DefaultPosVmLimit)}, compact(u0), compact(v0)
	qz.pops[i] = q
	pr := quantize.PopulationReport{Name: p.Name, Model: p.Model, Scale: K * soma.vRel[0], Du: du[0], Dv: dv[0], Vth: vt[0], VthErr: maxRel,
		BiasMant: bm[0], BiasExp: int(be[0]), Refract: int(rf[0])}
	pr.TauMem = quantize.Tau(realizedTau(dv[0], qz.n.Semantics))
	if soma.cuba {
		pr.TauSyn = quantize.Tau(realizedTau(du[0]+1, qz.n.Semantics))
	}
	pr.Precision = fmt.Sprintf("%d compartments (see table \"multi-compartment trees\")", k)
	qz.qrep.Populations = append(qz.qrep.Populations, pr)
	qz.trees = append(qz.trees, trows...)
	// Incoming projections at their compartment's input scale.
	for _, pi := range incoming {
		c := tgt[pi]
		qz.floatProj(pi, qz.n.Projections[pi], K*cs[c].inRel[0])
		if c != p.Soma {
			t := pos[c]
			qz.projs[pi].Cx = &t
		}
	}
}

// treeTable is the report table of every multi-compartment population's tree.
func treeTable(rows [][]string) targets.Table {
	return targets.Table{Title: "multi-compartment trees", Header: []string{"population", "tree_index", "model_index", "type", "role", "parent",
		"join", "stack_in", "stack_out", "du", "dv", "vth_pass", "input_scale"}, Rows: rows}
}
