//go:build amd64 && !noasm

#include "textflag.h"

// func axpy4AVX2(h *float64, n int, w0, w1, w2, w3 *float64, x *[4]float64)
// h[k] = (((h[k] + x0·w0[k]) + x1·w1[k]) + x2·w2[k]) + x3·w3[k] for k < n, n a positive
// multiple of 4. Separate VMULPD and VADDPD (no fused multiply-add): every element is
// rounded exactly as the scalar loop h[k] += x·w[k] applied row after row.
TEXT ·axpy4AVX2(SB), NOSPLIT, $0-56
	MOVQ         h+0(FP), DI
	MOVQ         n+8(FP), CX
	MOVQ         w0+16(FP), R8
	MOVQ         w1+24(FP), R9
	MOVQ         w2+32(FP), R10
	MOVQ         w3+40(FP), R11
	MOVQ         x+48(FP), AX
	VBROADCASTSD 0(AX), Y4
	VBROADCASTSD 8(AX), Y5
	VBROADCASTSD 16(AX), Y6
	VBROADCASTSD 24(AX), Y7
	XORQ         SI, SI

loop:
	VMOVUPD (DI)(SI*8), Y0
	VMULPD  (R8)(SI*8), Y4, Y1
	VADDPD  Y1, Y0, Y0
	VMULPD  (R9)(SI*8), Y5, Y2
	VADDPD  Y2, Y0, Y0
	VMULPD  (R10)(SI*8), Y6, Y3
	VADDPD  Y3, Y0, Y0
	VMULPD  (R11)(SI*8), Y7, Y1
	VADDPD  Y1, Y0, Y0
	VMOVUPD Y0, (DI)(SI*8)
	ADDQ    $4, SI
	CMPQ    SI, CX
	JLT     loop
	VZEROUPPER
	RET


// func closedStepAVX2(I, U, S, acc, accK, h *float64, n int, c *[8]float64, mask *byte)
// One forward step of the closed-form hidden layer (see batchWork.closed) for n neurons
// (n a positive multiple of 4); c = {α, β, θ, k, 1, |·| mask, c_t·K_t, K_t}:
//	I = α·I + h;  U = (β·U + I) − θ·S;  S = [U > θ];  σ' = 1/(1 + k·|U − θ|)²
//	acc += (c_t·K_t)·σ';  accK += K_t·σ';  mask[k/4] = the 4 spike bits of neurons k…k+3
// Separate multiplies and adds, in the order of the scalar loop of forwardClosed.
TEXT ·closedStepAVX2(SB), NOSPLIT, $0-72
	MOVQ         I+0(FP), R8
	MOVQ         U+8(FP), R9
	MOVQ         S+16(FP), R10
	MOVQ         acc+24(FP), R11
	MOVQ         accK+32(FP), R12
	MOVQ         h+40(FP), R13
	MOVQ         n+48(FP), CX
	MOVQ         c+56(FP), AX
	MOVQ         mask+64(FP), DI
	VBROADCASTSD 0(AX), Y8   // α
	VBROADCASTSD 8(AX), Y9   // β
	VBROADCASTSD 16(AX), Y10 // θ
	VBROADCASTSD 24(AX), Y11 // k
	VBROADCASTSD 32(AX), Y12 // 1
	VBROADCASTSD 40(AX), Y13 // abs mask
	VBROADCASTSD 48(AX), Y14 // c_t·K_t
	VBROADCASTSD 56(AX), Y15 // K_t
	XORQ         SI, SI
	XORQ         DX, DX

cloop:
	VMULPD    (R8)(SI*8), Y8, Y0   // α·I
	VADDPD    (R13)(SI*8), Y0, Y0  // + h
	VMOVUPD   Y0, (R8)(SI*8)
	VMULPD    (R9)(SI*8), Y9, Y1   // β·U
	VADDPD    Y0, Y1, Y1           // + I
	VMULPD    (R10)(SI*8), Y10, Y2 // θ·S
	VSUBPD    Y2, Y1, Y1           // − θ·S
	VMOVUPD   Y1, (R9)(SI*8)
	VCMPPD    $0x1e, Y10, Y1, Y3   // U > θ (GT_OQ)
	VANDPD    Y12, Y3, Y4
	VMOVUPD   Y4, (R10)(SI*8)
	VMOVMSKPD Y3, BX
	MOVB      BX, (DI)(DX*1)
	VSUBPD    Y10, Y1, Y5          // U − θ
	VANDPD    Y13, Y5, Y5          // |U − θ|
	VMULPD    Y11, Y5, Y5          // k·|U − θ|
	VADDPD    Y12, Y5, Y5          // 1 + k·|U − θ|
	VMULPD    Y5, Y5, Y5           // d²
	VDIVPD    Y5, Y12, Y6          // 1/d²
	VMULPD    Y14, Y6, Y7
	VADDPD    (R11)(SI*8), Y7, Y7
	VMOVUPD   Y7, (R11)(SI*8)
	VMULPD    Y15, Y6, Y7
	VADDPD    (R12)(SI*8), Y7, Y7
	VMOVUPD   Y7, (R12)(SI*8)
	ADDQ      $4, SI
	INCQ      DX
	CMPQ      SI, CX
	JLT       cloop
	VZEROUPPER
	RET
