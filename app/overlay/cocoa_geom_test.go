package overlay

import (
	"image"
	"image/color"
	"testing"
)

// A rectangle goes to Cocoa's flipped space and its corners come back: the
// marker and panel land where the actuation-space geometry put them, on the
// main display and on displays above, below and left of it.
func TestCocoaRoundTrip(t *testing.T) {
	const mainH = 900
	for _, tc := range []struct {
		r    image.Rectangle
		want cgRect
	}{
		{image.Rect(0, 0, 10, 20), cgRect{0, 880, 10, 20}},                    // top-left of the main display
		{image.Rect(100, 850, 200, 900), cgRect{100, 0, 100, 50}},             // its bottom edge
		{image.Rect(-1440, -300, -1340, -200), cgRect{-1440, 1100, 100, 100}}, // a display left of and above it
		{image.Rect(50, 1000, 60, 1010), cgRect{50, -110, 10, 10}},            // a display below it
	} {
		got := toCocoa(tc.r, mainH)
		if got != tc.want {
			t.Errorf("toCocoa(%v) = %+v, want %+v", tc.r, got, tc.want)
		}
		// Cocoa's top-left corner of the rectangle is (X, Y+H); the first pixel
		// inside it is half a point in from there.
		if p := fromCocoa(cgPoint{got.X + 0.5, got.Y + got.H - 0.5}, mainH); p != tc.r.Min {
			t.Errorf("fromCocoa(top-left of %+v) = %v, want %v", got, p, tc.r.Min)
		}
		if p := fromCocoa(cgPoint{got.X + got.W - 0.5, got.Y + 0.5}, mainH); p != tc.r.Max.Sub(image.Pt(1, 1)) {
			t.Errorf("fromCocoa(bottom-right of %+v) = %v, want %v", got, p, tc.r.Max.Sub(image.Pt(1, 1)))
		}
	}
}

// A mouse location is read the way Quartz reads it (y = main height - Cocoa y),
// whole points and fractions of a point on a Retina display alike.
func TestFromCocoa(t *testing.T) {
	for _, tc := range []struct {
		p    cgPoint
		want image.Point
	}{
		{cgPoint{0, 900}, image.Pt(0, 0)},
		{cgPoint{10, 890}, image.Pt(10, 10)},
		{cgPoint{10.5, 889.5}, image.Pt(10, 10)},
		{cgPoint{-0.5, 900.5}, image.Pt(-1, -1)},
		{cgPoint{1439, 1}, image.Pt(1439, 899)},
	} {
		if got := fromCocoa(tc.p, 900); got != tc.want {
			t.Errorf("fromCocoa(%+v) = %v, want %v", tc.p, got, tc.want)
		}
	}
}

// A click in the panel window reaches ButtonAt in the picture's own space.
func TestInWindowButtons(t *testing.T) {
	p, err := RenderPanel(Prompt{Step: 1, Action: click(10, 10)})
	if err != nil {
		t.Fatal(err)
	}
	h := float64(p.Image.Bounds().Dy())
	for _, b := range p.Buttons {
		c := b.Rect.Min.Add(b.Rect.Size().Div(2))
		// The same point as Cocoa gives it: from the window's bottom-left, y up.
		loc := cgPoint{float64(c.X) + 0.25, h - float64(c.Y) - 0.25}
		got, ok := p.ButtonAt(inWindow(loc, h))
		if !ok || got != b.Choice {
			t.Errorf("click at %+v in the window = %q, %v; want %q", loc, got, ok, b.Choice)
		}
	}
	if got, ok := p.ButtonAt(inWindow(cgPoint{3, h - 3}, h)); ok {
		t.Errorf("click in the panel's corner = %q, want no button", got)
	}
}

// The bytes for Core Graphics are the picture's rows packed, premultiplied as
// Go keeps them, also for a sub-image whose rows are longer than it is wide.
func TestCGPixels(t *testing.T) {
	big := image.NewRGBA(image.Rect(0, 0, 8, 6))
	big.SetRGBA(2, 1, color.RGBA{0x80, 0x10, 0x20, 0x80}) // half-transparent, premultiplied
	big.SetRGBA(4, 3, color.RGBA{0xff, 0x2d, 0x95, 0xff})
	sub := big.SubImage(image.Rect(2, 1, 5, 4)).(*image.RGBA)
	pix, w, h := cgPixels(sub)
	if w != 3 || h != 3 || len(pix) != 4*3*3 {
		t.Fatalf("cgPixels: %dx%d, %d bytes; want 3x3, 36 bytes", w, h, len(pix))
	}
	for _, tc := range []struct {
		x, y int
		want [4]byte
	}{
		{0, 0, [4]byte{0x80, 0x10, 0x20, 0x80}},
		{2, 2, [4]byte{0xff, 0x2d, 0x95, 0xff}},
		{1, 1, [4]byte{0, 0, 0, 0}},
	} {
		i := 4 * (tc.y*w + tc.x)
		if got := [4]byte(pix[i : i+4]); got != tc.want {
			t.Errorf("pixel (%d,%d) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
}

// The marker picture is opaque marker colour on the marker's rectangles and
// transparent elsewhere, the target included, at 1 and 2 pixels per point.
func TestMarkerImage(t *testing.T) {
	a := click(300, 200)
	rs := Marker(a)
	for _, scale := range []int{1, 2} {
		img, at := markerImage(rs, scale)
		if at != Bounds(rs) {
			t.Errorf("scale %d: placed at %v, want the marker's bounds %v", scale, at, Bounds(rs))
		}
		if got, want := img.Bounds().Size(), at.Size().Mul(scale); got != want {
			t.Errorf("scale %d: picture %v, want %v", scale, got, want)
		}
		pixel := func(p image.Point) color.RGBA { // p in actuation space
			q := p.Sub(at.Min).Mul(scale)
			return img.RGBAAt(q.X, q.Y)
		}
		tgt := Targets(a)[0]
		if c := pixel(tgt); c.A != 0 {
			t.Errorf("scale %d: target pixel %v, want transparent", scale, c)
		}
		for _, r := range rs {
			if c := pixel(r.Min); c != MarkerColor {
				t.Errorf("scale %d: marker pixel %v = %v, want %v", scale, r.Min, c, MarkerColor)
			}
		}
	}
}

// Only the four answers, unmodified, answer: Command-S saves in the
// application, and a keypad Enter or Caps Lock changes nothing.
func TestKeyChoice(t *testing.T) {
	const capsLock, keypad, fn = 0x00010000, 0x00200000, 0x00800000
	for _, tc := range []struct {
		code  int64
		flags uint64
		want  Choice
		ok    bool
	}{
		{kvkReturn, 0, Approve, true},
		{kvkKeypadEnter, keypad | fn, Approve, true},
		{kvkS, capsLock, Skip, true},
		{kvkE, 0, Edit, true},
		{kvkEscape, 0, Stop, true},
		{kvkS, flagCommand, "", false},
		{kvkReturn, flagShift, "", false},
		{kvkE, flagControl, "", false},
		{kvkEscape, flagAlternate, "", false},
		{0, 0, "", false},  // A
		{49, 0, "", false}, // Space
	} {
		got, ok := keyChoice(tc.code, tc.flags)
		if got != tc.want || ok != tc.ok {
			t.Errorf("keyChoice(%d, %#x) = %q, %v; want %q, %v", tc.code, tc.flags, got, ok, tc.want, tc.ok)
		}
	}
}
