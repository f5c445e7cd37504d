package loihi

// SIMD compartment update (issue 3 item 6). chipUniformAVX2 / chipUniformAVX512
// (simd_amd64.s) run the chip-mode update of spec §3 eight / sixteen compartments at a
// time in exact 32-bit arithmetic;
// the scalar chipUniform stays the reference and the fallback (other CPUs, the noasm
// build tag, parameters outside simdParamsOK, and the n mod 8 tail). TestSIMDMatchesScalar
// compares the two on random and extreme states.
//
// Why 32 bits are exact:
//   - decay(x, f) = shr0(x·f, 12) = sign(x)·((|x|·f) >> 12) for any int32 x and
//     0 ≤ f ≤ 4096: with a = |x| as uint32 (≤ 2^31), a·f = (a >> 12)·f·4096 + (a & 4095)·f,
//     so (a·f) >> 12 = (a >> 12)·f + (((a & 4095)·f) >> 12); both terms and the sum are
//     ≤ a ≤ 2^31 (f ≤ 4096), and negating mod 2^32 restores the sign, 2^31 → −2^31
//     (decay32; the AVX2 kernel). Equivalently, in floor form (decay32Floor; the AVX-512
//     kernel, targets/llvm's decomposition): with h = x >> 12, l = x & 4095 and
//     c = x < 0 ? 4095 : 0, decay = h·f + ((l·f + c) >> 12), where h·f may wrap but the
//     sum is exact because |decay| ≤ |x|. TestDecay32SIMD checks both on every edge.
//   - u: wrap(decay(u) + q, 23) only keeps the low 24 bits, which 32-bit wrapping adds
//     preserve; likewise wrap(u + bias, 23) for any int32 bias.
//   - v: decay(v) is exact, but decay(v) + u2 could overflow int32 for a v near ±2^31
//     (only reachable from an out-of-range initial state). decay(v) is clamped to ±2^30
//     first: |u2| < 2^23, so the sum cannot wrap, and while |vmin|, |vmax| ≤ 2^29 a
//     clamped sum lies beyond both bounds exactly when the true sum does, on the same
//     side, so clip(·, vmin, vmax) — max then min, as the scalar code — is unchanged.
//   - refractory and spike masks, the strict threshold (signed compare) and the refr
//     load are lane-wise the scalar code's operations.

// simdKernel is one vector implementation of chipUniform over n compartments (n a
// positive multiple of lanes, or any n ≥ 1 if masked); out points at the first free fired slot (room for n
// ids). It returns the number of compartments whose accumulator, u and v were all zero
// before the update (meaningful when bias = 0) and the number of fired ids written.
type simdKernel struct {
	name   string
	lanes  int
	masked bool // handles a partial last block itself (AVX-512 masks)
	fn     func(p *cxp, cur, us, vs, rs, out *int32, n int, base int32) (zeros, fired int)
}

// useSIMD is the kernel chipUniformFast runs: the fastest this CPU supports (AVX-512,
// else AVX2), nil for the scalar loop (no such CPU, the noasm tag; tests switch kernels).
var useSIMD = func() *simdKernel {
	if len(simdKernels) == 0 {
		return nil
	}
	return &simdKernels[0]
}()

// simdParamsOK reports whether p is inside the range where the 32-bit update is exact:
// decay factors in [0, 4096] and |vmin|, |vmax| ≤ 2^29. Every compartment built by NewCx
// in chip mode qualifies.
func simdParamsOK(p cxp) bool {
	const lim = 1 << 29
	return p.decU >= 0 && p.decU <= decayOne && p.decV >= 0 && p.decV <= decayOne &&
		p.vmin >= -lim && p.vmin <= lim && p.vmax >= -lim && p.vmax <= lim
}

// chipUniformFast is chipUniform followed by clearing cur, with the whole range (AVX-512)
// or the head that is a multiple of the vector width (AVX2) run by the useSIMD kernel (which zeroes cur as it goes)
// when there is one and p qualifies. out must have room for len(cur) ids after k.
func chipUniformFast(p cxp, cur, us, vs, rs []int32, out []int32, k int, base int32) (int, int) {
	n := len(cur)
	kern := useSIMD
	if kern == nil || (n < kern.lanes && !kern.masked) || n == 0 || !simdParamsOK(p) {
		active, k := chipUniform(p, cur, us, vs, rs, out, k, base)
		clear(cur)
		return active, k
	}
	nv := n &^ (kern.lanes - 1)
	if kern.masked {
		nv = n
	}
	us, vs, rs, out = us[:n], vs[:n], rs[:n], out[:k+n]
	zeros, fired := kern.fn(&p, &cur[0], &us[0], &vs[0], &rs[0], &out[k], nv, base)
	k += fired
	active := nv - zeros
	if nv < n {
		var a int
		a, k = chipUniform(p, cur[nv:], us[nv:], vs[nv:], rs[nv:], out, k, base+int32(nv))
		clear(cur[nv:])
		active += a
	}
	if p.bias != 0 {
		active = n
	}
	return active, k
}

// decay32 is the 32-bit decay the assembly computes (see DECAY in simd_amd64.s):
// sign(x)·((|x|·f) >> 12) with |x| taken as uint32, (|x|·f) >> 12 split as
// (|x| >> 12)·f + (((|x| & 4095)·f) >> 12) so no product exceeds 32 bits.
func decay32(x, f int32) int32 {
	a := uint32(x)
	if x < 0 {
		a = -a
	}
	m := (a>>decayBits)*uint32(f) + ((a&(decayOne-1))*uint32(f))>>decayBits
	if x < 0 {
		return int32(-m)
	}
	return int32(m)
}

// decay32Floor is the floor-form 32-bit decay of the AVX-512 kernel (DECAY512).
func decay32Floor(x, f int32) int32 {
	h := x >> decayBits
	l := x & (decayOne - 1)
	c := int32(uint32(x>>31) >> (32 - decayBits))
	lo := int32(uint32(l*f+c) >> decayBits)
	return h*f + lo
}
