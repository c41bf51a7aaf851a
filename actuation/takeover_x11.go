//go:build !windows && !darwin

package actuation

import (
	"fmt"
	"image"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// x11Pointer queries the pointer on a pure-Go X connection of its own, like the
// panic key's: no cgo, and never robotgo's connection, which is busy typing.
type x11Pointer struct {
	conn *xgb.Conn
	root xproto.Window
}

func openPointer() (pointerSource, error) {
	c, err := dialX11()
	if err != nil {
		return nil, err
	}
	go func() {
		// X sends MappingNotify to every client when the keyboard map changes,
		// as it does while deskhand types: drain them, or xgb stalls.
		for {
			if ev, err := c.WaitForEvent(); ev == nil && err == nil {
				return // closed
			}
		}
	}()
	return &x11Pointer{conn: c, root: xproto.Setup(c).DefaultScreen(c).Root}, nil
}

func (x *x11Pointer) pointer() (image.Point, error) {
	r, err := xproto.QueryPointer(x.conn, x.root).Reply()
	if err != nil {
		return image.Point{}, fmt.Errorf("query the pointer: %w", err)
	}
	return image.Pt(int(r.RootX), int(r.RootY)), nil
}

func (x *x11Pointer) bounds() (image.Rectangle, error) {
	g, err := xproto.GetGeometry(x.conn, xproto.Drawable(x.root)).Reply()
	if err != nil {
		return image.Rectangle{}, fmt.Errorf("read the X root window size: %w", err)
	}
	return image.Rect(0, 0, int(g.Width), int(g.Height)), nil
}

func (x *x11Pointer) close() { x.conn.Close() }
