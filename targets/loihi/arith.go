package loihi

import "github.com/snnc/snnc/quantize"

// Mode selects the compartment arithmetic (spec §1).
type Mode int

const (
	Chip Mode = iota // nengo-loihi / silicon-validated overflow behaviour (spec §3 "chip mode")
	Lava             // Lava PyDenseModelBitAcc + PyLifModelBitAcc, artifacts included
)

func (m Mode) String() string {
	if m == Lava {
		return "lava"
	}
	return "chip"
}

func parseMode(s string) (Mode, error) {
	switch s {
	case "", "chip":
		return Chip, nil
	case "lava":
		return Lava, nil
	}
	return Chip, errorf(ErrMode, "--loihi-mode %q: want chip or lava", s)
}

// Bit widths of spec §3 (also in HW for reports; these are the compile-time constants
// the hot loop uses).
const (
	qBits     = 21 // q = wrap(·, 21): 22-bit two's complement
	uBits     = 23 // u, u+bias = wrap(·, 23): 24-bit
	decayBits = 12 // decay(x, D) = shr0(x·(4096 − D), 12)
	decayOne  = 1 << decayBits
	vthShift  = 6 // spike = v > vth << 6
	wShift    = 6 // synaptic contribution shexp(w, e) << 6
	lavaU     = int64(1) << 23
	lavaVLim  = int64(1)<<23 - 1
)

// decayBy applies a decay factor f = 4096 − D: spec §3 decay(x, D) = shr0(x·(4096 − D), 12).
func decayBy(x, f int64) int64 {
	y := x * f
	if y < 0 {
		return -((-y) >> decayBits)
	}
	return y >> decayBits
}

// decay is spec §3 decay(x, D).
func decay(x, d int64) int64 { return decayBy(x, decayOne-d) }

// shexp is spec §3 shexp(x, e): x << e for e ≥ 0, arithmetic (flooring) x >> −e otherwise.
func shexp(x int64, e int) int64 { return quantize.ShiftExp(x, e) }

// wrap is spec §3 wrap(x, b) = ((x + 2^b) mod 2^(b+1)) − 2^b: a (b+1)-bit two's-complement
// wrap, done by sign extension from bit b.
func wrap(x int64, b uint) int64 { return int64(uint64(x)<<(63-b)) >> (63 - b) }

// Cx holds one compartment's parameters in the form the update uses.
type Cx struct {
	DecU    int64 // 4096 − (du + 1)  (chip and lava: ds_offset = 1, spec §3)
	DecV    int64 // 4096 − dv        (dm_offset = 0)
	Bias    int64 // shexp(bias_mant, bias_exp)
	Vth     int64 // vth << 6
	Vmin    int64 // −2^neg_vm_limit + 1 (chip); −(2^23 − 1) (lava)
	Vmax    int64 // 2^(9 + 2·pos_vm_limit) − 1 (chip); 2^23 − 1 (lava)
	Refract int32 // refract_delay (chip; lava has none)
}

// State is one compartment's dynamic state.
type State struct {
	U, V int64
	Ref  int32 // refractory steps left
}

// NewCx builds a compartment from its register values (spec §3, §5).
func NewCx(m Mode, du, dv, vth, biasMant int64, biasExp int, refract int32, negVm, posVm int) Cx {
	c := Cx{DecU: decayOne - (du + 1), DecV: decayOne - dv, Bias: shexp(biasMant, biasExp), Vth: vth << vthShift, Refract: refract}
	if m == Lava {
		c.Vmin, c.Vmax = -lavaVLim, lavaVLim
	} else {
		c.Vmin = -(int64(1) << uint(negVm)) + 1
		c.Vmax = int64(1)<<uint(9+2*posVm) - 1
	}
	return c
}

// ChipStep is the chip-mode update of spec §3. acc is the dendritic accumulator of this
// step: the sum of shexp(w, weight_exp) << 6 over delivered synapses (any number of
// int32/int64 wraps of that sum give the same q). It returns q and whether it spiked.
func ChipStep(p *Cx, s *State, acc int64) (q int64, spike bool) {
	q = wrap(acc, qBits)                     // 22-bit accumulator
	u := wrap(decayBy(s.U, p.DecU)+q, uBits) // 24-bit u
	u2 := wrap(u+p.Bias, uBits)              // 24-bit u + bias
	v := decayBy(s.V, p.DecV) + u2           // voltage
	v = min(max(v, p.Vmin), p.Vmax)          // clip to [vmin, vmax]
	if s.Ref > 0 {                           // refractory: v held at 0
		v = 0
	}
	spike = v > p.Vth // strict threshold
	if spike {
		v = 0
		s.Ref = p.Refract
	}
	if s.Ref > 0 {
		s.Ref--
	}
	s.U, s.V = u, v
	return q, spike
}

// LavaStep is the lava-mode update of spec §3. a is shexp(Σ w, weight_exp) summed over
// the projections delivering this step (exponent applied to each projection's per-step
// sum, as Lava's Dense does).
func LavaStep(p *Cx, s *State, a int64) (spike bool) {
	u := decayBy(s.U, p.DecU) + a<<wShift
	if u > lavaU { // single conditional wrap (Lava artifact)
		u -= 2 * lavaU
	} else if u <= -lavaU {
		u += 2 * lavaU
	}
	v := decayBy(s.V, p.DecV) + u + p.Bias
	v = min(max(v, -lavaVLim), lavaVLim) // clip before the threshold test
	spike = v > p.Vth
	if spike {
		v = 0
	}
	s.U, s.V = u, v
	return spike
}

// SynChip is the per-synapse accumulator contribution in chip mode (spec §3, notes §3.2:
// per-synapse flooring for negative exponents).
func SynChip(w int64, e int) int64 { return shexp(w, e) << wShift }
