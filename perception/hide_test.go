//go:build cgo && linux

package perception

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskhand/deskhand/perception/xvfbtest"
)

// These tests prove, on a real X server, that a window deskhand marks as its own
// (through Capturer.Hide) never appears in a frame sent to the model, and is back
// on screen after every capture, failed or not. The stand-in for deskhand's
// overlay is a magenta xterm (a colour nothing else on the desktop has) over a
// green one that plays the user's application.

const overlayTitle = "deskhand-overlay-stand-in"

// hideDesktop starts a desktop with the application window and the overlay
// above it, and returns the overlay's X window id and client rectangle.
func hideDesktop(t *testing.T) (*xvfbtest.Display, string, image.Rectangle) {
	t.Helper()
	xvfbtest.Need(t, "xterm", "xdotool", "xwininfo")
	d := xvfbtest.Start(t, 800, 600)
	d.Setenv(t)
	for _, w := range []struct{ title, colour, geometry string }{
		{"application-stand-in", "#00ff00", "80x30+40+40"},
		{overlayTitle, "#ff00ff", "30x8+120+100"},
	} {
		d.Launch(t, "xterm", "-T", w.title, "-geometry", w.geometry,
			"-bg", w.colour, "-fg", w.colour, "-cr", w.colour, "-e", "sleep", "600")
		d.WaitWindow(t, "^"+w.title+"$", 10*time.Second)
	}
	win := d.WaitWindow(t, "^"+overlayTitle+"$", time.Second)
	x, y, w, h := d.Geometry(t, win)
	return d, win, image.Rect(x, y, x+w, y+h)
}

// unmapHide is a Hide that takes the overlay off the screen and waits until it
// is really gone; its restore maps it again and waits until it is viewable.
//
// Unmapping the client window is not enough under a window manager: the client
// sits in the manager's frame, which stays mapped, with the client's last
// pixels on it, until the manager handles the UnmapNotify and unmaps or
// destroys the frame. (Without the wait below, a capture right after
// `xdotool windowunmap --sync` still had the whole overlay in it.) Once the
// frame is gone, the server paints what was below with its background at once,
// so a capture cannot catch the overlay. deskhand's real Hide must wait for the
// frame the same way, or use an override-redirect window, which has none.
func unmapHide(d *xvfbtest.Display, win string, hides, restores *atomic.Int32) func(context.Context) (func(), error) {
	return func(ctx context.Context) (func(), error) {
		hides.Add(1)
		frame := parentOf(d, win)
		if out, err := d.Command("xdotool", "windowunmap", "--sync", win).CombinedOutput(); err != nil {
			return nil, errors.New("unmap the overlay: " + err.Error() + ": " + string(out))
		}
		deadline := time.Now().Add(3 * time.Second)
		for frame != "" && mapped(d, frame) {
			if time.Now().After(deadline) {
				return nil, errors.New("the window manager did not unmap the overlay's frame " + frame)
			}
			time.Sleep(5 * time.Millisecond)
		}
		return func() {
			restores.Add(1)
			_ = d.Command("xdotool", "windowmap", "--sync", win).Run()
		}, nil
	}
}

// parentOf returns the window that holds win (its window manager frame), or ""
// if win is a child of the root window.
func parentOf(d *xvfbtest.Display, win string) string {
	out, err := d.Command("xwininfo", "-tree", "-id", win).Output()
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "Parent window id:"); ok {
			if f := strings.Fields(rest); len(f) > 0 && !strings.Contains(rest, "(the root window)") {
				return f[0]
			}
		}
	}
	return ""
}

// mapped reports whether X window id exists and is mapped.
func mapped(d *xvfbtest.Display, id string) bool {
	out, err := d.Command("xwininfo", "-id", id).Output()
	return err == nil && !strings.Contains(string(out), "Map State: IsUnMapped")
}

// magentaPixels counts the pixels of a frame's image that are anywhere near
// the overlay's magenta (resizing blends its edges with the green below).
func magentaPixels(t *testing.T, f Frame) int {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(f.Data))
	if err != nil {
		t.Fatalf("Frame.Data is not a PNG: %v", err)
	}
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 > 150 && g>>8 < 100 && bl>>8 > 150 {
				n++
			}
		}
	}
	return n
}

// viewable reports whether X window win is mapped and visible.
func viewable(t *testing.T, d *xvfbtest.Display, win string) bool {
	t.Helper()
	return strings.Contains(d.Output(t, "xwininfo", "-id", win), "Map State: IsViewable")
}

// atImage returns the colour of the frame's image at screen point p.
func atImage(t *testing.T, f Frame, p image.Point) (r, g, b uint32) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(f.Data))
	if err != nil {
		t.Fatal(err)
	}
	x, y := f.FromScreen(p, ImagePixels)
	r, g, b, _ = img.At(int(x), int(y)).RGBA()
	return r >> 8, g >> 8, b >> 8
}

func TestHideKeepsOwnWindowsOutOfFrames(t *testing.T) {
	d, win, overlay := hideDesktop(t)
	ctx := context.Background()
	centre := overlay.Min.Add(overlay.Size().Div(2))

	// Without Hide the overlay is in the frame: the test can see it.
	plain := &Capturer{FixedMonitor: true}
	f, err := plain.Capture(ctx, Grid{})
	if err != nil {
		t.Fatal(err)
	}
	if magentaPixels(t, f) == 0 {
		t.Fatalf("the overlay at %v is not in a capture without Hide: the test cannot prove anything", overlay)
	}

	var hides, restores atomic.Int32
	c := &Capturer{FixedMonitor: true, Hide: unmapHide(d, win, &hides, &restores)}
	for i := range 3 {
		if !viewable(t, d, win) {
			t.Fatalf("capture %d: the overlay is not on screen before the capture", i)
		}
		f, err := c.Capture(ctx, Grid{})
		if err != nil {
			t.Fatalf("capture %d: %v", i, err)
		}
		if n := magentaPixels(t, f); n > 0 {
			t.Fatalf("capture %d: %d overlay pixels in the frame sent to the model", i, n)
		}
		// What was under the overlay is in the frame instead.
		if r, g, b := atImage(t, f, centre); !(g > 200 && r < 60 && b < 60) {
			t.Errorf("capture %d: under the overlay the frame has (%d,%d,%d), want the green application", i, r, g, b)
		}
		if !viewable(t, d, win) {
			t.Fatalf("capture %d: the overlay is not on screen again after the capture", i)
		}
	}
	if hides.Load() != 3 || restores.Load() != 3 {
		t.Errorf("Hide ran %d times and restore %d times, want 3 and 3", hides.Load(), restores.Load())
	}

	// And it is back where it was: a capture without Hide sees it again.
	f, err = plain.Capture(ctx, Grid{})
	if err != nil {
		t.Fatal(err)
	}
	if magentaPixels(t, f) == 0 {
		t.Error("the overlay is missing from a capture after the hidden ones: restore did not bring it back")
	}
}

// countingBackend is the real backend with captures counted, and failed when
// fail is set.
type countingBackend struct {
	backend
	captures atomic.Int32
	fail     error
}

func (b *countingBackend) capture(r image.Rectangle) (*image.RGBA, error) {
	b.captures.Add(1)
	if b.fail != nil {
		return nil, b.fail
	}
	return b.backend.capture(r)
}

// A Hide that fails stops the capture: no pixels are read and no frame is made,
// so nothing with the overlay in it can reach the model.
func TestHideFailureSendsNoFrame(t *testing.T) {
	d, win, _ := hideDesktop(t)
	be := &countingBackend{backend: platform}
	stuck := errors.New("the overlay did not unmap")
	c := &Capturer{FixedMonitor: true, be: be, Hide: func(context.Context) (func(), error) { return nil, stuck }}
	f, err := c.Capture(context.Background(), Grid{})
	if !errors.Is(err, stuck) {
		t.Fatalf("err = %v, want the Hide error wrapped", err)
	}
	if !strings.Contains(err.Error(), "hide deskhand's windows") {
		t.Errorf("%q does not say what failed", err)
	}
	if f.Data != nil || f.Image != (image.Point{}) {
		t.Errorf("a frame came back with the error: %+v", f)
	}
	if n := be.captures.Load(); n != 0 {
		t.Errorf("the screen was read %d times after Hide failed", n)
	}
	if !viewable(t, d, win) {
		t.Error("the overlay is gone after a failed Hide")
	}
}

// A capture that fails after Hide still restores the windows.
func TestHideRestoredWhenCaptureFails(t *testing.T) {
	d, win, _ := hideDesktop(t)
	boom := errors.New("capture failed")
	be := &countingBackend{backend: platform, fail: boom}
	var hides, restores atomic.Int32
	c := &Capturer{FixedMonitor: true, be: be, Hide: unmapHide(d, win, &hides, &restores)}
	f, err := c.Capture(context.Background(), Grid{})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the capture error", err)
	}
	if f.Data != nil {
		t.Error("a frame came back with the error")
	}
	if be.captures.Load() != 1 || hides.Load() != 1 || restores.Load() != 1 {
		t.Errorf("captures %d, hides %d, restores %d; want 1 each", be.captures.Load(), hides.Load(), restores.Load())
	}
	if !viewable(t, d, win) {
		t.Error("the overlay is not on screen again after the failed capture")
	}
}
