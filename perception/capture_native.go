//go:build cgo && (darwin || windows)

package perception

import (
	"errors"
	"fmt"
	"image"
)

// nativeBackend serves macOS and Windows with kbinani/screenshot and robotgo.
// There the primary monitor is at the origin of the OS's global coordinates, so
// kbinani's coordinates are actuation space as they are. hidpi.go documents the
// units per OS:
//
// macOS: bounds and the pointer are in points, and kbinani/screenshot captures
// at point size too (a Retina display is scaled down), so Frame.Scale is 1.
// Without the Screen Recording permission captures show only the wallpaper and
// deskhand's own windows.
// Windows: the process is per-monitor DPI aware (hidpi_windows.go sets it when
// the package loads), so bounds, the pointer (GetCursorPos, not robotgo's
// DPI-scaled Location) and captures are all physical pixels. This path compiles
// (see .ci/cross) but is not yet tested on real hardware.
type nativeBackend struct{ libs nativeLibs }

func newPlatformBackend(l nativeLibs) backend { return nativeBackend{libs: l} }

// check returns a *NoDisplayError when the OS reports no monitors (a service
// session, a locked-out remote session), before robotgo could crash on it.
func (b nativeBackend) check() (int, error) {
	n := b.libs.numDisplays()
	if n <= 0 {
		return 0, &NoDisplayError{Err: errors.New("the system reports no active monitors")}
	}
	return n, nil
}

func (b nativeBackend) monitors() ([]Monitor, error) {
	n, err := b.check()
	if err != nil {
		return nil, err
	}
	ms := make([]Monitor, n)
	for i := range n {
		r := b.libs.displayBounds(i)
		ms[i] = Monitor{Index: i, Bounds: r, Primary: r.Min == image.Point{}}
	}
	return ms, nil
}

func (b nativeBackend) pointer() (image.Point, error) {
	if _, err := b.check(); err != nil {
		return image.Point{}, err
	}
	if p, ok := cursorPos(); ok {
		return p, nil
	}
	return b.libs.location(), nil
}

func (b nativeBackend) capture(r image.Rectangle) (*image.RGBA, error) {
	if _, err := b.check(); err != nil {
		return nil, err
	}
	img, err := b.libs.captureRect(r)
	if err != nil {
		return nil, fmt.Errorf("capture %v: %w — on macOS, allow deskhand in System Settings › Privacy & Security › Screen Recording", r, err)
	}
	return img, nil
}
