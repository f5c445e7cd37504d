package quantize

import "math"

// Format8 is a weight format in a 2^Domain mantissa domain (Loihi: Domain 8): Bits
// stored bits and a sign mode. Mixed mode spends one stored bit on the sign, so its
// domain values are multiples of 2^Shift with Shift = Domain − Bits + 1.
type Format8 struct {
	Domain int // domain bits (8 on Loihi)
	Bits   int // stored bits 1..Domain
	Sign   SignMode
}

// Shift is the number of low domain bits that are always zero.
func (f Format8) Shift() int {
	s := f.Domain - f.Bits
	if f.Sign == SignMixed {
		s++
	}
	return s
}

// Range is the clip range in the domain: exc [0, 2^D−1], inh [−(2^D−1), 0],
// mixed [−2^D, 2^D−1] (legalization then floors to a multiple of 2^Shift).
func (f Format8) Range() (lo, hi int64) {
	m := int64(1) << uint(f.Domain)
	switch f.Sign {
	case SignExc:
		return 0, m - 1
	case SignInh:
		return -(m - 1), 0
	}
	return -m, m - 1
}

// MaxMag is the largest magnitude a legal weight can have on the side that limits the
// scale (mixed: 2^D − 2^Shift, the largest positive legal value).
func (f Format8) MaxMag() int64 {
	lo, hi := f.Range()
	if f.Sign == SignInh {
		return -f.Legalize(lo)
	}
	return f.Legalize(hi)
}

// Legalize clips w to the sign mode's range, then zeroes the Shift low bits by flooring
// ((w >> s) << s), as Lava's weight truncation does (loihi.md §4). For inh the magnitude
// is floored (the negated value is truncated).
func (f Format8) Legalize(w int64) int64 {
	lo, hi := f.Range()
	w, _ = Saturate(w, lo, hi)
	s := uint(f.Shift())
	if f.Sign == SignInh {
		return -(((-w) >> s) << s)
	}
	return (w >> s) << s
}

// WeightStats summarizes one quantized weight set.
type WeightStats struct {
	N         int     // weights
	Clipped   int     // outside the format's range before clipping
	Rounded   int     // changed by rounding or low-bit truncation
	Zeroed    int     // non-zero weights that became 0
	MaxAbsErr float64 // max |dequantized − original|, in the original units
}

// QuantizeWeights maps real weights w to legal domain integers: round(w·scale) with r,
// then Legalize. The returned stats are in w's units.
func QuantizeWeights(w []float64, scale float64, f Format8, r Rounding) ([]int64, WeightStats) {
	out := make([]int64, len(w))
	st := WeightStats{N: len(w)}
	lo, hi := f.Range()
	for k, x := range w {
		y := x * scale
		v, sat := RoundInt(y, r, math.MinInt32, math.MaxInt32)
		q := f.Legalize(v)
		if sat || v < lo || v > hi {
			st.Clipped++
		} else if float64(q) != y {
			st.Rounded++
		}
		if q == 0 && x != 0 {
			st.Zeroed++
		}
		out[k] = q
		if scale != 0 {
			st.MaxAbsErr = math.Max(st.MaxAbsErr, math.Abs(float64(q)/scale-x))
		}
	}
	return out, st
}

// LegalizeInts legalizes integer domain weights, counting how many changed.
func LegalizeInts(w []int64, f Format8) (out []int64, changed int) {
	out = make([]int64, len(w))
	for k, x := range w {
		out[k] = f.Legalize(x)
		if out[k] != x {
			changed++
		}
	}
	return out, changed
}

// ChooseExponent returns the smallest e in [minE, maxE] such that maxAbs·scale/2^e ≤ mag:
// the finest resolution at which the largest weight still fits. ok is false when even
// maxE overflows (the caller clips and reports).
func ChooseExponent(maxAbs, mag float64, minE, maxE int) (e int, ok bool) {
	for e = minE; e <= maxE; e++ {
		if maxAbs/math.Ldexp(1, e) <= mag {
			return e, true
		}
	}
	return maxE, false
}
