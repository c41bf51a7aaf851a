//go:build amd64 && !purego

#include "textflag.h"

// SSE2 versions of the packed kernels' arithmetic (see resize_amd64.go). SSE2
// is part of amd64 itself, so no CPU feature check is needed.

// func verticalSSE2(dst *int16, rows **uint8, wts *uint32, pairs, chunks int)
//
// For 4 pixels per chunk, each channel c of pixel i becomes
// 64 + (Σ w[k]·row[k][4i+c] + 2048) >> 12, as int16, RGBA order, 8 bytes a pixel.
// rows holds 2·pairs row pointers; wts[p] holds the weights of rows 2p and
// 2p+1 as two int16s (pairs ≤ 4; wts has 4 entries).
TEXT ·verticalSSE2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ wts+16(FP), R9
	MOVQ pairs+24(FP), R10
	MOVQ chunks+32(FP), CX
	TESTQ CX, CX
	JEQ vdone

	MOVL 0(R9), AX
	MOVQ AX, X8
	PSHUFL $0, X8, X8
	MOVL 4(R9), AX
	MOVQ AX, X9
	PSHUFL $0, X9, X9
	MOVL 8(R9), AX
	MOVQ AX, X10
	PSHUFL $0, X10, X10
	MOVL 12(R9), AX
	MOVQ AX, X11
	PSHUFL $0, X11, X11
	MOVL $264192, AX // 2048 + 64<<12: rounding and the lift
	MOVQ AX, X12
	PSHUFL $0, X12, X12
	PXOR X15, X15
	XORQ AX, AX

vloop:
	// Rows 0 and 1 set the four accumulators X4–X7 (one pixel each).
	MOVQ 0(R8), SI
	MOVOU (SI)(AX*1), X0
	MOVQ 8(R8), SI
	MOVOU (SI)(AX*1), X1
	MOVO X0, X2
	PUNPCKLBW X1, X2 // pixels 0, 1: row 0 and row 1 bytes interleaved
	PUNPCKHBW X1, X0 // pixels 2, 3
	MOVO X2, X4
	PUNPCKLBW X15, X4
	PMADDWL X8, X4
	PUNPCKHBW X15, X2
	PMADDWL X8, X2
	MOVO X2, X5
	MOVO X0, X6
	PUNPCKLBW X15, X6
	PMADDWL X8, X6
	PUNPCKHBW X15, X0
	PMADDWL X8, X0
	MOVO X0, X7
	CMPQ R10, $1
	JEQ vsum

	MOVQ 16(R8), SI
	MOVOU (SI)(AX*1), X0
	MOVQ 24(R8), SI
	MOVOU (SI)(AX*1), X1
	MOVO X0, X2
	PUNPCKLBW X1, X2
	PUNPCKHBW X1, X0
	MOVO X2, X3
	PUNPCKLBW X15, X3
	PMADDWL X9, X3
	PADDL X3, X4
	PUNPCKHBW X15, X2
	PMADDWL X9, X2
	PADDL X2, X5
	MOVO X0, X3
	PUNPCKLBW X15, X3
	PMADDWL X9, X3
	PADDL X3, X6
	PUNPCKHBW X15, X0
	PMADDWL X9, X0
	PADDL X0, X7
	CMPQ R10, $2
	JEQ vsum

	MOVQ 32(R8), SI
	MOVOU (SI)(AX*1), X0
	MOVQ 40(R8), SI
	MOVOU (SI)(AX*1), X1
	MOVO X0, X2
	PUNPCKLBW X1, X2
	PUNPCKHBW X1, X0
	MOVO X2, X3
	PUNPCKLBW X15, X3
	PMADDWL X10, X3
	PADDL X3, X4
	PUNPCKHBW X15, X2
	PMADDWL X10, X2
	PADDL X2, X5
	MOVO X0, X3
	PUNPCKLBW X15, X3
	PMADDWL X10, X3
	PADDL X3, X6
	PUNPCKHBW X15, X0
	PMADDWL X10, X0
	PADDL X0, X7
	CMPQ R10, $3
	JEQ vsum

	MOVQ 48(R8), SI
	MOVOU (SI)(AX*1), X0
	MOVQ 56(R8), SI
	MOVOU (SI)(AX*1), X1
	MOVO X0, X2
	PUNPCKLBW X1, X2
	PUNPCKHBW X1, X0
	MOVO X2, X3
	PUNPCKLBW X15, X3
	PMADDWL X11, X3
	PADDL X3, X4
	PUNPCKHBW X15, X2
	PMADDWL X11, X2
	PADDL X2, X5
	MOVO X0, X3
	PUNPCKLBW X15, X3
	PMADDWL X11, X3
	PADDL X3, X6
	PUNPCKHBW X15, X0
	PMADDWL X11, X0
	PADDL X0, X7

vsum:
	PADDL X12, X4
	PADDL X12, X5
	PADDL X12, X6
	PADDL X12, X7
	PSRAL $12, X4
	PSRAL $12, X5
	PSRAL $12, X6
	PSRAL $12, X7
	PACKSSLW X5, X4
	PACKSSLW X7, X6
	MOVOU X4, 0(DI)
	MOVOU X6, 16(DI)
	ADDQ $32, DI
	ADDQ $16, AX
	DECQ CX
	JNZ vloop

vdone:
	RET

// func pairSSE2(dst *int16, v *int16, n int)
//
// Sets entry j of dst (8 int16s) to the channels of pixels j and j+1 of v
// interleaved, R R G G B B A A, for j < n rounded up to even; v must hold n+3
// pixels.
TEXT ·pairSSE2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ v+8(FP), SI
	MOVQ n+16(FP), CX
	ADDQ $1, CX
	SHRQ $1, CX
	JEQ pdone

ploop:
	MOVOU 0(SI), X0 // pixels j, j+1
	MOVOU 8(SI), X1 // pixels j+1, j+2
	MOVO X0, X2
	PUNPCKLWL X1, X0
	PUNPCKHWL X1, X2
	MOVOU X0, 0(DI)
	MOVOU X2, 16(DI)
	ADDQ $16, SI
	ADDQ $32, DI
	DECQ CX
	JNZ ploop

pdone:
	RET

// func horizontalSSE2(out *uint8, ent *int16, starts *int, wt *int16, m, pairs, px int)
//
// For each of m output pixels x, each channel is
// clamp8((Σ w[k]·v[starts[x]+k] + 1024) >> 11 - 64), from the pair entries
// (pairSSE2) and wt, which holds, per pixel and tap pair, that pair's two
// weights repeated four times. It writes px bytes a pixel: RGB, or RGBA with
// alpha 255. With px 3 it stores 4 bytes at once, the fourth overwritten by
// the next pixel, except for the last.
TEXT ·horizontalSSE2(SB), NOSPLIT, $0-56
	MOVQ out+0(FP), DI
	MOVQ ent+8(FP), R8
	MOVQ starts+16(FP), R9
	MOVQ wt+24(FP), R10
	MOVQ m+32(FP), CX
	MOVQ pairs+40(FP), R11
	MOVQ px+48(FP), R12
	TESTQ CX, CX
	JEQ hdone
	MOVL $-130048, AX // 1024 - 64<<11: rounding, less the lift
	MOVQ AX, X12
	PSHUFL $0, X12, X12
	CMPQ R11, $2
	JNE hloop

	// Four taps, the common case, unrolled.
h2loop:
	MOVQ (R9), AX
	SHLQ $4, AX
	MOVOU (R8)(AX*1), X0
	MOVOU 0(R10), X1
	PMADDWL X1, X0
	MOVOU 32(R8)(AX*1), X2
	MOVOU 16(R10), X3
	PMADDWL X3, X2
	PADDL X2, X0
	ADDQ $32, R10
	PADDL X12, X0
	PSRAL $11, X0
	PACKSSLW X0, X0
	PACKUSWB X0, X0
	MOVQ X0, AX
	CMPQ R12, $4
	JEQ h2px4
	CMPQ CX, $1
	JEQ h2last
	MOVL AX, (DI)
	ADDQ $3, DI
	ADDQ $8, R9
	DECQ CX
	JNZ h2loop
	RET

h2last:
	MOVW AX, (DI)
	SHRL $16, AX
	MOVB AX, 2(DI)
	RET

h2px4:
	ORL $-16777216, AX // alpha 255
	MOVL AX, (DI)
	ADDQ $4, DI
	ADDQ $8, R9
	DECQ CX
	JNZ h2loop
	RET

hloop:
	MOVQ (R9), AX
	SHLQ $4, AX
	LEAQ (R8)(AX*1), SI
	PXOR X0, X0
	MOVQ R11, DX

hpair:
	MOVOU (SI), X2
	MOVOU (R10), X1
	PMADDWL X1, X2
	PADDL X2, X0
	ADDQ $32, SI
	ADDQ $16, R10
	DECQ DX
	JNZ hpair

	PADDL X12, X0
	PSRAL $11, X0
	PACKSSLW X0, X0
	PACKUSWB X0, X0
	MOVQ X0, AX
	CMPQ R12, $4
	JEQ hpx4
	CMPQ CX, $1
	JEQ hlast
	MOVL AX, (DI)
	ADDQ $3, DI
	JMP hnext

hlast:
	MOVW AX, (DI)
	SHRL $16, AX
	MOVB AX, 2(DI)
	JMP hnext

hpx4:
	ORL $-16777216, AX
	MOVL AX, (DI)
	ADDQ $4, DI

hnext:
	ADDQ $8, R9
	DECQ CX
	JNZ hloop

hdone:
	RET
