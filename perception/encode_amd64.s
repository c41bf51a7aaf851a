//go:build amd64 && !purego

#include "textflag.h"

// func adler32SSE2(adler uint32, p *byte, n int) uint32
//
// The Adler-32 of n bytes at p (n a multiple of 16) continuing from adler.
// Per block of at most 5552 bytes (zlib's NMAX, so no 32-bit sum overflows),
// for each 16 bytes: X3 adds the byte sums so far (each later counts 16 times
// into s2 for every 16 bytes after it), X1 the byte sums (PSADBW) and X2 the
// bytes weighted 16..1 (PMADDWD).
TEXT ·adler32SSE2(SB), NOSPLIT, $0-28
	MOVL adler+0(FP), R8
	MOVL R8, R9
	ANDL $0xffff, R8 // s1
	SHRL $16, R9     // s2
	MOVQ p+8(FP), SI
	MOVQ n+16(FP), CX
	PXOR X15, X15
	MOVOU weights<>+0(SB), X13 // 16..9
	MOVOU weights<>+16(SB), X14 // 8..1

block:
	TESTQ CX, CX
	JEQ done
	MOVQ $5552, DX
	CMPQ CX, DX
	CMOVQLT CX, DX
	SUBQ DX, CX
	// s2 += s1·len
	MOVQ R8, AX
	IMULQ DX, AX
	ADDQ AX, R9
	PXOR X1, X1
	PXOR X2, X2
	PXOR X3, X3
	SHRQ $4, DX

chunk:
	MOVOU (SI), X0
	PADDL X1, X3
	MOVO X0, X4
	PSADBW X15, X4
	PADDL X4, X1
	MOVO X0, X5
	PUNPCKLBW X15, X5
	PMADDWL X13, X5
	PADDL X5, X2
	PUNPCKHBW X15, X0
	PMADDWL X14, X0
	PADDL X0, X2
	ADDQ $16, SI
	DECQ DX
	JNZ chunk

	PSLLL $4, X3
	PADDL X3, X2
	// s1 += lanes 0 and 2 of X1 (PSADBW's two sums)
	PSHUFL $0x4e, X1, X4
	PADDL X4, X1
	MOVQ X1, AX
	MOVL AX, AX
	ADDQ AX, R8
	// s2 += all four lanes of X2
	PSHUFL $0x4e, X2, X4
	PADDL X4, X2
	PSHUFL $0xb1, X2, X4
	PADDL X4, X2
	MOVQ X2, AX
	MOVL AX, AX
	ADDQ AX, R9
	// mod 65521
	MOVQ R8, AX
	XORQ DX, DX
	MOVQ $65521, BX
	DIVQ BX
	MOVQ DX, R8
	MOVQ R9, AX
	XORQ DX, DX
	DIVQ BX
	MOVQ DX, R9
	JMP block

done:
	SHLQ $16, R9
	ORQ R9, R8
	MOVL R8, ret+24(FP)
	RET

DATA weights<>+0(SB)/8, $0x000d000e000f0010
DATA weights<>+8(SB)/8, $0x0009000a000b000c
DATA weights<>+16(SB)/8, $0x0005000600070008
DATA weights<>+24(SB)/8, $0x0001000200030004
GLOBL weights<>(SB), RODATA|NOPTR, $32
