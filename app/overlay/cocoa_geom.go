package overlay

import (
	"image"
	"image/draw"
	"math"
)

// The plain-Go half of the macOS overlay (overlay_darwin.go): the coordinate
// conversions and the pixels handed to Core Graphics, kept here so they are
// tested on every platform.
//
// Actuation space on macOS is logical points with the origin at the top-left of
// the main display (the one with the menu bar) and y growing down; Cocoa's
// screen space is the same points with the origin at the bottom-left of that
// display and y growing up. The main display's height in points turns one into
// the other.

// cgPoint, cgSize and cgRect have the memory layout of NSPoint, NSSize and
// NSRect (CGFloat is float64 on every 64-bit Mac), so they are passed to and
// returned from Objective-C as they are.
type cgPoint struct{ X, Y float64 }

type cgSize struct{ W, H float64 }

type cgRect struct{ X, Y, W, H float64 }

// toCocoa returns r, in actuation space, as a rectangle in Cocoa's screen
// space; mainH is the main display's height in points.
func toCocoa(r image.Rectangle, mainH float64) cgRect {
	return cgRect{X: float64(r.Min.X), Y: mainH - float64(r.Max.Y), W: float64(r.Dx()), H: float64(r.Dy())}
}

// fromCocoa returns the actuation-space point of p, a point in Cocoa's screen
// space. A point inside a pixel belongs to that pixel, as robotgo counts them.
func fromCocoa(p cgPoint, mainH float64) image.Point {
	return image.Pt(int(math.Floor(p.X)), int(math.Floor(mainH-p.Y)))
}

// inWindow returns p, a location in a window of height h (Cocoa's: origin at
// the bottom-left, y up), relative to the window's top-left with y down: the
// space of Panel.ButtonAt.
func inWindow(p cgPoint, h float64) image.Point {
	return image.Pt(int(math.Floor(p.X)), int(math.Floor(h-p.Y)))
}

// cgPixels returns img's pixels as rows of premultiplied RGBA bytes, top row
// first and no padding: the layout of a CGBitmapContext made with
// kCGImageAlphaPremultipliedLast and bytesPerRow 4*w. Go's RGBA is already
// premultiplied, so only the rows are packed.
func cgPixels(img *image.RGBA) (pix []byte, w, h int) {
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	pix = make([]byte, 4*w*h)
	for y := 0; y < h; y++ {
		i := img.PixOffset(b.Min.X, b.Min.Y+y)
		copy(pix[4*w*y:4*w*(y+1)], img.Pix[i:i+4*w])
	}
	return pix, w, h
}

// markerImage draws the marker rectangles rs (actuation space) in MarkerColor
// on a transparent picture scale times the size of their bounds, for a display
// with scale pixels per point; at is the bounds, where the picture goes on the
// screen.
func markerImage(rs []image.Rectangle, scale int) (img *image.RGBA, at image.Rectangle) {
	scale = max(scale, 1)
	at = Bounds(rs)
	img = image.NewRGBA(image.Rect(0, 0, at.Dx()*scale, at.Dy()*scale))
	u := image.NewUniform(MarkerColor)
	for _, r := range rs {
		r = r.Sub(at.Min)
		r = image.Rect(r.Min.X*scale, r.Min.Y*scale, r.Max.X*scale, r.Max.Y*scale)
		draw.Draw(img, r, u, image.Point{}, draw.Src)
	}
	return img, at
}

// Virtual key codes (Carbon's kVK_*) of the keys that answer the prompt: they
// are positions on the keyboard, so S and E are where they are on a US layout
// whatever the layout, as the panel's labels are read.
const (
	kvkReturn      = 36
	kvkS           = 1
	kvkE           = 14
	kvkEscape      = 53
	kvkKeypadEnter = 76
)

// Modifier flags of a CGEvent (kCGEventFlagMask*). Caps Lock, the keypad flag
// (set on the keypad's Enter) and Fn (held for Enter on a laptop's Return key)
// do not make a key another key.
const (
	flagShift     = 0x00020000
	flagControl   = 0x00040000
	flagAlternate = 0x00080000
	flagCommand   = 0x00100000
	modifierFlags = flagShift | flagControl | flagAlternate | flagCommand
)

// keyChoice returns the answer of key code code pressed with modifier flags
// flags, if it is one: Return or Enter, S, E or Esc, with no Shift, Control,
// Option or Command held (Command-S is the application's save, not a skip).
func keyChoice(code int64, flags uint64) (Choice, bool) {
	if flags&modifierFlags != 0 {
		return "", false
	}
	switch code {
	case kvkReturn, kvkKeypadEnter:
		return Approve, true
	case kvkS:
		return Skip, true
	case kvkE:
		return Edit, true
	case kvkEscape:
		return Stop, true
	}
	return "", false
}
