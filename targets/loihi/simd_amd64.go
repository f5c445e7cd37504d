//go:build amd64 && !noasm

package loihi

import "golang.org/x/sys/cpu"

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

// The kernels need AVX2, and for 16 lanes AVX-512 F, DQ and BW with POPCNT; x/sys/cpu
// also checks that the OS saves the vector state.
var (
	hasAVX2   = cpu.X86.HasAVX2
	hasAVX512 = hasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512BW && cpu.X86.HasPOPCNT
)

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
