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
	if x < 0 || y < 0 || x > float64(limit.X) || y > float64(limit.Y) {
		return image.Point{}, &OutsideError{X: x, Y: y, Convention: c, Limit: limit}
	}
	fx, fy := f.fractions(x, y, c)
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
func (f Frame) fractions(x, y float64, c Convention) (fx, fy float64) {
	switch c {
	case Relative1000, Relative999:
		return x / c.max(), y / c.max()
	default:
		return (x + 0.5) / float64(f.Image.X), (y + 0.5) / float64(f.Image.Y)
	}
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
		return fx * c.max(), fy * c.max()
	default:
		return fx*float64(f.Image.X) - 0.5, fy*float64(f.Image.Y) - 0.5
	}
}

// FromScreen maps a point in actuation space to the model coordinate that names it in
// convention c: the inverse of ToScreen, used to describe past actions to a model and
// by tests and calibration.
func (f Frame) FromScreen(p image.Point, c Convention) (x, y float64) {
	fx := (float64(p.X-f.Bounds.Min.X) + 0.5) / float64(f.Bounds.Dx())
	fy := (float64(p.Y-f.Bounds.Min.Y) + 0.5) / float64(f.Bounds.Dy())
	switch c {
	case Relative1000:
		return math.Floor(fx * 1000), math.Floor(fy * 1000)
	case Relative999:
		return math.Floor(fx * 999), math.Floor(fy * 999)
	default:
		return math.Floor(fx * float64(f.Image.X)), math.Floor(fy * float64(f.Image.Y))
	}
}
