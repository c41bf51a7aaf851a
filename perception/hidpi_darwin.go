//go:build darwin && cgo

package perception

/*
#cgo LDFLAGS: -framework CoreGraphics
#include <CoreGraphics/CoreGraphics.h>

// backingScale returns the ratio of physical pixels to points of the display at
// point (x, y) in global display coordinates (points, origin at the top left of
// the main display, as CGDisplayBounds), or 0 if there is none.
static double backingScale(double x, double y) {
	CGDirectDisplayID id;
	uint32_t count = 0;
	if (CGGetDisplaysWithPoint(CGPointMake(x, y), 1, &id, &count) != kCGErrorSuccess || count == 0) {
		return 0;
	}
	CGDisplayModeRef mode = CGDisplayCopyDisplayMode(id);
	if (mode == NULL) {
		return 0;
	}
	size_t points = CGDisplayModeGetWidth(mode);
	size_t pixels = CGDisplayModeGetPixelWidth(mode);
	CGDisplayModeRelease(mode);
	if (points == 0) {
		return 0;
	}
	return (double)pixels / (double)points;
}
*/
import "C"

import "image"

// macOS HiDPI: see hidpi.go. Monitor bounds are in points (kbinani/screenshot
// returns CGDisplayBounds unchanged), so the display under the centre of the
// monitor's bounds is the monitor.
func platformScaling(m Monitor) Scaling {
	s := Scaling{Space: "points"}
	c := m.Bounds.Min.Add(m.Bounds.Size().Div(2))
	f := float64(C.backingScale(C.double(c.X), C.double(c.Y)))
	if f <= 0 {
		s.Note = "no display at " + c.String() + " in CoreGraphics' list"
		return s
	}
	s.Factor = f
	s.Note = "backing scale from the display mode (pixel width / point width); " +
		"kbinani/screenshot captures at point size, so Frame.Scale is 1"
	return s
}

// cursorPos defers to robotgo.Location, which is in points on macOS.
func cursorPos() (image.Point, bool) { return image.Point{}, false }
