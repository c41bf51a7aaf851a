package perception

import (
	"image"
	"math"
	"runtime"
	"slices"
	"sync"
	"unsafe"
)

// Resize returns src scaled to size, with the filter that keeps screen text most
// legible for the scale factor:
//
//   - Downscaling by 1.5× or more (2880 → 1904, 4K → 1904), area averaging: every
//     output pixel is the mean of the source area it covers, fractional edge pixels
//     weighted by how much of them it covers. Every source pixel counts, so thin
//     text strokes fade instead of vanishing or aliasing as they do with
//     interpolating filters at large factors.
//   - Smaller factors (1920 → 1904, 2560 → 1904) and the slight upscale Grid.Size
//     allows (at most one grid factor), Catmull-Rom, widened by the factor when
//     downscaling as golang.org/x/image/draw does. There a box filter would smear
//     every glyph edge across two pixels, losing a fifth of the edge contrast.
//
// It is separable, fixed-point and parallel, and many times faster than
// golang.org/x/image/draw.CatmullRom (see the benchmarks). When size equals src's
// size it returns src itself, not a copy. A size with a side <= 0 gives an empty
// image.
func Resize(src *image.RGBA, size image.Point) *image.RGBA {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	if size.X <= 0 || size.Y <= 0 || sw <= 0 || sh <= 0 {
		return image.NewRGBA(image.Rectangle{})
	}
	if size.X == sw && size.Y == sh {
		return src
	}
	dst := image.NewRGBA(image.Rectangle{Max: size})
	xs, ys := cachedTaps(sw, size.X, true), cachedTaps(sh, size.Y, false)
	opaque := src.Opaque()

	// Split the output rows into bands, one goroutine each.
	bands := min(runtime.GOMAXPROCS(0), max(size.Y/64, 1))
	var wg sync.WaitGroup
	for b := range bands {
		y0, y1 := size.Y*b/bands, size.Y*(b+1)/bands
		wg.Go(func() { resizeRows(dst, src, xs, ys, y0, y1, opaque) })
	}
	wg.Wait()
	return dst
}

// areaMinFactor is the downscale factor from which Resize averages areas instead
// of interpolating. From 1.5× on a box filter keeps over 90 % of Catmull-Rom's
// edge contrast, with no ringing and half the taps; below it the loss grows to
// 20 % at 1.01×.
const areaMinFactor = 1.5

// tapsKey identifies one axis's taps: n source pixels onto m, even or not.
type tapsKey struct {
	n, m int
	even bool
}

// tapsCache holds the taps of the sizes seen so far: a screen's size, and so
// its grid size, rarely changes, so every capture after the first reuses them.
// Taps are never modified once made.
var tapsCache sync.Map // tapsKey → taps

// cachedTaps is filterTaps, computed once per size.
func cachedTaps(n, m int, even bool) taps {
	k := tapsKey{n, m, even}
	if t, ok := tapsCache.Load(k); ok {
		return t.(taps)
	}
	t := filterTaps(n, m, even)
	tapsCache.Store(k, t)
	return t
}

// filterTaps returns the weights that map n source pixels onto m output pixels.
// With even, every output gets an even number of taps, which the horizontal pass
// takes in pairs.
func filterTaps(n, m int, even bool) taps {
	if float64(n) >= areaMinFactor*float64(m) {
		return areaTaps(n, m, even)
	}
	return cubicTaps(n, m, even)
}

// weightBits is the fixed-point precision of the filter weights: each output
// pixel's weights sum to exactly 1<<weightBits.
const weightBits = 14

// taps maps source pixels to output pixels along one axis: output i is the sum
// of w[i*n+k] × source pixel start[i]+k for k < n. Every output has the same
// number of taps (padded with zero weights), which keeps the inner loops simple.
type taps struct {
	n     int
	start []int
	w     []int32

	// w11 and w12 are w at 11 and 12 bits, for the packed kernels
	// (horizontal and vertical), or nil when those do not apply: only
	// Catmull-Rom taps whose sums stay within what packed lanes can hold.
	w11, w12 []uint64

	// h16 is w11 laid out for horizontalSSE2: per output and pair of taps,
	// the pair's two weights as int16s, repeated four times (one pair per
	// channel). Nil without w11, with an odd tap count, or without SIMD.
	h16 []int16
}

// weights is one output's filter before normalisation: ws[k] is the weight of
// source pixel j0+k.
type weights struct {
	j0 int
	ws []float64
}

// trim drops end taps that carry under 1/256 of the total weight (the tails of
// a widened Catmull-Rom): they cannot move a pixel by a level, and one tap fewer
// is a fifth less work.
func (o weights) trim() weights {
	var total float64
	for _, v := range o.ws {
		total += v
	}
	small := func(v float64) bool { return math.Abs(v) < total/256 }
	for len(o.ws) > 1 && small(o.ws[0]) {
		o.ws, o.j0 = o.ws[1:], o.j0+1
	}
	for len(o.ws) > 1 && small(o.ws[len(o.ws)-1]) {
		o.ws = o.ws[:len(o.ws)-1]
	}
	return o
}

// makeTaps normalises each output's weights to sum to exactly 1<<weightBits and
// pads them to a common count, even if asked, that stays inside the n source
// pixels.
func makeTaps(n int, outs []weights, even bool) taps {
	t := taps{start: make([]int, len(outs))}
	for i, o := range outs {
		outs[i] = o.trim()
		t.n = max(t.n, len(outs[i].ws))
	}
	if even {
		t.n += t.n % 2
	}
	t.n = min(t.n, n)
	t.w = make([]int32, len(outs)*t.n)
	for i, o := range outs {
		start := min(o.j0, n-t.n) // shift left near the right edge; pad with zeros
		t.start[i] = start
		w := t.w[i*t.n : (i+1)*t.n]
		var total float64
		for _, v := range o.ws {
			total += v
		}
		var sum int32
		big := o.j0 - start
		for k, v := range o.ws {
			q := int32(math.Round(v / total * (1 << weightBits)))
			w[o.j0-start+k] = q
			sum += q
			if q > w[big] {
				big = o.j0 - start + k
			}
		}
		// Give the rounding remainder to the heaviest tap so flat areas stay exact.
		w[big] += 1<<weightBits - sum
	}
	return t
}

// areaTaps returns the box-filter weights mapping n source pixels onto m output
// pixels. In units of 1/(n·m) of the whole line, source pixel j covers [j·m, (j+1)·m)
// and output pixel i covers [i·n, (i+1)·n), so every overlap is an exact integer.
func areaTaps(n, m int, even bool) taps {
	outs := make([]weights, m)
	buf := make([]float64, 0, m*(n/m+2))
	for i := range outs {
		lo, hi := i*n, (i+1)*n
		j0, j1 := lo/m, (hi+m-1)/m // source pixels [j0, j1) overlap the output
		ws := grow(&buf, j1-j0)
		for j := j0; j < j1; j++ {
			ws[j-j0] = float64(min(hi, (j+1)*m) - max(lo, j*m))
		}
		outs[i] = weights{j0, ws}
	}
	return makeTaps(n, outs, even)
}

// cubicTaps returns Catmull-Rom weights mapping n source pixels onto m output
// pixels, the kernel widened by the factor when downscaling so every source pixel
// still contributes. Taps past the edges fold onto the edge pixel.
func cubicTaps(n, m int, even bool) taps {
	scale := float64(n) / float64(m)
	widen := max(scale, 1)
	radius := 2 * widen
	outs := make([]weights, m)
	buf := make([]float64, 0, m*(int(2*radius)+2))
	for i := range outs {
		centre := (float64(i)+0.5)*scale - 0.5 // in source pixel indices
		lo, hi := int(math.Ceil(centre-radius)), int(math.Floor(centre+radius))
		j0, j1 := max(lo, 0), min(hi, n-1)
		ws := grow(&buf, j1-j0+1)
		for j := lo; j <= hi; j++ {
			ws[min(max(j, j0), j1)-j0] += catmullRom((float64(j) - centre) / widen)
		}
		outs[i] = weights{j0, ws}
	}
	t := makeTaps(n, outs, even)
	t.w11, t.w12 = packedWeights(t, hBits), packedWeights(t, vBits)
	if haveSIMD && t.w11 != nil && t.n%2 == 0 {
		t.h16 = make([]int16, len(t.w11)*4)
		for i := 0; i < len(t.w11); i += 2 {
			for c := range 4 {
				t.h16[i*4+2*c] = int16(int64(t.w11[i]))
				t.h16[i*4+2*c+1] = int16(int64(t.w11[i+1]))
			}
		}
	}
	return t
}

// grow returns the next k zeroed elements of *buf, which has the capacity for
// all of them, so the weights of all outputs share one allocation.
func grow(buf *[]float64, k int) []float64 {
	n := len(*buf)
	*buf = append(*buf, make([]float64, k)...)
	return (*buf)[n : n+k : n+k]
}

// packedWeights returns t's weights at bits bits, each output's still summing
// to exactly 1<<bits, as uint64s (two's complement) for the packed kernels; nil
// if an output's positive weights sum to over 1.25 or its negative ones to
// under -0.25, which packed lanes cannot hold.
func packedWeights(t taps, bits int) []uint64 {
	drop := weightBits - bits
	out := make([]uint64, len(t.w))
	q := make([]int32, t.n)
	for i := 0; i+t.n <= len(t.w); i += t.n {
		w := t.w[i : i+t.n]
		var sum, pos, neg int32
		big := 0
		for k, v := range w {
			q[k] = (v + 1<<(drop-1)) >> drop
			sum += q[k]
			if v > w[big] {
				big = k
			}
		}
		q[big] += 1<<bits - sum
		for k, v := range q {
			if v > 0 {
				pos += v
			} else {
				neg -= v
			}
			out[i+k] = uint64(int64(v))
		}
		if pos > 5<<(bits-2) || neg > 1<<(bits-2) {
			return nil
		}
	}
	return out
}

// catmullRom is the Catmull-Rom cubic (B=0, C=½ in Mitchell–Netravali terms).
func catmullRom(x float64) float64 {
	x = math.Abs(x)
	switch {
	case x < 1:
		return (1.5*x-2.5)*x*x + 1
	case x < 2:
		return ((-0.5*x+2.5)*x-4)*x + 2
	}
	return 0
}

// resizeRows fills output rows [y0, y1) of dst: for each, a vertical pass sums the
// source rows it needs into one full-width row of accumulators (the tightest loop,
// so it takes the bulk of the work when downscaling a lot), then a horizontal pass
// filters that row into the output.
func resizeRows(dst, src *image.RGBA, xs, ys taps, y0, y1 int, opaque bool) {
	sw := src.Rect.Dx()
	acc := make([]int32, sw*4)
	var rr rowResizer
	if opaque {
		rr.reset(src)
	}
	for y := y0; y < y1; y++ {
		// Vertical: acc holds values scaled by 1<<weightBits; Catmull-Rom can
		// overshoot below 0 and above 255, hence signed.
		ws := ys.w[y*ys.n : (y+1)*ys.n]
		line := func(k int) []uint8 {
			off := src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y+ys.start[y]+k)
			return src.Pix[off : off+sw*4]
		}
		if opaque {
			out := dst.Pix[y*dst.Stride : y*dst.Stride+dst.Rect.Dx()*4]
			rr.row(out, xs, ys, y, 4)
			continue
		}
		// Two source rows per pass over acc halve its loads and stores.
		k := 0
		if len(ws)%2 == 1 {
			l0 := line(0)
			a, w0 := acc[:len(l0)], ws[0]
			for i, v := range l0 {
				a[i] = w0 * int32(v)
			}
			k = 1
		} else {
			clear(acc)
		}
		for ; k+1 < len(ws); k += 2 {
			l0, l1 := line(k), line(k+1)
			a, w0, w1 := acc[:len(l0)], ws[k], ws[k+1]
			l1 = l1[:len(l0)]
			for i, v := range l0 {
				a[i] += w0*int32(v) + w1*int32(l1[i])
			}
		}
		out := dst.Pix[y*dst.Stride : y*dst.Stride+dst.Rect.Dx()*4]
		filterRow(out, acc, xs, opaque)
	}
}

// verticalOpaque sets acc to the vertical filter of output row y of an opaque
// src, leaving the alpha sums alone: the horizontal pass ignores them.
func verticalOpaque(acc []int32, src *image.RGBA, ys taps, y int) {
	sw := src.Rect.Dx()
	ws := ys.w[y*ys.n : (y+1)*ys.n]
	line := func(k int) []uint8 {
		off := src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y+ys.start[y]+k)
		return src.Pix[off : off+sw*4]
	}
	if len(ws) == 4 {
		// The common case (Catmull-Rom near 1×, area averaging near 2×) in
		// one pass that writes acc once.
		vertical4(acc, line(0), line(1), line(2), line(3), ws)
		return
	}
	// Two source rows per pass over acc halve its loads and stores.
	k := 0
	if len(ws)%2 == 1 {
		l0 := line(0)
		a, w0 := acc[:len(l0)], ws[0]
		for i := 0; i+4 <= len(l0); i += 4 {
			p, q := l0[i:i+4:i+4], a[i:i+4:i+4]
			q[0], q[1], q[2] = w0*int32(p[0]), w0*int32(p[1]), w0*int32(p[2])
		}
		k = 1
	} else {
		clear(acc)
	}
	for ; k+1 < len(ws); k += 2 {
		l0, l1 := line(k), line(k+1)
		a, w0, w1 := acc[:len(l0)], ws[k], ws[k+1]
		l1 = l1[:len(l0)]
		for i := 0; i+4 <= len(l0); i += 4 {
			p0, p1, q := l0[i:i+4:i+4], l1[i:i+4:i+4], a[i:i+4:i+4]
			q[0] += w0*int32(p0[0]) + w1*int32(p1[0])
			q[1] += w0*int32(p0[1]) + w1*int32(p1[1])
			q[2] += w0*int32(p0[2]) + w1*int32(p1[2])
		}
	}
}

// vertical4 sets acc to the weighted sum of four opaque source rows, leaving
// the alpha sums alone: filterRow ignores them for opaque images.
func vertical4(acc []int32, l0, l1, l2, l3 []uint8, ws []int32) {
	w0, w1, w2, w3 := ws[0], ws[1], ws[2], ws[3]
	n := min(len(acc), len(l0), len(l1), len(l2), len(l3))
	for i := 0; i+4 <= n; i += 4 {
		p0, p1, p2, p3 := l0[i:i+4:i+4], l1[i:i+4:i+4], l2[i:i+4:i+4], l3[i:i+4:i+4]
		q := acc[i : i+4 : i+4]
		q[0] = w0*int32(p0[0]) + w1*int32(p1[0]) + w2*int32(p2[0]) + w3*int32(p3[0])
		q[1] = w0*int32(p0[1]) + w1*int32(p1[1]) + w2*int32(p2[1]) + w3*int32(p3[1])
		q[2] = w0*int32(p0[2]) + w1*int32(p1[2]) + w2*int32(p2[2]) + w3*int32(p3[2])
	}
}

// filterRow filters one row of vertical sums horizontally into out. Products
// reach 2^28·1.3, so they are summed in int64.
func filterRow(out []uint8, acc []int32, xs taps, opaque bool) {
	const shift = 2 * weightBits
	const half = 1 << (shift - 1)
	n := xs.n
	if opaque {
		filterRowRGB(out, acc, xs, 4)
		return
	}
	for x := range len(out) / 4 {
		ws := xs.w[x*n : x*n+n]
		p := acc[xs.start[x]*4:]
		p = p[:len(ws)*4]
		var r, g, b, a int64
		for k, w := range ws {
			q := p[k*4 : k*4+4 : k*4+4]
			r += int64(w) * int64(q[0])
			g += int64(w) * int64(q[1])
			b += int64(w) * int64(q[2])
			a += int64(w) * int64(q[3])
		}
		o := out[x*4 : x*4+4 : x*4+4]
		o[0] = clamp8((r + half) >> shift)
		o[1] = clamp8((g + half) >> shift)
		o[2] = clamp8((b + half) >> shift)
		o[3] = clamp8((a + half) >> shift)
	}
}

// filterRowRGB is filterRow for an opaque image, writing px bytes per pixel:
// 4 (RGBA, alpha 255) or 3 (RGB, as PNG takes them).
func filterRowRGB(out []uint8, acc []int32, xs taps, px int) {
	if xs.n == 4 {
		filterRow4(out, acc, xs, px)
	} else {
		filterRowOpaque(out, acc, xs, px)
	}
}

// filterRowOpaque is filterRow for an opaque image, taking the taps in pairs.
func filterRowOpaque(out []uint8, acc []int32, xs taps, px int) {
	const shift = 2 * weightBits
	const half = 1 << (shift - 1)
	n := xs.n
	for x := range len(out) / px {
		ws := xs.w[x*n : x*n+n]
		p := acc[xs.start[x]*4:]
		p = p[:len(ws)*4]
		var r, g, b int64
		for k := 0; k+1 < len(ws); k += 2 {
			w0, w1 := int64(ws[k]), int64(ws[k+1])
			q := p[k*4 : k*4+8 : k*4+8]
			r += w0*int64(q[0]) + w1*int64(q[4])
			g += w0*int64(q[1]) + w1*int64(q[5])
			b += w0*int64(q[2]) + w1*int64(q[6])
		}
		if len(ws)%2 == 1 { // only when the source is narrower than the taps
			w, q := int64(ws[len(ws)-1]), p[len(p)-4:]
			r, g, b = r+w*int64(q[0]), g+w*int64(q[1]), b+w*int64(q[2])
		}
		o := out[x*px : x*px+3 : x*px+3]
		o[0] = clamp8((r + half) >> shift)
		o[1] = clamp8((g + half) >> shift)
		o[2] = clamp8((b + half) >> shift)
		if px == 4 {
			out[x*4+3] = 255
		}
	}
}

// filterRow4 is filterRowOpaque for four taps, unrolled: the common case
// (Catmull-Rom near 1×, area averaging near 2×), where the loop's own overhead
// would cost as much as its arithmetic. It writes px bytes per pixel, as
// filterRowOpaque does.
func filterRow4(out []uint8, acc []int32, xs taps, px int) {
	const shift = 2 * weightBits
	const half = 1 << (shift - 1)
	for x := range len(out) / px {
		w := xs.w[x*4 : x*4+4 : x*4+4]
		w0, w1, w2, w3 := int64(w[0]), int64(w[1]), int64(w[2]), int64(w[3])
		s := xs.start[x] * 4
		p := acc[s : s+16 : s+16]
		o := out[x*px : x*px+3 : x*px+3]
		o[0] = clamp8((w0*int64(p[0]) + w1*int64(p[4]) + w2*int64(p[8]) + w3*int64(p[12]) + half) >> shift)
		o[1] = clamp8((w0*int64(p[1]) + w1*int64(p[5]) + w2*int64(p[9]) + w3*int64(p[13]) + half) >> shift)
		o[2] = clamp8((w0*int64(p[2]) + w1*int64(p[6]) + w2*int64(p[10]) + w3*int64(p[14]) + half) >> shift)
		if px == 4 {
			out[x*4+3] = 255
		}
	}
}

// The packed kernels hold one RGB pixel in a uint64, a 21-bit lane per channel
// (R at bit 0, G at 21, B at 42), so that one multiplication weights all three
// channels: a third of the multiplications, and no unpacking between the
// passes.
//
// Source pixels are spread into lanes as they are (0–255). The vertical pass
// weights them with vBits-bit weights; as no output's positive weights sum to
// over 1.25 nor its negative ones to under -0.25 (packedWeights checks), a
// lane's sum lies within [-0.25, 1.25]·255·2^vBits, which vBias lifts into
// [0, 2^21): no lane borrows from or carries into the next. Shifted down by
// vBits with rounding, all lanes at once, it becomes the level plus lift, within
// [0, 383]: Catmull-Rom's overshoot reaches the horizontal pass unclamped, as
// in the unpacked kernels. The horizontal pass weights those with hBits-bit
// weights into [-0.25, 1.25]·383·2^hBits, which hBias lifts into [0, 2^21)
// again, then unpacks, rounds and clamps each lane.
const (
	laneBits  = 21
	laneMask  = 1<<laneBits - 1
	lanes     = 1 | 1<<laneBits | 1<<(2*laneBits)
	vBits     = 12
	hBits     = 11
	lift      = 64 // whole levels; 0.25·255 rounded up
	vAdd      = (lift<<vBits + 1<<(vBits-1)) * lanes
	liftMask  = 511 * lanes  // a lifted level's bits in each lane
	hBias     = 256 << hBits // 0.25·383·2^hBits rounded up to a whole level
	hAdd      = (hBias + 1<<(hBits-1)) * lanes
	hSubtract = hBias>>hBits + lift
)

// spread packs a row of RGBA pixels into dst.
func spread(dst []uint64, src []uint8) {
	src = src[:4*len(dst)]
	for i := range dst {
		p := (*[4]uint8)(src[i*4:])
		dst[i] = uint64(p[0]) | uint64(p[1])<<laneBits | uint64(p[2])<<(2*laneBits)
	}
}

// rowResizer resizes opaque images one output row at a time, keeping its
// scratch rows between calls; one per goroutine.
type rowResizer struct {
	acc      []int32    // the unpacked vertical sums
	vert     []uint64   // the packed vertical sums
	rows     [][]uint64 // spread source rows, a ring indexed by row number
	rowOf    []int      // which source row each ring slot holds
	srcOf    *image.RGBA
	scratchW int

	// The previous packed row: its vertical sums and its output. A row whose
	// sums repeat the previous row's (blank lines, window backgrounds) has the
	// same output, copied instead of filtered again.
	prevV    []uint64
	prevOut  []uint8
	prevTaps *int // the horizontal taps prevOut was filtered with
	prevOK   bool

	// rowSIMD's scratch: the vertical sums (int16 RGBA, lifted), the
	// previous row's, the pair entries, and the source rows being read.
	v16, prev16, ent []int16
	rowPtr           [simdMaxTaps]*uint8
	noSIMD           bool // tests compare the kernels with and without
	noAVX2           bool // and the SSE2 ones with the AVX2 ones
}

// simdMaxTaps is the most vertical taps rowSIMD takes.
const simdMaxTaps = 8

// spreadRing is how many spread source rows a rowResizer keeps: more than the
// taps any output reads, so consecutive output rows reuse them.
const spreadRing = 16

func (r *rowResizer) reset(src *image.RGBA) {
	sw := src.Rect.Dx()
	if r.scratchW != sw {
		r.acc, r.vert, r.rows = make([]int32, 4*sw), nil, nil
		r.scratchW = sw
	}
	r.rowOf = r.rowOf[:0]
	r.srcOf = src
	r.prevOK = false
}

// packedScratch makes the packed kernels' scratch rows, on first use.
func (r *rowResizer) packedScratch() {
	if r.rows == nil {
		sw := r.scratchW
		r.vert = make([]uint64, sw)
		r.rows = make([][]uint64, spreadRing)
		for i := range r.rows {
			r.rows[i] = make([]uint64, sw)
		}
	}
	if len(r.rowOf) == 0 {
		r.rowOf = append(r.rowOf[:0], make([]int, spreadRing)...)
		for i := range r.rowOf {
			r.rowOf[i] = -1
		}
	}
}

// spreadRow returns source row y spread into lanes.
func (r *rowResizer) spreadRow(y int) []uint64 {
	i := y % spreadRing
	if r.rowOf[i] != y {
		src := r.srcOf
		off := src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y+y)
		spread(r.rows[i], src.Pix[off:off+4*src.Rect.Dx()])
		r.rowOf[i] = y
	}
	return r.rows[i]
}

// row resizes output row y of the opaque image reset was given into out, px
// bytes per pixel (see filterRowRGB).
func (r *rowResizer) row(out []uint8, xs, ys taps, y, px int) {
	if haveSIMD && !r.noSIMD && xs.h16 != nil && ys.w12 != nil && ys.n <= simdMaxTaps {
		r.rowSIMD(out, xs, ys, y, px)
		return
	}
	if xs.w11 == nil || ys.w12 == nil || ys.n > spreadRing/2 {
		verticalOpaque(r.acc, r.srcOf, ys, y)
		filterRowRGB(out, r.acc, xs, px)
		return
	}
	r.packedScratch()
	ws := ys.w12[y*ys.n : (y+1)*ys.n]
	v := r.vert
	if ys.n == 4 {
		l0, l1, l2, l3 := r.spreadRow(ys.start[y]), r.spreadRow(ys.start[y]+1), r.spreadRow(ys.start[y]+2), r.spreadRow(ys.start[y]+3)
		w0, w1, w2, w3 := ws[0], ws[1], ws[2], ws[3]
		l0, l1, l2, l3 = l0[:len(v)], l1[:len(v)], l2[:len(v)], l3[:len(v)]
		for i := range v {
			// A flat column gives its value back plus the lift (the weights
			// sum to exactly 1<<vBits), without the multiplies.
			if c := l0[i]; c == l1[i] && c == l2[i] && c == l3[i] {
				v[i] = c + lift*lanes
				continue
			}
			v[i] = (w0*l0[i] + w1*l1[i] + w2*l2[i] + w3*l3[i] + vAdd) >> vBits & liftMask
		}
	} else {
		l0 := r.spreadRow(ys.start[y])[:len(v)]
		w0 := ws[0]
		for i := range v {
			v[i] = w0*l0[i] + vAdd
		}
		for k := 1; k < len(ws); k++ {
			l, w := r.spreadRow(ys.start[y] + k)[:len(v)], ws[k]
			for i := range v {
				v[i] += w * l[i]
			}
		}
		for i := range v {
			v[i] = v[i] >> vBits & liftMask
		}
	}
	if r.prevOK && r.prevTaps == unsafe.SliceData(xs.start) && len(r.prevOut) == len(out) && slices.Equal(v, r.prevV) {
		copy(out, r.prevOut)
		return
	}
	filterRowPacked(out, v, xs, px)
	r.vert, r.prevV = r.prevV, v
	if len(r.vert) != len(v) {
		r.vert = make([]uint64, len(v))
	}
	r.prevOut = append(r.prevOut[:0], out...)
	r.prevTaps, r.prevOK = unsafe.SliceData(xs.start), true
}

// rowSIMD is row with the SSE2 kernels, which do the packed kernels' arithmetic
// exactly, channel by channel: each vertical sum is 64 + (Σ w12·p + 2048) >> 12
// and each output channel clamp8((Σ w11·v + 1024) >> 11 - 64), which is what
// the packed lanes hold before and after the horizontal pass. PMADDWD
// multiplies pairs of int16s and sums them: the vertical pass feeds it two
// source rows' bytes interleaved, the horizontal one two neighbouring pixels'
// sums interleaved (pairSSE2), so one instruction weights two taps of a pixel's
// four channels. A row whose vertical sums repeat the previous row's is copied,
// as in row. Where the CPU has AVX2 its kernels do the same arithmetic on twice
// the pixels per instruction, and the horizontal one pairs the pixels itself
// (VPSHUFB), so pairSSE2's pass over the row goes.
func (r *rowResizer) rowSIMD(out []uint8, xs, ys taps, y, px int) {
	src := r.srcOf
	w := src.Rect.Dx()
	if len(r.v16) != 4*(w+4) {
		r.v16, r.prev16 = make([]int16, 4*(w+4)), make([]int16, 4*(w+4))
		r.prevOK = false
	}
	n := ys.n
	ws := ys.w12[y*n : (y+1)*n]
	var wts [simdMaxTaps / 2]uint32
	rows := r.rowPtr[:n]
	for k := range rows {
		off := src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y+ys.start[y]+k)
		rows[k] = &src.Pix[off]
		wts[k/2] |= uint32(uint16(int16(int64(ws[k])))) << (16 * (k % 2))
	}
	if n%2 == 1 {
		r.rowPtr[n] = r.rowPtr[n-1] // with weight 0
	}
	chunks := w / 4
	v := r.v16[:4*w]
	avx2 := haveAVX2 && !r.noAVX2
	switch {
	case chunks > 0 && avx2:
		verticalAVX2(&v[0], &r.rowPtr[0], &wts[0], (n+1)/2, chunks)
	case chunks > 0:
		verticalSSE2(&v[0], &r.rowPtr[0], &wts[0], (n+1)/2, chunks)
	}
	for i := 16 * chunks; i < 4*w; i++ { // the last w%4 pixels
		var s int32
		for k, wk := range ws {
			off := src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y+ys.start[y]+k)
			s += int32(int64(wk)) * int32(src.Pix[off+i])
		}
		v[i] = int16(lift + (s+1<<(vBits-1))>>vBits)
	}
	r.rowPtr = [simdMaxTaps]*uint8{} // keep no capture alive
	m := len(out) / px
	if r.prevOK && r.prevTaps == unsafe.SliceData(xs.start) && len(r.prevOut) == len(out) && slices.Equal(v, r.prev16[:4*w]) {
		copy(out, r.prevOut)
		return
	}
	switch {
	case m > 0 && avx2:
		horizontalAVX2(&out[0], &r.v16[0], &xs.start[0], &xs.h16[0], m, xs.n/2, px)
	case m > 0:
		if len(r.ent) != 8*(w+2) {
			r.ent = make([]int16, 8*(w+2))
		}
		pairSSE2(&r.ent[0], &r.v16[0], w)
		horizontalSSE2(&out[0], &r.ent[0], &xs.start[0], &xs.h16[0], m, xs.n/2, px)
	}
	r.v16, r.prev16 = r.prev16, r.v16
	r.prevOut = append(r.prevOut[:0], out...)
	r.prevTaps, r.prevOK = unsafe.SliceData(xs.start), true
}

// filterRowPacked filters a packed row of lifted vertical sums horizontally
// into out, px bytes per pixel (see filterRowRGB).
func filterRowPacked(out []uint8, row []uint64, xs taps, px int) {
	m := len(out) / px
	n := xs.n
	ws, starts := xs.w11[:n*m], xs.start[:m]
	lane := func(s uint64, i int) uint8 {
		return clamp8(int64(s>>(i*laneBits)&laneMask)>>hBits - hSubtract)
	}
	switch {
	case n == 4 && px == 3: // the common case, unrolled
		// Screens are mostly flat: where the four taps read one value the
		// weights, which sum to one, give that value back exactly (see
		// flatLane), and the previous flat pixel's bytes are reused while the
		// value repeats.
		flat, fo := ^uint64(0), [3]uint8{}
		for x, j := range starts {
			p := (*[4]uint64)(row[j:])
			o := (*[3]uint8)(out[x*3:])
			if c := p[0]; c == p[1] && c == p[2] && c == p[3] {
				if c != flat {
					flat = c
					fo = [3]uint8{flatLane(c, 0), flatLane(c, 1), flatLane(c, 2)}
				}
				*o = fo
				continue
			}
			w := (*[4]uint64)(ws[x*4:])
			s := w[0]*p[0] + w[1]*p[1] + w[2]*p[2] + w[3]*p[3] + hAdd
			o[0], o[1], o[2] = lane(s, 0), lane(s, 1), lane(s, 2)
		}
	case n == 4: // Resize's RGBA
		for x, j := range starts {
			w := (*[4]uint64)(ws[x*4:])
			p := (*[4]uint64)(row[j:])
			s := w[0]*p[0] + w[1]*p[1] + w[2]*p[2] + w[3]*p[3] + hAdd
			o := (*[4]uint8)(out[x*4:])
			o[0], o[1], o[2], o[3] = lane(s, 0), lane(s, 1), lane(s, 2), 255
		}
	case n == 6 && px == 3: // 2560 → 1904
		for x, j := range starts {
			w := (*[6]uint64)(ws[x*6:])
			p := (*[6]uint64)(row[j:])
			s := w[0]*p[0] + w[1]*p[1] + w[2]*p[2] + w[3]*p[3] + w[4]*p[4] + w[5]*p[5] + hAdd
			o := (*[3]uint8)(out[x*3:])
			o[0], o[1], o[2] = lane(s, 0), lane(s, 1), lane(s, 2)
		}
	default:
		for x, j := range starts {
			w := ws[x*n : x*n+n]
			p := row[j : j+n]
			s := uint64(hAdd)
			for k, wk := range w {
				s += wk * p[k]
			}
			o := out[x*px : x*px+3]
			o[0], o[1], o[2] = lane(s, 0), lane(s, 1), lane(s, 2)
			if px == 4 {
				out[x*4+3] = 255
			}
		}
	}
}

// flatLane is lane i of a filter whose taps all read the packed value c: the
// weights sum to exactly 1<<hBits and hBias is whole levels, so it is c's level
// less the lift, clamped, as the full sum gives.
func flatLane(c uint64, i int) uint8 {
	return clamp8(int64(c>>(i*laneBits)&laneMask) - lift)
}

func clamp8(v int64) uint8 { return uint8(min(max(v, 0), 255)) }
