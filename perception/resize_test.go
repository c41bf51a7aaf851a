package perception

import (
	"image"
	"image/color"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	xdraw "golang.org/x/image/draw"
)

func TestResizeIdentity(t *testing.T) {
	src := syntheticScreen(1120, 840)
	if got := Resize(src, image.Pt(1120, 840)); got != src {
		t.Fatal("Resize to the same size copied the image; it should return src")
	}
	if got := Resize(src, image.Point{}); !got.Rect.Empty() {
		t.Fatalf("Resize to 0x0 = %v, want an empty image", got.Rect)
	}
}

// A flat image must stay exactly flat at any size: the weights sum to one exactly.
func TestResizeFlat(t *testing.T) {
	c := color.RGBA{13, 200, 77, 255}
	for _, tc := range []struct{ from, to image.Point }{
		{image.Pt(1920, 1080), image.Pt(1904, 1064)},
		{image.Pt(2560, 1440), image.Pt(1904, 1064)},
		{image.Pt(1366, 768), image.Pt(1372, 784)}, // slight upscale, as Grid.Size allows
		{image.Pt(7, 5), image.Pt(3, 2)},
		{image.Pt(3, 2), image.Pt(7, 5)},
	} {
		src := image.NewRGBA(image.Rectangle{Max: tc.from})
		for i := 0; i < len(src.Pix); i += 4 {
			src.Pix[i], src.Pix[i+1], src.Pix[i+2], src.Pix[i+3] = c.R, c.G, c.B, c.A
		}
		dst := Resize(src, tc.to)
		if dst.Rect.Size() != tc.to {
			t.Fatalf("%v→%v: got size %v", tc.from, tc.to, dst.Rect.Size())
		}
		for i := 0; i < len(dst.Pix); i += 4 {
			if got := (color.RGBA{dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3]}); got != c {
				t.Fatalf("%v→%v: pixel %d = %v, want %v", tc.from, tc.to, i/4, got, c)
			}
		}
	}
}

// areaMean is the reference: the exact mean of the source area each output pixel
// covers, in floating point.
func areaMean(src *image.RGBA, size image.Point) [][4]float64 {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	out := make([][4]float64, size.X*size.Y)
	sx, sy := float64(sw)/float64(size.X), float64(sh)/float64(size.Y)
	for oy := range size.Y {
		for ox := range size.X {
			x0, x1 := float64(ox)*sx, float64(ox+1)*sx
			y0, y1 := float64(oy)*sy, float64(oy+1)*sy
			var acc [4]float64
			var area float64
			for y := int(y0); y < sh && float64(y) < y1; y++ {
				for x := int(x0); x < sw && float64(x) < x1; x++ {
					a := (min(x1, float64(x+1)) - max(x0, float64(x))) * (min(y1, float64(y+1)) - max(y0, float64(y)))
					if a <= 0 {
						continue
					}
					p := src.RGBAAt(src.Rect.Min.X+x, src.Rect.Min.Y+y)
					acc[0] += a * float64(p.R)
					acc[1] += a * float64(p.G)
					acc[2] += a * float64(p.B)
					acc[3] += a * float64(p.A)
					area += a
				}
			}
			for c := range acc {
				acc[c] /= area
			}
			out[oy*size.X+ox] = acc
		}
	}
	return out
}

// randomSub returns a random image of size with a non-zero origin and a stride
// wider than its width, as SubImage makes.
func randomSub(rng *rand.Rand, size image.Point) *image.RGBA {
	big := image.NewRGBA(image.Rect(-3, -2, size.X+5, size.Y+1))
	for i := range big.Pix {
		big.Pix[i] = uint8(rng.IntN(256))
	}
	return big.SubImage(image.Rect(0, 0, size.X, size.Y).Add(image.Pt(-1, -1))).(*image.RGBA)
}

// From a factor of 1.5 on, Resize is exact area averaging.
func TestResizeIsAreaMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ from, to image.Point }{
		{image.Pt(37, 23), image.Pt(11, 7)},
		{image.Pt(100, 60), image.Pt(66, 31)},
		{image.Pt(64, 48), image.Pt(17, 13)},
		{image.Pt(10, 10), image.Pt(6, 4)},
		{image.Pt(5, 200), image.Pt(3, 28)},
	} {
		src := randomSub(rng, tc.from)
		got := Resize(src, tc.to)
		want := areaMean(src, tc.to)
		for i, w := range want {
			for c := range 4 {
				if d := float64(got.Pix[i*4+c]) - w[c]; d > 1 || d < -1 {
					t.Fatalf("%v→%v: pixel %d channel %d = %d, want %.2f", tc.from, tc.to, i, c, got.Pix[i*4+c], w[c])
				}
			}
		}
	}
}

// Below a factor of 1.5, and when upscaling, Resize is Catmull-Rom as
// golang.org/x/image/draw computes it, up to fixed-point rounding.
func TestResizeIsCatmullRom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ from, to image.Point }{
		{image.Pt(100, 60), image.Pt(99, 59)},
		{image.Pt(40, 30), image.Pt(29, 21)},
		{image.Pt(10, 10), image.Pt(13, 9)},
	} {
		src := randomSub(rng, tc.from)
		// x/image/draw clamps colour to alpha (premultiplied), so compare opaque images.
		for i := 3; i < len(src.Pix); i += 4 {
			src.Pix[i] = 255
		}
		got := Resize(src, tc.to)
		ref := image.NewRGBA(image.Rectangle{Max: tc.to})
		xdraw.CatmullRom.Scale(ref, ref.Bounds(), src, src.Bounds(), xdraw.Src, nil)
		// At the edges x/image/draw drops the taps that fall outside and
		// renormalises; Resize repeats the edge pixel. Compare the interior.
		worst := 0
		for y := 3; y < tc.to.Y-3; y++ {
			for x := 3; x < tc.to.X-3; x++ {
				for c := range 4 {
					g, r := int(got.Pix[got.PixOffset(x, y)+c]), int(ref.Pix[ref.PixOffset(x, y)+c])
					worst = max(worst, g-r, r-g)
				}
			}
		}
		if worst > 2 {
			t.Errorf("%v→%v: differs from x/image/draw CatmullRom by up to %d levels, want ≤ 2", tc.from, tc.to, worst)
		}
	}
}

// Area averaging must stay close to a high-quality interpolating filter on
// text-heavy screenshots, and keep about as much edge contrast, at the sizes that
// matter: small factors (1920, 2560 → 1904) where legibility is at stake, and 4K.
func TestResizeQualityVsCatmullRom(t *testing.T) {
	for _, from := range []image.Point{{1920, 1080}, {2560, 1440}, {3840, 2160}, {1366, 768}} {
		src := syntheticScreen(from.X, from.Y)
		size := Grid{}.Size(from.X, from.Y)
		got := Resize(src, size)
		ref := image.NewRGBA(image.Rectangle{Max: size})
		xdraw.CatmullRom.Scale(ref, ref.Bounds(), src, src.Bounds(), xdraw.Src, nil)
		p := psnr(got, ref)
		sg, sr := sharpness(got), sharpness(ref)
		t.Logf("%v→%v: PSNR vs CatmullRom %.1f dB, edge contrast %.2f vs %.2f (%.0f%%)", from, size, p, sg, sr, 100*sg/sr)
		if p < 30 {
			t.Errorf("%v→%v: PSNR vs CatmullRom %.1f dB, want > 30", from, size, p)
		}
		if sg < 0.8*sr {
			t.Errorf("%v→%v: edge contrast %.2f is under 80%% of CatmullRom's %.2f: text would blur", from, size, sg, sr)
		}
	}
}

func BenchmarkResize1920to1904(b *testing.B) { benchResize(b, image.Pt(1920, 1080)) }
func BenchmarkResize2560to1904(b *testing.B) { benchResize(b, image.Pt(2560, 1440)) }
func BenchmarkResize3840to1904(b *testing.B) { benchResize(b, image.Pt(3840, 2160)) }

func benchResize(b *testing.B, from image.Point) {
	src := syntheticScreen(from.X, from.Y)
	size := Grid{}.Size(from.X, from.Y)
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		Resize(src, size)
	}
	reportCPU(b, cpu)
}

func BenchmarkCatmullRom1920to1904(b *testing.B) { benchCatmullRom(b, image.Pt(1920, 1080)) }
func BenchmarkCatmullRom2560to1904(b *testing.B) { benchCatmullRom(b, image.Pt(2560, 1440)) }

func benchCatmullRom(b *testing.B, from image.Point) {
	src := syntheticScreen(from.X, from.Y)
	size := Grid{}.Size(from.X, from.Y)
	dst := image.NewRGBA(image.Rectangle{Max: size})
	cpu := processCPU()
	for b.Loop() {
		xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), xdraw.Src, nil)
	}
	reportCPU(b, cpu)
}

func BenchmarkEncodePNG(b *testing.B) {
	img := Resize(syntheticScreen(1920, 1080), Grid{}.Size(1920, 1080))
	var size int
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		data, _, err := encodePNG(img)
		if err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	reportCPU(b, cpu)
	b.ReportMetric(float64(size)/1024, "KB")
}

func BenchmarkEncodeJPEG(b *testing.B) {
	img := Resize(syntheticScreen(1920, 1080), Grid{}.Size(1920, 1080))
	enc, err := (&Capturer{Format: FormatJPEG}).encoder()
	if err != nil {
		b.Fatal(err)
	}
	var size int
	cpu := processCPU()
	for b.Loop() {
		data, _, err := enc(img)
		if err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	reportCPU(b, cpu)
	b.ReportMetric(float64(size)/1024, "KB")
}

// The packed kernels (three channels per multiplication) must agree with the
// unpacked ones to within a level, overshoot included: on noise, and on screens
// and blocks whose flat runs and repeated rows take the packed kernels' short
// cuts (flat taps, a row copied from the previous one).
func TestResizePackedKernels(t *testing.T) {
	for _, tc := range []struct {
		from, to image.Point
		src      string
	}{
		{image.Pt(1920, 1080), image.Pt(1904, 1064), "noise"},
		{image.Pt(2560, 1440), image.Pt(1904, 1064), "noise"},
		{image.Pt(1366, 768), image.Pt(1372, 784), "noise"},
		{image.Pt(1920, 1080), image.Pt(1904, 1064), "screen"},
		{image.Pt(1366, 768), image.Pt(1372, 784), "screen"},
		{image.Pt(1920, 1080), image.Pt(1904, 1064), "blocks"},
		{image.Pt(2560, 1440), image.Pt(1904, 1064), "blocks"},
	} {
		var src *image.RGBA
		switch tc.src {
		case "noise":
			src = noise(tc.from.X, tc.from.Y, 5)
		case "screen":
			src = syntheticScreen(tc.from.X, tc.from.Y)
		case "blocks":
			src = blocks(tc.from.X, tc.from.Y)
		}
		xs, ys := filterTaps(tc.from.X, tc.to.X, true), filterTaps(tc.from.Y, tc.to.Y, false)
		if xs.w11 == nil || ys.w12 == nil {
			t.Fatalf("%v→%v: the packed kernels do not apply", tc.from, tc.to)
		}
		plain := taps{n: xs.n, start: xs.start, w: xs.w}
		var rr rowResizer
		rr.reset(src)
		got, want := make([]uint8, 3*tc.to.X), make([]uint8, 3*tc.to.X)
		worst := 0
		for y := range tc.to.Y {
			rr.row(got, xs, ys, y, 3)
			rr.row(want, plain, ys, y, 3)
			for i := range got {
				worst = max(worst, int(got[i])-int(want[i]), int(want[i])-int(got[i]))
			}
		}
		if worst > 1 {
			t.Errorf("%s %v→%v: packed kernels differ by up to %d levels, want ≤ 1", tc.src, tc.from, tc.to, worst)
		}
	}
}

// blocks is an image of flat rectangles with hard edges, rows repeated in runs
// of uneven length and extreme levels next to each other (most overshoot).
func blocks(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		band := (y / 7) * 7 // rows repeat in runs of 7
		for x := range w {
			v := uint8(0)
			if (x/5+band/7)%3 == 0 {
				v = 255
			}
			c := (x / 40) * 29
			img.Pix[img.PixOffset(x, y)+0] = v
			img.Pix[img.PixOffset(x, y)+1] = uint8(c + band)
			img.Pix[img.PixOffset(x, y)+2] = 255 - v
			img.Pix[img.PixOffset(x, y)+3] = 255
		}
	}
	return img
}

// simdKernels are the kernel sets rowSIMD can run on this machine, set up on
// a rowResizer: the SSE2 ones always, the AVX2 ones where the CPU has them.
func simdKernels() []struct {
	name string
	set  func(*rowResizer)
} {
	ks := []struct {
		name string
		set  func(*rowResizer)
	}{{"sse2", func(r *rowResizer) { r.noAVX2 = true }}}
	if haveAVX2 {
		ks = append(ks, struct {
			name string
			set  func(*rowResizer)
		}{"avx2", func(r *rowResizer) {}})
	}
	return ks
}

// The SIMD kernels, SSE2 and AVX2, must give exactly the packed kernels'
// bytes, RGB and RGBA, at the sizes captures come in and at widths that leave
// a tail of fewer than four (SSE2) or eight (AVX2) pixels, on noise (most
// overshoot) and on screens with flat runs and repeated rows.
func TestResizeSIMD(t *testing.T) {
	if !haveSIMD {
		t.Skip("no SIMD kernels on this architecture")
	}
	for _, tc := range []struct{ from, to image.Point }{
		{image.Pt(1920, 1080), image.Pt(1904, 1064)},
		{image.Pt(2560, 1440), image.Pt(1904, 1064)},
		{image.Pt(1366, 768), image.Pt(1372, 784)},
		{image.Pt(1920, 1080), image.Pt(1920, 1088)},
		{image.Pt(1366, 768), image.Pt(1344, 756)},
		{image.Pt(103, 61), image.Pt(101, 59)},
		{image.Pt(75, 40), image.Pt(57, 33)},
		{image.Pt(7, 9), image.Pt(6, 8)},
		{image.Pt(5, 9), image.Pt(6, 11)},
		{image.Pt(4, 6), image.Pt(6, 5)},
	} {
		xs, ys := filterTaps(tc.from.X, tc.to.X, true), filterTaps(tc.from.Y, tc.to.Y, false)
		if xs.h16 == nil || ys.w12 == nil || ys.n > simdMaxTaps {
			t.Errorf("%v→%v: the SIMD kernels do not apply", tc.from, tc.to)
			continue
		}
		for _, name := range []string{"noise", "screen", "blocks", "sub"} {
			checkSIMDRows(t, name, simdSource(name, tc.from), tc.to, xs, ys)
		}
	}
}

// The SIMD kernels must match the packed kernels at every small width, so
// that every tail length and every split into AVX2 blocks and SSE2 chunks is
// taken, and at every vertical and horizontal tap count the SIMD kernels take.
func TestResizeSIMDSmall(t *testing.T) {
	if !haveSIMD {
		t.Skip("no SIMD kernels on this architecture")
	}
	seen := map[[2]int]bool{} // horizontal, vertical taps
	for sw := 1; sw <= 41; sw++ {
		for _, f := range []float64{0.8, 0.97, 1.2, 1.49} {
			from := image.Pt(sw, 1+sw%13) // 1 to 13 rows: 1 to 6 vertical taps
			to := image.Pt(max(int(float64(sw)/f+0.5), 1), max(int(float64(from.Y)/f+0.5), 1))
			xs, ys := filterTaps(from.X, to.X, true), filterTaps(from.Y, to.Y, false)
			if xs.h16 == nil || ys.w12 == nil || ys.n > simdMaxTaps {
				continue
			}
			seen[[2]int{xs.n, ys.n}] = true
			for _, name := range []string{"noise", "blocks", "sub"} {
				checkSIMDRows(t, name, simdSource(name, from), to, xs, ys)
			}
		}
	}
	for _, hv := range [][2]int{{2, 1}, {2, 3}, {4, 2}, {4, 3}, {4, 4}, {4, 5}, {6, 6}} {
		if !seen[hv] {
			t.Errorf("no size took %d horizontal and %d vertical taps", hv[0], hv[1])
		}
	}
}

// simdSource returns a test image of the named kind: noise, a synthetic
// screen, blocks, or opaque noise with a non-zero origin and a wide stride.
func simdSource(name string, size image.Point) *image.RGBA {
	switch name {
	case "noise":
		return noise(size.X, size.Y, 9)
	case "screen":
		return syntheticScreen(size.X, size.Y)
	case "blocks":
		return blocks(size.X, size.Y)
	}
	src := randomSub(rand.New(rand.NewPCG(5, 6)), size)
	for i := 3; i < len(src.Pix); i += 4 {
		src.Pix[i] = 255
	}
	return src
}

// checkSIMDRows resizes src to size row by row with each SIMD kernel set and
// with the packed kernels in Go, RGB and RGBA, and fails at the first byte
// that differs.
func checkSIMDRows(t *testing.T, name string, src *image.RGBA, size image.Point, xs, ys taps) {
	t.Helper()
	from := src.Rect.Size()
	for _, k := range simdKernels() {
		for _, px := range []int{3, 4} {
			var simd, plain rowResizer
			simd.reset(src)
			k.set(&simd)
			plain.reset(src)
			plain.noSIMD = true
			got, want := make([]uint8, px*size.X), make([]uint8, px*size.X)
			for y := range size.Y {
				simd.row(got, xs, ys, y, px)
				plain.row(want, xs, ys, y, px)
				if !slices.Equal(got, want) {
					i := 0
					for got[i] == want[i] {
						i++
					}
					t.Fatalf("%s %s %v→%v (taps %d×%d) px %d: row %d byte %d = %d, the packed kernels give %d",
						k.name, name, from, size, xs.n, ys.n, px, y, i, got[i], want[i])
				}
			}
		}
	}
}

// The AVX2 kernels must write exactly what the SSE2 ones write, and nothing
// past the end of their output, for any inputs the SIMD kernels take: random
// rows and weights, every tap count, widths around every block size.
func TestResizeAVX2Kernels(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2 on this machine")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	const guard = 64
	for pairs := 1; pairs <= simdMaxTaps/2; pairs++ {
		for chunks := 0; chunks <= 21; chunks++ {
			w := 4 * chunks
			rows := make([]*uint8, simdMaxTaps)
			for k := range rows {
				row := make([]uint8, w+1)
				for i := range row {
					row[i] = uint8(rng.Uint32())
				}
				rows[k] = &row[0]
			}
			var wts [simdMaxTaps / 2]uint32
			for p := range pairs {
				wts[p] = uint32(uint16(int16(rng.IntN(5120)-1024))) | uint32(uint16(int16(rng.IntN(5120)-1024)))<<16
			}
			got, want := make([]int16, 4*w+guard), make([]int16, 4*w+guard)
			if chunks > 0 {
				verticalAVX2(&got[0], &rows[0], &wts[0], pairs, chunks)
				verticalSSE2(&want[0], &rows[0], &wts[0], pairs, chunks)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("vertical, %d pairs, %d chunks: AVX2 %v, SSE2 %v", pairs, chunks, got, want)
			}
		}
	}
	for pairs := 1; pairs <= 4; pairs++ {
		for m := 1; m <= 21; m++ {
			w := m + 2*pairs + 3
			v := make([]int16, 4*(w+4))
			for i := range v {
				v[i] = int16(rng.IntN(400))
			}
			starts := make([]int, m)
			for x := range starts {
				starts[x] = rng.IntN(w - 2*pairs + 1)
			}
			slices.Sort(starts)
			wt := make([]int16, m*pairs*8)
			for i := 0; i < len(wt); i += 8 {
				a, b := int16(rng.IntN(2560)-512), int16(rng.IntN(2560)-512)
				for c := range 4 {
					wt[i+2*c], wt[i+2*c+1] = a, b
				}
			}
			ent := make([]int16, 8*(w+2))
			pairSSE2(&ent[0], &v[0], w)
			for _, px := range []int{3, 4} {
				got, want := make([]uint8, px*m+guard), make([]uint8, px*m+guard)
				for i := px * m; i < len(got); i++ {
					got[i], want[i] = 0xa5, 0xa5
				}
				horizontalAVX2(&got[0], &v[0], &starts[0], &wt[0], m, pairs, px)
				horizontalSSE2(&want[0], &ent[0], &starts[0], &wt[0], m, pairs, px)
				if !slices.Equal(got, want) {
					t.Fatalf("horizontal, %d pairs, %d pixels, px %d: AVX2 %v, SSE2 %v", pairs, m, px, got, want)
				}
			}
		}
	}
}

// On a machine whose CPU and kernel offer AVX2 (Linux lists it in
// /proc/cpuinfo), the AVX2 kernels must be the ones in use: a detection that
// wrongly says no would silently cost the speed they were written for.
func TestResizeUsesAVX2(t *testing.T) {
	if !haveSIMD || runtime.GOARCH != "amd64" {
		t.Skip("no SIMD kernels on this architecture")
	}
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skip("no /proc/cpuinfo to say whether the CPU has AVX2")
	}
	want := false
	for line := range strings.Lines(string(info)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "flags" {
			want = slices.Contains(strings.Fields(v), "avx2")
			break
		}
	}
	if haveAVX2 != want {
		t.Fatalf("haveAVX2 = %v, but /proc/cpuinfo says AVX2 is %v", haveAVX2, map[bool]string{true: "there", false: "missing"}[want])
	}
}

// BenchmarkResizeRow measures rowResizer.row alone, on one goroutine, over
// every output row of a 1920x1080 image resized to the grid as PNG rows, with
// each kernel set: go (the packed kernels), sse2 and avx2. On noise every row
// is filtered; on the synthetic screen repeated rows are copied.
func BenchmarkResizeRow(b *testing.B) {
	from := image.Pt(1920, 1080)
	size := Grid{}.Size(from.X, from.Y)
	xs, ys := cachedTaps(from.X, size.X, true), cachedTaps(from.Y, size.Y, false)
	kernels := append([]struct {
		name string
		set  func(*rowResizer)
	}{{"go", func(r *rowResizer) { r.noSIMD = true }}}, simdKernels()...)
	for _, name := range []string{"noise", "screen"} {
		src := simdSource(name, from)
		for _, k := range kernels {
			b.Run(name+"/"+k.name, func(b *testing.B) {
				var rr rowResizer
				rr.reset(src)
				k.set(&rr)
				out := make([]uint8, 3*size.X)
				cpu := processCPU()
				for b.Loop() {
					for y := range size.Y {
						rr.row(out, xs, ys, y, 3)
					}
				}
				reportCPU(b, cpu)
			})
		}
	}
}
