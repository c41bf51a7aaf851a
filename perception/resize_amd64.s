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

// The AVX2 kernels below do exactly the SSE2 kernels' integer arithmetic
// (the same PMADDWD products, 32-bit sums, rounding constants, arithmetic
// shifts and saturating packs) on 256-bit registers, so their bytes are the
// same: integer sums do not depend on their order. A 256-bit instruction does
// the work of two 128-bit ones, halving the instructions per pixel; VEX
// encoding also spares the register copies SSE2's two-operand forms need.
// Most AVX2 instructions work within each 128-bit lane, so the results come
// out in lane order and are put back in pixel order once per block. They run
// only when cpuHasAVX2 says so, and end with VZEROUPPER so that SSE code
// running next (the Go runtime's, deflate's) pays no transition penalty.

// func cpuHasAVX2() bool
//
// CPUID leaf 7 EBX bit 5 says the CPU has AVX2; leaf 1 ECX bits 27 (OSXSAVE)
// and 28 (AVX) and XGETBV's XCR0 bits 1 and 2 say the OS saves the XMM and
// YMM registers on a context switch, without which AVX2 must not be used.
TEXT ·cpuHasAVX2(SB), NOSPLIT, $0-1
	MOVB $0, ret+0(FP)
	XORL AX, AX
	XORL CX, CX
	CPUID
	CMPL AX, $7
	JLT nocpu
	MOVL $1, AX
	XORL CX, CX
	CPUID
	ANDL $0x18000000, CX
	CMPL CX, $0x18000000
	JNE nocpu
	XORL CX, CX
	XGETBV
	ANDL $6, AX
	CMPL AX, $6
	JNE nocpu
	MOVL $7, AX
	XORL CX, CX
	CPUID
	SHRL $5, BX
	ANDL $1, BX
	MOVB BX, ret+0(FP)

nocpu:
	RET

// VPAIR adds the weighted sums of source rows off/8 and off/8+1 (weights in
// W) for eight pixels at byte AX to the accumulators Y4–Y7, as verticalSSE2
// does for four.
#define VPAIR(off, W) \
	MOVQ off(R8), SI; \
	VMOVDQU (SI)(AX*1), Y0; \
	MOVQ off+8(R8), SI; \
	VMOVDQU (SI)(AX*1), Y1; \
	VPUNPCKLBW Y1, Y0, Y2; \
	VPUNPCKHBW Y1, Y0, Y0; \
	VPUNPCKLBW Y15, Y2, Y3; \
	VPMADDWD W, Y3, Y3; \
	VPADDD Y3, Y4, Y4; \
	VPUNPCKHBW Y15, Y2, Y3; \
	VPMADDWD W, Y3, Y3; \
	VPADDD Y3, Y5, Y5; \
	VPUNPCKLBW Y15, Y0, Y3; \
	VPMADDWD W, Y3, Y3; \
	VPADDD Y3, Y6, Y6; \
	VPUNPCKHBW Y15, Y0, Y3; \
	VPMADDWD W, Y3, Y3; \
	VPADDD Y3, Y7, Y7

// func verticalAVX2(dst *int16, rows **uint8, wts *uint32, pairs, chunks int)
//
// verticalSSE2 (same arguments and results) eight pixels, two chunks, at a
// time. An odd last chunk is done by starting the last eight pixels a chunk
// early: that chunk is computed and stored twice, the same both times. Fewer
// than two chunks go to verticalSSE2.
TEXT ·verticalAVX2(SB), NOSPLIT, $0-40
	MOVQ chunks+32(FP), CX
	CMPQ CX, $2
	JGE vabig
	JMP ·verticalSSE2(SB)

vabig:
	MOVQ dst+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ wts+16(FP), R9
	MOVQ pairs+24(FP), R10
	VPBROADCASTD 0(R9), Y8
	VPBROADCASTD 4(R9), Y9
	VPBROADCASTD 8(R9), Y10
	VPBROADCASTD 12(R9), Y11
	MOVL $264192, AX // 2048 + 64<<12: rounding and the lift
	VMOVD AX, X12
	VPBROADCASTD X12, Y12
	VPXOR Y15, Y15, Y15
	LEAQ -2(CX), R11
	SHLQ $4, R11 // the last eight pixels' byte offset in a row
	XORQ AX, AX

valoop:
	// Rows 0 and 1 set the accumulators, each two pixels four apart, one
	// per lane: Y4 pixels 0 and 4, Y5 1 and 5, Y6 2 and 6, Y7 3 and 7.
	MOVQ 0(R8), SI
	VMOVDQU (SI)(AX*1), Y0
	MOVQ 8(R8), SI
	VMOVDQU (SI)(AX*1), Y1
	VPUNPCKLBW Y1, Y0, Y2 // pixels 0, 1 | 4, 5: row 0 and row 1 bytes interleaved
	VPUNPCKHBW Y1, Y0, Y0 // pixels 2, 3 | 6, 7
	VPUNPCKLBW Y15, Y2, Y4
	VPMADDWD Y8, Y4, Y4
	VPUNPCKHBW Y15, Y2, Y5
	VPMADDWD Y8, Y5, Y5
	VPUNPCKLBW Y15, Y0, Y6
	VPMADDWD Y8, Y6, Y6
	VPUNPCKHBW Y15, Y0, Y7
	VPMADDWD Y8, Y7, Y7
	CMPQ R10, $1
	JEQ vasum
	VPAIR(16, Y9)
	CMPQ R10, $2
	JEQ vasum
	VPAIR(32, Y10)
	CMPQ R10, $3
	JEQ vasum
	VPAIR(48, Y11)

vasum:
	VPADDD Y12, Y4, Y4
	VPADDD Y12, Y5, Y5
	VPADDD Y12, Y6, Y6
	VPADDD Y12, Y7, Y7
	VPSRAD $12, Y4, Y4
	VPSRAD $12, Y5, Y5
	VPSRAD $12, Y6, Y6
	VPSRAD $12, Y7, Y7
	VPACKSSDW Y5, Y4, Y4         // pixels 0, 1 | 4, 5
	VPACKSSDW Y7, Y6, Y6         // pixels 2, 3 | 6, 7
	VPERM2I128 $0x20, Y6, Y4, Y0 // pixels 0–3
	VPERM2I128 $0x31, Y6, Y4, Y1 // pixels 4–7
	VMOVDQU Y0, (DI)(AX*2)
	VMOVDQU Y1, 32(DI)(AX*2)
	CMPQ AX, R11
	JEQ vadone
	ADDQ $32, AX
	CMPQ AX, R11
	JLE valoop
	MOVQ R11, AX
	JMP valoop

vadone:
	VZEROUPPER
	RET

// func horizontalAVX2(out *uint8, v *int16, starts *int, wt *int16, m, pairs, px int)
//
// horizontalSSE2 (same weights and output), reading the vertical sums v
// (verticalSSE2's layout) instead of pairSSE2's entries: one 32-byte load
// takes four neighbouring pixels, and VPSHUFB interleaves each lane's two,
// R R G G B B A A, as pairSSE2 would, so one VPMADDWD weights two pairs of
// taps. Four taps, the common case, go four output pixels at a time, which
// shares the packing and storing among four: their 12 RGB bytes are stored
// exactly (8 + 4), so nothing is written past the last pixel. Up to three
// pixels left over, and other tap counts, go one at a time.
TEXT ·horizontalAVX2(SB), NOSPLIT, $0-56
	MOVQ out+0(FP), DI
	MOVQ v+8(FP), R8
	MOVQ starts+16(FP), R9
	MOVQ wt+24(FP), R10
	MOVQ m+32(FP), CX
	MOVQ pairs+40(FP), R11
	MOVQ px+48(FP), R12
	TESTQ CX, CX
	JEQ hadone
	MOVL $-130048, AX // 1024 - 64<<11: rounding, less the lift
	VMOVD AX, X12
	VPBROADCASTD X12, Y12
	VMOVDQU pairShuffle<>(SB), Y14
	VMOVDQU rgbShuffle<>(SB), X13
	VPCMPEQD X15, X15, X15
	VPSLLD $24, X15, X15 // alpha 255
	CMPQ R11, $2
	JNE ha1loop

ha4loop:
	CMPQ CX, $4
	JLT ha1loop
	MOVQ 0(R9), AX
	MOVQ 8(R9), BX
	MOVQ 16(R9), DX
	MOVQ 24(R9), SI
	VMOVDQU (R8)(AX*8), Y0
	VMOVDQU (R8)(BX*8), Y1
	VMOVDQU (R8)(DX*8), Y2
	VMOVDQU (R8)(SI*8), Y3
	VPSHUFB Y14, Y0, Y0
	VPSHUFB Y14, Y1, Y1
	VPSHUFB Y14, Y2, Y2
	VPSHUFB Y14, Y3, Y3
	VPMADDWD 0(R10), Y0, Y0      // pixel x: taps 0, 1 | 2, 3
	VPMADDWD 32(R10), Y1, Y1     // pixel x+1
	VPMADDWD 64(R10), Y2, Y2     // pixel x+2
	VPMADDWD 96(R10), Y3, Y3     // pixel x+3
	VPERM2I128 $0x20, Y1, Y0, Y4 // taps 0, 1 of x | of x+1
	VPERM2I128 $0x31, Y1, Y0, Y0 // taps 2, 3 of x | of x+1
	VPADDD Y4, Y0, Y0            // x | x+1
	VPERM2I128 $0x20, Y3, Y2, Y4
	VPERM2I128 $0x31, Y3, Y2, Y2
	VPADDD Y4, Y2, Y2            // x+2 | x+3
	VPADDD Y12, Y0, Y0
	VPADDD Y12, Y2, Y2
	VPSRAD $11, Y0, Y0
	VPSRAD $11, Y2, Y2
	VPACKSSDW Y2, Y0, Y0   // x, x+2 | x+1, x+3
	VPACKUSWB Y0, Y0, Y0   // bytes of x, x+2, x, x+2 | x+1, x+3, x+1, x+3
	VEXTRACTI128 $1, Y0, X1
	VPUNPCKLDQ X1, X0, X0  // x, x+1, x+2, x+3
	ADDQ $128, R10
	ADDQ $32, R9
	SUBQ $4, CX
	CMPQ R12, $4
	JEQ ha4px4
	VPSHUFB X13, X0, X0 // RGB RGB RGB RGB
	VMOVQ X0, (DI)
	VPEXTRD $2, X0, 8(DI)
	ADDQ $12, DI
	JMP ha4loop

ha4px4:
	VPOR X15, X0, X0
	VMOVDQU X0, (DI)
	ADDQ $16, DI
	JMP ha4loop

ha1loop:
	// One pixel, any number of tap pairs: two at a time, then one.
	TESTQ CX, CX
	JEQ hadone
	MOVQ (R9), AX
	LEAQ (R8)(AX*8), SI
	VPXOR Y0, Y0, Y0
	MOVQ R11, DX

ha1pairs:
	CMPQ DX, $2
	JLT ha1odd
	VMOVDQU (SI), Y1
	VPSHUFB Y14, Y1, Y1
	VPMADDWD (R10), Y1, Y1
	VPADDD Y1, Y0, Y0
	ADDQ $32, SI
	ADDQ $32, R10
	SUBQ $2, DX
	JMP ha1pairs

ha1odd:
	TESTQ DX, DX
	JEQ ha1sum
	VMOVDQU (SI), X1 // VEX clears Y1's upper lane
	VPSHUFB X14, X1, X1
	VPMADDWD (R10), X1, X1
	VPADDD Y1, Y0, Y0
	ADDQ $16, R10

ha1sum:
	VEXTRACTI128 $1, Y0, X1
	VPADDD X1, X0, X0
	VPADDD X12, X0, X0
	VPSRAD $11, X0, X0
	VPACKSSDW X0, X0, X0
	VPACKUSWB X0, X0, X0
	VMOVD X0, AX
	ADDQ $8, R9
	CMPQ R12, $4
	JEQ ha1px4
	CMPQ CX, $1
	JEQ ha1last
	MOVL AX, (DI)
	ADDQ $3, DI
	DECQ CX
	JMP ha1loop

ha1last:
	MOVW AX, (DI)
	SHRL $16, AX
	MOVB AX, 2(DI)
	JMP hadone

ha1px4:
	ORL $-16777216, AX
	MOVL AX, (DI)
	ADDQ $4, DI
	DECQ CX
	JMP ha1loop

hadone:
	VZEROUPPER
	RET

// pairShuffle makes VPSHUFB interleave the two pixels' int16 channels in each
// 128-bit lane: R0 R1 G0 G1 B0 B1 A0 A1 from R0 G0 B0 A0 R1 G1 B1 A1.
DATA pairShuffle<>+0(SB)/8, $0x0b0a030209080100
DATA pairShuffle<>+8(SB)/8, $0x0f0e07060d0c0504
DATA pairShuffle<>+16(SB)/8, $0x0b0a030209080100
DATA pairShuffle<>+24(SB)/8, $0x0f0e07060d0c0504
GLOBL pairShuffle<>(SB), RODATA|NOPTR, $32

// rgbShuffle makes VPSHUFB drop the alpha byte of four RGBA pixels.
DATA rgbShuffle<>+0(SB)/8, $0x0908060504020100
DATA rgbShuffle<>+8(SB)/8, $0x808080800e0d0c0a
GLOBL rgbShuffle<>(SB), RODATA|NOPTR, $16
