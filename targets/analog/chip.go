package analog

import (
	"math"

	"github.com/snnc/snnc/emulator"
)

// Random streams of one chip instance (emulator.NewRand(seed, stream)).
const (
	streamMismatch = 0x100 // + parameter index
	streamDrift    = 0x200 // + parameter index
	streamTemp     = 0x300 // + parameter index
	streamNoise    = 0x400 // + emulator core index
)

// tempCoefCV is the neuron-to-neuron spread of the temperature coefficient.
const tempCoefCV = 0.25

// minFactor bounds a mismatch factor away from zero (a circuit never inverts).
const minFactor = 0.1

// chip is one chip instance: the fixed-pattern deviation of every neuron's parameters
// from the DAC's ideal transfer. It is drawn from the load seed and never leaves the
// package: images, reports, traces and Machine methods do not expose it.
type chip struct {
	prof *Profile
	seed uint64
	// factor[param][column] multiplies the ideal DAC value (mismatch × drift × temperature).
	factor [nParam][]float64
	noise  float64 // temporal-noise scale (--noise)
}

// conditions are the switches that shape a chip instance.
type conditions struct {
	Mismatch    float64 // scale of the fixed-pattern CV (1: the profile's)
	Noise       float64 // scale of the membrane noise
	AgeDays     float64 // time since calibration (or since the nominal trim), days
	Temperature float64 // kelvin
	RefTemp     float64 // temperature the chip was calibrated (or trimmed) at
}

// newChip draws the chip instance seed of profile p.
func newChip(p *Profile, seed uint64, c conditions) *chip {
	ch := &chip{prof: p, seed: seed, noise: c.Noise}
	n := p.Neurons
	for k := 0; k < nParam; k++ {
		f := make([]float64, n)
		mis := emulator.NewRand(seed, streamMismatch+uint64(k))
		drift := emulator.NewRand(seed, streamDrift+uint64(k))
		temp := emulator.NewRand(seed, streamTemp+uint64(k))
		sigD := p.DriftPerDay * math.Sqrt(math.Max(c.AgeDays, 0))
		dT := c.Temperature - c.RefTemp
		for j := range f {
			// Draw all three streams for every neuron so that one switch never changes
			// another's pattern.
			m, d, tc := mis.Norm(), drift.Norm(), temp.Norm()
			v := 1 + p.MismatchCV*c.Mismatch*m
			v *= 1 + sigD*d
			v *= 1 + p.TempCoef*(1+tempCoefCV*tc)*dT
			f[j] = math.Max(v, minFactor)
		}
		ch.factor[k] = f
	}
	return ch
}

// value is what parameter param of column col really is at DAC code code.
func (ch *chip) value(param, col, code int) float64 {
	return ch.prof.dacValue(param, code) * ch.factor[param][col]
}
