// Package perception owns what deskhand sees: which monitors there are, capturing the
// one that matters, resizing the capture to a model's grid, encoding it once, mapping a
// model's coordinates back to actuation space, and telling when the screen has settled.
// Only capture_cgo.go touches kbinani/screenshot and robotgo.
package perception

import (
	"fmt"
	"image"
	"math"
	"time"
)

// Frame is one capture as sent to a model, with everything needed to map the model's
// coordinates back to actuation space (contracts.md §4). It is plain data: traces
// store it as JSON, and the image bytes beside it.
type Frame struct {
	// Monitor is the index of the captured monitor.
	Monitor int `json:"monitor"`
	// Bounds is the monitor's origin and size in actuation space.
	Bounds image.Rectangle `json:"bounds"`
	// Captured is the pixel size of the raw capture.
	Captured image.Point `json:"captured"`
	// Scale is captured pixels per actuation unit, measured per capture (1 on X11
	// and on per-monitor-DPI-aware Windows; see Capturer.Capture for each OS).
	Scale float64 `json:"scale"`
	// Image is the pixel size of the image sent to the model.
	Image image.Point `json:"image"`
	// Content is where the capture lies in the image, in image pixels, when it
	// was sent unscaled in a slightly larger image (see Grid.Layout); the rest
	// of the image is black. Empty: the capture was scaled to fill the image.
	Content image.Rectangle `json:"content,omitzero"`
	// Data is the encoded image exactly as sent, never re-encoded.
	Data []byte `json:"-"`
	// MIME is the type of Data: image/png or image/jpeg.
	MIME string `json:"mime"`
	// Taken is when the capture was made.
	Taken time.Time `json:"taken"`
}

// Convention is how a model family writes coordinates (contracts.md §4).
type Convention string

// The conventions of contracts.md §4.
const (
	// ImagePixels: absolute pixels of the image as the model saw it.
	ImagePixels Convention = "pixels"
	// Relative1000: 0..1000 of width and height.
	Relative1000 Convention = "relative1000"
	// Relative999: 0..999, the convention of Qwen's computer-use cookbook.
	Relative999 Convention = "relative999"
)

// OutsideError reports a model coordinate that lies outside the image it saw.
// Such a point is rejected, never clamped and clicked.
type OutsideError struct {
	X, Y       float64
	Convention Convention
	Limit      image.Point
}

func (e *OutsideError) Error() string {
	return fmt.Sprintf("coordinate (%g, %g) is outside the screen the model saw (%s convention, 0..%d x 0..%d)",
		e.X, e.Y, e.Convention, e.Limit.X, e.Limit.Y)
}

// ToScreen maps a model's coordinate (x, y), written in convention c, to a point in
// actuation space. This is the one place model coordinates become screen points.
//
// A coordinate names a location on the image; the point returned is the centre of
// the actuation-space pixel under it, so the round trip screen → image → screen lands
// within one image pixel's footprint.
func (f Frame) ToScreen(x, y float64, c Convention) (image.Point, error) {
	if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
		return image.Point{}, &OutsideError{X: x, Y: y, Convention: c}
	}
	var limit image.Point
	switch c {
	case ImagePixels:
		if f.Image.X <= 0 || f.Image.Y <= 0 {
			return image.Point{}, fmt.Errorf("frame has no image size")
		}
		// Allow x == width, which some models emit for the last column.
		limit = f.Image
	case Relative1000, Relative999:
		limit = image.Pt(int(c.max()), int(c.max()))
	default:
		return image.Point{}, fmt.Errorf("unknown coordinate convention %q", c)
	}
	if c == ImagePixels && !f.Content.Empty() {
		limit = f.Content.Max // past it is the black padding
	}
	if x < 0 || y < 0 || x > float64(limit.X) || y > float64(limit.Y) {
		return image.Point{}, &OutsideError{X: x, Y: y, Convention: c, Limit: limit}
	}
	fx, fy := f.fractions(x, y, c)
	// A point in the padding around the capture is off the screen too (half a
	// pixel of slack, as for the image's own edge).
	if !f.Content.Empty() {
		sx, sy := 0.5/float64(f.Content.Dx()), 0.5/float64(f.Content.Dy())
		if fx < -sx || fy < -sy || fx > 1+sx || fy > 1+sy {
			return image.Point{}, &OutsideError{X: x, Y: y, Convention: c, Limit: limit}
		}
	}
	w, h := f.Bounds.Dx(), f.Bounds.Dy()
	px := int(math.Floor(fx * float64(w)))
	py := int(math.Floor(fy * float64(h)))
	px = min(max(px, 0), w-1)
	py = min(max(py, 0), h-1)
	return image.Pt(f.Bounds.Min.X+px, f.Bounds.Min.Y+py), nil
}

// max is the largest coordinate of a relative convention.
func (c Convention) max() float64 {
	if c == Relative999 {
		return 999
	}
	return 1000
}

// fractions is where (x, y) in convention c lies on the screen, as fractions of
// its width and height: ToScreen's and Place's arithmetic. A pixel x covers
// [x, x+1) of the image, so it names its centre.
//
// With a Content rectangle the coordinate is first placed on the image, then
// taken relative to the capture inside it.
func (f Frame) fractions(x, y float64, c Convention) (fx, fy float64) {
	var ix, iy float64 // on the image, in pixels
	switch c {
	case Relative1000, Relative999:
		if f.Content.Empty() {
			return x / c.max(), y / c.max()
		}
		ix, iy = x/c.max()*float64(f.Image.X), y/c.max()*float64(f.Image.Y)
	default:
		ix, iy = x+0.5, y+0.5
		if f.Content.Empty() {
			return ix / float64(f.Image.X), iy / float64(f.Image.Y)
		}
	}
	ct := f.Content
	return (ix - float64(ct.Min.X)) / float64(ct.Dx()), (iy - float64(ct.Min.Y)) / float64(ct.Dy())
}

// onImage is where the fractions (fx, fy) of the screen lie on the image, in
// pixels: the inverse of fractions' last step.
func (f Frame) onImage(fx, fy float64) (ix, iy float64) {
	ct := f.Content
	if ct.Empty() {
		ct = image.Rectangle{Max: f.Image}
	}
	return float64(ct.Min.X) + fx*float64(ct.Dx()), float64(ct.Min.Y) + fy*float64(ct.Dy())
}

// Place maps (x, y) in convention c to continuous actuation-space coordinates,
// with ToScreen's arithmetic but no range check and no rounding to a pixel: for
// callers that compare conventions or fit errors (calibration).
func (f Frame) Place(x, y float64, c Convention) (px, py float64) {
	fx, fy := f.fractions(x, y, c)
	return float64(f.Bounds.Min.X) + fx*float64(f.Bounds.Dx()), float64(f.Bounds.Min.Y) + fy*float64(f.Bounds.Dy())
}

// Unplace is the inverse of Place: the model coordinate, in convention c, that
// Place maps to the actuation-space point (px, py).
func (f Frame) Unplace(px, py float64, c Convention) (x, y float64) {
	fx := (px - float64(f.Bounds.Min.X)) / float64(f.Bounds.Dx())
	fy := (py - float64(f.Bounds.Min.Y)) / float64(f.Bounds.Dy())
	switch c {
	case Relative1000, Relative999:
		if f.Content.Empty() {
			return fx * c.max(), fy * c.max()
		}
		ix, iy := f.onImage(fx, fy)
		return ix / float64(f.Image.X) * c.max(), iy / float64(f.Image.Y) * c.max()
	default:
		ix, iy := f.onImage(fx, fy)
		return ix - 0.5, iy - 0.5
	}
}

// ImageBounds is the whole image sent, in actuation space: the monitor's bounds
// when the capture filled the image, a little more when it was sent unscaled
// with padding (Grid.Layout). Actuation-space drawings stretched over this
// rectangle land on the image where the screen shows them.
func (f Frame) ImageBounds() image.Rectangle {
	if f.Content.Empty() {
		return f.Bounds
	}
	sx := float64(f.Bounds.Dx()) / float64(f.Content.Dx())
	sy := float64(f.Bounds.Dy()) / float64(f.Content.Dy())
	x0 := f.Bounds.Min.X - int(math.Round(float64(f.Content.Min.X)*sx))
	y0 := f.Bounds.Min.Y - int(math.Round(float64(f.Content.Min.Y)*sy))
	return image.Rect(x0, y0, x0+int(math.Round(float64(f.Image.X)*sx)), y0+int(math.Round(float64(f.Image.Y)*sy)))
}

// FromScreen maps a point in actuation space to the model coordinate that names it in
// convention c: the inverse of ToScreen, used to describe past actions to a model and
// by tests and calibration.
func (f Frame) FromScreen(p image.Point, c Convention) (x, y float64) {
	fx := (float64(p.X-f.Bounds.Min.X) + 0.5) / float64(f.Bounds.Dx())
	fy := (float64(p.Y-f.Bounds.Min.Y) + 0.5) / float64(f.Bounds.Dy())
	switch c {
	case Relative1000, Relative999:
		if f.Content.Empty() {
			return math.Floor(fx * c.max()), math.Floor(fy * c.max())
		}
		ix, iy := f.onImage(fx, fy)
		return math.Floor(ix / float64(f.Image.X) * c.max()), math.Floor(iy / float64(f.Image.Y) * c.max())
	default:
		ix, iy := f.onImage(fx, fy)
		return math.Floor(ix), math.Floor(iy)
	}
}
