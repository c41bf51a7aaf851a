package calibrate

import (
	"context"
	"image"
)

// ShowFunc stands in for the board window in tests.
type ShowFunc func(ctx context.Context, r image.Rectangle, img *image.RGBA) (hide func(), err error)

func (f ShowFunc) show(ctx context.Context, r image.Rectangle, img *image.RGBA) (func(), error) {
	return f(ctx, r, img)
}

// WithShow returns c showing the board with f.
func WithShow(c Config, f ShowFunc) Config {
	c.show = f
	return c
}

// ErrNoWindow is errNoWindow, for tests.
var ErrNoWindow = errNoWindow
