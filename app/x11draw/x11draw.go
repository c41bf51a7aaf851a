//go:build !windows && !darwin

package x11draw

import (
	"fmt"
	"image"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/deskhand/deskhand/perception"
)

// XRGB32 reports whether the default screen's root window takes 32-bit
// little-endian words with red, green and blue in bits 16–23, 8–15 and 0–7 at
// depth 24: what every current X server (Xorg, Xvfb, XWayland) uses, and the only
// layout PutRGBA writes.
func XRGB32(c *xgb.Conn) bool {
	setup := xproto.Setup(c)
	return perception.XRGB32(setup, setup.DefaultScreen(c))
}

// PutRGBA uploads img into d (a depth-24 window or pixmap of a screen for which
// XRGB32 holds) at (0, 0), in strips each within the server's largest request.
func PutRGBA(c *xgb.Conn, d xproto.Drawable, img *image.RGBA) error {
	gc, err := xproto.NewGcontextId(c)
	if err != nil {
		return err
	}
	if err := xproto.CreateGCChecked(c, gc, d, 0, nil).Check(); err != nil {
		return err
	}
	defer xproto.FreeGC(c, gc)
	w, h := img.Rect.Dx(), img.Rect.Dy()
	const header = 24 // bytes of a PutImage request before its data
	rows := (int(xproto.Setup(c).MaximumRequestLength)*4 - header) / (4 * w)
	if rows < 1 {
		return fmt.Errorf("a picture %d pixels wide is more than one X request can carry", w)
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
			return err
		}
	}
	return nil
}
