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

// x11Backend reads monitors, the pointer and pixels with jezek/xgb (pure Go: a
// missing display is an error, never a crash). Pixels come from a core GetImage
// request (getImage), or from kbinani/screenshot on an X server with an unusual
// pixel format.
//
// Monitors come from Xinerama, which RandR 1.5 fills with the RandR monitors
// (xrandr --setmonitor included) and which lists the primary monitor first.
// kbinani/screenshot takes its coordinates relative to that first monitor, while
// the mouse (XTest, robotgo) moves in root-window coordinates, so this backend
// converts between the two.
//
// Under XWayland (DISPLAY set in a Wayland session, XDG_SESSION_TYPE=wayland)
// pixels come from kbinani/screenshot, which captures through the
// xdg-desktop-portal, slower, and may ask the user for permission once.
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
	defer c.Close()
	if img, ok, err := getImage(c, r); ok || err != nil {
		return img, err
	}
	// Only the fallback needs the monitor layout: kbinani takes rectangles relative
	// to the first screen's origin.
	rs, err := screens(c)
	if err != nil {
		return nil, err
	}
	img, err := b.libs.captureRect(r.Sub(rs[0].Min))
	if err != nil {
		return nil, fmt.Errorf("capture %v: %w — check that the X server allows screen reads (MIT-SHM or GetImage)", r, err)
	}
	return img, nil
}

// captureBGRX is capture without the conversion to RGBA, for a frame: the
// resize reads the channels where they are (see bgrx). ok is false where
// capture would fall back to kbinani/screenshot.
func (b x11Backend) captureBGRX(r image.Rectangle) (*image.RGBA, bool, error) {
	c, err := connect()
	if err != nil {
		return nil, false, err
	}
	defer c.Close()
	return getImageAs(c, r, false)
}

// getImage reads r (root-window coordinates) with one core GetImage request and
// turns the reply into RGBA in place, where kbinani/screenshot sets every pixel
// through image.RGBA.SetRGBA: 2–3 times faster on a 1920×1080 screen (see
// BenchmarkPerception), with no MIT-SHM segment to set up and tear down per
// capture. Parts of r off the screen are black, as with kbinani/screenshot.
//
// ok is false, with no error, when the screen's pixel format is not the 32-bit
// little-endian xRGB that every current X server (Xorg, Xvfb, XWayland) uses at
// depth 24, or in a Wayland session, where the root window of XWayland does not
// show Wayland clients' windows; then the caller falls back to
// kbinani/screenshot (which uses the xdg-desktop-portal under Wayland).
func getImage(c *xgb.Conn, r image.Rectangle) (img *image.RGBA, ok bool, err error) {
	return getImageAs(c, r, true)
}

// getImageAs is getImage, leaving the pixels as the server sent them (B, G, R,
// x: see bgrx) unless rgba.
func getImageAs(c *xgb.Conn, r image.Rectangle, rgba bool) (img *image.RGBA, ok bool, err error) {
	setup := xproto.Setup(c)
	screen := setup.DefaultScreen(c)
	if os.Getenv("XDG_SESSION_TYPE") == "wayland" || !XRGB32(setup, screen) || r.Empty() {
		return nil, false, nil
	}
	area := r.Intersect(image.Rect(0, 0, int(screen.WidthInPixels), int(screen.HeightInPixels)))
	if area.Empty() {
		img := image.NewRGBA(image.Rectangle{Max: r.Size()})
		blackOpaque(img.Pix)
		return img, true, nil
	}
	// The reply as read, not GetImageCookie.Reply's copy of its pixels: the
	// pixels are the 32-byte header's tail, and a copy of a 1920x1080 screen is
	// 8 MB more to allocate, fault in and move.
	raw, err := xproto.GetImage(c, xproto.ImageFormatZPixmap, xproto.Drawable(screen.Root),
		int16(area.Min.X), int16(area.Min.Y), uint16(area.Dx()), uint16(area.Dy()), 0xffffffff).Cookie.Reply()
	if err == nil && len(raw) < 32 {
		err = fmt.Errorf("a reply of %d bytes", len(raw))
	}
	if err != nil {
		return nil, true, fmt.Errorf("capture %v: read the screen's pixels (X GetImage): %w — check that the X server is still running", r, err)
	}
	data := raw[32:]
	if len(data) < area.Dx()*area.Dy()*4 {
		return nil, true, fmt.Errorf("capture %v: the X server sent %d bytes of pixels, want %d", r, len(data), area.Dx()*area.Dy()*4)
	}
	data = data[:area.Dx()*area.Dy()*4]
	if rgba {
		bgrxToRGBA(data)
	}
	got := &image.RGBA{Pix: data, Stride: area.Dx() * 4, Rect: image.Rectangle{Max: area.Size()}}
	if area == r {
		return got, true, nil
	}
	img = image.NewRGBA(image.Rectangle{Max: r.Size()})
	blackOpaque(img.Pix)
	at := area.Min.Sub(r.Min)
	for y := range area.Dy() {
		copy(img.Pix[img.PixOffset(at.X, at.Y+y):], got.Pix[y*got.Stride:(y+1)*got.Stride])
	}
	return img, true, nil
}
