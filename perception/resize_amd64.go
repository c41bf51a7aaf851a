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
