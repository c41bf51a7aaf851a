//go:build !windows && !darwin

package calibrate

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/deskhand/deskhand/app/x11draw"
)

// platformShower shows the board in an X11 window of its own, on a pure-Go X
// connection (no cgo, and never robotgo's connection).
//
// The window is override-redirect: the window manager neither moves, frames nor
// resizes it, so it lies exactly on the monitor's bounds in root-window
// coordinates, which are actuation space on X11, and every target's position
// on the screen is known to the pixel. The board is drawn into a pixmap set as
// the window's background, so the X server repaints it by itself whenever
// something uncovers it; deskhand handles no Expose events.
type platformShower struct{}

// boardTitle names the window, for people and for xdotool in tests.
const boardTitle = "deskhand calibration"

func (platformShower) show(ctx context.Context, r image.Rectangle, img *image.RGBA) (func(), error) {
	if os.Getenv("DISPLAY") == "" {
		return nil, errors.New("cannot show the calibration board: DISPLAY is not set — run deskhand inside your desktop session, or pass --synthetic")
	}
	if r.Empty() || r.Size() != img.Rect.Size() || r.Dx() > 32767 || r.Dy() > 32767 {
		return nil, fmt.Errorf("cannot show a %v board on a monitor at %v", img.Rect.Size(), r)
	}
	c, err := xgb.NewConn()
	if err != nil {
		return nil, fmt.Errorf("cannot show the calibration board: open the X display %q: %w", os.Getenv("DISPLAY"), err)
	}
	w, err := newBoardWindow(c, r, img)
	if err != nil {
		c.Close()
		return nil, err
	}
	hide := func() {
		// Destroying the window, then a round trip, makes sure it is gone before
		// the connection closes (closing alone would also destroy it).
		xproto.DestroyWindow(c, w.win)
		xproto.FreePixmap(c, w.pix)
		xproto.GetInputFocus(c).Reply()
		c.Close()
	}
	if err := w.waitMapped(ctx, 3*time.Second); err != nil {
		hide()
		return nil, err
	}
	return hide, nil
}

type boardWindow struct {
	c      *xgb.Conn
	win    xproto.Window
	pix    xproto.Pixmap
	mapped chan struct{}
}

// newBoardWindow uploads img into a pixmap and maps an override-redirect window
// showing it at r.
func newBoardWindow(c *xgb.Conn, r image.Rectangle, img *image.RGBA) (*boardWindow, error) {
	setup := xproto.Setup(c)
	screen := setup.DefaultScreen(c)
	if !x11draw.XRGB32(c) {
		return nil, fmt.Errorf("%w: the X server's pixel format is not 24-bit colour in 32-bit words", errNoWindow)
	}
	w := &boardWindow{c: c, mapped: make(chan struct{})}
	var err error
	if w.pix, err = xproto.NewPixmapId(c); err != nil {
		return nil, fmt.Errorf("create the calibration board: %w", err)
	}
	if w.win, err = xproto.NewWindowId(c); err != nil {
		return nil, fmt.Errorf("create the calibration board: %w", err)
	}
	width, height := uint16(r.Dx()), uint16(r.Dy())
	if err := xproto.CreatePixmapChecked(c, screen.RootDepth, w.pix, xproto.Drawable(screen.Root), width, height).Check(); err != nil {
		return nil, fmt.Errorf("create the calibration board's %dx%d pixmap: %w", width, height, err)
	}
	if err := x11draw.PutRGBA(c, xproto.Drawable(w.pix), img); err != nil {
		return nil, fmt.Errorf("draw the calibration board: %w", err)
	}
	err = xproto.CreateWindowChecked(c, screen.RootDepth, w.win, screen.Root,
		int16(r.Min.X), int16(r.Min.Y), width, height, 0,
		xproto.WindowClassInputOutput, screen.RootVisual,
		xproto.CwBackPixmap|xproto.CwOverrideRedirect|xproto.CwEventMask,
		[]uint32{uint32(w.pix), 1, xproto.EventMaskStructureNotify}).Check()
	if err != nil {
		return nil, fmt.Errorf("create the calibration board's window: %w", err)
	}
	xproto.ChangeProperty(c, xproto.PropModeReplace, w.win, xproto.AtomWmName, xproto.AtomString, 8,
		uint32(len(boardTitle)), []byte(boardTitle))
	go w.events()
	if err := xproto.MapWindowChecked(c, w.win).Check(); err != nil {
		return nil, fmt.Errorf("show the calibration board: %w", err)
	}
	// Mapped last, it is on top; say so anyway, for a server that stacks new
	// override-redirect windows under others.
	xproto.ConfigureWindow(c, w.win, xproto.ConfigWindowStackMode, []uint32{xproto.StackModeAbove})
	return w, nil
}

// events reads the connection's events until it closes (xgb queues them
// otherwise) and closes mapped at the window's MapNotify.
func (w *boardWindow) events() {
	seen := false
	for {
		ev, err := w.c.WaitForEvent()
		if ev == nil && err == nil {
			return // the connection closed
		}
		if m, ok := ev.(xproto.MapNotifyEvent); ok && m.Window == w.win && !seen {
			seen = true
			close(w.mapped)
		}
	}
}

// waitMapped waits until the server has mapped the window. The board then
// shows as soon as the server paints the background, which the caller checks
// in captures.
func (w *boardWindow) waitMapped(ctx context.Context, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-w.mapped:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return fmt.Errorf("the calibration board's window was not shown within %v — check that the X server is still running", timeout)
	}
}
