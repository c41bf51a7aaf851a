package perception

import (
	"bytes"
	"fmt"
	"hash/adler32"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"testing"
)

// checkRoundTrip encodes img with encodePNG and checks that image/png decodes it
// to exactly img's pixels.
func checkRoundTrip(t *testing.T, img image.Image) []byte {
	t.Helper()
	data, mime, err := encodePNG(img)
	if err != nil || mime != "image/png" {
		t.Fatalf("encodePNG: %q, %v", mime, err)
	}
	got, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("image/png cannot decode the output: %v", err)
	}
	b := img.Bounds()
	if got.Bounds().Size() != b.Size() {
		t.Fatalf("decoded %v, want %v", got.Bounds().Size(), b.Size())
	}
	for y := range b.Dy() {
		for x := range b.Dx() {
			w := color.RGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y))
			g := color.RGBAModel.Convert(got.At(x, y))
			if w != g {
				t.Fatalf("pixel %d,%d decodes to %v, want %v", x, y, g, w)
			}
		}
	}
	return data
}

func noise(w, h int, seed uint64) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.Uint32())
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	return img
}

func TestEncodePNGRoundTrip(t *testing.T) {
	sizes := []image.Point{{1, 1}, {1, 7}, {7, 1}, {3, 2}, {17, 15}, {16, 16}, {33, 64}, {101, 257}, {1904, 1064}, {1371, 771}}
	for _, s := range sizes {
		t.Run(fmt.Sprintf("%dx%d", s.X, s.Y), func(t *testing.T) {
			checkRoundTrip(t, syntheticScreen(s.X, s.Y))
			checkRoundTrip(t, noise(s.X, s.Y, uint64(s.X*s.Y)))
		})
	}
	// A sub-image: its own pixels, from its own origin.
	big := syntheticScreen(300, 200)
	sub := big.SubImage(image.Rect(13, 27, 251, 190)).(*image.RGBA)
	checkRoundTrip(t, sub)
	// Every filter gives the same pixels.
	img := syntheticScreen(640, 400)
	for _, f := range []byte{filterNone, filterSub, filterUp} {
		var buf bytes.Buffer
		if !encodeFastPNGFilter(&buf, img, f) {
			t.Fatalf("filter %d: declined an opaque image", f)
		}
		got, err := png.Decode(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("filter %d: %v", f, err)
		}
		if !bytes.Equal(toRGBA(got).Pix, img.Pix) {
			t.Errorf("filter %d: pixels differ", f)
		}
	}
}

func toRGBA(img image.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			out.Set(x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}

// Images with transparency, and other image types, go through image/png and
// keep their alpha.
func TestEncodePNGFallback(t *testing.T) {
	img := syntheticScreen(64, 48)
	img.SetRGBA(20, 10, color.RGBA{}) // transparent; exact through NRGBA
	if encodeFastPNG(new(bytes.Buffer), img) {
		t.Error("encodeFastPNG took a translucent image")
	}
	data := checkRoundTrip(t, img)
	if got, _ := png.Decode(bytes.NewReader(data)); got.ColorModel() != color.NRGBAModel {
		t.Errorf("decodes to %T, want *image.NRGBA (with alpha)", got)
	}
	gray := image.NewGray(image.Rect(0, 0, 30, 20))
	gray.Pix[7] = 99
	checkRoundTrip(t, gray)
	// The fast path writes 8-bit RGB.
	data = checkRoundTrip(t, syntheticScreen(64, 48))
	if data[25] != 2 || data[24] != 8 {
		t.Errorf("IHDR bit depth %d, colour type %d; want 8, 2", data[24], data[25])
	}
	// An empty image.
	if _, _, err := encodePNG(image.NewRGBA(image.Rectangle{})); err == nil {
		t.Log("empty image encoded") // image/png decides; either is fine
	}
}

func TestAdler32Combine(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([]byte, 200000)
	for i := range data {
		data[i] = uint8(rng.Uint32())
	}
	for _, cut := range []int{0, 1, 5552, 65521, 65522, 100000, len(data)} {
		a, b := data[:cut], data[cut:]
		got := adler32Combine(adler32.Checksum(a), adler32.Checksum(b), int64(len(b)))
		if want := adler32.Checksum(data); got != want {
			t.Errorf("cut at %d: %08x, want %08x", cut, got, want)
		}
	}
	// All 0xff maximises the sums.
	ff := bytes.Repeat([]byte{0xff}, 300000)
	if got, want := adler32Combine(adler32.Checksum(ff[:123457]), adler32.Checksum(ff[123457:]), int64(len(ff)-123457)), adler32.Checksum(ff); got != want {
		t.Errorf("0xff: %08x, want %08x", got, want)
	}
}

// BenchmarkEncode compares image/png at BestSpeed with encodeFastPNG and each
// filter on a synthetic 1904×1064 screenshot (BenchmarkPerception measures real
// ones); KB is the output size.
func BenchmarkEncode(b *testing.B) {
	img := syntheticScreen(1904, 1064)
	b.Run("image-png", func(b *testing.B) {
		var buf bytes.Buffer
		cpu := processCPU()
		for b.Loop() {
			buf.Reset()
			if err := stdPNG.Encode(&buf, img); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu)
		b.ReportMetric(float64(buf.Len())/1024, "KB")
	})
	for _, f := range []struct {
		name string
		f    byte
	}{{"none", filterNone}, {"sub", filterSub}, {"up", filterUp}} {
		b.Run(f.name, func(b *testing.B) {
			var buf bytes.Buffer
			cpu := processCPU()
			for b.Loop() {
				buf.Reset()
				encodeFastPNGFilter(&buf, img, f.f)
			}
			reportCPU(b, cpu)
			b.ReportMetric(float64(buf.Len())/1024, "KB")
		})
	}
}

// resizePNG must decode to exactly Resize's pixels, at the sizes captures come
// in and at awkward small ones, and decline a source that is not opaque.
func TestResizePNG(t *testing.T) {
	for _, tc := range []struct{ from, to image.Point }{
		{image.Pt(1920, 1080), image.Pt(1904, 1064)},
		{image.Pt(2560, 1440), image.Pt(1904, 1064)},
		{image.Pt(3840, 2160), image.Pt(1904, 1064)},
		{image.Pt(1366, 768), image.Pt(1372, 784)},
		{image.Pt(101, 257), image.Pt(33, 64)},
		{image.Pt(7, 5), image.Pt(3, 2)},
		{image.Pt(3, 2), image.Pt(7, 5)},
		{image.Pt(64, 64), image.Pt(64, 64)},
	} {
		t.Run(fmt.Sprintf("%v-%v", tc.from, tc.to), func(t *testing.T) {
			for _, src := range []*image.RGBA{syntheticScreen(tc.from.X, tc.from.Y), noise(tc.from.X, tc.from.Y, 7)} {
				var buf bytes.Buffer
				if !resizePNG(&buf, src, tc.to) {
					t.Fatal("resizePNG declined an opaque image")
				}
				got, err := png.Decode(bytes.NewReader(buf.Bytes()))
				if err != nil {
					t.Fatalf("image/png cannot decode the output: %v", err)
				}
				want := Resize(src, tc.to)
				if g := toRGBA(got); !bytes.Equal(g.Pix, want.Pix) || g.Rect != want.Rect {
					t.Fatalf("resizePNG's pixels differ from Resize's")
				}
			}
		})
	}
	src := noise(200, 100, 3)
	src.Pix[4*(200*90+150)+3] = 128
	var buf bytes.Buffer
	if resizePNG(&buf, src, image.Pt(190, 95)) || buf.Len() != 0 {
		t.Fatal("resizePNG took an image that is not opaque")
	}
}

// A capture left as the X server sends it (B, G, R, x, with x anything) makes
// the same PNG as the same capture converted to RGBA first.
func TestResizePNGFromBGRX(t *testing.T) {
	for _, tc := range []struct{ from, to image.Point }{
		{image.Pt(1920, 1080), image.Pt(1904, 1064)},
		{image.Pt(3840, 2160), image.Pt(1904, 1064)},
		{image.Pt(101, 257), image.Pt(33, 64)},
		{image.Pt(64, 64), image.Pt(64, 64)},
	} {
		t.Run(fmt.Sprintf("%v-%v", tc.from, tc.to), func(t *testing.T) {
			for _, src := range []*image.RGBA{syntheticScreen(tc.from.X, tc.from.Y), noise(tc.from.X, tc.from.Y, 7)} {
				var want bytes.Buffer
				if !resizePNG(&want, src, tc.to) {
					t.Fatal("resizePNG declined an opaque image")
				}
				raw := image.NewRGBA(src.Rect)
				for i := 0; i+4 <= len(src.Pix); i += 4 {
					p := src.Pix[i : i+4]
					raw.Pix[i], raw.Pix[i+1], raw.Pix[i+2], raw.Pix[i+3] = p[2], p[1], p[0], byte(i) // x: not alpha
				}
				var got bytes.Buffer
				if !resizePNGFrom(&got, raw, tc.to, true) {
					t.Fatal("resizePNGFrom declined a BGRX capture")
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					t.Fatal("the PNG from BGRX differs from the PNG from RGBA")
				}
			}
		})
	}
}

// BenchmarkResizePNG is Capture's resize and encode, fused, from each screen
// size to the default grid, on a synthetic screen.
func BenchmarkResizePNG(b *testing.B) {
	for _, from := range []image.Point{{1920, 1080}, {2560, 1440}, {3840, 2160}} {
		b.Run(fmt.Sprintf("%dx%d", from.X, from.Y), func(b *testing.B) {
			src := syntheticScreen(from.X, from.Y)
			size := Grid{}.Size(from.X, from.Y)
			var buf bytes.Buffer
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				buf.Reset()
				resizePNG(&buf, src, size)
			}
			reportCPU(b, cpu)
			b.ReportMetric(float64(buf.Len())/1024, "KB")
		})
	}
}

// adler32Update must agree with hash/adler32 at every length around its
// 16-byte steps and 5552-byte blocks, on bytes that maximise the sums too.
func TestAdler32Update(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	random := make([]byte, 40000)
	for i := range random {
		random[i] = byte(rng.IntN(256))
	}
	ff := bytes.Repeat([]byte{0xff}, 40000)
	for _, data := range [][]byte{random, ff} {
		for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 100, 5551, 5552, 5553, 5568, 11104, 11105, 33333, 40000} {
			for _, from := range []uint32{1, 0xfff0fff0} {
				p := data[:n]
				want := adler32Combine(from, adler32.Checksum(p), int64(n))
				if got := adler32Update(from, p); got != want {
					t.Errorf("%d bytes (0x%02x…) from %08x: %08x, want %08x", n, data[0], from, got, want)
				}
			}
		}
	}
}
