//go:build !cgo

package perception

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Without cgo every screen access says so, wrapping errors.ErrUnsupported.
func TestNoCgo(t *testing.T) {
	ctx := context.Background()
	if _, err := Monitors(ctx); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Monitors: err = %v, want errors.ErrUnsupported", err)
	}
	var c Capturer
	if _, err := c.Capture(ctx, Grid{}); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Capture: err = %v, want errors.ErrUnsupported", err)
	}
	if err := c.Settle(ctx, time.Second); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Settle: err = %v, want errors.ErrUnsupported", err)
	}
}
