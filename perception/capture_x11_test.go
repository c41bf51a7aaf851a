//go:build cgo && !darwin && !windows

package perception

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"testing"
	"time"

	"github.com/jezek/xgb"
)

// The X11 backend reads pixels with its own GetImage (getImage): they must be
// exactly kbinani/screenshot's, in the right place on a monitor with a non-zero
// origin, with the known colours of the root window and an xterm.
// A frame captured afresh (the pixels resized as the X server sends them, see
// bgrx) is exactly the resize of an RGBA capture of the same screen.
func TestX11FrameFromBGRX(t *testing.T) {
	d := desktop(t, 1366, 768)
	d.Output(t, "xsetroot", "-solid", "#123456")
	solidXterm(t, d, "deskhand-frame", "#abcdef", 300, 200)
	ctx := context.Background()
	c := &Capturer{}
	if err := c.Settle(ctx, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	c.still = nil // a fresh capture, as the first step's
	f, err := c.Capture(ctx, Grid{})
	if err != nil {
		t.Fatal(err)
	}
	img, err := platform.capture(f.Bounds)
	if err != nil {
		t.Fatal(err)
	}
	got, err := png.Decode(bytes.NewReader(f.Data))
	if err != nil {
		t.Fatal(err)
	}
	if want := Resize(img, f.Image); !bytes.Equal(toRGBA(got).Pix, want.Pix) {
		t.Error("the frame differs from the resize of an RGBA capture of the same screen")
	}
}

func TestX11CapturePixels(t *testing.T) {
	d := desktop(t, 3200, 1080)
	d.SetMonitors(t, "1280x720+0+0", "1920x1080+1280+0")
	d.Output(t, "xsetroot", "-solid", "#123456")
	win := solidXterm(t, d, "deskhand-abcdef", "#abcdef", 1700, 300)
	ctx := context.Background()
	if err := (&Capturer{FixedMonitor: true, Monitor: 1}).Settle(ctx, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	be, ok := platform.(x11Backend)
	if !ok {
		t.Fatalf("platform backend is %T", platform)
	}
	right := image.Rect(1280, 0, 3200, 1080)
	img, err := be.capture(right)
	if err != nil {
		t.Fatal(err)
	}
	if img.Rect != image.Rect(0, 0, 1920, 1080) {
		t.Fatalf("capture of %v is %v", right, img.Rect)
	}
	root, xterm := color.RGBA{0x12, 0x34, 0x56, 255}, color.RGBA{0xab, 0xcd, 0xef, 0xff}
	if got := img.RGBAAt(10, 1070); got != root {
		t.Errorf("root window pixel = %v, want %v", got, root)
	}
	in := win.Sub(right.Min)
	for _, p := range []image.Point{in.Min, in.Max.Sub(image.Pt(1, 1)), in.Min.Add(in.Max).Div(2)} {
		if got := img.RGBAAt(p.X, p.Y); got != xterm {
			t.Errorf("xterm pixel at %v (screen %v) = %v, want %v", p, p.Add(right.Min), got, xterm)
		}
	}
	if got := img.RGBAAt(in.Min.X-40, in.Min.Y-40); got == xterm {
		t.Errorf("pixel outside the xterm has its colour")
	}

	// The same pixels as kbinani/screenshot, which takes coordinates relative to
	// the primary monitor, also for rectangles partly off the screen.
	for _, r := range []image.Rectangle{right, image.Rect(0, 0, 1280, 720), image.Rect(3000, 900, 3300, 1200), image.Rect(-50, -20, 100, 60)} {
		got, ok, err := getImage(mustConnect(t), r)
		if err != nil || !ok {
			t.Fatalf("getImage(%v): %v, %v", r, ok, err)
		}
		want, err := be.libs.captureRect(r)
		if err != nil {
			t.Fatal(err)
		}
		if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("getImage(%v) differs from kbinani/screenshot (%v vs %v)", r, got.Rect, want.Rect)
		}
	}
}

func mustConnect(t *testing.T) *xgb.Conn {
	t.Helper()
	c, err := connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestBGRXToRGBA(t *testing.T) {
	for _, pixels := range []int{0, 1, 2, 3, 7, 1920} {
		p := make([]byte, 4*pixels)
		for i := range p {
			p[i] = byte(i*37 + 11)
		}
		want := make([]byte, len(p))
		for i := 0; i < len(p); i += 4 {
			want[i], want[i+1], want[i+2], want[i+3] = p[i+2], p[i+1], p[i], 255
		}
		bgrxToRGBA(p)
		if !bytes.Equal(p, want) {
			t.Errorf("%d pixels: got % x, want % x", pixels, p[:min(len(p), 16)], want[:min(len(want), 16)])
		}
	}
}
