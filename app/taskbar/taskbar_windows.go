//go:build windows

package taskbar

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"

	"github.com/deskhand/deskhand/app/taskbar/internal/win"
)

// ActiveTitle returns the title of the foreground window (GetWindowText), or
// "" when there is none. Read it before the bar opens: the bar is in the
// foreground after.
func ActiveTitle() string { return win.ForegroundTitle() }

// raise puts the bar at the top centre of the work area of the monitor under
// the pointer, topmost, in the foreground with the keyboard focus (see
// win.Raise). It runs on fyne's thread, which made the window, as SetFocus
// needs. Positions and sizes are physical pixels: deskhand is per-monitor DPI
// aware (perception/hidpi_windows.go), and so is GLFW.
func raise(w fyne.Window) {
	nw, ok := w.(driver.NativeWindow)
	if !ok {
		return
	}
	var hwnd uintptr
	nw.RunNative(func(ctx any) {
		if c, ok := ctx.(driver.WindowsWindowContext); ok {
			hwnd = c.HWND
		}
	})
	if hwnd == 0 {
		return
	}
	// An error leaves the bar shown where fyne put it, perhaps behind the
	// application or without the focus: nothing more to try.
	_ = win.Raise(hwnd, Place)
}
