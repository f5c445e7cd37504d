package llvm

import (
	"fmt"
	"math"

	"github.com/llir/llvm/ir"
	"github.com/llir/llvm/ir/constant"
	"github.com/llir/llvm/ir/enum"
	"github.com/llir/llvm/ir/types"
	"github.com/llir/llvm/ir/value"
)

// Runtime protocol of the generated program (all integers little-endian int32).
//
// stdin:  magic, steps, nprobe, probe id × nprobe, nev, (t, input id) × nev sorted by t,
// ngev, (t, input id, value low word, value high word) × ngev sorted by t: the graded
// events (spikes-format "values"), each value a float64 as its IEEE bits.
// A probe id is pop·4 + var (var 0 = u, 1 = v, 2 = q, 3 = spikes); an input id is the
// flat index over the netlist's inputs in order. The unit events of a step are
// delivered before its graded ones (the accumulators add modulo 2^32, so the order
// does not change the sums).
// stdout: per step, for every population read by an output (in population order): the
// spike count and the neuron indices; then every requested probe's row (int32 per
// neuron; spikes as one byte per neuron). After the last step: the magic again.
const (
	protoMagic = 0x324e4e53 // "SNN2" (graded events; "SNN1" had none, protoMagicV1)
	// protoMagicV1 is the protocol of io header version 1 modules: no graded list.
	protoMagicV1 = 0x314e4e53 // "SNN1"
	probeVars    = 4
	varU         = 0
	varV         = 1
	varQ         = 2
	varSpikes    = 3
)

// Exit codes of the generated program.
const (
	exitShortRead = 3
	exitBadMagic  = 4
)

// inlineArrayMax is the largest constant array written as a typed array literal; larger
// ones are byte strings (align 64) read through a bitcast pointer (smaller, faster to parse).
const inlineArrayMax = 64

var (
	i1, i8, i16, i32, i64 = types.I1, types.I8, types.I16, types.I32, types.I64
	i8p                   = types.I8Ptr
)

func ci32(x int64) *constant.Int { return constant.NewInt(i32, x) }
func ci64(x int64) *constant.Int { return constant.NewInt(i64, x) }

// arrayRef is a global array and a constant pointer to its first element.
type arrayRef struct {
	g    *ir.Global
	elem *types.IntType
	base constant.Constant
	n    int
}

type popG struct {
	u, v, q, ref, spk, acc, fired arrayRef
	bits                          arrayRef          // vectorized: bit k of word w clear iff neuron 64w + k spiked
	nf                            constant.Constant // fired[0]: the count, ids from fired[1]
	// per-neuron parameter arrays (nil entries: uniform, folded as immediates)
	decU, decV, bias, vth, vmin, vmax, refract, u0, v0 *arrayRef
	spkWords                                           int
}

type projG struct {
	w, start, tgt, dly, syn arrayRef
	rowC                    arrayRef // rowUniform: the contribution of each row
	deliver                 *ir.Func
	deliverG                *ir.Func // graded spikes (projections leaving an input)
}

// gen generates the module for one network.
type gen struct {
	m     *ir.Module
	net   *netM
	pops  []popG
	projs []projG

	stdin, stdout                       *ir.Global
	fread, fwrite, malloc, exit, fflush *ir.Func
	saddSat, usubSat                    *ir.Func
	vsaddSat, vusubSat                  *ir.Func // <vecLanes x i32>, <vecLanes x i8>
	keepQ, keepU                        *ir.Global
	cttz                                *ir.Func
	readn                               *ir.Func
	step, input, reset, probe, emit     *ir.Func
	inputG, gradedWord                  *ir.Func
}

// generate builds the LLVM module of net. Names and ordering depend only on the
// network, so the text is stable under re-generation.
func generate(net *netM) *ir.Module {
	g := &gen{m: ir.NewModule(), net: net}
	g.m.SourceFilename = "snnc"
	g.declareRuntime()
	g.globals()
	g.genGradedWord()
	for j := range net.projs {
		g.genDeliver(j, false)
		if net.projs[j].src >= len(net.pops) {
			g.genDeliver(j, true)
		}
	}
	g.genReset()
	g.genStep()
	g.genInput()
	g.genInputGraded()
	g.genProbe()
	g.genEmit()
	g.genMain()
	return g.m
}

func (g *gen) declareRuntime() {
	m := g.m
	g.stdin = m.NewGlobal("stdin", i8p)
	g.stdout = m.NewGlobal("stdout", i8p)
	g.stdin.Linkage, g.stdout.Linkage = enum.LinkageExternal, enum.LinkageExternal
	g.fread = m.NewFunc("fread", i64, ir.NewParam("", i8p), ir.NewParam("", i64), ir.NewParam("", i64), ir.NewParam("", i8p))
	g.fwrite = m.NewFunc("fwrite", i64, ir.NewParam("", i8p), ir.NewParam("", i64), ir.NewParam("", i64), ir.NewParam("", i8p))
	g.malloc = m.NewFunc("malloc", i8p, ir.NewParam("", i64))
	g.exit = m.NewFunc("exit", types.Void, ir.NewParam("", i32))
	g.fflush = m.NewFunc("fflush", i32, ir.NewParam("", i8p))
	g.saddSat = m.NewFunc("llvm.sadd.sat.i32", i32, ir.NewParam("", i32), ir.NewParam("", i32))
	g.usubSat = m.NewFunc("llvm.usub.sat.i8", i8, ir.NewParam("", i8), ir.NewParam("", i8))
	for pi := range g.net.pops {
		if vectorized(&g.net.pops[pi]) {
			v32, v8 := vec(i32), vec(i8)
			g.vsaddSat = m.NewFunc(fmt.Sprintf("llvm.sadd.sat.v%di32", vecLanes), v32, ir.NewParam("", v32), ir.NewParam("", v32))
			g.vusubSat = m.NewFunc(fmt.Sprintf("llvm.usub.sat.v%di8", vecLanes), v8, ir.NewParam("", v8), ir.NewParam("", v8))
			break
		}
	}
	g.cttz = m.NewFunc("llvm.cttz.i64", i64, ir.NewParam("", i64), ir.NewParam("", i1))
	g.keepQ = m.NewGlobalDef("snn_keep_q", ci32(0))
	g.keepQ.Linkage = enum.LinkageInternal
	g.keepU = m.NewGlobalDef("snn_keep_u", ci32(0))
	g.keepU.Linkage = enum.LinkageInternal
}

// dataArray defines a constant array of ints.
func (g *gen) dataArray(name string, elem *types.IntType, vals []int64) arrayRef {
	n := len(vals)
	if n <= inlineArrayMax {
		at := types.NewArray(uint64(n), elem)
		cs := make([]constant.Constant, n)
		for i, v := range vals {
			cs[i] = constant.NewInt(elem, v)
		}
		gl := g.m.NewGlobalDef(name, constant.NewArray(at, cs...))
		gl.Immutable = true
		gl.Linkage = enum.LinkageInternal
		return arrayRef{g: gl, elem: elem, n: n, base: constant.NewGetElementPtr(at, gl, ci64(0), ci64(0))}
	}
	size := int(elem.BitSize / 8)
	b := make([]byte, n*size)
	for i, v := range vals {
		for k := 0; k < size; k++ {
			b[i*size+k] = byte(uint64(v) >> (8 * k)) // little-endian (x86-64, aarch64)
		}
	}
	gl := g.m.NewGlobalDef(name, constant.NewCharArray(b))
	gl.Immutable = true
	gl.Linkage = enum.LinkageInternal
	gl.Align = 64
	return arrayRef{g: gl, elem: elem, n: n, base: constant.NewBitCast(gl, types.NewPointer(elem))}
}

// stateArray defines a zero-initialized mutable array.
func (g *gen) stateArray(name string, elem *types.IntType, n int) arrayRef {
	at := types.NewArray(uint64(n), elem)
	gl := g.m.NewGlobalDef(name, constant.NewZeroInitializer(at))
	gl.Linkage = enum.LinkageInternal
	gl.Align = 64
	return arrayRef{g: gl, elem: elem, n: n, base: constant.NewGetElementPtr(at, gl, ci64(0), ci64(0))}
}

func (g *gen) paramArray(name string, v ivec, elem *types.IntType) *arrayRef {
	if len(v) == 1 {
		return nil
	}
	a := g.dataArray(name, elem, v)
	return &a
}

func (g *gen) globals() {
	// a population fed by a padded projection has one more (never read) u and
	// accumulator element: the target of the padding synapses (padRows)
	spare := make([]int, len(g.net.pops))
	for j := range g.net.projs {
		if padded(&g.net.projs[j], g.net) {
			spare[g.net.projs[j].post] = 1
		}
	}
	for pi := range g.net.pops {
		p := &g.net.pops[pi]
		pre := fmt.Sprintf("p%d.", pi)
		n := max(p.n, 1)
		pg := popG{}
		pg.u = g.stateArray(pre+"u", i32, n+spare[pi])
		pg.v = g.stateArray(pre+"v", i32, n)
		pg.q = g.stateArray(pre+"q", i32, n)
		if p.needRef {
			pg.ref = g.stateArray(pre+"ref", i8, n)
		}
		pg.spkWords = (n + 63) / 64 * 8 // whole 64-byte blocks
		pg.spk = g.stateArray(pre+"spk", i8, pg.spkWords*8)
		pg.acc = g.stateArray(pre+"acc", i32, n*p.slots+spare[pi])
		if vectorized(p) {
			pg.bits = g.stateArray(pre+"bits", i64, (n+63)/64)
		}
		if p.fired {
			// count and ids in one array: one fwrite per step (protocol: count, ids)
			pg.fired = g.stateArray(pre+"fired", i32, n+1)
			pg.nf = pg.fired.base
		}
		pg.decU = g.paramArray(pre+"decu", p.decU, i32)
		pg.decV = g.paramArray(pre+"decv", p.decV, i32)
		pg.bias = g.paramArray(pre+"bias", p.bias, i32)
		pg.vth = g.paramArray(pre+"vth", p.vth, i32)
		pg.vmin = g.paramArray(pre+"vmin", p.vmin, i32)
		pg.vmax = g.paramArray(pre+"vmax", p.vmax, i32)
		pg.refract = g.paramArray(pre+"refract", refractLeft(p.refract), i8)
		pg.u0 = g.paramArray(pre+"u0", p.u0, i32)
		pg.v0 = g.paramArray(pre+"v0", p.v0, i32)
		g.pops = append(g.pops, pg)
	}
	for j := range g.net.projs {
		pr := &g.net.projs[j]
		pre := fmt.Sprintf("w%d.", j)
		var pg projG
		switch {
		case pr.dense:
			pg.w = g.dataArray(pre+"w", i16, pr.w)
		case rowUniform(pr):
			// one contribution per row, a 16-bit target per synapse
			rowC := make([]int64, pr.preSize)
			for p := range rowC {
				if pr.start[p] < pr.start[p+1] {
					rowC[p] = synContrib(pr.w[pr.start[p]], pr.exp)
				}
			}
			pg.rowC = g.dataArray(pre+"rowc", i32, rowC)
			if padded(pr, g.net) {
				start, tgt := padRows(pr, rowPad, int64(pr.postSize))
				pg.start = g.dataArray(pre+"start", i32, start)
				pg.tgt = g.dataArray(pre+"tgt", i16, tgt)
				break
			}
			pg.tgt = g.dataArray(pre+"tgt", i16, pr.tgt)
		case pairable(pr):
			// one word per synapse: the contribution shexp(w, e) << 6 in the high half,
			// the target in the low half (no decoding arithmetic in the delivery loop)
			words := make([]int64, len(pr.w))
			for k := range words {
				words[k] = int64(int32(uint32(pr.tgt[k]) | uint32(synContrib(pr.w[k], pr.exp))<<16))
			}
			pg.syn = g.dataArray(pre+"syn", i32, words)
		case packable(pr):
			// one word per synapse: target << 9 | 9-bit two's-complement weight
			words := make([]int64, len(pr.w))
			for k := range words {
				words[k] = int64(int32(uint32(pr.tgt[k])<<packWBits | uint32(pr.w[k])&(1<<packWBits-1)))
			}
			pg.syn = g.dataArray(pre+"syn", i32, words)
		default:
			pg.w = g.dataArray(pre+"w", i16, pr.w)
			pg.tgt = g.dataArray(pre+"tgt", i32, pr.tgt)
		}
		if !pr.dense && pg.start.g == nil {
			pg.start = g.dataArray(pre+"start", i32, pr.start)
			if pr.dly != nil {
				pg.dly = g.dataArray(pre+"dly", i8, pr.dly)
			}
		}
		g.projs = append(g.projs, pg)
	}
}

// refractLeft is the refractory counter a spike leaves behind at the end of its step:
// max(refract_delay − 1, 0) per neuron (spec §3: set to refract_delay, then decremented).
func refractLeft(r ivec) ivec {
	out := make(ivec, len(r))
	for i, x := range r {
		out[i] = max(x-1, 0)
	}
	return out
}

// packWBits is the weight field of a packed synapse word (the 8-bit domain plus sign,
// spec §4: −256..255).
const packWBits = 9

// synContrib is the chip-mode contribution of a weight, shexp(w, e) << 6 (spec §3; the
// arithmetic shift floors per synapse for negative exponents, notes §3.2), as contrib
// computes it in the generated code.
func synContrib(w int64, e int) int64 { return shexp(w, e) << wShift }

// rowUniform reports whether a CSR projection without per-synapse delays has one
// contribution shexp(w, e) << 6 per row (every synapse of a presynaptic neuron adds
// the same value, as in an excitatory/inhibitory network) and targets below 2^16: the
// row's contribution is then kept once and each synapse is a 16-bit target.
func rowUniform(pr *projM) bool {
	if pr.dense || pr.dly != nil || pr.postSize > 1<<16 {
		return false
	}
	for p := 0; p < pr.preSize; p++ {
		for k := pr.start[p] + 1; k < pr.start[p+1]; k++ {
			if synContrib(pr.w[k], pr.exp) != synContrib(pr.w[pr.start[p]], pr.exp) {
				return false
			}
		}
	}
	return true
}

// rowPad is the row granularity of a padded projection: the delivery loop handles
// rowPad synapses per iteration, with no remainder loop (and its mispredicted exit).
const rowPad = 8

// padded reports whether a rowUniform projection has its rows padded to a multiple of
// rowPad with synapses onto a spare element post.n: the post population has one
// accumulator slot (so index n lies outside every neuron) and targets stay < 2^16.
func padded(pr *projM, net *netM) bool {
	return rowUniform(pr) && net.pops[pr.post].slots == 1 && pr.postSize < 1<<16
}

// padRows returns the CSR start and target arrays of pr with every row padded to a
// multiple of k by synapses onto spare. The spare element absorbs their contributions
// and is never read.
func padRows(pr *projM, k int, spare int64) (start, tgt []int64) {
	start = make([]int64, pr.preSize+1)
	for p := 0; p < pr.preSize; p++ {
		row := pr.tgt[pr.start[p]:pr.start[p+1]]
		tgt = append(tgt, row...)
		for len(tgt)%k != 0 {
			tgt = append(tgt, spare)
		}
		start[p+1] = int64(len(tgt))
	}
	return start, tgt
}

// pairable reports whether a CSR projection's synapses fit a pair of 16-bit halves:
// targets below 2^16 and every contribution shexp(w, e) << 6 within int16.
func pairable(pr *projM) bool {
	if pr.dense || pr.postSize > 1<<16 {
		return false
	}
	for _, w := range pr.w {
		if c := synContrib(w, pr.exp); c < math.MinInt16 || c > math.MaxInt16 {
			return false
		}
	}
	return true
}

// packable reports whether a CSR projection's targets fit the packed word (23 bits).
func packable(pr *projM) bool { return !pr.dense && pr.postSize <= 1<<(32-packWBits-1) }

// fb is a function under construction: the current block and a block counter.
type fb struct {
	f *ir.Func
	b *ir.Block
	n int
}

func newFB(f *ir.Func) *fb {
	x := &fb{f: f}
	x.b = f.NewBlock("entry")
	return x
}

func (x *fb) block(name string) *ir.Block {
	x.n++
	return x.f.NewBlock(fmt.Sprintf("%s%d", name, x.n))
}

// loop emits for i := from; i < to; i++ { body(i) } with i64 counters.
func (x *fb) loop(name string, from, to value.Value, body func(i value.Value)) {
	pre := x.b
	head, bodyB, exit := x.block(name+".head"), x.block(name+".body"), x.block(name+".exit")
	pre.NewBr(head)
	i := head.NewPhi(ir.NewIncoming(from, pre))
	head.NewCondBr(head.NewICmp(enum.IPredSLT, i, to), bodyB, exit)
	x.b = bodyB
	body(i)
	next := x.b.NewAdd(i, ci64(1))
	i.Incs = append(i.Incs, ir.NewIncoming(next, x.b))
	x.b.NewBr(head)
	x.b = exit
}

// when emits if cond { body() }.
func (x *fb) when(name string, cond value.Value, body func()) {
	then, done := x.block(name+".then"), x.block(name+".done")
	x.b.NewCondBr(cond, then, done)
	x.b = then
	body()
	x.b.NewBr(done)
	x.b = done
}

func (x *fb) ptr(a arrayRef, idx value.Value) value.Value {
	return x.b.NewGetElementPtr(a.elem, a.base, idx)
}

func (x *fb) load(a arrayRef, idx value.Value) value.Value {
	return x.b.NewLoad(a.elem, x.ptr(a, idx))
}

func (x *fb) store(v value.Value, a arrayRef, idx value.Value) {
	x.b.NewStore(v, x.ptr(a, idx))
}

// param is a uniform register as an immediate, or its per-neuron array element.
func (x *fb) param(v ivec, a *arrayRef, i value.Value) value.Value {
	if a == nil {
		return ci32(v[0])
	}
	return x.load(*a, i)
}

// wrap is spec §3 wrap(x, b): sign extension from bit b of an int32.
func (x *fb) wrap(v value.Value, b uint) value.Value {
	s := ci32(int64(31 - b))
	return x.b.NewAShr(x.b.NewShl(v, s), s)
}

// decay is spec §3 decay(x, D) = shr0(x·f, 12) with f = 4096 − D ∈ [0, 4096], computed
// exactly in 32 bits. With x = h·4096 + l (h = x >> 12 arithmetic, l = x & 4095 ≥ 0):
// x·f = h·f·4096 + l·f, so floor(x·f / 4096) = h·f + ((l·f) >> 12), and rounding toward
// zero adds 4095 before the shift when x < 0: shr0(x·f, 12) = h·f + ((l·f + c) >> 12),
// c = x < 0 ? 4095 : 0. Every intermediate fits 32 bits (wrapping) and the result is
// exact because |shr0(x·f, 12)| ≤ |x|.
//
// small (|x| ≤ 2^23, so |h| ≤ 2^11) round-trips h through i16, a no-op that lets the
// optimizer use 16-bit multiplies (pmaddwd) for both products.
func (x *fb) decay(v value.Value, f ivec, fa *arrayRef, i value.Value, small bool) value.Value {
	if fa == nil {
		switch f[0] {
		case decayOne:
			return v
		case 0:
			return ci32(0)
		}
	}
	fv := x.param(f, fa, i)
	b := x.b
	var h value.Value = b.NewAShr(v, ci32(decayBits)) // x >> 12 (floor)
	if small {
		h = b.NewSExt(b.NewTrunc(h, i16), i32)
	}
	l := b.NewAnd(v, ci32(decayOne-1))                         // x & 4095
	c := b.NewLShr(b.NewAShr(v, ci32(31)), ci32(32-decayBits)) // 4095 if x < 0
	lo := b.NewLShr(b.NewAdd(b.NewMul(l, fv), c), ci32(decayBits))
	return b.NewAdd(b.NewMul(h, fv), lo)
}

// contrib is the chip-mode synaptic contribution shexp(w, e) << 6 (spec §3; per-synapse
// flooring for negative exponents, notes §3.2).
func (x *fb) contrib(w value.Value, e int) value.Value {
	w32 := w
	if w.Type() != i32 {
		w32 = x.b.NewSExt(w, i32)
	}
	if e >= 0 {
		return x.b.NewShl(w32, ci32(int64(e+wShift)))
	}
	return x.b.NewShl(x.b.NewAShr(w32, ci32(int64(-e))), ci32(wShift))
}

// genGradedWord emits snn_graded_word(c, val): a synapse word scaled by a graded
// spike's value, round(c·val) half away from zero, saturated to int32 — the loihi
// target's gradedWord (docs/loihi.md "Graded inputs"), bit for bit:
//
//	x = float64(c)·val                        (one IEEE multiply, as in Go)
//	x = clamp(x, −2^31, 2^31 − 1)             (round and clamping to integer bounds commute)
//	r = trunc(x); f = x − r                   (f is exact: the fraction of a double)
//	r + (f ≥ 0.5) − (f ≤ −0.5)                (math.Round: half away from zero)
//
// Written with compares and fptosi only (no llvm.round, which may become a libm call
// the own runtime does not provide). val is finite (Machine.Run checks), so x is
// never NaN.
func (g *gen) genGradedWord() {
	c, val := ir.NewParam("c", i32), ir.NewParam("val", types.Double)
	f := g.m.NewFunc("snn_graded_word", i32, c, val)
	f.Linkage = enum.LinkageInternal
	g.gradedWord = f
	b := f.NewBlock("entry")
	dbl := func(x float64) constant.Constant { return constant.NewFloat(types.Double, x) }
	x := value.Value(b.NewFMul(b.NewSIToFP(c, types.Double), val))
	x = b.NewSelect(b.NewFCmp(enum.FPredOLT, x, dbl(math.MinInt32)), dbl(math.MinInt32), x)
	x = b.NewSelect(b.NewFCmp(enum.FPredOGT, x, dbl(math.MaxInt32)), dbl(math.MaxInt32), x)
	r := b.NewFPToSI(x, i32)
	fr := b.NewFSub(x, b.NewSIToFP(r, types.Double))
	up := b.NewZExt(b.NewFCmp(enum.FPredOGE, fr, dbl(0.5)), i32)
	dn := b.NewZExt(b.NewFCmp(enum.FPredOLE, fr, dbl(-0.5)), i32)
	b.NewRet(b.NewSub(b.NewAdd(r, up), dn))
}

// genDeliver emits deliver.j(pre, t): the synapses of presynaptic neuron pre of
// projection j, for a spike emitted at t. With graded (projections leaving an input),
// deliverg.j(pre, t, val) adds snn_graded_word(contribution, val) instead of each
// contribution, into the same slots and the same array (a population fed by an input
// is never fused, see boundAccumulators, so that is the accumulator ring).
func (g *gen) genDeliver(j int, graded bool) {
	pr := &g.net.projs[j]
	pd := &g.projs[j]
	post := &g.net.pops[pr.post]
	acc := g.pops[pr.post].acc
	pre, t := ir.NewParam("pre", i32), ir.NewParam("t", i32)
	var f *ir.Func
	var val *ir.Param
	if graded {
		if post.fused {
			// boundAccumulators never fuses a population fed by an input: an input's
			// events (unit or graded) carry no bound, so its wraps must stay
			panic("BUG: graded delivery into fused population " + post.name)
		}
		val = ir.NewParam("val", types.Double)
		f = g.m.NewFunc(fmt.Sprintf("deliverg.%d", j), types.Void, pre, t, val)
		pd.deliverG = f
	} else {
		f = g.m.NewFunc(fmt.Sprintf("deliver.%d", j), types.Void, pre, t)
		pd.deliver = f
	}
	f.Linkage = enum.LinkageInternal
	x := newFB(f)
	// scale is the identity for unit spikes, snn_graded_word for graded ones
	scale := func(c value.Value) value.Value {
		if !graded {
			return c
		}
		return x.b.NewCall(g.gradedWord, c, val)
	}
	mask := int64(post.slots - 1)
	N := int64(post.n)
	// A fused population (see compartmentLoop) accumulates straight into u unless a u
	// or q probe asked for the classic layout.
	var dst value.Value = acc.base
	if post.fused {
		keepU := x.b.NewICmp(enum.IPredNE, x.b.NewLoad(i32, g.keepU), ci32(0))
		dst = x.b.NewSelect(keepU, acc.base, g.pops[pr.post].u.base)
	}
	accPtr := func(idx value.Value) value.Value { return x.b.NewGetElementPtr(i32, dst, idx) }
	// slotBase is the accumulator slot of a spike emitted at t with delay d: due at
	// t + 1 + d (spec §2), ring index (t + 1 + d) mod slots.
	slotBase := func(d value.Value) value.Value {
		if mask == 0 {
			return ci64(0)
		}
		s := x.b.NewAnd(x.b.NewAdd(x.b.NewAdd(t, ci32(1)), d), ci32(mask))
		return x.b.NewMul(x.b.NewZExt(s, i64), ci64(N))
	}
	pre64 := x.b.NewZExt(pre, i64)
	if pr.dense {
		base := slotBase(ci32(int64(pr.delay)))
		row := x.b.NewMul(pre64, ci64(N))
		x.loop("k", ci64(0), ci64(N), func(k value.Value) {
			w := x.load(pd.w, x.b.NewAdd(row, k))
			p := accPtr(x.b.NewAdd(base, k))
			x.b.NewStore(x.b.NewAdd(x.b.NewLoad(i32, p), scale(x.contrib(w, pr.exp))), p)
		})
	} else {
		s := x.b.NewSExt(x.load(pd.start, pre64), i64)
		e := x.b.NewSExt(x.load(pd.start, x.b.NewAdd(pre64, ci64(1))), i64)
		var base, rowC value.Value
		if pr.dly == nil {
			base = slotBase(ci32(int64(pr.delay)))
		}
		uniform := rowUniform(pr)
		if uniform {
			rowC = scale(x.load(pd.rowC, pre64))
		}
		if padded(pr, g.net) {
			// rows are whole groups of rowPad synapses (padRows)
			pre := x.b
			head, body, exit := x.block("kp.head"), x.block("kp.body"), x.block("kp.exit")
			pre.NewBr(head)
			k := head.NewPhi(ir.NewIncoming(s, pre))
			head.NewCondBr(head.NewICmp(enum.IPredSLT, k, e), body, exit)
			x.b = body
			for u := int64(0); u < rowPad; u++ {
				tg := x.b.NewZExt(x.load(pd.tgt, x.b.NewAdd(k, ci64(u))), i64)
				p := accPtr(tg)
				x.b.NewStore(x.b.NewAdd(x.b.NewLoad(i32, p), rowC), p)
			}
			next := x.b.NewAdd(k, ci64(rowPad))
			k.Incs = append(k.Incs, ir.NewIncoming(next, x.b))
			x.b.NewBr(head)
			x.b = exit
			x.b.NewRet(nil)
			return
		}
		x.loop("k", s, e, func(k value.Value) {
			b := base
			if pr.dly != nil {
				b = slotBase(x.b.NewZExt(x.load(pd.dly, k), i32))
			}
			var tg, c value.Value
			switch {
			case uniform:
				tg, c = x.b.NewZExt(x.load(pd.tgt, k), i64), rowC
			case pairable(pr):
				word := x.load(pd.syn, k)
				tg = x.b.NewZExt(x.b.NewTrunc(word, i16), i64)
				c = x.b.NewAShr(word, ci32(16))
			case packable(pr):
				word := x.load(pd.syn, k)
				tg = x.b.NewZExt(x.b.NewLShr(word, ci32(packWBits)), i64)
				c = x.contrib(x.b.NewAShr(x.b.NewShl(word, ci32(32-packWBits)), ci32(32-packWBits)), pr.exp)
			default:
				tg = x.b.NewSExt(x.load(pd.tgt, k), i64)
				c = x.contrib(x.load(pd.w, k), pr.exp)
			}
			if !uniform {
				c = scale(c)
			}
			p := accPtr(x.b.NewAdd(b, tg))
			x.b.NewStore(x.b.NewAdd(x.b.NewLoad(i32, p), c), p)
		})
	}
	x.b.NewRet(nil)
}

// genReset writes the initial state: u0, v0, refractory 0, empty accumulators.
func (g *gen) genReset() {
	f := g.m.NewFunc("snn_reset", types.Void)
	g.reset = f
	x := newFB(f)
	for pi := range g.net.pops {
		p, pg := &g.net.pops[pi], &g.pops[pi]
		n := int64(p.n)
		x.loop("i", ci64(0), ci64(n), func(i value.Value) {
			x.store(x.param(p.u0, pg.u0, i), pg.u, i)
			x.store(x.param(p.v0, pg.v0, i), pg.v, i)
			x.store(ci32(0), pg.q, i)
			if p.needRef {
				x.store(constant.NewInt(i8, 0), pg.ref, i)
			}
		})
		x.loop("i", ci64(0), ci64(int64(pg.spk.n)), func(i value.Value) {
			x.store(constant.NewInt(i8, 0), pg.spk, i)
		})
		x.loop("i", ci64(0), ci64(int64(pg.acc.n)), func(i value.Value) {
			x.store(ci32(0), pg.acc, i)
		})
		if p.fired {
			x.b.NewStore(ci32(0), pg.nf)
		}
		if pg.bits.g != nil {
			x.loop("i", ci64(0), ci64(int64(pg.bits.n)), func(i value.Value) {
				x.store(ci64(-1), pg.bits, i)
			})
		}
		if p.fused {
			// fused layout: u holds decay(u_{t−1}) + q_t, so it starts at decay(u0)
			keepU := x.b.NewICmp(enum.IPredNE, x.b.NewLoad(i32, g.keepU), ci32(0))
			x.when("fuse", x.b.NewXor(keepU, constant.True), func() {
				x.loop("i", ci64(0), ci64(n), func(i value.Value) {
					x.store(x.decay(x.load(pg.u, i), p.decU, pg.decU, i, p.uSmall), pg.u, i)
				})
			})
		}
	}
	x.b.NewRet(nil)
}

// compartments emits the update of every compartment of population pi (spec §3, chip
// mode), written branch-free so the loop vectorizes.
func (g *gen) compartments(x *fb, pi int, t value.Value) {
	p := &g.net.pops[pi]
	var slot value.Value = ci64(0)
	if p.slots > 1 {
		s := x.b.NewAnd(t, ci32(int64(p.slots-1)))
		slot = x.b.NewMul(x.b.NewZExt(s, i64), ci64(int64(p.n)))
	}
	// Two (three) copies of the loop: q is stored only when a q probe asked for it; a
	// fused population runs the fused loop unless a u, q or spike probe asked for the
	// classic layout (snn_keep_u, set whenever snn_keep_q is).
	keep := x.b.NewICmp(enum.IPredNE, x.b.NewLoad(i32, g.keepQ), ci32(0))
	withQ, noQ, done := x.block("cx.q"), x.block("cx.noq"), x.block("cx.done")
	if p.fused {
		classic, fused := x.block("cx.classic"), x.block("cx.fused")
		keepU := x.b.NewICmp(enum.IPredNE, x.b.NewLoad(i32, g.keepU), ci32(0))
		x.b.NewCondBr(keepU, classic, fused)
		x.b = fused
		if vectorized(p) {
			g.vectorLoop(x, pi)
		} else {
			g.compartmentLoop(x, pi, slot, false, true)
		}
		x.b.NewBr(done)
		x.b = classic
	}
	x.b.NewCondBr(keep, withQ, noQ)
	for _, storeQ := range []bool{true, false} {
		x.b = noQ
		if storeQ {
			x.b = withQ
		}
		g.compartmentLoop(x, pi, slot, storeQ, false)
		x.b.NewBr(done)
	}
	x.b = done
}

// compartmentLoop emits one copy of the compartment loop. With fused (p.fused: one
// accumulator slot and both qExact and uExact, so every wrap of q and u is the identity
// and u_t = decay(u_{t−1}) + Σ contributions exactly, in any order), the array u holds
// decay(u_{t−1}) and delivery adds the contributions of step t straight into it: the
// loop reads u_t from u and stores decay(u_t) back, and the accumulator array (its load,
// its zeroing store and 16 KB of cache per 4000 neurons) drops out.
func (g *gen) compartmentLoop(x *fb, pi int, slot value.Value, storeQ, fused bool) {
	p, pg := &g.net.pops[pi], &g.pops[pi]
	x.loop("cx", ci64(0), ci64(int64(p.n)), func(i value.Value) {
		b := func() *ir.Block { return x.b }
		var u value.Value
		if fused {
			u = x.load(pg.u, i)
			x.store(x.decay(u, p.decU, pg.decU, i, p.uSmall), pg.u, i)
		} else {
			ap := x.ptr(pg.acc, b().NewAdd(slot, i))
			a := b().NewLoad(i32, ap)
			b().NewStore(ci32(0), ap)
			// q = wrap(Σ shexp(w, e) << 6, 21): the int32 sum wraps harmlessly first. The
			// wrap is left out where the sum provably fits (qExact, see boundAccumulators).
			var q value.Value = a
			if !p.qExact {
				q = x.wrap(a, qBits)
			}
			if storeQ {
				x.store(q, pg.q, i)
			}
			// u = wrap(decay(u, du + 1) + q, 23)
			// (both wraps of u are left out where |u| + |bias| < 2^23 is proven: uExact)
			u = b().NewAdd(x.decay(x.load(pg.u, i), p.decU, pg.decU, i, p.uSmall), q)
			if !p.uExact {
				u = x.wrap(u, uBits)
			}
			x.store(u, pg.u, i)
		}
		// u2 = wrap(u + bias, 23)
		var u2 value.Value = u
		if pg.bias != nil || p.bias[0] != 0 {
			u2 = b().NewAdd(u, x.param(p.bias, pg.bias, i))
			if !p.uExact {
				u2 = x.wrap(u2, uBits)
			}
		}
		// v = clip(decay(v, dv) + u2, vmin, vmax)
		dv := x.decay(x.load(pg.v, i), p.decV, pg.decV, i, p.vSmall)
		var v value.Value
		if p.satAdd {
			v = b().NewCall(g.saddSat, dv, u2)
		} else {
			v = b().NewAdd(dv, u2)
		}
		vmin := x.param(p.vmin, pg.vmin, i)
		v = b().NewSelect(b().NewICmp(enum.IPredSLT, v, vmin), vmin, v)
		if !p.vmaxExact { // otherwise unobservable (buildModel)
			vmax := x.param(p.vmax, pg.vmax, i)
			v = b().NewSelect(b().NewICmp(enum.IPredSGT, v, vmax), vmax, v)
		}
		var ref value.Value
		zero8 := constant.NewInt(i8, 0)
		if p.needRef {
			// if refractory_left > 0: v = 0   (the counter is an i8: refract_delay ≤ 63)
			ref = x.load(pg.ref, i)
			v = b().NewSelect(b().NewICmp(enum.IPredSGT, ref, zero8), ci32(0), v)
		}
		// spike = v > (vth << 6), strict; a spike resets v to 0
		spk := b().NewICmp(enum.IPredSGT, v, x.param(p.vth, pg.vth, i))
		x.store(b().NewSelect(spk, ci32(0), v), pg.v, i)
		if p.needRef {
			// refractory_left = spike ? refract_delay : left; then max(left − 1, 0),
			// written as spike ? max(refract_delay − 1, 0) : usub.sat(left, 1) (left ≥ 0;
			// the array holds max(refract_delay − 1, 0), see refractLeft)
			var rd value.Value = constant.NewInt(i8, refractLeft(p.refract)[0])
			if pg.refract != nil {
				rd = x.load(*pg.refract, i)
			}
			left := b().NewCall(g.usubSat, ref, constant.NewInt(i8, 1))
			x.store(b().NewSelect(spk, rd, left), pg.ref, i)
		}
		x.store(b().NewZExt(spk, i8), pg.spk, i)
	})
}

// vecLanes is the width of the explicit vector loop (vectorLoop): 16 int32 lanes, one
// AVX-512 register; LLVM splits it on narrower hosts.
const vecLanes = 16

// vectorized reports whether population p runs the explicit vector loop in the fused
// layout: fused (see compartmentLoop) and a whole number of vectors.
func vectorized(p *popM) bool { return p.fused && p.n > 0 && p.n%vecLanes == 0 }

// vec is the vector of vecLanes elems.
func vec(elem *types.IntType) *types.VectorType { return types.NewVector(vecLanes, elem) }

// splat is the constant vector of vecLanes copies of c.
func splat(elem *types.IntType, c int64) constant.Constant {
	cs := make([]constant.Constant, vecLanes)
	for k := range cs {
		cs[k] = constant.NewInt(elem, c)
	}
	return constant.NewVector(vec(elem), cs...)
}

// vptr is the address of the vector of a's elements vecLanes·j ...
func (x *fb) vptr(a arrayRef, j value.Value) value.Value {
	p := x.b.NewGetElementPtr(a.elem, a.base, x.b.NewMul(j, ci64(vecLanes)))
	return x.b.NewBitCast(p, types.NewPointer(vec(a.elem)))
}

func (x *fb) vload(a arrayRef, j value.Value) value.Value {
	ld := x.b.NewLoad(vec(a.elem), x.vptr(a, j))
	ld.Align = ir.Align(a.elem.BitSize / 8)
	return ld
}

func (x *fb) vstore(v value.Value, a arrayRef, j value.Value) {
	st := x.b.NewStore(v, x.vptr(a, j))
	st.Align = ir.Align(a.elem.BitSize / 8)
}

// vparam is a uniform register as a splat, or the vector of its per-neuron array.
func (x *fb) vparam(v ivec, a *arrayRef, elem *types.IntType, j value.Value) value.Value {
	if a == nil {
		return splat(elem, v[0])
	}
	return x.vload(*a, j)
}

// vdecay is decay (spec §3, see fb.decay for the exactness argument) on a vector.
func (x *fb) vdecay(v value.Value, f ivec, fa *arrayRef, j value.Value, small bool) value.Value {
	if fa == nil {
		switch f[0] {
		case decayOne:
			return v
		case 0:
			return splat(i32, 0)
		}
	}
	fv := x.vparam(f, fa, i32, j)
	b := x.b
	var h value.Value = b.NewAShr(v, splat(i32, decayBits))
	if small {
		h = b.NewSExt(b.NewTrunc(h, vec(i16)), vec(i32))
	}
	l := b.NewAnd(v, splat(i32, decayOne-1))
	c := b.NewLShr(b.NewAShr(v, splat(i32, 31)), splat(i32, 32-decayBits))
	lo := b.NewLShr(b.NewAdd(b.NewMul(l, fv), c), splat(i32, decayBits))
	return b.NewAdd(b.NewMul(h, fv), lo)
}

// vectorLoop is the fused-layout compartment loop (compartmentLoop with fused) written
// as explicit vecLanes-wide vector code, so that the spike compare's mask is stored as
// vecLanes bits (pg.bits) instead of one byte per neuron: the spike scan then reads 64
// neurons per 64-bit word, and no byte-flag pass is needed. The arithmetic is that of
// compartmentLoop, lane by lane.
func (g *gen) vectorLoop(x *fb, pi int) {
	p, pg := &g.net.pops[pi], &g.pops[pi]
	bits16 := arrayRef{elem: i16, base: constant.NewBitCast(pg.bits.base, types.NewPointer(i16))}
	body := func(j value.Value) {
		b := func() *ir.Block { return x.b }
		// u_t = decay(u_{t−1}) + Σ contributions (fused layout); store decay(u_t)
		u := x.vload(pg.u, j)
		x.vstore(x.vdecay(u, p.decU, pg.decU, j, p.uSmall), pg.u, j)
		// u2 = u + bias (no wrap: uExact)
		var u2 value.Value = u
		if pg.bias != nil || p.bias[0] != 0 {
			u2 = b().NewAdd(u, x.vparam(p.bias, pg.bias, i32, j))
		}
		// v = clip(decay(v, dv) + u2, vmin, vmax)
		dv := x.vdecay(x.vload(pg.v, j), p.decV, pg.decV, j, p.vSmall)
		var v value.Value
		if p.satAdd {
			v = b().NewCall(g.vsaddSat, dv, u2)
		} else {
			v = b().NewAdd(dv, u2)
		}
		vmin := x.vparam(p.vmin, pg.vmin, i32, j)
		v = b().NewSelect(b().NewICmp(enum.IPredSLT, v, vmin), vmin, v)
		if !p.vmaxExact { // otherwise unobservable (buildModel)
			vmax := x.vparam(p.vmax, pg.vmax, i32, j)
			v = b().NewSelect(b().NewICmp(enum.IPredSGT, v, vmax), vmax, v)
		}
		var ref value.Value
		if p.needRef {
			// if refractory_left > 0: v = 0
			ref = x.vload(pg.ref, j)
			v = b().NewSelect(b().NewICmp(enum.IPredSGT, ref, splat(i8, 0)), splat(i32, 0), v)
		}
		// spike = v > (vth << 6); a spike resets v to 0
		keep := b().NewICmp(enum.IPredSLE, v, x.vparam(p.vth, pg.vth, i32, j))
		x.vstore(b().NewSelect(keep, v, splat(i32, 0)), pg.v, j)
		if p.needRef {
			// spike ? max(refract_delay − 1, 0) : usub.sat(left, 1)
			rd := x.vparam(refractLeft(p.refract), pg.refract, i8, j)
			left := b().NewCall(g.vusubSat, ref, splat(i8, 1))
			x.vstore(b().NewSelect(keep, left, rd), pg.ref, j)
		}
		// the complement of the spike mask (no knot on the port the loop is bound by;
		// scanBits inverts the word, reset fills the words with ones)
		x.store(b().NewBitCast(keep, i16), bits16, j)
	}
	// vecUnroll vectors per iteration (less loop overhead on the ports the vector
	// instructions use), the remaining nv mod vecUnroll straight after
	nv := int64(p.n / vecLanes)
	x.loop("vx", ci64(0), ci64(nv/vecUnroll), func(j value.Value) {
		ju := x.b.NewMul(j, ci64(vecUnroll))
		for k := int64(0); k < vecUnroll; k++ {
			body(x.b.NewAdd(ju, ci64(k)))
		}
	})
	for k := nv / vecUnroll * vecUnroll; k < nv; k++ {
		body(ci64(k))
	}
}

// vecUnroll is the number of vectors per iteration of the vector loop.
const vecUnroll = 4

// scanBits walks the spike bits of a vectorized population (vectorLoop: the complement
// of the spike mask) one 64-bit word at a time, visiting spikes lowest first, and calls
// fn for each (ascending index). Words past n hold ones from reset.
func (g *gen) scanBits(x *fb, pi int, fn func(n value.Value)) {
	pg := &g.pops[pi]
	x.loop("bw", ci64(0), ci64(int64(pg.bits.n)), func(w value.Value) {
		g.visitBits(x, x.b.NewXor(x.load(pg.bits, w), ci64(-1)), x.b.NewMul(w, ci64(64)), fn)
	})
}

// visitBits calls fn(base + k) for every set bit k of the 64-bit mask bits, lowest first.
func (g *gen) visitBits(x *fb, bits, base value.Value, fn func(n value.Value)) {
	pre := x.b
	head, body, done := x.block("bits.head"), x.block("bits.body"), x.block("bits.done")
	pre.NewBr(head)
	mask := head.NewPhi(ir.NewIncoming(bits, pre))
	head.NewCondBr(head.NewICmp(enum.IPredNE, mask, ci64(0)), body, done)
	x.b = body
	bit := x.b.NewCall(g.cttz, mask, constant.False)
	fn(x.b.NewTrunc(x.b.NewAdd(base, bit), i32))
	rest := x.b.NewAnd(mask, x.b.NewSub(mask, ci64(1))) // clear the lowest set bit
	mask.Incs = append(mask.Incs, ir.NewIncoming(rest, x.b))
	x.b.NewBr(head)
	x.b = done
}

// scan walks the spike flags of population pi 64 at a time: a <64 x i8> compare gives
// a 64-bit mask of the neurons that fired, whose set bits are visited lowest first
// (cttz), and calls fn for each (ascending index).
func (g *gen) scan(x *fb, pi int, fn func(n value.Value)) {
	pg := &g.pops[pi]
	vt := types.NewVector(64, i8)
	blocks := constant.NewBitCast(pg.spk.g, types.NewPointer(vt))
	x.loop("blk", ci64(0), ci64(int64(pg.spkWords/8)), func(blk value.Value) {
		vec := x.b.NewLoad(vt, x.b.NewGetElementPtr(vt, blocks, blk))
		bits := x.b.NewBitCast(x.b.NewICmp(enum.IPredNE, vec, constant.NewZeroInitializer(vt)), i64)
		g.visitBits(x, bits, x.b.NewMul(blk, ci64(64)), fn)
	})
}

// genStep emits snn_step(t): every compartment update, then the routing of the spikes
// of step t into the accumulator slots of t + 1 + delay (spec §2).
func (g *gen) genStep() {
	t := ir.NewParam("t", i32)
	f := g.m.NewFunc("snn_step", types.Void, t)
	g.step = f
	x := newFB(f)
	for pi := range g.net.pops {
		g.compartments(x, pi, t)
	}
	for pi := range g.net.pops {
		p, pg := &g.net.pops[pi], &g.pops[pi]
		if len(p.routes) == 0 && !p.fired {
			continue
		}
		if p.fired {
			x.b.NewStore(ci32(0), pg.nf)
		}
		visit := func(n value.Value) {
			if p.fired {
				k := x.b.NewLoad(i32, pg.nf)
				x.store(n, pg.fired, x.b.NewAdd(x.b.NewZExt(k, i64), ci64(1)))
				x.b.NewStore(x.b.NewAdd(k, ci32(1)), pg.nf)
			}
			for _, j := range p.routes {
				x.b.NewCall(g.projs[j].deliver, n, t)
			}
		}
		if !vectorized(p) {
			g.scan(x, pi, visit)
			continue
		}
		// the vector loop left spike bits, the classic loop spike bytes
		classic, fast, done := x.block("sc.classic"), x.block("sc.bits"), x.block("sc.done")
		keepU := x.b.NewICmp(enum.IPredNE, x.b.NewLoad(i32, g.keepU), ci32(0))
		x.b.NewCondBr(keepU, classic, fast)
		x.b = classic
		g.scan(x, pi, visit)
		x.b.NewBr(done)
		x.b = fast
		g.scanBits(x, pi, visit)
		x.b.NewBr(done)
		x.b = done
	}
	x.b.NewRet(nil)
}

// genInput emits snn_input(id, t): an external event of step t on flat input id,
// routed like a spike emitted at t. Ids outside every input are ignored.
func (g *gen) genInput() {
	id, t := ir.NewParam("id", i32), ir.NewParam("t", i32)
	g.input = g.m.NewFunc("snn_input", types.Void, id, t)
	g.routeInput(g.input, id, func(j int) *ir.Func { return g.projs[j].deliver }, t)
}

// genInputGraded emits snn_input_graded(id, t, val): a graded external event of step
// t on flat input id (a graded spike of size val, docs/loihi.md "Graded inputs"),
// routed like snn_input. Ids outside every input are ignored.
func (g *gen) genInputGraded() {
	id, t, val := ir.NewParam("id", i32), ir.NewParam("t", i32), ir.NewParam("val", types.Double)
	g.inputG = g.m.NewFunc("snn_input_graded", types.Void, id, t, val)
	g.routeInput(g.inputG, id, func(j int) *ir.Func { return g.projs[j].deliverG }, t, val)
}

// routeInput fills f: for the input holding flat id, call deliver(j) of each of its
// projections j with the local id followed by args.
func (g *gen) routeInput(f *ir.Func, id *ir.Param, deliver func(j int) *ir.Func, args ...value.Value) {
	x := newFB(f)
	for _, in := range g.net.inputs {
		if len(in.routes) == 0 {
			continue
		}
		local := x.b.NewSub(id, ci32(int64(in.offset)))
		x.when("in", x.b.NewICmp(enum.IPredULT, local, ci32(int64(in.size))), func() {
			for _, j := range in.routes {
				x.b.NewCall(deliver(j), append([]value.Value{local}, args...)...)
			}
		})
	}
	x.b.NewRet(nil)
}

func (x *fb) write(g *gen, ptr value.Value, size, count value.Value) {
	out := x.b.NewLoad(i8p, g.stdout)
	x.b.NewCall(g.fwrite, ptr, size, count, out)
}

// genProbe emits snn_probe(id): writes the row of one probe (see the protocol).
func (g *gen) genProbe() {
	id := ir.NewParam("id", i32)
	f := g.m.NewFunc("snn_probe", types.Void, id)
	g.probe = f
	x := newFB(f)
	entry := x.b
	done := x.block("done")
	done.NewRet(nil)
	var cases []*ir.Case
	for pi := range g.net.pops {
		p, pg := &g.net.pops[pi], &g.pops[pi]
		for _, va := range []struct {
			v int
			a arrayRef
		}{{varU, pg.u}, {varV, pg.v}, {varQ, pg.q}, {varSpikes, pg.spk}} {
			b := x.block(fmt.Sprintf("p%d.%d.", pi, va.v))
			x.b = b
			ptr := x.b.NewBitCast(va.a.base, i8p)
			x.write(g, ptr, ci64(int64(va.a.elem.BitSize/8)), ci64(int64(p.n)))
			x.b.NewBr(done)
			cases = append(cases, ir.NewCase(ci32(int64(pi*probeVars+va.v)), b))
		}
	}
	entry.NewSwitch(id, done, cases...)
}

// genEmit emits snn_emit(): the spikes of every output population this step.
func (g *gen) genEmit() {
	f := g.m.NewFunc("snn_emit", types.Void)
	g.emit = f
	x := newFB(f)
	for pi := range g.net.pops {
		if !g.net.pops[pi].fired {
			continue
		}
		pg := &g.pops[pi]
		n := x.b.NewZExt(x.b.NewLoad(i32, pg.nf), i64)
		x.write(g, x.b.NewBitCast(pg.fired.base, i8p), ci64(4), x.b.NewAdd(n, ci64(1)))
	}
	x.b.NewRet(nil)
}

// genMain emits the program entry: read the run request, reset, step, write.
func (g *gen) genMain() {
	// readn(p, n): fread exactly n bytes or exit(3).
	p, n := ir.NewParam("p", i8p), ir.NewParam("n", i64)
	rf := g.m.NewFunc("snn_readn", types.Void, p, n)
	rf.Linkage = enum.LinkageInternal
	g.readn = rf
	{
		x := newFB(rf)
		in := x.b.NewLoad(i8p, g.stdin)
		got := x.b.NewCall(g.fread, p, ci64(1), n, in)
		x.when("short", x.b.NewICmp(enum.IPredNE, got, n), func() {
			x.b.NewCall(g.exit, ci32(exitShortRead))
		})
		x.b.NewRet(nil)
	}
	f := g.m.NewFunc("main", i32)
	x := newFB(f)
	hdr := x.b.NewAlloca(types.NewArray(3, i32))
	hp := x.b.NewGetElementPtr(types.NewArray(3, i32), hdr, ci64(0), ci64(0))
	x.b.NewCall(rf, x.b.NewBitCast(hp, i8p), ci64(12))
	magic := x.b.NewLoad(i32, hp)
	x.when("badmagic", x.b.NewICmp(enum.IPredNE, magic, ci32(protoMagic)), func() {
		x.b.NewCall(g.exit, ci32(exitBadMagic))
	})
	steps := x.b.NewSExt(x.b.NewLoad(i32, x.b.NewGetElementPtr(i32, hp, ci64(1))), i64)
	np := x.b.NewSExt(x.b.NewLoad(i32, x.b.NewGetElementPtr(i32, hp, ci64(2))), i64)
	pbuf := x.b.NewCall(g.malloc, x.b.NewAdd(x.b.NewMul(np, ci64(4)), ci64(4)))
	x.b.NewCall(rf, pbuf, x.b.NewMul(np, ci64(4)))
	probes := x.b.NewBitCast(pbuf, types.NewPointer(i32))
	x.loop("keepq", ci64(0), np, func(i value.Value) {
		id := x.b.NewLoad(i32, x.b.NewGetElementPtr(i32, probes, i))
		x.when("isq", x.b.NewICmp(enum.IPredEQ, x.b.NewSRem(id, ci32(probeVars)), ci32(varQ)), func() {
			x.b.NewStore(ci32(1), g.keepQ)
		})
		// a u, q or spike-flag probe reads the classic layout (see compartmentLoop and
		// vectorLoop); a v probe reads the same v in both
		x.when("isu", x.b.NewICmp(enum.IPredNE, x.b.NewSRem(id, ci32(probeVars)), ci32(varV)), func() {
			x.b.NewStore(ci32(1), g.keepU)
		})
	})
	nevp := x.b.NewAlloca(i32)
	x.b.NewCall(rf, x.b.NewBitCast(nevp, i8p), ci64(4))
	nev := x.b.NewSExt(x.b.NewLoad(i32, nevp), i64)
	ebuf := x.b.NewCall(g.malloc, x.b.NewAdd(x.b.NewMul(nev, ci64(8)), ci64(8)))
	x.b.NewCall(rf, ebuf, x.b.NewMul(nev, ci64(8)))
	evs := x.b.NewBitCast(ebuf, types.NewPointer(i32))
	// graded events: (t, id, value bits) in 16 bytes each
	ngevp := x.b.NewAlloca(i32)
	x.b.NewCall(rf, x.b.NewBitCast(ngevp, i8p), ci64(4))
	ngev := x.b.NewSExt(x.b.NewLoad(i32, ngevp), i64)
	gbuf := x.b.NewCall(g.malloc, x.b.NewAdd(x.b.NewMul(ngev, ci64(16)), ci64(16)))
	x.b.NewCall(rf, gbuf, x.b.NewMul(ngev, ci64(16)))
	gevs := x.b.NewBitCast(gbuf, types.NewPointer(i32))
	kp := x.b.NewAlloca(i64)
	x.b.NewStore(ci64(0), kp)
	gp := x.b.NewAlloca(i64)
	x.b.NewStore(ci64(0), gp)
	x.b.NewCall(g.reset)
	x.loop("t", ci64(0), steps, func(t value.Value) {
		t32 := x.b.NewTrunc(t, i32)
		x.b.NewCall(g.step, t32)
		// external events of step t (sorted by t)
		head, body, done := x.block("ev.head"), x.block("ev.body"), x.block("ev.done")
		x.b.NewBr(head)
		k := head.NewLoad(i64, kp)
		more := head.NewICmp(enum.IPredSLT, k, nev)
		check := x.block("ev.check")
		head.NewCondBr(more, check, done)
		et := check.NewLoad(i32, check.NewGetElementPtr(i32, evs, check.NewMul(k, ci64(2))))
		check.NewCondBr(check.NewICmp(enum.IPredEQ, et, t32), body, done)
		eid := body.NewLoad(i32, body.NewGetElementPtr(i32, evs, body.NewAdd(body.NewMul(k, ci64(2)), ci64(1))))
		body.NewCall(g.input, eid, t32)
		body.NewStore(body.NewAdd(k, ci64(1)), kp)
		body.NewBr(head)
		x.b = done
		// graded events of step t (sorted by t)
		head, body, done = x.block("gev.head"), x.block("gev.body"), x.block("gev.done")
		x.b.NewBr(head)
		k = head.NewLoad(i64, gp)
		check = x.block("gev.check")
		head.NewCondBr(head.NewICmp(enum.IPredSLT, k, ngev), check, done)
		rec := check.NewMul(k, ci64(4))
		et = check.NewLoad(i32, check.NewGetElementPtr(i32, gevs, rec))
		check.NewCondBr(check.NewICmp(enum.IPredEQ, et, t32), body, done)
		eid = body.NewLoad(i32, body.NewGetElementPtr(i32, gevs, body.NewAdd(rec, ci64(1))))
		vp := body.NewBitCast(body.NewGetElementPtr(i32, gevs, body.NewAdd(rec, ci64(2))), types.NewPointer(types.Double))
		ev := body.NewLoad(types.Double, vp)
		ev.Align = 4
		body.NewCall(g.inputG, eid, t32, ev)
		body.NewStore(body.NewAdd(k, ci64(1)), gp)
		body.NewBr(head)
		x.b = done
		x.b.NewCall(g.emit)
		x.loop("pr", ci64(0), np, func(i value.Value) {
			x.b.NewCall(g.probe, x.b.NewLoad(i32, x.b.NewGetElementPtr(i32, probes, i)))
		})
	})
	mp := x.b.NewAlloca(i32)
	x.b.NewStore(ci32(protoMagic), mp)
	x.write(g, x.b.NewBitCast(mp, i8p), ci64(4), ci64(1))
	x.b.NewCall(g.fflush, x.b.NewLoad(i8p, g.stdout))
	x.b.NewRet(ci32(0))
}
