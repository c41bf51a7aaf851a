package perception

import (
	"context"
	"errors"
	"fmt"
	"image"
)

// Monitor is one screen of the desktop.
type Monitor struct {
	// Index identifies the monitor in Monitors' list and in Frame.Monitor.
	Index int `json:"index"`
	// Bounds is the monitor in actuation space: the coordinates the mouse moves in
	// (X root-window pixels on Linux, physical pixels on Windows, points on macOS).
	Bounds image.Rectangle `json:"bounds"`
	// Primary marks the main monitor (the one at the origin of kbinani/screenshot's
	// coordinates, which is also the first one Xinerama lists on X11).
	Primary bool `json:"primary"`
}

// backend is what a platform provides to capture the screen. Exactly one is
// registered, from init, by capture_cgo.go or capture_nocgo.go (the style of
// tailscale's portlist osImpl): everything above it is platform-neutral and is
// tested with a fake.
type backend interface {
	// monitors lists the monitors in actuation space, in index order.
	monitors() ([]Monitor, error)
	// pointer returns the mouse position in actuation space.
	pointer() (image.Point, error)
	// capture returns the pixels of r (in actuation space) as the OS delivers
	// them: r's size on X11 and Windows, r's size times the backing scale on macOS.
	capture(r image.Rectangle) (*image.RGBA, error)
}

// platform is the registered backend: the package's only package-level state.
var platform backend

func registerBackend(b backend) { platform = b }

// errNoBackend is only seen if no capture_*.go file registered a backend, which
// the build tags rule out; it keeps a nil backend from panicking.
var errNoBackend = fmt.Errorf("screen capture is not available on this platform: %w", errors.ErrUnsupported)

// Monitors lists the monitors of the desktop in actuation space. Without a usable
// display it returns a *NoDisplayError.
func Monitors(ctx context.Context) ([]Monitor, error) {
	return monitorsOf(ctx, platform)
}

func monitorsOf(ctx context.Context, b backend) ([]Monitor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b == nil {
		return nil, errNoBackend
	}
	ms, err := b.monitors()
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, &NoDisplayError{Err: errors.New("the system reports no monitors")}
	}
	return ms, nil
}

// monitorAt returns the monitor containing p or, when p is in a gap between
// monitors of different sizes, the nearest one. ms must not be empty.
func monitorAt(ms []Monitor, p image.Point) Monitor {
	best, bestDist := ms[0], -1
	for _, m := range ms {
		if p.In(m.Bounds) {
			return m
		}
		// Squared distance from p to the rectangle (0 inside it).
		dx := max(m.Bounds.Min.X-p.X, 0, p.X-(m.Bounds.Max.X-1))
		dy := max(m.Bounds.Min.Y-p.Y, 0, p.Y-(m.Bounds.Max.Y-1))
		if d := dx*dx + dy*dy; bestDist < 0 || d < bestDist {
			best, bestDist = m, d
		}
	}
	return best
}
