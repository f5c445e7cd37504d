//go:build amd64 && !noasm

#include "textflag.h"

// ±2^30: decay(v) is clamped to this range before u2 is added, so the 32-bit sum cannot
// overflow (simd.go explains why the clip result is unchanged).
DATA clampLo<>+0(SB)/8, $0xc0000000c0000000
DATA clampLo<>+8(SB)/8, $0xc0000000c0000000
DATA clampLo<>+16(SB)/8, $0xc0000000c0000000
DATA clampLo<>+24(SB)/8, $0xc0000000c0000000
GLOBL clampLo<>(SB), RODATA|NOPTR, $32

DATA clampHi<>+0(SB)/8, $0x4000000040000000
DATA clampHi<>+8(SB)/8, $0x4000000040000000
DATA clampHi<>+16(SB)/8, $0x4000000040000000
DATA clampHi<>+24(SB)/8, $0x4000000040000000
GLOBL clampHi<>(SB), RODATA|NOPTR, $32

// DECAY computes decay(x, f) = shr0(x·f, 12) exactly in 32 bits (simd.go, decay32):
// h·f + ((l·f + c) >>> 12) with h = x >> 12, l = x & 4095, c = x < 0 ? 4095 : 0.
// l·f uses VPMADDWD (l < 2^12 and f ≤ 2^12 both fit an int16; the high halves are 0).
// x is clobbered; the result is in h; t is a temporary. Y7 holds 4095 in every lane.
#define DECAY(x, f, h, t) \
	VPSRAD   $12, x, h; \
	VPMULLD  f, h, h;   \
	VPAND    Y7, x, t;  \
	VPMADDWD f, t, t;   \
	VPSRAD   $31, x, x; \
	VPSRLD   $20, x, x; \
	VPADDD   x, t, t;   \
	VPSRLD   $12, t, t; \
	VPADDD   t, h, h

// func chipUniformAVX2(p *cxp, cur, us, vs, rs, out *int32, n int, base int32) (zeros, fired int)
//
// The chip-mode update of chipUniform for n compartments (n a positive multiple of 8),
// 8 per iteration. Per lane, exactly as the scalar loop:
//	zeros += (a | u | v) == 0                       (active count, before the update)
//	q  = a << 10 >> 10                              wrap(acc, 21)
//	un = (decay(u, decU) + q) << 8 >> 8             wrap(·, 23)
//	u2 = (un + bias) << 8 >> 8                      wrap(·, 23)
//	vn = min(max(clamp(decay(v, decV), ±2^30) + u2, vmin), vmax)
//	m  = (0 − r) >> 31; vn &^= m; r += m            refractory
//	f  = vn > vth; vn &^= f; r = f ? refr : r       strict threshold
// u, v, r are stored back, cur is zeroed, and base + i is appended to out for every
// lane with f set (in increasing i). Returns the count of lanes with a|u|v == 0 and the
// number of ids written.
TEXT ·chipUniformAVX2(SB), NOSPLIT, $0-80
	MOVQ p+0(FP), AX
	MOVQ cur+8(FP), R8
	MOVQ us+16(FP), R9
	MOVQ vs+24(FP), R10
	MOVQ rs+32(FP), R11
	MOVQ out+40(FP), DI
	MOVQ n+48(FP), CX
	MOVL base+56(FP), R12

	VPBROADCASTD 0(AX), Y14  // decU
	VPBROADCASTD 4(AX), Y13  // decV
	VPBROADCASTD 8(AX), Y12  // bias
	VPBROADCASTD 12(AX), Y11 // vth
	VPBROADCASTD 16(AX), Y10 // vmin
	VPBROADCASTD 20(AX), Y9  // vmax
	VPBROADCASTD 24(AX), Y8  // refr
	VPXOR        Y15, Y15, Y15 // 0
	VPCMPEQD     Y7, Y7, Y7
	VPSRLD       $20, Y7, Y7 // 4095
	VPXOR        Y6, Y6, Y6  // per-lane zero counts
	XORQ         SI, SI      // i
	XORQ         R13, R13    // ids written

loop:
	VMOVDQU (R8)(SI*4), Y0  // a
	VMOVDQU (R9)(SI*4), Y1  // u
	VMOVDQU (R10)(SI*4), Y2 // v

	// active: zeros += (a | u | v) == 0
	VPOR     Y0, Y1, Y4
	VPOR     Y2, Y4, Y4
	VPCMPEQD Y15, Y4, Y4
	VPSUBD   Y4, Y6, Y6

	// q = wrap(a, 21)
	VPSLLD $10, Y0, Y0
	VPSRAD $10, Y0, Y0

	// un = wrap(decay(u, decU) + q, 23)
	DECAY(Y1, Y14, Y4, Y5)
	VPADDD  Y0, Y4, Y4
	VPSLLD  $8, Y4, Y4
	VPSRAD  $8, Y4, Y4
	VMOVDQU Y4, (R9)(SI*4)

	// u2 = wrap(un + bias, 23)
	VPADDD Y12, Y4, Y4
	VPSLLD $8, Y4, Y4
	VPSRAD $8, Y4, Y4

	// vn = clip(decay(v, decV) + u2, vmin, vmax)
	DECAY(Y2, Y13, Y0, Y5)
	VPMAXSD clampLo<>(SB), Y0, Y0
	VPMINSD clampHi<>(SB), Y0, Y0
	VPADDD  Y4, Y0, Y0
	VPMAXSD Y10, Y0, Y0
	VPMINSD Y9, Y0, Y0

	// refractory: m = (0 − r) >> 31; vn &^= m; r += m
	VMOVDQU (R11)(SI*4), Y3
	VPSUBD  Y3, Y15, Y1
	VPSRAD  $31, Y1, Y1
	VPANDN  Y0, Y1, Y0
	VPADDD  Y1, Y3, Y3

	// spike: f = vn > vth; vn &^= f; r = f ? refr : r
	VPCMPGTD  Y11, Y0, Y1
	VPANDN    Y0, Y1, Y0
	VPBLENDVB Y1, Y8, Y3, Y3
	VMOVDQU   Y0, (R10)(SI*4)
	VMOVDQU   Y3, (R11)(SI*4)
	VMOVDQU   Y15, (R8)(SI*4)
	VMOVMSKPS Y1, BX
	TESTL     BX, BX
	JNZ       spikes

next:
	ADDQ $8, SI
	CMPQ SI, CX
	JLT  loop

	// zeros = horizontal sum of Y6
	VEXTRACTI128 $1, Y6, X0
	VPADDD       X0, X6, X0
	VPSHUFD      $0x4e, X0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0xb1, X0, X1
	VPADDD       X1, X0, X0
	VMOVD        X0, AX
	MOVQ         AX, zeros+64(FP)
	MOVQ         R13, fired+72(FP)
	VZEROUPPER
	RET

spikes:
	// append base + i + lane for each set bit of BX, lowest first
	BSFL BX, DX
	LEAL (R12)(SI*1), AX
	ADDL DX, AX
	MOVL AX, (DI)(R13*4)
	INCQ R13
	LEAL -1(BX), DX
	ANDL DX, BX
	JNZ  spikes
	JMP  next

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv0() (eax uint32)
TEXT ·xgetbv0(SB), NOSPLIT, $0-4
	MOVL   $0, CX
	XGETBV
	MOVL   AX, eax+0(FP)
	RET
