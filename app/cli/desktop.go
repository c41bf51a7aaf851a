package cli

import (
	"context"
	"fmt"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/perception"
)

// newScreen checks that there is a display and returns the capturer for the
// monitor asked for (-1: the one under the pointer).
func newScreen(ctx context.Context, monitor int) (*perception.Capturer, error) {
	mons, err := perception.Monitors(ctx)
	if err != nil {
		return nil, err
	}
	c := &perception.Capturer{}
	if monitor >= 0 {
		if monitor >= len(mons) {
			return nil, fmt.Errorf("there is no monitor %d: this desktop has %d (numbered 0 to %d)", monitor, len(mons), len(mons)-1)
		}
		c.FixedMonitor, c.Monitor = true, monitor
	}
	return c, nil
}

// newHands returns the desktop's mouse and keyboard, which never press the panic key pk.
func newHands(pk actuation.PanicKey) (*actuation.Desktop, error) {
	return &actuation.Desktop{PanicKey: pk}, nil
}
