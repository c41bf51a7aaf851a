package perception

import (
	"image"
	"image/color"
	"math/rand/v2"
	"slices"
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

// The SSE2 kernels must give exactly the packed kernels' bytes, RGB and RGBA,
// at the sizes captures come in and at widths that leave a tail of fewer than
// four pixels, on noise (most overshoot) and on screens with flat runs and
// repeated rows.
func TestResizeSIMD(t *testing.T) {
	if !haveSIMD {
		t.Skip("no SIMD kernels on this architecture")
	}
	for _, tc := range []struct{ from, to image.Point }{
		{image.Pt(1920, 1080), image.Pt(1904, 1064)},
		{image.Pt(2560, 1440), image.Pt(1904, 1064)},
		{image.Pt(1366, 768), image.Pt(1372, 784)},
		{image.Pt(1920, 1080), image.Pt(1920, 1088)},
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
			var src *image.RGBA
			switch name {
			case "noise":
				src = noise(tc.from.X, tc.from.Y, 9)
			case "screen":
				src = syntheticScreen(tc.from.X, tc.from.Y)
			case "blocks":
				src = blocks(tc.from.X, tc.from.Y)
			case "sub":
				src = randomSub(rand.New(rand.NewPCG(5, 6)), tc.from)
				for i := 3; i < len(src.Pix); i += 4 {
					src.Pix[i] = 255
				}
			}
			for _, px := range []int{3, 4} {
				var simd, plain rowResizer
				simd.reset(src)
				plain.reset(src)
				plain.noSIMD = true
				got, want := make([]uint8, px*tc.to.X), make([]uint8, px*tc.to.X)
				for y := range tc.to.Y {
					simd.row(got, xs, ys, y, px)
					plain.row(want, xs, ys, y, px)
					if !slices.Equal(got, want) {
						i := 0
						for got[i] == want[i] {
							i++
						}
						t.Fatalf("%s %v→%v px %d: row %d byte %d = %d, the packed kernels give %d",
							name, tc.from, tc.to, px, y, i, got[i], want[i])
					}
				}
			}
		}
	}
}
