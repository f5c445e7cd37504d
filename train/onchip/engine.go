package onchip

import (
	"fmt"

	"github.com/snnc/snnc/emulator"
)

// SignMode is a synapse format's sign mode (notes §3.1).
type SignMode int

const (
	SignAuto  SignMode = iota // exc if all initial weights ≥ 0, inh if all ≤ 0, else mixed
	SignExc                   // 0..255
	SignInh                   // −255..0
	SignMixed                 // −256..254 (one bit spent on the sign)
)

func (s SignMode) String() string { return [...]string{"auto", "exc", "inh", "mixed"}[s] }

// Learning-engine widths (notes §6; Lava learning/constants.py as cited there).
const (
	AccBits    = 16 // synaptic-change accumulator: 15 bits + sign (D18 "16-bit registers")
	accMax     = 1<<(AccBits-1) - 1
	accMin     = -(1 << (AccBits - 1))
	wBitsS     = 9  // weight: 8 magnitude bits + sign
	dBitsS     = 7  // delay: 6 bits unsigned (D18 Table 1 "dly 6b (U)") + sign
	tBitsS     = 9  // tag: 8 bits + sign [inferred: Lava tag_1 width]
	MaxDelay   = 63 // 6-bit delay
	TagMin     = -256
	TagMax     = 255
	MaxTEpoch  = 63 // D18: epoch "up to a maximum value of 63"
	delaySlots = MaxDelay + 1
)

// Config describes one plastic projection pre → post onto a population of identical
// compartments, and its learning rules.
type Config struct {
	NPre, NPost int
	Cx          Compartment

	// W holds the initial weights in the 8-bit domain, W[j·NPre + i] from pre i to post j.
	// They are legalized (clipped to the sign mode, low bits floored) like the compiler does.
	W             []int
	WeightExp     int // −8..7
	NumWeightBits int // 1..8 (0 means 8)
	Sign          SignMode
	Delay         []int // optional, 0..63 per synapse (same layout as W)
	Tag           []int // optional, −256..255 per synapse

	Rules  *RuleSet // nil: no plasticity
	TEpoch int      // learning epoch in steps, 1..63 (0 means 1)

	X1, X2     TraceCfg // presynaptic traces
	Y1, Y2, Y3 TraceCfg // postsynaptic traces
	R1         TraceCfg // reward trace (per postsynaptic compartment) driven by reward spikes r0

	Seed uint64 // seeds the stochastic rounding streams (emulator.NewRand)
}

// Input is what arrives during one step.
type Input struct {
	Pre    []bool  // presynaptic spikes arriving at the plastic synapses (len NPre)
	Extra  []int64 // optional extra dendritic input per post (len NPost), in accumulator units (shexp(w, e) << 6 per synapse), e.g. a teacher current
	Reward []bool  // optional reward spikes r0 per post (len NPost)
}

// Stats counts work for the cost model (notes §8.1).
type Stats struct {
	Steps        int64
	Epochs       int64
	PreSpikes    int64
	PostSpikes   int64
	SynOps       int64 // delivered synaptic events
	LearnUpdates int64 // synaptic variables rewritten by the learning engine (D18 "synaptic update" rows)
	Legalized    int   // initial weights changed by legalization
}

// Traces is a snapshot of the trace registers.
type Traces struct {
	X1, X2     []int // per pre
	Y1, Y2, Y3 []int // per post
	R1         []int // per post
}

// Engine emulates one learning core: the compartments of the post population, the plastic
// synapses onto them, the pre/post/reward traces and the learning engine.
type Engine struct {
	cfg   Config
	cx    cx
	st    []cxState
	w     []int32
	d     []int32
	tag   []int32
	ring  []int64 // delaySlots × NPost dendritic accumulators
	wexp  int
	wLow  int // s: weight LSBs that are always zero
	wMin  int64
	wMax  int64
	tcfg  [6]TraceCfg // x1 x2 y1 y2 y3 r1
	x     [2][]int32
	y     [4][]int32 // y1 y2 y3 r1
	x0    []bool
	tx    []int32 // last within-epoch spike step (1..T), 0 = none
	y0    []bool
	ty    []int32
	r0    []bool
	histX []int32 // T × 2 × NPre: x traces after each step of the epoch
	histY []int32 // T × 4 × NPost
	post  []bool
	t     int64
	learn bool
	rPre  *emulator.Rand
	rPost *emulator.Rand
	rSyn  *emulator.Rand
	stats Stats
}

// New validates cfg and returns an engine at t = 0 with learning enabled.
func New(cfg Config) (*Engine, error) {
	if cfg.NPre <= 0 || cfg.NPost <= 0 {
		return nil, configf("NPre = %d, NPost = %d: want both > 0", cfg.NPre, cfg.NPost)
	}
	n := cfg.NPre * cfg.NPost
	if len(cfg.W) != n {
		return nil, configf("len(W) = %d: want NPost·NPre = %d", len(cfg.W), n)
	}
	if err := cfg.Cx.validate(); err != nil {
		return nil, err
	}
	if cfg.WeightExp < -8 || cfg.WeightExp > 7 {
		return nil, configf("weight_exp = %d: want -8..7", cfg.WeightExp)
	}
	if cfg.NumWeightBits == 0 {
		cfg.NumWeightBits = 8
	}
	if cfg.NumWeightBits < 1 || cfg.NumWeightBits > 8 {
		return nil, configf("num_weight_bits = %d: want 1..8", cfg.NumWeightBits)
	}
	if cfg.Sign < SignAuto || cfg.Sign > SignMixed {
		return nil, configf("sign mode %d: want auto, exc, inh or mixed", cfg.Sign)
	}
	if cfg.TEpoch == 0 {
		cfg.TEpoch = 1
	}
	if cfg.TEpoch < 1 || cfg.TEpoch > MaxTEpoch {
		return nil, configf("t_epoch = %d: want 1..%d", cfg.TEpoch, MaxTEpoch)
	}
	for k, c := range []TraceCfg{cfg.X1, cfg.X2, cfg.Y1, cfg.Y2, cfg.Y3, cfg.R1} {
		if err := c.validate([...]string{"x1", "x2", "y1", "y2", "y3", "r1"}[k]); err != nil {
			return nil, err
		}
	}
	if cfg.Delay != nil && len(cfg.Delay) != n {
		return nil, configf("len(Delay) = %d: want %d", len(cfg.Delay), n)
	}
	if cfg.Tag != nil && len(cfg.Tag) != n {
		return nil, configf("len(Tag) = %d: want %d", len(cfg.Tag), n)
	}
	e := &Engine{cfg: cfg, cx: cfg.Cx.compile(), learn: true, wexp: cfg.WeightExp}
	e.st = make([]cxState, cfg.NPost)
	e.w, e.d, e.tag = make([]int32, n), make([]int32, n), make([]int32, n)
	if cfg.Sign == SignAuto {
		pos, neg := false, false
		for _, w := range cfg.W {
			pos = pos || w > 0
			neg = neg || w < 0
		}
		switch {
		case pos && neg:
			cfg.Sign = SignMixed
		case neg:
			cfg.Sign = SignInh
		default:
			cfg.Sign = SignExc
		}
		e.cfg.Sign = cfg.Sign
	}
	// Weight precision (notes §3.1): s = 8 − numWeightBits + isMixed low bits are zero.
	s := 8 - cfg.NumWeightBits
	if cfg.Sign == SignMixed {
		s++
	}
	e.wLow = s
	top := int64(255>>s) << s
	switch cfg.Sign {
	case SignExc:
		e.wMin, e.wMax = 0, top
	case SignInh:
		e.wMin, e.wMax = -top, 0
	default:
		e.wMin, e.wMax = -256, top
	}
	for k, w := range cfg.W {
		lw := min(max((int64(w)>>s)<<s, e.wMin), e.wMax)
		if lw != int64(w) {
			e.stats.Legalized++
		}
		e.w[k] = int32(lw)
		if cfg.Delay != nil {
			if cfg.Delay[k] < 0 || cfg.Delay[k] > MaxDelay {
				return nil, configf("Delay[%d] = %d: want 0..%d", k, cfg.Delay[k], MaxDelay)
			}
			e.d[k] = int32(cfg.Delay[k])
		}
		if cfg.Tag != nil {
			if cfg.Tag[k] < TagMin || cfg.Tag[k] > TagMax {
				return nil, configf("Tag[%d] = %d: want %d..%d", k, cfg.Tag[k], TagMin, TagMax)
			}
			e.tag[k] = int32(cfg.Tag[k])
		}
	}
	e.tcfg = [6]TraceCfg{cfg.X1, cfg.X2, cfg.Y1, cfg.Y2, cfg.Y3, cfg.R1}
	e.ring = make([]int64, delaySlots*cfg.NPost)
	for k := range e.x {
		e.x[k] = make([]int32, cfg.NPre)
	}
	for k := range e.y {
		e.y[k] = make([]int32, cfg.NPost)
	}
	e.x0, e.tx = make([]bool, cfg.NPre), make([]int32, cfg.NPre)
	e.y0, e.ty, e.r0 = make([]bool, cfg.NPost), make([]int32, cfg.NPost), make([]bool, cfg.NPost)
	e.histX = make([]int32, cfg.TEpoch*2*cfg.NPre)
	e.histY = make([]int32, cfg.TEpoch*4*cfg.NPost)
	e.post = make([]bool, cfg.NPost)
	e.rPre = emulator.NewRand(cfg.Seed, 0)
	e.rPost = emulator.NewRand(cfg.Seed, 1)
	e.rSyn = emulator.NewRand(cfg.Seed, 2)
	return e, nil
}

// SetLearning turns the learning phase on or off (off: traces still run, weights frozen).
func (e *Engine) SetLearning(on bool) { e.learn = on }

// ResetState zeroes compartment state, pending synaptic input, traces and the epoch's
// spike records, keeping the synaptic variables, the time and the random streams.
func (e *Engine) ResetState() {
	clear(e.st)
	clear(e.ring)
	for k := range e.x {
		clear(e.x[k])
	}
	for k := range e.y {
		clear(e.y[k])
	}
	clear(e.x0)
	clear(e.tx)
	clear(e.y0)
	clear(e.ty)
	clear(e.r0)
}

// Time is the number of steps run.
func (e *Engine) Time() int64 { return e.t }

// Stats returns the counters.
func (e *Engine) Stats() Stats { return e.stats }

// SignMode is the resolved sign mode.
func (e *Engine) SignMode() SignMode { return e.cfg.Sign }

// Weights returns a copy of the weights (8-bit domain, W[j·NPre + i]).
func (e *Engine) Weights() []int { return ints(e.w) }

// Delays returns a copy of the synaptic delays.
func (e *Engine) Delays() []int { return ints(e.d) }

// Tags returns a copy of the synaptic tags.
func (e *Engine) Tags() []int { return ints(e.tag) }

// Traces returns a copy of the trace registers.
func (e *Engine) Traces() Traces {
	return Traces{X1: ints(e.x[0]), X2: ints(e.x[1]), Y1: ints(e.y[0]), Y2: ints(e.y[1]), Y3: ints(e.y[2]), R1: ints(e.y[3])}
}

func ints(a []int32) []int {
	out := make([]int, len(a))
	for k, v := range a {
		out[k] = int(v)
	}
	return out
}

// Step runs one timestep and returns the post spikes (owned by the engine, valid until the
// next Step). Order (notes §2, §6, §8.1): (1) arriving pre spikes are written into the
// delay slot of step t + d; (2) every compartment consumes its slot for t and updates; (3)
// traces decay one step, then spikes add their impulses; (4) on an epoch boundary
// (t mod T_epoch == 0) the learning engine rewrites the synaptic variables.
func (e *Engine) Step(in Input) ([]bool, error) {
	np, nq := e.cfg.NPre, e.cfg.NPost
	if len(in.Pre) != np {
		return nil, inputf("step %d: len(Pre) = %d, want %d", e.t+1, len(in.Pre), np)
	}
	if in.Extra != nil && len(in.Extra) != nq {
		return nil, inputf("step %d: len(Extra) = %d, want %d", e.t+1, len(in.Extra), nq)
	}
	if in.Reward != nil && len(in.Reward) != nq {
		return nil, inputf("step %d: len(Reward) = %d, want %d", e.t+1, len(in.Reward), nq)
	}
	e.t++
	T := int64(e.cfg.TEpoch)
	k := int32((e.t-1)%T) + 1 // within-epoch step 1..T
	now := int(e.t % delaySlots)

	// (1) Delivery: each synapse adds shexp(w, wgtExp) << 6 (per-synapse floor, notes §3.2).
	for i, s := range in.Pre {
		if !s {
			continue
		}
		e.stats.PreSpikes++
		e.stats.SynOps += int64(nq)
		for j := 0; j < nq; j++ {
			syn := j*np + i
			slot := (now + int(e.d[syn])) % delaySlots
			e.ring[slot*nq+j] += shexp(int64(e.w[syn]), e.wexp) << wShift
		}
	}
	// (2) Compartments.
	acc := e.ring[now*nq : (now+1)*nq]
	for j := range e.st {
		a := acc[j]
		if in.Extra != nil {
			a += in.Extra[j]
		}
		acc[j] = 0
		e.post[j] = e.cx.step(&e.st[j], a)
		if e.post[j] {
			e.stats.PostSpikes++
		}
	}
	// (3) Traces: decay, then impulses (notes §6).
	for i := 0; i < np; i++ {
		for c := 0; c < 2; c++ {
			e.x[c][i] = decayTrace(e.x[c][i], &e.tcfg[c], e.rPre)
		}
		if in.Pre[i] {
			for c := 0; c < 2; c++ {
				e.x[c][i] = impulseTrace(e.x[c][i], &e.tcfg[c], e.rPre)
			}
			e.x0[i], e.tx[i] = true, k
		}
	}
	for j := 0; j < nq; j++ {
		for c := 0; c < 4; c++ {
			e.y[c][j] = decayTrace(e.y[c][j], &e.tcfg[2+c], e.rPost)
		}
		if e.post[j] {
			for c := 0; c < 3; c++ {
				e.y[c][j] = impulseTrace(e.y[c][j], &e.tcfg[2+c], e.rPost)
			}
			e.y0[j], e.ty[j] = true, k
		}
		if in.Reward != nil && in.Reward[j] {
			e.y[3][j] = impulseTrace(e.y[3][j], &e.tcfg[5], e.rPost)
			e.r0[j] = true
		}
	}
	hx := e.histX[int(k-1)*2*np:]
	for c := 0; c < 2; c++ {
		copy(hx[c*np:(c+1)*np], e.x[c])
	}
	hy := e.histY[int(k-1)*4*nq:]
	for c := 0; c < 4; c++ {
		copy(hy[c*nq:(c+1)*nq], e.y[c])
	}
	e.stats.Steps++
	// (4) Learning phase.
	if int64(k) == T {
		e.stats.Epochs++
		if e.learn && e.cfg.Rules != nil {
			e.learnEpoch()
		}
		clear(e.x0)
		clear(e.tx)
		clear(e.y0)
		clear(e.ty)
		clear(e.r0)
	}
	return e.post, nil
}

// target parameters: accumulator fractional bits F = AccBits − signed width (Lava shifts
// the variable left by W_ACCUMULATOR_S − W_SYN_VAR_S), rounding granularity and range.
func (e *Engine) targetFmt(t Target) (frac uint, low int, lo, hi int64) {
	switch t {
	case TargetW:
		return AccBits - wBitsS, e.wLow, e.wMin, e.wMax
	case TargetD:
		return AccBits - dBitsS, 0, 0, MaxDelay
	}
	return AccBits - tBitsS, 0, TagMin, TagMax
}

// learnEpoch evaluates every rule on every synapse (notes §6, D18 Eq. 4):
//
//	acc = Z << F
//	for each product with an active dependency:
//	    term = mant · Π (V + C)                     factors read at the dependency's time
//	    acc  = sat16(acc + sat16(shexp(term, exp + F)))
//	Z' = clip(stochround(acc, F + s) >> F, range)   s = weight LSBs fixed at zero
//
// All rules read the synaptic variables of before the epoch.
func (e *Engine) learnEpoch() {
	np, nq := e.cfg.NPre, e.cfg.NPost
	T := int64(e.cfg.TEpoch)
	epoch := e.t / T
	var uOn [MaxDecimateK + 1]bool
	for k := range uOn {
		uOn[k] = epoch%(int64(1)<<uint(k)) == 0
	}
	rules := e.cfg.Rules
	var newv [numTargets]int64
	var changed [numTargets]bool
	for j := 0; j < nq; j++ {
		for i := 0; i < np; i++ {
			syn := j*np + i
			old := [numTargets]int64{int64(e.w[syn]), int64(e.d[syn]), int64(e.tag[syn])}
			for tg := Target(0); tg < numTargets; tg++ {
				changed[tg] = false
				r := rules.Rules[tg]
				if r == nil {
					continue
				}
				frac, low, lo, hi := e.targetFmt(tg)
				acc := old[tg] << frac
				active := false
				for pi := range r.Products {
					p := &r.Products[pi]
					var at int32 // within-epoch step whose trace values the factors read
					switch p.Dep.Kind {
					case DepX0:
						if !e.x0[i] {
							continue
						}
						at = e.tx[i]
					case DepY0:
						if !e.y0[j] {
							continue
						}
						at = e.ty[j]
					default:
						if !uOn[p.Dep.K] {
							continue
						}
						at = int32(T)
					}
					active = true
					term := int64(p.Mant)
					for _, f := range p.Factors {
						term *= e.factor(f, at, i, j, &old)
						if term == 0 {
							break
						}
					}
					acc = sat(acc+sat(shexp(term, p.Exp+int(frac)), accMin, accMax), accMin, accMax)
				}
				if !active {
					continue
				}
				// Stochastic rounding to the variable's precision (notes §6 "write-back").
				g := frac + uint(low)
				q := acc >> g
				if rem := acc & (int64(1)<<g - 1); rem != 0 && uniformBits(e.rSyn, g) < rem {
					q++
				}
				newv[tg] = sat(q<<uint(low), lo, hi)
				changed[tg] = true
			}
			if changed[TargetW] {
				e.w[syn] = int32(newv[TargetW])
				e.stats.LearnUpdates++
			}
			if changed[TargetD] {
				e.d[syn] = int32(newv[TargetD])
				e.stats.LearnUpdates++
			}
			if changed[TargetT] {
				e.tag[syn] = int32(newv[TargetT])
				e.stats.LearnUpdates++
			}
		}
	}
}

// factor is the value of (V + C) or sgn(V + C) at within-epoch step at (1..T).
func (e *Engine) factor(f Factor, at int32, i, j int, old *[numTargets]int64) int64 {
	np, nq := e.cfg.NPre, e.cfg.NPost
	var v int64
	switch f.Var {
	case VarConst:
		return int64(f.Const)
	case VarX1, VarX2:
		v = int64(e.histX[(int(at-1)*2+int(f.Var-VarX1))*np+i])
	case VarY1, VarY2, VarY3, VarR1:
		c := int(f.Var - VarY1)
		if f.Var == VarR1 {
			c = 3
		}
		v = int64(e.histY[(int(at-1)*4+c)*nq+j])
	case VarR0:
		if e.r0[j] {
			v = 1
		}
	case VarW:
		v = old[TargetW]
	case VarD:
		v = old[TargetD]
	case VarT:
		v = old[TargetT]
	default:
		panic(fmt.Sprintf("BUG: factor variable %d", f.Var))
	}
	v += int64(f.Const)
	if f.Sgn {
		switch {
		case v > 0:
			return 1
		case v < 0:
			return -1
		}
		return 0
	}
	return v
}

func sat(x, lo, hi int64) int64 { return min(max(x, lo), hi) }
