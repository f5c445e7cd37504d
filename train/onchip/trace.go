package onchip

import (
	"math"

	"github.com/snnc/snnc/emulator"
)

// Trace widths (notes §6: traces are 7-bit unsigned, impulse fractions in 1/128 units).
const (
	TraceBits = 7
	TraceMax  = 1<<TraceBits - 1 // 127
	fracBits  = 7                // impulse fraction resolution (nengo tracing_mag units)
)

// TraceCfg configures one trace (x1, x2, y1, y2, y3 or r1). The zero value is a trace that
// never moves (impulse 0), which a rule may still read (as 0).
type TraceCfg struct {
	Impulse     int // integer part added on a spike, 0..127
	ImpulseFrac int // fractional part in 1/128: +1 more with probability ImpulseFrac/128; 0..127
	Decay       int // per-step decay D in 1/4096, 0..4096: x ← x·(4096 − D)/4096, stochastically rounded
}

// TraceFromTau returns the TraceCfg closest to an impulse (in trace units, may be
// fractional) and an exponential time constant tau in steps (tau ≤ 0: no decay).
func TraceFromTau(impulse, tau float64) TraceCfg {
	c := TraceCfg{}
	if impulse > 0 {
		impulse = math.Min(impulse, TraceMax)
		c.Impulse = int(math.Floor(impulse))
		c.ImpulseFrac = int(math.Round((impulse - math.Floor(impulse)) * (1 << fracBits)))
		if c.ImpulseFrac == 1<<fracBits {
			c.Impulse, c.ImpulseFrac = min(c.Impulse+1, TraceMax), 0
		}
	}
	if tau > 0 {
		c.Decay = int(math.Round(decayOne * (1 - math.Exp(-1/tau))))
	}
	return c
}

func (c TraceCfg) validate(name string) error {
	switch {
	case c.Impulse < 0 || c.Impulse > TraceMax:
		return configf("trace %s impulse = %d: want 0..%d (7 bits)", name, c.Impulse, TraceMax)
	case c.ImpulseFrac < 0 || c.ImpulseFrac >= 1<<fracBits:
		return configf("trace %s impulse_frac = %d: want 0..127 (1/128 units)", name, c.ImpulseFrac)
	case c.Decay < 0 || c.Decay > decayOne:
		return configf("trace %s decay = %d: want 0..4096 (1/4096 units)", name, c.Decay)
	}
	return nil
}

// uniformBits returns a uniform integer in [0, 2^bits).
func uniformBits(r *emulator.Rand, bits uint) int64 { return int64(r.Uint64() >> (64 - bits)) }

// decayTrace is one step of trace decay with stochastic rounding (notes §6 "x ← x·exp(−Δt/τ),
// then stochastic rounding (floor + Bernoulli(frac))"; the per-step 12-bit factor is this
// package's integer form of it [inferred]). The expected value is exactly x·(4096 − D)/4096.
func decayTrace(x int32, c *TraceCfg, r *emulator.Rand) int32 {
	if x == 0 || c.Decay == 0 {
		return x
	}
	p := int64(x) * int64(decayOne-c.Decay)
	y := p >> decayBits
	if frac := p & (decayOne - 1); frac != 0 && uniformBits(r, decayBits) < frac {
		y++
	}
	return int32(y)
}

// impulseTrace adds a spike's impulse: x + int (+1 with probability frac/128), saturated
// to 0..127 (notes §6; Lava's _add_impulse).
func impulseTrace(x int32, c *TraceCfg, r *emulator.Rand) int32 {
	y := int64(x) + int64(c.Impulse)
	if c.ImpulseFrac != 0 && uniformBits(r, fracBits) < int64(c.ImpulseFrac) {
		y++
	}
	return int32(min(y, TraceMax))
}
