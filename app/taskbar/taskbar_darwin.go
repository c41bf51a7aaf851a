//go:build darwin

package taskbar

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"

	"github.com/deskhand/deskhand/app/taskbar/internal/mac"
)

// ActiveTitle returns the title of the frontmost application's frontmost
// window, or the application's name when that cannot be read (without the
// screen recording permission), or "". Read it before the bar opens: deskhand
// is the frontmost application after.
func ActiveTitle() string { return mac.FrontTitle() }

// raise puts the bar at the top centre of the screen under the mouse, above
// normal windows, and makes it the key window of the active deskhand (see
// mac.Raise). It runs on fyne's goroutine, which is the main thread AppKit
// needs.
func raise(w fyne.Window) {
	nw, ok := w.(driver.NativeWindow)
	if !ok {
		return
	}
	var handle uintptr
	nw.RunNative(func(ctx any) {
		if c, ok := ctx.(driver.MacWindowContext); ok {
			handle = c.NSWindow
		}
	})
	mac.Raise(handle, Place)
}
