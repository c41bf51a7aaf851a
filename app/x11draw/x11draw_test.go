//go:build !windows && !darwin

package x11draw

import (
	"image"
	"testing"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/deskhand/deskhand/perception/xvfbtest"
)

// A picture taller than one request can carry arrives pixel for pixel.
func TestPutRGBA(t *testing.T) {
	d := xvfbtest.Start(t, 640, 480)
	d.Setenv(t)
	c, err := xgb.NewConn()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !XRGB32(c) {
		t.Fatal("Xvfb at depth 24 is not xRGB32")
	}
	const w, h = 300, 1000 // about five requests at Xvfb's limit
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i*7 + i/4)
	}
	screen := xproto.Setup(c).DefaultScreen(c)
	pm, err := xproto.NewPixmapId(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := xproto.CreatePixmapChecked(c, screen.RootDepth, pm, xproto.Drawable(screen.Root), w, h).Check(); err != nil {
		t.Fatal(err)
	}
	if err := PutRGBA(c, xproto.Drawable(pm), img); err != nil {
		t.Fatal(err)
	}
	for _, y0 := range []int{0, 217, 218, 500, 999} {
		r, err := xproto.GetImage(c, xproto.ImageFormatZPixmap, xproto.Drawable(pm), 0, int16(y0), w, 1, 0xffffffff).Reply()
		if err != nil {
			t.Fatal(err)
		}
		for x := range w {
			p := img.Pix[img.PixOffset(x, y0):]
			got := r.Data[4*x:]
			if got[0] != p[2] || got[1] != p[1] || got[2] != p[0] {
				t.Fatalf("pixel (%d, %d): got B,G,R %d,%d,%d, want %d,%d,%d", x, y0, got[0], got[1], got[2], p[2], p[1], p[0])
			}
		}
	}
}
