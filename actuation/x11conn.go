//go:build !windows && !darwin

package actuation

import (
	"fmt"
	"os"

	"github.com/jezek/xgb"
)

// dialX11 opens a pure-Go connection to the X display in $DISPLAY, of its own:
// the panic key, the clipboard, the takeover watcher and the input platform each
// keep one, so none waits on another's requests and none touches robotgo's. The
// error wraps ErrNoDisplay and says what to check.
func dialX11() (*xgb.Conn, error) {
	name := os.Getenv("DISPLAY")
	if name == "" {
		return nil, fmt.Errorf("%w: DISPLAY is not set; run deskhand inside your X11 desktop session, or set DISPLAY (for example DISPLAY=:0) and XAUTHORITY", ErrNoDisplay)
	}
	c, err := xgb.NewConnDisplay(name)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot connect to the X display %s: %v; check DISPLAY and XAUTHORITY (on Wayland, deskhand needs an X11 session)", ErrNoDisplay, name, err)
	}
	return c, nil
}
