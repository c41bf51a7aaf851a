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
	if !xRGB32(setup, screen) {
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
	gc, err := xproto.NewGcontextId(c)
	if err != nil {
		return nil, fmt.Errorf("create the calibration board: %w", err)
	}
	width, height := uint16(r.Dx()), uint16(r.Dy())
	if err := xproto.CreatePixmapChecked(c, screen.RootDepth, w.pix, xproto.Drawable(screen.Root), width, height).Check(); err != nil {
		return nil, fmt.Errorf("create the calibration board's %dx%d pixmap: %w", width, height, err)
	}
	if err := xproto.CreateGCChecked(c, gc, xproto.Drawable(w.pix), 0, nil).Check(); err != nil {
		return nil, fmt.Errorf("create the calibration board: %w", err)
	}
	defer xproto.FreeGC(c, gc)
	if err := putImage(c, setup, xproto.Drawable(w.pix), gc, img); err != nil {
		return nil, err
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

// putImage uploads img into d as ZPixmap strips, each within the server's
// largest request.
func putImage(c *xgb.Conn, setup *xproto.SetupInfo, d xproto.Drawable, gc xproto.Gcontext, img *image.RGBA) error {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	const header = 24 // bytes of a PutImage request before its data
	maxBytes := int(setup.MaximumRequestLength)*4 - header
	rows := maxBytes / (4 * w)
	if rows < 1 {
		return fmt.Errorf("the board is %d pixels wide, more than one X request can carry", w)
	}
	buf := make([]byte, 4*w*min(rows, h))
	for y0 := 0; y0 < h; y0 += rows {
		n := min(rows, h-y0)
		data := buf[:4*w*n]
		for y := range n {
			src := img.Pix[img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y0+y):]
			dst := data[4*w*y:]
			for x := range w {
				// RGBA to the server's little-endian xRGB words: B, G, R, x.
				dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = src[4*x+2], src[4*x+1], src[4*x], 0
			}
		}
		if err := xproto.PutImageChecked(c, xproto.ImageFormatZPixmap, d, gc, uint16(w), uint16(n), 0, int16(y0), 0, 24, data).Check(); err != nil {
			return fmt.Errorf("draw the calibration board: %w", err)
		}
	}
	return nil
}

// xRGB32 reports whether the root window's pixels are 32-bit little-endian
// words with red, green and blue in bits 16–23, 8–15 and 0–7: what every current
// X server (Xorg, Xvfb, XWayland) uses at depth 24.
func xRGB32(setup *xproto.SetupInfo, screen *xproto.ScreenInfo) bool {
	if setup.ImageByteOrder != xproto.ImageOrderLSBFirst || screen.RootDepth != 24 {
		return false
	}
	bpp := 0
	for _, f := range setup.PixmapFormats {
		if f.Depth == 24 {
			bpp = int(f.BitsPerPixel)
		}
	}
	if bpp != 32 {
		return false
	}
	for _, d := range screen.AllowedDepths {
		for _, v := range d.Visuals {
			if v.VisualId == screen.RootVisual {
				return v.RedMask == 0xff0000 && v.GreenMask == 0xff00 && v.BlueMask == 0xff
			}
		}
	}
	return false
}
