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

// DECAY computes decay(x, f) = shr0(x·f, 12) = sign(x)·((|x|·f) >> 12) exactly in 32
// bits (simd.go, decay32): with a = |x| taken as unsigned (|−2^31| = 2^31),
// (a·f) >> 12 = (a >>> 12)·f + (((a & 4095)·f) >>> 12); every term and the sum are at
// most 2^31 because f ≤ 4096, and VPSIGND restores the sign (mod 2^32, so 2^31 becomes
// −2^31). (a & 4095)·f uses VPMADDWD (both factors fit an int16, the high halves are 0).
// x is preserved; the result is in h; t is a temporary. Y7 holds 4095 in every lane.
#define DECAY(x, f, h, t) \
	VPABSD   x, t;      \
	VPSRLD   $12, t, h; \
	VPMULLD  f, h, h;   \
	VPAND    Y7, t, t;  \
	VPMADDWD f, t, t;   \
	VPSRLD   $12, t, t; \
	VPADDD   t, h, h;   \
	VPSIGND  x, h, h

// LOAD loads a, u, v of lanes SI..SI+7 into Y0, Y1, Y2.
#define LOAD \
	VMOVDQU (R8)(SI*4), Y0;  \
	VMOVDQU (R9)(SI*4), Y1;  \
	VMOVDQU (R10)(SI*4), Y2

// ZEROS counts lanes with a | u | v == 0 into Y6 (the active count when bias = 0).
#define ZEROS \
	VPOR     Y0, Y1, Y4;  \
	VPOR     Y2, Y4, Y4;  \
	VPCMPEQD Y15, Y4, Y4; \
	VPSUBD   Y4, Y6, Y6

// UPDATE_U: Y4 = un = wrap(decay(u, decU) + wrap(a, 21), 23), stored to us.
#define UPDATE_U \
	VPSLLD  $10, Y0, Y0;     \
	VPSRAD  $10, Y0, Y0;     \
	DECAY(Y1, Y14, Y4, Y5);  \
	VPADDD  Y0, Y4, Y4;      \
	VPSLLD  $8, Y4, Y4;      \
	VPSRAD  $8, Y4, Y4;      \
	VMOVDQU Y4, (R9)(SI*4)

// U2 (bias ≠ 0): Y4 = u2 = wrap(un + bias, 23).
#define U2 \
	VPADDD Y12, Y4, Y4; \
	VPSLLD $8, Y4, Y4;  \
	VPSRAD $8, Y4, Y4

// UPDATE_V: vn = clip(clamp(decay(v, decV), ±2^30) + u2, vmin, vmax) (u2 in Y4), then
// refractory (m = (0 − r) >> 31; vn &^= m; r += m) and spike (f = vn > vth; vn &^= f;
// r = f ? refr : r); stores v, r and a zero accumulator; BX = the 8 spike bits.
#define UPDATE_V \
	DECAY(Y2, Y13, Y0, Y5);         \
	VPMAXSD   clampLo<>(SB), Y0, Y0; \
	VPMINSD   clampHi<>(SB), Y0, Y0; \
	VPADDD    Y4, Y0, Y0;            \
	VPMAXSD   Y10, Y0, Y0;           \
	VPMINSD   Y9, Y0, Y0;            \
	VMOVDQU   (R11)(SI*4), Y3;       \
	VPSUBD    Y3, Y15, Y1;           \
	VPSRAD    $31, Y1, Y1;           \
	VPANDN    Y0, Y1, Y0;            \
	VPADDD    Y1, Y3, Y3;            \
	VPCMPGTD  Y11, Y0, Y1;           \
	VPANDN    Y0, Y1, Y0;            \
	VPBLENDVB Y1, Y8, Y3, Y3;        \
	VMOVDQU   Y0, (R10)(SI*4);       \
	VMOVDQU   Y3, (R11)(SI*4);       \
	VMOVDQU   Y15, (R8)(SI*4);       \
	VMOVMSKPS Y1, BX

// APPEND writes base + SI + lane for each set bit of BX (lowest first) to out[R13++].
#define APPEND(l) \
l:                           \
	BSFL BX, DX;         \
	LEAL (R12)(SI*1), AX; \
	ADDL DX, AX;         \
	MOVL AX, (DI)(R13*4); \
	INCQ R13;            \
	LEAL -1(BX), DX;     \
	ANDL DX, BX;         \
	JNZ  l

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
// number of ids written. Two loops: bias = 0 (u2 = un; zeros counted) and bias ≠ 0
// (every compartment is active; zeros is returned as 0 and not used).
TEXT ·chipUniformAVX2(SB), NOSPLIT, $0-80
	MOVQ p+0(FP), AX
	MOVQ cur+8(FP), R8
	MOVQ us+16(FP), R9
	MOVQ vs+24(FP), R10
	MOVQ rs+32(FP), R11
	MOVQ out+40(FP), DI
	MOVQ n+48(FP), CX
	MOVL base+56(FP), R12
	MOVL 8(AX), R14 // bias

	VPBROADCASTD 0(AX), Y14      // decU
	VPBROADCASTD 4(AX), Y13      // decV
	VPBROADCASTD 8(AX), Y12      // bias
	VPBROADCASTD 12(AX), Y11     // vth
	VPBROADCASTD 16(AX), Y10     // vmin
	VPBROADCASTD 20(AX), Y9      // vmax
	VPBROADCASTD 24(AX), Y8      // refr
	VPXOR        Y15, Y15, Y15   // 0
	VPCMPEQD     Y7, Y7, Y7
	VPSRLD       $20, Y7, Y7     // 4095
	VPXOR        Y6, Y6, Y6      // per-lane zero counts
	XORQ         SI, SI          // i
	XORQ         R13, R13        // ids written
	TESTL        R14, R14
	JNZ          loopBias

loop0:
	LOAD
	ZEROS
	UPDATE_U
	UPDATE_V
	TESTL BX, BX
	JNZ   spikes0

next0:
	ADDQ $8, SI
	CMPQ SI, CX
	JLT  loop0
	JMP  done

	APPEND(spikes0)
	JMP next0

loopBias:
	LOAD
	UPDATE_U
	U2
	UPDATE_V
	TESTL BX, BX
	JNZ   spikesB

nextB:
	ADDQ $8, SI
	CMPQ SI, CX
	JLT  loopBias
	JMP  done

	APPEND(spikesB)
	JMP nextB

done:
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

// lane indices 0..15 (the fired ids of a 16-lane block are base + i + lane)
DATA iota16<>+0(SB)/8, $0x0000000100000000
DATA iota16<>+8(SB)/8, $0x0000000300000002
DATA iota16<>+16(SB)/8, $0x0000000500000004
DATA iota16<>+24(SB)/8, $0x0000000700000006
DATA iota16<>+32(SB)/8, $0x0000000900000008
DATA iota16<>+40(SB)/8, $0x0000000b0000000a
DATA iota16<>+48(SB)/8, $0x0000000d0000000c
DATA iota16<>+56(SB)/8, $0x0000000f0000000e
GLOBL iota16<>(SB), RODATA|NOPTR, $64

// DECAY512 computes decay(x, f) on 16 lanes in the floor form (simd.go, decay32Floor):
// h·f + ((l·f + c) >>> 12) with h = x >> 12, l = x & 4095, c = x < 0 ? 4095 : 0 (c added
// under the VPMOVD2M sign mask: one uop fewer than restoring the sign of the |x| form,
// as there is no VPSIGND for zmm). h·f may wrap; the sum is exact (|decay| ≤ |x|).
// x is preserved; the result is in h; t is a temporary; K2 is clobbered.
#define DECAY512(x, f, h, t) \
	VPSRAD   $12, x, h;     \
	VPMULLD  f, h, h;       \
	VPANDD   Z7, x, t;      \
	VPMADDWD f, t, t;       \
	VPMOVD2M x, K2;         \
	VPADDD   Z7, t, K2, t;  \
	VPSRLD   $12, t, t;     \
	VPADDD   t, h, h

// LOAD512 loads a, u, v, r of lanes SI…SI+15 into Z0, Z1, Z2, Z3; LOAD512M only the
// lanes of K5 (the others read as zero).
#define LOAD512 \
	VMOVDQU32 (R8)(SI*4), Z0;  \
	VMOVDQU32 (R9)(SI*4), Z1;  \
	VMOVDQU32 (R10)(SI*4), Z2; \
	VMOVDQU32 (R11)(SI*4), Z3

#define LOAD512M \
	VMOVDQU32.Z (R8)(SI*4), K5, Z0;  \
	VMOVDQU32.Z (R9)(SI*4), K5, Z1;  \
	VMOVDQU32.Z (R10)(SI*4), K5, Z2; \
	VMOVDQU32.Z (R11)(SI*4), K5, Z3

// STORE512 stores un (Z4), vn (Z0), r (Z3) and a zero accumulator; STORE512M only the
// lanes of K5 (memory past n is never written).
#define STORE512 \
	VMOVDQU32 Z4, (R9)(SI*4);  \
	VMOVDQU32 Z0, (R10)(SI*4); \
	VMOVDQU32 Z3, (R11)(SI*4); \
	VMOVDQU32 Z15, (R8)(SI*4)

#define STORE512M \
	VMOVDQU32 Z4, K5, (R9)(SI*4);  \
	VMOVDQU32 Z0, K5, (R10)(SI*4); \
	VMOVDQU32 Z3, K5, (R11)(SI*4); \
	VMOVDQU32 Z15, K5, (R8)(SI*4)

// ZEROS512: R15 += the number of lanes of K5 with a | u | v == 0.
#define ZEROS512 \
	VPORD     Z0, Z1, Z4;     \
	VPORD     Z2, Z4, Z4;     \
	VPTESTNMD Z4, Z4, K5, K1; \
	KMOVW     K1, AX;         \
	POPCNTL   AX, AX;         \
	ADDQ      AX, R15

// WRAP512(x, m, sgn): x = wrap(x, b) as ((x & m) ^ sgn) − sgn with m = 2^(b+1) − 1 and
// sgn = 2^b: one VPTERNLOGD (truth table (A & B) ^ C = 0x6a) and a subtraction instead
// of the shift pair of the AVX2 kernel (zmm shifts all queue on one port).
#define WRAP512(x, m, sgn) \
	VPTERNLOGD $0x6a, sgn, m, x; \
	VPSUBD     sgn, x, x

// UPDATE_U512: Z4 = un = wrap(decay(u, decU) + wrap(a, 21), 23).
#define UPDATE_U512 \
	WRAP512(Z0, Z24, Z26);     \
	DECAY512(Z1, Z14, Z4, Z5); \
	VPADDD Z0, Z4, Z4;         \
	WRAP512(Z4, Z23, Z25)

// U2_512 (bias ≠ 0): Z6 = u2 = wrap(un + bias, 23).
#define U2_512 \
	VPADDD Z12, Z4, Z6; \
	WRAP512(Z6, Z23, Z25)

// UPDATE_V512(u2) is UPDATE_V with masks: K3 = refractory ((0 − r) < 0), K4 = spike
// (vn > vth, lanes of K5 only); Z0 = vn, Z3 = r; BX = the 16 spike bits.
#define UPDATE_V512(u2) \
	DECAY512(Z2, Z13, Z0, Z5);   \
	VPMAXSD   Z16, Z0, Z0;       \
	VPMINSD   Z17, Z0, Z0;       \
	VPADDD    u2, Z0, Z0;        \
	VPMAXSD   Z10, Z0, Z0;       \
	VPMINSD   Z9, Z0, Z0;        \
	VPSUBD    Z3, Z15, Z1;       \
	VPMOVD2M  Z1, K3;            \
	VPXORD    Z0, Z0, K3, Z0;    \
	VPADDD    Z20, Z3, K3, Z3;   \
	VPCMPGTD  Z11, Z0, K5, K4;   \
	VPXORD    Z0, Z0, K4, Z0;    \
	VMOVDQA32 Z8, K4, Z3;        \
	KMOVW     K4, BX

// APPEND512 writes base + SI + lane for the lanes of K4 (in lane order) to out[R13…].
#define APPEND512 \
	LEAL         (R12)(SI*1), AX;      \
	VPBROADCASTD AX, Z21;              \
	VPADDD       Z22, Z21, Z21;        \
	VPCOMPRESSD  Z21, K4, (DI)(R13*4); \
	POPCNTL      BX, BX;               \
	ADDQ         BX, R13

// TAIL512 sets K5 to the n − SI (1…15) remaining lanes.
#define TAIL512 \
	MOVQ  DX, CX; \
	SUBQ  SI, CX; \
	MOVL  $1, AX; \
	SHLL  CX, AX; \
	DECL  AX;     \
	KMOVW AX, K5

// func chipUniformAVX512(p *cxp, cur, us, vs, rs, out *int32, n int, base int32) (zeros, fired int)
//
// chipUniformAVX2 on 16 lanes with AVX-512 F/DQ/BW, for any n ≥ 1: full blocks, then
// one pass under a mask K5 of the remaining lanes (masked loads read zeros, masked
// stores leave the memory past n untouched, the spike and zero masks are limited to K5).
TEXT ·chipUniformAVX512(SB), NOSPLIT, $0-80
	MOVQ p+0(FP), AX
	MOVQ cur+8(FP), R8
	MOVQ us+16(FP), R9
	MOVQ vs+24(FP), R10
	MOVQ rs+32(FP), R11
	MOVQ out+40(FP), DI
	MOVQ n+48(FP), DX
	MOVL base+56(FP), R12
	MOVL 8(AX), R14 // bias

	VPBROADCASTD 0(AX), Z14            // decU
	VPBROADCASTD 4(AX), Z13            // decV
	VPBROADCASTD 8(AX), Z12            // bias
	VPBROADCASTD 12(AX), Z11           // vth
	VPBROADCASTD 16(AX), Z10           // vmin
	VPBROADCASTD 20(AX), Z9            // vmax
	VPBROADCASTD 24(AX), Z8            // refr
	VPXORD       Z15, Z15, Z15         // 0
	VPTERNLOGD   $0xff, Z20, Z20, Z20  // −1
	VPSRLD       $20, Z20, Z7          // 4095
	VPSRLD       $8, Z20, Z23          // 2^24 − 1
	VPSRLD       $9, Z20, Z27
	VPXORD       Z27, Z23, Z25         // 2^23
	VPSRLD       $10, Z20, Z24         // 2^22 − 1
	VPSRLD       $11, Z20, Z27
	VPXORD       Z27, Z24, Z26         // 2^21
	VPBROADCASTD clampLo<>(SB), Z16
	VPBROADCASTD clampHi<>(SB), Z17
	VMOVDQU32    iota16<>(SB), Z22
	MOVL         $0xffff, AX
	KMOVW        AX, K5
	MOVQ         DX, CX
	ANDQ         $-16, CX              // full blocks end
	XORQ         SI, SI                // i
	XORQ         R13, R13              // ids written
	XORQ         R15, R15              // zero lanes
	TESTL        R14, R14
	JNZ          startB512
	CMPQ         SI, CX
	JGE          tail0512

loop0512:
	LOAD512
	ZEROS512
	UPDATE_U512
	UPDATE_V512(Z4)
	STORE512
	TESTL BX, BX
	JNZ   spikes0512

next0512:
	ADDQ $16, SI
	CMPQ SI, CX
	JLT  loop0512

tail0512:
	CMPQ SI, DX
	JGE  done512
	TAIL512
	LOAD512M
	ZEROS512
	UPDATE_U512
	UPDATE_V512(Z4)
	STORE512M
	JMP  last512

spikes0512:
	APPEND512
	JMP next0512

startB512:
	CMPQ SI, CX
	JGE  tailB512

loopB512:
	LOAD512
	UPDATE_U512
	U2_512
	UPDATE_V512(Z6)
	STORE512
	TESTL BX, BX
	JNZ   spikesB512

nextB512:
	ADDQ $16, SI
	CMPQ SI, CX
	JLT  loopB512

tailB512:
	CMPQ SI, DX
	JGE  done512
	TAIL512
	LOAD512M
	UPDATE_U512
	U2_512
	UPDATE_V512(Z6)
	STORE512M
	JMP  last512

spikesB512:
	APPEND512
	JMP nextB512

last512:
	TESTL BX, BX
	JZ    done512
	APPEND512

done512:
	MOVQ R15, zeros+64(FP)
	MOVQ R13, fired+72(FP)
	VZEROUPPER
	RET
