package overlay

import (
	"image"
	"image/color"
	"testing"
)

// bgraAt is the pixel at p of a top-down BGRA DIB covering b, as a color.RGBA.
func bgraAt(dib []byte, b image.Rectangle, p image.Point) color.RGBA {
	i := (p.Y-b.Min.Y)*b.Dx()*4 + (p.X-b.Min.X)*4
	return color.RGBA{R: dib[i+2], G: dib[i+1], B: dib[i], A: dib[i+3]}
}

// The marker's DIB is the marker's colour exactly where its rectangles are and
// fully transparent (so click-through) everywhere else, the targets included.
func TestDrawMarkerDIB(t *testing.T) {
	for _, a := range []struct {
		name string
		rs   []image.Rectangle
		tgts []image.Point
	}{
		{"click", Marker(click(500, 400)), Targets(click(500, 400))},
		{"click left of and above the main monitor", Marker(click(-1366, -20)), Targets(click(-1366, -20))},
		{"drag", Marker(drag(100, 100, 400, 250)), Targets(drag(100, 100, 400, 250))},
		{"scroll", Marker(scroll(640, 360, "left")), Targets(scroll(640, 360, "left"))},
		{"overlapping rectangles", []image.Rectangle{image.Rect(0, 0, 4, 4), image.Rect(2, 2, 6, 6)}, nil},
	} {
		t.Run(a.name, func(t *testing.T) {
			b := Bounds(a.rs)
			dib := make([]byte, dibLen(b.Size()))
			for i := range dib {
				dib[i] = 0xaa // what the memory held before: must not show
			}
			drawMarkerDIB(dib, b, a.rs, MarkerColor)
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					p := image.Pt(x, y)
					want := color.RGBA{}
					for _, r := range a.rs {
						if p.In(r) {
							want = MarkerColor
						}
					}
					if got := bgraAt(dib, b, p); got != want {
						t.Fatalf("pixel %v is %v, want %v", p, got, want)
					}
				}
			}
			for _, tg := range a.tgts {
				if tg.In(b) && bgraAt(dib, b, tg).A != 0 {
					t.Errorf("the target %v is not transparent", tg)
				}
			}
		})
	}
}

// The panel's DIB holds its picture's pixels, whatever the picture's origin and
// stride, premultiplied as the picture is.
func TestDrawPanelDIB(t *testing.T) {
	panel, err := RenderPanel(Prompt{Step: 3, Action: click(500, 400), Risk: "high", Reasons: []string{"sends mail"}})
	if err != nil {
		t.Fatal(err)
	}
	big := image.NewRGBA(image.Rect(-5, -5, 30, 30))
	for i := range big.Pix {
		big.Pix[i] = byte(i * 7)
	}
	big.SetRGBA(3, 4, color.RGBA{R: 0x40, G: 0x20, B: 0x10, A: 0x80}) // half transparent
	sub := big.SubImage(image.Rect(2, 3, 12, 9)).(*image.RGBA)
	for _, img := range []*image.RGBA{panel.Image, sub} {
		b := img.Bounds()
		dib := make([]byte, dibLen(b.Size()))
		drawPanelDIB(dib, img)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if got, want := bgraAt(dib, b, image.Pt(x, y)), img.RGBAAt(x, y); got != want {
					t.Fatalf("%v: pixel (%d,%d) is %v, want %v", b, x, y, got, want)
				}
			}
		}
	}
}

func TestPointFromLParam(t *testing.T) {
	for _, c := range []struct {
		l    uintptr
		want image.Point
	}{
		{0, image.Pt(0, 0)},
		{200<<16 | 300, image.Pt(300, 200)},
		{0xffec<<16 | 0xfaaa, image.Pt(-1366, -20)},
		{0x7fff<<16 | 0x8000, image.Pt(-32768, 32767)},
	} {
		if got := pointFromLParam(c.l); got != c.want {
			t.Errorf("pointFromLParam(%#x) = %v, want %v", c.l, got, c.want)
		}
	}
}

// A drag across a 4K screen is the largest marker: its DIB is drawn for every
// prompt.
func BenchmarkDrawMarkerDIB(b *testing.B) {
	rs := Marker(drag(40, 40, 3800, 2120))
	bd := Bounds(rs)
	dib := make([]byte, dibLen(bd.Size()))
	b.SetBytes(int64(len(dib)))
	for b.Loop() {
		drawMarkerDIB(dib, bd, rs, MarkerColor)
	}
}
