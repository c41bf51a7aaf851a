//go:build !amd64 || purego

package perception

// haveSIMD reports whether the SSE2 kernels in resize_amd64.s are built in:
// not on this architecture, where the packed kernels in pure Go do the work.
const haveSIMD = false

// The SIMD kernels' stand-ins, never called: rowResizer.row checks haveSIMD.

func verticalSSE2(dst *int16, rows **uint8, wts *uint32, pairs, chunks int) {
	panic("perception: no SIMD kernels on this architecture")
}

func pairSSE2(dst *int16, v *int16, n int) {
	panic("perception: no SIMD kernels on this architecture")
}

func horizontalSSE2(out *uint8, ent *int16, starts *int, wt *int16, m, pairs, px int) {
	panic("perception: no SIMD kernels on this architecture")
}

// haveAVX2 reports whether the AVX2 kernels in resize_amd64.s can run: never
// here.
const haveAVX2 = false

func verticalAVX2(dst *int16, rows **uint8, wts *uint32, pairs, chunks int) {
	panic("perception: no SIMD kernels on this architecture")
}

func horizontalAVX2(out *uint8, v *int16, starts *int, wt *int16, m, pairs, px int) {
	panic("perception: no SIMD kernels on this architecture")
}
