//go:build cgo && !darwin && !windows

package perception

import (
	"errors"
	"fmt"
	"image"
	"os"
	"runtime"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xinerama"
	"github.com/jezek/xgb/xproto"
)

// x11Backend reads monitors and the pointer with jezek/xgb (pure Go: a missing
// display is an error, never a crash) and pixels with kbinani/screenshot.
//
// Monitors come from Xinerama, which RandR 1.5 fills with the RandR monitors
// (xrandr --setmonitor included) and which lists the primary monitor first.
// kbinani/screenshot takes its coordinates relative to that first monitor, while
// the mouse (XTest, robotgo) moves in root-window coordinates, so this backend
// converts between the two.
//
// Under XWayland (DISPLAY set in a Wayland session, XDG_SESSION_TYPE=wayland)
// kbinani/screenshot captures through the xdg-desktop-portal instead, which is
// slower and may ask the user for permission once.
type x11Backend struct{ libs nativeLibs }

func newPlatformBackend(l nativeLibs) backend { return x11Backend{libs: l} }

// connect opens a new X connection. A connection per call costs well under a
// millisecond on a local socket and never goes stale when the X server
// restarts (or, in tests, when DISPLAY changes).
func connect() (*xgb.Conn, error) {
	if err := displayEnvError(runtime.GOOS, os.Getenv); err != nil {
		return nil, err
	}
	c, err := xgb.NewConn()
	if err != nil {
		return nil, &NoDisplayError{Display: os.Getenv("DISPLAY"), Err: err}
	}
	return c, nil
}

// screens returns the Xinerama screens in root-window coordinates.
func screens(c *xgb.Conn) ([]image.Rectangle, error) {
	if err := xinerama.Init(c); err != nil {
		return nil, fmt.Errorf("the X server has no Xinerama extension, so deskhand cannot tell its monitors apart: %w — "+
			"use an X server with RandR 1.2 or later (any current Xorg or Xvfb)", err)
	}
	reply, err := xinerama.QueryScreens(c).Reply()
	if err != nil {
		return nil, fmt.Errorf("list the X monitors: %w — check that the X server is still running", err)
	}
	if len(reply.ScreenInfo) == 0 {
		return nil, &NoDisplayError{Display: os.Getenv("DISPLAY"), Err: errors.New("the X server reports no monitors")}
	}
	rs := make([]image.Rectangle, len(reply.ScreenInfo))
	for i, s := range reply.ScreenInfo {
		rs[i] = image.Rect(int(s.XOrg), int(s.YOrg), int(s.XOrg)+int(s.Width), int(s.YOrg)+int(s.Height))
	}
	return rs, nil
}

func (b x11Backend) monitors() ([]Monitor, error) {
	c, err := connect()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	rs, err := screens(c)
	if err != nil {
		return nil, err
	}
	ms := make([]Monitor, len(rs))
	for i, r := range rs {
		ms[i] = Monitor{Index: i, Bounds: r, Primary: i == 0}
	}
	return ms, nil
}

func (b x11Backend) pointer() (image.Point, error) {
	c, err := connect()
	if err != nil {
		return image.Point{}, err
	}
	defer c.Close()
	root := xproto.Setup(c).DefaultScreen(c).Root
	reply, err := xproto.QueryPointer(c, root).Reply()
	if err != nil {
		return image.Point{}, fmt.Errorf("read the pointer position: %w — check that the X server is still running", err)
	}
	return image.Pt(int(reply.RootX), int(reply.RootY)), nil
}

func (b x11Backend) capture(r image.Rectangle) (*image.RGBA, error) {
	c, err := connect()
	if err != nil {
		return nil, err
	}
	rs, err := screens(c)
	c.Close()
	if err != nil {
		return nil, err
	}
	img, err := b.libs.captureRect(r.Sub(rs[0].Min))
	if err != nil {
		return nil, fmt.Errorf("capture %v: %w — check that the X server allows screen reads (MIT-SHM or GetImage)", r, err)
	}
	return img, nil
}
