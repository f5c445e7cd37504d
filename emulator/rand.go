package emulator

import "math"

// Rand is a seeded xoshiro256** stream. Each core or device draws from its own stream
// (NewRand(seed, stream)), so results do not depend on scheduling.
type Rand struct{ s [4]uint64 }

func splitmix(x *uint64) uint64 {
	*x += 0x9e3779b97f4a7c15
	z := *x
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// NewRand returns the stream numbered stream of the generator seeded with seed.
func NewRand(seed, stream uint64) *Rand {
	x := seed ^ (stream * 0xd1b54a32d192ed03)
	r := &Rand{}
	for i := range r.s {
		r.s[i] = splitmix(&x)
	}
	return r
}

func rotl(x uint64, k uint) uint64 { return (x << k) | (x >> (64 - k)) }

// Uint64 returns the next 64 random bits.
func (r *Rand) Uint64() uint64 {
	s := &r.s
	res := rotl(s[1]*5, 7) * 9
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = rotl(s[3], 45)
	return res
}

// Float64 returns a uniform value in [0, 1).
func (r *Rand) Float64() float64 { return float64(r.Uint64()>>11) / (1 << 53) }

// Intn returns a uniform value in [0, n).
func (r *Rand) Intn(n int) int { return int((r.Uint64() >> 1) % uint64(n)) }

// Norm returns a standard normal value (Box–Muller, one value per call).
func (r *Rand) Norm() float64 {
	u := r.Float64()
	for u == 0 {
		u = r.Float64()
	}
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*r.Float64())
}

// FillNorm fills dst with independent standard normal values, two per Box–Muller draw.
func (r *Rand) FillNorm(dst []float64) {
	for i := 0; i < len(dst); i += 2 {
		u := r.Float64()
		for u == 0 {
			u = r.Float64()
		}
		m := math.Sqrt(-2 * math.Log(u))
		s, c := math.Sincos(2 * math.Pi * r.Float64())
		dst[i] = m * c
		if i+1 < len(dst) {
			dst[i+1] = m * s
		}
	}
}
