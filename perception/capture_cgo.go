//go:build cgo

package perception

import (
	"image"

	"github.com/go-vgo/robotgo"
	"github.com/kbinani/screenshot"
)

// This is the only file that imports kbinani/screenshot and robotgo. It hands
// their functions to the platform's backend (capture_x11.go or
// capture_native.go), which checks for a usable display before calling any of
// them: robotgo crashes the process (SIGSEGV in C) when it has no display.
// robotgo.GetXDisplayName is never called, because it crashes even with one.

func init() {
	registerBackend(newPlatformBackend(nativeLibs{
		numDisplays:   screenshot.NumActiveDisplays,
		displayBounds: screenshot.GetDisplayBounds,
		captureRect:   screenshot.CaptureRect,
		location: func() image.Point {
			x, y := robotgo.Location()
			return image.Pt(x, y)
		},
	}))
}

// nativeLibs are the cgo libraries' entry points a backend may use.
type nativeLibs struct {
	// numDisplays and displayBounds list monitors relative to the primary one.
	numDisplays   func() int
	displayBounds func(i int) image.Rectangle
	// captureRect captures a rectangle given relative to the primary monitor.
	captureRect func(r image.Rectangle) (*image.RGBA, error)
	// location is the mouse position (robotgo); it is only safe with a display.
	location func() image.Point
}
