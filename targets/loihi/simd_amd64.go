//go:build amd64 && !noasm

package loihi

// chipUniformAVX2 is chipUniform over n compartments (n a positive multiple of 8) with
// 8-lane int32 AVX2 arithmetic (simd_amd64.s); out points at the first free fired slot
// (room for n ids). It returns the number of compartments whose accumulator, u and v
// were all zero before the update (0 when bias ≠ 0: all are active), and the number of
// fired ids written.
//
//go:noescape
func chipUniformAVX2(p *cxp, cur, us, vs, rs, out *int32, n int, base int32) (zeros, fired int)

// chipUniformAVX512 is chipUniformAVX2 on 16 lanes, for any n ≥ 1 (a masked last block).
//
//go:noescape
func chipUniformAVX512(p *cxp, cur, us, vs, rs, out *int32, n int, base int32) (zeros, fired int)

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv0() (eax uint32)

// cpuFeatures reads AVX2 support (CPUID.7.EBX[5], OSXSAVE and AVX in CPUID.1.ECX[27, 28],
// XMM and YMM state enabled in XCR0) and AVX-512 F, DQ, BW (CPUID.7.EBX[16, 17, 30]) with
// POPCNT (CPUID.1.ECX[23]) and opmask/ZMM state enabled in XCR0 (bits 5–7).
func cpuFeatures() (avx2, avx512 bool) {
	if max, _, _, _ := cpuid(0, 0); max < 7 {
		return false, false
	}
	_, _, c1, _ := cpuid(1, 0)
	if c1&(1<<27) == 0 || c1&(1<<28) == 0 {
		return false, false
	}
	xcr0 := xgetbv0()
	if xcr0&6 != 6 {
		return false, false
	}
	_, b7, _, _ := cpuid(7, 0)
	avx2 = b7&(1<<5) != 0
	const f, dq, bw = 1 << 16, 1 << 17, 1 << 30
	avx512 = avx2 && b7&(f|dq|bw) == f|dq|bw && c1&(1<<23) != 0 && xcr0&0xe6 == 0xe6
	return avx2, avx512
}

var hasAVX2, hasAVX512 = cpuFeatures()

// simdKernels lists the vector updates this CPU runs, fastest first.
var simdKernels = func() []simdKernel {
	var ks []simdKernel
	if hasAVX512 {
		ks = append(ks, simdKernel{"avx512", 16, true, chipUniformAVX512})
	}
	if hasAVX2 {
		ks = append(ks, simdKernel{"avx2", 8, false, chipUniformAVX2})
	}
	return ks
}()
