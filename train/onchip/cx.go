package onchip

// Hardware constants of the compartment and synapse arithmetic (notes §1–3, spec loihi.md §3).
const (
	decayBits = 12 // decay(x, D) = shr0(x·(4096 − D), 12)
	decayOne  = 1 << decayBits
	qBits     = 21 // dendritic accumulator: 22-bit two's complement
	uBits     = 23 // u and u + bias: 24-bit two's complement
	vthShift  = 6  // spike = v > vth << 6
	wShift    = 6  // a synapse adds shexp(w, wgtExp) << 6
)

// Compartment holds the register values of one compartment profile (notes §1), shared by
// all postsynaptic compartments of an Engine.
type Compartment struct {
	Du, Dv       int   // decay registers 0..4095 (u decays by du + 1: dsOffset = 1; v by dv: dmOffset = 0)
	Vth          int64 // threshold mantissa 0..131071 (compared as v > vth << 6)
	BiasMant     int64 // -4096..4095
	BiasExp      int   // 0..7
	RefractDelay int   // 1..63 (1 = no refractory period)
	NegVmLimit   int   // 0..31; vmin = −2^NegVmLimit + 1 (0 means the default 23)
	PosVmLimit   int   // 0..7;  vmax = 2^(9 + 2·PosVmLimit) − 1 (0 with NegVmLimit 0 means the default 7)
}

func (c Compartment) validate() error {
	switch {
	case c.Du < 0 || c.Du >= decayOne:
		return configf("compartment du = %d: want 0..4095", c.Du)
	case c.Dv < 0 || c.Dv >= decayOne:
		return configf("compartment dv = %d: want 0..4095", c.Dv)
	case c.Vth < 0 || c.Vth >= 1<<17:
		return configf("compartment vth = %d: want 0..131071 (17 bits)", c.Vth)
	case c.BiasMant < -4096 || c.BiasMant > 4095:
		return configf("compartment bias_mant = %d: want -4096..4095 (13 bits signed)", c.BiasMant)
	case c.BiasExp < 0 || c.BiasExp > 7:
		return configf("compartment bias_exp = %d: want 0..7", c.BiasExp)
	case c.RefractDelay < 1 || c.RefractDelay > 63:
		return configf("compartment refract_delay = %d: want 1..63", c.RefractDelay)
	case c.NegVmLimit < 0 || c.NegVmLimit > 31:
		return configf("compartment neg_vm_limit = %d: want 0..31", c.NegVmLimit)
	case c.PosVmLimit < 0 || c.PosVmLimit > 7:
		return configf("compartment pos_vm_limit = %d: want 0..7", c.PosVmLimit)
	}
	return nil
}

// cx is a Compartment in the form the update uses.
type cx struct {
	decU, decV int64 // 4096 − (du + 1), 4096 − dv
	bias       int64
	vth        int64 // vth << 6
	vmin, vmax int64
	refract    int32
}

func (c Compartment) compile() cx {
	neg, pos := c.NegVmLimit, c.PosVmLimit
	if neg == 0 && pos == 0 {
		neg, pos = 23, 7 // spec loihi.md §3 defaults
	}
	return cx{
		decU:    decayOne - int64(c.Du+1),
		decV:    decayOne - int64(c.Dv),
		bias:    shexp(c.BiasMant, c.BiasExp),
		vth:     c.Vth << vthShift,
		vmin:    -(int64(1) << uint(neg)) + 1,
		vmax:    int64(1)<<uint(9+2*pos) - 1,
		refract: int32(c.RefractDelay),
	}
}

// cxState is one compartment's dynamic state.
type cxState struct {
	u, v int64
	ref  int32
}

// shr0 is notes §2.2 shr0(x, n) = sign(x)·(|x| >> n): shift toward zero.
func shr0(x int64, n uint) int64 {
	if x < 0 {
		return -((-x) >> n)
	}
	return x >> n
}

// shexp is notes §2.2 shiftexp(x, e): x << e for e ≥ 0, arithmetic (flooring) x >> −e.
func shexp(x int64, e int) int64 {
	if e >= 0 {
		return x << uint(e)
	}
	return x >> uint(-e)
}

// wrap is notes §2.2 wrapN(x, b): a (b+1)-bit two's-complement wrap by sign extension.
func wrap(x int64, b uint) int64 { return int64(uint64(x)<<(63-b)) >> (63 - b) }

// step is the "chip" compartment update of notes §2.4 / loihi.md §3: acc is this step's
// dendritic input, the sum over delivered synapses of shexp(w, wgtExp) << 6.
func (p *cx) step(s *cxState, acc int64) bool {
	q := wrap(acc, qBits)                           // 22-bit dendritic accumulator
	u := wrap(shr0(s.u*p.decU, decayBits)+q, uBits) // 24-bit u; decay rounds toward zero
	u2 := wrap(u+p.bias, uBits)                     // 24-bit u + bias
	v := shr0(s.v*p.decV, decayBits) + u2
	v = min(max(v, p.vmin), p.vmax) // clip before the threshold test
	if s.ref > 0 {                  // refractory: v held at 0, u keeps integrating (§4.1)
		v = 0
	}
	spike := v > p.vth // strict
	if spike {
		v = 0
		s.ref = p.refract
	}
	if s.ref > 0 {
		s.ref--
	}
	s.u, s.v = u, v
	return spike
}
