package quantize

import "math"

// Rounding selects how a real value becomes an integer.
type Rounding int

const (
	HalfAway   Rounding = iota // round to nearest, ties away from zero (math.Round)
	HalfEven                   // round to nearest, ties to even
	Floor                      // toward −∞
	TowardZero                 // truncate
	Ceil                       // toward +∞
)

func (r Rounding) String() string {
	switch r {
	case HalfAway:
		return "half_away"
	case HalfEven:
		return "half_even"
	case Floor:
		return "floor"
	case TowardZero:
		return "toward_zero"
	case Ceil:
		return "ceil"
	}
	return "unknown"
}

// Round rounds x with mode r.
func Round(x float64, r Rounding) float64 {
	switch r {
	case HalfEven:
		return math.RoundToEven(x)
	case Floor:
		return math.Floor(x)
	case TowardZero:
		return math.Trunc(x)
	case Ceil:
		return math.Ceil(x)
	}
	return math.Round(x)
}

// RoundInt rounds x and saturates it to [lo, hi]; sat reports whether it was clipped.
// NaN maps to 0 with sat set.
func RoundInt(x float64, r Rounding, lo, hi int64) (v int64, sat bool) {
	if math.IsNaN(x) {
		return 0, true
	}
	y := Round(x, r)
	if y < float64(lo) {
		return lo, true
	}
	if y > float64(hi) {
		return hi, true
	}
	return int64(y), false
}

// Saturate clips x to [lo, hi]; sat reports whether it was clipped.
func Saturate(x, lo, hi int64) (v int64, sat bool) {
	if x < lo {
		return lo, true
	}
	if x > hi {
		return hi, true
	}
	return x, false
}

// Wrap reduces x to a bits-bit two's-complement integer (bits in 1..64):
// ((x + 2^(bits−1)) mod 2^bits) − 2^(bits−1).
func Wrap(x int64, bits uint) int64 {
	s := 64 - bits
	return int64(uint64(x)<<s) >> s
}

// Shr0 shifts right rounding toward zero: sign(x)·(|x| >> n).
func Shr0(x int64, n uint) int64 {
	if x < 0 {
		return -((-x) >> n)
	}
	return x >> n
}

// ShiftExp multiplies by 2^e: a left shift for e ≥ 0, an arithmetic (flooring) right
// shift for e < 0.
func ShiftExp(x int64, e int) int64 {
	if e >= 0 {
		return x << uint(e)
	}
	return x >> uint(-e)
}

// SignedRange is the range of a bits-bit two's-complement integer.
func SignedRange(bits uint) (lo, hi int64) {
	return -(int64(1) << (bits - 1)), int64(1)<<(bits-1) - 1
}

// MantExp splits a non-negative real into mant·2^exp with mant ≤ maxMant, choosing the
// largest exponent-free precision: the smallest exp in [minExp, maxExp] for which the
// rounded mantissa fits. ok is false when even maxExp does not fit (mant is then
// saturated).
func MantExp(x float64, maxMant int64, minExp, maxExp int, r Rounding) (mant int64, exp int, ok bool) {
	neg := x < 0
	ax := math.Abs(x)
	for e := minExp; e <= maxExp; e++ {
		m := Round(ax/math.Ldexp(1, e), r)
		if m <= float64(maxMant) {
			mant = int64(m)
			if neg {
				mant = -mant
			}
			return mant, e, true
		}
	}
	mant = maxMant
	if neg {
		mant = -mant
	}
	return mant, maxExp, false
}
