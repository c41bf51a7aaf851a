//go:build amd64 && !purego

package perception

// haveSIMD reports whether the SSE2 kernels in resize_amd64.s are built in.
const haveSIMD = true

// verticalSSE2 is rowResizer.rowSIMD's vertical pass over chunks of 4 pixels;
// see resize_amd64.s.
//
//go:noescape
func verticalSSE2(dst *int16, rows **uint8, wts *uint32, pairs, chunks int)

// pairSSE2 interleaves neighbouring pixels' channels for horizontalSSE2; see
// resize_amd64.s.
//
//go:noescape
func pairSSE2(dst *int16, v *int16, n int)

// horizontalSSE2 is rowResizer.rowSIMD's horizontal pass; see resize_amd64.s.
//
//go:noescape
func horizontalSSE2(out *uint8, ent *int16, starts *int, wt *int16, m, pairs, px int)

// haveAVX2 reports whether the CPU and OS support AVX2, for the 256-bit
// kernels: checked once, as the answer cannot change while the process runs.
var haveAVX2 = cpuHasAVX2()

// cpuHasAVX2 asks the CPU (CPUID) whether it has AVX2, and the OS (XGETBV)
// whether it saves the YMM registers across context switches, without which
// their upper halves could be lost; see resize_amd64.s.
func cpuHasAVX2() bool

// verticalAVX2 is verticalSSE2 eight pixels at a time; see resize_amd64.s.
//
//go:noescape
func verticalAVX2(dst *int16, rows **uint8, wts *uint32, pairs, chunks int)

// horizontalAVX2 is pairSSE2 and horizontalSSE2 in one pass, reading the
// vertical sums themselves; see resize_amd64.s.
//
//go:noescape
func horizontalAVX2(out *uint8, v *int16, starts *int, wt *int16, m, pairs, px int)
