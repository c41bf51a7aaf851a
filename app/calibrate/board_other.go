//go:build windows || darwin

package calibrate

import (
	"context"
	"image"
)

// platformShower cannot show the board on Windows and macOS yet: calibration
// falls back to a synthetic frame there, which checks the model and the adapter
// but not the capture or the display's scaling.
type platformShower struct{}

func (platformShower) show(context.Context, image.Rectangle, *image.RGBA) (func(), error) {
	return nil, errNoWindow
}
