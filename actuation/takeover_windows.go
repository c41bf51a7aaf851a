//go:build windows

package actuation

import (
	"fmt"
	"image"
	"unsafe"
)

var (
	procGetCursorPos          = user32.NewProc("GetCursorPos")
	procTakeoverSystemMetrics = user32.NewProc("GetSystemMetrics")
)

// winPointer polls GetCursorPos. The process is per-monitor DPI aware (see
// robot_windows.go), so the cursor is in physical pixels, like the Desktop's moves.
type winPointer struct{}

func openPointer() (pointerSource, error) {
	if err := procGetCursorPos.Find(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoDisplay, err)
	}
	return winPointer{}, nil
}

func (winPointer) pointer() (image.Point, error) {
	var pt struct{ x, y int32 }
	if r, _, err := procGetCursorPos.Call(uintptr(unsafe.Pointer(&pt))); r == 0 {
		// Fails while the secure desktop (UAC, the lock screen) shows: not a
		// takeover, and nothing deskhand could act on either.
		return image.Point{}, fmt.Errorf("read the cursor position: %v", err)
	}
	return image.Pt(int(pt.x), int(pt.y)), nil
}

func (winPointer) bounds() (image.Rectangle, error) {
	metric := func(i uintptr) int {
		r, _, _ := procTakeoverSystemMetrics.Call(i)
		return int(int32(r))
	}
	// SM_XVIRTUALSCREEN … SM_CYVIRTUALSCREEN: the bounding box of all monitors.
	x, y, w, h := metric(76), metric(77), metric(78), metric(79)
	if w <= 0 || h <= 0 {
		return image.Rectangle{}, fmt.Errorf("%w: Windows reports no screens", ErrNoDisplay)
	}
	return image.Rect(x, y, x+w, y+h), nil
}

func (winPointer) close() {}
