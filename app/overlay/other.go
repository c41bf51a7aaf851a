//go:build windows || darwin

package overlay

import (
	"context"
	"fmt"
	"runtime"
)

// Overlay is not available on this platform yet: Open says so, and the app asks
// in its own window with a frozen screenshot of the target (Thumbnail). A
// topmost layered click-through window (Windows) and a non-activating floating
// panel (macOS) are the platform ways to do it.
type Overlay struct{}

// Open returns an error wrapping ErrUnsupported.
func Open() (*Overlay, error) {
	return nil, fmt.Errorf("%w (%s)", ErrUnsupported, runtime.GOOS)
}

// Ask is never reached: Open returns no Overlay.
func (o *Overlay) Ask(ctx context.Context, p Prompt) (Answer, error) { return Answer{}, ErrUnsupported }

// Hide has nothing to hide.
func (o *Overlay) Hide(ctx context.Context) (func(), error) { return nil, nil }

// Close does nothing.
func (o *Overlay) Close() {}
