package cli

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

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

// newHands returns the desktop's mouse and keyboard, which never press the panic
// key pk. DESKHAND_PASTE sets when long text is pasted through the clipboard
// instead of typed: "off" never, a number from that many characters on (default
// actuation.DefaultPasteThreshold) — for applications that refuse pasting.
func newHands(pk actuation.PanicKey) (*actuation.Desktop, error) {
	d := &actuation.Desktop{PanicKey: pk}
	switch v := strings.ToLower(strings.TrimSpace(os.Getenv("DESKHAND_PASTE"))); v {
	case "", "on", "yes", "1":
	case "off", "no", "0", "never":
		d.PasteThreshold = -1
	default:
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("DESKHAND_PASTE=%q: want off, on, or the number of characters from which text is pasted", v)
		}
		d.PasteThreshold = n
	}
	return d, nil
}
